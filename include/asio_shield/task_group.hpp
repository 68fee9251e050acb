//
// asio_shield/task_group.hpp
//
// `basic_task_group`: a dynamic group of `asio::awaitable` sessions, each on
// its own executor or strand, that can be cancelled together (each on its own
// executor) and joined, with or without a deadline.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_TASK_GROUP_HPP
#define ASIO_SHIELD_TASK_GROUP_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)

#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/detached.hpp>
#include <asio/error_code.hpp>
#include <asio/execution/executor.hpp>
#include <asio/execution_context.hpp>
#include <asio/is_executor.hpp>
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/system/error_code.hpp>
#endif

#include <chrono>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

class task_group_state;
class initiate_group_spawn;
class initiate_group_run;
template <typename GroupExecutor>
class initiate_group_join;

/// What `co_spawn(ex, f, token)` completes with: `void(std::exception_ptr)`
/// for an `awaitable<void>`, `void(std::exception_ptr, T)` otherwise.
template <typename F>
struct session_signature;

template <typename F>
using session_signature_t = typename session_signature<std::decay_t<F>>::type;

#if defined(ASIO_SHIELD_STANDALONE)
using group_error_code = std::error_code;
#else
using group_error_code = boost::system::error_code;
#endif

template <typename T>
struct is_group_executor
    : std::bool_constant<net::is_executor<T>::value || net::execution::is_executor<T>::value>
{};

} // namespace detail

/// A dynamic group of coroutine sessions that are cancelled and joined together.
/**
 * Sessions are `asio::awaitable` coroutines started with `spawn()` (or
 * `async_run()`), each on its own executor or strand. A session leaves the
 * group by itself when it ends, normally or by an exception (J1). `cancel()`
 * delivers a cancellation request to every session alive at that moment, on
 * that session's own executor (J2); `async_join()` waits until no session is
 * alive, and `async_join_for()` / `async_join_until()` give up at a deadline,
 * cutting the sessions still running (J3). `async_run()` is `spawn()` whose
 * caller may stop waiting while the session goes on (J4).
 *
 * **Executors.** The group's executor runs join completion handlers (unless
 * the handler names its own executor) and the join deadline timers. Each
 * session runs on the executor given to `spawn()`. On a multi-threaded
 * `io_context`, give each session a strand: its cancellation signal is
 * emitted on that executor, which serialises the emission with the session
 * only if the executor does.
 *
 * **Thread safety.** Distinct objects: safe. Shared object: `spawn()`,
 * `cancel()`, `size()` and the join and run operations may be called from any
 * thread concurrently; the destructor must not run concurrently with them.
 *
 * **Lifetime.** The group's bookkeeping is shared by the group object and its
 * live sessions. Destroying the group while sessions are alive does not wait
 * for them: it delivers `cancellation_type::terminal` to each of them (as
 * `cancel()` would), and they end in their own time; nothing refers to the
 * destroyed group object afterwards. Joins pending at that moment complete when
 * the last session ends.
 *
 * **Contract**: J1–J4 (docs/contract.md).
 */
template <typename Executor = net::any_io_executor>
class basic_task_group
{
public:
    /// The type of the executor that runs join handlers and deadline timers.
    using executor_type = Executor;

    /// Rebinds the group to another executor type.
    template <typename OtherExecutor>
    struct rebind_executor
    {
        using other = basic_task_group<OtherExecutor>;
    };

    /// An empty group whose joins complete on `ex` (unless their handler says otherwise).
    explicit basic_task_group(const executor_type& ex);

    /// An empty group on `ctx.get_executor()`.
    template <typename ExecutionContext,
              typename = std::enable_if_t<
                  std::is_convertible_v<ExecutionContext&, net::execution_context&> &&
                  std::is_constructible_v<executor_type, typename ExecutionContext::executor_type>>>
    explicit basic_task_group(ExecutionContext& ctx) : basic_task_group(ctx.get_executor())
    {}

    /// Takes over `other`'s sessions; `other` may then only be destroyed.
    basic_task_group(basic_task_group&& other) noexcept;

