//
// asio_shield/detail/grace_handler.hpp
//
// The handler of a shield with a deadline (shield_for, shield_until, the
// budget and explicit-timer forms): shield's wrapper with a relay that holds
// requests until the deadline (detail/relay.hpp, detail/deadline.hpp), and
// the choice of the executor its timer runs on (T3). Public Asio API only.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP
#define ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/detail/relay.hpp>
#include <asio_shield/detail/shield_handler.hpp>
#include <asio_shield/detail/shield_policy.hpp>
#include <asio_shield/detail/shield_result.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/execution/context.hpp>
#include <asio/query.hpp>
#include <asio/system_context.hpp>
#include <asio/system_executor.hpp>
#else
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/system_context.hpp>
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
constexpr bool runs_on_an_io_context() noexcept
{
    if constexpr (net::can_query<Executor, net::execution::context_t>::value)
    {
        // use_future's promise executor names the system context, whose own
        // threads would run the timer: an extra thread (T3), and a timer
        // touched from two threads at once.
        using context = std::decay_t<decltype(net::query(std::declval<const Executor&>(),
                                                         net::execution::context))>;
        return !std::is_same_v<context, net::system_context>;
    }
    else
        return false;
}

template <typename Executor>
inline constexpr bool timer_executor_v =
    !std::is_same_v<Executor, net::system_executor> && runs_on_an_io_context<Executor>();

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

/// The wrapper: a holding relay with `Deadline` (built from `args`) in the
/// wrapped handler's slot (T1). A request the coroutine recorded before the
/// start (S3, detail/shield_result.hpp) starts the deadline at once.
template <typename Deadline, typename Handler, typename... DeadlineArgs>
shield_handler<std::decay_t<Handler>>
make_grace_handler(Handler&& handler, net::cancellation_type_t blocked, DeadlineArgs&&... args)
{
    using relay_type = relay<Deadline>;
    const net::cancellation_type_t recorded = recorded_start::take();
    return shield_handler<std::decay_t<Handler>>(
        static_cast<Handler&&>(handler), [&](net::cancellation_slot outer, const auto& h) {
            relay_type& r = outer.template emplace<relay_type>(blocked, std::in_place,
                                                               static_cast<DeadlineArgs&&>(args)...,
                                                               net::get_associated_allocator(h));
            r.hold_recorded(recorded);
            return r.slot();
        });
}

/// Starts the operation with the wrapper for a grace_spec deadline, its timer
/// on the executor T3 names.
template <typename Initiation, typename Self, typename Handler, typename... Args>
void launch_shielded(Self&& self, Handler&& handler, const bounded_policy<grace_spec>& policy,
                     Args&&... args)
{
    using handler_type = std::decay_t<Handler>;
    if constexpr (has_grace_executor_v<Initiation, handler_type>)
    {
        auto ex = grace_executor<Initiation, handler_type>::get(self, handler);
        using deadline_type = deadline<decltype(ex), net::associated_allocator_t<handler_type>>;
        static_cast<Self&&>(self)(make_grace_handler<deadline_type>(static_cast<Handler&&>(handler),
                                                                    policy.blocked, policy.deadline,
                                                                    ex),
                                  static_cast<Args&&>(args)...);
    }
    else
    {
        // T3, R4: one message, and nothing below it is instantiated.
        static_assert(always_false_v<handler_type>,
                      "asio_shield::shield_for: neither the completion handler nor the "
                      "operation names an executor for the grace timer (one that can "
                      "run I/O objects); bind one with net::bind_executor(executor, token).");
    }
}

/// The explicit-timer form: the user's timer, on its own executor (C5).
template <typename Initiation, typename Self, typename Handler, typename Timer, typename... Args>
void launch_shielded(Self&& self, Handler&& handler,
                     const bounded_policy<timer_grace<Timer>>& policy, Args&&... args)
{
    using deadline_type =
        deadline<typename Timer::executor_type, net::associated_allocator_t<std::decay_t<Handler>>,
                 user_timer<Timer>>;
    static_cast<Self&&>(self)(make_grace_handler<deadline_type>(
                                  static_cast<Handler&&>(handler), policy.blocked,
                                  user_timer<Timer>{policy.deadline.timer, policy.deadline.grace}),
                              static_cast<Args&&>(args)...);
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP
