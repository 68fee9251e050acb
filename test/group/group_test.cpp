// J1-J4: basic_task_group. Sessions leave the group when they end (J1);
// cancel() reaches every live session once, on its own strand (J2); joins wait
// for the closed group to empty, and their deadline only ends the wait (J3);
// async_run lets its caller go while the session finishes in the group (J4).
// J5-J10 are in shutdown_test.cpp.
//
// No case relies on timing: "pending forever" operations end only when a
// test says so, and the one deadline that is not in the past guards a session
// that ignores cancellation, so it expires whatever the machine's speed.
#include "common/co_test.hpp"

#include <asio_shield/task_group.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using asio_shield::task_group;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;

namespace {

constexpr auto forever = std::chrono::hours(24 * 365);
using strand_type = net::strand<net::io_context::executor_type>;

/// Where and how often a session's pending operation saw a request.
struct recorder
{
    std::atomic<int> calls{0};
    std::atomic<int> off_strand{0}; // Requests that arrived outside the session's strand.
    // Misuse seen on the session's threads, checked by the test's own thread
    // (Boost.Test's checks are not thread-safe).
    std::atomic<int> unconnected{0};  // A wait started without a cancellation slot.
    std::atomic<int> wrong_result{0}; // A wait that ended otherwise than by cancellation.
};

/// An operation that completes (with operation_aborted) only when cancelled.
/// Its slot handler runs where the request is emitted, and records whether
/// that is on `strand`.
struct initiate_wait_cancelled
{
    template <typename Handler>
    void operator()(Handler&& handler, strand_type strand, recorder* r) const
    {
        using handler_type = std::decay_t<Handler>;
        auto slot = net::get_associated_cancellation_slot(handler);
        if (!slot.is_connected())
        {
            ++r->unconnected; // Never completes: the test then fails by work left behind.
            return;
        }
        auto state = std::make_shared<std::optional<handler_type>>(std::forward<Handler>(handler));

        struct on_cancel
        {
            std::shared_ptr<std::optional<handler_type>> state;
            strand_type strand;
            recorder* r;
            net::cancellation_slot slot;
            bool fired = false;

            on_cancel(std::shared_ptr<std::optional<handler_type>> st, strand_type s, recorder* rec,
                      net::cancellation_slot sl)
                : state(std::move(st)), strand(std::move(s)), r(rec), slot(sl)
            {}

            void operator()(net::cancellation_type_t)
            {
                ++r->calls;
                if (!strand.running_in_this_thread())
                    ++r->off_strand;
                if (std::exchange(fired, true))
                    return;
                auto ex = net::get_associated_executor(**state, strand);
                net::post(ex, [st = state, sl = slot]() mutable {
                    sl.clear();
                    handler_type h(std::move(**st));
                    st->reset();
                    std::move(h)(error_code(net::error::operation_aborted));
                });
            }
        };
        slot.template emplace<on_cancel>(state, std::move(strand), r, slot);
    }
};

template <typename Token>
auto async_wait_cancelled(strand_type strand, recorder& r, Token&& token)
{
    return net::async_initiate<Token, void(error_code)>(initiate_wait_cancelled{}, token,
                                                        std::move(strand), &r);
}

/// A session that waits for `n` requests, one after the other.
net::awaitable<void> wait_cancels(strand_type strand, recorder& r, int n,
                                  std::function<void(int)> on_wake = {})
{
    co_await net::this_coro::throw_if_cancelled(false);
    for (int i = 0; i < n; ++i)
    {
        error_code ec;
        co_await async_wait_cancelled(strand, r, net::redirect_error(net::use_awaitable, ec));
        if (ec != net::error::operation_aborted)
            ++r.wrong_result;
        co_await net::this_coro::reset_cancellation_state();
        if (on_wake)
            on_wake(i);
    }
}

/// Runs `io` until it is out of work; fails (instead of hanging) if it is not
/// out of work after a minute, which only a broken group causes.
void run_to_end(net::io_context& io)
{
    io.run_for(60s);
    BOOST_REQUIRE_MESSAGE(io.stopped(), "work left in the io_context: a session never ended");
}

/// Waits, one post at a time, until no session is left (the group stays open).
net::awaitable<void> drained(task_group& g)
{
    while (g.size() != 0)
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
}

/// The completion of a spawn with the void signature, recorded.
struct spawn_result
{
    int calls = 0;
    std::exception_ptr error;
    std::size_t size_seen = 999;
};

} // namespace

BOOST_AUTO_TEST_SUITE(group)

