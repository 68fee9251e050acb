// T1, T2, T4, T5, T6, J3 to the nanosecond: every grace timer, deadline and
// join timer of this executable reads test::manual_clock (the library is
// compiled into it with ASIO_SHIELD_GRACE_CLOCK), and time moves only when a
// case advances it. Each case checks the moment one tick before a deadline
// (nothing is cut) and the deadline itself (cut, at exactly that time).
// The wall-clock cases in the other files of this directory stay as smoke
// tests of the same rules on steady_clock.
#include "common/co_test.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield_for.hpp>
#include <asio_shield/task_group.hpp>

#include <optional>
#include <type_traits>

using asio_shield::grace_budget;
using asio_shield::guard_cancellation_for;
using asio_shield::shield_for;
using asio_shield::shield_until;
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

struct fresh_clock
{
    fresh_clock() { manual_clock::reset(); }
};

/// A wait on the manual clock with a cancellation signal of its own; records
/// its result, the time it completed and how often its handler ran.
struct work
{
    work(net::io_context& io, manual_clock::duration d) : timer(io, d) {}

    auto handler()
    {
        return net::bind_cancellation_slot(signal.slot(), [this](error_code ec) {
            result = ec;
            at = manual_clock::now();
            ++calls;
        });
    }

    manual_timer timer;
    net::cancellation_signal signal;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    int calls = 0;
};

/// Moves the clock to one tick before `deadline`, where `cut()` must not hold
/// yet, and then to `deadline`, where it must.
template <typename Cut>
void expect_cut_at(net::io_context& io, manual_clock::time_point deadline, Cut cut)
{
    advance_by(io, deadline - tick - manual_clock::now());
    BOOST_TEST(!cut(), "cut one tick before the deadline");
    advance_by(io, tick);
    BOOST_TEST(cut(), "not cut at the deadline");
}

/// Spawns `body` bound to `sig` and runs it up to its first wait.
template <typename Body>
void spawn_with_signal(net::io_context& io, net::cancellation_signal& sig, bool& done, Body body)
{
    net::co_spawn(
        io, std::move(body),
        net::bind_cancellation_slot(sig.slot(), [&done](std::exception_ptr) { done = true; }));
    settle(io);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(grace_exact, fresh_clock)

// T1: held for exactly the grace period after the request, cut at its end.
BOOST_AUTO_TEST_CASE(T1_shield_for_cuts_exactly_at_the_deadline)
{
    net::io_context io;
    work w(io, 10h);
    w.timer.async_wait(shield_for(100ms, w.handler()));
    advance_by(io, 20ms);
    const auto requested = manual_clock::now();
    w.signal.emit(ctype::terminal);
    settle(io);
    expect_cut_at(io, manual_clock::now() + 100ms, [&] { return w.result.has_value(); });
    BOOST_TEST_REQUIRE(w.result.has_value()); // ...and cut at its last tick.
    BOOST_TEST(*w.result == net::error::operation_aborted);
    BOOST_TEST((w.at == requested + 100ms));
}

// T1: an operation that ends one tick before the deadline keeps its natural
// result, and nothing reaches it afterwards.
BOOST_AUTO_TEST_CASE(T1_shield_for_operation_ending_one_tick_early_completes)
{
    net::io_context io;
    work w(io, 100ms - tick);
    w.timer.async_wait(shield_for(100ms, w.handler()));
    w.signal.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms - tick);
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST(!*w.result);
    advance_by(io, 1h);
    BOOST_TEST(w.calls == 1);
}

// T1: the deadline counts from the first held request; a later one does not
// move it.
BOOST_AUTO_TEST_CASE(T1_shield_for_deadline_counts_from_the_first_request)
{
    net::io_context io;
    work w(io, 10h);
    w.timer.async_wait(shield_for(100ms, w.handler()));
    const auto first = manual_clock::now();
    w.signal.emit(ctype::terminal);
    advance_by(io, 60ms);
    w.signal.emit(ctype::partial);
    expect_cut_at(io, manual_clock::now() + 40ms, [&] { return w.result.has_value(); });
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST((w.at == first + 100ms)); // Not 60 ms later.
}

