//
// asio_shield/detail/group_spawn.hpp
//
// Starting sessions: the session node, co_spawn's handler for it, a spawn
// refused by a closed group (J5) or waiting for a free place (J8), and
// async_run (J4).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GROUP_SPAWN_HPP
#define ASIO_SHIELD_DETAIL_GROUP_SPAWN_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/group_state.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#else
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

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

/// The handler `report_to_group` makes: does nothing; the group keeps the
/// session's exception instead (J7).
struct group_report_handler
{
    template <typename... Args>
    void operator()(std::exception_ptr, Args&&...) const noexcept
    {}
};

template <typename Handler>
inline constexpr bool reports_to_group = std::is_same_v<Handler, group_report_handler>;

/// Calls `handler` as a session that never started, with `ec`: an
/// exception_ptr holding `system_error(ec)` and value-initialised values.
template <typename Handler, typename... Values>
void group_invoke_refused(Handler& handler, const group_error_code& ec,
                          void (*)(std::exception_ptr, Values...))
{
    std::move(handler)(group_exception(ec), Values()...);
}

/// The same, never inline (J10), on the handler's executor.
template <typename Handler, typename Executor, typename... Values>
void group_refuse_soon(Handler&& handler, const Executor& ex, const group_error_code& ec,
                       void (*)(std::exception_ptr, Values...))
{
    group_complete_soon(static_cast<Handler&&>(handler), ex, group_exception(ec), Values()...);
}

/// Stands for "no executor of its own" in associated_executor queries.
struct no_associated_executor
{};

/// Whether `Handler` names an executor of its own (else it runs where it is invoked).
template <typename Handler>
inline constexpr bool has_own_executor =
    !std::is_same_v<net::associated_executor_t<Handler, no_associated_executor>,
                    no_associated_executor>;

// ---------------------------------------------------------------------------
// Sessions.

/// Posted to a session's executor by cancel(): the signal is emitted there,
/// and only if the session is still running (J2).
class group_cancel_op : public group_op_handler<group_session>
{
public:
    group_cancel_op(group_session* s, net::cancellation_type_t type, bool expired) noexcept
        : group_op_handler<group_session>(s), type_(type), expired_(expired)
    {}

    void operator()()
    {
        group_session* s = take();
        s->emit(type_, expired_);
        group_session::drop(s);
    }

private:
    net::cancellation_type_t type_;
    bool expired_;
};

/// Posted to a session's executor when it ends: co_spawn's own cancellation
/// handler lives in the session's signal and is still in use while the
/// completion handler runs, so the signal goes only after that.
class group_release_op : public group_op_handler<group_session>
{
public:
    using group_op_handler<group_session>::group_op_handler;
    void operator()() { group_session::drop(take()); }
};

/// The session node, allocated with the spawn handler's allocator.
template <typename SessionExecutor, typename Allocator>
class group_session_on final : public group_session
{
public:
    group_session_on(const SessionExecutor& ex, const Allocator& alloc)
        : executor_(ex), allocator_(alloc)
    {}

    void post_cancel(net::cancellation_type_t type, bool expired) override
    {
        net::post(executor_, group_cancel_op(this, type, expired));
    }

    void post_release() { net::post(executor_, group_release_op(this)); }

    SessionExecutor executor_;

private:
    void destroy() noexcept override { group_delete(this, Allocator(allocator_)); }

    Allocator allocator_;
};

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
        // As co_spawn does: the handler runs on its own executor, with its
        // own allocator.
        auto ex = work_.get_executor();
        net::dispatch(ex, group_completion<Handler, std::decay_t<Args>...>(
                              std::move(handler), static_cast<Args&&>(args)...));
        work_.reset();
    }

    group_work<executor_type> work_;
};

