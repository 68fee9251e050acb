//
// beast_http_server.cpp — an HTTP/1.1 file server on Boost.Beast whose
// shutdown neither tears responses nor hangs.
//
// Each connection is a C++20 coroutine on its own strand, spawned into an
// asio_shield::task_group. On SIGINT or SIGTERM the server stops accepting,
// cancels every session through the group and waits for them with a deadline:
//
// - a response in flight is written with shield_for(grace, ...): a client that
//   keeps reading gets the whole file, a client that stopped reading is cut
//   `grace` after the shutdown request (T1);
// - the connection is then closed under guard_cancellation_for: our FIN goes
//   out and the server waits for the client's, so that closing the socket
//   cannot reset data still on its way (T2), within the same grace budget;
// - the group's join gives up shortly after the grace period (J3), so the
//   process exits by then whatever its clients do.
//
// With --unprotected the write and the close are plain Asio: the shutdown cuts
// every response at once, which is what the test compares against.
//
// Usage: beast_http_server --root <dir> [--port <n>] [--grace <seconds>]
//                          [--unprotected]
//   --port 0 (the default) picks a free port; the server prints "port <n>" on
//   stdout. --grace defaults to 5 seconds and may be fractional.
//
// On stderr: one line per session when it ends (bytes sent, outcome of its
// last response), a line when the shutdown starts (sessions, responses in
// flight) and one at exit (time from the signal to the end of the last
// session, result of the join).
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>
#include <asio_shield/task_group.hpp>

#include <boost/asio.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace net = asio_shield::net;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using boost::system::system_error;
using net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A client has this long to send its (next) request.
constexpr auto request_timeout = 30s;
// How long the server waits for the client's FIN after sending its own.
constexpr auto close_timeout = 5s;
// How much longer than the grace period the join waits before it gives up on
// the sessions (J3): time for sessions cut at the deadline to unwind.
constexpr auto join_margin = 1s;

struct server_config
{
    std::string root;
    clock_type::duration grace = 5s;
    bool protect = true;
};

struct server_state
{
    server_config config;
    // Set when the shutdown starts: the one grace budget every session shares.
    std::optional<clock_type::time_point> shutdown_at;
    std::size_t next_session = 0;
    std::size_t responses_in_flight = 0;
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

// What is left of the shutdown's grace budget (all of it before a shutdown).
clock_type::duration remaining_grace(const server_state& state)
{
    if (!state.shutdown_at)
        return state.config.grace;
    const auto left = *state.shutdown_at + state.config.grace - clock_type::now();
    return std::max<clock_type::duration>(left, clock_type::duration::zero());
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

// Counts a response as in flight for the shutdown line, however its write ends.
struct in_flight
{
    explicit in_flight(std::size_t& count) : count_(count) { ++count_; }
    in_flight(const in_flight&) = delete;
    in_flight& operator=(const in_flight&) = delete;
    ~in_flight() { --count_; }
    std::size_t& count_;
};

net::awaitable<void> session(beast::tcp_stream stream, server_state& state)
{
    const std::size_t id = ++state.next_session;
    const server_config& config = state.config;
    beast::flat_buffer buffer;
    std::size_t bytes_sent = 0;
    std::size_t responses = 0;
    std::string target = "-";
    std::string outcome = "no response";
    try
    {
        for (;;)
        {
            http::request<http::string_body> req;
            stream.expires_after(request_timeout);
            // Throws at shutdown (operation_aborted) or when the client leaves.
            co_await http::async_read(stream, buffer, req, net::use_awaitable);
            target = std::string(req.target());

            http::message_generator response = handle_request(config, req);
            const bool keep_alive = response.keep_alive();
            stream.expires_after(write_timeout(config));
            error_code ec;
            std::size_t n = 0;
            {
                const in_flight counted(state.responses_in_flight);
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
                        asio_shield::shield_for(config.grace,
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
    // No co_await in a catch block: the close comes after it.
    if (config.protect)
    {
        try
        {
            // G0, G1: the close runs to completion although the session is
            // cancelled; T2: within what is left of the shutdown's grace
            // budget, then the pending read is cut.
            auto guard = co_await asio_shield::guard_cancellation_for(remaining_grace(state));
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

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio_shield::task_group& group,
                                 server_state& state)
{
    for (;;)
    {
        // A strand per session (J1): the group delivers its cancel there (J2).
        tcp::socket socket(net::make_strand(acceptor.get_executor()));
        const auto [ec] = co_await acceptor.async_accept(socket, net::as_tuple(net::use_awaitable));
        if (ec == net::error::operation_aborted || !acceptor.is_open())
            co_return; // Closed by the shutdown.
        if (ec)
            continue; // E.g. out of file descriptors: keep serving the others.
        const auto executor = socket.get_executor();
        group.spawn(executor, session(beast::tcp_stream(std::move(socket)), state));
    }
}

net::awaitable<void> wait_for_shutdown(net::signal_set& signals, tcp::acceptor& acceptor,
                                       asio_shield::task_group& group, server_state& state,
                                       error_code& join_result)
{
    const int number = co_await signals.async_wait(net::use_awaitable);
    state.shutdown_at = clock_type::now();
    std::fprintf(stderr, "shutdown (%s): %zu sessions, %zu responses in flight\n",
                 number == SIGINT ? "SIGINT" : "SIGTERM", group.size(), state.responses_in_flight);
    error_code ignored;
    acceptor.close(ignored);
    // J6: terminal at once to each live session, on its own strand (J2); the
    // shields and guards give way at the grace deadline. Should a session
    // still be running a little after it, terminal again, marked as a passed
    // deadline, cuts it (T7); the hard stage reports who is left.
    const auto [ec, left] = co_await group.async_shutdown(
        net::cancellation_type::terminal, state.config.grace + join_margin, join_margin,
        net::as_tuple(net::use_awaitable));
    join_result = ec;
    if (left != 0)
        std::fprintf(stderr, "%zu sessions left at the hard deadline\n", left);
}

int usage(const char* program)
{
    std::fprintf(stderr,
                 "usage: %s --root <dir> [--port <n>] [--grace <seconds>] [--unprotected]\n",
                 program);
    return 2;
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
                state.config.grace = std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(std::stod(argv[++i])));
            else
                return usage(argv[0]);
        }
        if (state.config.root.empty() || state.config.grace < clock_type::duration::zero())
            return usage(argv[0]);
        if (state.config.root.back() == '/')
            state.config.root.pop_back();

        net::io_context io(1);
        net::signal_set signals(io, SIGINT, SIGTERM);
        tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), port));
        asio_shield::task_group group(io.get_executor());

        std::printf("port %u\n", unsigned{acceptor.local_endpoint().port()});
        std::fflush(stdout);

        error_code join_result;
        auto rethrow = [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        };
        net::co_spawn(io, wait_for_shutdown(signals, acceptor, group, state, join_result), rethrow);
        net::co_spawn(io, accept_loop(acceptor, group, state), rethrow);

        // Returns once the shutdown is over: no acceptor, no signal wait, no
        // session left.
        io.run();

        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            clock_type::now() - state.shutdown_at.value_or(clock_type::now()));
        std::fprintf(stderr, "exit: %lld ms after the signal, join %s\n",
                     static_cast<long long>(took.count()),
                     join_result ? join_result.message().c_str() : "complete");
        return 0;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "beast_http_server: %s\n", e.what());
        return 1;
    }
}
