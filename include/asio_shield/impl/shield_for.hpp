//
// asio_shield/impl/shield_for.hpp
//
// async_result specialisations for shield_for_t and partial_shield_for: the
// handler the operation receives is shield's wrapper with a relay that holds
// requests until a deadline (detail/relay.hpp, detail/deadline.hpp).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_SHIELD_FOR_HPP
#define ASIO_SHIELD_IMPL_SHIELD_FOR_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/detail/relay.hpp>
#include <asio_shield/detail/shield_handler.hpp>
#include <asio_shield/shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/execution/context.hpp>
#include <asio/query.hpp>
#include <asio/system_executor.hpp>
#else
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/system_executor.hpp>
#endif

#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

template <typename Initiation>
concept initiation_with_executor = requires(const Initiation& i)
{
    typename Initiation::executor_type;
    i.get_executor();
};

/// An executor that can run the grace timer: one that names an execution
/// context, and not the system executor (T3: never an extra thread). Asio's
/// default candidates (system_executor; inline_executor from Asio 1.37) fail.
template <typename Executor>
inline constexpr bool timer_executor_v =
    net::can_query<Executor, net::execution::context_t>::value &&
    !std::is_same_v<Executor, net::system_executor>;

/// T3: the executor the grace timer runs on:
/// get_associated_executor(handler, initiation executor). A handler's
/// executor that cannot run I/O objects (use_future's promise executor)
/// leaves the timer on the operation's own executor.
template <typename Initiation, typename Handler>
struct grace_executor
{
    static constexpr bool from_handler = timer_executor_v<net::associated_executor_t<Handler>>;

    static auto get(const Initiation&, const Handler& handler)
    {
        return net::get_associated_executor(handler);
    }
};

template <initiation_with_executor Initiation, typename Handler>
struct grace_executor<Initiation, Handler>
{
    using associated = net::associated_executor_t<Handler, typename Initiation::executor_type>;
    static constexpr bool from_handler = timer_executor_v<associated>;

    static auto get(const Initiation& initiation, const Handler& handler)
    {
        if constexpr (from_handler)
            return net::get_associated_executor(handler, initiation.get_executor());
        else
            return initiation.get_executor();
    }
};

template <typename Initiation>
constexpr bool initiation_timer_executor() noexcept
{
    if constexpr (initiation_with_executor<Initiation>)
        return timer_executor_v<typename Initiation::executor_type>;
    else
        return false;
}

template <typename Initiation, typename Handler>
inline constexpr bool has_grace_executor_v = grace_executor<Initiation, Handler>::from_handler ||
                                             initiation_timer_executor<Initiation>();

