//
// asio_shield/shield_for.hpp
//
// `shield_for(duration, token[, blocked_types])`: a shield with a grace period.
// Requests of a blocked type are held back; if the operation is still pending
// `duration` after the first held request, the held requests are forwarded.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SHIELD_FOR_HPP
#define ASIO_SHIELD_SHIELD_FOR_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/grace_budget.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/deadline.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {

/// Completion-token adapter: a shield that gives way after a grace period.
/**
 * **Per-operation cancellation**: a request of a type in `blocked_types()` is
 * held back; other types pass at once (as with `shield_t`, S5). If the
 * operation has not completed `grace()` after the *first* held request, the
 * union of the held requests is forwarded to it, and later requests pass
 * straight through (T1). In a coroutine, held requests are recorded by the
 * coroutine's state as with `shield_t` (S4).
 *
 * **Cost**: with no request there is no timer: the operation pays for a small
 * relay in its cancellation slot's recycled memory. The first held request
 * allocates one timer with the handler's associated allocator.
 *
 * **Executor (T3)**: the timer runs on
 * `get_associated_executor(handler, initiation executor)`; never an extra
 * thread. When neither names an executor, `shield_for` does not compile.
 *
 * **Thread safety**: requests must be emitted on the operation's executor (or
 * strand), as Asio requires of every slot.
 *
 * **Contract**: T1, T3; S1, S2, S4, S5 up to the deadline.
 */
template <typename CompletionToken>
class shield_for_t
{
public:
    /// Tag for the default constructor used by `as_default_on`.
    struct default_constructor_tag
    {};

    /// Default-constructs the wrapped token, blocks every type, and holds
    /// requests with no limit (`grace() == duration::max()`) until a grace
    /// period is given: the default token of an `as_default_on` object.
    constexpr shield_for_t(default_constructor_tag = default_constructor_tag(),
                           CompletionToken token = CompletionToken())
        : token_(static_cast<CompletionToken&&>(token)), blocked_types_(detail::all_types)
    {}

    template <typename T>
    constexpr shield_for_t(T&& token, detail::grace_duration grace,
                           net::cancellation_type_t blocked_types)
        : token_(static_cast<T&&>(token)), spec_{grace}, blocked_types_(blocked_types)
    {}

    /// Not API: the deadline in any of its forms (shield_until, grace_budget).
    template <typename T>
    constexpr shield_for_t(T&& token, const detail::grace_spec& spec,
                           net::cancellation_type_t blocked_types)
        : token_(static_cast<T&&>(token)), spec_(spec), blocked_types_(blocked_types)
    {}

    /// Adapts an executor so that `shield_for_t` is its default completion token.
    template <typename InnerExecutor>
    struct executor_with_default : InnerExecutor
    {
        /// Specify `shield_for_t` as the default completion token type.
        typedef shield_for_t default_completion_token_type;

        /// Construct the adapted executor from the inner executor type.
        template <typename InnerExecutor1>
        requires(!std::is_same_v<InnerExecutor1, executor_with_default> &&
                 std::is_convertible_v<InnerExecutor1, InnerExecutor>)
            executor_with_default(const InnerExecutor1& ex)
        noexcept : InnerExecutor(ex) {}
    };

    /// Type alias to adapt an I/O object to use `shield_for_t` as its default token.
    template <typename T>
    using as_default_on_t = typename T::template rebind_executor<
        executor_with_default<typename T::executor_type>>::other;

    /// Adapts an I/O object to use `shield_for_t` as its default completion token.
    template <typename T>
    static as_default_on_t<std::decay_t<T>> as_default_on(T&& object)
    {
        return as_default_on_t<std::decay_t<T>>(static_cast<T&&>(object));
    }

    /// How long after the first held request the operation may still run.
    /// `duration::max()` for `shield_until` and budgets.
    constexpr detail::grace_duration grace() const noexcept { return spec_.grace; }

    /// The absolute deadline of `shield_until`; `time_point::max()` otherwise.
    constexpr detail::grace_clock::time_point until() const noexcept { return spec_.until; }

    /// The cancellation types held back until the deadline.
    constexpr net::cancellation_type_t blocked_types() const noexcept { return blocked_types_; }

    // Public only so that the async_result specialisation can reach them; not API.
    CompletionToken token_;
    detail::grace_spec spec_;
    net::cancellation_type_t blocked_types_;
};

/// Shields the operation until `grace` after the first request (T1).
/**
 * `co_await async_write(sock, buf, shield_for(2s, use_awaitable));` finishes
 * the write if it can, but a peer that stops reading cannot hold a shutdown up
 * for more than two seconds after it was requested.
 *
 * Any duration is accepted (T5): one past the clock's range, `hours::max()`
 * or +inf means no limit; zero, a negative one, -inf or NaN cuts at the first
 * request (a value that cannot be trusted never extends protection).
 */
template <typename Rep, typename Period, typename CompletionToken>
[[nodiscard]] constexpr shield_for_t<std::decay_t<CompletionToken>>
shield_for(std::chrono::duration<Rep, Period> grace, CompletionToken&& token,
           net::cancellation_type_t blocked_types = detail::all_types)
{
    using token_type = std::decay_t<CompletionToken>;
    static_assert(std::is_class_v<token_type> ||
                      (std::is_pointer_v<token_type> &&
                       std::is_function_v<std::remove_pointer_t<token_type>>),
                  "asio_shield::shield_for(duration, token): the argument is not a completion "
                  "token. Pass a completion token or handler such as net::use_awaitable, "
                  "net::deferred, net::detached or a callable.");
    return shield_for_t<token_type>(static_cast<CompletionToken&&>(token), detail::saturate(grace),
                                    blocked_types);
}

