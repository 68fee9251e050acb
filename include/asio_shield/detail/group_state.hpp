//
// asio_shield/detail/group_state.hpp
//
// The bookkeeping of basic_task_group, shared by the group object, its live
// sessions and its pending operations: one mutex, one intrusive list type
// (sessions, spawns waiting for a place, joins and shutdowns), the close flag,
// the first exception, the session limit and the shutdown's stage.
//
// One ownership style for everything the group allocates: an intrusive
// reference count, or a single owner, and memory from the associated allocator
// of the handler the object serves.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GROUP_STATE_HPP
#define ASIO_SHIELD_DETAIL_GROUP_STATE_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/system_error.hpp>
#if defined(ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR)
#include <asio/associated_immediate_executor.hpp>
#endif
#else
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/system_error.hpp>
#if defined(ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR)
#include <boost/asio/associated_immediate_executor.hpp>
#endif
#endif

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

#if defined(ASIO_SHIELD_STANDALONE)
using group_error_code = std::error_code;
using group_system_error = std::system_error;
#else
using group_error_code = boost::system::error_code;
using group_system_error = boost::system::system_error;
#endif

// ---------------------------------------------------------------------------
// Memory and completions, written once for every operation of the group.

/// Allocates and constructs a `T` with `alloc` rebound to it.
template <typename T, typename Allocator, typename... Args>
T* group_new(const Allocator& alloc, Args&&... args)
{
    using rebound = typename std::allocator_traits<Allocator>::template rebind_alloc<T>;
    rebound a(alloc);
    T* p = std::allocator_traits<rebound>::allocate(a, 1);
    try
    {
        std::allocator_traits<rebound>::construct(a, p, static_cast<Args&&>(args)...);
    }
    catch (...)
    {
        std::allocator_traits<rebound>::deallocate(a, p, 1);
        throw;
    }
    return p;
}

/// Destroys and frees a `T` made by group_new with (a copy of) `alloc`.
template <typename T, typename Allocator>
void group_delete(T* p, Allocator alloc) noexcept
{
    using rebound = typename std::allocator_traits<Allocator>::template rebind_alloc<T>;
    rebound a(alloc);
    std::allocator_traits<rebound>::destroy(a, p);
    std::allocator_traits<rebound>::deallocate(a, p, 1);
}

/// A handler and its arguments, ready to be posted: keeps the handler's
/// associated allocator (the executor is the one it is posted to).
template <typename Handler, typename... Args>
class group_completion
{
public:
    using allocator_type = net::associated_allocator_t<Handler>;

    template <typename H, typename... A>
    explicit group_completion(H&& h, A&&... args)
        : handler_(static_cast<H&&>(h)), args_(static_cast<A&&>(args)...)
    {}

    allocator_type get_allocator() const noexcept
    {
        return net::get_associated_allocator(handler_);
    }

    void operator()() { std::apply(std::move(handler_), std::move(args_)); }

private:
    Handler handler_;
    std::tuple<Args...> args_;
};

/// What every handler of the group's own holds: one reference to the
/// operation it serves (`Op::drop(op)` gives it up). It moves with the
/// handler, is given up if the handler is destroyed unrun (its executor's
/// context went first, R2), and is handed over by `take()` when it runs.
template <typename Op>
class group_op_handler
{
public:
    explicit group_op_handler(Op* op) noexcept : op_(op) {}
    group_op_handler(group_op_handler&& other) noexcept : op_(std::exchange(other.op_, nullptr)) {}
    group_op_handler& operator=(group_op_handler&&) = delete;
    ~group_op_handler()
    {
        if (op_)
            Op::drop(op_);
    }

protected:
    Op* op() const noexcept { return op_; }
    Op* take() noexcept { return std::exchange(op_, nullptr); }

private:
    Op* op_;
};

