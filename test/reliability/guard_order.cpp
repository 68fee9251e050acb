// R4: a documented precondition checked in debug builds — the guards of one
// coroutine end innermost first. `guard_order ordered` ends two nested guards
// in the right order and must exit 0; `guard_order misordered` releases the
// outer one while the inner one is in force and must stop on the library's
// assertion (test/reliability/expect_assertion.cmake checks both).
#include "common/net.hpp"

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

net::awaitable<void> nested(bool misordered)
{
    auto outer = co_await asio_shield::guard_cancellation();
    auto inner = co_await asio_shield::guard_cancellation();
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    if (misordered)
        outer.release(); // Precondition violated: `inner` is still in force.
    inner.release();
    outer.release();
}

} // namespace

int main(int argc, char** argv)
{
#if defined(NDEBUG)
    std::puts("guard_order: assertions compiled out (NDEBUG); nothing to check");
    return 0;
#endif
    const bool misordered = argc > 1 && std::strcmp(argv[1], "misordered") == 0;
    net::io_context io;
    net::cancellation_signal cancel;
    bool done = false;
    net::co_spawn(io, nested(misordered),
                  net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                      done = !e;
                  }));
    io.run();
    std::printf("guard_order %s: %s\n", misordered ? "misordered" : "ordered",
                done ? "completed" : "FAILED");
    return done ? 0 : 1;
}
