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

// The deadline passes between two steps, when the one emission reaches nobody;
// the next step is cut all the same (T4: the request is re-delivered to the
// handler the operation installs next).
BOOST_AUTO_TEST_CASE(T4_shield_for_deadline_between_steps_cuts_next_step)
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

    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(aborted));
    BOOST_TEST(c.step_cut == 2);                        
    BOOST_TEST(c.steps_done == 1);
    BOOST_TEST(!c.step_pending());                      

    finish_all(io, c);
    BOOST_TEST_MESSAGE("T4 multi_step: steps done " << c.steps_done << ", step cut " << c.step_cut
                                                    << ", handler error "
                                                    << (out.ec ? out.ec->message() : "none"));
    BOOST_TEST(c.steps_done == 1);
    BOOST_TEST(out.calls == 1);
}

// T4: a request made after the deadline, while no step is pending, is kept
// for the next step together with the one the deadline delivered.
BOOST_AUTO_TEST_CASE(T4_shield_for_request_after_deadline_reaches_next_step)
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
    sig.emit(ct::terminal);
    c.advance();
    run_past_due_timers(io);
    sig.emit(ct::partial); // After the deadline, between steps.
    BOOST_TEST(c.received.empty());

    c.next();
    io.restart();
    io.run();
    BOOST_TEST_REQUIRE(c.received.size() == 1u);
    BOOST_TEST((c.received.front() == (ct::terminal | ct::partial)));
    BOOST_TEST(c.step_cut == 2);
    BOOST_TEST(out.calls == 1);
}

// T4, E1: an async_compose operation keeps its cancellation_state's handler
// in the slot it was given until it completes, and reaches into it then. The
// deadline's delivery must leave that handler in place (found with
// Boost.Beast's message_generator write, an async_compose operation: replacing
// the handler was a use-after-free that the sanitizer legs report).
BOOST_AUTO_TEST_CASE(T4_shield_for_deadline_leaves_an_async_compose_state_in_place)
{
    net::io_context io;
    net::steady_timer inner(io, std::chrono::hours(1));
    net::cancellation_signal sig;
    std::optional<error_code> result;
    net::cancellation_type_t seen = ct::none;
    auto op = [&](auto&& token) {
        return net::async_compose<decltype(token), void(error_code)>(
            [&, started = false](auto& self, error_code ec = {}) mutable {
                if (!started)
                {
                    started = true;
                    inner.async_wait(std::move(self));
                    return;
                }
                // (self.cancelled() is protected in Asio 1.22; the state is public.)
                seen = self.get_cancellation_state().cancelled();
                self.complete(ec);
            },
            token, io);
    };
    op(shield_for(0s, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) { result = ec; })));
    sig.emit(ct::terminal); // Held; the deadline is due at once.
    io.run();
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(kit::what(result) == kit::what(aborted));
    BOOST_TEST((seen == ct::terminal)); // The composed operation's own record.
}

BOOST_AUTO_TEST_SUITE_END()
