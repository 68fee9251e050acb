//
// graceful_shutdown.cpp — a line-based TCP server that shuts down without
// cutting responses short.
//
// Each request line is answered with `ok <n>\n` and n bytes of body. Sessions
// run in an asio_shield::task_group. On SIGINT or SIGTERM the server stops
// accepting and shuts the group down (async_shutdown: close, cancel each
// session on its own strand, wait): the shutdown is over when the last
// session has ended. A session that is in the middle of a response finishes it (the write is
// shielded), then sends `goodbye\n` inside a cancellation guard and closes. A session that is
// waiting for a request goes straight to its goodbye. A client that stops reading would hold the
// shutdown up forever; `--grace <ms>` bounds it: the response is shielded with
// asio_shield::shield_for and the goodbye sent under guard_cancellation_for, so each gets that long
// after the shutdown request, and is cut at the deadline.
//
// Usage: graceful_shutdown [--port <n>] [--grace <ms>] [--self-test <clients>]
//                          [--stall <clients>]
//   --port 0 (the default) picks a free port; the server prints it.
//   --grace <ms> bounds the shutdown (default: no bound).
//   --self-test N starts N clients in this process, raises SIGTERM while all N
//   responses are in flight, and exits with 0 only if every client received a
//   complete response followed by a goodbye.
//   --stall K (with --self-test and --grace) makes K of those clients stop
//   reading; the self-test then expects their responses cut at the deadline.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
using error_code = std::error_code;
using system_error = std::system_error;
#else
#include <boost/asio.hpp>
using error_code = boost::system::error_code;
using system_error = boost::system::system_error;
#endif

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace net = asio_shield::net;
using net::ip::tcp;

namespace {

constexpr std::size_t body_bytes = 1024 * 1024;
constexpr std::string_view goodbye = "goodbye\n";

// The answer to one request line: a header, then the line repeated.
std::string make_response(std::string_view request)
{
    std::string response = "ok " + std::to_string(body_bytes) + "\n";
    if (request.empty())
        request = "-";
    for (std::size_t i = 0; i < body_bytes; ++i)
        response += request[i % request.size()];
    return response;
}

struct server
{
    explicit server(net::io_context& io, unsigned short port)
        : acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), port)), sessions(io),
          shutdown_started(io, net::steady_timer::time_point::max())
    {}

    tcp::acceptor acceptor;
    // Every live session; each leaves the group by itself when it ends (J1).
    asio_shield::task_group sessions;
    // Used as an event: it never expires; cancel() tells observers (the
    // self-test clients) that every session has been cancelled.
    net::steady_timer shutdown_started;
    bool stopping = false;

    std::size_t sessions_opened = 0;
    std::size_t responses_in_flight = 0;
    std::size_t responses_completed = 0;
    std::size_t responses_cut = 0; // At the grace deadline.
    std::size_t goodbyes_sent = 0;

    // Zero: shutdown waits for every response and goodbye, however long.
    std::chrono::milliseconds grace{0};
    // Used as an event like shutdown_started: every session has ended.
    net::steady_timer* all_sessions_ended = nullptr;
};

