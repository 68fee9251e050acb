// T6: absolute deadlines (shield_until, guard_cancellation_until) and one
// budget shared by every shield and guard of a session (grace_budget).
//
// No assertion depends on how long anything takes: each compares the moment
// an operation is cut with a witness timer, and Asio runs due timers in the
// order of their expiry. A witness due before the deadline has fired when the
// cut comes; one due after it has not.
#include "grace/grace_support.hpp"

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield_for.hpp>

#include <optional>
#include <string>
#include <vector>

using asio_shield::grace_budget;
using asio_shield::guard_cancellation_for;
using asio_shield::guard_cancellation_until;
using asio_shield::shield_for;
using asio_shield::shield_until;
using namespace test;

namespace {

/// Records, in order, what happened: "cut", "done", or a witness's name.
struct journal
{
    std::vector<std::string> events;

    void witness(net::io_context& io, steady::time_point at, std::string name)
    {
        auto t = std::make_shared<net::steady_timer>(io, at);
        t->async_wait([this, t, name](error_code) { events.push_back(name); });
    }

    std::ptrdiff_t index(const std::string& name) const
    {
        for (std::size_t i = 0; i < events.size(); ++i)
            if (events[i] == name)
                return static_cast<std::ptrdiff_t>(i);
        return -1;
    }
};

/// A wait that only a cancellation ends.
struct long_wait
{
    explicit long_wait(net::io_context& io) : timer(io, std::chrono::hours(1)) {}
    net::steady_timer timer;
    net::cancellation_signal signal;
    std::optional<error_code> result;
};

} // namespace

BOOST_AUTO_TEST_SUITE(until_budget)

BOOST_AUTO_TEST_CASE(T6_shield_until_holds_until_the_time_point_then_cuts)
{
    net::io_context io;
    journal j;
    long_wait w(io);
    const steady::time_point deadline = steady::now() + 150ms;
    w.timer.async_wait(shield_until(deadline, net::bind_cancellation_slot(w.signal.slot(), [&](error_code ec) {
                                        w.result = ec;
                                        j.events.push_back("cut");
                                    })));
    w.signal.emit(ctype::terminal); // Held until the deadline.
    j.witness(io, deadline - 100ms, "before");
    j.witness(io, deadline + 2s, "after");
    io.run_one(); // "before"
    io.run_one(); // the deadline
    io.run_one(); // the handler
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST(*w.result == net::error::operation_aborted);
    BOOST_TEST(j.index("before") == 0);
    BOOST_TEST(j.index("cut") == 1);
    BOOST_TEST(j.index("after") == -1);
}

BOOST_AUTO_TEST_CASE(T6_shield_until_a_past_time_cuts_at_the_first_request_any_clock)
{
    net::io_context io;
    journal j;
    long_wait w(io);
    // A system_clock time point: converted by its distance from now.
    w.timer.async_wait(
        shield_until(std::chrono::system_clock::now() - 1h,
                     net::bind_cancellation_slot(w.signal.slot(), [&](error_code ec) {
                         w.result = ec;
                         j.events.push_back("cut");
                     })));
    j.witness(io, steady::now() + 1s, "witness");
    io.poll();
    BOOST_TEST(!w.result.has_value()); // No request, no cut.
    w.signal.emit(ctype::terminal);
    while (!w.result && io.run_one())
    {
    }
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST(*w.result == net::error::operation_aborted);
    BOOST_TEST(j.index("witness") == -1); // Cut at once, not a second later.
}

BOOST_AUTO_TEST_CASE(T6_shield_until_extreme_time_points_do_not_overflow)
{
    // T5 for time points: the far ends of two clocks.
    net::io_context io;
    long_wait a(io), b(io);
    a.timer.async_wait(shield_until(steady::time_point::max(),
                                    net::bind_cancellation_slot(a.signal.slot(),
                                                                [&](error_code ec) { a.result = ec; })));
    b.timer.async_wait(shield_until(std::chrono::system_clock::time_point::min(),
                                    net::bind_cancellation_slot(b.signal.slot(),
                                                                [&](error_code ec) { b.result = ec; })));
    a.signal.emit(ctype::terminal);
    b.signal.emit(ctype::terminal);
    while (!b.result && io.run_one())
    {
    }
    BOOST_TEST(!a.result.has_value()); // max(): no limit.
    BOOST_TEST_REQUIRE(b.result.has_value());
    BOOST_TEST(*b.result == net::error::operation_aborted); // min(): at once.
    a.timer.cancel();
    io.run();
}

