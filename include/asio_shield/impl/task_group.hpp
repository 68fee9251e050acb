//
// asio_shield/impl/task_group.hpp
//
// The machinery of basic_task_group: the shared state (a mutex, an intrusive
// list of sessions, the pending joins), the session's completion handler, the
// join and run operations.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_TASK_GROUP_HPP
#define ASIO_SHIELD_IMPL_TASK_GROUP_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/system_error.hpp>
#include <asio/wait_traits.hpp>
#else
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/wait_traits.hpp>
#include <boost/system/system_error.hpp>
#endif

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

#if defined(ASIO_SHIELD_STANDALONE)
using group_system_error = std::system_error;
#else
using group_system_error = boost::system::system_error;
#endif

template <typename T, typename Executor>
struct session_signature<net::awaitable<T, Executor>>
{
    using type = void(std::exception_ptr, T);
};

template <typename Executor>
struct session_signature<net::awaitable<void, Executor>>
{
    using type = void(std::exception_ptr);
};

template <typename F>
struct session_signature : session_signature<std::decay_t<std::invoke_result_t<F>>>
{};

/// Stands for "no executor of its own" in associated_executor queries.
struct no_associated_executor
{};

/// Whether `Handler` names an executor of its own (else it runs where it is invoked).
template <typename Handler>
inline constexpr bool has_own_executor =
    !std::is_same_v<net::associated_executor_t<Handler, no_associated_executor>,
                    no_associated_executor>;

/// Outstanding work on a handler's executor while its operation is pending,
/// as Asio's own operations keep it: `prefer(ex, outstanding_work.tracked)`
/// for standard executors, `executor_work_guard` for the older kind.
template <typename Executor, typename = void>
class group_work
{
public:
    explicit group_work(const Executor& ex) : guard_(ex) {}
    const Executor& get_executor() const noexcept { return guard_.get_executor(); }
    void reset() noexcept { guard_.reset(); }

private:
    net::executor_work_guard<Executor> guard_;
};

template <typename Executor>
class group_work<Executor, std::enable_if_t<net::execution::is_executor<Executor>::value>>
{
public:
    using tracked_type = std::decay_t<decltype(net::prefer(
        std::declval<const Executor&>(), net::execution::outstanding_work.tracked))>;

    explicit group_work(const Executor& ex)
        : tracked_(net::prefer(ex, net::execution::outstanding_work.tracked))
    {}
    const tracked_type& get_executor() const noexcept { return *tracked_; }
    void reset() noexcept { tracked_.reset(); }

private:
    std::optional<tracked_type> tracked_;
};

// ---------------------------------------------------------------------------
// Sessions.

/// One session of a group: a node of the group's list, and the signal bound
/// to the session's co_spawn. Reference counted: the session's completion
/// handler holds one reference, each posted cancellation one more.
class group_session
{
public:
    group_session() = default;
    group_session(const group_session&) = delete;
    group_session& operator=(const group_session&) = delete;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

    /// Posts `emit(type)` to the session's executor; consumes one reference.
    virtual void post_cancel(net::cancellation_type_t type) = 0;

    // The list, `started_`, `pending_` and `linked_`: guarded by the group's mutex.
    group_session* prev_ = nullptr;
    group_session* next_ = nullptr;
    // Requests that came while co_spawn had not yet connected the slot.
    net::cancellation_type_t pending_ = net::cancellation_type::none;
    bool started_ = false;
    bool linked_ = false;
    // Written and read on the session's executor only: the emission and the
    // session's end are serialised there.
    bool ended_ = false;
    net::cancellation_signal signal_;

protected:
    virtual ~group_session() = default;

private:
    std::atomic<std::size_t> refs_{1};
};

/// Posted to a session's executor by cancel(): the signal is emitted there,
/// and only if the session is still running (J2).
class group_cancel_op
{
public:
    group_cancel_op(group_session* s, net::cancellation_type_t type) noexcept
        : session_(s), type_(type)
    {}
    group_cancel_op(group_cancel_op&& other) noexcept
        : session_(std::exchange(other.session_, nullptr)), type_(other.type_)
    {}
    group_cancel_op& operator=(group_cancel_op&&) = delete;
    ~group_cancel_op()
    {
        if (session_)
            session_->release();
    }

