//
// asio_shield/impl/cancellation_guard.hpp
//
// What every coroutine backend uses to make a guard; the backends themselves
// (detail/backend/) define the entry points for their coroutine kind.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
#define ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/deadline.hpp>

#include <chrono>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

template <typename>
inline constexpr bool dependent_false_v = false;

struct guard_access
{
    static cancellation_guard make(coroutine_ref coroutine)
    {
        return cancellation_guard(coroutine);
    }

    static cancellation_guard make(coroutine_ref coroutine, const grace_spec& grace,
                                   const net::any_io_executor& executor)
    {
        return cancellation_guard(coroutine, grace, executor);
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/detail/backends.hpp>

#endif // ASIO_SHIELD_IMPL_CANCELLATION_GUARD_HPP
