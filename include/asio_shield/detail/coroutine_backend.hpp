//
// asio_shield/detail/coroutine_backend.hpp
//
// What a coroutine backend (detail/backend/, one file per coroutine kind)
// plugs into, and all it may use of the rest of the library. The public layer
// (cancellation_guard.hpp, shield.hpp) defines every public overload in terms
// of these points; a backend fills them for its kind:
//
//   - the coroutine's cancellation state: a `coroutine_ref`, read off what
//     the kind hands a guard entry (a frame, a promise, a co_composed state);
//     `entry_context<Context>` for kinds whose guard is entered from an
//     explicit state object, `guard_cancellation(state)`;
//   - the unchecked-await hook: `backend_slot<N>::await_hook<Op>`, a base of
//     every operand that must reach the coroutine without the kind's
//     cancellation check (the guard entries), and whatever the hook needs
//     found by argument-dependent lookup in the kind's own namespaces;
//   - its result registrations (S3): specialisations of
//     `detail::shield_result` (detail/shield_result.hpp) for the kind's result
//     types;
//   - its probe list: `backend_slot<N>::selftest()`, which instantiates every
//     internal the backend uses, run by the configure-time probe
//     (cmake/internals_probe.cpp).
//
// A backend claims a free slot N by specialising `backend_slot<N>` (a second
// claim of the same slot is a redefinition error) and registers itself with
// one line, its #include in detail/backends.hpp. It gates itself on the Asio
// releases and configurations that have its coroutine kind.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_COROUTINE_BACKEND_HPP
#define ASIO_SHIELD_DETAIL_COROUTINE_BACKEND_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/coroutine_ref.hpp>

#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// How many coroutine backends can be registered at once.
inline constexpr unsigned backend_slot_count = 4;

/// Slot N of the registry: empty until a backend claims it.
template <unsigned N>
struct backend_slot
{
    /// A base of every guard entry operand `Op` (CRTP): empty here.
    template <typename Op>
    struct await_hook
    {};

    /// The backend's probe list: instantiates each internal it relies on (a
    /// template, so that only the probe instantiates it).
    template <typename = void>
    static void selftest() noexcept
    {}
};

template <typename Op, typename Slots = std::make_integer_sequence<unsigned, backend_slot_count>>
struct await_hooks;

/// The bases that every registered backend gives a guard entry operand.
template <typename Op, unsigned... N>
struct await_hooks<Op, std::integer_sequence<unsigned, N...>>
    : backend_slot<N>::template await_hook<Op>...
{};

template <unsigned... N>
void run_selftests(std::integer_sequence<unsigned, N...>)
{
    (backend_slot<N>::selftest(), ...);
}

/// Compiled by the configure-time probe (C1): every registered backend's
/// probe list.
template <typename = void>
void backend_selftests()
{
    run_selftests(std::make_integer_sequence<unsigned, backend_slot_count>());
}

/// For coroutine kinds whose guard is entered from an explicit state object
/// (`guard_cancellation(state)`): a specialisation for the state's type with
/// `static coroutine_ref coroutine(State&) noexcept`, the reference carrying
/// the executor of the grace timer (T3).
template <typename State, typename = void>
struct entry_context
{
    static constexpr bool registered = false;
};

template <typename State>
concept guard_entry_state = entry_context<std::remove_cvref_t<State>>::registered;

/// The awaiter of a guard entry in a kind whose hook knows the coroutine when
/// the operand is transformed: ready at once, so entering a guard never
/// suspends the coroutine (G0). Trivially copyable.
template <typename Op>
struct ready_entry
{
    Op op;
    coroutine_ref coroutine;

    bool await_ready() const noexcept { return true; }
    template <typename Handle>
    void await_suspend(Handle) const noexcept
    {}
    auto await_resume() const { return op.enter(coroutine); }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_COROUTINE_BACKEND_HPP
