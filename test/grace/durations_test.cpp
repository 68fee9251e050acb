// T5 (J3 for the group's joins): every duration and every time point, in
// every API that takes one, on the manual clock. Each value is checked against
// the exact moment it must cut:
// - NaN, zero, negative, -inf and everything below the clock's range: at the
//   request itself (for a join, at the call), without the clock moving;
// - +inf and everything past the clock's range: never; 1,000 hours after the
//   request the operation is still held, and it ends with its natural result;
// - any other value: exactly that long after the request (a time point:
//   exactly at it), not one tick earlier.
// A time point whose distance from now is NaN counts as already passed.
// The conversions themselves are checked as constant expressions, for the
// reps and periods whose arithmetic overflows if done naively.
#include "common/co_test.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield_for.hpp>
#include <asio_shield/task_group.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <ratio>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

using asio_shield::grace_budget;
using asio_shield::guard_cancellation_for;
using asio_shield::guard_cancellation_until;
using asio_shield::shield_for;
using asio_shield::shield_until;
using asio_shield::detail::grace_duration;
using asio_shield::detail::saturate;
using asio_shield::detail::to_grace_time;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;
using test::advance_by;
using test::manual_clock;
using test::manual_timer;
using test::settle;

static_assert(std::is_same_v<asio_shield::detail::grace_clock, manual_clock>,
              "this executable must build the library on the manual clock");

