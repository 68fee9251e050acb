//
// asio_shield/detail/coroutine_ref.hpp
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP
#define ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_state.hpp>
#else
#include <boost/asio/cancellation_state.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// What a guard needs of the coroutine it lives in: the coroutine's
/// cancellation state and `throw_if_cancelled` flag, and where the coroutine
/// kind has one (co_composed), its `complete_if_cancelled` flag. The addresses
/// are stable for the lifetime of the coroutine. Filled in by the coroutine
/// backends (detail/backend/), the only code that knows where they live. A
/// coroutine that cannot be cancelled at all (a co_composed operation whose
/// handler has no cancellation slot) has no state: all three are null.
struct coroutine_ref
{
    net::cancellation_state* state;
    bool* throw_if_cancelled;
    bool* complete_if_cancelled;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP
