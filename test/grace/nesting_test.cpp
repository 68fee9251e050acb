// T7, T4 on the manual clock: deadlines that nest, and a deadline that finds
// the finished step's handler still in the slot. Every grace timer of this
// executable reads test::manual_clock; time moves only when a case advances it.
#include "common/co_test.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield_for.hpp>

#include <memory>
#include <optional>
#include <ostream>

using asio_shield::grace_budget;
using asio_shield::guard_cancellation_for;
using asio_shield::guard_cancellation_until;
using asio_shield::shield_for;
using asio_shield::shield_until;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;
using test::advance_by;
using test::manual_clock;
using test::manual_timer;
using test::settle;

namespace {

constexpr manual_clock::duration tick{1};

struct fresh_clock
{
    fresh_clock() { manual_clock::reset(); }
};

/// The protections that nest: three shields and three guards, each with a
/// grace period, an absolute deadline or a budget.
enum class kind
{
    shield_for,
    shield_until,
    shield_budget,
    guard_for,
    guard_until,
    guard_budget
};

const kind all_kinds[] = {kind::shield_for, kind::shield_until, kind::shield_budget,
                          kind::guard_for,  kind::guard_until,  kind::guard_budget};

const char* name(kind k)
{
    switch (k)
    {
    case kind::shield_for:
        return "shield_for";
    case kind::shield_until:
        return "shield_until";
    case kind::shield_budget:
        return "shield_for(budget)";
    case kind::guard_for:
        return "guard_cancellation_for";
    case kind::guard_until:
        return "guard_cancellation_until";
    case kind::guard_budget:
        return "guard_cancellation_for(budget)";
    }
    return "?";
}

bool is_guard(kind k)
{
    return k == kind::guard_for || k == kind::guard_until || k == kind::guard_budget;
}

/// Every case requests cancellation this long after the start.
constexpr manual_clock::duration request_at = 10ms;

/// One protection: its kind, and its grace period counted from the request
/// (an absolute deadline is set at request + grace, a budget holds grace).
struct protection
{
    kind k;
    manual_clock::duration grace;

    manual_clock::time_point until() const { return manual_clock::start() + request_at + grace; }
};

/// What the innermost wait saw.
struct outcome
{
    std::optional<error_code> result;
    manual_clock::time_point at{};
};

/// The inner protection around a 10 h wait.
net::awaitable<void> inner_body(protection p, grace_budget& budget, outcome& out)
{
    manual_timer t(co_await net::this_coro::executor, 10h);
    const auto token = test::as_tuple(net::use_awaitable);
    std::tuple<error_code> r;
    switch (p.k)
    {
    case kind::shield_for:
        r = co_await t.async_wait(shield_for(p.grace, token));
        break;
    case kind::shield_until:
        r = co_await t.async_wait(shield_until(p.until(), token));
        break;
    case kind::shield_budget:
        r = co_await t.async_wait(shield_for(budget, token));
        break;
    case kind::guard_for: {
        auto g = co_await guard_cancellation_for(p.grace);
        r = co_await t.async_wait(token);
        break;
    }
    case kind::guard_until: {
        auto g = co_await guard_cancellation_until(p.until());
        r = co_await t.async_wait(token);
        break;
    }
    case kind::guard_budget: {
        auto g = co_await guard_cancellation_for(budget);
        r = co_await t.async_wait(token);
        break;
    }
    }
    out.result = std::get<0>(r);
    out.at = manual_clock::now();
}

/// The outer protection: a guard around the inner body (a nested awaitable
/// call), or, for a shield, the inner body as a coroutine its caller awaits
/// with that shield (co_spawn).
net::awaitable<void> outer_body(protection outer, protection inner, outcome& out)
{
    grace_budget outer_budget(outer.grace), inner_budget(inner.grace);
    const auto ex = co_await net::this_coro::executor;
    // Inside a guard, the inner protection runs in the same coroutine thread
    // (a nested awaitable call).
    const auto child = [&] { return inner_body(inner, inner_budget, out); };
    const auto shielded = [&](auto token) {
        return net::co_spawn(ex, inner_body(inner, inner_budget, out), token);
    };
    const auto token = test::as_tuple(net::use_awaitable);
    switch (outer.k)
    {
    case kind::shield_for:
        co_await shielded(shield_for(outer.grace, token));
        break;
    case kind::shield_until:
        co_await shielded(shield_until(outer.until(), token));
        break;
    case kind::shield_budget:
        co_await shielded(shield_for(outer_budget, token));
        break;
    case kind::guard_for: {
        auto g = co_await guard_cancellation_for(outer.grace);
        co_await child();
        break;
    }
    case kind::guard_until: {
        auto g = co_await guard_cancellation_until(outer.until());
        co_await child();
        break;
    }
    case kind::guard_budget: {
        auto g = co_await guard_cancellation_for(outer_budget);
        co_await child();
        break;
    }
    }
}

/// Runs `inner` nested in `outer`, requests cancellation at `request_at`,
/// and checks that the wait is cut at exactly `expected` (not one tick
/// before).
void check_nested(protection outer, protection inner, manual_clock::time_point expected)
{
    BOOST_TEST_CONTEXT(name(inner.k) << " (" << inner.grace.count() << " ns) inside "
                                     << name(outer.k) << " (" << outer.grace.count() << " ns)")
    {
        manual_clock::reset();
        net::io_context io;
        net::cancellation_signal sig;
        outcome out;
        bool done = false;
        net::co_spawn(
            io, outer_body(outer, inner, out),
            net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr) { done = true; }));
        settle(io);
        advance_by(io, request_at);
        sig.emit(ctype::terminal);
        settle(io);
        advance_by(io, expected - tick - manual_clock::now());
        BOOST_TEST(!out.result.has_value(), "cut one tick before the deadline");
        advance_by(io, tick);
        BOOST_TEST_REQUIRE(out.result.has_value(), "not cut at the deadline");
        BOOST_TEST(*out.result == net::error::operation_aborted);
        BOOST_TEST((out.at == expected));
        advance_by(io, 1s);
        BOOST_TEST(done);
    }
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(grace_nesting, fresh_clock)

