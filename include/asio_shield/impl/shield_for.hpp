//
// asio_shield/impl/shield_for.hpp
//
// async_result specialisation for shield_for_t.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_SHIELD_FOR_HPP
#define ASIO_SHIELD_IMPL_SHIELD_FOR_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/grace_handler.hpp>
#include <asio_shield/shield.hpp>

#include <type_traits>
#include <utility>

template <typename CompletionToken, typename... Signatures>
class asio_shield::net::async_result<asio_shield::shield_for_t<CompletionToken>, Signatures...>
    : public asio_shield::detail::forwarded_return_type<
          async_result<CompletionToken, Signatures...>>
{
    template <typename Initiation>
    struct init_wrapper : asio_shield::detail::initiation_base<Initiation>
    {
        using asio_shield::detail::initiation_base<Initiation>::initiation_base;

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked,
                        asio_shield::detail::grace_duration grace, Args&&... args) &&
        {
            auto ex =
                asio_shield::detail::grace_executor(static_cast<const Initiation&>(*this), handler);
            static_cast<Initiation&&> (*this)(
                asio_shield::detail::make_grace_handler(static_cast<Handler&&>(handler), blocked,
                                                        grace, ex),
                static_cast<Args&&>(args)...);
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked,
                        asio_shield::detail::grace_duration grace, Args&&... args) const&
        {
            auto ex =
                asio_shield::detail::grace_executor(static_cast<const Initiation&>(*this), handler);
            static_cast<const Initiation&> (*this)(
                asio_shield::detail::make_grace_handler(static_cast<Handler&&>(handler), blocked,
                                                        grace, ex),
                static_cast<Args&&>(args)...);
        }
    };

public:
    // async_initiate, not async_result::initiate, so that tokens whose
    // async_result predates initiate() (use_future in Asio 1.26) work too. The
    // return type is spelled out so that completion_token_for checks (which use
    // an initiation without an executor) do not instantiate the body.
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
        -> decltype(async_initiate<
                    asio_shield::detail::forwarded_token_t<RawToken, CompletionToken>,
                    Signatures...>(std::declval<init_wrapper<std::decay_t<Initiation>>>(),
                                   token.token_, token.blocked_types_, token.grace_,
                                   static_cast<Args&&>(args)...))
    {
        return async_initiate<asio_shield::detail::forwarded_token_t<RawToken, CompletionToken>,
                              Signatures...>(
            init_wrapper<std::decay_t<Initiation>>(static_cast<Initiation&&>(initiation)),
            token.token_, token.blocked_types_, token.grace_, static_cast<Args&&>(args)...);
    }
};

#endif // ASIO_SHIELD_IMPL_SHIELD_FOR_HPP
