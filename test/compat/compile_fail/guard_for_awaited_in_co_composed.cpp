// R4, C4: in a co_composed body the guard is entered from the body's state,
// `auto guard = guard_cancellation_for(state, d);`, not with `co_await`.
// co_composed's promise hands every co_await operand to its one
// await_transform, which takes async operations only; the guard's operand is
// none (making it one would make its co_await in an asio::awaitable
// ambiguous), so the build stops there, naming the operand's type. Skipped
// where co_composed does not exist (before Asio 1.26).
#include "common/net.hpp"

#include <chrono>

#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)

#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
namespace cc = net::experimental;
#else
namespace cc = net;
#endif

template <typename CompletionToken>
auto async_cleanup(net::io_context& io, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void()>(
        cc::co_composed<void()>(
            []([[maybe_unused]] auto state) -> void {
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
                auto guard =
                    co_await asio_shield::guard_cancellation_for(std::chrono::milliseconds(100));
#else
                auto guard =
                    asio_shield::guard_cancellation_for(state, std::chrono::milliseconds(100));
#endif
                co_return {};
            },
            io),
        token);
}

int main()
{
    net::io_context io;
    async_cleanup(io, [] {});
    io.run();
}

#elif !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
#error "SKIPPED: co_composed needs Asio 1.26"
#else
int main() {}
#endif
