//
// asio_shield/detail/grace_deadline.hpp
//
// The deadline part of the relay for shield_for (T1, T3): one timer, started
// by the first held request, allocated only then, with the handler's
// associated allocator, on the executor T3 names.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GRACE_DEADLINE_HPP
#define ASIO_SHIELD_DETAIL_GRACE_DEADLINE_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_waitable_timer.hpp>
#else
#include <boost/asio/basic_waitable_timer.hpp>
#endif

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

template <typename Executor, typename Allocator>
class grace_deadline
{
    struct state
    {
        using timer_type =
            net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>, Executor>;
        using allocator_type =
            typename std::allocator_traits<Allocator>::template rebind_alloc<state>;

        state(const Executor& ex, const Allocator& a, grace_deadline* o, void (*d)(void*),
              void (*f)(void*), void* t)
            : timer(ex), allocator(a), owner(o), deliver(d), after(f), target(t)
        {}

        static state* create(const Executor& ex, const Allocator& a, grace_deadline* o,
                             void (*d)(void*), void (*f)(void*), void* t)
        {
            allocator_type alloc(a);
            state* p = std::allocator_traits<allocator_type>::allocate(alloc, 1);
            try
            {
                std::allocator_traits<allocator_type>::construct(alloc, p, ex, a, o, d, f, t);
            }
            catch (...)
            {
                std::allocator_traits<allocator_type>::deallocate(alloc, p, 1);
                throw;
            }
            return p;
        }

        void destroy() noexcept
        {
            allocator_type alloc(allocator);
            std::allocator_traits<allocator_type>::destroy(alloc, this);
            std::allocator_traits<allocator_type>::deallocate(alloc, this, 1);
        }

        timer_type timer;
        Allocator allocator;
        grace_deadline* owner; // Null once the relay is gone.
        void (*deliver)(void*);
        void (*after)(void*);
        void* target;
        bool waiting = false; // A wait handler owns the state.
        bool running = false; // The wait handler is delivering.
    };

    /// Owns the state while a wait is pending; frees it whether it runs or is
    /// destroyed unrun (the io_context went first, R2). Between waits (after
    /// the deadline, T4) the relay's deadline owns it.
    class wait_handler
    {
    public:
        explicit wait_handler(state* s) noexcept : state_(s) {}
        wait_handler(wait_handler&& other) noexcept : state_(std::exchange(other.state_, nullptr))
        {}
        wait_handler& operator=(wait_handler&&) = delete;

        ~wait_handler()
        {
            if (state_)
            {
                if (state_->owner)
                    state_->owner->state_ = nullptr;
                state_->destroy();
            }
        }

        template <typename ErrorCode>
        void operator()(const ErrorCode&)
        {
            state* s = std::exchange(state_, nullptr);
            s->waiting = false;
            if (!s->owner)
            {
                s->destroy();
                return;
            }
            // T1 the first time, T4 after. The operation may complete inside
            // and destroy the relay; stop() then leaves the state to us.
            s->running = true;
            s->deliver(s->target);
            s->running = false;
            if (!s->owner)
            {
                s->destroy();
                return;
            }
            s->after(s->target);
        }

    private:
        state* state_;
    };

public:
    grace_deadline(const grace_spec& spec, const Executor& ex, const Allocator& alloc) noexcept(
        std::is_nothrow_copy_constructible_v<Executor>&&
            std::is_nothrow_copy_constructible_v<Allocator>)
        : spec_(spec), executor_(ex), allocator_(alloc)
    {}

    grace_deadline(grace_deadline&& other) noexcept(
        std::is_nothrow_move_constructible_v<Executor>&&
            std::is_nothrow_move_constructible_v<Allocator>)
        : spec_(other.spec_), executor_(std::move(other.executor_)),
          allocator_(std::move(other.allocator_))
    {}

    grace_deadline& operator=(grace_deadline&&) = delete;

    /// One timer per operation, from the first held request on: due a grace
    /// period later, at an absolute time or at a shared budget's deadline,
    /// whichever is earliest (T1, T6).
    template <typename Relay>
    void start(Relay& relay)
    {
        if (state_ || started_)
            return;
        started_ = true;
        state_ = state::create(executor_, allocator_, this, &Relay::deliver_thunk,
                               &Relay::after_thunk, &relay);
        state_->timer.expires_at(spec_.due());
        wait();
    }

    /// T4: after the deadline, deliver again as soon as the current handler
    /// returns (a zero-delay wait on the same timer). Does nothing before the
    /// deadline, while a wait is pending, or once stopped.
    void call_back_soon() noexcept
    {
        if (!state_ || state_->waiting || state_->running)
            return;
        try
        {
            state_->timer.expires_after(grace_duration::zero());
            wait();
        }
        catch (...)
        {
            // Out of memory for the wait: this delivery is lost, as in plain
            // Asio (the wait handler, destroyed unrun, freed the state).
        }
    }

    /// The relay is going away: the timer must not reach back.
    void stop() noexcept
    {
        state* s = std::exchange(state_, nullptr);
        if (!s)
            return;
        s->owner = nullptr;
        if (s->waiting)
            s->timer.cancel(); // Its handler frees the state.
        else if (!s->running)
            s->destroy();
        // else: the running handler frees it when the delivery returns.
    }

private:
    void wait()
    {
        state_->waiting = true;
        state_->timer.async_wait(wait_handler(state_));
    }

    grace_spec spec_;
    Executor executor_;
    Allocator allocator_;
    state* state_ = nullptr;
    bool started_ = false;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GRACE_DEADLINE_HPP
