// R4: guard_cancellation() can only be awaited inside an asio::awaitable.
#include "common/net.hpp"

#include <coroutine>
#include <exception>

// The smallest coroutine type that is not an asio::awaitable.
struct task
{
    struct promise_type
    {
        task get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::terminate(); }
    };
};

task misuse()
{
#if !defined(ASIO_SHIELD_COMPILE_FAIL_CONTROL)
    auto guard = co_await asio_shield::guard_cancellation();
#else
    co_await std::suspend_never{};
#endif
}

int main()
{
    misuse();
}
