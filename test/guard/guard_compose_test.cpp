// G5 (composes: co_spawn, ||, nested calls, strands on two threads),
// G6 (exception safe) and G7 (observable).
#include "guard/guard_support.hpp"

#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace test;
using asio_shield::guard_cancellation;

BOOST_AUTO_TEST_SUITE(guard)

namespace {

struct branch_log
{
    bool guarded_work_done = false;
    std::chrono::milliseconds guarded_elapsed{};
    bool threw_after_guard = false;
};

/// A branch that protects its work with a guard, then checks G2.
net::awaitable<void> guarded_branch(branch_log& log, std::chrono::milliseconds work)
{
    {
        auto guard = co_await guard_cancellation();
        const auto start = clock::now();
        co_await tick(work);
        log.guarded_elapsed = ms_since(start);
        log.guarded_work_done = true;
    }
    NEXT_AWAIT_THROWS(log.threw_after_guard);
}

} // namespace

CO_TEST_CASE(G5_guard_in_or_branch_runs_and_or_waits_for_it)
{
    using namespace net::experimental::awaitable_operators;
    branch_log log;
    const auto start = clock::now();
    auto result = co_await (guarded_branch(log, 40ms) || tick(1ms));
    BOOST_TEST(result.index() == 1u);  // the other branch won...
    BOOST_TEST(log.guarded_work_done); // ...yet the guarded work completed
    BOOST_TEST(log.guarded_elapsed >= 40ms);
    BOOST_TEST(ms_since(start) >= 40ms); // the || waited for it
    BOOST_TEST(log.threw_after_guard);   // and the branch then saw the || cancel it
}

SIGNAL_TEST_CASE(G5_guard_in_or_branch_with_parent_cancelled)
{
    using namespace net::experimental::awaitable_operators;
    requester r(io.get_executor(), sig);
    branch_log log;
    net::steady_timer never(io, 1h);
    r.soon(ct::terminal); // cuts the unguarded branch, reaches the guarded one
    // || waits for the first success: the guarded branch, once it is done.
    auto result = co_await (guarded_branch(log, 30ms) || never.async_wait(net::use_awaitable));
    BOOST_TEST(result.index() == 0u);
    BOOST_TEST(log.guarded_work_done);
    BOOST_TEST(log.guarded_elapsed >= 30ms);
    BOOST_TEST(log.threw_after_guard);
    CHECK_NEXT_AWAIT_THROWS(true); // the parent recorded the request too
}

namespace {

net::awaitable<void> wait_level_three(net::steady_timer& t)
{
    co_await t.async_wait(net::use_awaitable);
}

net::awaitable<void> wait_level_two(net::steady_timer& t)
{
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    co_await wait_level_three(t);
}

net::awaitable<void> nested_guarded_cleanup(net::io_context& io, requester& r)
{
    auto guard = co_await guard_cancellation();
    r.soon(ct::terminal);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer t(io, 20ms);
    r.pending = true;
    co_await wait_level_two(t);
    r.pending = false;
    BOOST_TEST(ms_since(start) >= 20ms);
}

} // namespace

SIGNAL_TEST_CASE(G5_guard_in_nested_awaitable_function)
{
    requester r(io.get_executor(), sig);
    co_await nested_guarded_cleanup(io, r); // guard lives in the callee's frame
    BOOST_TEST(r.all_landed_while_pending());
    CHECK_NEXT_AWAIT_THROWS(true); // re-armed when the callee returned
}

