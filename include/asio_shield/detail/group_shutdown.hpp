//
// asio_shield/detail/group_shutdown.hpp
//
// The two-stage shutdown (J6) and its tie to signals (J9). The stages
// themselves live in the group's state (group_state.hpp); this is the
// operation that starts or escalates them, and the signal helper.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GROUP_SHUTDOWN_HPP
#define ASIO_SHIELD_DETAIL_GROUP_SHUTDOWN_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/group_join.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_signal_set.hpp>
#else
#include <boost/asio/basic_signal_set.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

template <typename GroupExecutor>
class initiate_group_shutdown
{
public:
    using executor_type = GroupExecutor;

    initiate_group_shutdown(task_group_state* s, const GroupExecutor& ex) : state_(s), executor_(ex)
    {}

    executor_type get_executor() const noexcept { return executor_; }

    template <typename Handler>
    void operator()(Handler&& handler, net::cancellation_type_t graceful, grace_duration grace,
                    grace_duration hard) const
    {
        using op_type =
            group_wait_op<std::decay_t<Handler>, GroupExecutor, group_shutdown_signature>;
        task_group_state* state = state_.get();
        op_type* op = op_type::create(static_cast<Handler&&>(handler), executor_, state);
        const bool waits = state->shutdown(
            op, graceful, grace, hard, [&] { op->connect(); },
            [&] { return new group_deadline<GroupExecutor>(executor_); });
        if (!waits)
            op->complete_soon(state->outcome(state->shutdown_code())); // J10
    }

private:
    group_state_ref state_;
    GroupExecutor executor_;
};

/// J9: the first signal starts the shutdown, the next one escalates it.
/// Reference counted: each of its pending waits, and its completion.
template <typename Handler, typename SignalSet, typename GroupExecutor>
class group_signal_op
{
public:
    using allocator_type = net::associated_allocator_t<Handler>;
    using signal_executor = typename SignalSet::executor_type;
    using handler_executor = net::associated_executor_t<Handler, signal_executor>;

    template <typename H>
    group_signal_op(H&& h, SignalSet& signals, task_group_state* state, const GroupExecutor& ex,
                    net::cancellation_type_t graceful, grace_duration grace, grace_duration hard)
        : handler_(static_cast<H&&>(h)),
          work_(net::get_associated_executor(handler_, signals.get_executor())),
          slot_(net::get_associated_cancellation_slot(handler_)), signals_(signals),
          shutdown_(state, ex), graceful_(graceful), grace_(grace), hard_(hard)
    {}

