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

using grace_clock = std::chrono::steady_clock;
using grace_duration = grace_clock::duration;

/// Any duration as the clock's, saturating instead of overflowing:
/// `hours::max()` stays "no limit", `-hours::max()` stays "at once" (T5).
template <typename Rep, typename Period>
constexpr grace_duration saturate(std::chrono::duration<Rep, Period> d) noexcept
{
    using wide = std::chrono::duration<long double, typename grace_duration::period>;
    const wide w = std::chrono::duration_cast<wide>(d);
    if (w >= wide(grace_duration::max()))
        return grace_duration::max();
    if (w <= wide(grace_duration::min()))
        return grace_duration::min();
    return std::chrono::duration_cast<grace_duration>(d);
}

/// `now + d`, saturating at the clock's range (T5).
inline grace_clock::time_point deadline_after(grace_duration d) noexcept
{
    const grace_clock::time_point now = grace_clock::now();
    if (d > grace_duration::zero() && now > grace_clock::time_point::max() - d)
        return grace_clock::time_point::max();
    if (d < grace_duration::zero() && now < grace_clock::time_point::min() - d)
        return grace_clock::time_point::min();
    return now + d;
}

template <typename Executor, typename Allocator>
class grace_deadline
{
    struct state
    {
        using timer_type =
            net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>, Executor>;
        using allocator_type =
            typename std::allocator_traits<Allocator>::template rebind_alloc<state>;

        state(const Executor& ex, const Allocator& a, grace_deadline* o, void (*f)(void*), void* t)
            : timer(ex), allocator(a), owner(o), expire(f), target(t)
        {}

        static state* create(const Executor& ex, const Allocator& a, grace_deadline* o,
                             void (*f)(void*), void* t)
        {
            allocator_type alloc(a);
            state* p = std::allocator_traits<allocator_type>::allocate(alloc, 1);
            try
            {
                std::allocator_traits<allocator_type>::construct(alloc, p, ex, a, o, f, t);
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
        void (*expire)(void*);
        void* target;
    };

    /// Owns the timer state: frees it whether it runs or is destroyed unrun
    /// (the io_context went first, R2).
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
            grace_deadline* owner = s->owner;
            void (*expire)(void*) = s->expire;
            void* target = s->target;
            s->destroy();
            if (owner)
            {
                owner->state_ = nullptr;
                expire(target); // T1: the deadline passed with the operation pending.
            }
        }

    private:
        state* state_;
    };

public:
    grace_deadline(grace_duration grace, const Executor& ex, const Allocator& alloc) noexcept(
        std::is_nothrow_copy_constructible_v<Executor>&&
            std::is_nothrow_copy_constructible_v<Allocator>)
        : grace_(grace), executor_(ex), allocator_(alloc)
    {}

    grace_deadline(grace_deadline&& other) noexcept(
        std::is_nothrow_move_constructible_v<Executor>&&
            std::is_nothrow_move_constructible_v<Allocator>)
        : grace_(other.grace_), executor_(std::move(other.executor_)),
          allocator_(std::move(other.allocator_))
    {}

    grace_deadline& operator=(grace_deadline&&) = delete;

    /// One timer per operation, from the first held request on.
    template <typename Relay>
    void start(Relay& relay)
    {
        if (state_ || started_)
            return;
        started_ = true;
        state_ = state::create(executor_, allocator_, this, &Relay::open_thunk, &relay);
        state_->timer.expires_at(deadline_after(grace_));
        state_->timer.async_wait(wait_handler(state_));
    }

    /// The relay is opening or going away: the timer must not reach back.
    void stop() noexcept
    {
        if (state_)
        {
            state_->owner = nullptr;
            state_->timer.cancel();
            state_ = nullptr;
        }
    }

private:
    grace_duration grace_;
    Executor executor_;
    Allocator allocator_;
    state* state_ = nullptr;
    bool started_ = false;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GRACE_DEADLINE_HPP
