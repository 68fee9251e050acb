// T2 (no request, no timer; one timer for many requests), counted at the C
// level (common/heap_counter.hpp).
#include "common/heap_counter.hpp"
#include "grace/grace_support.hpp"

#include <asio_shield.hpp>

using asio_shield::guard_cancellation;
using asio_shield::guard_cancellation_for;
using namespace test;

BOOST_AUTO_TEST_SUITE(allocation)

// T2: no request, no timer: a grace guard without a request allocates exactly
// what a plain guard does around the same work.
BOOST_AUTO_TEST_CASE(T2_no_request_no_timer)
{
    std::size_t plain = 0, with_grace = 0;
    run_with_signal([&](net::io_context& io, net::cancellation_signal&) -> net::awaitable<void> {
        net::steady_timer work(io);
        for (int round = 0; round < 3; ++round) // Round 0 primes Asio's caches.
        {
            std::size_t before = heap_allocation_count();
            for (int i = 0; i < 20; ++i)
            {
                auto guard = co_await guard_cancellation();
                work.expires_after(0ms);
                co_await work.async_wait(net::use_awaitable);
            }
            if (round > 0)
                plain += heap_allocation_count() - before;
            before = heap_allocation_count();
            for (int i = 0; i < 20; ++i)
            {
                auto guard = co_await guard_cancellation_for(1s);
                work.expires_after(0ms);
                co_await work.async_wait(net::use_awaitable);
            }
            if (round > 0)
                with_grace += heap_allocation_count() - before;
        }
    });
    BOOST_TEST(with_grace == plain);
}

// T2: with a request, exactly one timer for any number of requests.
BOOST_AUTO_TEST_CASE(T2_one_timer_for_many_requests)
{
    std::size_t plain = 0, with_grace = 0;
    auto measure = [](bool grace) {
        std::size_t count = 0;
        run_with_signal(
            [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
                net::steady_timer work(io);
                work.expires_after(0ms); // Prime Asio's caches.
                co_await work.async_wait(net::use_awaitable);
                auto guarded_work = [&]() -> net::awaitable<void> {
                    for (int i = 0; i < 3; ++i)
                        net::post(io, [&sig] { sig.emit(ctype::terminal); });
                    work.expires_after(20ms);
                    co_await work.async_wait(net::use_awaitable);
                };
                const std::size_t before = heap_allocation_count();
                if (grace)
                {
                    auto guard = co_await guard_cancellation_for(10s);
                    co_await guarded_work();
                }
                else
                {
                    auto guard = co_await guard_cancellation();
                    co_await guarded_work();
                }
                count = heap_allocation_count() - before;
                co_return;
            });
        return count;
    };
    plain = measure(false);
    with_grace = measure(true);
    BOOST_TEST(with_grace > plain);      // A timer was started...
    BOOST_TEST(with_grace <= plain + 3); // ...once: its state and its wait, not three.
}

BOOST_AUTO_TEST_SUITE_END()
