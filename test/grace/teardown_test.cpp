// R2 for grace periods: destroying the io_context while grace timers, shielded
// operations and guards are pending leaks nothing and crashes nothing. The
// sanitizer legs (ASan + LeakSanitizer) turn a leak or a use-after-free here
// into a failure; the plain legs catch crashes.
#include "grace/grace_support.hpp"

#include <asio_shield.hpp>

using asio_shield::guard_cancellation_for;
using asio_shield::shield_for;
using namespace test;

namespace {

/// Starts a shield_for wait and a grace-guarded coroutine, delivers a request
/// to each so that both grace timers are running, then returns with all of it
/// still pending.
void start_pending_work(net::io_context& io, net::cancellation_signal& op_signal,
                        net::cancellation_signal& coroutine_signal, net::steady_timer& work)
{
    work.expires_after(10s);
    work.async_wait(
        shield_for(10s, net::bind_cancellation_slot(op_signal.slot(), [](error_code) {})));
    net::co_spawn(
        io,
        [&io]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(10s);
            net::steady_timer t(io, 10s);
            co_await t.async_wait(net::use_awaitable);
        },
        net::bind_cancellation_slot(coroutine_signal.slot(), net::detached));
    net::post(io, [&] {
        op_signal.emit(ctype::terminal);
        coroutine_signal.emit(ctype::terminal);
    });
    io.poll(); // Runs what is ready: the grace timers start; nothing completes.
}

} // namespace

BOOST_AUTO_TEST_SUITE(grace)

// R2, T1, T2: the io_context goes first, the signals after it.
BOOST_AUTO_TEST_CASE(R2_io_context_destroyed_with_grace_timers_pending)
{
    net::cancellation_signal op_signal, coroutine_signal;
    {
        net::io_context io;
        net::steady_timer work(io);
        start_pending_work(io, op_signal, coroutine_signal, work);
    }
    BOOST_TEST(true); // Reaching here without a sanitizer report is the check.
}

// R2, T1, T2: the signals (and with them the relays and the coroutine's
// cancellation state) go first, the io_context after them.
BOOST_AUTO_TEST_CASE(R2_signals_destroyed_before_the_io_context)
{
    net::io_context io;
    net::steady_timer work(io);
    {
        net::cancellation_signal op_signal, coroutine_signal;
        start_pending_work(io, op_signal, coroutine_signal, work);
        work.cancel(); // The shielded wait must not outlive its signal.
        io.poll();
    }
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
