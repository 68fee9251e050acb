// T4: once a grace deadline has passed, cancellation stays in force for the
// rest of the operation. multi_step installs a new handler per step and none
// between steps (as Boost.Beast's message_generator write does), so a single
// emission at a deadline that falls between steps reaches nobody.
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::shield_for;
using ct = net::cancellation_type;
namespace kit = test::hostile;

namespace {

const error_code aborted = net::error::operation_aborted;

/// Runs until the handlers due by now have run: a zero-length grace period
/// started earlier is due before a 1 ms timer started now (ordered by expiry,
/// not by how long anything takes).
void run_past_due_timers(net::io_context& io)
{
    net::steady_timer later(io, 1ms);
    later.async_wait([](error_code) {});
    io.restart();
    io.run();
}

/// Ends whatever steps are left, so that the handler runs.
void finish_all(net::io_context& io, kit::control& c)
{
    for (int i = 0; i < 10 && c.pending(); ++i)
    {
        c.drive();
        io.restart();
        io.run();
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

// Control: the operation itself behaves as described. A request during a step
// cuts that step; one between steps reaches nobody (plain Asio).
BOOST_AUTO_TEST_CASE(T4_control_multi_step_cut_only_while_a_step_is_pending)
{
    net::io_context io;
    kit::control c;
    c.hold_between_steps = true;
    net::cancellation_signal sig;
    std::optional<error_code> ec;
    kit::async_multi_step(io.get_executor(), c, 3,
                          net::bind_cancellation_slot(sig.slot(), [&](error_code e) { ec = e; }));
    c.advance();
    sig.emit(ct::terminal); // Between steps 1 and 2: lost.
    BOOST_TEST(c.received.empty());
    c.next();
    sig.emit(ct::terminal); // During step 2: cuts it.
    io.run();
    BOOST_TEST(c.step_cut == 2);
    BOOST_TEST(c.steps_done == 1);
    BOOST_TEST(kit::what(ec) == kit::what(aborted));
}

// Expected to fail until deadlines are re-delivered (T4 is later work): today
// the deadline's single emission is lost between steps and the operation runs
// to its end. The five assertions marked below are the ones that fail today.
BOOST_AUTO_TEST_CASE(T4_shield_for_deadline_between_steps_cuts_next_step,
                     *boost::unit_test::label("T4") * boost::unit_test::expected_failures(5))
{
    net::io_context io;
    kit::control c;
    c.hold_between_steps = true;
    net::cancellation_signal sig;
    kit::outcome out;
    kit::async_multi_step(
        io.get_executor(), c, 3,
        shield_for(0s, net::bind_cancellation_slot(
                           sig.slot(), kit::recording_handler(out, io.get_executor()))));
    sig.emit(ct::terminal); // Held; the deadline is due at once.
    c.advance();            // Step 1 ends; nothing is installed until next().
    run_past_due_timers(io);
    BOOST_TEST_REQUIRE(out.calls == 0);

    c.next(); // Step 2 waits: the deadline has passed, so it must be cut.
    io.restart();
    io.run();

    BOOST_TEST(out.calls == 1);                          // fails today
    BOOST_TEST(kit::what(out.ec) == kit::what(aborted)); // fails today
    BOOST_TEST(c.step_cut == 2);                         // fails today
    BOOST_TEST(c.steps_done == 1);                       // holds today
    BOOST_TEST(!c.step_pending());                       // fails today

    finish_all(io, c);
    BOOST_TEST_MESSAGE("T4 multi_step: steps done " << c.steps_done << ", step cut " << c.step_cut
                                                    << ", handler error "
                                                    << (out.ec ? out.ec->message() : "none"));
    BOOST_TEST(c.steps_done == 1); // fails today: the operation ran to its end
    BOOST_TEST(out.calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