// T7, T2, T8: every pair of protections, all on the one deadline engine
// (detail/deadline.hpp), so that one rule is proven for all of them; the
// outer deadline the earlier one: the
// request the outer one forwards at its deadline reaches the inner one as an
// expired request, which starts no grace period of its own. The wait is cut
// at the outer deadline, 100 ms after the request, not 300 ms after the outer
// deadline. (The inner shield_for used to start its full grace period then.)
BOOST_AUTO_TEST_CASE(T7_outer_deadline_first_cuts_at_the_outer_deadline)
{
    for (kind outer : all_kinds)
        for (kind inner : all_kinds)
            check_nested({outer, 100ms}, {inner, 300ms},
                         manual_clock::start() + request_at + 100ms);
}

// T7, T8: every pair, the inner deadline the earlier one. A guard nested in a
// guard of the same coroutine hears the request the outer one holds, so its
// own, earlier, deadline cuts. A protection that a holding one keeps the
// request from hears of it only at the outer deadline (docs/grace.md,
// "Deadlines that nest"): it is cut there, and never later.
BOOST_AUTO_TEST_CASE(T7_inner_deadline_first_cuts_at_the_earliest_deadline_it_hears)
{
    for (kind outer : all_kinds)
        for (kind inner : all_kinds)
        {
            const bool hears_at_once = is_guard(outer) && is_guard(inner);
            check_nested({outer, 300ms}, {inner, 100ms},
                         manual_clock::start() + request_at + (hears_at_once ? 100ms : 300ms));
        }
}

namespace {

/// A hand-written operation of `steps` waits of 30 ms, each bound to the
/// cancellation slot the operation received, as a composed operation that
/// passes its slot on does. Between two steps the finished step's handler
/// stays in the slot (Asio leaves it installed).
struct stepped_op
{
    using executor_type = net::any_io_executor;
    executor_type get_executor() const noexcept { return timer->get_executor(); }

    template <typename Handler>
    struct step
    {
        manual_timer* timer;
        int left;
        int* started;
        Handler handler;

        void operator()(error_code ec)
        {
            if (ec || left == 0)
            {
                std::move(handler)(ec);
                return;
            }
            start();
        }