// --------------------------------------------------------------------------
// J1: spawn, and sessions leaving the group.

BOOST_AUTO_TEST_CASE(J1_session_leaves_the_group_when_it_ends_normally)
{
    net::io_context io;
    task_group g(io);
    spawn_result result;
    g.spawn(
        net::make_strand(io),
        []() -> net::awaitable<void> {
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        },
        [&](std::exception_ptr e) {
            ++result.calls;
            result.error = e;
            result.size_seen = g.size();
        });
    BOOST_TEST(g.size() == 1u);
    run_to_end(io);
    BOOST_TEST(result.calls == 1);
    BOOST_TEST(!result.error);
    BOOST_TEST(result.size_seen == 0u); // Gone before its handler runs.
    BOOST_TEST(g.size() == 0u);
}

BOOST_AUTO_TEST_CASE(J1_session_leaves_the_group_when_it_throws)
{
    net::io_context io;
    task_group g(io);
    spawn_result result;
    g.spawn(
        io.get_executor(),
        []() -> net::awaitable<void> {
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            throw std::runtime_error("session failed");
        },
        [&](std::exception_ptr e) {
            ++result.calls;
            result.error = e;
            result.size_seen = g.size();
        });
    // One with the default token that throws leaves too (J7: the group keeps
    // its exception).
    g.spawn(io, []() -> net::awaitable<void> {
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        throw std::runtime_error("kept");
    });
    BOOST_TEST(g.size() == 2u);
    run_to_end(io);
    BOOST_TEST(result.calls == 1);
    BOOST_REQUIRE(result.error);
    BOOST_CHECK_THROW(std::rethrow_exception(result.error), std::runtime_error);
    BOOST_TEST(result.size_seen <= 1u);
    BOOST_TEST(g.size() == 0u);
    BOOST_CHECK_THROW(std::rethrow_exception(g.first_exception()), std::runtime_error);
}

CO_TEST_CASE(J1_spawn_with_any_token_gets_co_spawns_signature)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);

    // An awaitable (not a callable), use_awaitable.
    auto make = [](int v) -> net::awaitable<int> {
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        co_return v;
    };
    const int a = co_await g.spawn(ex, make(7), net::use_awaitable);
    BOOST_TEST(a == 7);

    // An exception reaches the awaiting coroutine.
    bool threw = false;
    try
    {
        co_await g.spawn(
            ex,
            []() -> net::awaitable<int> {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
                throw std::runtime_error("x");
            },
            net::use_awaitable);
    }
    catch (const std::runtime_error&)
    {
        threw = true;
    }
    BOOST_TEST(threw);

    // deferred: nothing starts until the operation is launched.
    auto op = g.spawn(ex, make(8), test::deferred);
    BOOST_TEST(g.size() == 0u);
    int b = 0;
    std::move(op)([&](std::exception_ptr, int v) { b = v; });
    BOOST_TEST(g.size() == 1u);
    co_await drained(g);
    co_await net::post(ex, net::use_awaitable);
    BOOST_TEST(b == 8);

    // A handler bound to another strand runs there.
    auto other = net::make_strand(ex);
    bool on_other = false;
    g.spawn(ex, make(9), net::bind_executor(other, [&](std::exception_ptr, int) {
                on_other = other.running_in_this_thread();
            }));
    g.close();
    co_await g.async_join(net::use_awaitable);
    BOOST_TEST(on_other);
    BOOST_TEST(g.size() == 0u);
}

BOOST_AUTO_TEST_CASE(J1_spawn_with_use_future)
{
    net::io_context io;
    task_group g(io);
    std::future<int> f = g.spawn(
        io,
        []() -> net::awaitable<int> {
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            co_return 42;
        },
        net::use_future);
    run_to_end(io);
    BOOST_TEST(f.get() == 42);
}

// J1: destroying the group does not wait; it closes the group, its sessions
// get terminal cancellation, end in their own time, and a join pending then
// completes.
BOOST_AUTO_TEST_CASE(J1_group_destroyed_with_sessions_alive)
{
    net::io_context io;
    auto strand = net::make_strand(io);
    recorder r;
    int ended = 0;
    std::optional<error_code> joined;
    {
        task_group g(io);
        g.spawn(strand, wait_cancels(strand, r, 1), [&](std::exception_ptr) { ++ended; });
        g.async_join([&](error_code ec) { joined = ec; });
        io.poll(); // The session waits; nothing completes.
        BOOST_TEST(ended == 0);
    }
    run_to_end(io);
    BOOST_TEST(r.calls == 1);
    BOOST_TEST(r.off_strand == 0);
    BOOST_TEST(ended == 1);
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(!*joined);
}

