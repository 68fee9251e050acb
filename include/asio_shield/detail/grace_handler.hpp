//
// asio_shield/detail/grace_handler.hpp
//
// The machinery behind shield_for: a relay in the outer slot that holds
// requests back and a timer started by the first held request. The handler
// wrapper is shield's, with this relay as its proxy.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP
#define ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/shield_handler.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/execution/context.hpp>
#include <asio/query.hpp>
#include <asio/system_executor.hpp>
#else
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/system_executor.hpp>
#endif

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

using grace_duration = std::chrono::steady_clock::duration;

template <typename Executor, typename Allocator>
class grace_relay;

/// The grace timer and the relay it serves. Allocated with the handler's
/// associated allocator when the first request is held, freed by the timer's
/// completion handler (or by its destruction when the io_context goes first).
template <typename Executor, typename Allocator>
struct grace_timer
{
    using timer_type =
        net::basic_waitable_timer<std::chrono::steady_clock,
                                  net::wait_traits<std::chrono::steady_clock>, Executor>;
    using allocator_type =
        typename std::allocator_traits<Allocator>::template rebind_alloc<grace_timer>;

    grace_timer(const Executor& ex, const Allocator& alloc, grace_relay<Executor, Allocator>* r)
        : timer(ex), allocator(alloc), relay(r)
    {}

    static grace_timer* create(const Executor& ex, const Allocator& alloc,
                               grace_relay<Executor, Allocator>* r)
    {
        allocator_type a(alloc);
        grace_timer* p = std::allocator_traits<allocator_type>::allocate(a, 1);
        try
        {
            std::allocator_traits<allocator_type>::construct(a, p, ex, alloc, r);
        }
        catch (...)
        {
            std::allocator_traits<allocator_type>::deallocate(a, p, 1);
            throw;
        }
        return p;
    }

    void destroy() noexcept
    {
        allocator_type a(allocator);
        std::allocator_traits<allocator_type>::destroy(a, this);
        std::allocator_traits<allocator_type>::deallocate(a, this, 1);
    }

    timer_type timer;
    Allocator allocator;
    grace_relay<Executor, Allocator>* relay; // Null once the operation completed.
};

/// Completion handler of the grace timer; owns the timer state.
template <typename Executor, typename Allocator>
class grace_wait_handler
{
public:
    explicit grace_wait_handler(grace_timer<Executor, Allocator>* t) noexcept : timer_(t) {}
    grace_wait_handler(grace_wait_handler&& other) noexcept
        : timer_(std::exchange(other.timer_, nullptr))
    {}
    grace_wait_handler& operator=(grace_wait_handler&&) = delete;

    // R2: an io_context destroyed before the timer fired still frees the
    // state, and the relay (if any) forgets it.
    ~grace_wait_handler()
    {
        if (timer_)
        {
            if (timer_->relay)
                timer_->relay->timer_gone();
            timer_->destroy();
        }
    }

    template <typename ErrorCode>
    void operator()(const ErrorCode&)
    {
        grace_timer<Executor, Allocator>* t = std::exchange(timer_, nullptr);
        grace_relay<Executor, Allocator>* relay = t->relay;
        t->destroy();
        if (relay)
            relay->expire(); // T1: the deadline passed with the operation pending.
    }

private:
    grace_timer<Executor, Allocator>* timer_;
};

/// Lives in the outer slot's (recycled) memory for the operation's lifetime.
template <typename Executor, typename Allocator>
class grace_relay
{
public:
    grace_relay(net::cancellation_type_t blocked, grace_duration grace, const Executor& ex,
                const Allocator& alloc)
        : blocked_(blocked), grace_(grace), executor_(ex), allocator_(alloc)
    {}

    grace_relay(const grace_relay&) = delete;
    grace_relay& operator=(const grace_relay&) = delete;

    ~grace_relay()
    {
        // The operation completed (or was abandoned): the timer must not reach
        // back into this relay; its handler frees the state.
        if (timer_)
        {
            timer_->relay = nullptr;
            timer_->timer.cancel();
        }
    }

    void operator()(net::cancellation_type_t type)
    {
        if (expired_)
        {
            signal_.emit(type);
            return;
        }
        // S5: what the mask does not cover passes at once.
        if (uncovered(type, blocked_) != net::cancellation_type::none)
            signal_.emit(static_cast<net::cancellation_type_t>(static_cast<unsigned>(type) &
                                                               ~static_cast<unsigned>(blocked_)));
        const auto held = static_cast<net::cancellation_type_t>(static_cast<unsigned>(type) &
                                                                static_cast<unsigned>(blocked_) &
                                                                static_cast<unsigned>(all_types));
        if (held == net::cancellation_type::none)
            return;
        held_ = static_cast<net::cancellation_type_t>(static_cast<unsigned>(held_) |
                                                      static_cast<unsigned>(held));
        if (!timer_)
        {
            // T1: the deadline counts from the first held request.
            timer_ = grace_timer<Executor, Allocator>::create(executor_, allocator_, this);
            timer_->timer.expires_after(grace_);
            timer_->timer.async_wait(grace_wait_handler<Executor, Allocator>(timer_));
        }
    }

    void timer_gone() noexcept { timer_ = nullptr; }

    void expire()
    {
        timer_ = nullptr;
        expired_ = true;
        signal_.emit(held_);
    }

    net::cancellation_slot slot() noexcept { return signal_.slot(); }

private:
    net::cancellation_signal signal_;
    net::cancellation_type_t blocked_;
    net::cancellation_type_t held_ = net::cancellation_type::none;
    grace_duration grace_;
    Executor executor_;
    Allocator allocator_;
    grace_timer<Executor, Allocator>* timer_ = nullptr;
    bool expired_ = false;
};

/// shield_for's wrapper: a grace relay in the wrapped handler's slot (T1).
template <typename Executor, typename Handler>
shield_handler<std::decay_t<Handler>> make_grace_handler(Handler&& handler,
                                                         net::cancellation_type_t blocked,
                                                         grace_duration grace, const Executor& ex)
{
    using relay_type = grace_relay<Executor, net::associated_allocator_t<std::decay_t<Handler>>>;
    return shield_handler<std::decay_t<Handler>>(
        static_cast<Handler&&>(handler),
        [&](net::cancellation_slot outer, const std::decay_t<Handler>& h) {
            return outer
                .template emplace<relay_type>(blocked, grace, ex, net::get_associated_allocator(h))
                .slot();
        });
}

template <typename Initiation>
concept initiation_with_executor = requires(const Initiation& i)
{
    typename Initiation::executor_type;
    i.get_executor();
};

/// T3: the executor the grace timer runs on.
template <typename Initiation, typename Handler>
auto grace_executor(const Initiation& initiation, const Handler& handler)
{
    if constexpr (initiation_with_executor<Initiation>)
    {
        using associated =
            decltype(net::get_associated_executor(handler, initiation.get_executor()));
        // A handler's executor that cannot run I/O objects (use_future's
        // promise executor) leaves the timer on the operation's own executor.
        if constexpr (net::can_query<associated, net::execution::context_t>::value)
            return net::get_associated_executor(handler, initiation.get_executor());
        else
            return initiation.get_executor();
    }
    else
    {
        static_assert(!std::is_same_v<net::associated_executor_t<Handler>, net::system_executor>,
                      "asio_shield::shield_for: neither the completion handler nor the operation "
                      "names an executor for the grace timer; bind one with "
                      "net::bind_executor(executor, token).");
        return net::get_associated_executor(handler);
    }
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GRACE_HANDLER_HPP
