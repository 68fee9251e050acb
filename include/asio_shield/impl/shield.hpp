//
// asio_shield/impl/shield.hpp
//
// The one async_result specialisation, for shield_t with any mask and any
// deadline policy, and the one for the partial adapters: they wrap the
// initiation so that the handler the operation receives is a
// detail::shield_handler, with a relay for masks and deadlines. Public Asio
// API only; the coroutine backends hook in through detail::shield_result
// (S3).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_SHIELD_HPP
#define ASIO_SHIELD_IMPL_SHIELD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/grace_handler.hpp>
#include <asio_shield/detail/shield_handler.hpp>
#include <asio_shield/detail/shield_result.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/async_result.hpp>
#else
#include <boost/asio/async_result.hpp>
#endif

#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// Keeps the initiation's executor_type/get_executor() visible to Asio.
template <typename Initiation>
class initiation_base : public Initiation
{
public:
    template <typename I>
    explicit initiation_base(I&& initiation) : Initiation(static_cast<I&&>(initiation))
    {}
};

/// The token argument for async_initiate that forwards the wrapped token with
/// the constness and value category of the adapter: `const T`, `T&` or `T`
/// (moved from).
template <typename RawToken, typename Token>
using forwarded_token_t =
    std::conditional_t<std::is_const_v<std::remove_reference_t<RawToken>>, const Token,
                       std::conditional_t<std::is_lvalue_reference_v<RawToken>, Token&, Token>>;

/// S3's view of an adapter's initiation argument: the mask, and for the
/// deadline forms, that a request recorded before the start starts the
/// deadline (bounded_mask).
constexpr every_type s3_mask_of(every_type) noexcept
{
    return {};
}

constexpr net::cancellation_type_t s3_mask_of(net::cancellation_type_t blocked) noexcept
{
    return blocked;
}

template <typename Deadline>
constexpr bounded_mask s3_mask_of(const bounded_policy<Deadline>& policy) noexcept
{
    return {policy.blocked};
}

template <typename Policy>
using s3_mask_t = decltype(s3_mask_of(std::declval<const Policy&>()));

/// Starts the operation with shield's wrapper for a mask (S5, S6).
template <typename Initiation, typename Self, typename Handler, typename Mask, typename... Args>
requires(std::is_same_v<Mask, every_type> ||
         std::is_same_v<Mask, net::cancellation_type_t>) void launch_shielded(Self&& self,
                                                                              Handler&& handler,
                                                                              Mask blocked,
                                                                              Args&&... args)
{
    static_cast<Self&&>(self)(make_shield_handler(static_cast<Handler&&>(handler), blocked),
                              static_cast<Args&&>(args)...);
}

/// S2: adapters that name the wrapped token's `return_type` (redirect_error,
/// bind_allocator, bind_cancellation_slot in Asio 1.26) need one from us too;
/// tokens without it (e.g. deferred) give none.
template <typename InnerResult, typename Mask, typename = void>
struct shield_return_type
{};

template <typename InnerResult, typename Mask>
struct shield_return_type<InnerResult, Mask, std::void_t<typename InnerResult::return_type>>
{
    using return_type = typename shield_result<typename InnerResult::return_type, Mask>::type;
};

/// Bad input gets one message (R4): a handler that cannot take the
/// operation's completion signature is named as such, instead of the pages of
/// substitution failures Asio's concept checks would print.
template <typename CompletionToken, typename... Signatures>
inline constexpr bool token_fits_v = (net::completion_token_for<CompletionToken, Signatures> &&
                                      ...);

/// Stands for the default completion token of an executor that names none
/// (before Asio 1.31): a partial adapter's declaration stays well-formed for
/// Asio's concept checks, and a real call says what is missing.
struct no_default_token
{};

/// The default completion token of the executor an initiation names, for the
/// partial adapters (`shield()`, `shield_for(d)`, ...).
template <typename Initiation>
using default_token_of_t = std::conditional_t<
    std::is_void_v<
        net::default_completion_token_t<net::associated_executor_t<std::decay_t<Initiation>>>>,
    no_default_token,
    net::default_completion_token_t<net::associated_executor_t<std::decay_t<Initiation>>>>;

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

