//
// asio_shield/detail/shield_policy.hpp
//
// What a shield carries to its initiation besides the token: the mask, and
// the deadline policy of the forms with a grace period. Shared by shield.hpp
// and the handler of the forms with a deadline (detail/grace_handler.hpp).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_SHIELD_POLICY_HPP
#define ASIO_SHIELD_DETAIL_SHIELD_POLICY_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

#include <type_traits>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// `shield_t`'s deadline policy for `shield`: none, the blocked types are
/// held for ever.
struct no_grace
{};

/// The deadline policy of the explicit-timer form, `shield_for(timer, d,
/// token)`: the grace period runs on the user's timer.
template <typename Timer>
struct timer_grace
{
    Timer* timer;
    typename Timer::duration grace;
};

template <typename Deadline>
inline constexpr bool has_grace_v = !std::is_same_v<Deadline, no_grace>;

/// What a shield with a deadline carries to the initiation: the mask and
/// the deadline, as one argument.
template <typename Deadline>
struct bounded_policy
{
    net::cancellation_type_t blocked;
    Deadline deadline;
};

/// The initiation argument of a `shield_t<Token, Mask, Deadline>`: the mask
/// alone without a deadline (an empty object for the default mask, S6).
template <typename Mask, typename Deadline>
using shield_policy_t = std::conditional_t<has_grace_v<Deadline>, bounded_policy<Deadline>, Mask>;

constexpr net::cancellation_type_t blocked_of(net::cancellation_type_t blocked) noexcept
{
    return blocked;
}

template <typename Deadline>
constexpr net::cancellation_type_t blocked_of(const bounded_policy<Deadline>& p) noexcept
{
    return p.blocked;
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_SHIELD_POLICY_HPP
