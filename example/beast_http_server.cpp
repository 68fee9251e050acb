//
// beast_http_server.cpp — an HTTP/1.1 file server with a WebSocket echo
// endpoint on Boost.Beast, whose shutdown neither tears responses nor hangs.
//
// Each connection is a C++20 coroutine on its own strand, spawned into an
// asio_shield::task_group; so is the accept loop. The first SIGINT or SIGTERM
// starts the group's two-stage shutdown (async_shutdown_on_signal, J9 -> J6):
// the group is closed (J5) and `terminal` reaches every session at once, on
// its own strand (J2):
//
// - the accept loop ends and closes the acceptor: a later connection attempt
//   is refused;
// - a keep-alive connection waiting for its next request ends at once: the
//   server sends its FIN and waits, under a guard, for the client's;
// - a response in flight is written under shield_for(budget, ...): a client
//   that keeps reading gets the whole file, one that stopped reading is cut
//   `grace` after the request (T1, T4); the close that follows is guarded by
//   the same budget, so the two never take more than one grace period (T6);
// - a WebSocket session sends a close frame with code 1001 (going away) and
//   waits for the peer's, under a guard on the same kind of budget.
//
// At `grace` the group delivers `terminal` again, marked as a passed deadline,
// which ends every guard and shield still holding (T7); `hard` later the
// shutdown completes with the sessions still running, and the process exits
// without waiting for them. A second signal goes to that stage at once.
//
// With --unprotected the writes and closes are plain Asio (the group and its
// shutdown are the same): the shutdown cuts every response at once, and a
// WebSocket peer sees the connection end without a close frame.
//
// Usage: beast_http_server --root <dir> [--port <n>] [--grace <seconds>]
//                          [--hard <seconds>] [--unprotected]
//   --port 0 (the default) picks a free port; the server prints "port <n>" on
//   stdout. --grace defaults to 5 seconds, --hard to 1; both may be fractional.
//   GET /ws with an Upgrade: websocket header opens the echo endpoint.
//
// Exit status: 0 when every session ended within the shutdown; 1 when some
// were left at the hard deadline or at a second signal (their number is on
// stderr), or when a session failed with an exception (J7); 2 for bad usage.
//
// On stderr: one line per session when it ends (bytes sent, outcome of its
// last response; messages echoed and how the close went for a WebSocket), a
// line when the shutdown starts (sessions, responses in flight, WebSocket
// sessions) and one at exit (time from the signal, the shutdown's result).
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>
#include <asio_shield/task_group.hpp>

#include <boost/asio.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace net = asio_shield::net;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;
using boost::system::system_error;
using net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A client has this long to send its (next) request.
constexpr auto request_timeout = 30s;
// How long the server waits for the client's FIN after sending its own, when
// nobody is shutting down (during a shutdown the grace budget decides).
constexpr auto close_timeout = 5s;

struct server_config
{
    std::string root;
    clock_type::duration grace = 5s;
    clock_type::duration hard = 1s;
    bool protect = true;
};

struct server_state
{
    server_config config;
    // When the accept loop heard the shutdown: the start of the exit line's time.
    std::optional<clock_type::time_point> shutdown_at;
    std::size_t next_session = 0;
    std::size_t responses_in_flight = 0;
    std::size_t websockets = 0;
};

// tcp_stream's own timeout is no cancellation: when it expires the stream
// closes the socket, and a shielded operation fails with beast::error::timeout
// all the same. So the write timeout bounds a response when nobody is shutting
// down, and it is kept well above the grace period, so that during a shutdown
// the grace period decides (a response that was already close to its write
// timeout when the shutdown started can still end on that timeout, earlier).
clock_type::duration write_timeout(const server_config& config)
{
    return std::max<clock_type::duration>(60s, config.grace + 10s);
}

std::string_view mime_type(std::string_view path)
{
    const auto dot = path.rfind('.');
    const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot);
    if (ext == ".html" || ext == ".htm")
        return "text/html";
    if (ext == ".txt")
        return "text/plain";
    if (ext == ".css")
        return "text/css";
    if (ext == ".js")
        return "application/javascript";
    if (ext == ".json")
        return "application/json";
    if (ext == ".png")
        return "image/png";
    return "application/octet-stream";
}

template <typename Request>
http::message_generator text_response(const Request& req, http::status status,
                                      std::string_view text)
{
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, "asio_shield beast_http_server");
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(req.keep_alive());
    res.body() = std::string(text) + "\n";
    res.prepare_payload();
    return res;
}

