//
// asio_shield/cancellation_guard.hpp
//
// `auto guard = co_await asio_shield::guard_cancellation();` — an RAII scope in
// an asio::awaitable coroutine in which every co_await runs to completion,
// even after the coroutine's cancellation was requested.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_CANCELLATION_GUARD_HPP
#define ASIO_SHIELD_CANCELLATION_GUARD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_state.hpp>
#else
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {
struct guard_access;
struct guard_recorder;
struct guard_in_filter;
struct guard_out_filter;
class guard_cancellation_op;
} // namespace detail

/// A protected scope inside an `asio::awaitable` coroutine.
/**
 * Obtained with `auto guard = co_await guard_cancellation();`. While it is
 * alive, no `co_await` of the coroutine thread throws because cancellation was
 * requested, and no operation awaited in the scope is interrupted by a request
 * made before or during the guard (G1). Requests are not lost: the coroutine's
 * own cancellation state keeps recording them, and when the guard ends — scope
 * exit, exception or `release()` — the coroutine sees exactly what plain Asio
 * would have shown (G2), with its `throw_if_cancelled` setting and
 * cancellation filters as before (G4).
 *
 * **Per-operation cancellation**: operations awaited inside the scope are bound
 * to a slot that never emits. Inside the scope `this_coro::throw_if_cancelled()`
 * reads `false` and `this_coro::cancellation_state` reports every type
 * requested so far; `cancellation_requested()` reports the same.
 *
 * **Thread safety**: like the coroutine's cancellation state: requests must be
 * emitted on the coroutine's executor (or strand), as Asio already requires.
 *
 * **Preconditions**: ended on the coroutine thread that created it (it lives in
 * that coroutine's frame, so this holds unless its address is handed to
 * another coroutine). A `this_coro::reset_cancellation_state` inside the scope
 * replaces the state for good; the guard then restores only the flag (G4).
 *
 * **Contract**: G0–G7. Neither copyable nor movable.
 */
class [[nodiscard]] cancellation_guard
{
public:
    cancellation_guard(const cancellation_guard&) = delete;
    cancellation_guard& operator=(const cancellation_guard&) = delete;
    cancellation_guard(cancellation_guard&&) = delete;
    cancellation_guard& operator=(cancellation_guard&&) = delete;

    /// Ends the guard if `release()` has not (G2, G6).
    ASIO_SHIELD_DECL ~cancellation_guard();

    /// Ends the guard before its scope does; later calls do nothing.
    ASIO_SHIELD_DECL void release() noexcept;

    /// Whether the guard is still in force.
    bool active() const noexcept { return active_; }

    /// Every cancellation type that reached the coroutine's state before and
    /// during the guard (G7). Before the guard, Asio records only the last
    /// request, so that is what this reports of the time before it.
    ASIO_SHIELD_DECL net::cancellation_type_t cancellation_requested() const noexcept;

private:
    friend struct detail::guard_access;
    friend struct detail::guard_recorder;
    friend struct detail::guard_in_filter;
    friend struct detail::guard_out_filter;

    ASIO_SHIELD_DECL explicit cancellation_guard(detail::coroutine_ref coroutine);

    detail::coroutine_ref coroutine_;
    net::cancellation_state saved_state_;
    net::cancellation_signal relay_;         // Parent of the substitute state.
    net::cancellation_slot substitute_slot_; // Detects a reset inside the scope.
    net::cancellation_type_t requested_ = net::cancellation_type::none;
    bool saved_throw_if_cancelled_;
    bool active_ = true;
    bool recorder_installed_ = false;
};

/// Enters a protected scope: `auto guard = co_await guard_cancellation();`.
/**
 * Never throws `operation_aborted`, also in a coroutine whose cancellation was
 * already requested — typically right after catching `operation_aborted` (G0).
 * Only valid as the operand of `co_await` in an `asio::awaitable` coroutine.
 */
[[nodiscard]] detail::guard_cancellation_op guard_cancellation() noexcept;

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/cancellation_guard.hpp>

#endif // ASIO_SHIELD_CANCELLATION_GUARD_HPP
