//
// asio_shield/shield.hpp
//
// The `shield` completion-token adapter: the operation ignores cancellation and
// runs to completion; the request is not lost but shows up afterwards.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SHIELD_HPP
#define ASIO_SHIELD_SHIELD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {

/// Completion-token adapter that keeps cancellation away from one operation.
/**
 * An operation started with `shield_t<CompletionToken>` sees the slot
 * associated with the wrapped token only through a mask: the bits in
 * `blocked_types()` never reach the operation. With the default mask (all three
 * types blocked) the operation sees no connected slot at all, so it installs no
 * cancellation handler: no heap allocation, and about what binding an empty
 * slot by hand costs (docs/performance.md has the figures).
 *
 * **Completion signature**: unchanged; whatever the wrapped token receives.
 *
 * **Per-operation cancellation**: requests of a blocked type are not forwarded.
 * They are not lost either: in a coroutine (or any consumer that owns a
 * `cancellation_state`) the state records them, so the next unshielded
 * `co_await` throws `operation_aborted` exactly as it would have without the
 * shield. With a partial mask, the unblocked part of a request is forwarded.
 *
 * **Mask**: `shield(token)` gives `shield_t<Token>`, whose mask (every type)
 * is part of its type; `shield(token, mask)` gives
 * `shield_t<Token, net::cancellation_type_t>`, which holds the mask as a value.
 *
 * **Thread safety**: as the wrapped token; `shield_t` holds no shared state.
 *
 * **Contract**: S1 (completes), S2 (transparent), S3 (starts even after
 * cancellation, for `use_awaitable` and `deferred` inside `asio::awaitable`),
 * S4 (nothing lost), S5 (partial masks), S6 (free).
 *
 * **Versions**: the immediate executor is forwarded from Asio 1.27 (Boost 1.82).
 * `deferred` as an awaited operation needs Asio 1.24.
 */
template <typename CompletionToken, typename Mask = detail::every_type>
class shield_t
{
    static_assert(std::is_same_v<Mask, detail::every_type> ||
                      std::is_same_v<Mask, net::cancellation_type_t>,
                  "asio_shield::shield_t<Token, Mask>: Mask is the default or "
                  "net::cancellation_type_t.");

    static_assert(!std::is_void_v<CompletionToken>,
                  "asio_shield::shield(): this operation's executor names no default "
                  "completion token; pass one, as in shield(net::use_awaitable).");

public:
    /// Tag for the default constructor used by `as_default_on`.
    struct default_constructor_tag
    {};

    /// Default-constructs the wrapped token and blocks every cancellation type.
    constexpr shield_t(default_constructor_tag = default_constructor_tag(),
                       CompletionToken token = CompletionToken())
        : token_(static_cast<CompletionToken&&>(token)),
          blocked_types_(detail::default_mask<Mask>)
    {}

    /// Wraps `token`; the operation never sees the bits in `blocked_types`
    /// (with the default `Mask`, every type: the argument cannot be given).
    template <typename T>
    constexpr explicit shield_t(T&& token, Mask blocked_types = detail::default_mask<Mask>)
        : token_(static_cast<T&&>(token)), blocked_types_(blocked_types)
    {}

    /// The cancellation types this adapter keeps away from the operation.
    constexpr net::cancellation_type_t blocked_types() const noexcept { return blocked_types_; }

    /// Adapts an executor so that `shield_t` is its default completion token.
    template <typename InnerExecutor>
    struct executor_with_default : InnerExecutor
    {
        /// Specify `shield_t` as the default completion token type.
        typedef shield_t default_completion_token_type;

        /// Construct the adapted executor from the inner executor type.
        template <typename InnerExecutor1>
        requires(!std::is_same_v<InnerExecutor1, executor_with_default> &&
                 std::is_convertible_v<InnerExecutor1, InnerExecutor>)
            executor_with_default(const InnerExecutor1& ex)
        noexcept : InnerExecutor(ex) {}
    };

    /// Type alias to adapt an I/O object to use `shield_t` as its default token.
    template <typename T>
    using as_default_on_t = typename T::template rebind_executor<
        executor_with_default<typename T::executor_type>>::other;

    /// Adapts an I/O object to use `shield_t` as its default completion token.
    template <typename T>
    static as_default_on_t<std::decay_t<T>> as_default_on(T&& object)
    {
        return as_default_on_t<std::decay_t<T>>(static_cast<T&&>(object));
    }

    // Public only so that the async_result specialisation can reach them; not API.
    CompletionToken token_;
    [[no_unique_address]] Mask blocked_types_;
};

/// Shields the operation started with the returned token from cancellation.
/**
 * `co_await sock.async_write_some(buf, shield(use_awaitable));` runs the write
 * to completion whatever the coroutine's cancellation slot emits meanwhile; the
 * request shows up at the next unshielded `co_await` (S1, S4).
 *
 * `blocked_types` (default: terminal | partial | total) selects which types are
 * held back; the rest of a request still reaches the operation (S5). Without
 * it the mask is part of the returned type, and the operation's handler
 * carries no slot at all (S6).
 *
 * Note that `bind_cancellation_slot(slot, shield(token))` binds a new slot
 * *outside* the shield: the outermost binding wins, and the operation is then
 * cancellable through `slot`. Bind slots inside: `shield(bind_cancellation_slot(slot, token))`.
 */
namespace detail {

template <typename CompletionToken>
constexpr void check_shield_token() noexcept
{
    using token_type = std::decay_t<CompletionToken>;
    static_assert(std::is_class_v<token_type> ||
                      (std::is_pointer_v<token_type> &&
                       std::is_function_v<std::remove_pointer_t<token_type>>),
                  "asio_shield::shield(token): the argument is not a completion token. Pass a "
                  "completion token or handler such as net::use_awaitable, net::deferred, "
                  "net::detached or a callable.");
}

} // namespace detail

template <typename CompletionToken>
[[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>> shield(CompletionToken&& token)
{
    detail::check_shield_token<CompletionToken>();
    return shield_t<std::decay_t<CompletionToken>>(static_cast<CompletionToken&&>(token));
}

template <typename CompletionToken>
[[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>, net::cancellation_type_t>
shield(CompletionToken&& token, net::cancellation_type_t blocked_types)
{
    detail::check_shield_token<CompletionToken>();
    return shield_t<std::decay_t<CompletionToken>, net::cancellation_type_t>(
        static_cast<CompletionToken&&>(token), blocked_types);
}

/// Partial completion-token adapter: `shield()` with no token.
/**
 * As `as_tuple()` does in Asio, an operation started with it uses the default
 * completion token of its I/O executor, shielded:
 * `co_await t.async_wait(shield());` is `shield(default token)` (C4). The
 * default token is `deferred` from Asio 1.31 on, and whatever
 * `default_completion_token_type` the executor names on older releases.
 */
class partial_shield
{
public:
    constexpr partial_shield() noexcept = default;

    /// Adapts `token`, as `shield(token)` does.
    template <typename CompletionToken>
    [[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>>
    operator()(CompletionToken&& token) const
    {
        return shield_t<std::decay_t<CompletionToken>>(static_cast<CompletionToken&&>(token));
    }

    /// Every type, as for `shield(token)`.
    constexpr net::cancellation_type_t blocked_types() const noexcept { return detail::all_types; }
};

/// `shield()`: the partial form, for the I/O object's default completion token.
[[nodiscard]] constexpr partial_shield shield() noexcept
{
    return partial_shield();
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/shield.hpp>

#endif // ASIO_SHIELD_SHIELD_HPP