BOOST_AUTO_TEST_CASE(G5_cospawn_with_executor_bound_handler)
{
    // co_spawn relays requests through dispatch() when the completion handler
    // has its own executor.
    net::io_context io;
    net::cancellation_signal sig;
    requester r(io.get_executor(), sig);
    bool done = false, threw_after = false;
    std::chrono::milliseconds elapsed{};
    auto body = [&]() -> net::awaitable<void> {
        {
            auto guard = co_await guard_cancellation();
            r.soon(ct::terminal);
            const auto start = clock::now();
            co_await tick(20ms);
            elapsed = ms_since(start);
        }
        NEXT_AWAIT_THROWS(threw_after);
    };
    net::co_spawn(io, body(),
                  // Slot binder innermost: plain Asio 1.29.0 cannot nest the other way.
                  net::bind_executor(io.get_executor(),
                                     net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
                                         BOOST_TEST(!e);
                                         done = true;
                                     })));
    io.run();
    BOOST_TEST_REQUIRE(done);
    BOOST_TEST(elapsed >= 20ms);
    BOOST_TEST(threw_after);
}

namespace {

constexpr auto strand_work = 20ms;

struct strand_state
{
    explicit strand_state(net::io_context& io) : strand(net::make_strand(io)) {}
    net::strand<net::io_context::executor_type> strand;
    net::cancellation_signal sig;
    bool emitted_while_pending = false;
    bool pending = false;
    std::chrono::milliseconds elapsed{};
    bool threw_after = false;
    bool done = false;
    std::exception_ptr error;
};

net::awaitable<void> strand_body(strand_state& s)
{
    {
        auto guard = co_await guard_cancellation();
        // Requests must come from the coroutine's strand, as Asio requires.
        net::post(s.strand, [&s] {
            s.emitted_while_pending = s.pending;
            s.sig.emit(ct::terminal);
        });
        const auto start = clock::now(); // Before the timer starts counting.
        net::steady_timer t(s.strand, strand_work);
        s.pending = true;
        co_await t.async_wait(net::use_awaitable);
        s.pending = false;
        s.elapsed = ms_since(start);
    }
    NEXT_AWAIT_THROWS(s.threw_after);
}

} // namespace

BOOST_AUTO_TEST_CASE(G5_strands_on_two_threads)
{
    constexpr int coroutines = 8;
    net::io_context io(2);
    using slot_state = strand_state;
    std::vector<std::unique_ptr<slot_state>> states;
    for (int i = 0; i < coroutines; ++i)
        states.push_back(std::make_unique<slot_state>(io));

    for (auto& sp : states)
    {
        slot_state& s = *sp;
        net::co_spawn(s.strand, strand_body(s),
                      net::bind_cancellation_slot(s.sig.slot(), [&s](std::exception_ptr e) {
                          s.error = e; // checked on the test thread after join()
                          s.done = true;
                      }));
    }
    std::thread other([&] { io.run(); });
    io.run();
    other.join();
    for (auto& sp : states)
    {
        BOOST_TEST(sp->done);
        BOOST_TEST(!sp->error);
        BOOST_TEST(sp->emitted_while_pending);
        BOOST_TEST(sp->elapsed >= strand_work);
        BOOST_TEST(sp->threw_after);
    }
}

SIGNAL_TEST_CASE(G6_exception_in_scope_ends_guard_and_rearms)
{
    requester r(io.get_executor(), sig);
    try
    {
        auto guard = co_await guard_cancellation();
        r.soon(ct::terminal);
        co_await tick(5ms);
        throw std::runtime_error("cleanup failed");
    }
    catch (const std::runtime_error&)
    {}
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    BOOST_TEST(RECORDED() == ct::terminal);
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G6_exception_in_scope_without_request_invents_nothing)
{
    try
    {
        auto guard = co_await guard_cancellation();
        co_await tick(1ms);
        throw std::runtime_error("cleanup failed");
    }
    catch (const std::runtime_error&)
    {}
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    CHECK_NEXT_AWAIT_THROWS(false);
    sig.emit(ct::terminal); // G4: the original state is back and live
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G6_exception_in_scope_restores_user_flag)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::throw_if_cancelled(false);
    try
    {
        auto guard = co_await guard_cancellation();
        r.soon(ct::terminal);
        co_await tick(5ms);
        throw std::runtime_error("cleanup failed");
    }
    catch (const std::runtime_error&)
    {}
    BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
    BOOST_TEST(RECORDED() == ct::terminal);
}

