// S6, G1, T1, T2 without cancellation: shields, guards and shield_for add no
// heap allocation per operation. Counted at the C level (heap_counter.hpp),
// which also sees the blocks Asio's recycling allocator takes with
// aligned_alloc (handlers, coroutine frames, cancellation-slot memory).
//
// Every coroutine here runs under a connected parent slot (run_with_signal),
// as a session spawned with a stop signal does: that is where a guard builds
// its substitute state and shield_for installs its relay. Counts are taken
// after a warm-up, inside one io_context::run(), so that Asio's per-thread
// recycling caches are primed for every variant alike. No timing is measured.
#include "allocation/post_chain.hpp"
#include "common/co_test.hpp"
#include "common/heap_counter.hpp"

#include <asio_shield.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>

namespace {

using namespace std::chrono_literals;
using asio_shield::guard_cancellation;
using asio_shield::guard_cancellation_for;
using asio_shield::shield_for;

constexpr int warm_up = 100;
constexpr int operations = 1000;
constexpr auto long_grace = std::chrono::hours(1); // Never runs out here.

std::size_t heap_count() noexcept
{
    return test::heap_allocation_count();
}

void report(const char* what, std::size_t measured, std::size_t reference)
{
    BOOST_TEST_MESSAGE(what << ": " << measured << " heap allocations, reference " << reference
                            << ", over " << operations << " operations");
}

using test::by_hand;
using test::chain_kind;
using test::post_chain;

} // namespace

BOOST_AUTO_TEST_SUITE(allocation)

using asio_shield::shield;

BOOST_AUTO_TEST_CASE(S6_control_heap_counter_sees_aligned_alloc,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    // Asio's recycled memory comes from aligned_alloc; the comparisons below
    // are only worth something if the counter sees it.
    const std::size_t before = test::heap_allocation_count();
    void* volatile p = std::aligned_alloc(64, 64);
    std::free(p);
    BOOST_TEST(test::heap_allocation_count() == before + 1);
}

/// What a coroutine measures: one operation, in one of several forms.
enum class guarded
{
    none,  // the operation alone
    guard, // inside one guard
    nested // inside two nested guards
};

/// Heap allocations of `operations` posts (or zero-duration timer waits) in
/// the given form, after `warm_up` of the same form.
net::awaitable<std::size_t> count_guarded(guarded form, bool timer)
{
    auto ex = co_await net::this_coro::executor;
    net::steady_timer t(ex);
    std::size_t before = 0;
    for (int i = 0; i < warm_up + operations; ++i)
    {
        if (i == warm_up)
            before = heap_count();
        if (form == guarded::none)
        {
            if (timer)
            {
                t.expires_after(0ns);
                co_await t.async_wait(net::use_awaitable);
            }
            else
                co_await net::post(ex, net::use_awaitable);
        }
        else if (form == guarded::guard)
        {
            auto guard = co_await guard_cancellation();
            if (timer)
            {
                t.expires_after(0ns);
                co_await t.async_wait(net::use_awaitable);
            }
            else
                co_await net::post(ex, net::use_awaitable);
        }
        else
        {
            auto outer = co_await guard_cancellation();
            auto inner = co_await guard_cancellation();
            co_await net::post(ex, net::use_awaitable);
        }
    }
    co_return heap_count() - before;
}

// G1 (and G2, G4 on every exit): entering and leaving a guard around an
// operation costs no heap allocation.
BOOST_AUTO_TEST_CASE(G1_guard_enter_exit_adds_no_heap_allocation)
{
    test::run_with_signal([](net::io_context&, net::cancellation_signal&) -> net::awaitable<void> {
        const std::size_t bare = co_await count_guarded(guarded::none, false);
        const std::size_t with_guard = co_await count_guarded(guarded::guard, false);
        report("guard + post", with_guard, bare);
        BOOST_TEST(with_guard == bare);
    });
}

