//
// asio_shield/detail/cancellation_types.hpp
//
// Helpers over net::cancellation_type_t, written with Asio's own operators.
// Masks are defined on the three named bits only (docs/contract.md, "The
// shield token"): every other bit of a request is dropped before it reaches
// an operation (E4).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_CANCELLATION_TYPES_HPP
#define ASIO_SHIELD_DETAIL_CANCELLATION_TYPES_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_type.hpp>
#else
#include <boost/asio/cancellation_type.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// terminal | partial | total: what "every type" means for masks.
inline constexpr net::cancellation_type_t all_types = net::cancellation_type::terminal |
                                                      net::cancellation_type::partial |
                                                      net::cancellation_type::total;

/// The named bits of `type`: all that may ever reach an operation (E4).
constexpr net::cancellation_type_t named(net::cancellation_type_t type) noexcept
{
    return type & all_types;
}

/// The named bits of `requested` that `blocked` does not cover.
constexpr net::cancellation_type_t uncovered(net::cancellation_type_t requested,
                                             net::cancellation_type_t blocked) noexcept
{
    return named(requested) & ~blocked;
}

/// The named bits of `requested` that `blocked` covers.
constexpr net::cancellation_type_t covered(net::cancellation_type_t requested,
                                           net::cancellation_type_t blocked) noexcept
{
    return named(requested) & blocked;
}

/// True when `blocked` covers every named bit, so nothing can ever pass.
constexpr bool blocks_everything(net::cancellation_type_t blocked) noexcept
{
    return uncovered(all_types, blocked) == net::cancellation_type::none;
}

/// The default mask of `shield(token)` as a type: every named bit, known at
/// compile time, so that the handler and the S3 awaiter carry no mask, no
/// slot and no check they would never use (S6). `shield(token, mask)` keeps
/// the mask as a `net::cancellation_type_t` value.
struct every_type
{
    constexpr operator net::cancellation_type_t() const noexcept { return all_types; }
};

/// A mask's value when none is given: every type.
template <typename Mask>
inline constexpr Mask default_mask = Mask(all_types);

template <>
inline constexpr every_type default_mask<every_type> = every_type();

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_CANCELLATION_TYPES_HPP
