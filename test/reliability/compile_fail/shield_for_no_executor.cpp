// R4, T3: shield_for needs an executor for its grace timer; an operation whose
// initiation names none, with a handler that has none, does not compile.
#include "common/net.hpp"

#include <chrono>

template <typename CompletionToken>
auto async_probe(CompletionToken&& token)
{
    // An initiation with no executor_type: only the handler can name one.
    return net::async_initiate<CompletionToken, void(error_code)>(
        [](auto handler) { std::move(handler)(error_code()); }, token);
}

int main()
{
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    async_probe(asio_shield::shield_for(std::chrono::seconds(1), [](error_code) {}));
#else
    net::io_context io;
    async_probe(asio_shield::shield_for(std::chrono::seconds(1),
                                        net::bind_executor(io, [](error_code) {})));
#endif
}