namespace {

/// T2: a `guard_cancellation_for(100ms)` scope around a 10 h wait, requested
/// 20 ms in, is cut at exactly request + 100 ms and counts as expired. With
/// `after_another_guard`, a plain guard around a post ends right before it,
/// with nothing awaited in between.
void check_guard_cut_at_deadline(bool after_another_guard)
{
    net::io_context io;
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    bool expired = false, done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        if (after_another_guard)
        {
            auto first = co_await asio_shield::guard_cancellation();
            co_await net::post(ex, net::use_awaitable);
        }
        auto guard = co_await guard_cancellation_for(100ms);
        manual_timer t(ex, 10h);
        auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
        result = ec;
        at = manual_clock::now();
        expired = guard.expired();
    });
    advance_by(io, 20ms);
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal);
    settle(io);
    expect_cut_at(io, manual_clock::now() + 100ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == requested + 100ms));
    BOOST_TEST(expired);
    BOOST_TEST(done);
}

} // namespace

// T2: a guarded scope has exactly the grace period from the request; then its
// pending operation is cut and the guard counts as released.
BOOST_AUTO_TEST_CASE(T2_guard_cuts_the_scope_exactly_at_the_deadline)
{
    check_guard_cut_at_deadline(false);
}

// T2: a guard entered right after another one in the same coroutine (nothing
// awaited in between) still hears a request made during its scope, and cuts
// exactly at the end of its grace period. (The earlier guard's exit once left
// a handler in the coroutine's slot, which the next guard took for an
// operation's and so never started its timer.)
BOOST_AUTO_TEST_CASE(T2_guard_after_another_guard_cuts_exactly_at_the_deadline)
{
    check_guard_cut_at_deadline(true);
}

// T2: a request recorded before entry starts the grace period at entry, not
// at the request.
BOOST_AUTO_TEST_CASE(T2_guard_request_before_entry_starts_the_deadline_at_entry)
{
    net::io_context io;
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point entered{}, at{};
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        co_await net::this_coro::throw_if_cancelled(false);
        const auto ex = co_await net::this_coro::executor;
        manual_timer before(ex, 10h);
        co_await before.async_wait(test::as_tuple(net::use_awaitable)); // Cut by the request.
        manual_timer later(ex, 50ms);
        co_await later.async_wait(test::as_tuple(net::use_awaitable)); // Runs its 50 ms.
        entered = manual_clock::now();
        auto guard = co_await guard_cancellation_for(100ms);
        manual_timer t(ex, 10h);
        auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
        result = ec;
        at = manual_clock::now();
    });
    advance_by(io, 5ms);
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 50ms);
    BOOST_TEST_REQUIRE((entered == requested + 50ms));
    expect_cut_at(io, manual_clock::now() + 100ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value()); // ...the deadline is entry + 100 ms.
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == entered + 100ms));
    BOOST_TEST(done);
}

// T2: a longer grace period nested inside a shorter one ends with the outer.
BOOST_AUTO_TEST_CASE(T2_inner_grace_never_extends_the_outer_one)
{
    net::io_context io;
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto outer = co_await guard_cancellation_for(100ms);
        {
            auto inner = co_await guard_cancellation_for(1h);
            manual_timer t(co_await net::this_coro::executor, 10h);
            auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
            result = ec;
            at = manual_clock::now();
        }
    });
    advance_by(io, 10ms);
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal);
    settle(io);
    expect_cut_at(io, manual_clock::now() + 100ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == requested + 100ms));
    BOOST_TEST(done);
}

namespace {

/// Two steps (T4): the first ignores cancellation and installs no handler,
/// the second waits with the caller's handler, and so its slot.
struct two_steps
{
    using executor_type = net::any_io_executor;
    executor_type get_executor() const noexcept { return first->get_executor(); }

    template <typename Handler>
    void operator()(Handler handler) const
    {
        first->async_wait([second = second, h = std::move(handler)](error_code) mutable {
            second->async_wait(std::move(h));
        });
    }

    manual_timer* first;
    manual_timer* second;
};

} // namespace

