// G0 (entering never throws), G1 (the guarded scope runs to completion) and
// the cleanup-over-real-I/O cases that motivate both.
#include "guard/guard_support.hpp"

#include "common/loopback.hpp"

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

using namespace test;
using asio_shield::guard_cancellation;

BOOST_AUTO_TEST_SUITE(guard)

SIGNAL_TEST_CASE(G0_entering_right_after_caught_abort_does_not_throw)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    BOOST_TEST(RECORDED() == ct::terminal);
    auto guard = co_await guard_cancellation(); // Must not throw.
    BOOST_TEST(guard.active());
}

SIGNAL_TEST_CASE(G0_entering_with_request_pending_does_not_throw)
{
    // The request was recorded but nothing has thrown yet.
    sig.emit(ct::terminal);
    auto guard = co_await guard_cancellation();
    BOOST_TEST(guard.active());
    BOOST_TEST(guard.cancellation_requested() == ct::terminal);
}

SIGNAL_TEST_CASE(G0_entering_without_request_does_not_throw)
{
    auto guard = co_await guard_cancellation();
    BOOST_TEST(guard.active());
    BOOST_TEST(guard.cancellation_requested() == ct::none);
}

CO_TEST_CASE(G0_entering_without_cancellation_slot)
{
    // No slot at all: the guard still controls the flag.
    auto guard = co_await guard_cancellation();
    BOOST_TEST(guard.active());
    BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
    guard.release();
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    CHECK_NEXT_AWAIT_THROWS(false);
}

namespace {

enum class when
{
    before, // requested (and thrown at) before the guard
    during, // requested while the guarded operation is pending
    both
};

const char* name_of(when w)
{
    return w == when::before ? "before" : w == when::during ? "during" : "both";
}

constexpr auto guarded_duration = 30ms;

/// G1: in a guarded scope, `await_op(timer)` (which must throw if the wait is
/// cut) runs for the timer's whole duration, whether the request came before
/// the guard, during it, or both; G2: the request shows afterwards.
template <typename AwaitOp>
void check_guarded_op_runs_full(AwaitOp await_op)
{
    for (when w : {when::before, when::during, when::both})
    {
        BOOST_TEST_CONTEXT("request " << name_of(w))
        {
            run_with_signal(
                [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
                    requester r(io.get_executor(), sig);
                    if (w != when::during)
                        REQUEST_AND_CATCH(r, ct::terminal);
                    {
                        auto guard = co_await guard_cancellation();
                        if (w != when::before)
                            r.soon(ct::terminal);
                        const auto start = clock::now(); // Before the timer starts counting.
                        net::steady_timer timer(io, guarded_duration);
                        r.pending = true;
                        co_await await_op(timer);
                        r.pending = false;
                        BOOST_TEST(ms_since(start) >= guarded_duration);
                        if (w != when::before)
                            BOOST_TEST(r.all_landed_while_pending());
                        // More co_awaits in the scope are not thrown at either.
                        CHECK_NEXT_AWAIT_THROWS(false);
                        BOOST_TEST(guard.cancellation_requested() == ct::terminal);
                    }
                    CHECK_NEXT_AWAIT_THROWS(true); // G2
                });
        }
    }
}

net::awaitable<void> wait_deeper(net::steady_timer& timer)
{
    co_await timer.async_wait(net::use_awaitable);
}

net::awaitable<void> wait_nested(net::steady_timer& timer)
{
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    co_await wait_deeper(timer);
}

} // namespace

