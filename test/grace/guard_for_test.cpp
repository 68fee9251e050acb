// T2, T3: guard_cancellation_for gives a guarded scope a grace period once a
// request arrives (or at entry, if one was recorded); then what is pending in
// the scope is cancelled and the guard behaves as released.
#include "grace/grace_support.hpp"

#include <asio_shield.hpp>

#include <vector>

using asio_shield::guard_cancellation;
using asio_shield::guard_cancellation_for;
using namespace test;

BOOST_AUTO_TEST_SUITE(grace)

// T2: a request arrives during the scope; the scope has the grace period, then
// its pending operation is cut and later co_awaits in the scope throw.
BOOST_AUTO_TEST_CASE(T2_scope_is_cut_after_the_grace_period)
{
    error_code result;
    double elapsed_since_request = 0;
    bool expired = false, active = true, later_await_throws = false;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(100ms);
            steady::time_point requested{};
            auto t = std::make_shared<net::steady_timer>(io, 20ms);
            t->async_wait([&, t](error_code) {
                requested = steady::now();
                sig.emit(ctype::terminal);
            });
            net::steady_timer work(io, 10s);
            auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
            result = ec;
            elapsed_since_request = ms_since(requested);
            expired = guard.expired();
            active = guard.active();
            NEXT_AWAIT_THROWS(later_await_throws);
        });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(elapsed_since_request >= 100.0); // The guard held for the grace period...
    BOOST_TEST(elapsed_since_request < 5000.0); // ...then gave way (generous bound).
    BOOST_TEST(expired);
    BOOST_TEST(!active);
    BOOST_TEST(later_await_throws); // Behaves as released.
}

// T2: a scope that finishes inside its grace period completes with natural
// results; the request is in force after it (G2).
BOOST_AUTO_TEST_CASE(T2_scope_finishing_inside_the_grace_period_completes)
{
    error_code result = net::error::would_block;
    bool expired = true, throws_after = false;
    double elapsed = 0;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            {
                auto guard = co_await guard_cancellation_for(10s);
                emit_after(io.get_executor(), sig, 5ms, ctype::terminal);
                const auto t0 = steady::now();
                net::steady_timer work(io, 50ms);
                auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
                elapsed = ms_since(t0);
                result = ec;
                expired = guard.expired();
            }
            NEXT_AWAIT_THROWS(throws_after);
        });
    BOOST_TEST(!result);
    BOOST_TEST(elapsed >= 50.0);
    BOOST_TEST(!expired);
    BOOST_TEST(throws_after);
}

// T2: a request recorded before the guard starts the grace period at entry —
// the cleanup case: catch operation_aborted, then guard with a deadline.
BOOST_AUTO_TEST_CASE(T2_request_recorded_before_entry_starts_the_deadline_at_entry)
{
    error_code result;
    double elapsed_since_entry = 0;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            emit_after(io.get_executor(), sig, 1ms, ctype::terminal);
            try
            {
                net::steady_timer wait(io, 10s);
                co_await wait.async_wait(net::use_awaitable);
            }
            catch (const system_error&)
            {}
            const auto entry = steady::now();
            auto guard = co_await guard_cancellation_for(100ms); // G0: no throw.
            net::steady_timer cleanup(io, 10s);
            auto [ec] = co_await cleanup.async_wait(test::as_tuple(net::use_awaitable));
            result = ec;
            elapsed_since_entry = ms_since(entry);
        });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(elapsed_since_entry >= 100.0);
    BOOST_TEST(elapsed_since_entry < 5000.0);
}

// T2: an inner grace period never extends an outer one: the outer deadline
// cuts work pending in the inner scope and ends both guards.
BOOST_AUTO_TEST_CASE(T2_inner_grace_never_extends_the_outer_one)
{
    error_code result;
    double elapsed_since_request = 0;
    bool outer_expired = false, inner_expired = false;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            auto outer = co_await guard_cancellation_for(100ms);
            auto inner = co_await guard_cancellation_for(10s);
            steady::time_point requested{};
            auto t = std::make_shared<net::steady_timer>(io, 20ms);
            t->async_wait([&, t](error_code) {
                requested = steady::now();
                sig.emit(ctype::terminal);
            });
            net::steady_timer work(io, 10s);
            auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
            result = ec;
            elapsed_since_request = ms_since(requested);
            outer_expired = outer.expired();
            inner_expired = inner.expired();
        });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(elapsed_since_request >= 100.0);
    BOOST_TEST(elapsed_since_request < 5000.0);
    BOOST_TEST(outer_expired);
    BOOST_TEST(inner_expired);
}

