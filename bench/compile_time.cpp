// What including and using asio_shield costs in compile time (docs/performance.md,
// "Compile time"): a coroutine with two timer waits, compiled by
// bench/compile_time as it is (no asio_shield), with -DWITH_SHIELD (the
// header included), with -DUSE_SHIELD as well (a shield wait and a guard),
// and the same with -DASIO_SHIELD_SEPARATE_COMPILATION. Compiled only, never
// linked or run.
#if defined(WITH_SHIELD)
#include <asio_shield.hpp>
#endif
#include <boost/asio.hpp>
#include <chrono>
namespace net = boost::asio;
using namespace std::chrono_literals;
net::awaitable<int> session()
{
    net::steady_timer timer(co_await net::this_coro::executor, 1ms);
#if defined(USE_SHIELD)
    co_await timer.async_wait(asio_shield::shield(net::use_awaitable));
    auto guard = co_await asio_shield::guard_cancellation();
    timer.expires_after(1ms);
    co_await timer.async_wait(net::use_awaitable);
    co_return guard.cancellation_requested() == net::cancellation_type::none ? 0 : 1;
#else
    co_await timer.async_wait(net::use_awaitable);
    timer.expires_after(1ms);
    co_await timer.async_wait(net::use_awaitable);
    co_return 0;
#endif
}
int main()
{
    net::io_context io;
    int result = 1;
    net::co_spawn(io, session(), [&](std::exception_ptr, int r) { result = r; });
    io.run();
    return result;
}
