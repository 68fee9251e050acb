// S6 (free): shielding costs no heap allocation beyond what binding an empty
// cancellation slot by hand costs. The coroutines run under a connected parent
// slot, where a shield has something to hide. Counted at the C level (common/
// heap_counter.hpp, which sees operator new too), after a warm-up, inside one io_context::run() so
// that Asio's per-thread recycling caches are primed for both variants alike.
#include "allocation/post_chain.hpp"
#include "common/co_test.hpp"
#include "common/heap_counter.hpp"
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>

namespace {

using asio_shield::shield;

constexpr int warm_up = 100;
constexpr int operations = 1000;

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

using test::by_hand;
using test::chain_kind;
using test::post_chain;

std::size_t operator_new_count()
{
    return test::heap_allocation_count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(allocation)

// The suite's namespace is named shield too, so the factory is brought in here.
using asio_shield::shield;

BOOST_AUTO_TEST_CASE(S6_control_counter_sees_operator_new)
{
    // The comparisons below are only worth something if the counter sees
    // operator new (which ends in malloc).
    const std::size_t before = test::heap_allocation_count();
    void* volatile p = ::operator new(16);
    ::operator delete(p);
    BOOST_TEST(test::heap_allocation_count() == before + 1);
}

CO_CANCELLABLE_TEST_CASE(S6_use_awaitable_adds_no_allocation)
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
    std::size_t before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, shield(net::use_awaitable));
    post_counts.shielded = test::heap_allocation_count() - before;
    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, by_hand(net::use_awaitable));
    post_counts.by_hand = test::heap_allocation_count() - before;

    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(net::use_awaitable));
    }
    timer_counts.shielded = test::heap_allocation_count() - before;
    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(by_hand(net::use_awaitable));
    }
    timer_counts.by_hand = test::heap_allocation_count() - before;

    report("use_awaitable post", post_counts);
    report("use_awaitable timer", timer_counts);
    BOOST_TEST(post_counts.shielded == post_counts.by_hand);
    BOOST_TEST(timer_counts.shielded == timer_counts.by_hand);
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
CO_CANCELLABLE_TEST_CASE(S6_deferred_adds_no_allocation)
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
    std::size_t before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, shield(test::deferred));
    post_counts.shielded = test::heap_allocation_count() - before;
    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
        co_await net::post(ex, test::deferred);
    post_counts.by_hand = test::heap_allocation_count() - before;

    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(shield(test::deferred));
    }
    timer_counts.shielded = test::heap_allocation_count() - before;
    before = test::heap_allocation_count();
    for (int i = 0; i < operations; ++i)
    {
        t.expires_after(std::chrono::nanoseconds(0));
        co_await t.async_wait(test::deferred);
    }
    timer_counts.by_hand = test::heap_allocation_count() - before;

    report("deferred post", post_counts);
    report("deferred timer", timer_counts);
    BOOST_TEST(post_counts.shielded == post_counts.by_hand);
    BOOST_TEST(timer_counts.shielded == timer_counts.by_hand);
}
#endif

// S5, S6: shield(token, mask) is a type of its own (the mask a value), with a
// masking relay in the slot for a partial mask; neither form adds an allocation.
CO_CANCELLABLE_TEST_CASE(S5_S6_run_time_masks_add_no_allocation)
{
    auto ex = co_await net::this_coro::executor;
    const net::cancellation_type_t partial_mask = test::ctype::terminal;
    const net::cancellation_type_t full_mask =
        test::ctype::terminal | test::ctype::partial | test::ctype::total;
    auto count = [&](auto make_token) -> net::awaitable<std::size_t> {
        for (int i = 0; i < warm_up; ++i)
            co_await net::post(ex, make_token());
        const std::size_t before = test::heap_allocation_count();
        for (int i = 0; i < operations; ++i)
            co_await net::post(ex, make_token());
        co_return test::heap_allocation_count() - before;
    };
    const std::size_t by_hand_count = co_await count([] { return by_hand(net::use_awaitable); });
    counts partial, full;
    partial.by_hand = full.by_hand = by_hand_count;
    partial.shielded = co_await count([&] { return shield(net::use_awaitable, partial_mask); });
    full.shielded = co_await count([&] { return shield(net::use_awaitable, full_mask); });
    report("use_awaitable post, partial mask", partial);
    report("use_awaitable post, full mask as a value", full);
    BOOST_TEST(partial.shielded == partial.by_hand);
    BOOST_TEST(full.shielded == full.by_hand);
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    counts deferred;
    deferred.by_hand = co_await count([] { return test::deferred; });
    deferred.shielded = co_await count([&] { return shield(test::deferred, partial_mask); });
    report("deferred post, partial mask", deferred);
    BOOST_TEST(deferred.shielded == deferred.by_hand);
#endif
}

CO_TEST_CASE(S6_callback_post_chain_adds_no_allocation)
{
    auto run_chain = [&](chain_kind kind, int n) {
        return post_chain::run(io, kind, n, &operator_new_count, net::cancellation_slot());
    };
    for (auto kind : {chain_kind::shield, chain_kind::by_hand, chain_kind::shield_deferred,
                      chain_kind::by_hand_deferred})
        co_await run_chain(kind, warm_up);
    counts direct, deferred;
    direct.shielded = co_await run_chain(chain_kind::shield, operations);
    direct.by_hand = co_await run_chain(chain_kind::by_hand, operations);
    deferred.shielded = co_await run_chain(chain_kind::shield_deferred, operations);
    deferred.by_hand = co_await run_chain(chain_kind::by_hand_deferred, operations);
    report("callback post chain", direct);
    report("deferred post chain", deferred);
    BOOST_TEST(direct.shielded == direct.by_hand);
    BOOST_TEST(deferred.shielded == deferred.by_hand);
}

BOOST_AUTO_TEST_SUITE_END()
