//
// asio_shield/task_group.hpp
//
// `basic_task_group`: a dynamic group of `asio::awaitable` sessions, each on
// its own executor or strand, that can be cancelled together (each on its own
// executor), closed, joined and shut down in two stages.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_TASK_GROUP_HPP
#define ASIO_SHIELD_TASK_GROUP_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)

#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/detail/group_state.hpp>
#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/basic_signal_set.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error_code.hpp>
#include <asio/execution/executor.hpp>
#include <asio/execution_context.hpp>
#include <asio/is_executor.hpp>
#include <system_error>
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_signal_set.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/system/error_code.hpp>
#endif

#include <chrono>
#include <cstddef>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace error {

/// Errors of the task group, in the category `get_group_category()`.
enum group_errors
{
    /// The group is closed: the spawn was refused and the session never
    /// started (J5).
    group_closed = 1,

    /// A session ended with an exception that the group keeps (J7): the
    /// join reports this code, and `first_exception()` gives the exception.
    session_failed = 2
};

#if defined(ASIO_SHIELD_STANDALONE)
using group_error_category = std::error_category;
#else
using group_error_category = boost::system::error_category;
#endif

/// The category of `group_errors` ("asio_shield.group").
inline const group_error_category& get_group_category() noexcept;

/// `error_code(e, get_group_category())`, found by argument-dependent lookup.
inline detail::group_error_code make_error_code(group_errors e) noexcept;

} // namespace error

/// The default completion token of `spawn`: the session's result goes to the
/// group. An exception that escapes the session is kept by the group (the
/// first one, available from `first_exception()`) and its joins complete with
/// `error::session_failed` (J7); a value is dropped.
struct report_to_group_t
{
    constexpr report_to_group_t() noexcept = default;
};

/// The `report_to_group_t` token.
inline constexpr report_to_group_t report_to_group{};

/// Construction options of a `basic_task_group`.
struct task_group_options
{
    /// No limit on the sessions running at once.
    static constexpr std::size_t unlimited = (std::numeric_limits<std::size_t>::max)();

    /// How many sessions may run at once (J8); a spawn beyond waits for a
    /// place. 0 is refused by the constructor (`std::invalid_argument`).
    std::size_t max_sessions = unlimited;

    /// J7's policy: the cancellation type requested on every other session
    /// when a session's exception reaches the group (`none`: no request).
    net::cancellation_type_t cancel_on_error = net::cancellation_type::none;
};

namespace detail {

class initiate_group_spawn;
class initiate_group_run;
template <typename GroupExecutor>
class initiate_group_join;
template <typename GroupExecutor>
class initiate_group_shutdown;
template <typename SignalSet, typename GroupExecutor>
class initiate_group_signal_shutdown;

/// What `co_spawn(ex, f, token)` completes with: `void(std::exception_ptr)`
/// for an `awaitable<void>`, `void(std::exception_ptr, T)` otherwise.
template <typename F>
struct session_signature;

template <typename F>
using session_signature_t = typename session_signature<std::decay_t<F>>::type;

template <typename T>
struct is_group_executor
    : std::bool_constant<net::is_executor<T>::value || net::execution::is_executor<T>::value>
{};

} // namespace detail

