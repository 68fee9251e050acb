// S6 (free): shielding costs no heap allocation beyond what binding an empty
// cancellation slot by hand costs. Counted with the replacement operator new
// of this executable, after a warm-up, inside one io_context::run() so that
// Asio's per-thread recycling caches are primed for both variants alike.
#include "common/allocation_counter.hpp"
#include "common/co_test.hpp"
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>

namespace {

using asio_shield::shield;

constexpr int warm_up = 100;
constexpr int operations = 1000;

/// The same token bound to an empty slot, as one would do by hand.
template <typename Token>
auto by_hand(Token token)
{
    return net::bind_cancellation_slot(net::cancellation_slot(), std::move(token));
}

struct counts
{
    std::size_t shielded = 0;
    std::size_t by_hand = 0;
};

void report(const char* what, const counts& c)
{
    BOOST_TEST_MESSAGE(what << ": " << c.shielded << " allocations shielded, " << c.by_hand
                            << " bound by hand, over " << operations << " operations");
}

/// How post_chain starts each of its operations.
enum class chain_kind
{
    shielded,          // post(ex, shield(handler))
    by_hand,           // post(ex, bind_cancellation_slot(empty, handler))
    shielded_deferred, // post(ex, shield(deferred))(handler)
    by_hand_deferred   // post(ex, deferred)(bind_cancellation_slot(empty, handler))
};

/// A callback that re-posts itself until `remaining` runs out, then records
/// the allocation count and wakes the driver.
struct post_chain
{
    struct state
    {
        int remaining;
        chain_kind kind;
        std::size_t before;
        std::size_t after;
        net::steady_timer* done;
    };

    state* s;
    net::io_context::executor_type ex;

    void operator()() const
    {
        if (--s->remaining > 0)
        {
            start(*this);
            return;
        }
        s->after = test::allocation_count();
        s->done->cancel();
    }

    static void start(const post_chain& chain)
    {
        switch (chain.s->kind)
        {
        case chain_kind::shielded:
            net::post(chain.ex, shield(chain));
            break;
        case chain_kind::by_hand:
            net::post(chain.ex, by_hand(chain));
            break;
        case chain_kind::shielded_deferred:
            net::post(chain.ex, shield(test::deferred))(chain);
            break;
        case chain_kind::by_hand_deferred:
            net::post(chain.ex, test::deferred)(by_hand(chain));
            break;
        }
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(allocation)

// The suite's namespace is named shield too, so the factory is brought in here.
using asio_shield::shield;

BOOST_AUTO_TEST_CASE(S6_control_counter_sees_operator_new)
{
    // The comparisons below are only worth something if the replacement
    // operator new is the one in use.
    const std::size_t before = test::allocation_count();
    void* volatile p = ::operator new(16);
    ::operator delete(p);
    BOOST_TEST(test::allocation_count() == before + 1);
}

CO_TEST_CASE(S6_use_awaitable_adds_no_allocation)
{
    auto ex = co_await net::this_coro::executor;
    net::steady_timer t(io);
    for (int i = 0; i < warm_up; ++i)
    {
        co_await net::post(ex, shield(net::use_awaitable));
        co_await net::post(ex, by_hand(net::use_awaitable));
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(net::use_awaitable));
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(by_hand(net::use_awaitable));
    }

    counts post_counts, timer_counts;
    std::size_t before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, shield(net::use_awaitable));
    post_counts.shielded = test::allocation_count() - before;
    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, by_hand(net::use_awaitable));
    post_counts.by_hand = test::allocation_count() - before;

    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(net::use_awaitable));
    }
    timer_counts.shielded = test::allocation_count() - before;
    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(by_hand(net::use_awaitable));
    }
    timer_counts.by_hand = test::allocation_count() - before;

    report("use_awaitable post", post_counts);
    report("use_awaitable timer", timer_counts);
    BOOST_TEST(post_counts.shielded == post_counts.by_hand);
    BOOST_TEST(timer_counts.shielded == timer_counts.by_hand);
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
CO_TEST_CASE(S6_deferred_adds_no_allocation)
{
    // Asio 1.26 cannot bind a slot to `deferred` itself (its cancellation_slot_binder
    // needs a return_type), so the reference here is plain `deferred`, whose
    // operations reuse the coroutine's slot memory; the callback chain below
    // compares a deferred operation launched with a hand-bound handler.
    auto ex = co_await net::this_coro::executor;
    net::steady_timer t(io);
    for (int i = 0; i < warm_up; ++i)
    {
        co_await net::post(ex, shield(test::deferred));
        co_await net::post(ex, test::deferred);
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(test::deferred));
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(test::deferred);
    }

    counts post_counts, timer_counts;
    std::size_t before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, shield(test::deferred));
    post_counts.shielded = test::allocation_count() - before;
    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, test::deferred);
    post_counts.by_hand = test::allocation_count() - before;

    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(test::deferred));
    }
    timer_counts.shielded = test::allocation_count() - before;
    before = test::allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(test::deferred);
    }
    timer_counts.by_hand = test::allocation_count() - before;

    report("deferred post", post_counts);
    report("deferred timer", timer_counts);
    BOOST_TEST(post_counts.shielded == post_counts.by_hand);
    BOOST_TEST(timer_counts.shielded == timer_counts.by_hand);
}
#endif

CO_TEST_CASE(S6_callback_post_chain_adds_no_allocation)
{
    auto run_chain = [&](chain_kind kind, int n) -> net::awaitable<std::size_t> {
        net::steady_timer done(io, net::steady_timer::time_point::max());
        post_chain::state s{n, kind, 0, 0, &done};
        s.before = test::allocation_count();
        post_chain::start(post_chain{&s, io.get_executor()});
        co_await done.async_wait(test::as_tuple(net::use_awaitable));
        co_return s.after - s.before;
    };
    for (auto kind : {chain_kind::shielded, chain_kind::by_hand, chain_kind::shielded_deferred,
                      chain_kind::by_hand_deferred})
        co_await run_chain(kind, warm_up);
    counts direct, deferred;
    direct.shielded = co_await run_chain(chain_kind::shielded, operations);
    direct.by_hand = co_await run_chain(chain_kind::by_hand, operations);
    deferred.shielded = co_await run_chain(chain_kind::shielded_deferred, operations);
    deferred.by_hand = co_await run_chain(chain_kind::by_hand_deferred, operations);
    report("callback post chain", direct);
    report("deferred post chain", deferred);
    BOOST_TEST(direct.shielded == direct.by_hand);
    BOOST_TEST(deferred.shielded == deferred.by_hand);
}

BOOST_AUTO_TEST_SUITE_END()