// J1: the io_context goes first, with sessions pending: they leave the group
// (their frames are destroyed), and nothing is left for the group to crash on.
BOOST_AUTO_TEST_CASE(J1_io_context_destroyed_with_sessions_pending)
{
    auto io = std::make_unique<net::io_context>();
    task_group g(io->get_executor());
    for (int i = 0; i < 3; ++i)
        g.spawn(net::make_strand(*io), []() -> net::awaitable<void> {
            net::steady_timer t(co_await net::this_coro::executor, forever);
            co_await t.async_wait(net::use_awaitable);
        });
    io->poll();
    BOOST_TEST(g.size() == 3u);
    io.reset();
    BOOST_TEST(g.size() == 0u);
    g.cancel(); // Nothing left to reach.
    g.close();
    // Closed and empty: the join completes at once.
    net::io_context other;
    std::optional<error_code> joined;
    g.async_join(net::bind_executor(other, [&](error_code ec) { joined = ec; }));
    other.run();
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(!*joined);
}

// --------------------------------------------------------------------------
// J2: cancel.

BOOST_AUTO_TEST_CASE(J2_cancel_reaches_each_session_once_on_its_own_strand)
{
    net::io_context io;
    task_group g(io);
    constexpr int n = 5;
    std::vector<std::unique_ptr<recorder>> recorders;
    int ended = 0;
    for (int i = 0; i < n; ++i)
    {
        recorders.push_back(std::make_unique<recorder>());
        auto strand = net::make_strand(io);
        g.spawn(strand, wait_cancels(strand, *recorders.back(), 1), [&](std::exception_ptr e) {
            BOOST_TEST(!e);
            ++ended;
        });
    }
    // Called outside every strand: each emission must still happen on its own.
    net::post(io, [&] { g.cancel(); });
    run_to_end(io);
    for (const auto& r : recorders)
    {
        BOOST_TEST(r->calls == 1);
        BOOST_TEST(r->off_strand == 0);
    }
    BOOST_TEST(ended == n);
    BOOST_TEST(g.size() == 0u);
}

// J2: a second cancel() delivers again to every session alive then.
BOOST_AUTO_TEST_CASE(J2_cancel_twice_delivers_twice)
{
    net::io_context io;
    task_group g(io);
    recorder a;
    recorder b;
    auto sa = net::make_strand(io);
    auto sb = net::make_strand(io);
    // `a` asks for the second round itself, once it has seen the first.
    g.spawn(sa, wait_cancels(sa, a, 2, [&](int i) {
                if (i == 0)
                    g.cancel();
            }));
    g.spawn(sb, wait_cancels(sb, b, 2));
    net::post(io, [&] { g.cancel(); });
    run_to_end(io);
    BOOST_TEST(a.calls == 2);
    BOOST_TEST(b.calls == 2);
    BOOST_TEST(a.off_strand == 0);
    BOOST_TEST(b.off_strand == 0);
    BOOST_TEST(g.size() == 0u);
}

// J2: a session spawned after cancel() (shutdown has begun) is started and
// receives the request at once.
BOOST_AUTO_TEST_CASE(J2_spawn_after_cancel_receives_the_request_at_once)
{
    net::io_context io;
    task_group g(io);
    g.cancel();
    recorder r;
    auto strand = net::make_strand(io);
    bool ended = false;
    g.spawn(strand, wait_cancels(strand, r, 1), [&](std::exception_ptr) { ended = true; });
    run_to_end(io);
    BOOST_TEST(ended);
    BOOST_TEST(r.calls == 1);
    BOOST_TEST(r.off_strand == 0);
}

// J2: what a session sees: the default terminal request cuts a plain wait.
CO_TEST_CASE(J2_cancel_cuts_a_plain_wait)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);
    std::optional<error_code> result;
    g.spawn(ex, [&]() -> net::awaitable<void> {
        net::steady_timer t(co_await net::this_coro::executor, forever);
        error_code ec;
        co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
        result = ec;
    });
    co_await net::post(ex, net::use_awaitable);
    g.cancel();
    g.close();
    co_await g.async_join(net::use_awaitable);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
}

