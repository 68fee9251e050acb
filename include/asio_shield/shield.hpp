//
// asio_shield/shield.hpp
//
// The one token adapter, `shield_t`, and `shield`: the operation ignores
// cancellation and runs to completion; the request is not lost but shows up
// afterwards. `shield_for`, `shield_until` and the budget form
// (shield_for.hpp) are the same adapter with a deadline.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SHIELD_HPP
#define ASIO_SHIELD_SHIELD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/grace_budget.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/shield_policy.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {

/// The clock of every grace period and deadline: `std::chrono::steady_clock`,
/// or `ASIO_SHIELD_GRACE_CLOCK` when the build defines it (docs/grace.md).
using grace_clock = detail::grace_clock;

namespace detail {

/// Builds adapters through their private constructors: the factories and the
/// partial adapters.
struct shield_access;

} // namespace detail

template <typename CompletionToken, typename Mask = detail::every_type,
          typename Deadline = detail::no_grace>
class shield_t;

template <typename Mask = detail::every_type, typename Deadline = detail::no_grace>
class partial_shield_t;

namespace detail {

/// What every adapter and partial adapter reports of its mask and deadline.
template <typename Mask, typename Deadline>
class shield_policy_base
{
public:
    /// The cancellation types the adapter keeps away from the operation
    /// (until the deadline, if there is one).
    constexpr net::cancellation_type_t blocked_types() const noexcept
    {
        return blocked_of(policy_);
    }

    /// How long after the first held request the operation may still run;
    /// `grace_clock::duration::max()` for `shield_until` and budgets.
    constexpr grace_clock::duration grace() const noexcept
        requires(std::is_same_v<Deadline, grace_spec>)
    {
        return policy_.deadline.grace;
    }

    /// The absolute deadline of `shield_until`; `grace_clock::time_point::max()`
    /// otherwise.
    constexpr grace_clock::time_point until() const noexcept
        requires(std::is_same_v<Deadline, grace_spec>)
    {
        return policy_.deadline.until;
    }

    /// The grace period of the explicit-timer form, on the timer's clock.
    constexpr auto grace() const noexcept
        requires(!std::is_same_v<Deadline, grace_spec> && has_grace_v<Deadline>)
    {
        return policy_.deadline.grace;
    }

protected:
    friend struct shield_access;
    using policy_type = shield_policy_t<Mask, Deadline>;

    constexpr explicit shield_policy_base(const policy_type& policy) noexcept : policy_(policy) {}

    [[no_unique_address]] policy_type policy_;
};

/// The one token check of every factory (R4).
template <typename CompletionToken>
constexpr void check_shield_token() noexcept
{
    using token_type = std::decay_t<CompletionToken>;
    static_assert(std::is_class_v<token_type> ||
                      (std::is_pointer_v<token_type> &&
                       std::is_function_v<std::remove_pointer_t<token_type>>),
                  "asio_shield::shield(token) / shield_for / shield_until: the argument is not a "
                  "completion token. Pass a completion token or handler such as "
                  "net::use_awaitable, net::deferred, net::detached or a callable.");
}

struct shield_access
{
    /// The wrapped token, const if the adapter is.
    template <typename Shield>
    static constexpr auto& token(Shield& s) noexcept
    {
        return s.token_;
    }

    template <typename Mask, typename Deadline>
    static constexpr const shield_policy_t<Mask, Deadline>&
    policy(const shield_policy_base<Mask, Deadline>& s) noexcept
    {
        return s.policy_;
    }

    template <typename Mask, typename Deadline, typename CompletionToken>
    static constexpr shield_t<std::decay_t<CompletionToken>, Mask, Deadline>
    make(CompletionToken&& token, const shield_policy_t<Mask, Deadline>& policy)
    {
        check_shield_token<CompletionToken>();
        return shield_t<std::decay_t<CompletionToken>, Mask, Deadline>(
            static_cast<CompletionToken&&>(token), policy, std::in_place);
    }

