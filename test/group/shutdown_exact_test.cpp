// J6 to the nanosecond: the two-stage shutdown's grace and hard deadlines,
// and T7 across it, on test::manual_clock (the library is compiled into this
// executable with ASIO_SHIELD_GRACE_CLOCK). Time moves only when a case
// advances it; each case checks one tick before a deadline and the deadline.
#include "common/co_test.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/shield.hpp>
#include <asio_shield/task_group.hpp>

#include <optional>
#include <ostream>
#include <type_traits>
#include <vector>

using asio_shield::task_group;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;

// Failed checks print the types as their bits.
ASIO_SHIELD_NET_NS_BEGIN
inline std::ostream& operator<<(std::ostream& os, cancellation_type t)
{
    return os << static_cast<unsigned>(t);
}
ASIO_SHIELD_NET_NS_END
using test::advance_by;
using test::manual_clock;
using test::manual_timer;
using test::settle;

static_assert(std::is_same_v<asio_shield::detail::grace_clock, manual_clock>,
              "this executable must build the library on the manual clock");

namespace {

constexpr manual_clock::duration tick{1};

struct fresh_clock
{
    fresh_clock() { manual_clock::reset(); }
};

struct shutdown_result
{
    std::optional<error_code> ec;
    std::size_t left = 999;
    manual_clock::time_point at{};
};

auto record(shutdown_result& r)
{
    return [&r](error_code ec, std::size_t left) {
        r.ec = ec;
        r.left = left;
        r.at = manual_clock::now();
    };
}

/// What reached a session's waits: the type, whether marked as a passed
/// deadline (T7), and when.
struct arrivals
{
    std::vector<ctype> types;
    std::vector<bool> expired;
    std::vector<manual_clock::time_point> at;
};

/// A session that lets every type in and waits `n` times on a timer that
/// never expires by itself, recording each request that cuts a wait.
net::awaitable<void> waits_n_times(int n, arrivals& a)
{
    co_await net::this_coro::throw_if_cancelled(false);
    for (int i = 0; i < n; ++i)
    {
        co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
        manual_timer t(co_await net::this_coro::executor, 10000h);
        co_await t.async_wait(test::as_tuple(net::use_awaitable));
        const ctype seen = (co_await net::this_coro::cancellation_state).cancelled();
        a.types.push_back(seen);
        a.at.push_back(manual_clock::now());
    }
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(group_exact, fresh_clock)

// J6: graceful type at the call, terminal exactly `grace` later, completion
// with the count left exactly `hard` after that.
BOOST_AUTO_TEST_CASE(J6_stages_at_their_exact_times)
{
    net::io_context io;
    task_group g(io);
    arrivals listening;
    g.spawn(io, waits_n_times(2, listening)); // Ends on the second request.
    manual_timer gate(io, 10000h);
    bool stubborn_ended = false;
    g.spawn(
        io,
        [&]() -> net::awaitable<void> {
            co_await gate.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
        },
        [&](std::exception_ptr) { stubborn_ended = true; });
    settle(io);
    const auto t0 = manual_clock::now();
    shutdown_result r;
    g.async_shutdown(ctype::total, 100ms, 50ms, record(r));
    settle(io);
    BOOST_TEST(listening.types == std::vector<ctype>{ctype::total});
    BOOST_TEST((listening.at.at(0) == t0));

    advance_by(io, 100ms - tick);
    BOOST_TEST(listening.types.size() == 1u); // Not yet terminal.
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(listening.types.size() == 2u);
    BOOST_TEST((listening.types[1] & ctype::terminal) == ctype::terminal);
    BOOST_TEST((listening.at[1] == t0 + 100ms));

    advance_by(io, 50ms - tick);
    BOOST_TEST(!r.ec.has_value()); // The hard deadline is not there yet.
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(r.ec.has_value());
    BOOST_TEST(*r.ec == net::error::timed_out);
    BOOST_TEST(r.left == 1u); // The shielded session: still running, not freed.
    BOOST_TEST((r.at == t0 + 150ms));
    BOOST_TEST(!stubborn_ended);
    gate.cancel();
    settle(io);
    BOOST_TEST(stubborn_ended);
    BOOST_TEST(g.size() == 0u);
}

// J6: the group empties before the grace deadline: the shutdown completes
// then, with 0, and no stage follows.
BOOST_AUTO_TEST_CASE(J6_completes_when_the_last_session_ends_before_the_deadline)
{
    net::io_context io;
    task_group g(io);
    g.spawn(io, [&]() -> net::awaitable<void> {
        manual_timer t(co_await net::this_coro::executor, 30ms);
        // Shielded: the graceful request does not end it; it ends at 30 ms.
        co_await t.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
    });
    settle(io);
    const auto t0 = manual_clock::now();
    shutdown_result r;
    g.async_shutdown(ctype::terminal, 100ms, 50ms, record(r));
    advance_by(io, 30ms);
    BOOST_TEST_REQUIRE(r.ec.has_value());
    BOOST_TEST(!*r.ec);
    BOOST_TEST(r.left == 0u);
    BOOST_TEST((r.at == t0 + 30ms));
    advance_by(io, 1h); // Nothing else happens (ASan: no timer left on freed state).
}

// J6, T7: a guard with a long grace period of its own in a session gives way
// at the shutdown's grace deadline, not at its own: the shutdown's terminal
// comes marked as a passed deadline.
BOOST_AUTO_TEST_CASE(J6_T7_guard_in_a_session_gives_way_at_the_shutdown_deadline)
{
    net::io_context io;
    task_group g(io);
    std::optional<manual_clock::time_point> cut_at;
    g.spawn(io, [&]() -> net::awaitable<void> {
        auto guard = co_await asio_shield::guard_cancellation_for(10s);
        manual_timer t(co_await net::this_coro::executor, 10000h);
        co_await t.async_wait(test::as_tuple(net::use_awaitable));
        cut_at = manual_clock::now();
    });
    settle(io);
    const auto t0 = manual_clock::now();
    shutdown_result r;
    // The graceful terminal starts the guard's own 10 s; the shutdown's
    // terminal at 100 ms ends it.
    g.async_shutdown(ctype::terminal, 100ms, 1s, record(r));
    advance_by(io, 100ms - tick);
    BOOST_TEST(!cut_at.has_value());
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(cut_at.has_value());
    BOOST_TEST((*cut_at == t0 + 100ms));
    BOOST_TEST_REQUIRE(r.ec.has_value());
    BOOST_TEST(!*r.ec);
    BOOST_TEST(r.left == 0u);
    BOOST_TEST((r.at == t0 + 100ms));
}

// J6, T5: extreme durations saturate: hours::max() is no deadline; zero and
// negative ones pass at once.
BOOST_AUTO_TEST_CASE(J6_extreme_durations)
{
    net::io_context io;
    task_group g(io);
    manual_timer gate(io, 10000h);
    g.spawn(io, [&]() -> net::awaitable<void> {
        co_await gate.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
    });
    settle(io);
    shutdown_result r;
    g.async_shutdown(ctype::total, std::chrono::hours::max(), -1s, record(r));
    advance_by(io, 1000h);
    BOOST_TEST(!r.ec.has_value()); // Still in the graceful stage.
    gate.cancel();
    settle(io);
    BOOST_TEST_REQUIRE(r.ec.has_value());
    BOOST_TEST(!*r.ec);

    task_group h(io);
    manual_timer gate2(io, 10000h);
    h.spawn(io, [&]() -> net::awaitable<void> {
        co_await gate2.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
    });
    settle(io);
    shutdown_result s;
    const auto t0 = manual_clock::now();
    h.async_shutdown(ctype::total, -std::chrono::hours::max(), std::chrono::nanoseconds::min(),
                     record(s));
    settle(io);
    BOOST_TEST_REQUIRE(s.ec.has_value());
    BOOST_TEST(*s.ec == net::error::timed_out);
    BOOST_TEST(s.left == 1u);
    BOOST_TEST((s.at == t0));
    gate2.cancel();
    settle(io);
}

BOOST_AUTO_TEST_SUITE_END()
