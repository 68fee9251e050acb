// R4: a shielded handler that cannot be called with the operation's
// completion signature fails with the library's message naming the mistake,
// not with a substitution failure deep inside Asio.
#include "common/net.hpp"

int main()
{
    net::io_context io;
    net::steady_timer t(io);
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    t.async_wait(
        asio_shield::shield([](int, int, int) {})); // async_wait completes with (error_code)
#else
    t.async_wait(asio_shield::shield([](error_code) {}));
#endif
    io.run();
}