// T4: the deadline passes while the operation sits in a step that installed no
// handler; its next step is cut the moment it starts, not never.
BOOST_AUTO_TEST_CASE(T4_shield_for_deadline_between_steps_cuts_the_next_step_at_once)
{
    net::io_context io;
    manual_timer first(io, 150ms), second(io, 10h);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    auto token = shield_for(100ms, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
                                result = ec;
                                at = manual_clock::now();
                            }));
    net::async_initiate<decltype(token), void(error_code)>(two_steps{&first, &second}, token);
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms); // The deadline: nothing to cut yet.
    BOOST_TEST(!result.has_value());
    expect_cut_at(io, manual_clock::now() + 50ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 150ms));
}

// T4 for the guard: its deadline passes while the operation awaited in the
// scope sits in a step that installed no handler; the next step is cut the
// moment it starts.
BOOST_AUTO_TEST_CASE(T4_guard_deadline_between_steps_cuts_the_next_step_at_once)
{
    net::io_context io;
    manual_timer first(io, 150ms), second(io, 10h);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    bool expired = false, done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto guard = co_await guard_cancellation_for(100ms);
        auto token = test::as_tuple(net::use_awaitable);
        auto [ec] = co_await net::async_initiate<decltype(token), void(error_code)>(
            two_steps{&first, &second}, token);
        result = ec;
        at = manual_clock::now();
        expired = guard.expired();
    });
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms); // The deadline: no step to cut yet.
    BOOST_TEST(!result.has_value());
    expect_cut_at(io, manual_clock::now() + 50ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 150ms));
    BOOST_TEST(expired);
    BOOST_TEST(done);
}

// T4, T2: a guard with a grace period of its own, ended by an enclosing
// guard's deadline, also delivers again to the next step.
BOOST_AUTO_TEST_CASE(T4_guard_ended_by_enclosing_deadline_cuts_the_next_step)
{
    net::io_context io;
    manual_timer first(io, 150ms), second(io, 10h);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    bool inner_expired = false, done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto outer = co_await guard_cancellation_for(100ms);
        auto inner = co_await guard_cancellation_for(1h);
        auto token = test::as_tuple(net::use_awaitable);
        auto [ec] = co_await net::async_initiate<decltype(token), void(error_code)>(
            two_steps{&first, &second}, token);
        result = ec;
        at = manual_clock::now();
        inner_expired = inner.expired();
    });
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms);
    BOOST_TEST(!result.has_value());
    expect_cut_at(io, manual_clock::now() + 50ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 150ms));
    BOOST_TEST(inner_expired);
    BOOST_TEST(done);
}

// T4: a plain guard nested in one with a grace period has no timer of its
// own; the enclosing guard's timer delivers again through it.
BOOST_AUTO_TEST_CASE(T4_plain_guard_ended_by_enclosing_deadline_cuts_the_next_step)
{
    net::io_context io;
    manual_timer first(io, 150ms), second(io, 10h);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto outer = co_await guard_cancellation_for(100ms);
        auto inner = co_await asio_shield::guard_cancellation();
        auto token = test::as_tuple(net::use_awaitable);
        auto [ec] = co_await net::async_initiate<decltype(token), void(error_code)>(
            two_steps{&first, &second}, token);
        result = ec;
        at = manual_clock::now();
    });
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms);
    BOOST_TEST(!result.has_value());
    expect_cut_at(io, manual_clock::now() + 50ms, [&] { return result.has_value(); });
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 150ms));
    BOOST_TEST(done);
}