net::awaitable<void> session(tcp::socket socket, server& srv)
{
    bool cancelled = false;
    try
    {
        std::string input;
        for (;;)
        {
            const std::size_t n = co_await net::async_read_until(socket, net::dynamic_buffer(input),
                                                                 '\n', net::use_awaitable);
            const std::string response = make_response(std::string_view(input).substr(0, n - 1));
            input.erase(0, n);

            // A response is sent whole or not at all: a shutdown that arrives
            // meanwhile does not cut it (S1), and it is not forgotten either:
            // the next read throws operation_aborted (S4).
            ++srv.responses_in_flight;
            if (srv.grace.count() == 0)
            {
                co_await net::async_write(socket, net::buffer(response),
                                          asio_shield::shield(net::use_awaitable));
            }
            else
            {
                // T1: the write gets `grace` after the shutdown request, then
                // it is cut; a client that stopped reading cannot hold us up.
                error_code ec;
                co_await net::async_write(
                    socket, net::buffer(response),
                    asio_shield::shield_for(srv.grace,
                                            net::redirect_error(net::use_awaitable, ec)));
                if (ec == net::error::operation_aborted)
                {
                    --srv.responses_in_flight;
                    ++srv.responses_cut;
                    co_return; // Nothing more can be said on a torn stream.
                }
                if (ec)
                    throw system_error(ec);
            }
            --srv.responses_in_flight;
            ++srv.responses_completed;
        }
    }
    catch (const system_error& e)
    {
        // Anything else (eof, reset) means the client has gone: nothing to say.
        cancelled = e.code() == net::error::operation_aborted;
    }
    if (!cancelled)
        co_return;

    // The coroutine is cancelled now, so a plain co_await would throw at once.
    // The guard lets the goodbye out; it ends with the coroutine (G0, G1).
    error_code ec;
    if (srv.grace.count() == 0)
    {
        auto guard = co_await asio_shield::guard_cancellation();
        co_await net::async_write(socket, net::buffer(goodbye),
                                  net::redirect_error(net::use_awaitable, ec));
    }
    else
    {
        // T2: the goodbye gets `grace` too (the request is already recorded,
        // so the deadline runs from here), then the guard gives way.
        auto guard = co_await asio_shield::guard_cancellation_for(srv.grace);
        co_await net::async_write(socket, net::buffer(goodbye),
                                  net::redirect_error(net::use_awaitable, ec));
    }
    if (!ec)
    {
        ++srv.goodbyes_sent;
        socket.shutdown(tcp::socket::shutdown_send, ec);
    }
}

net::awaitable<void> accept_loop(server& srv)
{
    const auto executor = co_await net::this_coro::executor;
    for (;;)
    {
        error_code ec;
        tcp::socket socket =
            co_await srv.acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
        if (ec || srv.stopping) // The acceptor is closed at shutdown.
            co_return;

        // Small kernel buffers: a response then spans many round trips, and
        // one whose client stops reading stays in flight (the self-test relies
        // on it; by default Linux would buffer megabytes).
        socket.set_option(net::socket_base::send_buffer_size(16 * 1024));
        ++srv.sessions_opened;
        // J1: one strand per session; the group cancels it there (J2).
        srv.sessions.spawn(net::make_strand(executor), session(std::move(socket), srv),
                           [](std::exception_ptr e) {
                               if (e)
                                   std::rethrow_exception(e);
                           });
    }
}

net::awaitable<void> wait_for_shutdown(net::signal_set& signals, server& srv)
{
    const int number = co_await signals.async_wait(net::use_awaitable);
    std::printf("shutdown (%s): %zu sessions open, %zu responses in flight\n",
                number == SIGINT ? "SIGINT" : "SIGTERM", srv.sessions.size(),
                srv.responses_in_flight);
    srv.stopping = true;
    srv.acceptor.close();
    // J6: the group is closed (J5: no session is admitted from now on) and
    // terminal (co_spawn's default filter passes terminal requests only) is
    // delivered to each session on its own strand (J2). Without --grace the
    // shields hold for as long as it takes; with it, the sessions' own
    // deadlines cut first, and the group's terminal at the same grace period,
    // marked as a passed deadline (T7), is the backstop. The shutdown
    // completes when the last session has ended, or 1 s after the grace
    // period with the number still running.
    const auto grace = srv.grace.count() == 0 ? std::chrono::milliseconds::max() : srv.grace;
    // The self-test's clients read once told; they resume after this
    // coroutine has started the shutdown, whose requests are queued first.
    srv.shutdown_started.cancel();
    // redirect_error rather than as_tuple, which Asio 1.22 has in experimental only.
    error_code ec;
    const std::size_t left = co_await srv.sessions.async_shutdown(
        net::cancellation_type::terminal, grace, std::chrono::seconds(1),
        net::redirect_error(net::use_awaitable, ec));
    if (left != 0)
        std::printf("%zu sessions left at the hard deadline\n", left);
    std::printf("all sessions ended\n");
    if (srv.all_sessions_ended)
        srv.all_sessions_ended->cancel();
}

// --self-test --------------------------------------------------------------

struct self_test
{
    std::size_t clients = 0;
    std::size_t stalled = 0; // Clients that stop reading (ids below this).
    std::size_t waiting = 0; // Clients whose response has started to arrive.
    std::size_t passed = 0;
};