    template <typename Mask, typename Deadline>
    static constexpr partial_shield_t<Mask, Deadline>
    make_partial(const shield_policy_t<Mask, Deadline>& policy) noexcept
    {
        return partial_shield_t<Mask, Deadline>(policy);
    }
};

} // namespace detail

/// Completion-token adapter that keeps cancellation away from one operation,
/// for ever (`shield`) or until a deadline (`shield_for`, `shield_until`).
/**
 * An operation started with `shield_t<CompletionToken>` sees the slot
 * associated with the wrapped token only through a mask: the bits in
 * `blocked_types()` never reach the operation. With the default mask (all three
 * types blocked) the operation sees no connected slot at all, so it installs no
 * cancellation handler: no heap allocation, and about what binding an empty
 * slot by hand costs (docs/performance.md has the figures).
 *
 * With a deadline (`Deadline` other than the default; what `shield_for`,
 * `shield_until` and the budget form return, `shield_for_t<CompletionToken>`)
 * a blocked request is held back instead, and forwarded if the operation is
 * still pending at the deadline, which the first held request starts (T1).
 *
 * **Completion signature**: unchanged; whatever the wrapped token receives.
 *
 * **Per-operation cancellation**: requests of a blocked type are not forwarded
 * (before the deadline, if there is one). They are not lost either: in a
 * coroutine (or any consumer that owns a `cancellation_state`) the state
 * records them, so the next unshielded `co_await` throws `operation_aborted`
 * exactly as it would have without the shield. With a partial mask, the
 * unblocked part of a request is forwarded.
 *
 * **Mask**: `shield(token)` gives `shield_t<Token>`, whose mask (every type)
 * is part of its type; `shield(token, mask)` gives
 * `shield_t<Token, net::cancellation_type_t>`, which holds the mask as a value,
 * as the deadline forms do.
 *
 * **Thread safety**: as the wrapped token; `shield_t` holds no shared state.
 *
 * **Contract**: S1 (completes), S2 (transparent), S3 (starts even after
 * cancellation, for `use_awaitable` and `deferred` inside `asio::awaitable`,
 * every form), S4 (nothing lost), S5 (partial masks), S6 (free, without a
 * deadline); T1, T3 with a deadline; C4, C5.
 *
 * **Versions**: the immediate executor is forwarded from Asio 1.27 (Boost 1.82).
 * `deferred` as an awaited operation needs Asio 1.24.
 */
template <typename CompletionToken, typename Mask, typename Deadline>
class shield_t : public detail::shield_policy_base<Mask, Deadline>
{
    static_assert(std::is_same_v<Mask, detail::every_type> ||
                      std::is_same_v<Mask, net::cancellation_type_t>,
                  "asio_shield::shield_t<Token, Mask>: Mask is the default or "
                  "net::cancellation_type_t.");
    static_assert(!detail::has_grace_v<Deadline> || std::is_same_v<Mask, net::cancellation_type_t>,
                  "asio_shield::shield_t<Token, Mask, Deadline>: a deadline takes its mask as "
                  "net::cancellation_type_t.");

    static_assert(!std::is_void_v<CompletionToken>,
                  "asio_shield::shield(): this operation's executor names no default "
                  "completion token; pass one, as in shield(net::use_awaitable).");

    using base = detail::shield_policy_base<Mask, Deadline>;
    using typename base::policy_type;

public:
    /// Tag for the default constructor used by `as_default_on`.
    struct default_constructor_tag
    {};

    /// Default-constructs the wrapped token and blocks every cancellation
    /// type, for ever. Only without a deadline: a default deadline would mean
    /// none at all (docs/decisions.md).
    constexpr shield_t(
        default_constructor_tag = default_constructor_tag(),
        CompletionToken token = CompletionToken()) requires(!detail::has_grace_v<Deadline>)
        : base(detail::default_mask<Mask>), token_(static_cast<CompletionToken&&>(token))
    {}

