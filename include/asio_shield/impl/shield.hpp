//
// asio_shield/impl/shield.hpp
//
// async_result specialisation for shield_t: wraps the initiation so that the
// handler the operation receives is a detail::shield_handler.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_SHIELD_HPP
#define ASIO_SHIELD_IMPL_SHIELD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/awaitable_internals.hpp>
#include <asio_shield/detail/shield_handler.hpp>

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
    {
    }
};

/// Forwards `token.token_` with the value category and constness of `RawToken`.
template <typename RawToken, typename Token>
constexpr decltype(auto) forward_token(Token& token) noexcept
{
    using raw = std::remove_reference_t<RawToken>;
    if constexpr (std::is_const_v<raw>)
        return static_cast<const Token&>(token);
    else if constexpr (std::is_lvalue_reference_v<RawToken>)
        return static_cast<Token&>(token);
    else
        return static_cast<Token&&>(token);
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

template <typename CompletionToken, typename... Signatures>
class asio_shield::net::async_result<::asio_shield::shield_t<CompletionToken>, Signatures...>
{
    template <typename Initiation>
    struct init_wrapper : asio_shield::detail::initiation_base<Initiation>
    {
        using asio_shield::detail::initiation_base<Initiation>::initiation_base;

        // blocked rides as an initiation argument, as redirect_error passes &ec.
        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked, Args&&... args) &&
        {
            static_cast<Initiation&&>(*this)(
                asio_shield::detail::shield_handler<std::decay_t<Handler>>(
                    static_cast<Handler&&>(handler), blocked),
                static_cast<Args&&>(args)...);
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked, Args&&... args) const&
        {
            static_cast<const Initiation&>(*this)(
                asio_shield::detail::shield_handler<std::decay_t<Handler>>(
                    static_cast<Handler&&>(handler), blocked),
                static_cast<Args&&>(args)...);
        }
    };

    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate_inner(Initiation&& initiation, RawToken&& token, Args&&... args)
    {
        return async_result<CompletionToken, Signatures...>::initiate(
            init_wrapper<std::decay_t<Initiation>>(static_cast<Initiation&&>(initiation)),
            asio_shield::detail::forward_token<RawToken>(token.token_), token.blocked_types_,
            static_cast<Args&&>(args)...);
    }

    template <typename Initiation, typename RawToken, typename... Args>
    using inner_result_t = decltype(initiate_inner(std::declval<Initiation>(),
                                                   std::declval<RawToken>(),
                                                   std::declval<Args>()...));

public:
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
    {
        // S3: awaitables and deferred operations come back wrapped so that a
        // co_await in an already-cancelled coroutine can still start them.
        using hook = asio_shield::detail::shield_result<
            std::decay_t<inner_result_t<Initiation&&, RawToken&&, Args&&...>>>;
        const cancellation_type_t blocked = token.blocked_types_;
        if constexpr (std::is_void_v<inner_result_t<Initiation&&, RawToken&&, Args&&...>>)
            initiate_inner(static_cast<Initiation&&>(initiation), static_cast<RawToken&&>(token),
                           static_cast<Args&&>(args)...);
        else
            return hook::wrap(initiate_inner(static_cast<Initiation&&>(initiation),
                                             static_cast<RawToken&&>(token),
                                             static_cast<Args&&>(args)...),
                              blocked);
    }
};

#endif // ASIO_SHIELD_IMPL_SHIELD_HPP