BOOST_AUTO_TEST_CASE(G1_timer_use_awaitable_runs_full)
{
    check_guarded_op_runs_full([](net::steady_timer& t) -> net::awaitable<void> {
        co_await t.async_wait(net::use_awaitable);
    });
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
BOOST_AUTO_TEST_CASE(G1_timer_deferred_runs_full)
{
    check_guarded_op_runs_full([](net::steady_timer& t) -> net::awaitable<void> {
        co_await t.async_wait(test::deferred);
    });
}
#endif

BOOST_AUTO_TEST_CASE(G1_timer_as_tuple_runs_full)
{
    check_guarded_op_runs_full([](net::steady_timer& t) -> net::awaitable<void> {
        auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
        BOOST_TEST(!ec);
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
        auto [ec2] = co_await t.async_wait(test::as_tuple(test::deferred)); // expired: at once
        BOOST_TEST(!ec2);
#endif
    });
}

BOOST_AUTO_TEST_CASE(G1_nested_awaitable_function_runs_full)
{
    check_guarded_op_runs_full(
        [](net::steady_timer& t) -> net::awaitable<void> { co_await wait_nested(t); });
}

BOOST_AUTO_TEST_CASE(G1_or_expression_runs_full)
{
    check_guarded_op_runs_full([](net::steady_timer& t) -> net::awaitable<void> {
        using namespace net::experimental::awaitable_operators;
        net::steady_timer never(t.get_executor(), 1h);
        // The guarded timer wins on its own; nothing cut the || early.
        auto result =
            co_await (t.async_wait(net::use_awaitable) || never.async_wait(net::use_awaitable));
        BOOST_TEST(result.index() == 0u);
    });
}

BOOST_AUTO_TEST_CASE(G1_and_expression_runs_full)
{
    check_guarded_op_runs_full([](net::steady_timer& t) -> net::awaitable<void> {
        using namespace net::experimental::awaitable_operators;
        net::steady_timer shorter(t.get_executor(), 5ms);
        co_await (t.async_wait(net::use_awaitable) && shorter.async_wait(net::use_awaitable));
    });
}

SIGNAL_TEST_CASE(G1_throw_if_cancelled_reads_false_inside)
{
    // G4 too: this_coro::throw_if_cancelled() reads false in the scope.
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    {
        auto guard = co_await guard_cancellation();
        BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
    }
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
}

// Cleanup over real I/O: a connection coroutine is cancelled, catches
// operation_aborted, enters a guard and sends a goodbye line followed by a
// large payload; the peer must receive all of it. G0, G1, G2.
namespace {

const std::string goodbye = "goodbye: server shutting down\n";

struct connection_log
{
    bool caught_abort = false;
    bool wrote_all = false;
    bool throws_after_guard = false;
};

net::awaitable<void> connection(tcp::socket& socket, connection_log& log, requester* r)
{
    try
    {
        char buf[64];
        co_await socket.async_read_some(net::buffer(buf), net::use_awaitable); // peer is silent
    }
    catch (const system_error& e)
    {
        if (!is_aborted(e))
            throw;
        log.caught_abort = true;
    }
    {
        auto guard = co_await guard_cancellation();
        if (r)
            r->soon(ct::terminal); // a second request, during the write
        const std::string payload(big_payload, 'x');
        if (r)
            r->pending = true;
        co_await net::async_write(socket, net::buffer(goodbye), net::use_awaitable);
        co_await net::async_write(socket, net::buffer(payload), net::use_awaitable);
        if (r)
            r->pending = false;
        socket.shutdown(tcp::socket::shutdown_send);
        log.wrote_all = true;
    }
    NEXT_AWAIT_THROWS(log.throws_after_guard);
}

/// Reads until EOF; keeps the first bytes and counts all of them.
net::awaitable<void> peer(tcp::socket& socket, std::string& head, std::size_t& total)
{
    std::vector<char> buffer(64 * 1024);
    for (;;)
    {
        auto [ec, n] = co_await socket.async_read_some(net::buffer(buffer),
                                                       test::as_tuple(net::use_awaitable));
        if (head.size() < goodbye.size())
            head.append(buffer.data(), std::min(n, goodbye.size() - head.size()));
        total += n;
        if (ec)
            co_return;
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(G1_io_cleanup_write_after_or_cancellation)
{
    // G0 G2 G5: the `||` with a short timer cancels the connection branch.
    net::io_context io;
    auto sockets = socket_pair(io); // not a structured binding: lambdas capture these
    tcp::socket& client = sockets.first;
    tcp::socket& server = sockets.second;
    connection_log log;
    std::string head;
    std::size_t total = 0;
    bool peer_done = false, conn_done = false;
    std::size_t winner = 99;
    net::co_spawn(io, peer(client, head, total), [&](std::exception_ptr e) {
        BOOST_TEST(!e);
        peer_done = true;
    });
    using namespace net::experimental::awaitable_operators;
    net::co_spawn(io, connection(server, log, nullptr) || tick(10ms),
                  [&](std::exception_ptr e, std::variant<std::monostate, std::monostate> v) {
                      BOOST_TEST(!e);
                      winner = v.index();
                      conn_done = true;
                      server.close(); // the peer sees EOF even if the connection failed
                  });
    io.run();
    BOOST_TEST_REQUIRE(peer_done);
    BOOST_TEST_REQUIRE(conn_done);
    BOOST_TEST(winner == 1u);
    BOOST_TEST(log.caught_abort);
    BOOST_TEST(log.wrote_all);
    BOOST_TEST(log.throws_after_guard);
    BOOST_TEST(head == goodbye);
    BOOST_TEST(total == goodbye.size() + big_payload);
}

BOOST_AUTO_TEST_CASE(G1_io_cleanup_write_after_bound_signal)
{
    // G0 G2 G5: cancelled through a bound cancellation_signal, and again while
    // the goodbye is being written.
    net::io_context io;
    auto sockets = socket_pair(io); // not a structured binding: lambdas capture these
    tcp::socket& client = sockets.first;
    tcp::socket& server = sockets.second;
    net::cancellation_signal sig;
    requester r(io.get_executor(), sig);
    connection_log log;
    std::string head;
    std::size_t total = 0;
    bool peer_done = false, conn_done = false;
    net::co_spawn(io, peer(client, head, total), [&](std::exception_ptr e) {
        BOOST_TEST(!e);
        peer_done = true;
    });
    net::co_spawn(io, connection(server, log, &r),
                  net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
                      BOOST_TEST(!e);
                      conn_done = true;
                      server.close(); // the peer sees EOF even if the connection failed
                  }));
    r.soon(ct::terminal);
    io.run();
    BOOST_TEST_REQUIRE(peer_done);
    BOOST_TEST_REQUIRE(conn_done);
    BOOST_TEST(log.caught_abort);
    BOOST_TEST(log.wrote_all);
    BOOST_TEST(log.throws_after_guard);
    BOOST_TEST(head == goodbye);
    BOOST_TEST(total == goodbye.size() + big_payload);
}

BOOST_AUTO_TEST_SUITE_END()