    void operator()()
    {
        group_session* s = std::exchange(session_, nullptr);
        if (!s->ended_)
            s->signal_.emit(type_);
        s->release();
    }

private:
    group_session* session_;
    net::cancellation_type_t type_;
};

/// Posted to a session's executor when it ends: co_spawn's own cancellation
/// handler lives in the session's signal and is still in use while the
/// completion handler runs, so the signal goes only after that.
class group_release_op
{
public:
    explicit group_release_op(group_session* s) noexcept : session_(s) {}
    group_release_op(group_release_op&& other) noexcept
        : session_(std::exchange(other.session_, nullptr))
    {}
    group_release_op& operator=(group_release_op&&) = delete;
    ~group_release_op()
    {
        if (session_)
            session_->release();
    }
    void operator()() { std::exchange(session_, nullptr)->release(); }

private:
    group_session* session_;
};

template <typename SessionExecutor>
class group_session_on final : public group_session
{
public:
    explicit group_session_on(const SessionExecutor& ex) : executor_(ex) {}

    void post_cancel(net::cancellation_type_t type) override
    {
        group_cancel_op op(this, type);
        net::post(executor_, std::move(op));
    }

    void post_release()
    {
        group_release_op op(this);
        net::post(executor_, std::move(op));
    }

    SessionExecutor executor_;
};

// ---------------------------------------------------------------------------
// Joins.

/// A pending join; a node of the group's join list.
class group_join_op
{
public:
    /// Unlinked already: posts the completion (the list's reference goes with it).
    virtual void complete(group_error_code ec) = 0;
    /// Under the group's mutex, when unlinked by something else than the timer.
    virtual void stop_timer() noexcept = 0;

    group_join_op* prev_ = nullptr;
    group_join_op* next_ = nullptr;
    bool linked_ = false; // Guarded by the group's mutex.

protected:
    ~group_join_op() = default;
};

// ---------------------------------------------------------------------------
// The shared state.

class task_group_state
{
public:
    task_group_state() = default;
    task_group_state(const task_group_state&) = delete;
    task_group_state& operator=(const task_group_state&) = delete;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

    /// J2: one posted emission per live session.
    void cancel(net::cancellation_type_t type)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        requested_ = requested_ | type;
        for (group_session* s = sessions_; s; s = s->next_)
        {
            if (s->started_)
            {
                s->add_ref();
                s->post_cancel(type);
            }
            else
                s->pending_ = s->pending_ | type; // spawn() delivers it once co_spawn returns.
        }
    }

    std::size_t size() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return count_;
    }

    /// Links a session that co_spawn is about to start. It holds a reference
    /// to the state until it leaves.
    void add(group_session* s)
    {
        add_ref();
        std::lock_guard<std::mutex> lock(mutex_);
        s->pending_ = requested_;
        s->linked_ = true;
        s->next_ = sessions_;
        if (sessions_)
            sessions_->prev_ = s;
        sessions_ = s;
        ++count_;
    }

    /// co_spawn has connected the session's slot: from now on cancel() posts
    /// to it. Returns what was requested before (none if it already ended).
    net::cancellation_type_t start(group_session* s)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        s->started_ = true;
        if (!s->linked_)
            return net::cancellation_type::none;
        return std::exchange(s->pending_, net::cancellation_type::none);
    }

    /// The session has ended: unlinks it, completes the joins if it was the
    /// last one, and drops the session's reference to the state.
    void remove(group_session* s) noexcept
    {
        group_join_op* done = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (s->prev_)
                s->prev_->next_ = s->next_;
            else
                sessions_ = s->next_;
            if (s->next_)
                s->next_->prev_ = s->prev_;
            s->prev_ = s->next_ = nullptr;
            s->linked_ = false;
            if (--count_ == 0)
            {
                done = joins_;
                joins_ = nullptr;
                for (group_join_op* j = done; j; j = j->next_)
                {
                    j->linked_ = false;
                    j->stop_timer();
                }
            }
        }
        complete_all(done, group_error_code());
        release();
    }

    /// Links a join unless the group is empty; false: complete it now.
    /// `arm` runs under the mutex once the join is linked.
    template <typename Arm>
    bool add_join(group_join_op* j, Arm&& arm)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (count_ == 0)
            return false;
        j->linked_ = true;
        j->prev_ = nullptr;
        j->next_ = joins_;
        if (joins_)
            joins_->prev_ = j;
        joins_ = j;
        arm();
        return true;
    }

    /// Unlinks a join if it is still waiting (the caller then completes it).
    bool remove_join(group_join_op* j, bool stop_timer) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!j->linked_)
            return false;
        if (j->prev_)
            j->prev_->next_ = j->next_;
        else
            joins_ = j->next_;
        if (j->next_)
            j->next_->prev_ = j->prev_;
        j->prev_ = j->next_ = nullptr;
        j->linked_ = false;
        if (stop_timer)
            j->stop_timer();
        return true;
    }

