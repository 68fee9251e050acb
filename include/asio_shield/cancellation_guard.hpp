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
#include <asio_shield/detail/coroutine_backend.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>
#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/detail/guard_order.hpp>
#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_state.hpp>
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#endif

#include <chrono>
#include <memory>
#include <optional>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {
struct guard_access;
struct guard_hooks;
struct guard_recorder;
struct guard_in_filter;
struct guard_out_filter;
struct guard_redelivery_marker;
struct pooled_signal;
class guard_cancellation_op;
class guard_cancellation_for_op;
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
 * another coroutine), and after every guard entered later in the same
 * coroutine thread: guards end innermost first, so `release()` of an outer
 * guard while an inner one is in force is an error (a debug-build assertion
 * says so, R4). A `this_coro::reset_cancellation_state` inside the scope
 * replaces the state for good; the guard then restores only the flag (G4).
 *
 * **Grace period** (`guard_cancellation_for`): once a request arrives — or at
 * entry, if one was already recorded — the scope has the grace period to
 * finish; then the operations still pending in it are cancelled and the guard
 * ends as if released, so later `co_await`s in the scope throw like in a plain
 * cancelled coroutine (T2). The timer runs on the coroutine's executor (T3)
 * and is allocated only when a request arrives. The earliest deadline wins
 * (T7): a deadline that passes above the guard — an enclosing guard's, or the
 * `shield_for` / `shield_until` / budget that the coroutine's caller awaits it
 * with — ends the guard at once, whatever grace period it has of its own, and
 * a plain guard too. After the deadline the request stays in force (T4): the
 * operation still pending in the scope gets it again at its next step, also
 * when the deadline found it between two steps (detail/deadline.hpp says how
 * soon).
 *
 * **Contract**: G0–G7, T2–T4, T7. Neither copyable nor movable.
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
    bool active() const noexcept { return phase_ == phase::active; }

    /// Whether the guard ended because its grace period (or an enclosing
    /// deadline) ran out (T2, T7).
    bool expired() const noexcept { return phase_ == phase::expired; }

    /// Every cancellation type that reached the coroutine's state before and
    /// during the guard (G7). Before the guard, Asio records only the last
    /// request, so that is what this reports of the time before it.
    ASIO_SHIELD_DECL net::cancellation_type_t cancellation_requested() const noexcept;

private:
    friend struct detail::guard_access;
    friend struct detail::guard_hooks;
    friend struct detail::guard_recorder;
    friend struct detail::guard_in_filter;
    friend struct detail::guard_out_filter;
    friend struct detail::guard_redelivery_marker;

    /// active: in force. expired: a deadline ended the scope (flags given
    /// back), the substitute state stays the coroutine's until the guard
    /// ends, for T4. released: ended, everything given back.
    enum class phase : unsigned char
    {
        active,
        expired,
        released
    };

    /// E4: whether the guard hears requests through a recorder of its own in
    /// the saved state's slot, or that slot held an operation's handler.
    enum class listener : unsigned char
    {
        none,
        recorder,
        foreign
    };

    /// The one deadline engine (T8), on the coroutine's executor (T3).
    using engine = detail::deadline<net::any_io_executor, std::allocator<void>>;

    ASIO_SHIELD_DECL explicit cancellation_guard(detail::coroutine_ref coroutine);
    ASIO_SHIELD_DECL cancellation_guard(detail::coroutine_ref coroutine,
                                        const detail::grace_spec& grace,
                                        const net::any_io_executor& executor);

    ASIO_SHIELD_DECL void enter();
    ASIO_SHIELD_DECL void on_request();
    ASIO_SHIELD_DECL void expire() noexcept;
    ASIO_SHIELD_DECL void expire_with_enclosing(net::cancellation_type_t type) noexcept;
    ASIO_SHIELD_DECL void redeliver() noexcept;
    ASIO_SHIELD_DECL bool after_delivery() noexcept;
    ASIO_SHIELD_DECL void cut(net::cancellation_type_t what) noexcept;
    ASIO_SHIELD_DECL void place_marker() noexcept;
    ASIO_SHIELD_DECL void end() noexcept;
    ASIO_SHIELD_DECL void close_scope(bool restore) noexcept;
    ASIO_SHIELD_DECL void give_back_state() noexcept;

    detail::coroutine_ref coroutine_;
    net::cancellation_state saved_state_;
    // Parent of the substitute state: a signal of this thread's pool, which
    // keeps its slot memory from one guard to the next (no allocation for
    // nested guards); taken only when there is a slot to guard.
    detail::pooled_signal* relay_ = nullptr;
    net::cancellation_slot substitute_slot_; // Detects a reset inside the scope.
    net::cancellation_type_t requested_ = net::cancellation_type::none;
    // T2, T7: built with the guard when it has a grace period, or when an
    // enclosing deadline ends it; the timer itself only at the first request.
    std::optional<engine> deadline_;
    phase phase_ = phase::active;
    listener listener_ = listener::none;
    bool saved_throw_if_cancelled_;
    bool saved_second_check_;
    bool marker_ = false; // T4: a redelivery marker waits in the substitute's slot.
    // R4: the filters and the recorder point here, so the guard must never
    // change address. g++ 12 copies it bitwise when it is produced by a
    // conditional expression of two co_awaits; debug builds catch that.
    const cancellation_guard* self_ = this;
    // R4: debug builds check that the guards of a coroutine end innermost
    // first (detail/guard_order.hpp); present in every build, so that the
    // layout does not depend on NDEBUG.
    detail::guard_order::link order_;
};

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)
/// Enters a protected scope: `auto guard = co_await guard_cancellation();`.
/**
 * Never throws `operation_aborted`, also in a coroutine whose cancellation was
 * already requested — typically right after catching `operation_aborted` (G0).
 * Only valid as the operand of `co_await` in an `asio::awaitable` coroutine.
 *
 * In a `co_composed` body (Asio 1.26 on) the guard is entered without
 * `co_await`, from the body's state: `auto guard = guard_cancellation(state);`
 * and `auto guard = guard_cancellation_for(state, 2s);` (below). There the
 * guard also turns the state's `complete_if_cancelled` off for its lifetime
 * and restores it, so that suspending in the scope does not complete the
 * composed operation with `operation_aborted`.
 */