// Sends one request, sees the response start, then reads only after the
// shutdown has begun, so every response is certain to be in flight when its
// session is cancelled. Checks it got the whole response, a goodbye and EOF.
net::awaitable<void> test_client(tcp::endpoint endpoint, std::size_t id, server& srv,
                                 self_test& test)
{
    tcp::socket socket(co_await net::this_coro::executor);
    socket.open(tcp::v4());
    // Small buffers: the 1 MiB response cannot be sent until the client reads.
    socket.set_option(net::socket_base::receive_buffer_size(16 * 1024));
    co_await socket.async_connect(endpoint, net::use_awaitable);

    const std::string request = "hello from client " + std::to_string(id);
    co_await net::async_write(socket, net::buffer(request + "\n"), net::use_awaitable);

    std::string received;
    co_await net::async_read_until(socket, net::dynamic_buffer(received), '\n', net::use_awaitable);
    if (++test.waiting == test.clients)
        std::raise(SIGTERM);

    error_code ec;
    if (id < test.stalled)
    {
        // A client that has stopped reading: it only hangs up once the server
        // has given up on it.
        co_await srv.all_sessions_ended->async_wait(net::redirect_error(net::use_awaitable, ec));
        co_return;
    }
    co_await srv.shutdown_started.async_wait(net::redirect_error(net::use_awaitable, ec));
    co_await net::async_read(socket, net::dynamic_buffer(received),
                             net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::eof && received == make_response(request) + std::string(goodbye))
        ++test.passed;
}

} // namespace

int main(int argc, char** argv)
{
    try
    {
        unsigned short port = 0;
        std::size_t clients = 0;
        std::size_t stalled = 0;
        std::chrono::milliseconds grace{0};
        for (int i = 1; i < argc; i += 2)
        {
            const std::string_view arg = argv[i];
            if (i + 1 < argc && arg == "--port")
                port = static_cast<unsigned short>(std::stoul(argv[i + 1]));
            else if (i + 1 < argc && arg == "--self-test")
                clients = std::stoul(argv[i + 1]);
            else if (i + 1 < argc && arg == "--stall")
                stalled = std::stoul(argv[i + 1]);
            else if (i + 1 < argc && arg == "--grace")
                grace = std::chrono::milliseconds(std::stoul(argv[i + 1]));
            else
            {
                std::fprintf(stderr,
                             "usage: %s [--port <n>] [--grace <ms>] [--self-test <clients>] "
                             "[--stall <clients>]\n",
                             argv[0]);
                return 2;
            }
        }
        if (stalled > clients || (stalled > 0 && grace.count() == 0))
        {
            std::fprintf(stderr, "--stall needs --grace and at most --self-test clients\n");
            return 2;
        }

        net::io_context io;
        // Registered before any client can raise SIGTERM.
        net::signal_set signals(io, SIGINT, SIGTERM);
        server srv(io, port);
        srv.grace = grace;
        net::steady_timer all_sessions_ended(io, net::steady_timer::time_point::max());
        srv.all_sessions_ended = &all_sessions_ended;
        std::printf("listening on %u\n", unsigned{srv.acceptor.local_endpoint().port()});
        std::fflush(stdout);

        auto rethrow = [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        };
        net::co_spawn(io, wait_for_shutdown(signals, srv), rethrow);
        net::co_spawn(io, accept_loop(srv), rethrow);

        self_test test{clients, stalled};
        for (std::size_t i = 0; i < clients; ++i)
            net::co_spawn(io, test_client(srv.acceptor.local_endpoint(), i, srv, test), rethrow);

        // Returns once shutdown is over: no acceptor, no signal wait, no session.
        io.run();

        std::printf("sessions opened: %zu\nresponses completed: %zu\n"
                    "responses cut at the deadline: %zu\ngoodbyes sent: %zu\n",
                    srv.sessions_opened, srv.responses_completed, srv.responses_cut,
                    srv.goodbyes_sent);
        if (clients == 0)
            return 0;
        const std::size_t reading = clients - stalled;
        std::printf("self-test: %zu/%zu reading clients got a complete response and a goodbye; "
                    "%zu stalled\n",
                    test.passed, reading, stalled);
        const bool ok = test.passed == reading && srv.sessions_opened == clients &&
                        srv.responses_completed == reading && srv.responses_cut == stalled &&
                        srv.goodbyes_sent == reading;
        return ok ? 0 : 1;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "graceful_shutdown: %s\n", e.what());
        return 2;
    }
}