/// The posted completion of an operation that keeps its user's handler,
/// the work on the handler's executor and its cancellation slot (`handler_`,
/// `work_`, `slot_`): with the handler's associated allocator; on the
/// handler's executor it clears the slot (the emitter's executor), takes the
/// handler and the work out, gives up its reference and calls
/// `Op::invoke(handler, args...)`.
template <typename Op, typename... Args>
class group_op_completion : public group_op_handler<Op>
{
public:
    using allocator_type = typename Op::allocator_type;

    template <typename... A>
    explicit group_op_completion(Op* op, A&&... args)
        : group_op_handler<Op>(op), args_(static_cast<A&&>(args)...)
    {}

    allocator_type get_allocator() const noexcept
    {
        return net::get_associated_allocator(this->op()->handler_);
    }

    void operator()()
    {
        Op* op = this->take();
        if (op->slot_.is_connected())
            op->slot_.clear();
        auto handler(std::move(op->handler_));
        auto work = std::move(op->work_);
        Op::drop(op);
        std::apply([&](auto&&... a) { Op::invoke(handler, static_cast<decltype(a)&&>(a)...); },
                   std::move(args_));
    }

private:
    std::tuple<Args...> args_;
};

/// Delivers `args` to `handler` on its associated executor (`ex` by
/// default), never inside the current call (J10): through the handler's
/// immediate executor where Asio has one, else by a post.
template <typename Handler, typename Executor, typename... Args>
void group_complete_soon(Handler&& handler, const Executor& ex, Args&&... args)
{
    using completion = group_completion<std::decay_t<Handler>, std::decay_t<Args>...>;
#if defined(ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR)
    auto handler_ex = net::get_associated_executor(handler, ex);
    auto immediate = net::get_associated_immediate_executor(handler, handler_ex);
    net::dispatch(immediate,
                  completion(static_cast<Handler&&>(handler), static_cast<Args&&>(args)...));
#else
    auto handler_ex = net::get_associated_executor(handler, ex);
    net::post(handler_ex,
              completion(static_cast<Handler&&>(handler), static_cast<Args&&>(args)...));
#endif
}

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

/// `std::exception_ptr` holding `system_error(ec)`, as co_spawn reports errors.
inline std::exception_ptr group_exception(const group_error_code& ec)
{
    return std::make_exception_ptr(group_system_error(ec));
}

// ---------------------------------------------------------------------------
// The one list.

/// The links of a node of a group_list; `linked_` says whether it is in one.
template <typename Node>
struct group_link
{
    Node* prev_ = nullptr;
    Node* next_ = nullptr;
    bool linked_ = false;
};

/// An intrusive doubly linked list in arrival order. Not thread-safe: the
/// group's mutex guards every list of the group.
template <typename Node>
class group_list
{
public:
    bool empty() const noexcept { return head_ == nullptr; }

    void push_back(Node* n) noexcept
    {
        n->prev_ = tail_;
        n->next_ = nullptr;
        n->linked_ = true;
        if (tail_)
            tail_->next_ = n;
        else
            head_ = n;
        tail_ = n;
    }

    void erase(Node* n) noexcept
    {
        if (n->prev_)
            n->prev_->next_ = n->next_;
        else
            head_ = n->next_;
        if (n->next_)
            n->next_->prev_ = n->prev_;
        else
            tail_ = n->prev_;
        n->prev_ = n->next_ = nullptr;
        n->linked_ = false;
    }

    Node* pop_front() noexcept
    {
        Node* n = head_;
        if (n)
            erase(n);
        return n;
    }

    /// Calls `f(node)` for each node; `f` must not unlink any.
    template <typename F>
    void for_each(F&& f) const
    {
        for (Node* n = head_; n; n = n->next_)
            f(n);
    }