/// A dynamic group of coroutine sessions that are closed, cancelled, joined
/// and shut down together.
/**
 * Sessions are `asio::awaitable` coroutines started with `spawn()` (or
 * `async_run()`), each on its own executor or strand. A session leaves the
 * group by itself when it ends, normally or by an exception (J1). `cancel()`
 * delivers a cancellation request to every session alive at that moment, on
 * that session's own executor (J2). `close()` refuses later spawns (J5);
 * `async_join()` waits until the group is closed and empty, and reports the
 * first exception a session left to the group (J7); `async_join_for()` /
 * `async_join_until()` stop waiting at a deadline (J3). `async_shutdown()`
 * closes, requests a graceful type, then `terminal` after a grace period, and
 * completes at a hard deadline with the number of sessions still running
 * (J6); `async_shutdown_on_signal()` ties it to signals (J9). A limit on the
 * sessions running at once makes spawns wait for a place (J8). No operation
 * completes inside the call that started it (J10).
 *
 * **Executors.** The group's executor runs join and shutdown completion
 * handlers (unless the handler names its own executor) and the group's
 * timers. Each session runs on the executor given to `spawn()`. On a
 * multi-threaded `io_context`, give each session a strand: its cancellation
 * signal is emitted on that executor, which serialises the emission with the
 * session only if the executor does.
 *
 * **Thread safety.** Distinct objects: safe. Shared object: every member but
 * the destructor may be called from any thread concurrently, and from inside
 * a session; the destructor must not run concurrently with them.
 *
 * **Lifetime.** The group's bookkeeping is shared by the group object, its
 * live sessions and its pending operations. Destroying the group while
 * sessions are alive does not wait for them: it closes the group and
 * delivers `cancellation_type::terminal` to each of them (as `cancel()`
 * would), and they end in their own time; pending joins complete when the
 * last of them does. Nothing refers to the destroyed group object afterwards.
 *
 * **Contract**: J1–J10 (docs/contract.md).
 */
template <typename Executor = net::any_io_executor>
class basic_task_group
{
public:
    /// The type of the executor that runs join handlers and the group's timers.
    using executor_type = Executor;

    /// Rebinds the group to another executor type.
    template <typename OtherExecutor>
    struct rebind_executor
    {
        using other = basic_task_group<OtherExecutor>;
    };

    /// An empty, open group whose joins complete on `ex` (unless their handler says otherwise).
    /**
     * @throws std::invalid_argument if `options.max_sessions` is 0 (no
     * session could ever run: every spawn would wait forever).
     */
    explicit basic_task_group(const executor_type& ex, const task_group_options& options = {});

    /// An empty group on `ctx.get_executor()`.
    template <typename ExecutionContext,
              typename = std::enable_if_t<
                  std::is_convertible_v<ExecutionContext&, net::execution_context&> &&
                  std::is_constructible_v<executor_type, typename ExecutionContext::executor_type>>>
    explicit basic_task_group(ExecutionContext& ctx, const task_group_options& options = {})
        : basic_task_group(executor_type(ctx.get_executor()), options)
    {}

    /// Takes over `other`'s sessions; `other` may then only be destroyed.
    basic_task_group(basic_task_group&& other) noexcept;

    basic_task_group(const basic_task_group&) = delete;
    basic_task_group& operator=(const basic_task_group&) = delete;
    basic_task_group& operator=(basic_task_group&&) = delete;

