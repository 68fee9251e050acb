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
    {}
};

/// The token argument for async_initiate that forwards `token.token_` with the
/// constness and value category of the adapter: `const T`, `T&` or `T` (moved
/// from).
template <typename RawToken, typename Token>
using forwarded_token_t =
    std::conditional_t<std::is_const_v<std::remove_reference_t<RawToken>>, const Token,
                       std::conditional_t<std::is_lvalue_reference_v<RawToken>, Token&, Token>>;

/// S2: adapters that name the wrapped token's `return_type` (redirect_error,
/// bind_allocator, bind_cancellation_slot in Asio 1.26) need one from us too;
/// tokens without it (e.g. deferred) give none.
template <typename InnerResult, typename = void>
struct shield_return_type
{};

template <typename InnerResult>
struct shield_return_type<InnerResult, std::void_t<typename InnerResult::return_type>>
{
    using return_type = typename shield_result<typename InnerResult::return_type>::type;
};

/// The same for adapters that return the wrapped token's result unchanged.
template <typename InnerResult, typename = void>
struct forwarded_return_type
{};

template <typename InnerResult>
struct forwarded_return_type<InnerResult, std::void_t<typename InnerResult::return_type>>
{
    using return_type = typename InnerResult::return_type;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

template <typename CompletionToken, typename... Signatures>
class asio_shield::net::async_result<::asio_shield::shield_t<CompletionToken>, Signatures...>
    : public asio_shield::detail::shield_return_type<async_result<CompletionToken, Signatures...>>
{
    template <typename Initiation>
    struct init_wrapper : asio_shield::detail::initiation_base<Initiation>
    {
        using asio_shield::detail::initiation_base<Initiation>::initiation_base;

        // blocked rides as an initiation argument, as redirect_error passes &ec.
        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked, Args&&... args) &&
        {
            static_cast<Initiation&&> (*this)(
                asio_shield::detail::make_shield_handler(static_cast<Handler&&>(handler), blocked),
                static_cast<Args&&>(args)...);
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked, Args&&... args) const&
        {
            static_cast<const Initiation&> (*this)(
                asio_shield::detail::make_shield_handler(static_cast<Handler&&>(handler), blocked),
                static_cast<Args&&>(args)...);
        }
    };

    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate_inner(Initiation&& initiation, RawToken&& token, Args&&... args)
    {
        // async_initiate, not async_result::initiate: tokens whose async_result
        // predates initiate() (use_future in Asio 1.26) must work too (S2).
        return async_initiate<asio_shield::detail::forwarded_token_t<RawToken, CompletionToken>,
                              Signatures...>(
            init_wrapper<std::decay_t<Initiation>>(static_cast<Initiation&&>(initiation)),
            token.token_, token.blocked_types_, static_cast<Args&&>(args)...);
    }

    template <typename Initiation, typename RawToken, typename... Args>
    using inner_result_t = decltype(initiate_inner(
        std::declval<Initiation>(), std::declval<RawToken>(), std::declval<Args>()...));

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