/// co_spawn's handler for a session: bound to the session's executor and
/// signal; removes the session from the group, then calls the user's handler
/// (or, for `report_to_group`, hands the exception to the group, J7).
template <typename Handler, typename SessionExecutor>
class group_session_handler
{
public:
    using executor_type = SessionExecutor;
    using cancellation_slot_type = net::cancellation_slot;
    using allocator_type = net::associated_allocator_t<Handler>;
    using node_type = group_session_on<SessionExecutor, allocator_type>;

    template <typename H>
    group_session_handler(H&& h, node_type* s, task_group_state* state)
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
        if (node_type* s = std::exchange(session_, nullptr))
        {
            s->ended_ = true;
            state_->remove(s, nullptr);
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
        node_type* s = std::exchange(session_, nullptr);
        s->ended_ = true; // J2: an emission posted before this point now does nothing.
        if constexpr (reports_to_group<Handler>)
        {
            state_->remove(s, std::move(e)); // J7: kept by the group.
            s->post_release();
        }
        else
        {
            state_->remove(s, nullptr);
            s->post_release();
            work_.deliver(handler_, std::move(e), static_cast<Args&&>(args)...);
        }
    }

private:
    Handler handler_;
    session_handler_work<Handler, SessionExecutor> work_;
    node_type* session_;
    task_group_state* state_;
};

/// Starts one session in a place reserved for it.
template <typename Handler, typename SessionExecutor, typename F>
void start_group_session(task_group_state* state, Handler&& handler, const SessionExecutor& ex,
                         F&& f)
{
    using handler_type = group_session_handler<std::decay_t<Handler>, SessionExecutor>;
    using node_type = typename handler_type::node_type;
    node_type* s = nullptr;
    std::optional<handler_type> h;
    try
    {
        const auto alloc = net::get_associated_allocator(handler);
        s = group_new<node_type>(alloc, ex, alloc); // Its first reference: the handler's.
        h.emplace(static_cast<Handler&&>(handler), s, state);
    }
    catch (...)
    {
        if (s)
            s->release();
        state->free_place();
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
    state->start(s);
}

// ---------------------------------------------------------------------------
// A spawn waiting for a place (J8).

template <typename Handler, typename SessionExecutor, typename F>
class group_queued_spawn_op final : public group_queued_spawn
{
public:
    using allocator_type = net::associated_allocator_t<Handler>;
    using handler_executor = net::associated_executor_t<Handler, SessionExecutor>;

    template <typename H, typename G>
    group_queued_spawn_op(H&& h, const SessionExecutor& ex, G&& f, task_group_state* state)
        : handler_(static_cast<H&&>(h)), work_(net::get_associated_executor(handler_, ex)),
          slot_(net::get_associated_cancellation_slot(handler_)), executor_(ex),
          f_(static_cast<G&&>(f)), state_(state)
    {}

    /// Queues the spawn; starts or refuses it if the group changed meanwhile.
    template <typename H, typename G>
    static void queue(H&& h, const SessionExecutor& ex, G&& f, task_group_state* state)
    {
        const allocator_type alloc = net::get_associated_allocator(h);
        auto* op = group_new<group_queued_spawn_op>(alloc, static_cast<H&&>(h), ex,
                                                    static_cast<G&&>(f), state);
        switch (state->enqueue(op, [&] {
            if (op->slot_.is_connected())
                op->slot_.template emplace<cancel_handler>(op);
        }))
        {
        case task_group_state::admission::full:
            return;
        case task_group_state::admission::closed:
            op->reject(group_closed_error());
            return;
        case task_group_state::admission::started:
            op->start_here();
            return;
        }
    }

    void start() override
    {
        placed_ = true;
        net::post(work_.get_executor(), starter(this));
    }

    void reject(group_error_code ec) override
    {
        net::post(work_.get_executor(), refuser(this, ec));
    }

private:
    /// On the handler's executor (where its slot is emitted): the slot is
    /// cleared, the node freed, then the session started in its place.
    void start_here()
    {
        if (slot_.is_connected())
            slot_.clear();
        Handler handler(std::move(handler_));
        std::decay_t<F> f(std::move(f_));
        const SessionExecutor ex = executor_;
        group_state_ref state = state_;
        auto work = std::move(work_); // Until the session holds work of its own.
        group_delete(this, allocator_type(net::get_associated_allocator(handler)));
        start_group_session(state.get(), std::move(handler), ex, std::move(f));
    }

    void refuse_here(group_error_code ec)
    {
        if (slot_.is_connected())
            slot_.clear();
        Handler handler(std::move(handler_));
        auto work = std::move(work_);
        group_delete(this, allocator_type(net::get_associated_allocator(handler)));
        group_invoke_refused(handler, ec, static_cast<session_signature_t<F>*>(nullptr));
    }

    void discard() noexcept
    {
        group_delete(this, allocator_type(net::get_associated_allocator(handler_)));
    }

    friend group_op_handler<group_queued_spawn_op>;

    /// A starter or refuser never run (the context went first): the node
    /// goes, and a starter's place goes back.
    static void drop(group_queued_spawn_op* op) noexcept
    {
        group_state_ref state = op->state_;
        const bool placed = op->placed_;
        op->discard();
        if (placed)
            state.get()->free_place();
    }

    /// The posts that start or refuse it: with the user's handler's
    /// allocator, like the node itself.
    class posted : public group_op_handler<group_queued_spawn_op>
    {
    public:
        using allocator_type = typename group_queued_spawn_op::allocator_type;
        using group_op_handler<group_queued_spawn_op>::group_op_handler;
        allocator_type get_allocator() const noexcept
        {
            return net::get_associated_allocator(this->op()->handler_);
        }
    };

    class starter : public posted
    {
    public:
        using posted::posted;
        void operator()() { this->take()->start_here(); }
    };

    class refuser : public posted
    {
    public:
        refuser(group_queued_spawn_op* op, group_error_code ec) noexcept : posted(op), ec_(ec) {}
        void operator()() { this->take()->refuse_here(ec_); }

    private:
        group_error_code ec_;
    };

    /// J8: the waiting spawn is cancellable; the session never starts.
    class cancel_handler
    {
    public:
        explicit cancel_handler(group_queued_spawn_op* op) noexcept : op_(op) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            if (op_->state_.get()->dequeue(op_))
                op_->reject(net::error::operation_aborted);
        }

    private:
        group_queued_spawn_op* op_;
    };

    Handler handler_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    SessionExecutor executor_;
    std::decay_t<F> f_;
    group_state_ref state_;
    bool placed_ = false; // A place is reserved for it (start()).
};

