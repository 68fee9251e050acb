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

/// What a guard needs of the coroutine it lives in: the coroutine's
/// cancellation state and `throw_if_cancelled` flag, and where the coroutine
/// kind has one (co_composed), its `complete_if_cancelled` flag. The addresses
/// are stable for the lifetime of the coroutine. Filled in by the coroutine
/// backends (detail/backend/), the only code that knows where they live. A
/// coroutine that cannot be cancelled at all (a co_composed operation whose
/// handler has no cancellation slot) has no state: all three are null.
///
/// `executor(context)`, where the backend can give one, is the coroutine's
/// executor as an `any_io_executor`. Only a guard without a grace period of
/// its own that an enclosing deadline ends asks for it (T7), to take over
/// the re-deliveries of its scope (T4); otherwise nothing builds an executor.
struct coroutine_ref
{
    net::cancellation_state* state;
    bool* throw_if_cancelled;
    bool* complete_if_cancelled;
    net::any_io_executor (*executor)(const void*) = nullptr;
    const void* context = nullptr;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_COROUTINE_REF_HPP
