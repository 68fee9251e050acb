// J5-J10: closing a group, keeping the first exception, bounding it, the
// two-stage shutdown's order of stages (the times are in
// shutdown_exact_test.cpp, on the manual clock), signals and "never inline";
// and the misuse each of them defines.
//
// No case relies on timing: every grace period here is "forever", so a stage
// changes only when a test asks for it (a second shutdown call, a signal it
// raises itself).
#include "common/co_test.hpp"

#include <asio_shield/shield.hpp>
#include <asio_shield/task_group.hpp>

#include <csignal>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <vector>

using asio_shield::task_group;
using asio_shield::task_group_options;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;

// Failed checks print the types as their bits.
ASIO_SHIELD_NET_NS_BEGIN
inline std::ostream& operator<<(std::ostream& os, cancellation_type t)
{
    return os << static_cast<unsigned>(t);
}
ASIO_SHIELD_NET_NS_END

namespace {

constexpr auto forever = std::chrono::hours(24 * 365);

/// What a session's pending wait saw.
struct probe
{
    std::vector<ctype> types;  // Each request that reached the wait.
    std::vector<bool> expired; // Whether it came marked as a passed deadline (T7).
    bool started = false;      // The session's body ran.
    bool ended = false;        // The session's body returned.
};

/// A wait that ends only when a request reaches it; records each request.
struct initiate_probe_wait
{
    template <typename Handler>
    void operator()(Handler&& handler, probe* p) const
    {
        using handler_type = std::decay_t<Handler>;
        auto slot = net::get_associated_cancellation_slot(handler);
        auto state = std::make_shared<std::optional<handler_type>>(std::forward<Handler>(handler));
        struct on_cancel
        {
            std::shared_ptr<std::optional<handler_type>> state;
            probe* p;
            net::cancellation_slot slot;

            // Spelled out: clang 14 has no parenthesised aggregate initialisation.
            on_cancel(std::shared_ptr<std::optional<handler_type>> st, probe* pr,
                      net::cancellation_slot sl)
                : state(std::move(st)), p(pr), slot(sl)
            {}

            void operator()(ctype type)
            {
                p->types.push_back(type);
                p->expired.push_back(asio_shield::detail::expiry::in_progress());
                if (!*state)
                    return;
                auto ex = net::get_associated_executor(**state);
                net::post(ex, [st = state, sl = slot]() mutable {
                    if (!*st)
                        return;
                    sl.clear();
                    handler_type h(std::move(**st));
                    st->reset();
                    std::move(h)(error_code(net::error::operation_aborted));
                });
            }
        };
        slot.template emplace<on_cancel>(state, p, slot);
    }
};

template <typename Token>
auto async_probe_wait(probe& p, Token&& token)
{
    return net::async_initiate<Token, void(error_code)>(initiate_probe_wait{}, token, &p);
}

/// A session that lets every cancellation type in and waits until one comes.
net::awaitable<void> waits_for_any_request(probe& p)
{
    p.started = true;
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    error_code ec;
    co_await async_probe_wait(p, net::redirect_error(net::use_awaitable, ec));
    p.ended = true;
}

/// A session that ignores every request until `gate` is cancelled by hand.
net::awaitable<void> stubborn(net::steady_timer& gate, probe& p)
{
    p.started = true;
    error_code ec;
    co_await gate.async_wait(asio_shield::shield(net::redirect_error(net::use_awaitable, ec)));
    p.ended = true;
}

void run_to_end(net::io_context& io)
{
    io.restart(); // A poll() that ran out of work left it stopped.
    io.run_for(60s);
    BOOST_REQUIRE_MESSAGE(io.stopped(), "work left in the io_context: a session never ended");
}

/// The error code inside an exception_ptr holding a system_error.
error_code code_of(std::exception_ptr e)
{
    try
    {
        if (e)
            std::rethrow_exception(e);
    }
    catch (const system_error& s)
    {
        return s.code();
    }
    catch (...)
    {
        return net::error::fault;
    }
    return {};
}

struct shutdown_result
{
    std::optional<error_code> ec;
    std::size_t left = 999;
};

auto record(shutdown_result& r)
{
    return [&r](error_code ec, std::size_t left) {
        r.ec = ec;
        r.left = left;
    };
}

} // namespace

BOOST_AUTO_TEST_SUITE(group_shutdown)