    /// Unlinks the nodes for which `pred(node)` holds and returns them as a
    /// chain through `next_`, in order.
    template <typename Pred>
    Node* take_if(Pred&& pred) noexcept
    {
        Node* first = nullptr;
        Node* last = nullptr;
        for (Node* n = head_; n;)
        {
            Node* next = n->next_;
            if (pred(n))
            {
                erase(n);
                if (last)
                    last->next_ = n;
                else
                    first = n;
                last = n;
            }
            n = next;
        }
        return first;
    }

    Node* take_all() noexcept
    {
        return take_if([](Node*) { return true; });
    }

private:
    Node* head_ = nullptr;
    Node* tail_ = nullptr;
};

/// Calls `f(node)` on each node of a chain from take_if(); `f` may free it.
template <typename Node, typename F>
void group_for_chain(Node* n, F&& f)
{
    while (n)
    {
        Node* next = n->next_;
        n->next_ = nullptr;
        f(n);
        n = next;
    }
}

// ---------------------------------------------------------------------------
// The nodes.

/// One session: a node of the group's session list, and the signal bound to
/// the session's co_spawn. Reference counted: the session's completion
/// handler holds one reference, each posted cancellation one more.
class group_session : public group_link<group_session>
{
public:
    group_session() = default;
    group_session(const group_session&) = delete;
    group_session& operator=(const group_session&) = delete;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            destroy();
    }
    static void drop(group_session* s) noexcept { s->release(); }

    /// Posts the emission of `type` to the session's executor, inside an
    /// expiry::scope when `expired` (T7); consumes one reference.
    virtual void post_cancel(net::cancellation_type_t type, bool expired) = 0;

    /// Emits on the session's executor, unless the session ended (J2).
    void emit(net::cancellation_type_t type, bool expired)
    {
        if (ended_)
            return;
        if (expired)
        {
            // T7: the protections this reaches know the shutdown's grace
            // period has passed and give way at once.
            expiry::scope passed(nullptr);
            signal_.emit(type);
        }
        else
            signal_.emit(type);
    }

    // Guarded by the group's mutex: requests that came while co_spawn had
    // not yet connected the slot, and whether it has.
    net::cancellation_type_t pending_ = net::cancellation_type::none;
    bool pending_expired_ = false;
    bool started_ = false;
    // Written and read on the session's executor only: the emission and the
    // session's end are serialised there.
    bool ended_ = false;
    net::cancellation_signal signal_;

protected:
    virtual ~group_session() = default;
    virtual void destroy() noexcept = 0;

private:
    std::atomic<std::size_t> refs_{1};
};

/// What a join or a shutdown completes with.
struct group_outcome
{
    group_error_code ec;      // timed_out, operation_aborted, or success.
    std::exception_ptr first; // The group's first kept exception (J7).
    std::size_t left = 0;     // Sessions still running (J6).
};

/// A pending join or shutdown: a node of the group's waiter list.
class group_waiter : public group_link<group_waiter>
{
public:
    explicit group_waiter(bool shutdown) noexcept : shutdown_(shutdown) {}

    /// Unlinked already: delivers the outcome (posted); the list's reference
    /// goes with it.
    virtual void complete(const group_outcome& outcome) = 0;

    /// Called under the group's mutex when the waiter leaves the list, so
    /// that a deadline of its own is stopped by the one thread holding it.
    virtual void unlinked() noexcept {}

    const bool shutdown_; // Completed by the shutdown's hard stage too (J6).

protected:
    ~group_waiter() = default;
};

/// A spawn waiting for a free place (J8): a node of the group's queue.
class group_queued_spawn : public group_link<group_queued_spawn>
{
public:
    /// Unlinked, a place reserved for it: starts the session (posted).
    virtual void start() = 0;
    /// Unlinked, no place: completes the spawn with `ec` (posted).
    virtual void reject(group_error_code ec) = 0;

protected:
    ~group_queued_spawn() = default;
};

class task_group_state;

/// J5: `error::group_closed`; J7: `error::session_failed` (defined with the
/// error category).
inline group_error_code group_closed_error() noexcept;
inline group_error_code group_session_failed_error() noexcept;