// T6: the budget starts at the first request any of its users holds, and a
// later user is cut at that same deadline, not at its own request plus the
// budget.
BOOST_AUTO_TEST_CASE(T6_budget_is_shared_not_added)
{
    net::io_context io;
    journal j;
    grace_budget budget(300ms);
    BOOST_TEST(!budget.started());
    long_wait first(io), second(io);
    first.timer.expires_after(0s); // Finishes inside the budget.
    first.timer.async_wait(shield_for(budget, net::bind_cancellation_slot(
                                                  first.signal.slot(),
                                                  [&](error_code ec) { first.result = ec; })));
    second.timer.async_wait(shield_for(budget, net::bind_cancellation_slot(
                                                   second.signal.slot(), [&](error_code ec) {
                                                       second.result = ec;
                                                       j.events.push_back("cut");
                                                   })));
    const steady::time_point t0 = steady::now();
    first.signal.emit(ctype::terminal); // Starts the budget's clock.
    BOOST_TEST_REQUIRE(budget.started());
    const steady::time_point deadline = budget.deadline();
    BOOST_TEST((deadline >= t0 + 300ms));

    // The second request comes 100 ms later; with its own 300 ms it would be
    // cut 100 ms after the budget's deadline.
    auto later = std::make_shared<net::steady_timer>(io, deadline - 200ms);
    later->async_wait([&, later](error_code) {
        second.signal.emit(ctype::terminal);
        j.events.push_back("second request");
    });
    j.witness(io, deadline + 50ms, "own deadline would be later");
    while (!second.result && io.run_one())
    {
    }
    BOOST_TEST(!*first.result); // Finished inside the budget.
    BOOST_TEST_REQUIRE(second.result.has_value());
    BOOST_TEST(*second.result == net::error::operation_aborted);
    BOOST_TEST(j.index("second request") == 0);
    BOOST_TEST(j.index("cut") == 1);
    BOOST_TEST(j.index("own deadline would be later") == -1);
    BOOST_TEST((budget.deadline() == deadline)); // Unchanged by the second user.
}

BOOST_AUTO_TEST_CASE(T6_guard_cancellation_until_cuts_the_scope_at_the_time_point)
{
    error_code result;
    bool expired = false;
    journal j;
    run_with_signal([&](net::io_context& io,
                        net::cancellation_signal& sig) -> net::awaitable<void> {
        const steady::time_point deadline = steady::now() + 150ms;
        auto guard = co_await guard_cancellation_until(deadline);
        sig.emit(ctype::terminal);
        j.witness(io, deadline - 100ms, "before");
        j.witness(io, deadline + 2s, "after");
        net::steady_timer work(io, 1h);
        auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
        result = ec;
        j.events.push_back("cut");
        expired = guard.expired();
    });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(expired);
    BOOST_TEST(j.index("before") == 0);
    BOOST_TEST(j.index("cut") == 1);
}

// T6: a write under shield_for(budget) and the cleanup after it under
// guard_cancellation_for(budget) take the budget together.
BOOST_AUTO_TEST_CASE(T6_shield_and_guard_share_one_budget)
{
    error_code cleanup = net::error::would_block;
    journal j;
    run_with_signal([&](net::io_context& io,
                        net::cancellation_signal& sig) -> net::awaitable<void> {
        grace_budget budget(200ms);
        net::steady_timer write(io, 50ms); // Finishes inside the budget.
        emit_after(io.get_executor(), sig, 0ms, ctype::terminal); // Held by the write's shield.
        auto [ec1] = co_await write.async_wait(shield_for(budget, test::as_tuple(net::use_awaitable)));
        BOOST_TEST(!ec1);
        BOOST_TEST_REQUIRE(budget.started());
        const steady::time_point deadline = budget.deadline();
        // Entered at least 50 ms after the budget started: with its own 200 ms
        // the guard would be cut at least 50 ms after the budget's deadline.
        j.witness(io, deadline + 30ms, "guard's own deadline would be later");
        {
            auto guard = co_await guard_cancellation_for(budget); // A request is recorded.
            net::steady_timer close(io, 1h);
            auto [ec2] = co_await close.async_wait(test::as_tuple(net::use_awaitable));
            cleanup = ec2;
            j.events.push_back("cut");
        }
    });
    BOOST_TEST(cleanup == net::error::operation_aborted);
    BOOST_TEST(j.index("cut") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