// --------------------------------------------------------------------------
// J5: close.

// J5, J10: the spawn's handler gets group_closed, posted; the session never runs.
BOOST_AUTO_TEST_CASE(J5_spawn_into_a_closed_group_is_refused_and_never_started)
{
    net::io_context io;
    task_group g(io);
    g.close();
    BOOST_TEST(!g.is_open());
    probe p;
    std::optional<std::exception_ptr> refused;
    g.spawn(io, waits_for_any_request(p), [&](std::exception_ptr e) { refused = e; });
    std::optional<int> value;
    std::exception_ptr value_error;
    g.spawn(
        io, []() -> net::awaitable<int> { co_return 7; },
        [&](std::exception_ptr e, int v) {
            value_error = e;
            value = v;
        });
    BOOST_TEST(!refused.has_value()); // J10: not from inside spawn().
    BOOST_TEST(g.size() == 0u);
    run_to_end(io);
    BOOST_REQUIRE(refused.has_value());
    BOOST_TEST(code_of(*refused) == asio_shield::error::group_closed);
    BOOST_TEST(code_of(*refused).category().name() == std::string("asio_shield.group"));
    BOOST_TEST(!p.started);
    BOOST_REQUIRE(value.has_value());
    BOOST_TEST(*value == 0);
    BOOST_TEST(code_of(value_error) == asio_shield::error::group_closed);
}

// J5: with use_awaitable the refusal is thrown at the caller.
CO_TEST_CASE(J5_spawn_into_a_closed_group_throws_at_the_awaiting_caller)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);
    g.close();
    error_code seen;
    try
    {
        co_await g.spawn(
            ex, []() -> net::awaitable<void> { co_return; }, net::use_awaitable);
    }
    catch (const system_error& e)
    {
        seen = e.code();
    }
    BOOST_TEST(seen == asio_shield::error::group_closed);
}

// J5: closing twice, or from inside a session, is closing once; the running
// sessions go on and the join completes when the last has ended.
BOOST_AUTO_TEST_CASE(J5_close_twice_and_from_inside_a_session)
{
    net::io_context io;
    task_group g(io);
    probe p;
    g.spawn(io, [&]() -> net::awaitable<void> {
        g.close(); // From inside a session.
        g.close();
        co_await waits_for_any_request(p);
    });
    std::optional<error_code> joined;
    g.async_join([&](error_code ec) { joined = ec; });
    io.poll();
    BOOST_TEST(!g.is_open());
    BOOST_TEST(p.started);
    BOOST_TEST(!joined.has_value()); // The session still runs.
    g.close();
    io.poll();
    BOOST_TEST(!joined.has_value());
    g.cancel();
    run_to_end(io);
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(!*joined);
    BOOST_TEST(p.ended);
}

// --------------------------------------------------------------------------
// J7: no lost exception.

BOOST_AUTO_TEST_CASE(J7_first_exception_is_kept_and_the_join_reports_it)
{
    net::io_context io;
    task_group g(io);
    g.spawn(io, []() -> net::awaitable<void> {
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        throw std::runtime_error("first");
    });
    g.spawn(io, []() -> net::awaitable<void> {
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        throw std::logic_error("second");
    });
    g.close();
    std::optional<error_code> joined;
    g.async_join([&](error_code ec) { joined = ec; });
    run_to_end(io);
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(*joined == asio_shield::error::session_failed);
    BOOST_REQUIRE(g.first_exception());
    BOOST_CHECK_THROW(std::rethrow_exception(g.first_exception()), std::runtime_error);
    // Every later join reports it too.
    std::optional<error_code> again;
    g.async_join([&](error_code ec) { again = ec; });
    io.restart();
    run_to_end(io);
    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(*again == asio_shield::error::session_failed);
}

// J7: an exception of any type, not only std::exception.
BOOST_AUTO_TEST_CASE(J7_exception_that_is_not_a_std_exception_is_kept)
{
    net::io_context io;
    task_group g(io);
    g.spawn(io, []() -> net::awaitable<void> {
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        throw 42;
    });
    g.close();
    std::optional<error_code> joined;
    g.async_join([&](error_code ec) { joined = ec; });
    run_to_end(io);
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(*joined == asio_shield::error::session_failed);
    int thrown = 0;
    try
    {
        std::rethrow_exception(g.first_exception());
    }
    catch (int v)
    {
        thrown = v;
    }
    BOOST_TEST(thrown == 42);
}