private:
    ~task_group_state() = default;

    static void complete_all(group_join_op* j, group_error_code ec) noexcept
    {
        while (j)
        {
            group_join_op* next = j->next_; // complete() may free j.
            j->next_ = nullptr;
            j->complete(ec);
            j = next;
        }
    }

    mutable std::mutex mutex_;
    group_session* sessions_ = nullptr;
    std::size_t count_ = 0;
    net::cancellation_type_t requested_ = net::cancellation_type::none;
    group_join_op* joins_ = nullptr;
    std::atomic<std::size_t> refs_{1};
};

/// An owning reference to the state, for initiation objects (a deferred
/// operation may be launched after the group object is gone).
class group_state_ref
{
public:
    explicit group_state_ref(task_group_state* s) noexcept : state_(s) { state_->add_ref(); }
    group_state_ref(const group_state_ref& other) noexcept : state_(other.state_)
    {
        state_->add_ref();
    }
    group_state_ref(group_state_ref&& other) noexcept : group_state_ref(other) {}
    group_state_ref& operator=(const group_state_ref&) = delete;
    ~group_state_ref() { state_->release(); }
    task_group_state* get() const noexcept { return state_; }

private:
    task_group_state* state_;
};

// ---------------------------------------------------------------------------
// The session's completion handler.

/// Work on the user handler's own executor, if it has one.
template <typename Handler, typename SessionExecutor, bool Own = has_own_executor<Handler>>
struct session_handler_work
{
    explicit session_handler_work(const Handler&, const SessionExecutor&) noexcept {}

    template <typename... Args>
    void deliver(Handler& handler, Args&&... args)
    {
        std::move(handler)(static_cast<Args&&>(args)...); // Already on the session's executor.
    }
};

template <typename Handler, typename SessionExecutor>
struct session_handler_work<Handler, SessionExecutor, true>
{
    using executor_type = net::associated_executor_t<Handler, SessionExecutor>;

    explicit session_handler_work(const Handler& h, const SessionExecutor& ex)
        : work_(net::get_associated_executor(h, ex))
    {}

    template <typename... Args>
    void deliver(Handler& handler, Args&&... args)
    {
        // As co_spawn does: the handler runs on its own executor.
        auto ex = work_.get_executor();
        net::dispatch(ex, [h = std::move(handler),
                           t = std::make_tuple(static_cast<Args&&>(args)...)]() mutable {
            std::apply(std::move(h), std::move(t));
        });
        work_.reset();
    }

    group_work<executor_type> work_;
};

/// co_spawn's handler for a session: bound to the session's executor and
/// signal; removes the session from the group, then calls the user's handler.
template <typename Handler, typename SessionExecutor>
class group_session_handler
{
public:
    using executor_type = SessionExecutor;
    using cancellation_slot_type = net::cancellation_slot;
    using allocator_type = net::associated_allocator_t<Handler>;

