//
// torn_write_demo.cpp — a timeout cuts a large write short; shield() keeps it whole.
//
// A server sends one large response and gives itself a deadline with
// `write || timeout`. When the timeout wins, `||` cancels the write. Plain Asio
// stops the write wherever it is: the client gets a truncated stream, and the
// peer can no longer tell where the next message starts (a "torn" write).
// With `asio_shield::shield(net::use_awaitable)` the write runs to its end.
// The cancellation is not lost: the next unshielded co_await of the coroutine
// still sees it.
//
// Usage: torn_write_demo [--size <bytes>] [--timeout-ms <n>]
// Exits with status 1 if the shielded write was torn.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
using error_code = std::error_code;
#else
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
using error_code = boost::system::error_code;
#endif

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace net = asio_shield::net;
using namespace net::experimental::awaitable_operators;
using net::ip::tcp;

namespace {

// Small kernel buffers make the large write need many round trips, so the
// timeout really lands in the middle of it.
constexpr int socket_buffer_bytes = 16 * 1024;

struct options
{
    std::size_t size = 16 * 1024 * 1024;
    std::chrono::milliseconds timeout{20};
};

// The write under test: the two variants differ in the completion token only.
net::awaitable<void> send_response(tcp::socket& socket, net::const_buffer data, bool shielded)
{
    if (shielded) // Runs to the end; the timeout's request would throw at the next co_await.
        co_await net::async_write(socket, data, asio_shield::shield(net::use_awaitable));
    else
        co_await net::async_write(socket, data, net::use_awaitable);
}

// `client_may_read` is used as an event: it never expires; cancel() wakes the
// client.
net::awaitable<void> timeout(std::chrono::milliseconds duration, net::steady_timer& client_may_read)
{
    net::steady_timer timer(co_await net::this_coro::executor, duration);
    co_await timer.async_wait(net::use_awaitable);
    client_may_read.cancel();
}

// Accepts one client and sends it `data`, with a deadline.
net::awaitable<void> server(tcp::acceptor& acceptor, net::const_buffer data, bool shielded,
                            std::chrono::milliseconds duration, net::steady_timer& client_may_read)
{
    tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
    socket.set_option(net::socket_base::send_buffer_size(socket_buffer_bytes));

    // When the timeout completes first, `||` cancels the write. Whatever the
    // outcome, the response ends here: shut down, and the client sees EOF.
    co_await (send_response(socket, data, shielded) || timeout(duration, client_may_read));
    socket.shutdown(tcp::socket::shutdown_send);
    // Only needed when the whole response fit into the kernel buffers and so
    // beat the timeout; the client would wait for the timeout forever.
    client_may_read.cancel();
}

// Connects, waits until the server's timeout has fired (or the response is
// over), then reads to EOF.
net::awaitable<std::size_t> client(tcp::endpoint server_endpoint,
                                   net::steady_timer& client_may_read)
{
    tcp::socket socket(co_await net::this_coro::executor);
    socket.open(tcp::v4());
    // Before connect(), so that the advertised receive window stays small too.
    socket.set_option(net::socket_base::receive_buffer_size(socket_buffer_bytes));
    co_await socket.async_connect(server_endpoint, net::use_awaitable);

    // A slow reader: nothing is read before the timeout fires, so at that
    // moment the server can have sent only what the kernel buffers hold, and
    // the timeout is certain to catch the write in progress.
    error_code ignored;
    co_await client_may_read.async_wait(net::redirect_error(net::use_awaitable, ignored));

    std::vector<char> buffer(64 * 1024);
    std::size_t received = 0;
    for (;;)
    {
        error_code ec;
        received += co_await socket.async_read_some(net::buffer(buffer),
                                                    net::redirect_error(net::use_awaitable, ec));
        if (ec) // net::error::eof: the server has finished (or abandoned) the response.
            co_return received;
    }
}

// Runs one server and one client on a fresh io_context; returns the bytes the
// client received.
std::size_t run_scenario(bool shielded, const options& opts)
{
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    net::steady_timer client_may_read(io, net::steady_timer::time_point::max());
    const std::vector<char> payload(opts.size, 'x');

    auto rethrow = [](std::exception_ptr e, auto&&...) {
        if (e)
            std::rethrow_exception(e);
    };
    std::size_t received = 0;
    net::co_spawn(io,
                  server(acceptor, net::buffer(payload), shielded, opts.timeout, client_may_read),
                  rethrow);
    net::co_spawn(io, client(acceptor.local_endpoint(), client_may_read),
                  [&](std::exception_ptr e, std::size_t n) {
                      rethrow(e);
                      received = n;
                  });
    io.run();
    return received;
}

bool parse_options(int argc, char** argv, options& opts)
{
    for (int i = 1; i + 1 < argc; i += 2)
    {
        const std::string_view name = argv[i];
        char* end = nullptr;
        const unsigned long long value = std::strtoull(argv[i + 1], &end, 10);
        if (*end != '\0')
            return false;
        if (name == "--size")
            opts.size = value;
        else if (name == "--timeout-ms")
            opts.timeout = std::chrono::milliseconds(value);
        else
            return false;
    }
    return argc % 2 == 1 && opts.size > 0;
}

} // namespace

int main(int argc, char** argv)
{
    options opts;
    try
    {
        if (!parse_options(argc, argv, opts))
        {
            std::fprintf(stderr, "usage: %s [--size <bytes>] [--timeout-ms <n>]\n", argv[0]);
            return 2;
        }

        const std::size_t plain = run_scenario(false, opts);
        const std::size_t shielded = run_scenario(true, opts);

        std::printf("%-22s  %14s  %14s  %s\n", "variant", "bytes expected", "bytes received",
                    "torn");
        std::printf("%-22s  %14zu  %14zu  %s\n", "use_awaitable", opts.size, plain,
                    plain == opts.size ? "no" : "yes");
        std::printf("%-22s  %14zu  %14zu  %s\n", "shield(use_awaitable)", opts.size, shielded,
                    shielded == opts.size ? "no" : "yes");

        if (plain == opts.size)
            std::printf("note: the plain write finished before the timeout; "
                        "try a larger --size or a shorter --timeout-ms.\n");
        return shielded == opts.size ? 0 : 1;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "torn_write_demo: %s\n", e.what());
        return 2;
    }
}
