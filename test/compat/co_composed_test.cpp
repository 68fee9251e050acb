// C4: shield and the cancellation guard inside co_composed bodies (Asio 1.26+,
// experimental until 1.31: net::experimental::co_composed, then net::co_composed).
// S1, S3, S4 and G1, G2 where they meet.
//
// co_composed checks cancellation itself: once the composed operation's state
// has recorded a request, the next co_await in the body does not start its
// operation (complete_if_cancelled, on by default) and the composed operation
// completes with operation_aborted instead. Its default filter records
// terminal requests only.
#include "shield/support.hpp"

#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)
#if defined(ASIO_SHIELD_STANDALONE)
#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
#include <asio/experimental/co_composed.hpp>
#else
#include <asio/co_composed.hpp>
#endif
#else
#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
#include <boost/asio/experimental/co_composed.hpp>
#else
#include <boost/asio/co_composed.hpp>
#endif
#endif
#endif

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <utility>

BOOST_AUTO_TEST_SUITE(compat)

#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)

using namespace std::chrono_literals;
using asio_shield::shield;
using test::ctype;

namespace {

#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
namespace cc = net::experimental;
#else
namespace cc = net;
#endif

/// What a composed operation of these tests completes with: the first error
/// its body saw, and what its state reported as cancelled at the end.
using composed_signature = void(error_code, unsigned);

template <typename Body, typename CompletionToken>
auto async_composed(net::io_context& io, Body body, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, composed_signature>(
        cc::co_composed<composed_signature>(std::move(body), io), token);
}

struct outcome
{
    int calls = 0;
    error_code ec;
    unsigned cancelled = 0;
};

/// Launches the composed operation with a callback bound to a signal, runs
/// `steps` once the body waits (each in its own handler), runs the context.
template <typename Body>
outcome run_composed(net::io_context& io, net::cancellation_signal& signal, Body body,
                     std::vector<std::function<void()>> steps = {})
{
    outcome out;
    // The body's captures live in `body`, here, for as long as io runs: the
    // co_composed initiation (and the copy of the implementation it holds)
    // is gone once the operation has started, so a capturing lambda must not
    // be the implementation itself.
    async_composed(
        io, [b = &body](auto state) -> void { (*b)(std::move(state)); },
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec, unsigned bits) {
            ++out.calls;
            out.ec = ec;
            out.cancelled = bits;
        }));
    test::run_steps(io, std::move(steps));
    io.run();
    BOOST_TEST(out.calls == 1); // R1
    return out;
}

unsigned bits(net::cancellation_type_t type)
{
    return static_cast<unsigned>(type);
}

} // namespace

BOOST_AUTO_TEST_CASE(C4_co_composed_awaits_shielded_post)
{
    net::io_context io;
    net::cancellation_signal signal;
    const auto out = run_composed(io, signal, [](auto state) -> void {
        // co_composed bodies await only async operations; .operation() gives
        // the shielded one as such (docs/shield.md, "In co_composed bodies").
        co_await net::post(state.get_io_executor(), shield(net::deferred)).operation();
        co_return {error_code(), bits(state.cancelled())};
    });
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.cancelled == 0u);
}

BOOST_AUTO_TEST_CASE(C4_control_co_composed_plain_wait_is_cut)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 10s);
    const auto out = run_composed(io, signal,
                                  [&t](auto state) -> void {
                                      try
                                      {
                                          co_await t.async_wait(net::deferred);
                                      }
                                      catch (const system_error& e)
                                      {
                                          co_return {e.code(), bits(state.cancelled())};
                                      }
                                      co_return {error_code(), bits(state.cancelled())};
                                  },
                                  {[&] { signal.emit(ctype::terminal); }});
    BOOST_TEST(out.ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_co_composed_shielded_wait_survives_terminal) // S1, S4
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 30ms);
    const auto out =
        run_composed(io, signal,
                     [&t](auto state) -> void {
                         try
                         {
                             co_await t.async_wait(shield(net::deferred)).operation();
                         }
                         catch (const system_error& e)
                         {
                             co_return {e.code(), bits(state.cancelled())};
                         }
                         co_return {error_code(), bits(state.cancelled())}; // S4: still recorded
                     },
                     {[&] { signal.emit(ctype::terminal); }});
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.cancelled == bits(ctype::terminal));
}