// G1 with an operation that installs a cancellation handler (a timer wait, as
// every timer and socket operation does): still no heap allocation. The
// recorder's block of slot memory and the operation's go through Asio's
// per-thread cache, which keeps two such blocks; the substitute state's stays
// in the guard's pooled signal.
BOOST_AUTO_TEST_CASE(G1_guard_with_slot_using_operation_adds_no_heap_allocation,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    test::run_with_signal([](net::io_context&, net::cancellation_signal&) -> net::awaitable<void> {
        const std::size_t bare_timer = co_await count_guarded(guarded::none, true);
        const std::size_t with_guard = co_await count_guarded(guarded::guard, true);
        report("guard + timer", with_guard, bare_timer);
        BOOST_TEST(with_guard == bare_timer);
    });
}

// G3, nested guards: no allocation either. An inner guard keeps a third block
// of slot memory alive (its substitute state, beside the outer guard's and the
// outer substitute's child slot holding the inner recorder), one more than
// Asio's per-thread cache (BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE, default
// 2) holds; a guard therefore builds its substitute state in a signal of a
// per-thread pool, which keeps that memory from one guard to the next.
// (Before the pool a nested pair cost 2 heap allocations.)
BOOST_AUTO_TEST_CASE(G3_nested_guards_add_no_heap_allocation,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    test::run_with_signal([](net::io_context&, net::cancellation_signal&) -> net::awaitable<void> {
        const std::size_t bare_post = co_await count_guarded(guarded::none, false);
        const std::size_t nested = co_await count_guarded(guarded::nested, false);
        report("nested guards + post", nested, bare_post);
        BOOST_TEST(nested == bare_post);
    });
}

// T2: with no request, a grace guard starts no timer and allocates nothing,
// compared with no guard at all.
BOOST_AUTO_TEST_CASE(T2_guard_for_without_request_adds_no_heap_allocation)
{
    test::run_with_signal([](net::io_context&, net::cancellation_signal&) -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        for (int i = 0; i < warm_up; ++i)
        {
            auto guard = co_await guard_cancellation_for(long_grace);
            co_await net::post(ex, net::use_awaitable);
        }
        std::size_t before = heap_count();
        for (int i = 0; i < operations; ++i)
            co_await net::post(ex, net::use_awaitable);
        const std::size_t bare = heap_count() - before;

        before = heap_count();
        for (int i = 0; i < operations; ++i)
        {
            auto guard = co_await guard_cancellation_for(long_grace);
            co_await net::post(ex, net::use_awaitable);
        }
        const std::size_t guarded = heap_count() - before;

        report("guard_cancellation_for + post", guarded, bare);
        BOOST_TEST(guarded == bare);
    });
}

