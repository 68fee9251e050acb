// R4: shield_for() with a grace period that is not a std::chrono::duration.
#include "common/net.hpp"

#include <chrono>

int main()
{
    net::io_context io;
    net::steady_timer timer(io);
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    timer.async_wait(asio_shield::shield_for(5, net::bind_executor(io, [](error_code) {})));
#else
    timer.async_wait(asio_shield::shield_for(std::chrono::seconds(5),
                                             net::bind_executor(io, [](error_code) {})));
#endif
    io.run();
}
