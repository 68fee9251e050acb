// Uses the installed package: a shielded wait survives a cancellation request,
// the request shows up at the next co_await, and a guard lets cleanup run.
#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
using system_error = std::system_error;
#else
#include <boost/asio.hpp>
using system_error = boost::system::system_error;
#endif

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

// The build system under test says which version it found; the header must agree.
#if !defined(ASIO_SHIELD_EXPECTED_VERSION)
#error "the consumer's build must define ASIO_SHIELD_EXPECTED_VERSION"
#endif

// C3: built against a copy of Asio off every system include path (marked by
// one extra header), the library must carry that directory to its consumers.
#if defined(ASIO_SHIELD_EXPECT_RELOCATED_ASIO) && !__has_include(<asio_shield_relocated_asio_marker.hpp>)
#error "the Asio include directory asio_shield was built against does not reach this consumer"
#endif

namespace net = asio_shield::net;
using namespace std::chrono_literals;

namespace {

net::awaitable<int> shielded_then_cleanup()
{
    net::steady_timer timer(co_await net::this_coro::executor, 10ms);
    int steps = 0;
    try
    {
        co_await timer.async_wait(asio_shield::shield(net::use_awaitable)); // S1
        ++steps;
        timer.expires_after(10ms);
        co_await timer.async_wait(net::use_awaitable); // S4: throws
        ++steps;
    }
    catch (const system_error& e)
    {
        if (e.code() != net::error::operation_aborted)
            throw;
    }
    auto guard = co_await asio_shield::guard_cancellation(); // G0
    timer.expires_after(1ms);
    co_await timer.async_wait(net::use_awaitable); // G1
    co_return steps == 1 && guard.cancellation_requested() != net::cancellation_type::none ? 0 : 1;
}

} // namespace

int main()
{
    net::io_context io;
    net::cancellation_signal cancel;
    int result = 1;
    net::co_spawn(io, shielded_then_cleanup(),
                  net::bind_cancellation_slot(
                      cancel.slot(), [&](std::exception_ptr e, int r) { result = e ? 2 : r; }));
    // Queued behind the coroutine's start, so it arrives during the shielded wait.
    net::post(io, [&] { cancel.emit(net::cancellation_type::terminal); });
    io.run();
    if (std::strcmp(ASIO_SHIELD_VERSION_STRING, ASIO_SHIELD_EXPECTED_VERSION) != 0)
    {
        std::printf("asio_shield consumer: header version %s, build system found %s\n",
                    ASIO_SHIELD_VERSION_STRING, ASIO_SHIELD_EXPECTED_VERSION);
        result = 3;
    }
    std::printf("asio_shield %s consumer: %s\n", ASIO_SHIELD_VERSION_STRING,
                result == 0 ? "ok" : "FAILED");
    return result;
}