/// spawn and async_run: refused by a closed group (J5), started in a free
/// place, or queued for one (J8).
template <typename Handler, typename SessionExecutor, typename F>
void group_spawn(task_group_state* state, Handler&& handler, const SessionExecutor& ex, F&& f)
{
    switch (state->admit())
    {
    case task_group_state::admission::closed:
        group_refuse_soon(static_cast<Handler&&>(handler), ex, group_closed_error(),
                          static_cast<session_signature_t<F>*>(nullptr));
        return;
    case task_group_state::admission::started:
        start_group_session(state, static_cast<Handler&&>(handler), ex, static_cast<F&&>(f));
        return;
    case task_group_state::admission::full:
        group_queued_spawn_op<std::decay_t<Handler>, SessionExecutor, F>::queue(
            static_cast<Handler&&>(handler), ex, static_cast<F&&>(f), state);
        return;
    }
}

class initiate_group_spawn
{
public:
    explicit initiate_group_spawn(task_group_state* s) noexcept : state_(s) {}

    template <typename Handler, typename SessionExecutor, typename F>
    void operator()(Handler&& handler, const SessionExecutor& ex, F&& f) const
    {
        group_spawn(state_.get(), static_cast<Handler&&>(handler), ex, static_cast<F&&>(f));
    }

private:
    group_state_ref state_;
};

// ---------------------------------------------------------------------------
// async_run (J4).

