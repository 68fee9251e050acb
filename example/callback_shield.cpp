//
// callback_shield.cpp — shield() with plain callbacks, no coroutines.
//
// A socket read with a lambda handler is bound to a cancellation_signal's slot,
// and the signal is emitted while the read is pending (before the peer has sent
// anything). Each row binds the handler differently:
//
//   bind_cancellation_slot(slot, h)          the request reaches the read: cut
//   shield(bind_cancellation_slot(slot, h))  the shield hides the slot: the read
//                                            completes with its natural result
//   bind_cancellation_slot(slot, shield(h))  wrong order: the outermost binding
//                                            wins, the slot is attached again: cut
//   shield(bind_cancellation_slot(slot, h), terminal)
//                                            a partial mask: a terminal request
//                                            is held back, a terminal|partial one
//                                            still carries `partial`: cut
//
// The program prints one line per row (binding, request, result, bytes read)
// and exits with 0 only if every row ends as listed above.
//
// A bare cancellation_signal records nothing: a request the shield keeps from
// the read is simply not delivered, as in plain Asio when no handler is
// installed. Callback code that must learn about it afterwards uses
// asio_shield::slot_guard (see commit_compose.cpp).
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
using error_code = std::error_code;
#else
#include <boost/asio.hpp>
using error_code = boost::system::error_code;
#endif

#include <array>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace net = asio_shield::net;
using net::ip::tcp;

namespace {

constexpr std::string_view message = "hello";

struct outcome
{
    std::optional<error_code> ec; // Empty: the handler never ran.
    std::size_t bytes = 0;
    std::string data;
};

// Reads `message` from a loopback connection with the handler that `bind`
// makes from a slot and a plain lambda; emits `request` while the read is
// pending; the peer writes only afterwards.
template <typename Bind>
outcome run_read(Bind bind, net::cancellation_type_t request)
{
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    tcp::socket peer(io);
    tcp::socket reader(io);
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);

    net::cancellation_signal signal;
    std::array<char, message.size()> buffer{};
    outcome out;
    net::async_read(reader, net::buffer(buffer),
                    bind(signal.slot(), [&](error_code ec, std::size_t n) {
                        out.ec = ec;
                        out.bytes = n;
                        out.data.assign(buffer.data(), n);
                    }));

    // Nothing has run yet, so the read is certainly pending when the request
    // arrives, and the peer's data certainly comes after it.
    signal.emit(request);
    net::post(io, [&] {
        net::async_write(peer, net::buffer(message), [](error_code ec, std::size_t) {
            if (ec)
                std::fprintf(stderr, "peer write failed: %s\n", ec.message().c_str());
        });
    });
    io.run();
    return out;
}

const char* request_name(net::cancellation_type_t type)
{
    if (type == net::cancellation_type::terminal)
        return "terminal";
    if (type == (net::cancellation_type::terminal | net::cancellation_type::partial))
        return "terminal|partial";
    return "other";
}

// Runs one row; prints it and returns whether the read ended as expected:
// cut (operation_aborted, nothing read) or whole (success, the full message).
enum class expect
{
    cut,
    whole
};

template <typename Bind>
bool row(const char* binding, Bind bind, net::cancellation_type_t request, expect expected)
{
    const outcome out = run_read(bind, request);
    const bool cut = out.ec && *out.ec == net::error::operation_aborted && out.bytes == 0;
    const bool whole = out.ec && !*out.ec && out.data == message;
    const bool ok = expected == expect::cut ? cut : whole;

    // Named, not ec.message(): its text differs between Asio flavours.
    const char* result = "no completion";
    if (out.ec)
        result = *out.ec == net::error::operation_aborted ? "operation_aborted"
                 : *out.ec                                ? "other error"
                                                          : "success";
    const std::string data = "\"" + out.data + "\"";
    const char* verdict = cut ? "cut" : "whole";
    if (!cut && !whole)
        verdict = "neither";
    std::printf("%-50s  %-16s  %-17s  %5zu  %-7s  %s%s\n", binding, request_name(request), result,
                out.bytes, data.c_str(), verdict, ok ? "" : "  <-- UNEXPECTED");
    return ok;
}

} // namespace

int main()
{
    try
    {
        using asio_shield::shield;
        constexpr auto terminal = net::cancellation_type::terminal;
        constexpr auto terminal_partial =
            net::cancellation_type::terminal | net::cancellation_type::partial;

        auto plain = [](auto slot, auto h) { return net::bind_cancellation_slot(slot, h); };
        // The shield goes outside: the read sees no connected slot at all (S1).
        auto shielded = [](auto slot, auto h) {
            return shield(net::bind_cancellation_slot(slot, h));
        };
        // The wrong order: the slot bound around the shield is the one the
        // read sees.
        auto shield_inside = [](auto slot, auto h) {
            return net::bind_cancellation_slot(slot, shield(h));
        };
        // S5: only the blocked bits are removed; what is left of a request
        // still reaches the read, and async_read honours partial requests.
        auto mask_terminal = [](auto slot, auto h) {
            return shield(net::bind_cancellation_slot(slot, h), net::cancellation_type::terminal);
        };

        std::printf("%-50s  %-16s  %-17s  %5s  %-7s  %s\n", "handler binding", "request", "result",
                    "bytes", "data", "read");
        bool ok = true;
        ok &= row("bind_cancellation_slot(slot, h)", plain, terminal, expect::cut);
        ok &= row("shield(bind_cancellation_slot(slot, h))", shielded, terminal, expect::whole);
        ok &= row("bind_cancellation_slot(slot, shield(h))", shield_inside, terminal, expect::cut);
        ok &= row("shield(bind_cancellation_slot(slot, h), terminal)", mask_terminal, terminal,
                  expect::whole);
        ok &= row("shield(bind_cancellation_slot(slot, h), terminal)", mask_terminal,
                  terminal_partial, expect::cut);

        std::printf("%s\n", ok ? "all rows as expected" : "some rows were unexpected");
        return ok ? 0 : 1;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "callback_shield: %s\n", e.what());
        return 2;
    }
}