    template <typename H>
    group_session_handler(H&& h, group_session_on<SessionExecutor>* s, task_group_state* state)
        : handler_(static_cast<H&&>(h)), work_(handler_, s->executor_), session_(s), state_(state)
    {
        state_->add(s);
    }

    group_session_handler(group_session_handler&& other) noexcept(
        std::is_nothrow_move_constructible_v<Handler>)
        : handler_(std::move(other.handler_)), work_(std::move(other.work_)),
          session_(std::exchange(other.session_, nullptr)), state_(other.state_)
    {}

    group_session_handler& operator=(group_session_handler&&) = delete;

    /// Never invoked (the context went first, or co_spawn failed): the
    /// session still leaves the group, and nothing is left behind.
    ~group_session_handler()
    {
        if (group_session_on<SessionExecutor>* s = std::exchange(session_, nullptr))
        {
            s->ended_ = true;
            state_->remove(s);
            s->release();
        }
    }

    executor_type get_executor() const noexcept { return session_->executor_; }
    cancellation_slot_type get_cancellation_slot() const noexcept
    {
        return session_->signal_.slot();
    }
    allocator_type get_allocator() const noexcept
    {
        return net::get_associated_allocator(handler_);
    }

    template <typename... Args>
    void operator()(std::exception_ptr e, Args&&... args)
    {
        group_session_on<SessionExecutor>* s = std::exchange(session_, nullptr);
        s->ended_ = true; // J2: an emission posted before this point now does nothing.
        state_->remove(s);
        s->post_release();
        work_.deliver(handler_, std::move(e), static_cast<Args&&>(args)...);
    }

private:
    Handler handler_;
    session_handler_work<Handler, SessionExecutor> work_;
    group_session_on<SessionExecutor>* session_;
    task_group_state* state_;
};

/// Starts one session; shared by spawn and async_run.
template <typename Handler, typename SessionExecutor, typename F>
void start_group_session(task_group_state* state, Handler&& handler, const SessionExecutor& ex,
                         F&& f)
{
    using handler_type = group_session_handler<std::decay_t<Handler>, SessionExecutor>;
    auto* s = new group_session_on<SessionExecutor>(ex); // Its first reference: the handler's.
    std::optional<handler_type> h;
    try
    {
        h.emplace(static_cast<Handler&&>(handler), s, state);
    }
    catch (...)
    {
        s->release();
        throw;
    }
    s->add_ref(); // Ours until start(): the session may end on another thread first.
    struct ref_guard
    {
        group_session* s;
        ~ref_guard() { s->release(); }
    } guard{s};
    net::co_spawn(ex, static_cast<F&&>(f), std::move(*h));
    h.reset();
    // co_spawn has connected the session's slot: a request recorded meanwhile
    // (or before, J2's "spawn after cancel") is delivered now, on `ex`.
    const net::cancellation_type_t pending = state->start(s);
    if (pending != net::cancellation_type::none)
    {
        s->add_ref();
        s->post_cancel(pending);
    }
}

class initiate_group_spawn
{
public:
    explicit initiate_group_spawn(task_group_state* s) noexcept : state_(s) {}

    template <typename Handler, typename SessionExecutor, typename F>
    void operator()(Handler&& handler, const SessionExecutor& ex, F&& f) const
    {
        start_group_session(state_.get(), static_cast<Handler&&>(handler), ex, static_cast<F&&>(f));
    }

private:
    group_state_ref state_;
};

// ---------------------------------------------------------------------------
// async_join, async_join_for, async_join_until.

template <typename Handler, typename GroupExecutor>
class group_join_handler_op final : public group_join_op
{
public:
    using handler_executor = net::associated_executor_t<Handler, GroupExecutor>;
    using timer_type =
        net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>, GroupExecutor>;

    template <typename H>
    group_join_handler_op(H&& h, const GroupExecutor& ex, task_group_state* state)
        : handler_(static_cast<H&&>(h)), work_(net::get_associated_executor(handler_, ex)),
          slot_(net::get_associated_cancellation_slot(handler_)), state_(state)
    {
        state_->add_ref(); // Released by the destructor.
    }

