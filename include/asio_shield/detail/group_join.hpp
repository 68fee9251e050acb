//
// asio_shield/detail/group_join.hpp
//
// Waiting for the group: the pending operation behind async_join,
// async_join_for, async_join_until (J3, J5, J7) and async_shutdown (J6).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GROUP_JOIN_HPP
#define ASIO_SHIELD_DETAIL_GROUP_JOIN_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/group_state.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_cancellation_slot.hpp>
#else
#include <boost/asio/associated_cancellation_slot.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// The join's signature: success, `error::session_failed` when the group
/// keeps an exception (J7), `timed_out` or `operation_aborted`.
using group_join_signature = void(group_error_code);

/// J7: what a join reports for an outcome.
inline group_error_code group_join_code(const group_outcome& o) noexcept
{
    if (o.ec)
        return o.ec;
    return o.first ? group_session_failed_error() : group_error_code();
}

/// The shutdown's signature: success or timed_out (J6) or operation_aborted,
/// and the number of sessions still running.
using group_shutdown_signature = void(group_error_code, std::size_t);

template <typename Handler>
void group_deliver(Handler& handler, const group_outcome& o, group_join_signature*)
{
    std::move(handler)(group_join_code(o));
}

template <typename Handler>
void group_deliver(Handler& handler, const group_outcome& o, group_shutdown_signature*)
{
    std::move(handler)(o.ec, o.left);
}

/// A pending join or shutdown, allocated with its handler's allocator.
/// Reference counted: the group's list (handed to the completion), and the
/// join deadline's pending wait (a locked_deadline, detail/deadline.hpp).
template <typename Handler, typename GroupExecutor, typename Signature>
class group_wait_op final : public group_waiter
{
public:
    using allocator_type = net::associated_allocator_t<Handler>;
    using handler_executor = net::associated_executor_t<Handler, GroupExecutor>;

    template <typename H>
    group_wait_op(H&& h, const GroupExecutor& ex, task_group_state* state)
        : group_waiter(std::is_same_v<Signature, group_shutdown_signature>),
          handler_(static_cast<H&&>(h)), executor_(ex),
          work_(net::get_associated_executor(handler_, ex)),
          slot_(net::get_associated_cancellation_slot(handler_)), state_(state)
    {}

    template <typename H>
    static group_wait_op* create(H&& h, const GroupExecutor& ex, task_group_state* state)
    {
        const allocator_type alloc = net::get_associated_allocator(h);
        return group_new<group_wait_op>(alloc, static_cast<H&&>(h), ex, state);
    }

    /// async_join (J5) and its deadline forms: the deadline only ends the
    /// wait (`time_point::max()`: none).
    static void start_join(Handler&& handler, const GroupExecutor& ex, task_group_state* state,
                           grace_clock::time_point deadline)
    {
        group_wait_op* op = create(std::move(handler), ex, state);
        const bool waits = state->add_waiter(op, [&] {
            if (deadline != grace_clock::time_point::max())
            {
                op->deadline_.emplace(ex);
                op->deadline_->template start<deadline_hooks>(
                    grace_spec{grace_duration::max(), deadline}, op,
                    net::get_associated_allocator(op->handler_));
            }
            op->connect();
        });
        if (!waits)
            op->complete_soon(state->outcome()); // J5, J10: closed and empty.
    }

    /// Connects the per-operation cancellation: the wait ends, nothing else.
    void connect()
    {
        if (slot_.is_connected())
            slot_.template emplace<cancel_handler>(this);
    }

    void complete(const group_outcome& outcome) override
    {
        // The list's reference goes with the completion.
        auto ex = work_.get_executor();
        net::post(ex, completion(this, outcome));
    }

    void unlinked() noexcept override
    {
        if (deadline_)
            deadline_->stop();
    }

    /// Completes an operation that never waited, through the handler's
    /// immediate executor where Asio has one (J10).
    void complete_soon(const group_outcome& outcome)
    {
        Handler handler(std::move(handler_));
        const GroupExecutor ex = executor_;
        // The work ends after the completion is queued: an io_context whose
        // outstanding work reaches zero stops.
        auto work = std::move(work_);
        group_delete(this, allocator_type(net::get_associated_allocator(handler)));
        deliver_soon(handler, ex, outcome, static_cast<Signature*>(nullptr));
    }

private:
    template <typename H>
    static void deliver_soon(H& handler, const GroupExecutor& ex, const group_outcome& o,
                             group_join_signature*)
    {
        group_complete_soon(std::move(handler), ex, group_join_code(o));
    }

    template <typename H>
    static void deliver_soon(H& handler, const GroupExecutor& ex, const group_outcome& o,
                             group_shutdown_signature*)
    {
        group_complete_soon(std::move(handler), ex, o.ec, o.left);
    }

    using completion = group_op_completion<group_wait_op, group_outcome>;
    friend completion;
    friend group_op_handler<group_wait_op>;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            group_delete(this, allocator_type(net::get_associated_allocator(handler_)));
    }
    static void drop(group_wait_op* op) noexcept { op->release(); }
    static void invoke(Handler& handler, const group_outcome& o)
    {
        group_deliver(handler, o, static_cast<Signature*>(nullptr));
    }

    /// The join deadline's hooks (J3): each pending wait holds a reference.
    struct deadline_hooks
    {
        static void retain(void* op) noexcept { static_cast<group_wait_op*>(op)->add_ref(); }
        static void release(void* op) noexcept { static_cast<group_wait_op*>(op)->release(); }
        static void on_deadline(void* p, unsigned)
        {
            // J3: the deadline ends the wait and nothing else; the sessions
            // are not told (the shutdown cuts them, J6). A join no longer
            // linked has completed: its deadline is stale, whatever the
            // generation says.
            auto* op = static_cast<group_wait_op*>(p);
            if (op->state_.get()->remove_waiter(op))
                op->complete(op->state_.get()->outcome(net::error::timed_out));
        }
    };

    class cancel_handler
    {
    public:
        explicit cancel_handler(group_wait_op* op) noexcept : op_(op) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            if (op_->state_.get()->remove_waiter(op_))
                op_->complete(op_->state_.get()->outcome(net::error::operation_aborted));
        }

    private:
        group_wait_op* op_;
    };

    Handler handler_;
    GroupExecutor executor_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    group_state_ref state_;
    std::optional<locked_deadline<GroupExecutor>> deadline_;
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
        using op_type = group_wait_op<std::decay_t<Handler>, GroupExecutor, group_join_signature>;
        std::decay_t<Handler> h(static_cast<Handler&&>(handler));
        op_type::start_join(std::move(h), executor_, state_.get(), deadline);
    }

private:
    group_state_ref state_;
    GroupExecutor executor_;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GROUP_JOIN_HPP