    template <typename H>
    static void start(H&& h, SignalSet& signals, task_group_state* state, const GroupExecutor& ex,
                      net::cancellation_type_t graceful, grace_duration grace, grace_duration hard)
    {
        const allocator_type alloc = net::get_associated_allocator(h);
        auto* op = group_new<group_signal_op>(alloc, static_cast<H&&>(h), signals, state, ex,
                                              graceful, grace, hard);
        if (op->slot_.is_connected())
            op->slot_.template emplace<cancel_handler>(op);
        op->signals_.async_wait(first_signal(op)); // Takes the first reference.
    }

private:
    enum class phase
    {
        waiting,  // For the first signal.
        stopping, // The shutdown runs; a second signal escalates it.
        done
    };

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            group_delete(this, allocator_type(net::get_associated_allocator(handler_)));
    }

    friend group_op_handler<group_signal_op>;
    static void drop(group_signal_op* op) noexcept { op->release(); }

    /// A handler of ours holding one reference, on the signal set's executor.
    class step : public group_op_handler<group_signal_op>
    {
    public:
        using executor_type = signal_executor;
        using group_op_handler<group_signal_op>::group_op_handler;
        executor_type get_executor() const noexcept { return this->op()->signals_.get_executor(); }
    };

    class first_signal : public step
    {
    public:
        using step::step;
        void operator()(const group_error_code& ec, int)
        {
            group_signal_op* op = this->take();
            op->on_first(ec);
            op->release();
        }
    };

    class next_signal : public step
    {
    public:
        using step::step;
        void operator()(const group_error_code& ec, int)
        {
            group_signal_op* op = this->take();
            op->on_next(ec);
            op->release();
        }
    };

    class shutdown_done : public step
    {
    public:
        using step::step;
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept
        {
            return this->op()->inner_.slot();
        }
        void operator()(const group_error_code& ec, std::size_t left)
        {
            group_signal_op* op = this->take();
            op->on_shutdown_done(ec, left);
            op->release();
        }
    };

    /// The escalation's own result arrives through the first shutdown.
    struct ignore_result
    {
        void operator()(const group_error_code&, std::size_t) const noexcept {}
    };

    class cancel_handler
    {
    public:
        explicit cancel_handler(group_signal_op* op) noexcept : op_(op) {}
        void operator()(net::cancellation_type_t type)
        {
            if (type == net::cancellation_type::none)
                return;
            std::unique_lock<std::mutex> lock(op_->mutex_);
            if (op_->phase_ == phase::waiting)
            {
                lock.unlock();
                group_error_code ignored;
                op_->signals_.cancel(ignored); // The first wait ends: operation_aborted.
            }
            else if (op_->phase_ == phase::stopping)
            {
                lock.unlock();
                op_->inner_.emit(type); // Stops waiting; the shutdown goes on.
            }
        }

    private:
        group_signal_op* op_;
    };

    void on_first(const group_error_code& ec)
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (ec)
            {
                phase_ = phase::done;
                ec_ = net::error::operation_aborted;
            }
            else
            {
                phase_ = phase::stopping;
                pending_ = 2;
            }
        }
        if (ec)
        {
            finish();
            return;
        }
        add_ref();
        shutdown_(shutdown_done(this), graceful_, grace_, hard_);
        add_ref();
        signals_.async_wait(next_signal(this));
    }

    void on_next(const group_error_code& ec)
    {
        bool last = false;
        bool escalate = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!ec && !shutdown_over_)
                escalate = true;
            else
                last = --pending_ == 0;
        }
        if (escalate)
        {
            // J9: the second signal ends the shutdown at once (J6).
            shutdown_(ignore_result(), graceful_, grace_, hard_);
            add_ref();
            signals_.async_wait(next_signal(this));
            return;
        }
        if (last)
            finish();
    }

    void on_shutdown_done(const group_error_code& ec, std::size_t left)
    {
        bool last = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            shutdown_over_ = true;
            ec_ = ec;
            left_ = left;
            last = --pending_ == 0;
        }
        if (!last)
        {
            group_error_code ignored;
            signals_.cancel(ignored); // Ends the wait for another signal.
        }
        else
            finish();
    }

    void finish()
    {
        group_error_code ec;
        std::size_t left = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            phase_ = phase::done;
            ec = ec_;
            left = left_;
        }
        add_ref();
        auto ex = work_.get_executor();
        net::post(ex, completion(this, ec, left));
    }

    using completion = group_op_completion<group_signal_op, group_error_code, std::size_t>;
    friend completion;
    static void invoke(Handler& handler, const group_error_code& ec, std::size_t left)
    {
        std::move(handler)(ec, left);
    }

    Handler handler_;
    group_work<handler_executor> work_;
    net::associated_cancellation_slot_t<Handler> slot_;
    SignalSet& signals_;
    initiate_group_shutdown<GroupExecutor> shutdown_;
    net::cancellation_type_t graceful_;
    grace_duration grace_;
    grace_duration hard_;
    net::cancellation_signal inner_;
    std::mutex mutex_;
    phase phase_ = phase::waiting;
    int pending_ = 0;
    bool shutdown_over_ = false;
    group_error_code ec_;
    std::size_t left_ = 0;
    std::atomic<std::size_t> refs_{1};
};

template <typename SignalSet, typename GroupExecutor>
class initiate_group_signal_shutdown
{
public:
    using executor_type = typename SignalSet::executor_type;

    initiate_group_signal_shutdown(SignalSet& signals, task_group_state* s, const GroupExecutor& ex)
        : signals_(signals), state_(s), executor_(ex)
    {}

    executor_type get_executor() const noexcept { return signals_.get_executor(); }

    template <typename Handler>
    void operator()(Handler&& handler, net::cancellation_type_t graceful, grace_duration grace,
                    grace_duration hard) const
    {
        group_signal_op<std::decay_t<Handler>, SignalSet, GroupExecutor>::start(
            static_cast<Handler&&>(handler), signals_, state_.get(), executor_, graceful, grace,
            hard);
    }

private:
    SignalSet& signals_;
    group_state_ref state_;
    GroupExecutor executor_;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GROUP_SHUTDOWN_HPP