// S6 under a connected slot, at the C level: shield(use_awaitable) costs no
// allocation beyond binding an empty slot by hand. T1: neither does
// shield_for without a request (its relay lives in the slot's recycled
// memory; no timer).
BOOST_AUTO_TEST_CASE(T1_shield_for_without_request_adds_no_heap_allocation)
{
    test::run_with_signal(
        [](net::io_context& io, net::cancellation_signal&) -> net::awaitable<void> {
            auto ex = co_await net::this_coro::executor;
            net::steady_timer t(io);
            for (int i = 0; i < warm_up; ++i)
            {
                co_await net::post(ex, by_hand(net::use_awaitable));
                co_await net::post(ex, shield(net::use_awaitable));
                co_await net::post(ex, shield_for(long_grace, net::use_awaitable));
                t.expires_after(0ns);
                co_await t.async_wait(shield_for(long_grace, net::use_awaitable));
            }

            std::size_t post_counts[3] = {};
            std::size_t timer_counts[3] = {};
            for (int variant = 0; variant < 3; ++variant)
            {
                std::size_t before = heap_count();
                for (int i = 0; i < operations; ++i)
                {
                    if (variant == 0)
                        co_await net::post(ex, by_hand(net::use_awaitable));
                    else if (variant == 1)
                        co_await net::post(ex, shield(net::use_awaitable));
                    else
                        co_await net::post(ex, shield_for(long_grace, net::use_awaitable));
                }
                post_counts[variant] = heap_count() - before;

                before = heap_count();
                for (int i = 0; i < operations; ++i)
                {
                    t.expires_after(0ns);
                    if (variant == 0)
                        co_await t.async_wait(by_hand(net::use_awaitable));
                    else if (variant == 1)
                        co_await t.async_wait(shield(net::use_awaitable));
                    else
                        co_await t.async_wait(shield_for(long_grace, net::use_awaitable));
                }
                timer_counts[variant] = heap_count() - before;
            }

            report("shield(use_awaitable) post", post_counts[1], post_counts[0]);
            report("shield_for(use_awaitable) post", post_counts[2], post_counts[1]);
            report("shield(use_awaitable) timer", timer_counts[1], timer_counts[0]);
            report("shield_for(use_awaitable) timer", timer_counts[2], timer_counts[1]);
            BOOST_TEST(post_counts[1] == post_counts[0]);   // S6
            BOOST_TEST(post_counts[2] == post_counts[1]);   // T1
            BOOST_TEST(timer_counts[1] == timer_counts[0]); // S6
            BOOST_TEST(timer_counts[2] == timer_counts[1]); // T1
        });
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
// T1 with deferred: shield_for(deferred) without a request allocates what
// shield(deferred) and plain deferred do.
BOOST_AUTO_TEST_CASE(T1_shield_for_deferred_without_request_adds_no_heap_allocation)
{
    test::run_with_signal([](net::io_context&, net::cancellation_signal&) -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        for (int i = 0; i < warm_up; ++i)
        {
            co_await net::post(ex, test::deferred);
            co_await net::post(ex, shield(test::deferred));
            co_await net::post(ex, shield_for(long_grace, test::deferred));
        }
        std::size_t counts[3] = {};
        for (int variant = 0; variant < 3; ++variant)
        {
            const std::size_t before = heap_count();
            for (int i = 0; i < operations; ++i)
            {
                if (variant == 0)
                    co_await net::post(ex, test::deferred);
                else if (variant == 1)
                    co_await net::post(ex, shield(test::deferred));
                else
                    co_await net::post(ex, shield_for(long_grace, test::deferred));
            }
            counts[variant] = heap_count() - before;
        }
        report("shield(deferred) post", counts[1], counts[0]);
        report("shield_for(deferred) post", counts[2], counts[1]);
        BOOST_TEST(counts[1] == counts[0]); // S6
        BOOST_TEST(counts[2] == counts[1]); // T1
    });
}
#endif

// S6 and T1 with callbacks whose handler carries a connected slot: shield
// installs nothing, shield_for only its relay, in the slot's recycled memory.
BOOST_AUTO_TEST_CASE(T1_shield_for_callback_without_request_adds_no_heap_allocation)
{
    test::run_with_signal(
        [](net::io_context& io, net::cancellation_signal&) -> net::awaitable<void> {
            net::cancellation_signal handler_slot; // Connected, never emits.
            auto run_chain = [&](chain_kind kind, int n) {
                return post_chain::run(io, kind, n, &heap_count, handler_slot.slot());
            };
            for (auto kind : {chain_kind::by_hand, chain_kind::shield, chain_kind::shield_for})
                co_await run_chain(kind, warm_up);
            const std::size_t reference = co_await run_chain(chain_kind::by_hand, operations);
            const std::size_t shielded = co_await run_chain(chain_kind::shield, operations);
            const std::size_t with_grace = co_await run_chain(chain_kind::shield_for, operations);
            report("shield(handler) post chain", shielded, reference);
            report("shield_for(handler) post chain", with_grace, shielded);
            BOOST_TEST(shielded == reference);  // S6
            BOOST_TEST(with_grace == shielded); // T1
        });
}

BOOST_AUTO_TEST_SUITE_END()
