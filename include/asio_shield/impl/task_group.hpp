//
// asio_shield/impl/task_group.hpp
//
// basic_task_group's members, its error category and the report_to_group
// token. The machinery is in detail/: group_state.hpp (the bookkeeping),
// group_spawn.hpp (sessions, spawn, async_run), group_join.hpp (joins) and
// group_shutdown.hpp (the two-stage shutdown and signals).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_TASK_GROUP_HPP
#define ASIO_SHIELD_IMPL_TASK_GROUP_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/group_join.hpp>
#include <asio_shield/detail/group_shutdown.hpp>
#include <asio_shield/detail/group_spawn.hpp>
#include <asio_shield/detail/group_state.hpp>

#include <stdexcept>
#include <string>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace error {
namespace detail {

class group_category final : public group_error_category
{
public:
    const char* name() const noexcept override { return "asio_shield.group"; }

    std::string message(int value) const override
    {
        if (value == group_closed)
            return "The task group is closed";
        if (value == session_failed)
            return "A session of the task group ended with an exception";
        return "asio_shield.group error";
    }
};

} // namespace detail

inline const group_error_category& get_group_category() noexcept
{
    static const detail::group_category instance;
    return instance;
}

inline asio_shield::detail::group_error_code make_error_code(group_errors e) noexcept
{
    return asio_shield::detail::group_error_code(static_cast<int>(e), get_group_category());
}

} // namespace error

namespace detail {

inline group_error_code group_closed_error() noexcept
{
    return error::make_error_code(error::group_closed);
}

inline group_error_code group_session_failed_error() noexcept
{
    return error::make_error_code(error::session_failed);
}

} // namespace detail

// ---------------------------------------------------------------------------
// basic_task_group.

template <typename Executor>
basic_task_group<Executor>::basic_task_group(const executor_type& ex,
                                             const task_group_options& options)
    : executor_(ex), state_(nullptr)
{
    // J8: a limit of 0 would make every spawn wait forever.
    if (options.max_sessions == 0)
        throw std::invalid_argument("asio_shield::basic_task_group: max_sessions must be >= 1");
    state_ = new detail::task_group_state(options.max_sessions, options.cancel_on_error);
}

template <typename Executor>
basic_task_group<Executor>::basic_task_group(basic_task_group&& other) noexcept
    : executor_(other.executor_), state_(std::exchange(other.state_, nullptr))
{}

template <typename Executor>
basic_task_group<Executor>::~basic_task_group()
{
    if (state_)
    {
        state_->close();
        state_->cancel(net::cancellation_type::terminal);
        state_->release();
    }
}

template <typename Executor>
template <typename SessionExecutor, typename F, typename CompletionToken, typename>
auto basic_task_group<Executor>::spawn(const SessionExecutor& session_ex, F&& f,
                                       CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
        std::declval<detail::initiate_group_spawn>(), token, session_ex, static_cast<F&&>(f)))
{
    return net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
        detail::initiate_group_spawn(state_), token, session_ex, static_cast<F&&>(f));
}

template <typename Executor>
void basic_task_group<Executor>::cancel(net::cancellation_type_t type)
{
    state_->cancel(type);
}

template <typename Executor>
void basic_task_group<Executor>::close()
{
    state_->close();
}

template <typename Executor>
bool basic_task_group<Executor>::is_open() const
{
    return state_->is_open();
}

template <typename Executor>
std::exception_ptr basic_task_group<Executor>::first_exception() const
{
    return state_->first_exception();
}

template <typename Executor>
std::size_t basic_task_group<Executor>::size() const
{
    return state_->size();
}

template <typename Executor>
template <typename CompletionToken>
auto basic_task_group<Executor>::async_join(CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
        std::declval<detail::initiate_group_join<executor_type>>(), token,
        detail::grace_clock::time_point::max()))
{
    return net::async_initiate<CompletionToken, void(detail::group_error_code)>(
        detail::initiate_group_join<executor_type>(state_, executor_), token,
        detail::grace_clock::time_point::max());
}