// J7: a handler of the caller's own receives the exception; the group keeps
// nothing then.
BOOST_AUTO_TEST_CASE(J7_own_handler_takes_the_exception)
{
    net::io_context io;
    task_group g(io);
    std::exception_ptr seen;
    g.spawn(
        io,
        []() -> net::awaitable<void> {
            throw std::runtime_error("mine");
            co_return;
        },
        [&](std::exception_ptr e) { seen = e; });
    g.close();
    std::optional<error_code> joined;
    g.async_join([&](error_code ec) { joined = ec; });
    run_to_end(io);
    BOOST_TEST(static_cast<bool>(seen));
    BOOST_TEST(!g.first_exception());
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(!*joined);
}

// J7's policy: the first error cancels the other sessions; without it they
// run on.
BOOST_AUTO_TEST_CASE(J7_cancel_on_error_policy_cancels_the_others)
{
    for (const bool policy : {true, false})
    {
        net::io_context io;
        task_group_options options;
        if (policy)
            options.cancel_on_error = ctype::terminal;
        task_group g(io, options);
        probe p;
        g.spawn(io, waits_for_any_request(p));
        g.spawn(io, []() -> net::awaitable<void> {
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            throw std::runtime_error("failed");
        });
        io.poll();
        BOOST_TEST(p.started);
        BOOST_TEST(p.ended == policy);
        BOOST_TEST(p.types ==
                   (policy ? std::vector<ctype>{ctype::terminal} : std::vector<ctype>{}));
        g.cancel();
        run_to_end(io);
    }
}

// --------------------------------------------------------------------------
// J8: bounded.

// Beyond the limit a spawn waits, in order of arrival, and starts when a
// place frees.
BOOST_AUTO_TEST_CASE(J8_spawn_beyond_the_limit_waits_for_a_free_place)
{
    net::io_context io;
    task_group_options options;
    options.max_sessions = 2;
    task_group g(io, options);
    std::vector<std::unique_ptr<probe>> probes;
    std::vector<int> started_order;
    for (int i = 0; i < 4; ++i)
    {
        probes.push_back(std::make_unique<probe>());
        probe& p = *probes.back();
        g.spawn(io, [&, i]() -> net::awaitable<void> {
            started_order.push_back(i);
            co_await waits_for_any_request(p);
        });
    }
    io.poll();
    BOOST_TEST(g.size() == 2u);
    BOOST_TEST(started_order == std::vector<int>({0, 1}));
    // One place frees: the oldest waiting spawn gets it.
    g.cancel(); // Reaches the two running ones only.
    io.poll();
    BOOST_TEST(started_order == std::vector<int>({0, 1, 2, 3}));
    BOOST_TEST(probes[2]->types.size() == 1u); // Spawned after cancel(): told at once (J2).
    g.close();
    run_to_end(io);
    BOOST_TEST(g.size() == 0u);
}

// A waiting spawn is cancellable through its token's slot: it completes with
// operation_aborted and the session never starts.
BOOST_AUTO_TEST_CASE(J8_waiting_spawn_is_cancellable)
{
    net::io_context io;
    task_group_options options;
    options.max_sessions = 1;
    task_group g(io, options);
    probe first;
    g.spawn(io, waits_for_any_request(first));
    probe second;
    net::cancellation_signal sig;
    std::optional<std::exception_ptr> result;
    g.spawn(io, waits_for_any_request(second),
            net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) { result = e; }));
    io.poll();
    BOOST_TEST(!result.has_value());
    BOOST_TEST(!second.started);
    sig.emit(ctype::total);
    io.poll();
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(code_of(*result) == net::error::operation_aborted);
    g.cancel();
    g.close();
    run_to_end(io);
    BOOST_TEST(first.ended);
    BOOST_TEST(!second.started); // Not started when the place freed.
}

