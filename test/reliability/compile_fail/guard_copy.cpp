// R4: a cancellation_guard cannot be copied.
#include "common/net.hpp"

net::awaitable<void> misuse()
{
    auto guard = co_await asio_shield::guard_cancellation();
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    auto copy = guard;
    (void)copy;
#endif
}

int main()
{
    net::io_context io;
    net::co_spawn(io, misuse(), net::detached);
    io.run();
}
