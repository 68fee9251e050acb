//
// asio_shield/detail/backend/co_composed.hpp
//
// The coroutine backend for `co_composed` bodies (Asio 1.26 on; experimental
// until Asio 1.31): the other place where asio_shield relies on Asio
// internals (docs/contract.md, C1). It supplies the body's cancellation state
// to the guard: `auto guard = guard_cancellation(state);`.
//
// A co_composed body checks cancellation through public flags of its state
// (`throw_if_cancelled`, `complete_if_cancelled`), so no unchecked-await hook
// is needed; but the guard must put a substitute in place of the state's
// cancellation state and later restore the original object, which only the
// state's friends can do (G4: the original state is kept, not rebuilt).
//
//   K1  co_composed_state_cancellation<Executors, Handler, Return>'s private
//       data members `cancellation_state_` (cancellation_state),
//       `throw_if_cancelled_` and `complete_if_cancelled_` (bool), in the
//       specialisation used when the handler has a cancellation slot;
//       reached through an explicit specialisation of `co_composed_promise`,
//       a class template that co_composed_state_cancellation befriends.
//   K2  co_composed_state<Executors, Handler, Return> (the type of the body's
//       `state` parameter), publicly derived from K1's class, and its public
//       get_io_executor() (the guard's grace timer runs there, T3).
//
// Namespace: net::experimental::detail before Asio 1.31, net::detail after.
// Listed, instantiated by the configure-time probe with the user's macros, and
// tested on every release the project claims (docs/internals.md).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_BACKEND_CO_COMPOSED_HPP
#define ASIO_SHIELD_DETAIL_BACKEND_CO_COMPOSED_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>
#include <asio_shield/detail/deadline.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
#include <asio/experimental/co_composed.hpp>
#else
#include <asio/co_composed.hpp>
#endif
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
#include <boost/asio/experimental/co_composed.hpp>
#else
#include <boost/asio/co_composed.hpp>
#endif
#endif

#include <chrono>
#include <type_traits>

#if defined(ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL)
#define ASIO_SHIELD_CO_COMPOSED_DETAIL asio_shield::net::experimental::detail
#else
#define ASIO_SHIELD_CO_COMPOSED_DETAIL asio_shield::net::detail
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// Key for the explicit specialisation that K1 befriends.
struct co_composed_key
{};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

/// K1: co_composed_state_cancellation declares
/// `template <typename, typename, typename> friend class co_composed_promise;`,
/// so this specialisation may read its private members.
template <>
class ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_promise<::asio_shield::detail::co_composed_key,
                                                          ::asio_shield::detail::co_composed_key,
                                                          ::asio_shield::detail::co_composed_key>
{
public:
    template <typename Executors, typename Handler, typename Return>
    static ::asio_shield::detail::coroutine_ref
    ref(co_composed_state<Executors, Handler, Return>& state) noexcept
    {
        if constexpr (requires { state.get_cancellation_state(); })
        {
            co_composed_state_cancellation<Executors, Handler, Return>& c = state;
            return {&c.cancellation_state_, &c.throw_if_cancelled_, &c.complete_if_cancelled_};
        }
        else
        {
            // The handler has no cancellation slot: nothing can be requested.
            return {nullptr, nullptr, nullptr};
        }
    }
};

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

using co_composed_access =
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_promise<co_composed_key, co_composed_key,
                                                        co_composed_key>;

/// The state's I/O executor as an any_io_executor, for coroutine_ref (K2).
template <typename State>
net::any_io_executor any_io_executor_of(const void* state)
{
    return net::any_io_executor(static_cast<const State*>(state)->get_io_executor());
}

/// The body's coroutine, with its I/O executor (T7, T4: see coroutine_ref).
template <typename Executors, typename Handler, typename Return>
coroutine_ref guarded_coroutine_of(
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>& state) noexcept
{
    coroutine_ref ref = co_composed_access::ref(state);
    ref.executor = &any_io_executor_of<
        ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>>;
    ref.context = &state;
    return ref;
}

/// Compiled by the configure-time probe (C1): K1 and K2 for a handler with a
/// cancellation slot and one without, on any_io_executor.
inline void co_composed_selftest()
{
    using returns = ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_returns<void()>;
    using plain = void (*)();
    using cancellable = net::cancellation_slot_binder<plain, net::cancellation_slot>;
    using executors = void(net::any_io_executor);
    [[maybe_unused]] auto k1 = &co_composed_access::ref<executors, cancellable, returns>;
    [[maybe_unused]] auto k1_none = &co_composed_access::ref<executors, plain, returns>;
    using state =
        ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<executors, cancellable, returns>;
    [[maybe_unused]] auto k2 = &state::get_io_executor;
}

} // namespace detail

/// G0–G7 in a co_composed body: `auto guard = guard_cancellation(state);`.
/**
 * Entered without `co_await`. For its lifetime, operations awaited in the body
 * are not interrupted by a cancellation requested before or during the guard,
 * the state's `throw_if_cancelled()` and `complete_if_cancelled()` read false,
 * and `state.cancelled()` reports what was requested; when it ends, the
 * state's own cancellation state and both flags are back as they were, so the
 * next `co_await` completes the composed operation with `operation_aborted`
 * exactly as without the guard (G2).
 */
template <typename Executors, typename Handler, typename Return>
[[nodiscard]] cancellation_guard guard_cancellation(
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>& state)
{
    return detail::guard_access::make(detail::guarded_coroutine_of(state));
}

/// T2 in a co_composed body: `auto guard = guard_cancellation_for(state, 2s);`.
/**
 * The grace timer runs on the state's I/O executor (T3). Any duration is
 * accepted (T5), as by `shield_for`: past the clock's range or +inf, no limit;
 * zero, negative, -inf or NaN, at the first request.
 */
template <typename Executors, typename Handler, typename Return, typename Rep, typename Period>
[[nodiscard]] cancellation_guard guard_cancellation_for(
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>& state,
    std::chrono::duration<Rep, Period> grace)
{
    return detail::guard_access::make(detail::guarded_coroutine_of(state),
                                      detail::grace_spec{detail::saturate(grace)},
                                      net::any_io_executor(state.get_io_executor()));
}

/// T6 in a co_composed body: `auto guard = guard_cancellation_until(state, t);`.
/// `time_point::max()`, +inf or a time past the clock's range: no limit; a
/// time point whose distance from now is NaN counts as passed (T5).
template <typename Executors, typename Handler, typename Return, typename Clock,
          typename Duration>
[[nodiscard]] cancellation_guard guard_cancellation_until(
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>& state,
    std::chrono::time_point<Clock, Duration> deadline)
{
    detail::grace_spec spec;
    spec.until = detail::to_grace_time(deadline);
    return detail::guard_access::make(detail::guarded_coroutine_of(state), spec,
                                      net::any_io_executor(state.get_io_executor()));
}

/// T6 in a co_composed body: `auto guard = guard_cancellation_for(state, budget);`.
template <typename Executors, typename Handler, typename Return>
[[nodiscard]] cancellation_guard guard_cancellation_for(
    ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>& state,
    grace_budget& budget)
{
    detail::grace_spec spec;
    spec.budget = &budget;
    return detail::guard_access::make(detail::guarded_coroutine_of(state), spec,
                                      net::any_io_executor(state.get_io_executor()));
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_BACKEND_CO_COMPOSED_HPP