    /// Closes the group, delivers `cancellation_type::terminal` to every live
    /// session and lets go.
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
     * `session_ex`), with its associated allocator. The default token,
     * `report_to_group`, leaves an escaped exception to the group (J7).
     *
     * **Closed group (J5)**: the session is not started; the handler
     * receives `system_error(error::group_closed)` (and a value-initialised
     * `T`), never inside this call (J10). With `report_to_group` nothing is
     * reported: closing is the owner's decision, not a session's failure.
     *
     * **Limit (J8)**: with `max_sessions` sessions running, the spawn waits
     * for a place, in order of arrival; closing the group refuses it.
     *
     * **Per-operation cancellation**: while the spawn waits for a place,
     * terminal, partial and total: it completes with
     * `system_error(operation_aborted)` and the session never starts. Once
     * started, the group's slot replaces any slot bound to `token`; cancel
     * sessions through `cancel()` or `async_shutdown()`.
     *
     * **After cancel()**: a session spawned once `cancel()` has been called
     * is started normally and receives the union of the types requested so
     * far at once, posted to `session_ex` right after it starts.
     */
    template <typename SessionExecutor, typename F, typename CompletionToken = report_to_group_t,
              typename = std::enable_if_t<detail::is_group_executor<SessionExecutor>::value>>
    auto spawn(const SessionExecutor& session_ex, F&& f,
               CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, detail::session_signature_t<F>>(
            std::declval<detail::initiate_group_spawn>(), token, session_ex, static_cast<F&&>(f)));

    /// `spawn(ctx.get_executor(), f, token)`.
    template <typename ExecutionContext, typename F, typename CompletionToken = report_to_group_t,
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
     * Calling it again delivers again. The group also records the union of
     * every type requested, for sessions spawned later (see `spawn`); the
     * record is never reset.
     */
    void cancel(net::cancellation_type_t type = net::cancellation_type::terminal);

    /// Refuses every later spawn (J5).
    /**
     * Spawns waiting for a place (J8) complete with `error::group_closed`.
     * The sessions running go on; joins complete once the last has ended.
     * Closing again, or from inside a session, does nothing more. A group is
     * never reopened.
     */
    void close();

    /// Whether `close()` (or a shutdown, or the destructor) has not yet been called.
    bool is_open() const;

    /// The first exception a session left to the group (J7), or null.
    /**
     * Kept from the moment the session ends; never reset.
     */
    std::exception_ptr first_exception() const;

    /// The number of sessions running, or starting in a place reserved for
    /// them (spawns waiting for a place not included).
    std::size_t size() const;

    /// Waits until the group is closed and no session is left (J5).
    /**
     * Completes at once (never inside this call, J10) when the group is
     * already closed and empty. On an open group it waits for `close()`.
     * Any number of joins may wait at once; all complete together.
     *
     * **Completion signature**: `void(error_code)`: success;
     * `error::session_failed` once a session has left an exception to the
     * group (`report_to_group`, J7), reported by every join from then on
     * (`first_exception()` gives it); `operation_aborted` when the join itself
     * was cancelled. The handler runs on its associated executor, by default
     * the group's.
     *
     * **Inside a session of the same group**: the join waits for its own
     * session too, so it ends only when it is cancelled: by the session's
     * cancellation (`cancel()`, `async_shutdown()`), which reaches it through
     * the coroutine, or by its own slot.
     *
     * **Per-operation cancellation**: terminal, partial and total: the join
     * completes with `operation_aborted`; the sessions are not affected.
     */
    template <typename CompletionToken = net::default_completion_token_t<executor_type>>
    auto async_join(CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken, void(detail::group_error_code)>(
            std::declval<detail::initiate_group_join<executor_type>>(), token,
            detail::grace_clock::time_point::max()));

    /// As `async_join`, but stops waiting after `d` (J3, T5).
    /**
     * At the deadline the join completes with `error::timed_out`; nothing
     * else happens: the sessions
     * are not told and stay in the group (cutting them is
     * `async_shutdown()`'s task). Any duration is accepted: values past the
     * clock's range, `hours::max()` and +inf mean no deadline; zero, negative
     * ones, -inf and NaN mean "now".
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

    /// As `async_join_for(tp - Clock::now())`, on any clock, read once (J3, T5).
    /** `time_point::max()` of any clock, +inf and a time past the clock's
     * range mean no deadline; a time point whose distance from now is NaN
     * counts as passed (T5). */
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

    /// Two-stage shutdown (J6): close, ask nicely, then cut, then report.
    /**
     * The first call closes the group (J5) and delivers `graceful` (e.g.
     * `cancellation_type::terminal`: `co_spawn`'s default filter lets only
     * terminal into a session, so another type reaches only sessions that
     * widened it with `this_coro::reset_cancellation_state`) to every
     * session; idle reads end at once while the session's shields and guards
     * let protected work finish. When `grace` has passed it delivers
     * `cancellation_type::terminal`, marked as a passed deadline: the
     * protections with a deadline in the sessions (`shield_for`,
     * `shield_until`, a budget) and every guard, with or without a grace
     * period, give way at once instead of starting grace periods of their
     * own (T7). A plain `shield()` and a `slot_guard` still hold it (S1): they
     * have no deadline to give way at. When `hard`
     * has passed after that, it completes with the number of sessions still
     * running; nothing is freed under them. It completes earlier, with 0, as
     * soon as the group is empty.
     *
     * Asking again while a shutdown runs (a second call, a second signal)
     * moves to the hard stage at once: `terminal` (marked) if not yet
     * delivered, and every pending shutdown completes now. Asking after it
     * is over completes at once with the present count.
     *
     * Any durations are accepted (T5); `graceful` is ignored by later calls.
     *
     * **Completion signature**: `void(error_code, std::size_t still_running)`:
     * success with 0, `error::timed_out` with the count of sessions left at
     * the hard stage, or `operation_aborted` when this operation was
     * cancelled.
     *
     * **Inside a session of the same group**: as for a join, waiting for the
     * shutdown's end includes the caller's own session; the shutdown's
     * requests reach the wait, which then completes with `operation_aborted`
     * while the shutdown goes on.
     *
     * **Per-operation cancellation**: terminal, partial and total: this
     * operation stops waiting; the shutdown itself goes on.
     */
    template <typename Rep1, typename Period1, typename Rep2, typename Period2,
              typename CompletionToken = net::default_completion_token_t<executor_type>>
    auto async_shutdown(net::cancellation_type_t graceful,
                        std::chrono::duration<Rep1, Period1> grace,
                        std::chrono::duration<Rep2, Period2> hard,
                        CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken,
                                        void(detail::group_error_code, std::size_t)>(
            std::declval<detail::initiate_group_shutdown<executor_type>>(), token, graceful,
            detail::grace_duration(), detail::grace_duration()));

    /// Ties signals to `async_shutdown` (J9).
    /**
     * Waits on `signals` (e.g. a `signal_set` of SIGINT and SIGTERM: the set
     * is the caller's choice). The first signal starts
     * `async_shutdown(graceful, grace, hard)`; each further signal while it
     * runs moves it to the hard stage at once. Completes as that shutdown
     * does. When the shutdown is over, the wait for another signal is ended
     * with `signals.cancel()`.
     *
     * **Completion signature**: as `async_shutdown`; `operation_aborted` with
     * 0 if the wait for the first signal ended without a signal.
     *
     * **Per-operation cancellation**: before the first signal, terminal,
     * partial and total end the wait (`signals.cancel()`); after it, the
     * operation stops waiting while the shutdown goes on.
     *
     * **Thread safety**: `signals` must outlive the operation and must not
     * be used concurrently with it (use it from its executor, a strand on a
     * multi-threaded `io_context`).
     */
    template <typename SignalSetExecutor, typename Rep1, typename Period1, typename Rep2,
              typename Period2,
              typename CompletionToken = net::default_completion_token_t<SignalSetExecutor>>
    auto async_shutdown_on_signal(net::basic_signal_set<SignalSetExecutor>& signals,
                                  net::cancellation_type_t graceful,
                                  std::chrono::duration<Rep1, Period1> grace,
                                  std::chrono::duration<Rep2, Period2> hard,
                                  CompletionToken&& token = CompletionToken())
        -> decltype(net::async_initiate<CompletionToken,
                                        void(detail::group_error_code, std::size_t)>(
            std::declval<detail::initiate_group_signal_shutdown<
                net::basic_signal_set<SignalSetExecutor>, executor_type>>(),
            token, graceful, detail::grace_duration(), detail::grace_duration()));

    /// Runs `f` as a session and completes with its result, or lets go at once (J4).
    /**
     * The session is started as by `spawn(session_ex, f)`. If this operation
     * is cancelled (its handler's cancellation slot, e.g. the awaiting
     * coroutine's), it completes at once with `operation_aborted`: an
     * `exception_ptr` holding `system_error(error::operation_aborted)` (and a
     * value-initialised `T`). The session is not cancelled by it: it keeps
     * running in the group to its end, `cancel()` still reaches it, and
     * `async_join` waits for it. Otherwise it completes with the session's
     * result, as `spawn` would (`error::group_closed` on a closed group).
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