/// The shutdown's stage deadline on the group's executor (J6): a
/// locked_deadline (detail/deadline.hpp) behind a virtual call, since the
/// state does not know the executor's type. Every call is made under the
/// group's mutex; it belongs to the state.
class group_deadline_base
{
public:
    virtual ~group_deadline_base() = default;
    virtual void start(task_group_state* state, grace_duration after) = 0;
    virtual void stop() noexcept = 0;
    virtual bool current(unsigned generation) const noexcept = 0;
};

// ---------------------------------------------------------------------------
// The shared state.

class task_group_state
{
public:
    enum class admission
    {
        closed,  // J5: refuse.
        started, // A place is reserved: start now.
        full     // J8: wait for a place.
    };

    task_group_state(std::size_t limit, net::cancellation_type_t on_error) noexcept
        : limit_(limit), on_error_(on_error)
    {}
    task_group_state(const task_group_state&) = delete;
    task_group_state& operator=(const task_group_state&) = delete;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

    std::size_t size() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return places_;
    }

    std::exception_ptr first_exception() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return first_error_;
    }

    bool is_open() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return !closed_;
    }

    /// J2: one posted emission per live session.
    void cancel(net::cancellation_type_t type, bool expired = false)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        cancel_locked(type, expired);
    }

    /// J5: no spawn is admitted from now on; spawns waiting for a place are
    /// refused; joins complete once the group is empty.
    void close()
    {
        group_queued_spawn* refused = nullptr;
        group_waiter* done = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            refused = close_locked();
            done = take_done_locked();
        }
        refuse(refused);
        complete_done(done);
    }

    // -- Spawn (J1, J5, J8).

    /// Reserves a place for a session, unless the group is closed or full.
    admission admit()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_)
            return admission::closed;
        if (places_ >= limit_)
            return admission::full;
        ++places_;
        return admission::started;
    }

    /// Queues a spawn for a place (J8), or reserves one if a place freed
    /// meanwhile. `arm` runs under the mutex once the spawn is queued.
    template <typename Arm>
    admission enqueue(group_queued_spawn* q, Arm&& arm)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_)
            return admission::closed;
        if (places_ < limit_)
        {
            ++places_;
            return admission::started;
        }
        queue_.push_back(q);
        arm();
        return admission::full;
    }

    /// Takes a queued spawn out (its caller cancelled it); false if it has
    /// been started or refused already.
    bool dequeue(group_queued_spawn* q) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!q->linked_)
            return false;
        queue_.erase(q);
        return true;
    }

    /// Links a session that co_spawn is about to start, in a reserved place.
    /// It holds a reference to the state until it leaves.
    void add(group_session* s)
    {
        add_ref();
        std::lock_guard<std::mutex> lock(mutex_);
        s->pending_ = requested_;
        s->pending_expired_ = expired_;
        sessions_.push_back(s);
    }

    /// co_spawn has connected the session's slot: from now on cancel() posts
    /// to it. Posts what was requested before (nothing if it already ended).
    void start(group_session* s)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        s->started_ = true;
        if (s->linked_ && s->pending_ != net::cancellation_type::none)
        {
            s->add_ref();
            s->post_cancel(std::exchange(s->pending_, net::cancellation_type::none),
                           s->pending_expired_);
        }
    }

    /// The session has ended: unlinks it, keeps `error` if it is the first
    /// (J7), frees its place, and drops the session's reference to the state.
    void remove(group_session* s, std::exception_ptr error) noexcept
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            sessions_.erase(s);
            if (error && !first_error_)
            {
                first_error_ = std::move(error);
                // J7's policy: the other sessions are told at once.
                if (on_error_ != net::cancellation_type::none)
                    cancel_locked(on_error_, false);
            }
        }
        free_place();
        release();
    }

    /// A reserved place is given back: the next queued spawn gets it (J8), or
    /// the joins complete if the group is closed and now empty (J5).
    void free_place() noexcept
    {
        group_queued_spawn* next = nullptr;
        group_waiter* done = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            --places_;
            if (!closed_ && places_ < limit_)
            {
                next = queue_.pop_front();
                if (next)
                    ++places_;
            }
            done = take_done_locked();
        }
        if (next)
            next->start();
        complete_done(done);
    }

    // -- Join and shutdown (J5, J6).

    /// Links a join unless the group is closed and empty; false: complete it
    /// now with `outcome()`. `arm` runs under the mutex once it is linked.
    template <typename Arm>
    bool add_waiter(group_waiter* w, Arm&& arm)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_ && places_ == 0)
            return false;
        waiters_.push_back(w);
        arm();
        return true;
    }

    /// Unlinks a waiter if it is still waiting (the caller then completes it).
    bool remove_waiter(group_waiter* w) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!w->linked_)
            return false;
        waiters_.erase(w);
        w->unlinked();
        return true;
    }

    /// What a join or shutdown completing now reports.
    group_outcome outcome(group_error_code ec = {}) const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return group_outcome{ec, first_error_, places_};
    }

    /// J6: the first call closes, requests `graceful` and starts the grace
    /// stage's deadline (made by `make_deadline` on the group's executor); a later call
    /// moves to the hard stage at once. `w` waits for the end.
    /// Returns false if `w` was not linked: the caller completes it now with
    /// outcome(shutdown_code()). `arm` runs under the mutex once it is linked.
    template <typename Arm, typename MakeDeadline>
    bool shutdown(group_waiter* w, net::cancellation_type_t graceful, grace_duration grace,
                  grace_duration hard, Arm&& arm, MakeDeadline&& make_deadline)
    {
        group_queued_spawn* refused = nullptr;
        group_waiter* done = nullptr;
        bool now = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            switch (stage_)
            {
            case stage::none:
                refused = close_locked();
                stage_ = stage::graceful;
                hard_ = hard;
                cancel_locked(graceful, false);
                if (places_ == 0)
                {
                    stage_ = stage::over;
                    done = take_done_locked();
                    now = true;
                    break;
                }
                waiters_.push_back(w);
                arm();
                if (!deadline_)
                    deadline_ = make_deadline();
                deadline_->start(this, grace);
                break;
            case stage::graceful:
            case stage::terminal:
                // J6: asking again ends it now.
                waiters_.push_back(w);
                arm();
                done = hard_stage_locked();
                break;
            case stage::over:
                now = true;
                break;
            }
        }
        refuse(refused);
        complete_done(done);
        return !now;
    }

    /// What a shutdown reports: success once every session has ended, else
    /// timed_out (J6).
    group_error_code shutdown_code() const { return over_code(); }

    /// A stage's deadline came due (J6), unless it was re-armed or stopped
    /// since `generation`.
    void on_deadline(unsigned generation) noexcept
    {
        group_waiter* done = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!deadline_->current(generation))
                return;
            if (stage_ == stage::graceful)
            {
                // J6, T7: terminal, marked as a passed deadline.
                stage_ = stage::terminal;
                cancel_locked(net::cancellation_type::terminal, true);
                try
                {
                    deadline_->start(this, hard_);
                }
                catch (...)
                {
                    done = hard_stage_locked(); // No wait: the hard stage now.
                }
            }
            else if (stage_ == stage::terminal)
                done = hard_stage_locked();
        }
        complete_done(done);
    }