// T7, T2: a grace deadline covers a coroutine spawned on the guarded slot as
// it covers the guards nested in its own coroutine: the request it forwards
// reaches the child's guard as an expired one, so the child's wait is cut at
// the parent's deadline, not 100 ms later when it would end by itself.
BOOST_AUTO_TEST_CASE(T7_deadline_ends_the_guard_of_a_coroutine_spawned_on_the_scope)
{
    net::io_context io;
    manual_timer child_wait(io, 200ms), child_done(io, 10h);
    net::cancellation_signal sig;
    std::optional<error_code> child_result;
    manual_clock::time_point child_at{};
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto guard = co_await guard_cancellation_for(100ms);
        const auto slot = (co_await net::this_coro::cancellation_state).slot();
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                auto child_guard = co_await asio_shield::guard_cancellation();
                auto [ec] = co_await child_wait.async_wait(test::as_tuple(net::use_awaitable));
                child_result = ec;
                child_at = manual_clock::now();
            },
            net::bind_cancellation_slot(slot, [&](std::exception_ptr) { child_done.cancel(); }));
        // A slot holds one handler: this wait binds none, leaving the child's
        // there, and it ends only when the child does, so the parent ends last.
        co_await child_done.async_wait(net::bind_cancellation_slot(
            net::cancellation_slot(), test::as_tuple(net::use_awaitable)));
    });
    sig.emit(ctype::terminal);
    settle(io);
    // The parent's deadline, and with it the child's guard's.
    expect_cut_at(io, manual_clock::start() + 100ms, [&] { return child_result.has_value(); });
    BOOST_TEST_REQUIRE(child_result.has_value());
    BOOST_TEST(*child_result == net::error::operation_aborted);
    BOOST_TEST((child_at == manual_clock::start() + 100ms));
    settle(io);
    BOOST_TEST(done);
}

// T2, G2: after an outer deadline ended two nested guards, the coroutine has
// its own state back once both scopes are over: it reports the request, and
// its next co_await throws as in plain Asio.
BOOST_AUTO_TEST_CASE(T2_G2_nested_guards_ended_by_a_deadline_give_the_state_back)
{
    net::io_context io;
    net::cancellation_signal sig;
    ctype after = ctype::none;
    bool own_state = false, next_threw = false, done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        const auto own_slot = (co_await net::this_coro::cancellation_state).slot();
        {
            auto outer = co_await guard_cancellation_for(100ms);
            auto inner = co_await guard_cancellation_for(1h);
            manual_timer t(ex, 10h);
            co_await t.async_wait(test::as_tuple(net::use_awaitable));
        }
        const auto state = co_await net::this_coro::cancellation_state;
        own_state = state.slot() == own_slot;
        after = state.cancelled();
        try
        {
            manual_timer t(ex, 1ms);
            co_await t.async_wait(net::use_awaitable);
        }
        catch (const system_error& e)
        {
            next_threw = test::is_aborted(e);
        }
    });
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 100ms);
    BOOST_TEST(done);
    BOOST_TEST(own_state);
    BOOST_TEST((after == ctype::terminal));
    BOOST_TEST(next_threw);
}

// T5: hours::max() is "no limit": a thousand hours after the request the
// operation is still held, and it ends with its natural result.
BOOST_AUTO_TEST_CASE(T5_hours_max_is_no_limit_for_shield_and_guard)
{
    net::io_context io;
    work w(io, 1000h);
    w.timer.async_wait(shield_for(std::chrono::hours::max(), w.handler()));
    net::cancellation_signal sig;
    std::optional<error_code> guarded;
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        auto guard = co_await guard_cancellation_for(std::chrono::seconds::max());
        manual_timer t(co_await net::this_coro::executor, 1000h);
        auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
        guarded = ec;
    });
    w.signal.emit(ctype::terminal);
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 1000h - tick);
    BOOST_TEST(!w.result.has_value());
    BOOST_TEST(!guarded.has_value());
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST(!*w.result); // Natural result.
    BOOST_TEST_REQUIRE(guarded.has_value());
    BOOST_TEST(!*guarded);
    BOOST_TEST(done);
}

// T5: zero and negative durations, down to the most negative, put the
// deadline at the request itself: cut without the clock moving.
BOOST_AUTO_TEST_CASE(T5_zero_and_negative_durations_cut_at_the_request)
{
    const manual_clock::duration durations[] = {
        0ns, -1s, std::chrono::duration_cast<manual_clock::duration>(-1h),
        std::chrono::nanoseconds::min()};
    for (const auto d : durations)
    {
        net::io_context io;
        work w(io, 10h);
        w.timer.async_wait(shield_for(d, w.handler()));
        advance_by(io, 7ms);
        const auto requested = manual_clock::now();
        w.signal.emit(ctype::terminal);
        settle(io);
        BOOST_TEST_REQUIRE(w.result.has_value(), "duration " << d.count() << " ns");
        BOOST_TEST(*w.result == net::error::operation_aborted);
        BOOST_TEST((w.at == requested));
    }
    // The most negative hours, which overflow nanoseconds when converted.
    net::io_context io;
    work w(io, 10h);
    w.timer.async_wait(shield_for(-std::chrono::hours::max(), w.handler()));
    const auto requested = manual_clock::now();
    w.signal.emit(ctype::terminal);
    settle(io);
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST((w.at == requested));
}