// J8 + J5: closing the group refuses the spawns waiting for a place; so does
// destroying it.
BOOST_AUTO_TEST_CASE(J8_close_or_destruction_refuses_waiting_spawns)
{
    for (const bool destroy : {false, true})
    {
        net::io_context io;
        auto g = std::make_unique<task_group>(io, task_group_options{1, ctype::none});
        probe first;
        probe second;
        g->spawn(io, waits_for_any_request(first));
        std::optional<std::exception_ptr> refused;
        g->spawn(io, waits_for_any_request(second), [&](std::exception_ptr e) { refused = e; });
        io.poll();
        if (destroy)
            g.reset();
        else
        {
            g->close();
            g->cancel();
        }
        run_to_end(io);
        BOOST_REQUIRE(refused.has_value());
        BOOST_TEST(code_of(*refused) == asio_shield::error::group_closed);
        BOOST_TEST(!second.started);
        BOOST_TEST(first.ended);
    }
}

// J8: a limit of 0 is refused at construction (no session could ever run).
BOOST_AUTO_TEST_CASE(J8_limit_of_zero_is_refused_at_construction)
{
    net::io_context io;
    task_group_options options;
    options.max_sessions = 0;
    BOOST_CHECK_THROW(task_group(io, options), std::invalid_argument);
    options.max_sessions = 1;
    BOOST_CHECK_NO_THROW(task_group(io, options));
}

// --------------------------------------------------------------------------
// J6: two-stage shutdown (order of stages; times in shutdown_exact_test.cpp).

// J6, J10: an empty group's shutdown completes with 0, never inline; asking
// again after it is over completes at once too.
BOOST_AUTO_TEST_CASE(J6_shutdown_of_an_empty_group_completes_with_zero)
{
    net::io_context io;
    task_group g(io);
    shutdown_result a;
    g.async_shutdown(ctype::total, forever, forever, record(a));
    BOOST_TEST(!a.ec.has_value()); // J10.
    BOOST_TEST(!g.is_open());
    io.poll();
    BOOST_REQUIRE(a.ec.has_value());
    BOOST_TEST(!*a.ec);
    BOOST_TEST(a.left == 0u);
    shutdown_result b;
    g.async_shutdown(ctype::total, forever, forever, record(b));
    BOOST_TEST(!b.ec.has_value());
    io.restart();
    io.poll();
    BOOST_REQUIRE(b.ec.has_value());
    BOOST_TEST(!*b.ec);
}

// J6: the graceful type reaches every session first (unmarked); the shutdown
// completes with 0 when the last has ended.
BOOST_AUTO_TEST_CASE(J6_graceful_type_first_and_completes_when_empty)
{
    net::io_context io;
    task_group g(io);
    probe a;
    probe b;
    g.spawn(net::make_strand(io), waits_for_any_request(a));
    g.spawn(net::make_strand(io), waits_for_any_request(b));
    io.poll();
    shutdown_result r;
    g.async_shutdown(ctype::total, forever, forever, record(r));
    run_to_end(io);
    BOOST_REQUIRE(r.ec.has_value());
    BOOST_TEST(!*r.ec);
    BOOST_TEST(r.left == 0u);
    for (probe* p : {&a, &b})
    {
        BOOST_TEST(p->types == std::vector<ctype>{ctype::total});
        BOOST_TEST(p->expired == std::vector<bool>{false});
    }
}

// J6: asking again moves to the hard stage at once: terminal, marked as a
// passed deadline (T7), and every shutdown completes with the count left.
// Nothing is freed under the session that is left: it ends later, by hand.
BOOST_AUTO_TEST_CASE(J6_second_shutdown_moves_to_the_hard_stage_at_once)
{
    net::io_context io;
    task_group g(io);
    probe listening;
    probe ignoring;
    net::steady_timer gate(io, forever);
    g.spawn(io, waits_for_any_request(listening));
    g.spawn(io, stubborn(gate, ignoring));
    io.poll();
    shutdown_result first;
    // The graceful stage: `listening` lets partial in and ends on it.
    g.async_shutdown(ctype::partial, forever, forever, record(first));
    io.poll();
    BOOST_TEST(!first.ec.has_value());
    BOOST_TEST(listening.types == std::vector<ctype>{ctype::partial});
    BOOST_TEST(listening.expired == std::vector<bool>{false});
    BOOST_TEST(g.size() == 1u); // `ignoring` is shielded.
    shutdown_result second;
    g.async_shutdown(ctype::total, forever, forever, record(second));
    io.poll();
    BOOST_REQUIRE(first.ec.has_value());
    BOOST_REQUIRE(second.ec.has_value());
    BOOST_TEST(*first.ec == net::error::timed_out);
    BOOST_TEST(*second.ec == net::error::timed_out);
    BOOST_TEST(first.left == 1u);
    BOOST_TEST(second.left == 1u);
    BOOST_TEST(!ignoring.ended);
    gate.cancel(); // The session left runs to its end: its state is still there.
    run_to_end(io);
    BOOST_TEST(ignoring.ended);
    BOOST_TEST(g.size() == 0u);
}

