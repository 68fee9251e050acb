// Shared by the allocation tests: the hand-bound baseline and a callback
// chain that re-posts itself, started in one of several ways, and records an
// allocation count when it is done.
#ifndef ASIO_SHIELD_TEST_ALLOCATION_POST_CHAIN_HPP
#define ASIO_SHIELD_TEST_ALLOCATION_POST_CHAIN_HPP

#include "common/net.hpp"

#include <chrono>
#include <cstddef>
#include <utility>

namespace test {

/// The same token bound to an empty slot, as one hides the slot by hand.
template <typename Token>
auto by_hand(Token token)
{
    return net::bind_cancellation_slot(net::cancellation_slot(), std::move(token));
}

/// How post_chain starts each of its operations.
enum class chain_kind
{
    by_hand,          // post(ex, bind_cancellation_slot(empty, handler))
    shield,           // post(ex, shield(handler))
    shield_for,       // post(ex, shield_for(1h, handler))
    shield_deferred,  // post(ex, shield(deferred))(handler)
    by_hand_deferred  // post(ex, deferred)(bind_cancellation_slot(empty, handler))
};

/// A handler that re-posts itself until `remaining` runs out, then records
/// `count()` and wakes the driver. It carries `slot` as its cancellation slot
/// (connected, as a composed operation's handler is, or not).
struct post_chain
{
    struct state
    {
        int remaining;
        chain_kind kind;
        std::size_t (*count)();
        std::size_t before;
        std::size_t after;
        net::steady_timer* done;
    };

    state* s;
    net::io_context::executor_type ex;
    net::cancellation_slot slot;

    using cancellation_slot_type = net::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return slot; }

    void operator()() const
    {
        if (--s->remaining > 0)
        {
            start(*this);
            return;
        }
        s->after = s->count();
        s->done->cancel();
    }

    static void start(const post_chain& chain)
    {
        switch (chain.s->kind)
        {
        case chain_kind::by_hand:
            net::post(chain.ex, by_hand(chain));
            break;
        case chain_kind::shield:
            net::post(chain.ex, asio_shield::shield(chain));
            break;
        case chain_kind::shield_for:
            net::post(chain.ex, asio_shield::shield_for(std::chrono::hours(1), chain));
            break;
        case chain_kind::shield_deferred:
            net::post(chain.ex, asio_shield::shield(test::deferred))(chain);
            break;
        case chain_kind::by_hand_deferred:
            net::post(chain.ex, test::deferred)(by_hand(chain));
            break;
        }
    }

    /// Runs a chain of `n` operations of `kind`; the count it added.
    static net::awaitable<std::size_t> run(net::io_context& io, chain_kind kind, int n,
                                           std::size_t (*count)(), net::cancellation_slot slot)
    {
        net::steady_timer done(io, net::steady_timer::time_point::max());
        state s{n, kind, count, 0, 0, &done};
        s.before = count();
        start(post_chain{&s, io.get_executor(), slot});
        co_await done.async_wait(test::as_tuple(net::use_awaitable));
        co_return s.after - s.before;
    }
};

} // namespace test

#endif
