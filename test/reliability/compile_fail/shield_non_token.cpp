// R4: shield() of something that is not a completion token.
#include "common/net.hpp"

int main()
{
    net::io_context io;
    net::steady_timer timer(io);
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    timer.async_wait(asio_shield::shield(42));
#else
    timer.async_wait(asio_shield::shield(net::detached));
#endif
    io.run();
}
