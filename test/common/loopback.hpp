// Loopback TCP helpers: a connected socket pair and a reader that counts bytes.
#ifndef ASIO_SHIELD_TEST_COMMON_LOOPBACK_HPP
#define ASIO_SHIELD_TEST_COMMON_LOOPBACK_HPP

#include "common/net.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace test {

using tcp = net::ip::tcp;

/// A connected pair of loopback sockets, made synchronously.
inline std::pair<tcp::socket, tcp::socket> socket_pair(net::io_context& io)
{
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    tcp::socket client(io), server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    // Small kernel buffers make a multi-MiB write take many round trips, so a
    // cancellation really lands in the middle of it.
    client.set_option(net::socket_base::send_buffer_size(16 * 1024));
    server.set_option(net::socket_base::receive_buffer_size(16 * 1024));
    server.set_option(net::socket_base::send_buffer_size(16 * 1024));
    client.set_option(net::socket_base::receive_buffer_size(16 * 1024));
    return {std::move(client), std::move(server)};
}

/// Reads until EOF or error; returns the byte count.
inline net::awaitable<std::size_t> read_all(tcp::socket& socket)
{
    std::vector<char> buffer(64 * 1024);
    std::size_t total = 0;
    for (;;)
    {
        auto [ec, n] = co_await socket.async_read_some(net::buffer(buffer),
                                                       test::as_tuple(net::use_awaitable));
        total += n;
        if (ec)
            co_return total;
    }
}

/// A payload large enough that a write of it spans many loopback round trips.
inline constexpr std::size_t big_payload = 8 * 1024 * 1024;

} // namespace test

#endif