template <typename CompletionToken, typename Mask, typename Deadline, typename... Signatures>
class asio_shield::net::async_result<::asio_shield::shield_t<CompletionToken, Mask, Deadline>,
                                     Signatures...>
    : public asio_shield::detail::shield_return_type<
          async_result<CompletionToken, Signatures...>,
          asio_shield::detail::s3_mask_t<asio_shield::detail::shield_policy_t<Mask, Deadline>>>
{
    static_assert(asio_shield::detail::token_fits_v<CompletionToken, Signatures...>,
                  "asio_shield::shield(token) / shield_for(duration, token): the wrapped token "
                  "is not a completion handler for this operation's completion signature.");

    using policy_type = asio_shield::detail::shield_policy_t<Mask, Deadline>;
    using s3_mask_type = asio_shield::detail::s3_mask_t<policy_type>;

    template <typename Initiation>
    struct init_wrapper : asio_shield::detail::initiation_base<Initiation>
    {
        using asio_shield::detail::initiation_base<Initiation>::initiation_base;

        // The mask (and deadline) ride as one initiation argument, as
        // redirect_error passes &ec; with the default mask an empty object.
        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, policy_type policy, Args&&... args) &&
        {
            asio_shield::detail::launch_shielded<Initiation>(static_cast<Initiation&&>(*this),
                                                             static_cast<Handler&&>(handler),
                                                             policy, static_cast<Args&&>(args)...);
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, policy_type policy, Args&&... args) const&
        {
            asio_shield::detail::launch_shielded<Initiation>(static_cast<const Initiation&>(*this),
                                                             static_cast<Handler&&>(handler),
                                                             policy, static_cast<Args&&>(args)...);
        }
    };

    // async_initiate, not async_result::initiate: tokens whose async_result
    // predates initiate() (use_future in Asio 1.26) must work too (S2).
    template <typename RawToken>
    using inner_token_t = asio_shield::detail::forwarded_token_t<RawToken, CompletionToken>;

    template <typename Initiation, typename RawToken, typename... Args>
    using inner_result_t = decltype(async_initiate<inner_token_t<RawToken>, Signatures...>(
        std::declval<init_wrapper<std::decay_t<Initiation>>>(),
        std::declval<inner_token_t<RawToken>&>(), std::declval<policy_type>(),
        std::declval<Args>()...));

    template <typename Initiation, typename RawToken, typename... Args>
    using hook_t = asio_shield::detail::shield_result<
        std::decay_t<inner_result_t<Initiation, RawToken, Args...>>, s3_mask_type>;

public:
    // The return type is spelled out, as Asio's own adapters do: the C++20
    // completion_token_for check instantiates this declaration with an
    // archetype initiation that has no executor, and must not see the body
    // (cancel_after(d, shield(t)), C4).
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
        -> std::conditional_t<std::is_void_v<inner_result_t<Initiation, RawToken, Args...>>, void,
                              typename hook_t<Initiation, RawToken, Args...>::type>
    {
        using access = asio_shield::detail::shield_access;
        // S3: awaitables and deferred operations come back wrapped (by the
        // coroutine backend) so that a co_await in an already-cancelled
        // coroutine can still start them.
        if constexpr (std::is_void_v<inner_result_t<Initiation, RawToken, Args...>>)
            async_initiate<inner_token_t<RawToken>, Signatures...>(
                init_wrapper<std::decay_t<Initiation>>(static_cast<Initiation&&>(initiation)),
                access::token(token), policy_type(access::policy(token)),
                static_cast<Args&&>(args)...);
        else
            // The hook calls `start` where the result is to live, so that the
            // wrapper is built around it without moving it (S6). A prvalue,
            // so that the deferred operation's type is the one spelled above.
            return hook_t<Initiation, RawToken, Args...>::wrap(
                [&]() -> inner_result_t<Initiation, RawToken, Args...> {
                    return async_initiate<inner_token_t<RawToken>, Signatures...>(
                        init_wrapper<std::decay_t<Initiation>>(
                            static_cast<Initiation&&>(initiation)),
                        access::token(token), policy_type(access::policy(token)),
                        static_cast<Args&&>(args)...);
                },
                asio_shield::detail::s3_mask_of(access::policy(token)));
    }
};

template <typename... Signatures>
class asio_shield::net::async_result<::asio_shield::detail::no_default_token, Signatures...>
{
public:
    template <typename Initiation, typename RawToken, typename... Args>
    static void initiate(Initiation&&, RawToken&&, Args&&...)
    {
        static_assert(::asio_shield::detail::always_false_v<Initiation>,
                      "asio_shield::shield() / shield_for(duration): this operation's executor "
                      "names no default completion token (Asio before 1.31 has none for plain "
                      "executors); pass one, as in shield(net::use_awaitable).");
    }
};

/// `shield()`, `shield_for(d)`, `shield_until(t)`, `shield_for(budget)`: the
/// operation's default completion token, shielded (C4, C5).
template <typename Mask, typename Deadline, typename... Signatures>
class asio_shield::net::async_result<::asio_shield::partial_shield_t<Mask, Deadline>, Signatures...>
{
    template <typename Initiation>
    using shielded_t =
        ::asio_shield::shield_t<::asio_shield::detail::default_token_of_t<Initiation>, Mask,
                                Deadline>;

public:
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
        -> decltype(async_initiate<shielded_t<Initiation>, Signatures...>(
            static_cast<Initiation&&>(initiation), std::declval<shielded_t<Initiation>&>(),
            static_cast<Args&&>(args)...))
    {
        shielded_t<Initiation> shielded =
            token(::asio_shield::detail::default_token_of_t<Initiation>());
        return async_initiate<shielded_t<Initiation>, Signatures...>(
            static_cast<Initiation&&>(initiation), shielded, static_cast<Args&&>(args)...);
    }
};

// S3: each coroutine backend registers its result types (none with co_await
// disabled).
#include <asio_shield/detail/backends.hpp>

#endif // ASIO_SHIELD_IMPL_SHIELD_HPP
