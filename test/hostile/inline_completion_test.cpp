// E1: an operation may complete from inside its own cancellation handler,
// inline, during the emit that reached it. Whatever relay the library put in
// the slot must not touch its own members after forwarding a request: the
// completion clears the slot and frees the relay. The requests below are
// emitted outside io_context::run(), where Asio frees slot memory at once
// instead of recycling it, so AddressSanitizer sees any such access.
#include "common/co_test.hpp"
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::guard_cancellation_for;
using asio_shield::shield_for;
using asio_shield::slot_guard;
using ct = net::cancellation_type;
namespace kit = test::hostile;

namespace {

const error_code aborted = net::error::operation_aborted;

/// Runs what is left; the relay must have left no timer or handler behind.
void check_drained(net::io_context& io)
{
    io.restart();
    io.run();
    BOOST_TEST(io.stopped());
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_AUTO_TEST_CASE(E1_shield_partial_mask_op_completes_inside_forwarded_emit)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    net::cancellation_signal sig;
    kit::async_complete_in_cancel_handler(
        io.get_executor(), c,
        asio_shield::shield(
            net::bind_cancellation_slot(sig.slot(), kit::recording_handler(out, io.get_executor())),
            ct::terminal));
    BOOST_TEST_REQUIRE(c.slot_connected); // S5: a partial mask keeps a slot.

    sig.emit(ct::terminal | ct::partial);

    // The partial bit passed and completed the operation inside the emit.
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(aborted));
    BOOST_TEST_REQUIRE(c.received.size() == 1u);
    BOOST_TEST(static_cast<unsigned>(c.received[0]) == static_cast<unsigned>(ct::partial));
    sig.emit(ct::all); // A later request reaches nothing that was freed.
    check_drained(io);
    BOOST_TEST(out.calls == 1);
}

BOOST_AUTO_TEST_CASE(E1_shield_for_partial_mask_op_completes_inside_forwarded_emit)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    net::cancellation_signal sig;
    kit::async_complete_in_cancel_handler(
        io.get_executor(), c,
        shield_for(
            10s,
            net::bind_cancellation_slot(sig.slot(), kit::recording_handler(out, io.get_executor())),
            ct::terminal));

    // partial passes at once and completes the operation inside the emit; the
    // held terminal part must not start a grace timer for an operation that is
    // gone (nor touch the relay that completion freed).
    sig.emit(ct::terminal | ct::partial);

    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(aborted));
    check_drained(io);
    BOOST_TEST(out.calls == 1);
}

BOOST_AUTO_TEST_CASE(E1_shield_for_deadline_expiry_completes_inline)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    net::cancellation_signal sig;
    // A zero grace period: the deadline is due at the first request, so the
    // outcome does not depend on timing.
    kit::async_complete_in_cancel_handler(
        io.get_executor(), c,
        shield_for(0s, net::bind_cancellation_slot(
                           sig.slot(), kit::recording_handler(out, io.get_executor()))));
    sig.emit(ct::terminal);
    BOOST_TEST(out.calls == 0); // Held (T1).

    io.run(); // The deadline fires and the forwarded request completes it inline.

    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(aborted));
    BOOST_TEST(out.on_expected_executor); // R1, T3: the timer ran on its executor.
    check_drained(io);
}

BOOST_AUTO_TEST_CASE(E1_slot_guard_release_forwards_into_inline_completion)
{
    net::io_context io;
    kit::control c;
    net::cancellation_signal sig;
    std::optional<slot_guard> guard(std::in_place, sig.slot());
    int calls = 0;
    std::optional<error_code> ec;
    // As a composed operation does when its inner operation completes: its
    // state (with the guard) goes, and so does the outer slot's handler.
    kit::async_complete_in_cancel_handler(
        io.get_executor(), c, net::bind_cancellation_slot(guard->slot(), [&](error_code e) {
            ++calls;
            ec = e;
            guard.reset();
            sig.slot().clear();
        }));
    sig.emit(ct::terminal);
    BOOST_TEST(calls == 0); // G8: recorded, not forwarded.

    guard->release(); // Forwards into the operation, which completes inline.

    BOOST_TEST(calls == 1);
    BOOST_TEST(kit::what(ec) == kit::what(aborted));
    BOOST_TEST(!guard.has_value());
    sig.emit(ct::all);
    check_drained(io);
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(E1_slot_guard_destruction_forwards_into_inline_completion)
{
    net::io_context io;
    kit::control c;
    net::cancellation_signal sig;
    std::optional<slot_guard> guard(std::in_place, sig.slot());
    int calls = 0;
    kit::async_complete_in_cancel_handler(
        io.get_executor(), c, net::bind_cancellation_slot(guard->slot(), [&](error_code) {
            ++calls;
            sig.slot().clear(); // Frees the relay while the guard is ending.
        }));
    sig.emit(ct::terminal);

    guard.reset(); // The destructor forwards; the operation completes inline.

    BOOST_TEST(calls == 1);
    sig.emit(ct::all);
    check_drained(io);
    BOOST_TEST(calls == 1);
}

// The guard's deadline cuts the operation, which completes inline inside the
// guard's own emission; the coroutine resumes there and leaves the guarded
// scope before the guard's expiry code has returned.
BOOST_AUTO_TEST_CASE(E1_guard_for_expiry_completes_inline)
{
    kit::control c;
    bool threw = false;
    bool expired = false;
    int resumed = 0;
    test::run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            {
                auto guard = co_await guard_cancellation_for(0s);
                net::post(io, [&] { sig.emit(ct::terminal); });
                try
                {
                    co_await kit::async_complete_in_cancel_handler(io.get_executor(), c,
                                                                   net::use_awaitable);
                }
                catch (const system_error& e)
                {
                    threw = test::is_aborted(e);
                }
                ++resumed;
                expired = guard.expired();
            } // Ends inside the guard's expiry, on the stack of its emit.
            try
            {
                co_await net::post(io, net::use_awaitable);
            }
            catch (const system_error&)
            {}
        });
    BOOST_TEST(resumed == 1);
    BOOST_TEST(threw); // T2: the deadline cut the operation.
    BOOST_TEST(expired);
    BOOST_TEST(c.completed);
}

BOOST_AUTO_TEST_SUITE_END()