[[nodiscard]] detail::guard_cancellation_op guard_cancellation() noexcept;

/// Enters a protected scope with a grace period (T2):
/// `auto guard = co_await guard_cancellation_for(2s);`.
/**
 * As `guard_cancellation()`, but once a request arrives (or at entry, if one
 * was already recorded) the scope has `grace` to finish; after that the
 * operations still pending in it are cancelled and the guard behaves as
 * released. The timer runs on the coroutine's executor (T3). Any duration is
 * accepted: values past the clock's range and +inf mean no limit; zero,
 * negative ones, -inf and NaN mean "at the first request" (T5).
 */
template <typename Rep, typename Period>
[[nodiscard]] detail::guard_cancellation_for_op
guard_cancellation_for(std::chrono::duration<Rep, Period> grace) noexcept;

/// Enters a protected scope that ends at an absolute time (T6), with any
/// clock: `auto guard = co_await guard_cancellation_until(deadline);`. A
/// request held before `deadline` cuts the scope at `deadline`; one made after
/// it cuts the scope at once. `time_point::max()`, +inf and times past the
/// clock's range mean no limit; a time point whose distance from now is NaN
/// counts as passed (T5).
template <typename Clock, typename Duration>
[[nodiscard]] detail::guard_cancellation_for_op
guard_cancellation_until(std::chrono::time_point<Clock, Duration> deadline) noexcept;

/// Enters a protected scope on a session's shared budget (T6):
/// `auto guard = co_await guard_cancellation_for(budget);`. The budget's clock
/// starts at the first request held by any shield or guard that names it.
[[nodiscard]] detail::guard_cancellation_for_op
guard_cancellation_for(grace_budget& budget) noexcept;

/// Enters a protected scope from a coroutine's state object, in the kinds
/// that hand their body one (`co_composed`, Asio 1.26 on):
/// `auto guard = guard_cancellation(state);`, without `co_await`.
/**
 * For its lifetime, operations awaited in the body are not interrupted by a
 * cancellation requested before or during the guard, the state's
 * `throw_if_cancelled()` and `complete_if_cancelled()` read false, and
 * `state.cancelled()` reports what was requested; when it ends, the state's
 * own cancellation state and both flags are back as they were, so the next
 * `co_await` completes the composed operation with `operation_aborted`
 * exactly as without the guard (G2).
 */
template <detail::guard_entry_state State>
[[nodiscard]] cancellation_guard guard_cancellation(State& state);

/// T2 from a state object: `auto guard = guard_cancellation_for(state, 2s);`.
/// The grace timer runs on the state's I/O executor (T3); any duration is
/// accepted (T5), as by `guard_cancellation_for(d)`.
template <detail::guard_entry_state State, typename Rep, typename Period>
[[nodiscard]] cancellation_guard guard_cancellation_for(State& state,
                                                        std::chrono::duration<Rep, Period> grace);

/// T6 from a state object: `auto guard = guard_cancellation_until(state, t);`.
template <detail::guard_entry_state State, typename Clock, typename Duration>
[[nodiscard]] cancellation_guard
guard_cancellation_until(State& state, std::chrono::time_point<Clock, Duration> deadline);

/// T6 from a state object: `auto guard = guard_cancellation_for(state, budget);`.
template <detail::guard_entry_state State>
[[nodiscard]] cancellation_guard guard_cancellation_for(State& state, grace_budget& budget);
#endif // defined(ASIO_SHIELD_HAS_CO_AWAIT)

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/cancellation_guard.hpp>

// P1: the guard's out-of-line code, unless it is compiled once (P2, src.hpp).
#if defined(ASIO_SHIELD_HEADER_ONLY)
#include <asio_shield/impl/cancellation_guard.ipp>
#endif

#endif // ASIO_SHIELD_CANCELLATION_GUARD_HPP