// GET and HEAD of regular files below the root; no directory listings.
http::message_generator handle_request(const server_config& config,
                                       const http::request<http::string_body>& req)
{
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        return text_response(req, http::status::bad_request, "only GET and HEAD");
    const std::string_view target = req.target();
    if (target.empty() || target[0] != '/' || target.find("..") != std::string_view::npos)
        return text_response(req, http::status::bad_request, "bad target");

    std::string path = config.root + std::string(target);
    if (path.back() == '/')
        path += "index.html";

    error_code ec;
    http::file_body::value_type body;
    body.open(path.c_str(), beast::file_mode::scan, ec);
    if (ec == beast::errc::no_such_file_or_directory)
        return text_response(req, http::status::not_found, "not found");
    if (ec)
        return text_response(req, http::status::internal_server_error, ec.message());
    const auto size = body.size();

    if (req.method() == http::verb::head)
    {
        http::response<http::empty_body> res{http::status::ok, req.version()};
        res.set(http::field::server, "asio_shield beast_http_server");
        res.set(http::field::content_type, mime_type(path));
        res.content_length(size);
        res.keep_alive(req.keep_alive());
        return res;
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    res.set(http::field::server, "asio_shield beast_http_server");
    res.set(http::field::content_type, mime_type(path));
    res.content_length(size);
    res.keep_alive(req.keep_alive());
    return res;
}

// How a response ended, as the session line reports it.
std::string outcome_of(const error_code& ec)
{
    if (!ec)
        return "whole";
    if (ec == net::error::operation_aborted)
        return "cut"; // By the shutdown: at the deadline, or at once when unprotected.
    if (ec == beast::error::timeout)
        return "timeout";
    return "error (" + ec.message() + ")";
}

// Sends our FIN and waits for the client's, so that closing the socket does not
// reset what the client has not read yet. The caller guards it.
net::awaitable<void> linger(beast::tcp_stream& stream)
{
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    // The stream's timeout bounds the wait when nobody is shutting down.
    stream.expires_after(close_timeout);
    char discard[1024];
    while (!ec)
        co_await stream.async_read_some(net::buffer(discard),
                                        net::redirect_error(net::use_awaitable, ec));
}

// Counts while alive, for the shutdown line.
struct counted
{
    explicit counted(std::size_t& count) : count_(count) { ++count_; }
    counted(const counted&) = delete;
    counted& operator=(const counted&) = delete;
    ~counted() { --count_; }
    std::size_t& count_;
};

using websocket_stream = websocket::stream<beast::tcp_stream>;

// What a WebSocket session shares with its reader: the reader runs beside the
// session, outside the group, and may outlive it by a moment.
struct websocket_shared
{
    explicit websocket_shared(beast::tcp_stream&& stream)
        : ws(std::move(stream)), events(ws.get_executor(), net::steady_timer::time_point::max())
    {}
    websocket_stream ws;
    // Used as an event: cancelled when the reader ends.
    net::steady_timer events;
    bool reader_done = false;
    std::size_t echoed = 0;
    std::string reader_end = "-";
};

// Echoes every message until the connection or the close handshake ends it.
// It is not a session of the group: the shutdown's cancellation must not reach
// its read, which would leave the stream failed (Beast marks a websocket
// stream whose read was cut as unusable), unable to send a close frame. The
// session closes the stream instead, and this read then ends with
// websocket::error::closed once the peer's close frame arrives.
net::awaitable<void> websocket_reader(std::shared_ptr<websocket_shared> shared)
{
    beast::flat_buffer buffer;
    error_code ec;
    for (;;)
    {
        co_await shared->ws.async_read(buffer, net::redirect_error(net::use_awaitable, ec));
        if (ec)
            break;
        shared->ws.text(shared->ws.got_text());
        co_await shared->ws.async_write(buffer.data(), net::redirect_error(net::use_awaitable, ec));
        buffer.consume(buffer.size());
        if (ec)
            break;
        ++shared->echoed;
    }
    shared->reader_end = ec == websocket::error::closed ? "closed" : ec.message();
    shared->reader_done = true;
    shared->events.cancel();
}

// The WebSocket echo endpoint: the session waits while its reader echoes, and
// at the shutdown closes with 1001 (going away) and waits for the peer's close.
net::awaitable<void> websocket_session(beast::tcp_stream stream,
                                       http::request<http::string_body> req, server_state& state,
                                       std::size_t id)
{
    const counted open(state.websockets);
    // The websocket stream has timeouts of its own; the tcp_stream's must be off.
    stream.expires_never();
    auto shared = std::make_shared<websocket_shared>(std::move(stream));
    websocket_stream& ws = shared->ws;
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, "asio_shield beast_http_server");
    }));
    error_code ec;
    co_await ws.async_accept(req, net::redirect_error(net::use_awaitable, ec));
    if (ec)
    {
        // A bad handshake, the client gone, or the shutdown: nothing to close.
        std::fprintf(stderr, "session %zu: /ws, handshake failed (%s)\n", id, ec.message().c_str());
        co_return;
    }

    net::co_spawn(ws.get_executor(), websocket_reader(shared), net::detached);
    // Ends when the reader does, or at the shutdown's request.
    co_await shared->events.async_wait(net::as_tuple(net::use_awaitable));

    std::string close = "by the peer";
    if (!shared->reader_done)
    {
        if (state.config.protect)
        {
            // G0, G1: the close frame goes out and the peer's is awaited
            // although the session is cancelled; T2: within the grace
            // budget, then the wait is cut (Beast then closes the socket).
            asio_shield::grace_budget budget(state.config.grace);
            auto guard = co_await asio_shield::guard_cancellation_for(budget);
            co_await ws.async_close(websocket::close_code::going_away,
                                    net::redirect_error(net::use_awaitable, ec));
            // The reader receives the peer's close frame (its read was
            // pending, so it, not async_close, completes the handshake).
            // The reader cancels the event when it ends; the guard's deadline
            // cuts the wait when the peer does not answer.
            bool cut = false;
            while (!shared->reader_done && !cut)
            {
                const auto [wait] =
                    co_await shared->events.async_wait(net::as_tuple(net::use_awaitable));
                cut = wait && !shared->reader_done;
            }
            close = std::string("1001 ") + (ec ? "(" + ec.message() + ")" : "sent") +
                    (cut ? ", cut waiting for the peer" : ", reader: " + shared->reader_end);
        }
        else
        {
            // Plain Asio: a cancelled coroutine cannot wait for anything (the
            // co_await throws at once), so the socket is closed.
            try
            {
                co_await ws.async_close(websocket::close_code::going_away, net::use_awaitable);
                close = "sent 1001";
            }
            catch (const system_error& e)
            {
                close = "not sent (" + e.code().message() + ")";
            }
        }
    }
    // Ends the reader, if the peer has not already.
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    std::fprintf(stderr, "session %zu: /ws, websocket, %zu messages echoed, close %s\n", id,
                 shared->echoed, close.c_str());
}

