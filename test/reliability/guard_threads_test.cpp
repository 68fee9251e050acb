// R3: the guards' debug-build order check (detail/guard_order.hpp) on two
// threads. Guards of coroutines on different strands share the check's
// buckets; guards that a deadline ends leave them in any order, while guards
// of other coroutines enter and leave on the other thread. Every link is read
// and written under the check's mutex, so ThreadSanitizer (the tsan leg, a
// Debug build) reports nothing; before, an expiring guard read its link
// unlocked while another thread's guard unlinked itself behind it.
#include "common/co_test.hpp"

#include <asio_shield/cancellation_guard.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

net::awaitable<void> churn(int rounds)
{
    co_await net::this_coro::throw_if_cancelled(false);
    const auto ex = co_await net::this_coro::executor;
    net::steady_timer wait(ex);
    const auto token = test::as_tuple(net::use_awaitable);
    for (int i = 0; i < rounds; ++i)
    {
        {
            // A guard that stays linked for a while, and leaves by release.
            auto plain = co_await asio_shield::guard_cancellation();
            wait.expires_after(1ms);
            co_await wait.async_wait(token);
        }
        {
            // The request is recorded already: the grace period starts at
            // entry and, being zero, ends the scope (cutting the wait) at the
            // timer's first turn, while guards of other coroutines in the
            // same bucket come and go on the other thread.
            auto expiring = co_await asio_shield::guard_cancellation_for(0ms);
            wait.expires_after(1ms);
            co_await wait.async_wait(token);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(reliability)

// R3, R4: guards entering, expiring and ending on two threads at once.
BOOST_AUTO_TEST_CASE(R3_guard_order_check_across_threads)
{
    constexpr int sessions = 256;
    net::io_context io(2);
    std::vector<std::unique_ptr<net::cancellation_signal>> signals;
    int done = 0, failed = 0;
    std::mutex m; // Boost.Test is not thread-safe: count, then check.
    for (int i = 0; i < sessions; ++i)
    {
        signals.push_back(std::make_unique<net::cancellation_signal>());
        auto strand = net::make_strand(io);
        net::co_spawn(
            strand, churn(20),
            net::bind_cancellation_slot(signals.back()->slot(), [&](std::exception_ptr e) {
                std::lock_guard<std::mutex> lock(m);
                ++(e ? failed : done);
            }));
        net::post(strand,
                  [s = signals.back().get()] { s->emit(net::cancellation_type::terminal); });
    }
    std::thread other([&] { io.run(); });
    io.run();
    other.join();
    BOOST_TEST(failed == 0);
    BOOST_TEST(done == sessions);
}

BOOST_AUTO_TEST_SUITE_END()
