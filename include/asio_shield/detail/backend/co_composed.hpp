//
// asio_shield/detail/backend/co_composed.hpp
//
// The coroutine backend for `co_composed` bodies (Asio 1.26 on; experimental
// until Asio 1.31): one of the places where asio_shield relies on Asio
// internals (docs/contract.md, C1). It supplies the body's cancellation state
// to the guard's state forms: `auto guard = guard_cancellation(state);`.
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

#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)

#include <asio_shield/detail/coroutine_backend.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>

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
template <typename = void>
void co_composed_selftest()
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

/// The state forms of the guard take a co_composed body's state (K2).
template <typename Executors, typename Handler, typename Return>
struct entry_context<ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>>
{
    static constexpr bool registered = true;

    static coroutine_ref
    coroutine(ASIO_SHIELD_CO_COMPOSED_DETAIL::co_composed_state<Executors, Handler, Return>&
                  state) noexcept
    {
        return guarded_coroutine_of(state);
    }
};

/// Registration: slot 1 of detail/coroutine_backend.hpp. A co_composed body
/// checks cancellation only through the state's public flags, so no operand
/// needs a hook, and in it a request already recorded completes the whole
/// operation at its next suspension, so S3 registers nothing.
template <>
struct backend_slot<1>
{
    template <typename Op>
    struct await_hook
    {};

    template <typename = void>
    static void selftest()
    {
        co_composed_selftest();
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // defined(ASIO_SHIELD_HAS_CO_COMPOSED)

#endif // ASIO_SHIELD_DETAIL_BACKEND_CO_COMPOSED_HPP