namespace {

constexpr manual_clock::duration tick{1};

template <typename Rep, typename Period = std::ratio<1>>
using dur = std::chrono::duration<Rep, Period>;

template <typename T>
constexpr T nan_v = std::numeric_limits<T>::quiet_NaN();
template <typename T>
constexpr T inf_v = std::numeric_limits<T>::infinity();

using hours_ld = dur<long double, std::ratio<3600>>;
using millis_f = dur<float, std::milli>;
using thirds = dur<long long, std::ratio<1, 3>>;
using odd_ticks = dur<long long, std::ratio<1, 999'999'999'989>>; // num * den overflows intmax_t

// ---------------------------------------------------------------------------
// The conversions as constant expressions (T5): no overflow, no NaN reaches an
// integer, whatever the rep's width or the period.

constexpr grace_duration nmax = grace_duration::max();
constexpr grace_duration nmin = grace_duration::min();

// NaN: at the first request, like zero.
static_assert(saturate(dur<double>(nan_v<double>)) == 0ns);
static_assert(saturate(dur<double>(-nan_v<double>)) == 0ns);
static_assert(saturate(millis_f(nan_v<float>)) == 0ns);
static_assert(saturate(hours_ld(nan_v<long double>)) == 0ns);
// Infinities and finite values past the range saturate.
static_assert(saturate(dur<double>(inf_v<double>)) == nmax);
static_assert(saturate(dur<double>(-inf_v<double>)) == nmin);
static_assert(saturate(millis_f(inf_v<float>)) == nmax);
static_assert(saturate(hours_ld(-inf_v<long double>)) == nmin);
static_assert(saturate(dur<double>::max()) == nmax);
static_assert(saturate(dur<double>::min()) == nmin); // lowest(), not the smallest positive
static_assert(saturate(millis_f::max()) == nmax);
static_assert(saturate(hours_ld::max()) == nmax);
static_assert(saturate(dur<double>(9.3e9)) == nmax); // 295 years
static_assert(saturate(dur<double>(-9.3e9)) == nmin);
static_assert(saturate(dur<double, std::nano>(0x1p63)) == nmax); // one past the last tick
static_assert(saturate(dur<double, std::nano>(-0x1p63)) == nmin);
// Integer reps of every width, at both ends.
static_assert(saturate(std::chrono::hours::max()) == nmax);
static_assert(saturate(std::chrono::hours::min()) == nmin);
static_assert(saturate(-std::chrono::hours::max()) == nmin);
static_assert(saturate(std::chrono::nanoseconds::max()) == nmax);
static_assert(saturate(std::chrono::nanoseconds::min()) == nmin);
static_assert(saturate(std::chrono::seconds::max()) == nmax);
static_assert(saturate(dur<std::int8_t>::max()) == 127s);
static_assert(saturate(dur<std::int8_t>::min()) == -128s);
static_assert(saturate(dur<std::int32_t, std::ratio<86400>>::min()) == nmin);
static_assert(saturate(dur<std::uint16_t, std::milli>::max()) == 65535ms);
static_assert(saturate(dur<std::uint32_t>::max()) == 4294967295s);
static_assert(saturate(dur<std::uint64_t>::max()) == nmax);
static_assert(saturate(dur<std::uint64_t, std::pico>::max()) ==
              grace_duration(18'446'744'073'709'551)); // 2^64 - 1 ps, truncated
static_assert(saturate(dur<unsigned>::min()) == 0ns);
// In range, though count * 10^9 is not: computed without the overflow.
static_assert(saturate(thirds(27'000'000'000)) == grace_duration(9'000'000'000'000'000'000));
static_assert(saturate(thirds(-27'000'000'000)) == grace_duration(-9'000'000'000'000'000'000));
static_assert(saturate(thirds(27'700'000'000)) == nmax); // 9.233e18 ns
static_assert(saturate(thirds(1)) == 333'333'333ns);
static_assert(saturate(thirds(-1)) == -333'333'333ns); // truncated towards zero
static_assert(saturate(odd_ticks(1'999'999'999'978)) == 2s);
static_assert(saturate(odd_ticks::max()) == 9'223'372'036'956'232ns); // about 107 days
// Ordinary values, exactly.
static_assert(saturate(dur<double>(0.25)) == 250ms);
static_assert(saturate(millis_f(250.0f)) == 250ms);
static_assert(saturate(hours_ld(0.5L)) == 30min);
static_assert(saturate(dur<double, std::micro>(1.5)) == 1500ns);
static_assert(saturate(dur<float, std::pico>(2500.0f)) == 2ns); // truncated, as duration_cast
static_assert(saturate(dur<double>(-0.0)) == 0ns);
static_assert(saturate(dur<double>(-1e-300)) == 0ns);

// ---------------------------------------------------------------------------
// The timeline each API must show.

enum class cut
{
    at_once, ///< at the request (a join: at the call)
    after,   ///< `offset` after the request (a time point: after the call)
    never    ///< held until the operation ends by itself
};

struct expect
{
    cut kind;
    manual_clock::duration offset{};
};

constexpr expect at_once{cut::at_once};
constexpr expect never{cut::never};
constexpr expect after(manual_clock::duration d)
{
    return {cut::after, d};
}

template <typename Value>
struct entry
{
    const char* name;
    Value value;
    expect outcome;
};

template <typename Value>
entry(const char*, Value, expect) -> entry<Value>;

/// Durations: each kind of value, in several reps and periods.
auto duration_cases()
{
    return std::tuple{
        entry{"NaN s (double)", dur<double>(nan_v<double>), at_once},
        entry{"NaN ms (float)", millis_f(nan_v<float>), at_once},
        entry{"NaN h (long double)", hours_ld(nan_v<long double>), at_once},
        entry{"+inf s (double)", dur<double>(inf_v<double>), never},
        entry{"+inf ms (float)", millis_f(inf_v<float>), never},
        entry{"+inf h (long double)", hours_ld(inf_v<long double>), never},
        entry{"-inf s (double)", dur<double>(-inf_v<double>), at_once},
        entry{"-inf ms (float)", millis_f(-inf_v<float>), at_once},
        entry{"hours::max()", std::chrono::hours::max(), never},
        entry{"nanoseconds::max()", std::chrono::nanoseconds::max(), never},
        entry{"duration<double>::max()", dur<double>::max(), never},
        entry{"duration<uint64_t>::max()", dur<std::uint64_t>::max(), never},
        entry{"285 years in thirds", thirds(27'000'000'000), never},
        entry{"hours::min()", std::chrono::hours::min(), at_once},
        entry{"nanoseconds::min()", std::chrono::nanoseconds::min(), at_once},
        entry{"duration<double>::min()", dur<double>::min(), at_once},
        entry{"duration<int8_t>::min()", dur<std::int8_t>::min(), at_once},
        entry{"zero ns", 0ns, at_once},
        entry{"zero s (double)", dur<double>(0.0), at_once},
        entry{"-0.0 s (double)", dur<double>(-0.0), at_once},
        entry{"-1 s", -1s, at_once},
        entry{"-5 ms (float)", millis_f(-5.0f), at_once},
        entry{"-hours::max()", -std::chrono::hours::max(), at_once},
        entry{"-285 years in thirds", thirds(-27'000'000'000), at_once},
        entry{"250 ms", 250ms, after(250ms)},
        entry{"0.25 s (double)", dur<double>(0.25), after(250ms)},
        entry{"250 ms (float)", millis_f(250.0f), after(250ms)},
        entry{"0.5 h (long double)", hours_ld(0.5L), after(30min)},
        entry{"1.5 us (double)", dur<double, std::micro>(1.5), after(1500ns)},
        entry{"one third of a second", thirds(1), after(333'333'333ns)},
        entry{"duration<int8_t>::max()", dur<std::int8_t>::max(), after(127s)},
        entry{"250 ms (uint16_t)", dur<std::uint16_t, std::milli>(250), after(250ms)}};
}

/// A clock other than the grace clock, standing still at a day and a bit:
/// its time points are converted by their distance from its now.
struct other_clock
{
    using duration = std::chrono::microseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<other_clock>;
    [[maybe_unused]] static constexpr bool is_steady = true; // Part of the Clock shape.
    static time_point now() noexcept { return time_point(25h); }
};

template <typename Clock, typename Rep, typename Period = std::ratio<1>>
using tp = std::chrono::time_point<Clock, dur<Rep, Period>>;

/// Time points, read at the call (the manual clock stands at start()).
auto time_point_cases()
{
    const auto start = manual_clock::start();
    const auto other = other_clock::now();
    return std::tuple{
        entry{"manual NaN (double)", tp<manual_clock, double>(dur<double>(nan_v<double>)), at_once},
        entry{"manual +inf (double)", tp<manual_clock, double>(dur<double>(inf_v<double>)), never},
        entry{"manual -inf (float ms)",
              tp<manual_clock, float, std::milli>(millis_f(-inf_v<float>)), at_once},
        entry{"manual max()", manual_clock::time_point::max(), never},
        entry{"manual min()", manual_clock::time_point::min(), at_once},
        entry{"manual hours max()", tp<manual_clock, long long, std::ratio<3600>>::max(), never},
        entry{"manual hours min()", tp<manual_clock, long long, std::ratio<3600>>::min(), at_once},
        entry{"manual epoch", manual_clock::time_point(), at_once},
        entry{"manual now", start, at_once},
        entry{"manual now + 500 ms", start + 500ms, after(500ms)},
        entry{"manual now + 0.5 s (double)", tp<manual_clock, double>(dur<double>(3600.5)),
              after(500ms)},
        entry{"manual now + 500 ms (float ms)",
              tp<manual_clock, float, std::milli>(millis_f(3'600'500.0f)), after(500ms)},
        entry{"other NaN (double)", tp<other_clock, double>(dur<double>(nan_v<double>)), at_once},
        entry{"other +inf (double)", tp<other_clock, double>(dur<double>(inf_v<double>)), never},
        entry{"other -inf (long double h)",
              tp<other_clock, long double, std::ratio<3600>>(hours_ld(-inf_v<long double>)),
              at_once},
        entry{"other max()", other_clock::time_point::max(), never},
        entry{"other min()", other_clock::time_point::min(), at_once},
        entry{"other hours max()", tp<other_clock, long long, std::ratio<3600>>::max(), never},
        entry{"other hours min()", tp<other_clock, long long, std::ratio<3600>>::min(), at_once},
        entry{"other now + 500 ms", other + 500ms, after(500ms)},
        entry{"other now - 1 s", other - 1s, at_once},
        entry{"system NaN (double)",
              tp<std::chrono::system_clock, double>(dur<double>(nan_v<double>)), at_once},
        entry{"system max()", std::chrono::system_clock::time_point::max(), never},
        entry{"system min()", std::chrono::system_clock::time_point::min(), at_once}};
}

template <typename Tuple, typename F>
void for_each_case(const Tuple& cases, F f)
{
    std::apply([&](const auto&... c) { (f(c), ...); }, cases);
}

/// What the protected operation did: its result and when it completed.
struct probe
{
    std::optional<error_code> result;
    manual_clock::time_point at{};
    int calls = 0;

    void record(error_code ec)
    {
        result = ec;
        at = manual_clock::now();
        ++calls;
    }
};

/// The protected operations wait this long after the call, then end by
/// themselves with success.
constexpr manual_clock::duration natural_end = 2000h;

/// Checks the timeline from the call at `call`: `request()` runs `lead` later
/// (the request, or nothing for a join); the operation must then be cut with
/// `cut_error` as `e` says, counted from the request (`from_call`: from the
/// call).
void check_timeline(net::io_context& io, const probe& p, manual_clock::time_point call,
                    manual_clock::duration lead, bool from_call,
                    const std::function<void()>& request, expect e,
                    error_code cut_error = net::error::operation_aborted)
{
    advance_by(io, lead);
    const auto requested = manual_clock::now();
    request();
    settle(io);
    switch (e.kind)
    {
    case cut::at_once:
        BOOST_TEST_REQUIRE(p.result.has_value(), "not cut at the request");
        BOOST_TEST(*p.result == cut_error);
        BOOST_TEST((p.at == requested));
        break;
    case cut::after: {
        const auto deadline = (from_call ? call : requested) + e.offset;
        BOOST_TEST_REQUIRE(!p.result.has_value(), "cut before the deadline");
        advance_by(io, deadline - tick - manual_clock::now());
        BOOST_TEST_REQUIRE(!p.result.has_value(), "cut one tick before the deadline");
        advance_by(io, tick);
        BOOST_TEST_REQUIRE(p.result.has_value(), "not cut at the deadline");
        BOOST_TEST(*p.result == cut_error);
        BOOST_TEST((p.at == deadline));
        break;
    }
    case cut::never:
        advance_by(io, 1000h);
        BOOST_TEST_REQUIRE(!p.result.has_value(), "cut within 1,000 hours");
        advance_by(io, call + natural_end - manual_clock::now());
        BOOST_TEST_REQUIRE(p.result.has_value(), "did not end by itself");
        BOOST_TEST(!*p.result); // Its natural result.
        BOOST_TEST((p.at == call + natural_end));
        break;
    }
    BOOST_TEST(p.calls == 1);
}

struct fresh_clock
{
    fresh_clock() { manual_clock::reset(); }
};

// Build time: the checks below are plain functions, compiled once. What a
// case passes them is one call of the public API with the case's own type,
// behind a std::function of a fixed signature, on a handler of a fixed type:
// the library's handlers, operations and coroutines are then instantiated
// once for the whole table instead of once per case.

/// The protected operation's completion handler, for every case.
struct record_in
{
    probe* p;
    void operator()(error_code ec) const { p->record(ec); }
};

/// `record_in` bound to the slot the request is emitted on.
using slot_bound = decltype(net::bind_cancellation_slot(std::declval<net::cancellation_slot>(),
                                                        std::declval<record_in>()));

/// One case of the token adapters: adapts the handler with the value.
using adapt_fn = std::function<asio_shield::shield_for_t<slot_bound>(slot_bound)>;

/// One case of the guards: the guard's entry, awaited by the check.
using enter_fn = std::function<decltype(guard_cancellation_for(0ns))()>;

/// One case of the joins: starts the join of the group with the handler.
using join_fn = std::function<void(asio_shield::task_group&, record_in)>;

/// A timer wait adapted by `adapt(handler)`, requested 7 ms after the call.
void check_adapter(expect e, bool from_call, const adapt_fn& adapt)
{
    manual_clock::reset();
    net::io_context io;
    probe p;
    net::cancellation_signal sig;
    const auto call = manual_clock::now();
    manual_timer t(io, call + natural_end);
    t.async_wait(adapt(net::bind_cancellation_slot(sig.slot(), record_in{&p})));
    check_timeline(
        io, p, call, 7ms, from_call, [&] { sig.emit(ctype::terminal); }, e);
}

/// A coroutine that enters `enter()`'s guard and waits in its scope,
/// requested 7 ms after the call.
void check_guard(expect e, bool from_call, const enter_fn& enter)
{
    manual_clock::reset();
    net::io_context io;
    probe p;
    net::cancellation_signal sig;
    bool done = false;
    const auto call = manual_clock::now();
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto guard = co_await enter();
            manual_timer t(co_await net::this_coro::executor, call + natural_end);
            auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
            p.record(ec);
        },
        net::bind_cancellation_slot(sig.slot(), [&done](std::exception_ptr) { done = true; }));
    settle(io);
    check_timeline(
        io, p, call, 7ms, from_call, [&] { sig.emit(ctype::terminal); }, e);
    settle(io);
    BOOST_TEST(done);
}

/// J3: a group with one session whose wait is shielded, joined by `join`.
/// The join is what is cut, with `timed_out`, counted from the call.
void check_join(expect e, const join_fn& join)
{
    manual_clock::reset();
    net::io_context io;
    asio_shield::task_group g(io.get_executor());
    const auto call = manual_clock::now();
    manual_timer gate(io, call + natural_end);
    bool session_done = false;
    g.spawn(
        io.get_executor(),
        [&]() -> net::awaitable<void> {
            co_await gate.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
        },
        [&](std::exception_ptr) { session_done = true; });
    g.close(); // J5: a join ends once the group is closed and empty.
    settle(io);
    probe p;
    join(g, record_in{&p});
    check_timeline(
        io, p, call, 0ns, true, [] {}, e, net::error::timed_out);
    gate.cancel();
    settle(io);
    BOOST_TEST(session_done);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(grace_durations, fresh_clock)

// T5: saturate() at run time too, where nothing is folded: a NaN read from
// memory, the last float below the clock's range and the first above it.
BOOST_AUTO_TEST_CASE(T5_saturate_edge_values_at_run_time)
{
    volatile double payload_nan = -nan_v<double>;
    BOOST_TEST((saturate(dur<double>(payload_nan)) == 0ns));
    BOOST_TEST((saturate(dur<float, std::nano>(0x1.fffffep62f)) ==
                grace_duration(0x7fffff8000000000))); // the last float below 2^63 ns
    BOOST_TEST((saturate(dur<float, std::nano>(0x1p63f)) == nmax));
    BOOST_TEST((saturate(dur<float, std::pico>(0x1.fffffep72f)) == nmax)); // 9.4e18 ns
    if constexpr (std::numeric_limits<long double>::digits >= 64) // x87: every int64 is exact
    {
        BOOST_TEST((saturate(dur<long double, std::nano>(0x1p63L - 1)) == nmax));
        BOOST_TEST((saturate(dur<long double, std::nano>(0x1p63L - 2)) == nmax - 1ns));
    }
}

// T5: the time-point conversion for the edge values, on the grace clock
// itself and on two others.
BOOST_AUTO_TEST_CASE(T5_time_point_conversion_edge_values)
{
    using grace_tp = manual_clock::time_point;
    const auto now = manual_clock::now();
    BOOST_TEST((to_grace_time(tp<manual_clock, double>(dur<double>(nan_v<double>))) == now));
    BOOST_TEST((to_grace_time(tp<other_clock, double>(dur<double>(nan_v<double>))) == now));
    BOOST_TEST(
        (to_grace_time(tp<std::chrono::system_clock, float>(dur<float>(nan_v<float>))) == now));
    BOOST_TEST(
        (to_grace_time(tp<manual_clock, double>(dur<double>(inf_v<double>))) == grace_tp::max()));
    BOOST_TEST(
        (to_grace_time(tp<manual_clock, double>(dur<double>(-inf_v<double>))) == grace_tp::min()));
    BOOST_TEST(
        (to_grace_time(tp<other_clock, double>(dur<double>(inf_v<double>))) == grace_tp::max()));
    BOOST_TEST(
        (to_grace_time(tp<other_clock, double>(dur<double>(-inf_v<double>))) == grace_tp::min()));
    BOOST_TEST((to_grace_time(grace_tp::max()) == grace_tp::max()));
    BOOST_TEST((to_grace_time(grace_tp::min()) == grace_tp::min()));
    BOOST_TEST(
        (to_grace_time(tp<manual_clock, long long, std::ratio<3600>>::max()) == grace_tp::max()));
    BOOST_TEST(
        (to_grace_time(tp<manual_clock, long long, std::ratio<3600>>::min()) == grace_tp::min()));
    BOOST_TEST((to_grace_time(other_clock::time_point::max()) == grace_tp::max()));
    BOOST_TEST((to_grace_time(other_clock::time_point::min()) == grace_tp::min()));
    BOOST_TEST(
        (to_grace_time(tp<other_clock, long long, std::ratio<3600>>::max()) == grace_tp::max()));
    BOOST_TEST(
        (to_grace_time(tp<other_clock, long long, std::ratio<3600>>::min()) == grace_tp::min()));
    BOOST_TEST((to_grace_time(std::chrono::system_clock::time_point::max()) == grace_tp::max()));
    BOOST_TEST((to_grace_time(std::chrono::system_clock::time_point::min()) == grace_tp::min()));
    BOOST_TEST((to_grace_time(other_clock::now() + 500ms) == now + 500ms));
    BOOST_TEST((to_grace_time(other_clock::now() - 500ms) == now - 500ms));
    BOOST_TEST((to_grace_time(now + 500ms) == now + 500ms));
    using asio_shield::detail::deadline_after;
    BOOST_TEST((deadline_after(nmax) == grace_tp::max()));
    BOOST_TEST((deadline_after(nmin) == grace_tp::min()));
    BOOST_TEST((deadline_after(-1s) == now - 1s));
}

// T5: shield_for(d, token) for every kind of duration.
BOOST_AUTO_TEST_CASE(T5_shield_for_every_duration)
{
    for_each_case(duration_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_adapter(c.outcome, false, [&](slot_bound h) { return shield_for(c.value, h); });
        }
    });
}

// T5: the partial form shield_for(d), adapting a token later.
BOOST_AUTO_TEST_CASE(T5_partial_shield_for_every_duration)
{
    for_each_case(duration_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            const auto partial = shield_for(c.value);
            BOOST_TEST((partial.grace() == saturate(c.value)));
            check_adapter(c.outcome, false, [&](slot_bound h) { return partial(h); });
        }
    });
}

// T5, T6: shield_until(t, token) and shield_until(t) for every kind of time
// point, on the grace clock and on others.
BOOST_AUTO_TEST_CASE(T5_shield_until_every_time_point)
{
    for_each_case(time_point_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_adapter(c.outcome, true, [&](slot_bound h) { return shield_until(c.value, h); });
            check_adapter(c.outcome, true, [&](slot_bound h) { return shield_until(c.value)(h); });
        }
    });
}

// T5, T2: guard_cancellation_for(d) for every kind of duration.
BOOST_AUTO_TEST_CASE(T5_guard_cancellation_for_every_duration)
{
    for_each_case(duration_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_guard(c.outcome, false, [&] { return guard_cancellation_for(c.value); });
        }
    });
}

// T5, T6: guard_cancellation_until(t) for every kind of time point.
BOOST_AUTO_TEST_CASE(T5_guard_cancellation_until_every_time_point)
{
    for_each_case(time_point_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_guard(c.outcome, true, [&] { return guard_cancellation_until(c.value); });
        }
    });
}

// T5, T6: a grace_budget of every kind of duration, named by a shield and by
// a guard.
BOOST_AUTO_TEST_CASE(T5_grace_budget_every_duration)
{
    for_each_case(duration_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            grace_budget shield_budget(c.value);
            BOOST_TEST((shield_budget.budget() == saturate(c.value)));
            check_adapter(c.outcome, false,
                          [&](slot_bound h) { return shield_for(shield_budget, h); });
            grace_budget guard_budget(c.value);
            check_guard(c.outcome, false, [&] { return guard_cancellation_for(guard_budget); });
        }
    });
}

// T5, J3: task_group::async_join_for(d) for every kind of duration: the join
// times out at the call for NaN, zero and below, never for +inf and max.
BOOST_AUTO_TEST_CASE(T5_join_for_every_duration)
{
    for_each_case(duration_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_join(c.outcome, [&](asio_shield::task_group& g, record_in h) {
                g.async_join_for(c.value, h);
            });
        }
    });
}

// T5, J3: task_group::async_join_until(t) for every kind of time point.
BOOST_AUTO_TEST_CASE(T5_join_until_every_time_point)
{
    for_each_case(time_point_cases(), [](const auto& c) {
        BOOST_TEST_CONTEXT(c.name)
        {
            check_join(c.outcome, [&](asio_shield::task_group& g, record_in h) {
                g.async_join_until(c.value, h);
            });
        }
    });
}

BOOST_AUTO_TEST_SUITE_END()
