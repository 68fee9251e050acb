//
// asio_shield/impl/cancellation_guard.hpp
//
// Every public way into a guard, for every coroutine kind: the entry
// operands of `co_await guard_cancellation()` and its grace forms, and the
// state forms `guard_cancellation(state)`. What each kind contributes — how
// to find the coroutine's cancellation state, and how an operand reaches the
// coroutine without its cancellation check — comes from its backend
// (detail/backend/, registered in detail/backends.hpp) through the points of
// detail/coroutine_backend.hpp; nothing here names a kind.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
#define ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/backends.hpp>
#include <asio_shield/detail/coroutine_backend.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>
#include <asio_shield/detail/deadline.hpp>

#include <chrono>

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

    static cancellation_guard make(coroutine_ref coroutine, const grace_spec& grace,
                                   const net::any_io_executor& executor)
    {
        return cancellation_guard(coroutine, grace, executor);
    }
};

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)

/// What `guard_cancellation()` returns: an operand that each registered
/// backend's hook (its base) takes past its kind's cancellation check (G0),
/// and that enters the guard once the hook has found the coroutine.
class guard_cancellation_op : public await_hooks<guard_cancellation_op>
{
public:
    /// Whether entering needs the coroutine's executor (a grace timer, T3).
    static constexpr bool needs_executor = false;

    cancellation_guard enter(const coroutine_ref& coroutine) const
    {
        return guard_access::make(coroutine);
    }

    // R4: reached only when awaited in a coroutine that no backend takes it in.
    template <typename T = void>
    void operator co_await() const
    {
        static_assert(dependent_false_v<T>,
                      "asio_shield::guard_cancellation() can only be awaited inside an "
                      "asio::awaitable coroutine. In a co_composed "
                      "body use guard_cancellation(state); in hand-written composed operations "
                      "use asio_shield::slot_guard.");
    }
};

/// What `guard_cancellation_for()` and `guard_cancellation_until()` return:
/// as guard_cancellation_op, with the deadline; its timer runs on the
/// coroutine's executor (T3).
class guard_cancellation_for_op : public await_hooks<guard_cancellation_for_op>
{
public:
    static constexpr bool needs_executor = true;

    explicit guard_cancellation_for_op(const grace_spec& grace) noexcept : grace_(grace) {}

    cancellation_guard enter(const coroutine_ref& coroutine) const
    {
        ASIO_SHIELD_ASSERT(coroutine.executor != nullptr);
        return guard_access::make(coroutine, grace_, coroutine.executor(coroutine.context));
    }

    // R4: reached only when awaited in a coroutine that no backend takes it in.
    template <typename T = void>
    void operator co_await() const
    {
        static_assert(dependent_false_v<T>,
                      "asio_shield::guard_cancellation_for() can only be awaited inside an "
                      "asio::awaitable coroutine. In a co_composed "
                      "body use guard_cancellation_for(state, duration).");
    }

private:
    grace_spec grace_;
};

#endif // defined(ASIO_SHIELD_HAS_CO_AWAIT)

} // namespace detail

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)

inline detail::guard_cancellation_op guard_cancellation() noexcept
{
    return {};
}

template <typename Rep, typename Period>
inline detail::guard_cancellation_for_op
guard_cancellation_for(std::chrono::duration<Rep, Period> grace) noexcept
{
    return detail::guard_cancellation_for_op(detail::grace_after(detail::saturate(grace)));
}

template <typename Clock, typename Duration>
inline detail::guard_cancellation_for_op
guard_cancellation_until(std::chrono::time_point<Clock, Duration> deadline) noexcept
{
    return detail::guard_cancellation_for_op(detail::grace_until(deadline));
}

inline detail::guard_cancellation_for_op guard_cancellation_for(grace_budget& budget) noexcept
{
    return detail::guard_cancellation_for_op(detail::grace_of(budget));
}

template <detail::guard_entry_state State>
cancellation_guard guard_cancellation(State& state)
{
    return guard_cancellation().enter(detail::entry_context<State>::coroutine(state));
}

template <detail::guard_entry_state State, typename Rep, typename Period>
cancellation_guard guard_cancellation_for(State& state, std::chrono::duration<Rep, Period> grace)
{
    return guard_cancellation_for(grace).enter(detail::entry_context<State>::coroutine(state));
}

template <detail::guard_entry_state State, typename Clock, typename Duration>
cancellation_guard guard_cancellation_until(State& state,
                                            std::chrono::time_point<Clock, Duration> deadline)
{
    return guard_cancellation_until(deadline).enter(detail::entry_context<State>::coroutine(state));
}

template <detail::guard_entry_state State>
cancellation_guard guard_cancellation_for(State& state, grace_budget& budget)
{
    return guard_cancellation_for(budget).enter(detail::entry_context<State>::coroutine(state));
}

#endif // defined(ASIO_SHIELD_HAS_CO_AWAIT)

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