// J6: the terminal of the hard stage arrives marked as a passed deadline (T7).
BOOST_AUTO_TEST_CASE(J6_hard_stage_terminal_is_marked_as_expired)
{
    net::io_context io;
    task_group g(io);
    probe p;
    g.spawn(io, [&]() -> net::awaitable<void> {
        p.started = true;
        co_await net::this_coro::throw_if_cancelled(false);
        // Lets terminal in only (co_spawn's default): the graceful total is
        // filtered out, so the first request to arrive is the hard stage's.
        error_code ec;
        co_await async_probe_wait(p, net::redirect_error(net::use_awaitable, ec));
        p.ended = true;
    });
    io.poll();
    shutdown_result a;
    shutdown_result b;
    g.async_shutdown(ctype::total, forever, forever, record(a));
    io.poll();
    BOOST_TEST(p.types.empty());
    g.async_shutdown(ctype::total, forever, forever, record(b));
    run_to_end(io);
    BOOST_TEST(p.types == std::vector<ctype>{ctype::terminal});
    BOOST_TEST(p.expired == std::vector<bool>{true});
    BOOST_REQUIRE(a.ec.has_value());
    // The session ended on the hard stage's request, after the stage completed.
    BOOST_TEST(*a.ec == net::error::timed_out);
    BOOST_TEST(a.left == 1u);
    BOOST_TEST(p.ended);
}

// J6: a shutdown awaited inside one of the group's own sessions: its wait
// includes that session, so the shutdown's own request ends the wait
// (operation_aborted) while the shutdown goes on, and completes with 0.
BOOST_AUTO_TEST_CASE(J6_shutdown_awaited_inside_a_session_of_the_same_group)
{
    net::io_context io;
    task_group g(io);
    std::optional<error_code> inner;
    g.spawn(io, [&]() -> net::awaitable<void> {
        auto [ec, left] = co_await g.async_shutdown(ctype::terminal, forever, forever,
                                                    test::as_tuple(net::use_awaitable));
        inner = ec;
    });
    io.poll();
    shutdown_result outer;
    g.async_shutdown(ctype::terminal, forever, forever, record(outer));
    // The outer call came second: the hard stage, at once, with the session
    // still running or already gone.
    run_to_end(io);
    BOOST_REQUIRE(inner.has_value());
    BOOST_TEST(*inner == net::error::operation_aborted);
    BOOST_REQUIRE(outer.ec.has_value());
    BOOST_TEST(g.size() == 0u);
}

// J5, J3: a join awaited inside one of the group's own sessions waits for
// that session too; it ends when the session is cancelled (here by the
// shutdown, whose terminal reaches the join through the coroutine), and the
// shutdown completes with 0: no silent deadlock.
BOOST_AUTO_TEST_CASE(J5_join_awaited_inside_a_session_ends_by_its_cancellation)
{
    net::io_context io;
    task_group g(io);
    std::optional<error_code> inner;
    g.spawn(io, [&]() -> net::awaitable<void> {
        g.close();
        auto [ec] = co_await g.async_join(test::as_tuple(net::use_awaitable));
        inner = ec;
    });
    io.poll();
    BOOST_TEST(!inner.has_value()); // Waiting for itself.
    shutdown_result r;
    g.async_shutdown(ctype::terminal, forever, forever, record(r));
    run_to_end(io);
    BOOST_REQUIRE(inner.has_value());
    BOOST_TEST(*inner == net::error::operation_aborted);
    BOOST_REQUIRE(r.ec.has_value());
    BOOST_TEST(!*r.ec);
    BOOST_TEST(r.left == 0u);
}