// J1, J2 on a multi-threaded io_context: many sessions on strands, cancelled
// from a thread outside the pool; each sees the request once, on its strand,
// and the join completes once they have all gone. (Also run under TSan.)
BOOST_AUTO_TEST_CASE(J2_many_sessions_on_strands_of_four_threads)
{
    net::io_context io(4);
    task_group g(io);
    constexpr int n = 2000;
    std::vector<std::unique_ptr<recorder>> recorders;
    std::atomic<int> ended{0};
    std::atomic<int> join_calls{0};
    std::atomic<std::size_t> size_at_join{999};
    std::atomic<bool> join_failed{false};
    for (int i = 0; i < n; ++i)
    {
        recorders.push_back(std::make_unique<recorder>());
        auto strand = net::make_strand(io);
        g.spawn(strand, wait_cancels(strand, *recorders.back(), 1),
                [&](std::exception_ptr) { ++ended; });
    }
    g.async_join([&](error_code ec) {
        join_failed = !!ec;
        size_at_join = g.size();
        ++join_calls;
    });
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run(); });
    // Sessions also end, and spawn, while this runs.
    std::thread canceller([&] {
        for (int i = 0; i < 100; ++i)
        {
            auto strand = net::make_strand(io);
            g.spawn(strand, []() -> net::awaitable<void> {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            });
        }
        g.cancel();
        g.close(); // J5: the join completes once the closed group is empty.
    });
    canceller.join();
    for (auto& t : threads)
        t.join();
    int calls = 0;
    int off = 0;
    int misuse = 0;
    for (const auto& r : recorders)
    {
        calls += r->calls;
        off += r->off_strand;
        misuse += r->unconnected + r->wrong_result;
        BOOST_TEST(r->calls == 1);
    }
    BOOST_TEST(calls == n);
    BOOST_TEST(off == 0);
    BOOST_TEST(misuse == 0);
    BOOST_TEST(!join_failed);
    BOOST_TEST(ended == n);
    BOOST_TEST(join_calls == 1);
    BOOST_TEST(size_at_join == 0u);
    BOOST_TEST(g.size() == 0u);
}

// --------------------------------------------------------------------------
// J3: join.

// J5, J10: a closed, empty group's join completes at once, never inside the
// call; an open one waits for close().
BOOST_AUTO_TEST_CASE(J5_join_waits_for_close_then_completes_never_inline)
{
    net::io_context io;
    task_group g(io);
    int calls = 0;
    error_code result = net::error::fault;
    g.async_join([&](error_code ec) {
        ++calls;
        result = ec;
    });
    io.poll();
    BOOST_TEST(calls == 0); // Open: "empty" is not "done" (a spawn may come).
    g.close();
    BOOST_TEST(calls == 0); // Posted, not called from inside close().
    io.poll();
    BOOST_TEST(calls == 1);
    BOOST_TEST(!result);

    g.async_join([&](error_code ec) {
        ++calls;
        result = ec;
    });
    BOOST_TEST(calls == 1); // J10: not from inside async_join.
    io.restart();
    io.run();
    BOOST_TEST(calls == 2);
    BOOST_TEST(!result);
}

BOOST_AUTO_TEST_CASE(J3_join_twice_both_complete_after_the_last_session)
{
    net::io_context io;
    task_group g(io);
    recorder r;
    auto strand = net::make_strand(io);
    bool ended = false;
    g.spawn(strand, wait_cancels(strand, r, 1), [&](std::exception_ptr) { ended = true; });
    g.close();
    std::vector<bool> saw_ended;
    g.async_join([&](error_code ec) {
        BOOST_TEST(!ec);
        saw_ended.push_back(ended);
    });
    g.async_join([&](error_code ec) {
        BOOST_TEST(!ec);
        saw_ended.push_back(ended);
    });
    io.poll();
    BOOST_TEST(saw_ended.empty()); // The session is still waiting.
    g.cancel();
    run_to_end(io);
    BOOST_TEST(saw_ended == std::vector<bool>({true, true}));
}

// J3: a join is itself cancellable; the sessions are not affected.
BOOST_AUTO_TEST_CASE(J3_join_cancelled_completes_with_operation_aborted)
{
    net::io_context io;
    task_group g(io);
    recorder r;
    auto strand = net::make_strand(io);
    g.spawn(strand, wait_cancels(strand, r, 1));
    g.close();
    net::cancellation_signal sig;
    std::optional<error_code> joined;
    g.async_join(net::bind_cancellation_slot(sig.slot(), [&](error_code ec) { joined = ec; }));
    io.poll();
    BOOST_TEST(!joined.has_value());
    sig.emit(ctype::terminal);
    io.poll();
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(*joined == net::error::operation_aborted);
    BOOST_TEST(g.size() == 1u);
    BOOST_TEST(r.calls == 0);
    g.cancel();
    run_to_end(io);
    BOOST_TEST(g.size() == 0u);
}