private:
    enum class stage
    {
        none,
        graceful,
        terminal,
        over
    };

    ~task_group_state() { delete deadline_; }

    void cancel_locked(net::cancellation_type_t type, bool expired)
    {
        requested_ = requested_ | type;
        expired_ = expired_ || expired;
        sessions_.for_each([&](group_session* s) {
            if (s->started_)
            {
                s->add_ref();
                s->post_cancel(type, expired);
            }
            else
            {
                // start() delivers it once co_spawn returns.
                s->pending_ = s->pending_ | type;
                s->pending_expired_ = s->pending_expired_ || expired;
            }
        });
    }

    group_queued_spawn* close_locked() noexcept
    {
        closed_ = true;
        return queue_.take_all();
    }

    /// J6's hard stage: terminal (marked) if not yet requested, and every
    /// shutdown completes now with the sessions still running.
    group_waiter* hard_stage_locked() noexcept
    {
        if (stage_ == stage::graceful)
            cancel_locked(net::cancellation_type::terminal, true);
        stage_ = stage::over;
        if (deadline_)
            deadline_->stop();
        return take_waiters_locked([](group_waiter* w) { return w->shutdown_; });
    }

    /// Every waiter, when the group is closed and empty (J5).
    group_waiter* take_done_locked() noexcept
    {
        if (!closed_ || places_ != 0)
            return nullptr;
        if (stage_ != stage::none && stage_ != stage::over)
        {
            stage_ = stage::over;
            if (deadline_)
                deadline_->stop();
        }
        return take_waiters_locked([](group_waiter*) { return true; });
    }

    template <typename Pred>
    group_waiter* take_waiters_locked(Pred&& pred) noexcept
    {
        group_waiter* chain = waiters_.take_if(pred);
        for (group_waiter* w = chain; w; w = w->next_)
            w->unlinked();
        return chain;
    }

    group_error_code over_code() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return places_ == 0 ? group_error_code() : group_error_code(net::error::timed_out);
    }

    void refuse(group_queued_spawn* chain) noexcept
    {
        group_for_chain(chain, [](group_queued_spawn* q) { q->reject(group_closed_error()); });
    }

    void complete_done(group_waiter* chain) noexcept
    {
        if (!chain)
            return;
        const group_outcome result = outcome(over_code());
        group_for_chain(chain, [&](group_waiter* w) { w->complete(result); });
    }

    mutable std::mutex mutex_;
    group_list<group_session> sessions_;
    group_list<group_queued_spawn> queue_;
    group_list<group_waiter> waiters_;
    std::size_t places_ = 0; // Sessions running, or starting in a reserved place.
    const std::size_t limit_;
    const net::cancellation_type_t on_error_;
    net::cancellation_type_t requested_ = net::cancellation_type::none;
    bool expired_ = false; // T7: a terminal request of the shutdown's was among them.
    bool closed_ = false;
    std::exception_ptr first_error_;
    stage stage_ = stage::none;
    grace_duration hard_ = grace_duration::zero();
    group_deadline_base* deadline_ = nullptr;
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
    group_state_ref& operator=(const group_state_ref&) = delete;
    ~group_state_ref() { state_->release(); }
    task_group_state* get() const noexcept { return state_; }

private:
    task_group_state* state_;
};

/// The hooks of the shutdown's stage deadline: each pending wait holds a
/// reference to the state.
struct group_stage_hooks
{
    static void retain(void* s) noexcept { static_cast<task_group_state*>(s)->add_ref(); }
    static void release(void* s) noexcept { static_cast<task_group_state*>(s)->release(); }
    static void on_deadline(void* s, unsigned generation)
    {
        static_cast<task_group_state*>(s)->on_deadline(generation);
    }
};

template <typename Executor>
class group_deadline final : public group_deadline_base
{
public:
    explicit group_deadline(const Executor& ex) : deadline_(ex) {}

    void start(task_group_state* state, grace_duration after) override
    {
        // The state's own memory, not an operation's: the default allocator.
        deadline_.template start<group_stage_hooks>(grace_spec{after}, state,
                                                    std::allocator<void>());
    }
    void stop() noexcept override { deadline_.stop(); }
    bool current(unsigned generation) const noexcept override
    {
        return deadline_.current(generation);
    }

private:
    locked_deadline<Executor> deadline_;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GROUP_STATE_HPP
