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

/// For a static_assert that fires only when its template is instantiated.
template <typename>
inline constexpr bool always_false_v = false;

/// The S3 mask of a shield with a deadline (shield_for, shield_until, the
/// budget and explicit-timer forms): checked as a value, and a request the
/// coroutine recorded before the start starts the deadline at once.
struct bounded_mask
{
    net::cancellation_type_t blocked;

    constexpr operator net::cancellation_type_t() const noexcept { return blocked; }
};

/// How a coroutine backend tells a shield with a deadline that its coroutine
/// recorded a request before the operation started (S3): the relay is
/// installed in the coroutine's slot after that request was emitted, so it
/// hears nothing of it. The backend's awaiter offers the recorded types just
/// before it starts the operation; the operation's initiation runs next, on
/// the same thread and before anything else (Asio starts an awaited
/// operation synchronously), and takes them. The awaiter withdraws an offer
/// that nothing took (an initiation that threw before) when it resumes.
class recorded_start
{
    struct offer_type
    {
        const void* by;
        net::cancellation_type_t types;
    };

public:
    static void offer(const void* by, net::cancellation_type_t types) noexcept
    {
        current() = offer_type{by, types};
    }

    /// What was recorded, once; none without an offer.
    static net::cancellation_type_t take() noexcept
    {
        const net::cancellation_type_t types = current().types;
        current() = offer_type{nullptr, net::cancellation_type::none};
        return types;
    }

    static void withdraw(const void* by) noexcept
    {
        if (current().by == by)
            current() = offer_type{nullptr, net::cancellation_type::none};
    }

private:
    static offer_type& current() noexcept
    {
        static constinit thread_local offer_type o{nullptr, net::cancellation_type::none};
        return o;
    }
};

/// `Mask` is `every_type` for `shield(token)`, `net::cancellation_type_t` for
/// `shield(token, mask)`, `bounded_mask` for the forms with a deadline.
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
