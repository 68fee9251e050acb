//
// asio_shield/detail/guard_order.hpp
//
// R4 in debug builds: the guards of a coroutine thread end innermost first.
// An outer guard released while an inner one is in force would leave the
// coroutine with a state pointing into the outer guard, and lose requests.
// Used by the guard's implementation only.
//
// Every guard carries a `guard_order::link` whatever the build, so that the
// guard's layout does not depend on NDEBUG; only debug builds (or
// ASIO_SHIELD_CHECK_GUARD_ORDER, see config.hpp) fill it in. A guard unlinks
// itself whenever its link is in the list, checked or not, so that a program
// whose translation units differ in NDEBUG never keeps a dangling link (its
// owner alone writes `linked`, so it reads it without the lock).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_GUARD_ORDER_HPP
#define ASIO_SHIELD_DETAIL_GUARD_ORDER_HPP

#include <asio_shield/config.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// The active guards of every coroutine thread, innermost first, in intrusive
/// lists hashed by the coroutine (its state's address): no allocation, so the
/// allocation counts of debug builds stay those of release builds. Every
/// link is read and written under the one mutex (R3: guards of different
/// coroutines on different threads share buckets).
class guard_order
{
public:
    /// What a guard carries: the coroutine it belongs to, and the next
    /// active guard in its bucket.
    struct link
    {
        const void* coroutine = nullptr;
        link* next = nullptr;
        bool linked = false;
    };

    static guard_order& instance() noexcept
    {
        static guard_order order;
        return order;
    }

    /// `l` is now the innermost active guard of `coroutine`.
    void push(link& l, const void* coroutine) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex_);
        link*& first = head(coroutine);
        l.coroutine = coroutine;
        l.next = first;
        l.linked = true;
        first = &l;
    }

    /// Unlinks `l` if it is linked (later calls do nothing); whether it was
    /// the innermost active guard of its coroutine then.
    bool pop(link& l) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!l.linked)
            return true;
        const link* innermost = nullptr;
        for (link** at = &head(l.coroutine); *at; at = &(*at)->next)
        {
            if ((*at)->coroutine == l.coroutine && !innermost)
                innermost = *at;
            if (*at == &l)
            {
                *at = l.next;
                break;
            }
        }
        l.next = nullptr;
        l.linked = false;
        return innermost == &l;
    }

private:
    static constexpr std::size_t buckets = 256;

    link*& head(const void* coroutine) noexcept
    {
        const auto key = reinterpret_cast<std::uintptr_t>(coroutine);
        return heads_[(key >> 4) % buckets];
    }

    std::mutex mutex_;
    link* heads_[buckets] = {};
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_GUARD_ORDER_HPP