template <typename Executor>
template <typename CompletionToken>
auto basic_task_group<Executor>::async_join_until_steady(detail::grace_clock::time_point deadline,
                                                         CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
        std::declval<detail::initiate_group_join<executor_type>>(), token,
        std::declval<detail::grace_clock::time_point>()))
{
    // time_point::max() means "no deadline"; a real deadline that saturated
    // there is one too.
    return net::async_initiate<CompletionToken, void(detail::group_error_code)>(
        detail::initiate_group_join<executor_type>(state_, executor_), token, std::move(deadline));
}

template <typename Executor>
template <typename Rep1, typename Period1, typename Rep2, typename Period2,
          typename CompletionToken>
auto basic_task_group<Executor>::async_shutdown(net::cancellation_type_t graceful,
                                                std::chrono::duration<Rep1, Period1> grace,
                                                std::chrono::duration<Rep2, Period2> hard,
                                                CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code, std::size_t)>(
        std::declval<detail::initiate_group_shutdown<executor_type>>(), token, graceful,
        detail::grace_duration(), detail::grace_duration()))
{
    return net::async_initiate<CompletionToken, void(detail::group_error_code, std::size_t)>(
        detail::initiate_group_shutdown<executor_type>(state_, executor_), token, graceful,
        detail::saturate(grace), detail::saturate(hard));
}

template <typename Executor>
template <typename SignalSetExecutor, typename Rep1, typename Period1, typename Rep2,
          typename Period2, typename CompletionToken>
auto basic_task_group<Executor>::async_shutdown_on_signal(
    net::basic_signal_set<SignalSetExecutor>& signals, net::cancellation_type_t graceful,
    std::chrono::duration<Rep1, Period1> grace, std::chrono::duration<Rep2, Period2> hard,
    CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code, std::size_t)>(
        std::declval<detail::initiate_group_signal_shutdown<
            net::basic_signal_set<SignalSetExecutor>, executor_type>>(),
        token, graceful, detail::grace_duration(), detail::grace_duration()))
{
    using initiation =
        detail::initiate_group_signal_shutdown<net::basic_signal_set<SignalSetExecutor>,
                                               executor_type>;
    return net::async_initiate<CompletionToken, void(detail::group_error_code, std::size_t)>(
        initiation(signals, state_, executor_), token, graceful, detail::saturate(grace),
        detail::saturate(hard));
}

template <typename Executor>
template <typename SessionExecutor, typename F, typename CompletionToken, typename>
auto basic_task_group<Executor>::async_run(const SessionExecutor& session_ex, F&& f,
                                           CompletionToken&& token)
    -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
        std::declval<detail::initiate_group_run>(), token, session_ex, static_cast<F&&>(f)))
{
    return net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
        detail::initiate_group_run(state_), token, session_ex, static_cast<F&&>(f));
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

// ---------------------------------------------------------------------------
// Asio customisations, at global scope with qualified names.

/// `report_to_group`: the initiation receives the group's reporting handler.
template <typename... Signatures>
struct asio_shield::net::async_result<::asio_shield::report_to_group_t, Signatures...>
{
    using return_type = void;

    template <typename Initiation, typename RawToken, typename... Args>
    static void initiate(Initiation&& initiation, RawToken&&, Args&&... args)
    {
        static_cast<Initiation&&>(initiation)(asio_shield::detail::group_report_handler(),
                                              static_cast<Args&&>(args)...);
    }
};

#if defined(ASIO_SHIELD_STANDALONE)
template <>
struct std::is_error_code_enum<asio_shield::error::group_errors> : std::true_type
{};
#else
template <>
struct boost::system::is_error_code_enum<asio_shield::error::group_errors> : std::true_type
{};
#endif

#endif // ASIO_SHIELD_IMPL_TASK_GROUP_HPP