    static void start(Handler&& handler, const GroupExecutor& ex, task_group_state* state,
                      grace_clock::time_point deadline)
    {
        auto* op = new group_join_handler_op(std::move(handler), ex, state);
        const bool waits = state->add_join(op, [&] {
            if (deadline != grace_clock::time_point::max())
            {
                op->timer_.emplace(ex, deadline);
                op->add_ref();
                op->timer_->async_wait(timer_handler(op));
            }
            if (op->slot_.is_connected())
                op->slot_.template emplace<cancel_handler>(op);
        });
        if (!waits)
            op->complete(group_error_code()); // J3: empty, complete at once (posted).
    }

    void complete(group_error_code ec) override
    {
        auto ex = work_.get_executor();
        net::post(ex, completion(this, ec));
    }

    void stop_timer() noexcept override
    {
        if (timer_)
            timer_->cancel();
    }

private:
    ~group_join_handler_op() { state_->release(); }

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

    class completion
    {
    public:
        completion(group_join_handler_op* op, group_error_code ec) noexcept : op_(op), ec_(ec) {}
        completion(completion&& other) noexcept
            : op_(std::exchange(other.op_, nullptr)), ec_(other.ec_)
        {}
        completion& operator=(completion&&) = delete;
        ~completion()
        {
            if (op_)
                op_->release();
        }
        void operator()()
        {
            group_join_handler_op* op = std::exchange(op_, nullptr);
            op->slot_.clear();
            Handler handler(std::move(op->handler_));
            auto work = std::move(op->work_);
            op->release();
            std::move(handler)(ec_);
        }

    private:
        group_join_handler_op* op_;
        group_error_code ec_;
    };

    class timer_handler
    {
    public:
        explicit timer_handler(group_join_handler_op* op) noexcept : op_(op) {}
        timer_handler(timer_handler&& other) noexcept : op_(std::exchange(other.op_, nullptr)) {}
        timer_handler& operator=(timer_handler&&) = delete;
        ~timer_handler()
        {
            if (op_)
                op_->release();
        }
        void operator()(const group_error_code&)
        {
            group_join_handler_op* op = std::exchange(op_, nullptr);
            if (op->state_->remove_join(op, false))
            {
                // J3: the deadline passed with sessions alive: cut them, stop waiting.
                op->state_->cancel(net::cancellation_type::terminal);
                op->complete(net::error::timed_out);
            }
            op->release();
        }

    private:
        group_join_handler_op* op_;
    };

    class cancel_handler
    {
    public:
        explicit cancel_handler(group_join_handler_op* op) noexcept : op_(op) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            if (op_->state_->remove_join(op_, true))
                op_->complete(net::error::operation_aborted);
        }

    private:
        group_join_handler_op* op_;
    };

    Handler handler_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    task_group_state* state_; // A reference, held by the operation.
    std::optional<timer_type> timer_;
    std::atomic<int> refs_{1};
};

template <typename GroupExecutor>
class initiate_group_join
{
public:
    using executor_type = GroupExecutor;

    initiate_group_join(task_group_state* s, const GroupExecutor& ex) : state_(s), executor_(ex) {}

    executor_type get_executor() const noexcept { return executor_; }

    template <typename Handler>
    void operator()(Handler&& handler, grace_clock::time_point deadline) const
    {
        using op_type = group_join_handler_op<std::decay_t<Handler>, GroupExecutor>;
        std::decay_t<Handler> h(static_cast<Handler&&>(handler));
        op_type::start(std::move(h), executor_, state_.get(), deadline);
    }

private:
    group_state_ref state_;
    GroupExecutor executor_;
};

// ---------------------------------------------------------------------------
// async_run.

template <typename Handler, typename SessionExecutor, typename Signature>
class group_run_op;

