// R2 for grace periods: destroying the io_context while grace timers, shielded
// operations and guards are pending leaks nothing and crashes nothing. The
// sanitizer legs (ASan + LeakSanitizer) turn a leak or a use-after-free here
// into a failure; the plain legs count heap blocks (common/heap_counter.hpp)
// and check that none is left once everything is gone.
#include "common/heap_counter.hpp"
#include "grace/grace_support.hpp"

#include <asio_shield.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>

using asio_shield::guard_cancellation_for;
using asio_shield::shield_for;
using namespace test;

namespace {

/// What ran of the work start_pending_work() left pending.
struct teardown_log
{
    int wait_calls = 0;
    std::optional<error_code> wait_result;
    int coroutine_resumed = 0;   // Past its 10 s wait.
    int coroutine_completed = 0; // Its co_spawn completion handler.
};

/// Starts a shield_for wait and a grace-guarded coroutine, delivers a request
/// to each so that both grace timers are running, then returns with all of it
/// still pending.
void start_pending_work(net::io_context& io, net::cancellation_signal& op_signal,
                        net::cancellation_signal& coroutine_signal, net::steady_timer& work,
                        teardown_log& log)
{
    work.expires_after(10s);
    work.async_wait(
        shield_for(10s, net::bind_cancellation_slot(op_signal.slot(), [&log](error_code ec) {
                       ++log.wait_calls;
                       log.wait_result = ec;
                   })));
    net::co_spawn(
        io,
        [&io, &log]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(10s);
            net::steady_timer t(io, 10s);
            co_await t.async_wait(net::use_awaitable);
            ++log.coroutine_resumed;
        },
        net::bind_cancellation_slot(coroutine_signal.slot(),
                                    [&log](std::exception_ptr) { ++log.coroutine_completed; }));
    net::post(io, [&] {
        op_signal.emit(ctype::terminal);
        coroutine_signal.emit(ctype::terminal);
    });
    io.poll(); // Runs what is ready: the grace timers start; nothing completes.
}

/// Runs `scenario` twice (the first run pays for first-use statics) and
/// checks that the second leaves as many heap blocks as it found.
template <typename Scenario>
void check_heap_back_at_baseline(Scenario scenario)
{
    teardown_log warm_up;
    scenario(warm_up);
    teardown_log log;
    const std::ptrdiff_t before = heap_live_blocks();
    scenario(log);
    const std::ptrdiff_t after = heap_live_blocks();
    if (heap_counter_active())
        BOOST_TEST(after == before); // R2: everything pending was freed.
    else
        BOOST_TEST_MESSAGE("heap counter inactive here; the sanitizer's leak check stands in");
}

} // namespace

BOOST_AUTO_TEST_SUITE(grace)

// R2, T1, T2: the io_context goes first, the signals after it. Its destructor
// destroys the pending handlers without running them.
BOOST_AUTO_TEST_CASE(R2_io_context_destroyed_with_grace_timers_pending)
{
    auto scenario = [](teardown_log& log) {
        net::cancellation_signal op_signal, coroutine_signal;
        {
            net::io_context io;
            net::steady_timer work(io);
            start_pending_work(io, op_signal, coroutine_signal, work, log);
        }
        BOOST_TEST(log.wait_calls == 0);
        BOOST_TEST(log.coroutine_resumed == 0);
        BOOST_TEST(log.coroutine_completed == 0);
    };
    check_heap_back_at_baseline(scenario);
}

// R2, T1, T2: the signals (and with them the relays and the coroutine's
// cancellation state) go first, the io_context after them.
BOOST_AUTO_TEST_CASE(R2_signals_destroyed_before_the_io_context)
{
    auto scenario = [](teardown_log& log) {
        net::io_context io;
        net::steady_timer work(io);
        {
            net::cancellation_signal op_signal, coroutine_signal;
            start_pending_work(io, op_signal, coroutine_signal, work, log);
            work.cancel(); // The shielded wait must not outlive its signal.
            io.poll();
            BOOST_TEST(log.wait_calls == 1);
            BOOST_TEST_REQUIRE(log.wait_result.has_value());
            BOOST_TEST((*log.wait_result == net::error::operation_aborted));
        }
        io.poll(); // Nothing reaches into the destroyed signals.
        BOOST_TEST(log.wait_calls == 1);
        BOOST_TEST(log.coroutine_resumed == 0);
        BOOST_TEST(log.coroutine_completed == 0);
    };
    check_heap_back_at_baseline(scenario);
}

BOOST_AUTO_TEST_SUITE_END()