// T6: shield_until holds a request until the time point, not a period after
// the request.
BOOST_AUTO_TEST_CASE(T6_shield_until_cuts_exactly_at_the_time_point)
{
    net::io_context io;
    work w(io, 10h);
    const auto until = manual_clock::now() + 250ms;
    w.timer.async_wait(shield_until(until, w.handler()));
    advance_by(io, 100ms);
    w.signal.emit(ctype::terminal);
    settle(io);
    expect_cut_at(io, manual_clock::now() + 150ms, [&] { return w.result.has_value(); });
    BOOST_TEST_REQUIRE(w.result.has_value());
    BOOST_TEST(*w.result == net::error::operation_aborted);
    BOOST_TEST((w.at == until));
}

// T6: two users of one budget are cut at one deadline: the first request plus
// the budget, not each request plus the budget.
BOOST_AUTO_TEST_CASE(T6_budget_is_one_deadline_for_a_shield_and_a_guard)
{
    net::io_context io;
    grace_budget budget(100ms);
    net::cancellation_signal sig;
    std::optional<error_code> write_result, cleanup_result;
    manual_clock::time_point cut_at{};
    bool done = false;
    spawn_with_signal(io, sig, done, [&]() -> net::awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        manual_timer write(ex, 60ms);
        auto [ec1] =
            co_await write.async_wait(shield_for(budget, test::as_tuple(net::use_awaitable)));
        write_result = ec1;
        auto guard = co_await guard_cancellation_for(budget);
        manual_timer close(ex, 10h);
        auto [ec2] = co_await close.async_wait(test::as_tuple(net::use_awaitable));
        cleanup_result = ec2;
        cut_at = manual_clock::now();
    });
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal); // Held by the write's shield; starts the budget.
    settle(io);
    BOOST_TEST_REQUIRE(budget.started());
    BOOST_TEST((budget.deadline() == requested + 100ms));
    advance_by(io, 60ms);
    BOOST_TEST_REQUIRE(write_result.has_value());
    BOOST_TEST(!*write_result); // Finished inside the budget.
    expect_cut_at(io, manual_clock::now() + 40ms, [&] { return cleanup_result.has_value(); });
    BOOST_TEST_REQUIRE(cleanup_result.has_value());
    BOOST_TEST(*cleanup_result == net::error::operation_aborted);
    BOOST_TEST((cut_at == requested + 100ms)); // Not 160 ms.
    BOOST_TEST(done);
}

// J3: async_join_for gives up exactly at its deadline, while a session that
// shields its wait is still alive.
BOOST_AUTO_TEST_CASE(J3_join_for_times_out_exactly_at_the_deadline)
{
    net::io_context io;
    asio_shield::task_group g(io.get_executor());
    manual_timer gate(io, 10h);
    bool session_done = false;
    g.spawn(
        io.get_executor(),
        [&]() -> net::awaitable<void> {
            co_await gate.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
        },
        [&](std::exception_ptr) { session_done = true; });
    settle(io);
    std::optional<error_code> joined;
    manual_clock::time_point at{};
    const auto started = manual_clock::now();
    g.async_join_for(100ms, [&](error_code ec) {
        joined = ec;
        at = manual_clock::now();
    });
    expect_cut_at(io, manual_clock::now() + 100ms, [&] { return joined.has_value(); });
    BOOST_TEST_REQUIRE(joined.has_value());
    BOOST_TEST(*joined == net::error::timed_out);
    BOOST_TEST((at == started + 100ms));
    BOOST_TEST(!session_done); // Shielded: it runs on.
    gate.cancel();
    settle(io);
    BOOST_TEST(session_done);
}

BOOST_AUTO_TEST_SUITE_END()