// J6: cancelling the shutdown operation only stops the wait; the shutdown
// goes on (a later call still escalates it).
BOOST_AUTO_TEST_CASE(J6_cancelled_shutdown_stops_waiting_only)
{
    net::io_context io;
    task_group g(io);
    probe ignoring;
    net::steady_timer gate(io, forever);
    g.spawn(io, stubborn(gate, ignoring));
    io.poll();
    net::cancellation_signal sig;
    shutdown_result r;
    g.async_shutdown(ctype::total, forever, forever,
                     net::bind_cancellation_slot(sig.slot(), record(r)));
    io.poll();
    sig.emit(ctype::terminal);
    io.poll();
    BOOST_REQUIRE(r.ec.has_value());
    BOOST_TEST(*r.ec == net::error::operation_aborted);
    BOOST_TEST(r.left == 1u);
    BOOST_TEST(!g.is_open());
    shutdown_result again;
    g.async_shutdown(ctype::total, forever, forever, record(again));
    io.poll();
    BOOST_REQUIRE(again.ec.has_value());
    BOOST_TEST(*again.ec == net::error::timed_out); // The hard stage, at once.
    gate.cancel();
    run_to_end(io);
}

// --------------------------------------------------------------------------
// J9: signals (SIGUSR1 and SIGUSR2 here: the set is the caller's choice).

BOOST_AUTO_TEST_CASE(J9_first_signal_starts_the_shutdown_second_ends_it)
{
    net::io_context io;
    task_group g(io);
    probe ignoring;
    net::steady_timer gate(io, forever);
    g.spawn(io, stubborn(gate, ignoring));
    net::signal_set signals(io, SIGUSR1, SIGUSR2);
    shutdown_result r;
    g.async_shutdown_on_signal(signals, ctype::total, forever, forever, record(r));
    io.poll();
    BOOST_TEST(g.is_open()); // Nothing before a signal.
    std::raise(SIGUSR1);
    io.poll();
    BOOST_TEST(!g.is_open()); // The first signal started the shutdown.
    BOOST_TEST(!r.ec.has_value());
    std::raise(SIGUSR2);
    io.poll();
    BOOST_REQUIRE(r.ec.has_value()); // The second ended it at once.
    BOOST_TEST(*r.ec == net::error::timed_out);
    BOOST_TEST(r.left == 1u);
    gate.cancel();
    run_to_end(io); // No signal wait is left behind.
}

// J9: the helper completes with the shutdown when the sessions end, and its
// wait for a first signal can be cancelled.
BOOST_AUTO_TEST_CASE(J9_signal_helper_ends_with_the_shutdown_and_is_cancellable)
{
    {
        net::io_context io;
        task_group g(io);
        probe p;
        g.spawn(io, waits_for_any_request(p));
        net::signal_set signals(io, SIGUSR1);
        shutdown_result r;
        g.async_shutdown_on_signal(signals, ctype::total, forever, forever, record(r));
        io.poll();
        std::raise(SIGUSR1);
        run_to_end(io);
        BOOST_REQUIRE(r.ec.has_value());
        BOOST_TEST(!*r.ec);
        BOOST_TEST(r.left == 0u);
        BOOST_TEST(p.types == std::vector<ctype>{ctype::total});
    }
    {
        net::io_context io;
        task_group g(io);
        net::signal_set signals(io, SIGUSR1);
        net::cancellation_signal sig;
        shutdown_result r;
        g.async_shutdown_on_signal(signals, ctype::total, forever, forever,
                                   net::bind_cancellation_slot(sig.slot(), record(r)));
        io.poll();
        sig.emit(ctype::terminal);
        run_to_end(io);
        BOOST_REQUIRE(r.ec.has_value());
        BOOST_TEST(*r.ec == net::error::operation_aborted);
        BOOST_TEST(g.is_open()); // No shutdown was started.
    }
}

// --------------------------------------------------------------------------
// J10: never inline, for every operation that can complete at once.

BOOST_AUTO_TEST_CASE(J10_no_operation_completes_inside_its_initiating_call)
{
    net::io_context io;
    task_group g(io);
    g.close();
    int calls = 0;
    g.async_join([&](error_code) { ++calls; });
    g.async_join_for(-1s, [&](error_code) { ++calls; });
    g.spawn(
        io, []() -> net::awaitable<void> { co_return; }, [&](std::exception_ptr) { ++calls; });
    g.async_run(
        io.get_executor(), []() -> net::awaitable<void> { co_return; },
        [&](std::exception_ptr) { ++calls; });
    g.async_shutdown(ctype::total, 0s, 0s, [&](error_code, std::size_t) { ++calls; });
    BOOST_TEST(calls == 0);
    io.run();
    BOOST_TEST(calls == 5);
}

BOOST_AUTO_TEST_SUITE_END()
