//
// asio_shield/detail/shield_result.hpp
//
// The hook through which a coroutine backend makes S3 possible: what
// `shield(token)` returns for a result type of `token`. Identity here; each
// backend under detail/backend/ specialises it for its own result types (the
// awaitable backend: `awaitable<T>` and deferred operations).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_SHIELD_RESULT_HPP
#define ASIO_SHIELD_DETAIL_SHIELD_RESULT_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// `Mask` is `every_type` for `shield(token)`, `net::cancellation_type_t` for
/// `shield(token, mask)`.
/// `wrap(start, mask)` returns the shielded result; `start()` starts the
/// operation and returns the wrapped token's result, as a prvalue, so that
/// the wrapper can be built around it in place.
template <typename Result, typename Mask>
struct shield_result
{
    using type = Result;

    template <typename Start>
    static type wrap(Start&& start, Mask)
    {
        return static_cast<Start&&>(start)();
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_SHIELD_RESULT_HPP