// J3: the deadline only ends the wait, as an Asio `_for` form does: the
// sessions are not told, stay in the group, and a later join waits for them.
BOOST_AUTO_TEST_CASE(J3_join_for_deadline_only_stops_waiting)
{
    net::io_context io;
    task_group g(io);
    recorder r;
    auto strand = net::make_strand(io);
    bool ended = false;
    g.spawn(strand, wait_cancels(strand, r, 1), [&](std::exception_ptr) { ended = true; });
    g.close();
    std::optional<error_code> timed;
    // In the past: the deadline has passed when the wait starts.
    g.async_join_for(-1s, [&](error_code ec) { timed = ec; });
    io.poll();
    BOOST_REQUIRE(timed.has_value());
    BOOST_TEST(*timed == net::error::timed_out);
    io.poll();
    BOOST_TEST(r.calls == 0); // Not cut: that is the shutdown's task (J6).
    BOOST_TEST(!ended);
    BOOST_TEST(g.size() == 1u);
    std::optional<error_code> joined;
    g.async_join([&](error_code ec) { joined = ec; });
    io.poll();
    BOOST_TEST(!joined.has_value());
    g.cancel();
    run_to_end(io);
    BOOST_REQUIRE(joined.has_value());
    BOOST_TEST(!*joined);
    BOOST_TEST(r.calls == 1);
}

// J3, T5: deadlines in the past and durations at the ends of their range.
CO_TEST_CASE(J3_join_for_deadline_in_the_past_and_extreme_durations)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);
    auto strand = net::make_strand(io);

    recorder r1;
    g.spawn(strand, wait_cancels(strand, r1, 1));
    g.close();
    auto [e1] =
        co_await g.async_join_for(-std::chrono::hours::max(), test::as_tuple(net::use_awaitable));
    BOOST_TEST(e1 == net::error::timed_out);
    auto [e2] = co_await g.async_join_for(std::chrono::nanoseconds::min(),
                                          test::as_tuple(net::use_awaitable));
    BOOST_TEST(e2 == net::error::timed_out);
    auto [e3] = co_await g.async_join_until(std::chrono::system_clock::now() - 1h,
                                            test::as_tuple(net::use_awaitable));
    BOOST_TEST(e3 == net::error::timed_out);
    BOOST_TEST(r1.calls == 0);

    // No deadline in effect: hours::max() and time_point::max() wait for the
    // session, which the group's own cancel() ends.
    net::post(ex, [&] { g.cancel(); });
    auto [e4] =
        co_await g.async_join_for(std::chrono::hours::max(), test::as_tuple(net::use_awaitable));
    BOOST_TEST(!e4);
    BOOST_TEST(r1.calls == 1);
    auto [e5] = co_await g.async_join_until(std::chrono::system_clock::time_point::max(),
                                            test::as_tuple(net::use_awaitable));
    BOOST_TEST(!e5);
    // Closed and empty: success whatever the deadline.
    auto [e6] = co_await g.async_join_for(-1s, test::as_tuple(net::use_awaitable));
    BOOST_TEST(!e6);
}

// J3: any completion token.
BOOST_AUTO_TEST_CASE(J3_join_with_deferred_and_use_future)
{
    net::io_context io;
    task_group g(io);
    recorder r;
    auto strand = net::make_strand(io);
    g.spawn(strand, wait_cancels(strand, r, 1));
    g.close();
    auto op = g.async_join_for(forever, test::deferred);
    std::optional<error_code> deferred_result;
    std::move(op)([&](error_code ec) { deferred_result = ec; });
    std::future<void> f = g.async_join(net::use_future);
    io.poll();
    BOOST_TEST(!deferred_result.has_value());
    g.cancel();
    run_to_end(io);
    BOOST_REQUIRE(deferred_result.has_value());
    BOOST_TEST(!*deferred_result);
    BOOST_CHECK_NO_THROW(f.get());
}

// --------------------------------------------------------------------------
// J4: async_run.

