//
// asio_shield/detail/coroutine_ref.hpp
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP
#define ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/cancellation_state.hpp>
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_state.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// What a guard needs of the coroutine it lives in, whatever its kind: the
/// coroutine's cancellation state, the flag by which its awaits throw on a
/// recorded request (`throw_if_cancelled`, also the coroutine's identity for
/// T7), and where the kind has one, a second flag by which its awaits act on
/// a recorded request (co_composed's `complete_if_cancelled`); the guard
/// turns both flags off for its scope and restores them. The addresses are
/// stable while the guard lives. Filled in by the coroutine backends
/// (detail/backend/), the only code that knows where they live. A coroutine
/// that cannot be cancelled at all (a co_composed operation whose handler has
/// no cancellation slot) has no state: all three are null.
///
/// `executor(context)`, where the backend can give one, is the coroutine's
/// executor as an `any_io_executor`: the grace timer's (T3), and the one a
/// guard without a grace period of its own takes over the re-deliveries of
/// its scope on when an enclosing deadline ends it (T7, T4).
struct coroutine_ref
{
    net::cancellation_state* state;
    bool* throw_if_cancelled;
    bool* second_check;
    net::any_io_executor (*executor)(const void*) = nullptr;
    const void* context = nullptr;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP
