// C4: shield composed with cancel_after / cancel_at (Asio 1.31+), in both
// orders, with callbacks, use_awaitable and deferred, on steady_timer waits
// and post. S1 and S2 where they meet.
//
// Which order does what follows from Asio's impl/cancel_after.hpp and
// detail/timed_cancel_op.hpp: of two token adapters, the one written outside
// wraps the initiation, so the handler it builds is the one the operation
// receives; the one written inside only sees the user's handler.
//
// - cancel_after(d, shield(h)): cancel_after's timed_cancel_op holds the
//   shielded handler. Its slot is hidden, so no cancel proxy goes into the
//   caller's slot: what the caller emits reaches nothing. The operation gets
//   cancel_after's own handler, whose slot is cancel_after's inner signal, so
//   the timeout still cuts it (operation_aborted once d has passed). This is
//   the order for "not cancellable from outside, but bounded in time".
// - shield(cancel_after(d, h)): the shield wraps cancel_after's handler and
//   hides its slot (the inner signal) from the operation. cancel_after's timer
//   fires into that signal, and the caller's slot reaches cancel_after's
//   proxy, which forwards into the same signal: nothing listens. The
//   operation completes naturally; cancel_after has no effect.
//
// Every case checks an outcome (error code, exception, which handler ran).
// Cases that must be cut wait on a 10 s timer: if the cut never came, they
// would end after 10 s with success and fail. Cases that must not be cut
// wait a few tens of milliseconds, longer than the cancel_after period, so a
// timeout that leaked through would fire first.
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

BOOST_AUTO_TEST_SUITE(compat)

#if defined(ASIO_SHIELD_HAS_CANCEL_AFTER) // cancel_after / cancel_at: Asio 1.31 (Boost 1.86)

using namespace std::chrono_literals;
using asio_shield::shield;
using test::ctype;

namespace {

/// Starts a wait of `wait` on a fresh timer with the token `make(handler)`
/// builds around a recording callback bound to `signal`'s slot, emits a
/// terminal request on `signal` once the wait is pending, and runs the
/// context to the end; returns the wait's result.
template <typename MakeToken>
error_code run_wait(std::chrono::milliseconds wait, MakeToken make)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, wait);
    std::optional<error_code> result;
    int calls = 0;
    t.async_wait(make(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
        result = ec;
        ++calls;
    })));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(calls == 1); // R1
    return *result;
}

} // namespace

