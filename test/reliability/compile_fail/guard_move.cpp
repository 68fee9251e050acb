// R4: a cancellation_guard cannot be moved (it is tied to its coroutine frame).
#include "common/net.hpp"

#include <utility>

net::awaitable<void> misuse()
{
    auto guard = co_await asio_shield::guard_cancellation();
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    auto moved = std::move(guard);
    (void)moved;
#endif
}

int main()
{
    net::io_context io;
    net::co_spawn(io, misuse(), net::detached);
    io.run();
}
