//
// asio_shield/shield_for.hpp
//
// `shield_for(duration, token[, blocked_types])`, `shield_until`, the budget
// and explicit-timer forms: the one adapter of shield.hpp with a deadline.
// Requests of a blocked type are held back; if the operation is still pending
// at the deadline (by default `duration` after the first held request), the
// held requests are forwarded.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SHIELD_FOR_HPP
#define ASIO_SHIELD_SHIELD_FOR_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_waitable_timer.hpp>
#else
#include <boost/asio/basic_waitable_timer.hpp>
#endif

#include <chrono>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {

/// What `shield_for(d, token)`, `shield_until(t, token)` and
/// `shield_for(budget, token)` return: `shield_t` with a deadline.
/**
 * **Per-operation cancellation**: a request of a type in `blocked_types()` is
 * held back; other types pass at once (as with `shield_t`, S5). If the
 * operation has not completed at the deadline (`grace()` after the *first*
 * held request, `until()`, or the budget's), the union of the held requests is
 * forwarded to it, and later requests pass straight through (T1). In a
 * coroutine, held requests are recorded by the coroutine's state as with
 * `shield_t` (S4); a request recorded before the operation starts starts the
 * deadline at once (S3).
 *
 * **Cost**: with no request there is no timer: the operation pays for a small
 * relay in its cancellation slot's recycled memory. The first held request
 * allocates one timer with the handler's associated allocator.
 *
 * **Executor (T3)**: the timer runs on
 * `get_associated_executor(handler, initiation executor)`; never an extra
 * thread. When neither names an executor, `shield_for` does not compile.
 *
 * **Default token**: none; there is no `as_default_on`, as Asio's
 * `cancel_after_t` has none (a default-constructed token would have no
 * deadline). Use the partial form `shield_for(d)` at each call.
 *
 * **Thread safety**: requests must be emitted on the operation's executor (or
 * strand), as Asio requires of every slot.
 *
 * **Contract**: T1, T3, T4-T7; S1, S2, S4, S5 up to the deadline; S3; C5.
 */
template <typename CompletionToken>
using shield_for_t = shield_t<CompletionToken, net::cancellation_type_t, detail::grace_spec>;

/// What `shield_for(timer, d, token)` returns.
template <typename CompletionToken, typename Timer>
using shield_for_timer_t =
    shield_t<CompletionToken, net::cancellation_type_t, detail::timer_grace<Timer>>;

/// What the partial forms `shield_for(d)`, `shield_until(t)` and
/// `shield_for(budget)` return.
using partial_shield_for = partial_shield_t<net::cancellation_type_t, detail::grace_spec>;

namespace detail {

template <typename T>
inline constexpr bool is_duration_v = false;
template <typename Rep, typename Period>
inline constexpr bool is_duration_v<std::chrono::duration<Rep, Period>> = true;

template <typename Deadline, typename CompletionToken>
constexpr shield_t<std::decay_t<CompletionToken>, net::cancellation_type_t, Deadline>
bounded(CompletionToken&& token, const Deadline& deadline, net::cancellation_type_t blocked)
{
    return shield_access::make<net::cancellation_type_t, Deadline>(
        static_cast<CompletionToken&&>(token), bounded_policy<Deadline>{blocked, deadline});
}

inline constexpr partial_shield_for bounded_partial(const grace_spec& deadline) noexcept
{
    return shield_access::make_partial<net::cancellation_type_t, grace_spec>(
        bounded_policy<grace_spec>{all_types, deadline});
}

} // namespace detail

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
    return detail::bounded(static_cast<CompletionToken&&>(token),
                           detail::grace_after(detail::saturate(grace)), blocked_types);
}

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
    return detail::bounded(static_cast<CompletionToken&&>(token), detail::grace_until(deadline),
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
    return detail::bounded(static_cast<CompletionToken&&>(token), detail::grace_of(budget),
                           blocked_types);
}

/// The explicit-timer form, as Asio's `cancel_after(timer, d, token)` (C5):
/// the grace period runs on `timer`, which the operation uses for nothing
/// else while it is pending and which must outlive it. No timer is created;
/// the timer's executor runs the deadline (T3), and `grace` counts on its
/// clock.
template <typename Clock, typename WaitTraits, typename Executor, typename CompletionToken>
[[nodiscard]] constexpr shield_for_timer_t<std::decay_t<CompletionToken>,
                                           net::basic_waitable_timer<Clock, WaitTraits, Executor>>
shield_for(net::basic_waitable_timer<Clock, WaitTraits, Executor>& timer,
           typename Clock::duration grace, CompletionToken&& token,
           net::cancellation_type_t blocked_types = detail::all_types)
{
    using timer_type = net::basic_waitable_timer<Clock, WaitTraits, Executor>;
    return detail::bounded(static_cast<CompletionToken&&>(token),
                           detail::timer_grace<timer_type>{&timer, grace}, blocked_types);
}

/// Bad input (R4): a grace period that is not a `std::chrono::duration` gets
/// one message instead of a list of candidates.
template <typename NotDuration, typename... Rest>
requires(!detail::is_duration_v<std::decay_t<NotDuration>> &&
         !std::is_same_v<std::decay_t<NotDuration>, grace_budget> && !requires(NotDuration & t) {
             t.expires_after(t.expiry() - t.expiry());
         }) void shield_for(NotDuration&&, Rest&&...)
{
    static_assert(detail::is_duration_v<std::decay_t<NotDuration>>,
                  "asio_shield::shield_for(duration, token): the grace period must be a "
                  "std::chrono::duration, such as std::chrono::seconds(2) or 500ms.");
}

/// `shield_for(d)`: the partial form, for the I/O object's default token (C5).
template <typename Rep, typename Period>
[[nodiscard]] constexpr partial_shield_for shield_for(std::chrono::duration<Rep, Period> grace)
{
    return detail::bounded_partial(detail::grace_after(detail::saturate(grace)));
}

/// `shield_until(t)`: the partial form, for the I/O object's default token (C5).
template <typename Clock, typename Duration>
[[nodiscard]] constexpr partial_shield_for
shield_until(std::chrono::time_point<Clock, Duration> deadline)
{
    return detail::bounded_partial(detail::grace_until(deadline));
}

/// `shield_for(budget)`: the partial form, for the I/O object's default token (C5).
[[nodiscard]] inline partial_shield_for shield_for(grace_budget& budget)
{
    return detail::bounded_partial(detail::grace_of(budget));
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_SHIELD_FOR_HPP
