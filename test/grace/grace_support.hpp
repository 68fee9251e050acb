// Helpers for the grace-period tests: a coroutine with a cancellation slot the
// test can emit on, and an allocator that counts what is allocated through it
// (the grace timer is allocated with the handler's associated allocator).
#ifndef ASIO_SHIELD_TEST_GRACE_GRACE_SUPPORT_HPP
#define ASIO_SHIELD_TEST_GRACE_GRACE_SUPPORT_HPP

#include "common/co_test.hpp"
#include "common/loopback.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <thread>

namespace test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ctype = net::cancellation_type;

/// Counts allocations made through it (and its rebound copies).
template <typename T>
struct counting_allocator
{
    using value_type = T;

    explicit counting_allocator(std::size_t* c) noexcept : count(c) {}

    template <typename U>
    counting_allocator(const counting_allocator<U>& other) noexcept : count(other.count)
    {}

    T* allocate(std::size_t n)
    {
        ++*count;
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }

    friend bool operator==(const counting_allocator& a, const counting_allocator& b) noexcept
    {
        return a.count == b.count;
    }

    std::size_t* count;
};

/// Emits `type` on `sig` after `delay`, from a handler on `ex`.
template <typename Executor>
void emit_after(const Executor& ex, net::cancellation_signal& sig, steady::duration delay,
                net::cancellation_type_t type)
{
    auto timer = std::make_shared<net::steady_timer>(ex, delay);
    timer->async_wait([timer, &sig, type](error_code) { sig.emit(type); });
}

/// A hand-written operation that reports whether its cancellation arrives on
/// a given strand. Its initiation names the io_context's executor.
struct reporting_initiation
{
    using executor_type = net::io_context::executor_type;
    executor_type get_executor() const noexcept { return ex; }

    template <typename Handler>
    void operator()(Handler handler) const
    {
        auto slot = net::get_associated_cancellation_slot(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        slot.assign([h, s = strand, flag = on_strand](net::cancellation_type_t) {
            *flag = s.running_in_this_thread();
            auto hex = net::get_associated_executor(*h);
            net::post(hex, [h] { (*h)(net::error::operation_aborted); });
        });
    }

    executor_type ex;
    net::strand<net::io_context::executor_type> strand;
    bool* on_strand;
};

inline double ms_since(steady::time_point t0)
{
    return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
}

} // namespace test

#endif
