//
// ws_client.cpp — a WebSocket client for the shutdown tests of the Beast
// example (example/beast_http_server_test.sh).
//
// Usage: ws_client <port>
//   Connects to 127.0.0.1:<port>, opens /ws, sends one message and checks its
//   echo, prints "connected" (flushed: the test waits for it), then reads
//   until the connection ends. A close frame from the server is answered (as
//   Beast's read does) and printed as "close <code>"; a connection that ends
//   without one is printed as "no close frame (<error>)".
//   Exits 0 after a close frame, 1 otherwise, 2 for bad usage.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

int main(int argc, char** argv)
{
    if (argc != 2)
    {
        std::fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    try
    {
        net::io_context io;
        websocket::stream<net::ip::tcp::socket> ws(io);
        ws.next_layer().connect(
            {net::ip::address_v4::loopback(), static_cast<unsigned short>(std::stoul(argv[1]))});
        ws.handshake("127.0.0.1", "/ws");

        const std::string message = "hello";
        ws.write(net::buffer(message));
        beast::flat_buffer buffer;
        ws.read(buffer);
        if (beast::buffers_to_string(buffer.data()) != message)
        {
            std::printf("bad echo\n");
            return 1;
        }
        buffer.clear();
        std::printf("connected\n");
        std::fflush(stdout);

        beast::error_code ec;
        while (!ec)
            ws.read(buffer, ec);
        if (ec == websocket::error::closed)
        {
            std::printf("close %u\n", static_cast<unsigned>(ws.reason().code));
            return 0;
        }
        std::printf("no close frame (%s)\n", ec.message().c_str());
        return 1;
    }
    catch (const std::exception& e)
    {
        std::printf("error: %s\n", e.what());
        return 1;
    }
}