    /// Wraps `token`; the operation never sees the bits in `blocked_types`
    /// (with the default `Mask`, every type: the argument cannot be given).
    template <typename T>
    constexpr explicit shield_t(
        T&& token,
        Mask blocked_types = detail::default_mask<Mask>) requires(!detail::has_grace_v<Deadline>)
        : base(blocked_types), token_(static_cast<T&&>(token))
    {}

    /// Wraps `token` with a grace period, as `shield_for(grace, token,
    /// blocked_types)` does without converting `grace` (the factory saturates
    /// any duration).
    template <typename T>
    constexpr shield_t(T&& token, grace_clock::duration grace,
                       net::cancellation_type_t
                           blocked_types) requires(std::is_same_v<Deadline, detail::grace_spec>)
        : base(policy_type{blocked_types, detail::grace_spec{grace}}),
          token_(static_cast<T&&>(token))
    {}

    /// Adapts an executor so that `shield_t` is its default completion token.
    /// Only without a deadline (as Asio's `cancel_after_t` has none).
    template <typename InnerExecutor>
    struct executor_with_default : InnerExecutor
    {
        static_assert(!detail::has_grace_v<Deadline>,
                      "asio_shield: shield_for_t has no as_default_on (a default token would "
                      "have no deadline); write shield_for(d) at each call, as with "
                      "cancel_after(d).");

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

private:
    friend struct detail::shield_access;

    template <typename T>
    constexpr shield_t(T&& token, const policy_type& policy, std::in_place_t)
        : base(policy), token_(static_cast<T&&>(token))
    {}

    CompletionToken token_;
};

/// Partial completion-token adapter: `shield()`, `shield_for(d)`,
/// `shield_until(t)`, `shield_for(budget)` with no token.
/**
 * As `as_tuple()` and `cancel_after(d)` do in Asio, an operation started with
 * it uses the default completion token of its I/O executor, shielded:
 * `co_await t.async_wait(shield());` is `shield(default token)` (C4, C5). The
 * default token is `deferred` from Asio 1.31 on, and whatever
 * `default_completion_token_type` the executor names on older releases.
 */
template <typename Mask, typename Deadline>
class partial_shield_t : public detail::shield_policy_base<Mask, Deadline>
{
    using base = detail::shield_policy_base<Mask, Deadline>;
    using typename base::policy_type;

public:
    /// `shield()`'s value: every type, no deadline.
    constexpr partial_shield_t() noexcept requires(!detail::has_grace_v<Deadline>)
        : base(detail::default_mask<Mask>)
    {}

    /// Adapts `token`, as the full form with the same deadline does.
    template <typename CompletionToken>
    [[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>, Mask, Deadline>
    operator()(CompletionToken&& token) const
    {
        return detail::shield_access::make<Mask, Deadline>(static_cast<CompletionToken&&>(token),
                                                           this->policy_);
    }

private:
    friend struct detail::shield_access;

    constexpr explicit partial_shield_t(const policy_type& policy) noexcept : base(policy) {}
};

/// What `shield()` returns.
using partial_shield = partial_shield_t<>;

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
template <typename CompletionToken>
[[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>> shield(CompletionToken&& token)
{
    return detail::shield_access::make<detail::every_type, detail::no_grace>(
        static_cast<CompletionToken&&>(token), detail::every_type());
}

template <typename CompletionToken>
[[nodiscard]] constexpr shield_t<std::decay_t<CompletionToken>, net::cancellation_type_t>
shield(CompletionToken&& token, net::cancellation_type_t blocked_types)
{
    return detail::shield_access::make<net::cancellation_type_t, detail::no_grace>(
        static_cast<CompletionToken&&>(token), blocked_types);
}

/// `shield()`: the partial form, for the I/O object's default completion token.
[[nodiscard]] constexpr partial_shield shield() noexcept
{
    return detail::shield_access::make_partial<detail::every_type, detail::no_grace>(
        detail::every_type());
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/shield.hpp>

#endif // ASIO_SHIELD_SHIELD_HPP
