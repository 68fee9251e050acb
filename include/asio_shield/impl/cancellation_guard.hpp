//
// asio_shield/impl/cancellation_guard.hpp
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
#define ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/awaitable_internals.hpp>

#include <chrono>
#include <coroutine>
#include <type_traits>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

template <typename>
inline constexpr bool dependent_false_v = false;

struct guard_access
{
    static cancellation_guard make(coroutine_ref coroutine)
    {
        return cancellation_guard(coroutine);
    }

    static cancellation_guard make(coroutine_ref coroutine,
                                   std::chrono::steady_clock::duration grace,
                                   const net::any_io_executor& executor)
    {
        return cancellation_guard(coroutine, grace, executor);
    }
};

/// What `guard_cancellation()` returns. Inside an awaitable it takes the
/// unchecked await_transform route (G0); the awaiter is ready at once, so
/// entering a guard never suspends the coroutine.
class guard_cancellation_op : public unchecked_awaitable_base
{
public:
    struct awaiter
    {
        coroutine_ref coroutine;

        bool await_ready() const noexcept { return true; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        cancellation_guard await_resume() const { return guard_access::make(coroutine); }
    };

    template <typename Executor>
    awaiter make_awaiter(net::detail::awaitable_frame_base<Executor>* frame) && noexcept
    {
        return awaiter{coroutine_of(frame)};
    }

    // R4: reached only when awaited outside an asio::awaitable.
    template <typename T = void>
    void operator co_await() const
    {
        static_assert(dependent_false_v<T>,
                      "asio_shield::guard_cancellation() can only be awaited inside an "
                      "asio::awaitable coroutine (co_spawn / use_awaitable). In hand-written "
                      "composed operations use asio_shield::slot_guard instead.");
    }
};

/// What `guard_cancellation_for()` returns: the same route as
/// guard_cancellation_op, plus the grace period and the coroutine's executor.
class guard_cancellation_for_op : public unchecked_awaitable_base
{
public:
    explicit guard_cancellation_for_op(std::chrono::steady_clock::duration grace) noexcept
        : grace_(grace)
    {}

    // Trivially copyable on purpose: it holds the frame, not the executor, so
    // that no compiler's handling of co_await temporaries can duplicate or
    // drop an executor's reference.
    template <typename Executor>
    struct awaiter
    {
        net::detail::awaitable_frame_base<Executor>* frame;
        std::chrono::steady_clock::duration grace;

        bool await_ready() const noexcept { return true; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        cancellation_guard await_resume() const
        {
            return guard_access::make(coroutine_of(frame), grace,
                                      net::any_io_executor(executor_of(frame)));
        }
    };

    template <typename Executor>
    awaiter<Executor> make_awaiter(net::detail::awaitable_frame_base<Executor>* frame) &&
    {
        static_assert(std::is_convertible_v<Executor, net::any_io_executor>,
                      "asio_shield::guard_cancellation_for: the coroutine's executor must be "
                      "convertible to any_io_executor to run the grace timer.");
        return awaiter<Executor>{frame, grace_};
    }

    // R4: reached only when awaited outside an asio::awaitable.
    template <typename T = void>
    void operator co_await() const
    {
        static_assert(dependent_false_v<T>,
                      "asio_shield::guard_cancellation_for() can only be awaited inside an "
                      "asio::awaitable coroutine (co_spawn / use_awaitable).");
    }

private:
    std::chrono::steady_clock::duration grace_;
};

} // namespace detail

inline detail::guard_cancellation_op guard_cancellation() noexcept
{
    return {};
}

template <typename Rep, typename Period>
inline detail::guard_cancellation_for_op
guard_cancellation_for(std::chrono::duration<Rep, Period> grace) noexcept
{
    return detail::guard_cancellation_for_op(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(grace));
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