// T2: a shorter inner grace period cuts only the inner scope; the enclosing
// plain guard still protects what follows, and re-arms on exit (G3).
BOOST_AUTO_TEST_CASE(T2_shorter_inner_grace_cuts_only_the_inner_scope)
{
    error_code inner_result;
    error_code outer_result = net::error::would_block;
    bool throws_after_outer = false;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            {
                auto outer = co_await guard_cancellation();
                {
                    auto inner = co_await guard_cancellation_for(50ms);
                    emit_after(io.get_executor(), sig, 5ms, ctype::terminal);
                    net::steady_timer work(io, 10s);
                    auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
                    inner_result = ec;
                }
                net::steady_timer more(io, 20ms);
                auto [ec] = co_await more.async_wait(test::as_tuple(net::use_awaitable));
                outer_result = ec;
            }
            NEXT_AWAIT_THROWS(throws_after_outer);
        });
    BOOST_TEST(inner_result == net::error::operation_aborted);
    BOOST_TEST(!outer_result); // Still protected by the outer guard.
    BOOST_TEST(throws_after_outer);
}

// T2 inside one branch of ||: the other branch wins, the guarded branch gets
// its grace period, and the || waits for it.
BOOST_AUTO_TEST_CASE(T2_guarded_branch_of_or_is_cut_after_its_grace_period)
{
    using namespace net::experimental::awaitable_operators;
    error_code guarded = net::error::would_block;
    double elapsed = 0;
    test::run_coroutine([&](net::io_context& io) -> net::awaitable<void> {
        auto guarded_branch = [&]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(100ms);
            net::steady_timer work(io, 10s);
            auto [ec] = co_await work.async_wait(test::as_tuple(net::use_awaitable));
            guarded = ec;
        };
        auto quick = [&]() -> net::awaitable<void> {
            net::steady_timer t(io, 10ms);
            co_await t.async_wait(net::use_awaitable);
        };
        const auto t0 = steady::now();
        co_await (guarded_branch() || quick());
        elapsed = ms_since(t0);
    });
    BOOST_TEST(guarded == net::error::operation_aborted);
    BOOST_TEST(elapsed >= 110.0); // 10 ms to the request, then the grace period.
    BOOST_TEST(elapsed < 5000.0);
}

// T3: the guard's grace timer runs on the coroutine's executor: with the
// coroutine on a strand of a two-thread io_context, the cancellation reaches
// the pending operation from inside that strand.
BOOST_AUTO_TEST_CASE(T3_guard_grace_timer_runs_on_the_coroutine_executor)
{
    net::io_context io;
    auto strand = net::make_strand(io);
    net::cancellation_signal sig;
    bool on_strand = false;
    bool cut = false;
    std::exception_ptr error;
    net::co_spawn(
        strand,
        [&]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation_for(20ms);
            net::post(strand, [&] { sig.emit(ctype::terminal); });
            // Named, not a temporary in the co_await expression: g++ 12 destroys
            // such temporaries twice.
            auto token = test::as_tuple(net::use_awaitable);
            reporting_initiation initiation{io.get_executor(), strand, &on_strand};
            auto [ec] =
                co_await net::async_initiate<decltype(token), void(error_code)>(initiation, token);
            cut = (ec == net::error::operation_aborted);
        },
        net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) { error = e; }));
    std::thread other([&] { io.run(); });
    io.run();
    other.join();
    if (error)
        std::rethrow_exception(error);
    BOOST_TEST(cut);
    BOOST_TEST(on_strand);
}

// T2 with real I/O: a cleanup write to a peer that stopped reading would hold
// the shutdown forever under a plain guard; with a grace period it is cut.
BOOST_AUTO_TEST_CASE(T2_cleanup_write_to_a_peer_that_stopped_reading_is_cut)
{
    error_code result;
    std::size_t written = 0;
    double elapsed_since_request = 0;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            auto [client, server] = socket_pair(io);
            std::vector<char> payload(big_payload, 'x');
            auto guard = co_await guard_cancellation_for(100ms);
            steady::time_point requested{};
            auto t = std::make_shared<net::steady_timer>(io, 20ms);
            t->async_wait([&, t](error_code) {
                requested = steady::now();
                sig.emit(ctype::terminal); // The client never reads.
            });
            auto [ec, n] = co_await net::async_write(server, net::buffer(payload),
                                                     test::as_tuple(net::use_awaitable));
            result = ec;
            written = n;
            elapsed_since_request = ms_since(requested);
        });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(written < big_payload);
    BOOST_TEST(elapsed_since_request >= 100.0);
    BOOST_TEST(elapsed_since_request < 5000.0);
}

BOOST_AUTO_TEST_SUITE_END()