namespace detail {
template <typename T>
inline constexpr bool is_duration_v = false;
template <typename Rep, typename Period>
inline constexpr bool is_duration_v<std::chrono::duration<Rep, Period>> = true;
} // namespace detail

/// Bad input (R4): a grace period that is not a `std::chrono::duration` gets
/// one message instead of a list of candidates.
template <typename NotDuration, typename... Rest>
requires(!detail::is_duration_v<std::decay_t<NotDuration>> &&
         !std::is_same_v<std::decay_t<NotDuration>, grace_budget>) void shield_for(NotDuration&&,
                                                                                  Rest&&...)
{
    static_assert(detail::is_duration_v<std::decay_t<NotDuration>>,
                  "asio_shield::shield_for(duration, token): the grace period must be a "
                  "std::chrono::duration, such as std::chrono::seconds(2) or 500ms.");
}

namespace detail {
template <typename CompletionToken>
constexpr void check_token() noexcept
{
    using token_type = std::decay_t<CompletionToken>;
    static_assert(std::is_class_v<token_type> ||
                      (std::is_pointer_v<token_type> &&
                       std::is_function_v<std::remove_pointer_t<token_type>>),
                  "asio_shield::shield_until / shield_for(budget, token): the argument is not a "
                  "completion token. Pass a completion token or handler such as "
                  "net::use_awaitable, net::deferred, net::detached or a callable.");
}
} // namespace detail

/// Shields the operation until an absolute time (T6), with any clock:
/// `shield_until(session_deadline, use_awaitable)`. A request held before
/// `deadline` is forwarded at `deadline`; one made after it passes at once.
/// After the deadline the request stays in force for the rest of the
/// operation (T4). `time_point::max()` of any clock, +inf and a time past the
/// clock's range mean no limit; a time point whose distance from now is NaN
/// counts as passed (T5).
template <typename Clock, typename Duration, typename CompletionToken>
[[nodiscard]] constexpr shield_for_t<std::decay_t<CompletionToken>>
shield_until(std::chrono::time_point<Clock, Duration> deadline, CompletionToken&& token,
             net::cancellation_type_t blocked_types = detail::all_types)
{
    detail::check_token<CompletionToken>();
    detail::grace_spec spec;
    spec.until = detail::to_grace_time(deadline);
    return shield_for_t<std::decay_t<CompletionToken>>(static_cast<CompletionToken&&>(token), spec,
                                                       blocked_types);
}

/// Shields the operation until the session's budget runs out (T6): the
/// budget's clock starts at the first request held by any shield or guard
/// that names it.
template <typename CompletionToken>
[[nodiscard]] constexpr shield_for_t<std::decay_t<CompletionToken>>
shield_for(grace_budget& budget, CompletionToken&& token,
           net::cancellation_type_t blocked_types = detail::all_types)
{
    detail::check_token<CompletionToken>();
    detail::grace_spec spec;
    spec.budget = &budget;
    return shield_for_t<std::decay_t<CompletionToken>>(static_cast<CompletionToken&&>(token), spec,
                                                       blocked_types);
}

/// Partial completion-token adapter: `shield_for(d)` with no token uses the
/// operation's default completion token (C4), as `shield()` does.
class partial_shield_for
{
public:
    constexpr partial_shield_for(detail::grace_duration grace,
                                 net::cancellation_type_t blocked_types) noexcept
        : spec_{grace}, blocked_types_(blocked_types)
    {}

    /// Not API: the deadline in any of its forms.
    constexpr partial_shield_for(const detail::grace_spec& spec,
                                 net::cancellation_type_t blocked_types) noexcept
        : spec_(spec), blocked_types_(blocked_types)
    {}

    /// Adapts `token`, as `shield_for(grace(), token, blocked_types())` does.
    template <typename CompletionToken>
    [[nodiscard]] constexpr shield_for_t<std::decay_t<CompletionToken>>
    operator()(CompletionToken&& token) const
    {
        return shield_for_t<std::decay_t<CompletionToken>>(static_cast<CompletionToken&&>(token),
                                                           spec_, blocked_types_);
    }

    constexpr detail::grace_duration grace() const noexcept { return spec_.grace; }
    constexpr net::cancellation_type_t blocked_types() const noexcept { return blocked_types_; }

    // Public only so that the async_result specialisation can reach them; not API.
    detail::grace_spec spec_;
    net::cancellation_type_t blocked_types_;
};

/// `shield_for(d)`: the partial form, for the I/O object's default token.
template <typename Rep, typename Period>
[[nodiscard]] constexpr partial_shield_for shield_for(std::chrono::duration<Rep, Period> grace)
{
    return partial_shield_for(detail::saturate(grace), detail::all_types);
}

/// `shield_until(t)`: the partial form, for the I/O object's default token.
template <typename Clock, typename Duration>
[[nodiscard]] constexpr partial_shield_for
shield_until(std::chrono::time_point<Clock, Duration> deadline)
{
    detail::grace_spec spec;
    spec.until = detail::to_grace_time(deadline);
    return partial_shield_for(spec, detail::all_types);
}

/// `shield_for(budget)`: the partial form, for the I/O object's default token.
[[nodiscard]] inline partial_shield_for shield_for(grace_budget& budget)
{
    detail::grace_spec spec;
    spec.budget = &budget;
    return partial_shield_for(spec, detail::all_types);
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/shield_for.hpp>

#endif // ASIO_SHIELD_SHIELD_FOR_HPP