/// shield_for's wrapper: a holding relay with a deadline in the wrapped
/// handler's slot (T1).
template <typename Executor, typename Handler>
shield_handler<std::decay_t<Handler>> make_grace_handler(Handler&& handler,
                                                         net::cancellation_type_t blocked,
                                                         const grace_spec& grace, const Executor& ex)
{
    using allocator_type = net::associated_allocator_t<std::decay_t<Handler>>;
    using relay_type = relay<deadline<Executor, allocator_type>>;
    return shield_handler<std::decay_t<Handler>>(
        static_cast<Handler&&>(handler),
        [&](net::cancellation_slot outer, const std::decay_t<Handler>& h) {
            return outer
                .template emplace<relay_type>(blocked, std::in_place, grace, ex,
                                              net::get_associated_allocator(h))
                .slot();
        });
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

template <typename CompletionToken, typename... Signatures>
class asio_shield::net::async_result<asio_shield::shield_for_t<CompletionToken>, Signatures...>
    : public asio_shield::detail::forwarded_return_type<
          async_result<CompletionToken, Signatures...>>
{
    static_assert(asio_shield::detail::token_fits_v<CompletionToken, Signatures...>,
                  "asio_shield::shield(token) / shield_for(duration, token): the wrapped token "
                  "is not a completion handler for this operation's completion signature.");

    template <typename Initiation>
    struct init_wrapper : asio_shield::detail::initiation_base<Initiation>
    {
        using asio_shield::detail::initiation_base<Initiation>::initiation_base;

        template <typename Self, typename Handler, typename... Args>
        static void launch(Self&& self, Handler&& handler, cancellation_type_t blocked,
                           const asio_shield::detail::grace_spec& grace, Args&&... args)
        {
            using handler_type = std::decay_t<Handler>;
            if constexpr (asio_shield::detail::has_grace_executor_v<Initiation, handler_type>)
            {
                auto ex = asio_shield::detail::grace_executor<Initiation, handler_type>::get(
                    self, handler);
                static_cast<Self&&>(self)(asio_shield::detail::make_grace_handler(
                                              static_cast<Handler&&>(handler), blocked, grace, ex),
                                          static_cast<Args&&>(args)...);
            }
            else
            {
                // T3, R4: one message, and nothing below it is instantiated.
                static_assert(asio_shield::detail::always_false_v<handler_type>,
                              "asio_shield::shield_for: neither the completion handler nor the "
                              "operation names an executor for the grace timer (one that can "
                              "run I/O objects); bind one with "
                              "net::bind_executor(executor, token).");
            }
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked,
                        const asio_shield::detail::grace_spec& grace, Args&&... args) &&
        {
            launch(static_cast<Initiation&&>(*this), static_cast<Handler&&>(handler), blocked,
                   grace, static_cast<Args&&>(args)...);
        }

        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, cancellation_type_t blocked,
                        const asio_shield::detail::grace_spec& grace, Args&&... args) const&
        {
            launch(static_cast<const Initiation&>(*this), static_cast<Handler&&>(handler), blocked,
                   grace, static_cast<Args&&>(args)...);
        }
    };

    template <typename RawToken>
    using inner_token_t = asio_shield::detail::forwarded_token_t<RawToken, CompletionToken>;

public:
    // async_initiate, not async_result::initiate, so that tokens whose
    // async_result predates initiate() (use_future in Asio 1.26) work too. The
    // return type is spelled out so that completion_token_for checks (which use
    // an initiation without an executor) do not instantiate the body (C4).
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
        -> decltype(async_initiate<inner_token_t<RawToken>, Signatures...>(
            std::declval<init_wrapper<std::decay_t<Initiation>>>(),
            std::declval<inner_token_t<RawToken>&>(), token.blocked_types_, token.spec_,
            static_cast<Args&&>(args)...))
    {
        return async_initiate<inner_token_t<RawToken>, Signatures...>(
            init_wrapper<std::decay_t<Initiation>>(static_cast<Initiation&&>(initiation)),
            token.token_, token.blocked_types_, token.spec_, static_cast<Args&&>(args)...);
    }
};

/// `shield_for(d)`: the operation's default completion token with a grace
/// period (C4).
template <typename... Signatures>
class asio_shield::net::async_result<::asio_shield::partial_shield_for, Signatures...>
{
    template <typename Initiation>
    using token_t = ::asio_shield::detail::default_token_of_t<Initiation>;

public:
    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
        -> decltype(async_initiate<::asio_shield::shield_for_t<token_t<Initiation>>, Signatures...>(
            static_cast<Initiation&&>(initiation),
            std::declval<::asio_shield::shield_for_t<token_t<Initiation>>&>(),
            static_cast<Args&&>(args)...))
    {
        ::asio_shield::shield_for_t<token_t<Initiation>> shielded(
            token_t<Initiation>(), token.spec_, token.blocked_types_);
        return async_initiate<::asio_shield::shield_for_t<token_t<Initiation>>, Signatures...>(
            static_cast<Initiation&&>(initiation), shielded, static_cast<Args&&>(args)...);
    }
};

#endif // ASIO_SHIELD_IMPL_SHIELD_FOR_HPP