net::awaitable<void> session(beast::tcp_stream stream, server_state& state)
{
    const std::size_t id = ++state.next_session;
    const server_config& config = state.config;
    // T6: one grace period for the response in flight and the close after it,
    // started by the first request the session holds (the shutdown's).
    asio_shield::grace_budget budget(config.grace);
    beast::flat_buffer buffer;
    std::size_t bytes_sent = 0;
    std::size_t responses = 0;
    std::string target = "-";
    std::string outcome = "no response";
    std::optional<http::request<http::string_body>> upgrade;
    try
    {
        for (;;)
        {
            http::request<http::string_body> req;
            stream.expires_after(request_timeout);
            // Throws at shutdown (operation_aborted) or when the client leaves.
            co_await http::async_read(stream, buffer, req, net::use_awaitable);
            target = std::string(req.target());
            if (websocket::is_upgrade(req) && req.target() == "/ws")
            {
                upgrade = std::move(req);
                break;
            }

            http::message_generator response = handle_request(config, req);
            const bool keep_alive = response.keep_alive();
            stream.expires_after(write_timeout(config));
            error_code ec;
            std::size_t n = 0;
            {
                const counted in_flight(state.responses_in_flight);
                if (config.protect)
                {
                    // T1: the response is written whole unless the client keeps the
                    // server waiting past the grace period after the shutdown
                    // request. message_generator writes in many steps, each with a
                    // cancellation handler of its own; at the deadline the request
                    // reaches whichever step is pending, and a step started after
                    // it is cut too (T4).
                    n = co_await beast::async_write(
                        stream, std::move(response),
                        asio_shield::shield_for(budget,
                                                net::redirect_error(net::use_awaitable, ec)));
                }
                else
                {
                    n = co_await beast::async_write(stream, std::move(response),
                                                    net::redirect_error(net::use_awaitable, ec));
                }
            }
            bytes_sent += n;
            ++responses;
            outcome = outcome_of(ec);
            if (ec || !keep_alive)
                break;
            // S4: after a shutdown request, the next read throws.
        }
    }
    catch (const system_error&)
    {
        // operation_aborted (shutdown while waiting for a request), end of
        // stream or timeout: no response in flight, nothing to report.
    }
    if (upgrade)
    {
        // Not in a catch block: the WebSocket session awaits.
        co_await websocket_session(std::move(stream), std::move(*upgrade), state, id);
        co_return;
    }
    // No co_await in a catch block: the close comes after it.
    if (config.protect)
    {
        try
        {
            // G0, G1: the close runs to completion although the session is
            // cancelled; T2, T6: within what is left of the session's grace
            // budget, then the pending read is cut.
            auto guard = co_await asio_shield::guard_cancellation_for(budget);
            co_await linger(stream);
        }
        catch (const system_error&)
        {}
    }
    else
    {
        // Plain Asio: a cancelled coroutine cannot wait for anything (the
        // co_await would throw at once), so the socket is closed, pending data
        // or not.
        error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    stream.close();
    std::fprintf(stderr, "session %zu: %s, %zu responses, %zu bytes sent, %s\n", id, target.c_str(),
                 responses, bytes_sent, outcome.c_str());
}

// A session of the group too: the shutdown's request ends it, and it closes
// the acceptor, so that a connection attempted from then on is refused.
net::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio_shield::task_group& group,
                                 server_state& state)
{
    for (;;)
    {
        // A strand per session (J1): the group delivers its cancel there (J2).
        tcp::socket socket(net::make_strand(acceptor.get_executor()));
        const auto [ec] = co_await acceptor.async_accept(socket, net::as_tuple(net::use_awaitable));
        const auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none)
            break; // The shutdown.
        if (ec)
            continue; // E.g. out of file descriptors: keep serving the others.
        const auto executor = socket.get_executor();
        // J5: refused (and the socket closed) if the group has been closed
        // meanwhile; J7: an exception that escapes the session is kept.
        group.spawn(executor, session(beast::tcp_stream(std::move(socket)), state));
    }
    state.shutdown_at = clock_type::now();
    error_code ignored;
    acceptor.close(ignored);
    std::fprintf(stderr, "shutdown: %zu sessions, %zu responses in flight, %zu websockets\n",
                 group.size() - 1, state.responses_in_flight, state.websockets);
}