// The caller is cancelled while the work runs: it is released at once with
// operation_aborted, the work goes on in the group, and the join waits for it.
CO_TEST_CASE(J4_cancelled_caller_is_released_while_the_work_finishes)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);
    auto strand = net::make_strand(io);
    // The work owns its state (J4's lifetime rule): the gate and its flag.
    struct work_state
    {
        explicit work_state(strand_type s) : gate(s, forever) {}
        net::steady_timer gate;
        bool done = false;
        bool cancelled = false;
    };
    auto state = std::make_shared<work_state>(strand);

    net::cancellation_signal caller_signal;
    std::optional<bool> caller_saw_aborted;
    bool work_done_when_released = true;
    std::size_t size_when_released = 0;
    net::co_spawn(
        ex,
        [&, state]() -> net::awaitable<void> {
            try
            {
                // Named, not a temporary of the co_await expression: g++ 12
                // destroys such a temporary twice when the co_await throws,
                // which here would drop a reference to `state` it never held.
                auto work = [state]() -> net::awaitable<void> {
                    error_code ec;
                    co_await state->gate.async_wait(net::redirect_error(net::use_awaitable, ec));
                    state->cancelled =
                        ec == net::error::operation_aborted &&
                        (co_await net::this_coro::cancellation_state).cancelled() != ctype::none;
                    state->done = true;
                };
                co_await g.async_run(strand, std::move(work), net::use_awaitable);
                caller_saw_aborted = false;
            }
            catch (const system_error& e)
            {
                caller_saw_aborted = e.code() == net::error::operation_aborted;
            }
            work_done_when_released = state->done;
            size_when_released = g.size();
        },
        net::bind_cancellation_slot(caller_signal.slot(), net::detached));

    co_await net::post(ex, net::use_awaitable);
    BOOST_TEST(g.size() == 1u);
    caller_signal.emit(ctype::terminal);
    co_await net::post(ex, net::use_awaitable);
    co_await net::post(ex, net::use_awaitable);
    BOOST_REQUIRE(caller_saw_aborted.has_value());
    BOOST_TEST(*caller_saw_aborted);
    BOOST_TEST(!work_done_when_released);
    BOOST_TEST(size_when_released == 1u);

    // The join waits for the work, which then runs to its end.
    bool joined = false;
    g.close();
    g.async_join([&](error_code) { joined = true; });
    co_await net::post(ex, net::use_awaitable);
    BOOST_TEST(!joined);
    net::post(strand, [state] { state->gate.cancel(); });
    co_await g.async_join(net::use_awaitable);
    BOOST_TEST(state->done);
    BOOST_TEST(!state->cancelled); // The caller's request never reached the work.
    co_await net::post(ex, net::use_awaitable);
    BOOST_TEST(joined);
}

// Not cancelled: async_run completes with the work's result or exception.
CO_TEST_CASE(J4_uncancelled_run_completes_with_the_result)
{
    auto ex = co_await net::this_coro::executor;
    task_group g(ex);
    auto strand = net::make_strand(io);
    const int v = co_await g.async_run(
        strand,
        []() -> net::awaitable<int> {
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            co_return 5;
        },
        net::use_awaitable);
    BOOST_TEST(v == 5);
    bool threw = false;
    try
    {
        co_await g.async_run(
            strand,
            []() -> net::awaitable<void> {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
                throw std::runtime_error("work failed");
            },
            net::use_awaitable);
    }
    catch (const std::runtime_error&)
    {
        threw = true;
    }
    BOOST_TEST(threw);
    BOOST_TEST(g.size() == 0u);

    // A callback with a slot: the value form of the aborted completion.
    net::cancellation_signal sig;
    std::optional<int> value;
    std::exception_ptr error;
    auto gate = std::make_shared<net::steady_timer>(strand, forever);
    g.async_run(
        strand,
        [gate]() -> net::awaitable<int> {
            error_code ec;
            co_await gate->async_wait(net::redirect_error(net::use_awaitable, ec));
            co_return 1;
        },
        // Slot binder innermost: plain Asio 1.29.0 cannot nest the other way.
        net::bind_executor(
            ex, net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e, int x) {
                error = e;
                value = x;
            })));
    co_await net::post(ex, net::use_awaitable);
    sig.emit(ctype::partial);
    co_await net::post(ex, net::use_awaitable);
    BOOST_REQUIRE(value.has_value());
    BOOST_TEST(*value == 0);
    BOOST_REQUIRE(error);
    bool aborted = false;
    try
    {
        std::rethrow_exception(error);
    }
    catch (const system_error& e)
    {
        aborted = e.code() == net::error::operation_aborted;
    }
    BOOST_TEST(aborted);
    BOOST_TEST(g.size() == 1u);
    net::post(strand, [gate] { gate->cancel(); });
    g.close();
    co_await g.async_join(net::use_awaitable);
}

BOOST_AUTO_TEST_SUITE_END()
