// C3: shield, shield_for and slot_guard in a build with co_await disabled
// (BOOST_ASIO_DISABLE_CO_AWAIT / ASIO_DISABLE_CO_AWAIT on the whole build):
// the headers compile without Asio's coroutine internals, and the callback
// forms keep their contract (S1, S5, T1, G8).
#define BOOST_TEST_MODULE asio_shield_callback_only
#if defined(ASIO_SHIELD_TEST_HEADER_ONLY_BOOST_TEST)
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif
#include "common/print_duration.hpp"

#include <asio_shield/shield.hpp>
#include <asio_shield/shield_for.hpp>
#include <asio_shield/slot_guard.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
using error_code = std::error_code;
#else
#include <boost/asio.hpp>
using error_code = boost::system::error_code;
#endif

#include <chrono>
#include <optional>

namespace net = asio_shield::net;
using ct = net::cancellation_type;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(callback_only)

BOOST_AUTO_TEST_CASE(C3_co_await_really_disabled)
{
#if defined(ASIO_SHIELD_STANDALONE)
    constexpr bool asio_has_co_await =
#if defined(ASIO_HAS_CO_AWAIT)
        true;
#else
        false;
#endif
#else
    constexpr bool asio_has_co_await =
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
        true;
#else
        false;
#endif
#endif
    BOOST_TEST(!asio_has_co_await);
}

// S1: a shielded wait completes with success although its bound signal
// emitted terminal while it was pending.
BOOST_AUTO_TEST_CASE(S1_shielded_timer_wait_survives_terminal)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer timer(io, 20ms);
    std::optional<error_code> result;
    timer.async_wait(asio_shield::shield(
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; })));
    net::post(io, [&] { signal.emit(ct::terminal); });
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
}

// S5: a partial request passes a terminal-only mask and cancels the wait.
BOOST_AUTO_TEST_CASE(S5_partial_request_passes_terminal_mask)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer timer(io, 10s); // cancelled at once when correct
    std::optional<error_code> result;
    timer.async_wait(asio_shield::shield(
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }),
        ct::terminal));
    net::post(io, [&] { signal.emit(ct::partial); });
    const auto start = clock_type::now();
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((clock_type::now() - start) < 5s);
}

// T1: shield_for with a handler bound to an executor: the request is held for
// the grace period, then the operation is cut, long before its natural end.
BOOST_AUTO_TEST_CASE(T1_shield_for_cuts_after_the_grace_period)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer work(io, 10s);
    std::optional<error_code> result;
    clock_type::time_point requested{}, completed{};
    // The slot binder is innermost: plain Asio 1.29.0 cannot nest the other
    // way round (fixed in 1.30).
    work.async_wait(asio_shield::shield_for(
        50ms, net::bind_executor(io.get_executor(),
                                 net::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
                                     completed = clock_type::now();
                                     result = ec;
                                 }))));
    net::post(io, [&] {
        requested = clock_type::now();
        signal.emit(ct::terminal);
    });
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((completed - requested) >= 50ms); // held for the grace period
    BOOST_TEST((completed - requested) < 5s);    // then cut
}

// G8: slot_guard records requests instead of forwarding them while alive,
// and release() forwards what it recorded.
BOOST_AUTO_TEST_CASE(G8_slot_guard_defers_then_forwards)
{
    net::io_context io;
    net::cancellation_signal outer;
    asio_shield::slot_guard guard(outer.slot());
    net::steady_timer first(io, 20ms);
    net::steady_timer second(io, 10s); // cancelled by the release when correct
    std::optional<error_code> first_result, second_result;
    first.async_wait(net::bind_cancellation_slot(guard.slot(), [&](error_code ec) {
        first_result = ec;
        second.async_wait(net::bind_cancellation_slot(
            guard.slot(), [&](error_code ec2) { second_result = ec2; }));
        guard.release();
    }));
    net::post(io, [&] { outer.emit(ct::terminal); });
    io.run();
    BOOST_REQUIRE(first_result);
    BOOST_TEST(!*first_result); // not cut while the guard deferred
    BOOST_TEST((guard.cancellation_requested() == ct::terminal));
    BOOST_REQUIRE(second_result);
    BOOST_TEST(*second_result == net::error::operation_aborted); // forwarded on release
}

BOOST_AUTO_TEST_SUITE_END()
