//
// asio_shield/detail/signal_pool.hpp
//
// The signals that guards ended on a thread left behind, kept for the next
// guard on that thread (G3 without heap allocation). Used by the guard's
// implementation only.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_SIGNAL_POOL_HPP
#define ASIO_SHIELD_DETAIL_SIGNAL_POOL_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_signal.hpp>
#else
#include <boost/asio/cancellation_signal.hpp>
#endif

#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// A signal that outlives the guard that used it, with the slot memory of its
/// last substitute state still in it.
struct pooled_signal
{
    net::cancellation_signal signal;
    pooled_signal* next = nullptr;
};

/// A guard's substitute state is built in the slot of one of these signals:
/// the state's memory (and that of the state it replaces) is reused rather
/// than freed to Asio's per-thread cache, which holds only two blocks of slot
/// memory, so a pair of nested guards costs no heap allocation either (G3).
/// The pool keeps at most `capacity` signals (guards that start on one thread
/// and end on another move signals between pools) and is freed when the
/// thread ends; a guard ended after that, by a static object's destructor,
/// frees its own.
struct signal_pool
{
    static constexpr int capacity = 16;

    pooled_signal* head;
    int size;
    bool gone;  // The thread's signals are freed; guards free their own.
    bool armed; // The reaper below will free them when the thread ends.

    /// Trivially constructible and destructible, so that a guard reaches it
    /// without a thread-local initialisation check, and it is still readable
    /// after the reaper ran.
    static signal_pool& local() noexcept
    {
        static constinit thread_local signal_pool pool{nullptr, 0, false, false};
        return pool;
    }

    struct reaper
    {
        reaper() = default;
        reaper(const reaper&) = delete;
        reaper& operator=(const reaper&) = delete;
        ~reaper()
        {
            signal_pool& pool = local();
            pool.gone = true;
            while (pool.head)
                delete std::exchange(pool.head, pool.head->next);
            pool.size = 0;
        }
    };

    /// Registers the reaper, the first time a signal is kept on this thread.
    static void arm() noexcept
    {
        [[maybe_unused]] static thread_local reaper r;
        local().armed = true;
    }

    static pooled_signal* take()
    {
        signal_pool& pool = local();
        if (pooled_signal* p = pool.head) // Empty once the reaper ran.
        {
            pool.head = std::exchange(p->next, nullptr);
            --pool.size;
            return p;
        }
        return new pooled_signal;
    }

    static void give(pooled_signal* p) noexcept
    {
        signal_pool& pool = local();
        if (!pool.gone && pool.size < capacity)
        {
            if (!pool.armed)
                arm();
            p->next = pool.head;
            pool.head = p;
            ++pool.size;
            return;
        }
        delete p;
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_SIGNAL_POOL_HPP