template <typename Handler, typename SessionExecutor, typename Signature>
class group_run_op;

/// J4: whichever comes first, the session's result or the caller's
/// cancellation, completes the caller; the other does nothing. Reference
/// counted: the session's handler, and the posted completion.
template <typename Handler, typename SessionExecutor, typename... Values>
class group_run_op<Handler, SessionExecutor, void(std::exception_ptr, Values...)>
{
public:
    using allocator_type = net::associated_allocator_t<Handler>;
    using handler_executor = net::associated_executor_t<Handler, SessionExecutor>;

    template <typename H>
    group_run_op(H&& h, const SessionExecutor& ex)
        : handler_(static_cast<H&&>(h)), work_(net::get_associated_executor(handler_, ex)),
          slot_(net::get_associated_cancellation_slot(handler_))
    {}

    template <typename H>
    static group_run_op* create(H&& h, const SessionExecutor& ex)
    {
        const allocator_type alloc = net::get_associated_allocator(h);
        return group_new<group_run_op>(alloc, static_cast<H&&>(h), ex);
    }

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            group_delete(this, allocator_type(net::get_associated_allocator(handler_)));
    }

    static void drop(group_run_op* op) noexcept { op->release(); }

    /// Invoked inline on the session's executor when the session ends; holds
    /// a reference.
    class session_handler : public group_op_handler<group_run_op>
    {
    public:
        // The session node is allocated with it: the caller's allocator.
        using allocator_type = net::associated_allocator_t<Handler>;
        using group_op_handler<group_run_op>::group_op_handler;
        allocator_type get_allocator() const noexcept
        {
            return net::get_associated_allocator(this->op()->handler_);
        }
        template <typename... Args>
        void operator()(std::exception_ptr e, Args&&... args)
        {
            group_run_op* op = this->take();
            op->finish(std::move(e), static_cast<Args&&>(args)...);
            op->release();
        }
    };

    /// In the caller's slot until the completion clears it, which keeps the
    /// op alive meanwhile.
    class cancel_handler
    {
    public:
        explicit cancel_handler(group_run_op* op) noexcept : op_(op) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            // J4: the caller lets go; the session is not told.
            op_->finish(group_exception(net::error::operation_aborted), Values()...);
        }

    private:
        group_run_op* op_;
    };

    void connect() { slot_.template emplace<cancel_handler>(this); }
    void disconnect() noexcept { slot_.clear(); }

private:
    using completion =
        group_op_completion<group_run_op, std::exception_ptr, std::decay_t<Values>...>;
    friend completion;

    template <typename... Args>
    static void invoke(Handler& handler, std::exception_ptr e, Args&&... args)
    {
        std::move(handler)(std::move(e), static_cast<Args&&>(args)...);
    }

    template <typename... Args>
    void finish(std::exception_ptr e, Args&&... args)
    {
        if (done_.exchange(true, std::memory_order_acq_rel))
            return;
        add_ref(); // The completion's.
        auto ex = work_.get_executor();
        net::post(ex, completion(this, std::move(e), static_cast<Args&&>(args)...));
    }

    Handler handler_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    std::atomic<bool> done_{false};
    std::atomic<std::size_t> refs_{1};
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
            group_spawn(state_.get(), static_cast<Handler&&>(handler), ex, static_cast<F&&>(f));
            return;
        }
        using op_type = group_run_op<handler_type, SessionExecutor, session_signature_t<F>>;
        op_type* op = op_type::create(static_cast<Handler&&>(handler), ex);
        // Ours until the end of the call; the other goes to the session.
        op->add_ref();
        struct ref_guard
        {
            op_type* op;
            ~ref_guard() { op->release(); }
        } guard{op};
        // Connected first: the session may end (and complete the caller) on
        // another thread before group_spawn returns.
        op->connect();
        try
        {
            group_spawn(state_.get(), typename op_type::session_handler(op), ex,
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
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GROUP_SPAWN_HPP
