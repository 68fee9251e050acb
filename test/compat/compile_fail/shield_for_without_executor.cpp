// C4, T3: shield_for needs an executor for its grace timer. A plain callback
// on an operation whose initiation names no executor has none: since Asio 1.37
// such a handler is associated with inline_executor (before, system_executor),
// and on every release the build must stop with the library's own message
// saying to bind one, not with errors from inside Asio.
#include "common/net.hpp"

#include <chrono>

template <typename CompletionToken>
auto async_no_executor(CompletionToken&& token)
{
    // An initiation with no executor_type: only the handler could name one.
    return net::async_initiate<CompletionToken, void(error_code)>(
        [](auto handler) { std::move(handler)(error_code()); }, token);
}

int main()
{
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    async_no_executor(asio_shield::shield_for(std::chrono::milliseconds(100), [](error_code) {}));
#else
    net::io_context io;
    async_no_executor(asio_shield::shield_for(std::chrono::milliseconds(100),
                                              net::bind_executor(io, [](error_code) {})));
#endif
}