        void start()
        {
            ++*started;
            timer->expires_after(30ms);
            auto slot = net::get_associated_cancellation_slot(handler);
            timer->async_wait(net::bind_cancellation_slot(
                slot, step{timer, left - 1, started, std::move(handler)}));
        }
    };

    template <typename Handler>
    void operator()(Handler handler) const
    {
        step<Handler>{timer, steps, started, std::move(handler)}.start();
    }

    manual_timer* timer;
    int steps;
    int* started;
};

} // namespace

// T4: request at 5 ms, grace 20 ms, three 30 ms steps. The io thread is busy
// from 22 to 42 ms, so the deadline (25 ms) and the end of the first step
// (30 ms) are due together: the deadline's request reaches only the finished
// step's handler, still in the slot. The request stays in force: the second
// step is cut the moment it starts, at 42 ms. (It used to run all three steps
// and complete with success at 102 ms.)
BOOST_AUTO_TEST_CASE(T4_shield_for_deadline_with_the_finished_steps_handler_in_the_slot)
{
    net::io_context io;
    manual_timer timer(io);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    int started = 0;
    auto token = shield_for(20ms, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
                                result = ec;
                                at = manual_clock::now();
                            }));
    net::async_initiate<decltype(token), void(error_code)>(stepped_op{&timer, 3, &started}, token);
    advance_by(io, 5ms);
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 37ms); // 42 ms: the deadline and the first step's end at once.
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 42ms));
    BOOST_TEST(started == 2);
}

// T4 for the guard: the same operation awaited in a guard_cancellation_for
// scope; the guard's deadline finds the finished step's handler in the
// scope's slot, and the next step is cut as it starts.
BOOST_AUTO_TEST_CASE(T4_guard_deadline_with_the_finished_steps_handler_in_the_slot)
{
    net::io_context io;
    manual_timer timer(io);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point at{};
    int started = 0;
    bool done = false;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(20ms);
            auto token = test::as_tuple(net::use_awaitable);
            auto [ec] = co_await net::async_initiate<decltype(token), void(error_code)>(
                stepped_op{&timer, 3, &started}, token);
            result = ec;
            at = manual_clock::now();
        },
        net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr) { done = true; }));
    settle(io);
    advance_by(io, 5ms);
    sig.emit(ctype::terminal);
    settle(io);
    advance_by(io, 37ms);
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == manual_clock::start() + 42ms));
    BOOST_TEST(started == 2);
    BOOST_TEST(done);
}

// T4: a step that replaces the finished step's handler some time after the
// deadline (the operation did other work in between) is cut within the
// engine's series of waits, however long after the deadline it starts.
BOOST_AUTO_TEST_CASE(T4_step_started_long_after_the_deadline_is_cut_within_the_bound)
{
    net::io_context io;
    manual_timer first(io, 10ms), pause(io), second(io);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    manual_clock::time_point second_started{}, at{};
    // Step one is bound to the slot and finishes before the deadline; then
    // 1 s of work bound to nothing; then step two, bound to the slot again.
    auto op = [&](auto handler) {
        auto slot = net::get_associated_cancellation_slot(handler);
        first.async_wait(net::bind_cancellation_slot(
            slot, [&, slot, h = std::move(handler)](error_code) mutable {
                pause.expires_after(1s);
                pause.async_wait([&, slot, h = std::move(h)](error_code) mutable {
                    second_started = manual_clock::now();
                    second.expires_after(10h);
                    second.async_wait(net::bind_cancellation_slot(slot, std::move(h)));
                });
            }));
    };
    auto token = shield_for(
        20ms, net::bind_executor(io, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
                                     result = ec;
                                     at = manual_clock::now();
                                 })));
    net::async_initiate<decltype(token), void(error_code)>(
        [&](auto handler) { op(std::move(handler)); }, token);
    sig.emit(ctype::terminal);
    settle(io);
    for (int i = 0; i < 2000 && !result; ++i)
        advance_by(io, 1ms);
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((second_started == manual_clock::start() + 1010ms));
    BOOST_TEST((at - second_started <= asio_shield::detail::max_redelivery_delay));
}

BOOST_AUTO_TEST_SUITE_END()
