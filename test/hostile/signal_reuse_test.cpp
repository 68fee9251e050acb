// E3: one cancellation_signal reused across operations. Asio leaves a
// completed operation's handler installed in the slot; the next plain
// operation that uses the slot replaces it. A shielded operation must leave
// the slot as a plain one would, so that a later emit never reaches the stale
// handler of an operation that is gone.
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::shield;
using asio_shield::shield_for;
using ct = net::cancellation_type;
namespace kit = test::hostile;

namespace {

/// op1: a recording operation bound to `sig`, completed normally; its slot
/// handler stays installed, as Asio's do.
void complete_first_operation(net::io_context& io, kit::control& first,
                              net::cancellation_signal& sig)
{
    int calls = 0;
    kit::async_records_types(io.get_executor(), first,
                             net::bind_cancellation_slot(sig.slot(), [&](error_code) { ++calls; }));
    first.finish();
    io.run();
    io.restart();
    BOOST_TEST_REQUIRE(calls == 1);
    BOOST_TEST_REQUIRE(sig.slot().has_handler()); // Asio would leave it there too.
}

/// op2 on the same slot: a steady_timer wait (an operation that installs its
/// own handler when it is given a connected slot), with `token_for`.
template <typename MakeToken>
void check_no_stale_handler(MakeToken make_token)
{
    net::io_context io;
    kit::control first; // Outlives the signal: the stale handler points here.
    net::cancellation_signal sig;
    complete_first_operation(io, first, sig);

    int calls = 0;
    std::optional<error_code> ec;
    net::steady_timer timer(io, 0s);
    timer.async_wait(make_token(net::bind_cancellation_slot(sig.slot(), [&](error_code e) {
        ++calls;
        ec = e;
    })));
    sig.emit(ct::all); // While op2 is pending.
    BOOST_TEST(first.calls_after_completion == 0);
    io.run();
    BOOST_TEST(calls == 1);
    sig.emit(ct::all); // After op2 completed.
    BOOST_TEST(first.calls_after_completion == 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

// Control: the method detects a stale call when op2 is plain and installs
// nothing (the stale handler then is reached, in plain Asio too).
BOOST_AUTO_TEST_CASE(E3_control_plain_operation_that_installs_nothing_leaves_stale_handler)
{
    net::io_context io;
    kit::control first, second;
    net::cancellation_signal sig;
    complete_first_operation(io, first, sig);
    kit::async_never_installs_handler(io.get_executor(), second,
                                      net::bind_cancellation_slot(sig.slot(), [](error_code) {}));
    sig.emit(ct::all);
    BOOST_TEST(first.calls_after_completion == 1);
    second.finish();
    io.run();
}

BOOST_AUTO_TEST_CASE(E3_control_plain_timer_replaces_stale_handler)
{
    check_no_stale_handler([](auto token) { return token; });
}

BOOST_AUTO_TEST_CASE(E3_shielded_timer_replaces_stale_handler)
{
    check_no_stale_handler([](auto token) { return shield(std::move(token)); });
}

BOOST_AUTO_TEST_CASE(E3_shield_with_partial_mask_replaces_stale_handler)
{
    check_no_stale_handler([](auto token) { return shield(std::move(token), ct::terminal); });
}

BOOST_AUTO_TEST_CASE(E3_shield_for_replaces_stale_handler)
{
    check_no_stale_handler([](auto token) { return shield_for(1h, std::move(token)); });
}

// The stale handler is a real Asio timer's, whose timer is destroyed: plain
// Asio replaces it; reaching it is a use-after-free (AddressSanitizer).
BOOST_AUTO_TEST_CASE(E3_shielded_timer_after_destroyed_timer_on_same_signal)
{
    net::io_context io;
    net::cancellation_signal sig;
    int first_calls = 0;
    {
        net::steady_timer first(io, 0s);
        first.async_wait(
            net::bind_cancellation_slot(sig.slot(), [&](error_code) { ++first_calls; }));
        io.run();
        io.restart();
    } // Its handler stays in the slot, pointing into this timer.
    BOOST_TEST_REQUIRE(first_calls == 1);

    std::optional<error_code> ec;
    net::steady_timer second(io, 0s);
    second.async_wait(
        shield(net::bind_cancellation_slot(sig.slot(), [&](error_code e) { ec = e; })));
    sig.emit(ct::all);
    io.run();
    BOOST_TEST(kit::what(ec) == kit::what(error_code())); // S1: completed naturally.
    sig.emit(ct::all);
}

BOOST_AUTO_TEST_SUITE_END()