// S3 in a co_composed body: once a request is recorded, a co_composed body
// completes with operation_aborted at its next suspension (its state's
// complete_if_cancelled), before any operation starts, shielded or not; a
// shielded operation cannot change that. Cleanup after cancellation is
// spelled with the guard, which turns that check off for its scope.
BOOST_AUTO_TEST_CASE(C4_co_composed_cleanup_after_cancellation_under_guard) // S3, G0, G2
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer first(io, 10s);
    net::steady_timer second(io, 20ms);
    bool second_ran = false;
    const auto out =
        run_composed(io, signal,
                     [&](auto state) -> void {
                         error_code ec;
                         try
                         {
                             co_await first.async_wait(net::deferred); // cut: records terminal
                         }
                         catch (const system_error& e)
                         {
                             ec = e.code();
                         }
                         {
                             auto guard = asio_shield::guard_cancellation(state);
                             co_await second.async_wait(shield(net::deferred)).operation();
                             second_ran = true;
                         }
                         co_return {ec, bits(state.cancelled())};
                     },
                     {[&] { signal.emit(ctype::terminal); }});
    BOOST_TEST(second_ran);
    BOOST_TEST(out.ec == net::error::operation_aborted); // the first, plain wait
    BOOST_TEST(out.cancelled == bits(ctype::terminal));
}

// The guard for co_composed bodies: a plain call taking the state. Under it,
// waits run to completion although the composed operation's slot emitted
// terminal, also a wait started after the request was recorded (G1); once it
// ends, the state reports the request again (G2).
BOOST_AUTO_TEST_CASE(C4_co_composed_guard_defers_terminal) // G1, G2
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io);
    unsigned inside = ~0u;
    int waits = 0;
    const auto out = run_composed(
        io, signal,
        [&](auto state) -> void {
            try
            {
                {
                    auto guard = asio_shield::guard_cancellation(state);
                    t.expires_after(30ms);
                    co_await t.async_wait(net::deferred); // the request arrives meanwhile
                    ++waits;
                    t.expires_after(10ms);
                    co_await t.async_wait(net::deferred); // started with it recorded
                    ++waits;
                    inside = bits(guard.cancellation_requested());
                }
            }
            catch (const system_error& e)
            {
                co_return {e.code(), bits(state.cancelled())};
            }
            co_return {error_code(), bits(state.cancelled())}; // G2: nothing lost
        },
        {[&] { signal.emit(ctype::terminal); }});
    BOOST_TEST(waits == 2);
    BOOST_TEST(!out.ec);
    BOOST_TEST(inside == bits(ctype::terminal)); // G7
    BOOST_TEST(out.cancelled == bits(ctype::terminal));
}

BOOST_AUTO_TEST_CASE(C4_co_composed_request_in_force_after_guard) // G2
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io);
    net::steady_timer after(io, 10s);
    bool after_started = false;
    const auto out = run_composed(io, signal,
                                  [&](auto state) -> void {
                                      {
                                          auto guard = asio_shield::guard_cancellation(state);
                                          t.expires_after(30ms);
                                          co_await t.async_wait(net::deferred);
                                      }
                                      // Plain co_composed behaviour again: this co_await does not
                                      // start its wait; the composed operation completes with
                                      // operation_aborted.
                                      after_started = true;
                                      co_await after.async_wait(net::deferred);
                                      co_return {error_code(), bits(state.cancelled())};
                                  },
                                  {[&] { signal.emit(ctype::terminal); }});
    BOOST_TEST(after_started);
    BOOST_TEST(out.ec == net::error::operation_aborted);
}

// A handler with no cancellation slot: nothing can be requested, and the guard
// does nothing, in either form. Debug builds check that guards end innermost
// first (R4); a guard with nothing to guard must not trip that check.
BOOST_AUTO_TEST_CASE(C4_co_composed_guard_for_handler_without_slot) // G0, R4
{
    net::io_context io;
    int calls = 0;
    error_code result = net::error::would_block;
    async_composed(
        io,
        [](auto state) -> void {
            {
                auto guard = asio_shield::guard_cancellation(state);
                co_await net::post(state.get_io_executor(), net::deferred);
            }
            {
                auto guard = asio_shield::guard_cancellation_for(state, 1s);
                co_await net::post(state.get_io_executor(), net::deferred);
            }
            co_return {error_code(), bits(state.cancelled())};
        },
        [&](error_code ec, unsigned) {
            ++calls;
            result = ec;
        });
    io.run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(!result);
}

#else
// co_composed needs Asio 1.26 (Boost 1.81) with co_await support.
#endif

BOOST_AUTO_TEST_SUITE_END()