    basic_task_group(const basic_task_group&) = delete;
    basic_task_group& operator=(const basic_task_group&) = delete;
    basic_task_group& operator=(basic_task_group&&) = delete;

    /// Delivers `cancellation_type::terminal` to every live session and lets go.
    /**
     * Does not wait: the sessions end in their own time, and pending joins
     * complete when the last of them does.
     */
    ~basic_task_group();

    /// The executor given at construction.
    executor_type get_executor() const noexcept { return executor_; }

    /// Starts `f` as a session of the group on `session_ex` (J1).
    /**
     * `f` is an `asio::awaitable<T>` or a nullary callable returning one, as
     * for `asio::co_spawn`, which starts it on `session_ex` with a
     * cancellation slot of the group's. The session leaves the group when it
     * ends, normally or by an exception, before `token`'s handler runs.
     *
     * **Completion signature**: `void(std::exception_ptr)` for
     * `awaitable<void>`, `void(std::exception_ptr, T)` otherwise, as for
     * `co_spawn`; the handler runs on its associated executor (by default
     * `session_ex`). The default token, `asio::detached`, drops the result,
     * an escaped exception included.
     *
     * **Per-operation cancellation**: the group's slot replaces any slot bound
     * to `token`; cancel sessions through `cancel()`.
     *
     * **After cancel()**: a session spawned once `cancel()` has been called
     * (shutdown has begun) is started normally and receives the union of the
     * types requested so far at once, posted to `session_ex` right after it
     * starts: it runs up to its first suspension, which sees the request.
     */
    template <typename SessionExecutor, typename F, typename CompletionToken = net::detached_t,
              typename = std::enable_if_t<detail::is_group_executor<SessionExecutor>::value>>
    auto spawn(const SessionExecutor& session_ex, F&& f,
               CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
            std::declval<detail::initiate_group_spawn>(), token, session_ex, static_cast<F&&>(f)));

    /// `spawn(ctx.get_executor(), f, token)`.
    template <typename ExecutionContext, typename F, typename CompletionToken = net::detached_t,
              typename = std::enable_if_t<
                  std::is_convertible_v<ExecutionContext&, net::execution_context&>>>
    auto spawn(ExecutionContext& ctx, F&& f, CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
            std::declval<detail::initiate_group_spawn>(), token, ctx.get_executor(),
            static_cast<F&&>(f)))
    {
        return spawn(ctx.get_executor(), static_cast<F&&>(f),
                     static_cast<CompletionToken&&>(token));
    }

    /// Delivers `type` once to every session alive now, each on its own executor (J2).
    /**
     * For each live session, a small function is posted to the session's
     * executor; it emits `type` on the session's cancellation signal unless
     * the session has ended meanwhile. The signal is never emitted from the
     * calling thread. `co_spawn` passes only terminal requests into a
     * coroutine by default (`this_coro::reset_cancellation_state` widens it).
     *
     * Calling it again delivers again, like emitting a signal again: each call
     * reaches each session alive at that call once. The group also records the
     * union of every type requested, for sessions spawned later (see `spawn`);
     * the record is never reset.
     *
     * **Thread safety**: may be called from any thread, and from a session.
     */
    void cancel(net::cancellation_type_t type = net::cancellation_type::terminal);

    /// The number of sessions alive (started and not yet ended).
    std::size_t size() const;

    /// Waits until no session is alive (J3).
    /**
     * Completes at once (posted, never inline) when the group is empty.
     * Sessions spawned while the join waits are waited for too. Any number of
     * joins may wait at once; all complete together.
     *
     * **Completion signature**: `void(error_code)`: success, or
     * `operation_aborted` when the join itself was cancelled. The handler runs
     * on its associated executor, by default the group's.
     *
     * **Per-operation cancellation**: terminal, partial and total: the join
     * completes with `operation_aborted`; the sessions are not affected.
     */
    template <typename CompletionToken = net::default_completion_token_t<executor_type>>
    auto async_join(CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
            std::declval<detail::initiate_group_join<executor_type>>(), token,
            detail::grace_clock::time_point::max()));

    /// Waits until no session is alive, at most `d` (J3, T5).
    /**
     * Completes with success if every session ended before the deadline. At
     * the deadline, the group delivers `cancellation_type::terminal` again to
     * every session still alive (like `cancel()`, which also records it for
     * later spawns) and completes with `error::timed_out` without waiting
     * further: the sessions stay in the group, and a later `async_join` waits
     * for them. A shield or guard with a grace period in a session gives way at
     * its own deadline (T4); a session that ignores cancellation keeps running.
     *
     * Any duration is accepted (T5): one past the clock's range,
     * `hours::max()` or +inf means no deadline; zero, a negative one, -inf or
     * NaN means "now" (the sessions are cut at once unless the group is
     * empty).
     *
     * **Completion signature**: `void(error_code)`, as for `async_join`, plus
     * `error::timed_out`.
     *
     * **Per-operation cancellation**: as for `async_join`; the deadline is
     * dropped and the sessions are not affected.
     */
    template <typename Rep, typename Period,
              typename CompletionToken = net::default_completion_token_t<executor_type>>
    auto async_join_for(std::chrono::duration<Rep, Period> d,
                        CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
            std::declval<detail::initiate_group_join<executor_type>>(), token,
            detail::grace_clock::time_point::max()))
    {
        return async_join_until_steady(detail::deadline_after(detail::saturate(d)),
                                       static_cast<CompletionToken&&>(token));
    }

    /// Waits until no session is alive, at most until `tp`, on any clock (J3, T5).
    /**
     * As `async_join_for(tp - Clock::now())`, saturating; the timer is a
     * grace-clock one (`steady_clock` by default), so a clock that jumps is
     * read once, at the call. `time_point::max()` of any clock, +inf and a
     * time past the clock's range mean no deadline; a time point whose
     * distance from now is NaN counts as passed (T5).
     */
    template <typename Clock, typename Duration,
              typename CompletionToken = net::default_completion_token_t<executor_type>>
    auto async_join_until(std::chrono::time_point<Clock, Duration> tp,
                          CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
            std::declval<detail::initiate_group_join<executor_type>>(), token,
            detail::grace_clock::time_point::max()))
    {
        return async_join_until_steady(detail::to_grace_time(tp),
                                       static_cast<CompletionToken&&>(token));
    }

    /// Runs `f` as a session and completes with its result, or lets go at once (J4).
    /**
     * The session is started as by `spawn(session_ex, f)`. If this operation
     * is cancelled (its handler's cancellation slot, e.g. the awaiting
     * coroutine's), it completes at once with `operation_aborted`: an
     * `exception_ptr` holding `system_error(error::operation_aborted)` (and a
     * value-initialised `T`). The session is not cancelled by it: it keeps
     * running in the group to its end, `cancel()` still reaches it, and
     * `async_join` waits for it. Otherwise it completes with the session's
     * result, as `spawn` would.
     *
     * **Lifetime**: the session outlives the caller whenever the caller lets
     * go, so `f` must own all its state (capture by value, shared pointers);
     * a reference into the caller's frame dangles once the caller resumes.
     *
     * **Completion signature**: as for `spawn`. The handler runs on its
     * associated executor, by default `session_ex`.
     *
     * **Per-operation cancellation**: terminal, partial and total.
     */
    template <typename SessionExecutor, typename F,
              typename CompletionToken = net::default_completion_token_t<SessionExecutor>,
              typename = std::enable_if_t<detail::is_group_executor<SessionExecutor>::value>>
    auto async_run(const SessionExecutor& session_ex, F&& f,
                   CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
            std::declval<detail::initiate_group_run>(), token, session_ex, static_cast<F&&>(f)));

private:
    template <typename CompletionToken>
    auto async_join_until_steady(detail::grace_clock::time_point deadline, CompletionToken&& token)
        -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
            std::declval<detail::initiate_group_join<executor_type>>(), token,
            std::declval<detail::grace_clock::time_point>()));

    executor_type executor_;
    detail::task_group_state* state_;
};

/// A task group whose joins run on an `any_io_executor`.
using task_group = basic_task_group<>;

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#include <asio_shield/impl/task_group.hpp>

#endif // ASIO_SHIELD_HAS_CO_AWAIT

#endif // ASIO_SHIELD_TASK_GROUP_HPP