SIGNAL_TEST_CASE(G6_abort_thrown_after_release_unwinds_released_guard)
{
    // G2 too: once released, the scope throws like a plain cancelled
    // coroutine, and unwinding the released guard changes nothing.
    requester r(io.get_executor(), sig);
    bool caught = false;
    try
    {
        auto guard = co_await guard_cancellation();
        r.soon(ct::terminal);
        co_await tick(5ms);
        guard.release();
        co_await tick(5ms); // throws: the request is re-armed
    }
    catch (const system_error& e)
    {
        caught = is_aborted(e);
    }
    BOOST_TEST(caught);
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
}

SIGNAL_TEST_CASE(G7_union_of_partial_then_terminal)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    auto guard = co_await guard_cancellation();
    r.soon(ct::partial);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.cancellation_requested() == ct::partial);
    r.soon(ct::terminal);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.cancellation_requested() == (ct::partial | ct::terminal));
    // Inside the scope, this_coro::cancellation_state reports the union too.
    BOOST_TEST(RECORDED() == (ct::partial | ct::terminal));
    guard.release();
    BOOST_TEST(guard.cancellation_requested() == (ct::partial | ct::terminal));
    BOOST_TEST(RECORDED() == ct::terminal); // Asio's own record: the last one
}

// G7 for a guard entered right after another one, with nothing awaited in
// between: a request made during its scope is in its union and in
// this_coro::cancellation_state. (The earlier guard's exit once left a handler
// in the coroutine's slot, which the next guard took for an operation's.)
SIGNAL_TEST_CASE(G7_guard_after_another_guard_reports_requests_during_it)
{
    requester r(io.get_executor(), sig);
    {
        auto first = co_await guard_cancellation();
        co_await net::post(io, net::use_awaitable);
    }
    auto guard = co_await guard_cancellation();
    r.soon(ct::terminal);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.cancellation_requested() == ct::terminal);
    BOOST_TEST(RECORDED() == ct::terminal);
}

SIGNAL_TEST_CASE(G7_reports_request_recorded_before_guard)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    auto guard = co_await guard_cancellation();
    BOOST_TEST(guard.cancellation_requested() == ct::terminal);
    BOOST_TEST(RECORDED() == ct::terminal);
}

SIGNAL_TEST_CASE(G7_after_filters_dropped_types_not_reported)
{
    // co_spawn's default filter accepts terminal only.
    requester r(io.get_executor(), sig);
    auto guard = co_await guard_cancellation();
    r.soon(ct::partial);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.cancellation_requested() == ct::none);
    r.soon(ct::all);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.cancellation_requested() == ct::terminal);
}

SIGNAL_TEST_CASE(G7_inner_guard_reports_what_outer_saw)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    REQUEST_AND_CATCH(r, ct::terminal);
    auto outer = co_await guard_cancellation();
    r.soon(ct::partial);
    co_await net::post(io, net::use_awaitable);
    {
        auto inner = co_await guard_cancellation();
        BOOST_TEST(inner.cancellation_requested() == (ct::terminal | ct::partial));
        BOOST_TEST(RECORDED() == (ct::terminal | ct::partial));
        r.soon(ct::total); // during the inner guard
        co_await net::post(io, net::use_awaitable);
        BOOST_TEST(inner.cancellation_requested() == (ct::terminal | ct::partial | ct::total));
        BOOST_TEST(RECORDED() == (ct::terminal | ct::partial | ct::total));
    }
    BOOST_TEST(outer.cancellation_requested() == (ct::terminal | ct::partial | ct::total));
    BOOST_TEST(RECORDED() == (ct::terminal | ct::partial | ct::total));
}

BOOST_AUTO_TEST_SUITE_END()