// Controls: without a shield, this Asio's cancel_after cuts the wait, and so
// does the caller's slot; what the shielded cases below show is the shield's.
BOOST_AUTO_TEST_CASE(C4_control_cancel_after_alone_cuts_the_wait)
{
    net::io_context io;
    net::steady_timer t(io, 10s);
    std::optional<error_code> result;
    t.async_wait(net::cancel_after(30ms, [&](error_code ec) { result = ec; }));
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(*result == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_control_caller_slot_reaches_cancel_after)
{
    const auto ec = run_wait(10s, [](auto h) { return net::cancel_after(10s, std::move(h)); });
    BOOST_TEST(ec == net::error::operation_aborted);
}

// cancel_after outside: the timeout cuts, the caller does not.
BOOST_AUTO_TEST_CASE(C4_cancel_after_outside_shield_still_times_out)
{
    const auto ec =
        run_wait(10s, [](auto h) { return net::cancel_after(30ms, shield(std::move(h))); });
    BOOST_TEST(ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_cancel_after_outside_shield_holds_back_caller_slot) // S1
{
    const auto ec =
        run_wait(50ms, [](auto h) { return net::cancel_after(10s, shield(std::move(h))); });
    BOOST_TEST(!ec);
}

// shield outside: neither the timeout nor the caller cuts.
BOOST_AUTO_TEST_CASE(C4_shield_outside_cancel_after_completes_naturally) // S1
{
    const auto ec =
        run_wait(100ms, [](auto h) { return shield(net::cancel_after(30ms, std::move(h))); });
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(C4_cancel_at_outside_shield_still_times_out)
{
    const auto ec = run_wait(10s, [](auto h) {
        return net::cancel_at(test::steady::now() + 30ms, shield(std::move(h)));
    });
    BOOST_TEST(ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_cancel_at_outside_shield_holds_back_caller_slot) // S1
{
    const auto ec = run_wait(50ms, [](auto h) {
        return net::cancel_at(test::steady::now() + 10s, shield(std::move(h)));
    });
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(C4_shield_outside_cancel_at_completes_naturally) // S1
{
    const auto ec = run_wait(100ms, [](auto h) {
        return shield(net::cancel_at(test::steady::now() + 30ms, std::move(h)));
    });
    BOOST_TEST(!ec);
}

// post cannot be cancelled: both orders compile and the handler runs once, on
// the context (S2: its executor is kept).
BOOST_AUTO_TEST_CASE(C4_post_with_cancel_after_and_shield_both_orders) // S2
{
    net::io_context io;
    int inner = 0;
    int outer = 0;
    net::post(io, net::cancel_after(30ms, shield([&] {
                                        BOOST_TEST(io.get_executor().running_in_this_thread());
                                        ++inner;
                                    })));
    net::post(io, shield(net::cancel_after(30ms, [&] {
                  BOOST_TEST(io.get_executor().running_in_this_thread());
                  ++outer;
              })));
    io.run();
    BOOST_TEST(inner == 1);
    BOOST_TEST(outer == 1);
}

// use_awaitable: the caller is the coroutine's parent (its slot is `signal`).
CO_CANCELLABLE_TEST_CASE(C4_use_awaitable_cancel_after_outside_shield_times_out)
{
    net::steady_timer t(io, 10s);
    bool aborted = false;
    try
    {
        co_await t.async_wait(net::cancel_after(30ms, shield(net::use_awaitable)));
    }
    catch (const system_error& e)
    {
        aborted = test::is_aborted(e);
    }
    BOOST_TEST(aborted);
}

CO_CANCELLABLE_TEST_CASE(C4_use_awaitable_cancel_after_outside_shield_holds_back_parent) // S1, S4
{
    net::steady_timer t(io, 50ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(net::cancel_after(10s, shield(net::use_awaitable))); // S1: no exception
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

CO_CANCELLABLE_TEST_CASE(C4_use_awaitable_shield_outside_cancel_after_completes) // S1, S4
{
    net::steady_timer t(io, 100ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(shield(net::cancel_after(30ms, net::use_awaitable))); // S1: no exception
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

// deferred, awaited and launched with a callback.
CO_CANCELLABLE_TEST_CASE(C4_deferred_cancel_after_outside_shield_times_out)
{
    net::steady_timer t(io, 10s);
    bool aborted = false;
    try
    {
        co_await t.async_wait(net::cancel_after(30ms, shield(test::deferred)));
    }
    catch (const system_error& e)
    {
        aborted = test::is_aborted(e);
    }
    BOOST_TEST(aborted);
}

CO_CANCELLABLE_TEST_CASE(C4_deferred_shield_outside_cancel_after_completes) // S1, S4
{
    net::steady_timer t(io, 100ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(shield(net::cancel_after(30ms, test::deferred))); // S1: no exception
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

BOOST_AUTO_TEST_CASE(C4_deferred_launched_with_callback_both_orders)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer timed(io, 10s);
    net::steady_timer natural(io, 100ms);
    std::optional<error_code> timed_result;
    std::optional<error_code> natural_result;
    auto timed_op = timed.async_wait(net::cancel_after(30ms, shield(test::deferred)));
    auto natural_op = natural.async_wait(shield(net::cancel_after(30ms, test::deferred)));
    std::move(timed_op)([&](error_code ec) { timed_result = ec; });
    std::move(natural_op)(
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { natural_result = ec; }));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(timed_result);
    BOOST_REQUIRE(natural_result);
    BOOST_TEST(*timed_result == net::error::operation_aborted); // cut by cancel_after
    BOOST_TEST(!*natural_result); // neither cancel_after nor the slot reached the wait
}

#else
// cancel_after / cancel_at need Asio 1.31 (Boost 1.86).
#endif

BOOST_AUTO_TEST_SUITE_END()