/// J4: whichever comes first, the session's result or the caller's
/// cancellation, completes the caller; the other does nothing.
template <typename Handler, typename SessionExecutor, typename... Values>
class group_run_op<Handler, SessionExecutor, void(std::exception_ptr, Values...)>
    : public std::enable_shared_from_this<
          group_run_op<Handler, SessionExecutor, void(std::exception_ptr, Values...)>>
{
public:
    using handler_executor = net::associated_executor_t<Handler, SessionExecutor>;

    template <typename H>
    group_run_op(H&& h, const SessionExecutor& ex)
        : handler_(static_cast<H&&>(h)), work_(net::get_associated_executor(handler_, ex)),
          slot_(net::get_associated_cancellation_slot(handler_))
    {}

    /// Invoked inline on the session's executor when the session ends.
    class session_handler
    {
    public:
        explicit session_handler(std::shared_ptr<group_run_op> op) noexcept : op_(std::move(op)) {}
        template <typename... Args>
        void operator()(std::exception_ptr e, Args&&... args)
        {
            op_->finish(std::move(e), static_cast<Args&&>(args)...);
        }

    private:
        std::shared_ptr<group_run_op> op_;
    };

    class cancel_handler
    {
    public:
        explicit cancel_handler(std::shared_ptr<group_run_op> op) noexcept : op_(std::move(op)) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            // J4: the caller lets go; the session is not told.
            op_->finish(std::make_exception_ptr(group_system_error(
                            net::error::make_error_code(net::error::operation_aborted))),
                        Values()...);
        }

    private:
        std::shared_ptr<group_run_op> op_;
    };

    void connect() { slot_.template emplace<cancel_handler>(this->shared_from_this()); }
    void disconnect() noexcept { slot_.clear(); }

private:
    template <typename... Args>
    void finish(std::exception_ptr e, Args&&... args)
    {
        if (done_.exchange(true, std::memory_order_acq_rel))
            return;
        auto ex = work_.get_executor();
        net::post(ex, [op = this->shared_from_this(), e = std::move(e),
                       t = std::make_tuple(static_cast<Args&&>(args)...)]() mutable {
            op->slot_.clear(); // On the handler's executor, as the emitter is.
            Handler handler(std::move(op->handler_));
            auto work = std::move(op->work_);
            std::apply(
                [&](auto&&... values) {
                    std::move(handler)(std::move(e), static_cast<decltype(values)&&>(values)...);
                },
                std::move(t));
        });
    }

    Handler handler_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    std::atomic<bool> done_{false};
};

class initiate_group_run
{
public:
    explicit initiate_group_run(task_group_state* s) noexcept : state_(s) {}

    template <typename Handler, typename SessionExecutor, typename F>
    void operator()(Handler&& handler, const SessionExecutor& ex, F&& f) const
    {
        using handler_type = std::decay_t<Handler>;
        auto slot = net::get_associated_cancellation_slot(handler);
        if (!slot.is_connected())
        {
            // Nobody can cancel the wait: a plain session.
            start_group_session(state_.get(), static_cast<Handler&&>(handler), ex,
                                static_cast<F&&>(f));
            return;
        }
        using op_type = group_run_op<handler_type, SessionExecutor, session_signature_t<F>>;
        auto op = std::make_shared<op_type>(static_cast<Handler&&>(handler), ex);
        // Connected first: the session may end (and complete the caller) on
        // another thread before start_group_session returns.
        op->connect();
        try
        {
            start_group_session(state_.get(), typename op_type::session_handler(op), ex,
                                static_cast<F&&>(f));
        }
        catch (...)
        {
            op->disconnect();
            throw;
        }
    }

private:
    group_state_ref state_;
};

} // namespace detail

// ---------------------------------------------------------------------------
// basic_task_group.

template <typename Executor>
basic_task_group<Executor>::basic_task_group(const executor_type& ex)
    : executor_(ex), state_(new detail::task_group_state())
{}

template <typename Executor>
basic_task_group<Executor>::basic_task_group(basic_task_group&& other) noexcept
    : executor_(other.executor_), state_(std::exchange(other.state_, nullptr))
{}

template <typename Executor>
basic_task_group<Executor>::~basic_task_group()
{
    if (state_)
    {
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

#endif // ASIO_SHIELD_IMPL_TASK_GROUP_HPP