int usage(const char* program)
{
    std::fprintf(stderr,
                 "usage: %s --root <dir> [--port <n>] [--grace <seconds>] [--hard <seconds>] "
                 "[--unprotected]\n",
                 program);
    return 2;
}

clock_type::duration seconds_arg(const char* arg)
{
    return std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(std::stod(arg)));
}

} // namespace

int main(int argc, char** argv)
{
    try
    {
        server_state state;
        unsigned short port = 0;
        for (int i = 1; i < argc; ++i)
        {
            const std::string_view arg = argv[i];
            if (arg == "--unprotected")
                state.config.protect = false;
            else if (i + 1 < argc && arg == "--root")
                state.config.root = argv[++i];
            else if (i + 1 < argc && arg == "--port")
                port = static_cast<unsigned short>(std::stoul(argv[++i]));
            else if (i + 1 < argc && arg == "--grace")
                state.config.grace = seconds_arg(argv[++i]);
            else if (i + 1 < argc && arg == "--hard")
                state.config.hard = seconds_arg(argv[++i]);
            else
                return usage(argv[0]);
        }
        if (state.config.root.empty() || state.config.grace < clock_type::duration::zero() ||
            state.config.hard < clock_type::duration::zero())
            return usage(argv[0]);
        if (state.config.root.back() == '/')
            state.config.root.pop_back();

        net::io_context io(1);
        net::signal_set signals(io, SIGINT, SIGTERM);
        tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), port));
        asio_shield::task_group group(io.get_executor());

        std::printf("port %u\n", unsigned{acceptor.local_endpoint().port()});
        std::fflush(stdout);

        group.spawn(net::make_strand(io), accept_loop(acceptor, group, state));

        // J9: the first signal starts the shutdown (J6): close the group,
        // `terminal` to every session now, `terminal` again at `grace`, marked
        // as a passed deadline (T7), and completion `hard` later with the
        // sessions still running; a second signal moves to that end at once.
        error_code shutdown_result;
        std::size_t left = 0;
        group.async_shutdown_on_signal(signals, net::cancellation_type::terminal,
                                       state.config.grace, state.config.hard,
                                       [&](error_code ec, std::size_t still_running) {
                                           shutdown_result = ec;
                                           left = still_running;
                                           // Nothing is freed under the sessions
                                           // left: the process exits without them.
                                           if (still_running != 0)
                                               io.stop();
                                       });

        // Returns once the shutdown is over: every session ended, or the hard
        // stage reached with some still running.
        io.run();

        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            clock_type::now() - state.shutdown_at.value_or(clock_type::now()));
        std::fprintf(stderr, "exit: %lld ms after the signal, shutdown %s, %zu sessions left\n",
                     static_cast<long long>(took.count()),
                     shutdown_result ? shutdown_result.message().c_str() : "complete", left);
        int status = left == 0 ? 0 : 1;
        if (const std::exception_ptr e = group.first_exception())
        {
            status = 1;
            try
            {
                std::rethrow_exception(e);
            }
            catch (const std::exception& x)
            {
                std::fprintf(stderr, "a session failed: %s\n", x.what());
            }
            catch (...)
            {
                std::fprintf(stderr, "a session failed with an exception of unknown type\n");
            }
        }
        std::fflush(stderr);
        if (left != 0)
            std::_Exit(status); // Do not wait for, or destroy, the sessions left.
        return status;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "beast_http_server: %s\n", e.what());
        return 1;
    }
}
