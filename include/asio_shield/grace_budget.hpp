//
// asio_shield/grace_budget.hpp
//
// One grace period for a whole session (T6): every shield_for and guard that
// names the same budget is cut at the same deadline, which starts at the first
// request any of them holds.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_GRACE_BUDGET_HPP
#define ASIO_SHIELD_GRACE_BUDGET_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_GRACE_CLOCK_HEADER)
#include ASIO_SHIELD_GRACE_CLOCK_HEADER
#endif

#include <chrono>
#include <type_traits>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// The clock of every grace period, deadline and join timer:
/// `std::chrono::steady_clock`, or `ASIO_SHIELD_GRACE_CLOCK` (docs/grace.md,
/// "Testing on a clock of your own").
#if defined(ASIO_SHIELD_GRACE_CLOCK)
using grace_clock = ASIO_SHIELD_GRACE_CLOCK;
#else
using grace_clock = std::chrono::steady_clock;
#endif
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

/// Any clock's time point as a grace_clock one (T6): the same distance from
/// now, saturating.
template <typename Clock, typename Duration>
grace_clock::time_point to_grace_time(std::chrono::time_point<Clock, Duration> t) noexcept
{
    if constexpr (std::is_same_v<Clock, grace_clock>)
        return grace_clock::time_point(saturate(t.time_since_epoch()));
    else
    {
        const auto now = Clock::now();
        // Saturating subtraction in a wide type: no overflow for min()/max().
        using wide = std::chrono::duration<long double, typename grace_duration::period>;
        const wide left = std::chrono::duration_cast<wide>(t.time_since_epoch()) -
                          std::chrono::duration_cast<wide>(now.time_since_epoch());
        return deadline_after(saturate(left));
    }
}

} // namespace detail

/// A grace period shared by a whole session (T6).
/**
 * `grace_budget budget(2s);` then `shield_for(budget, token)` and
 * `co_await guard_cancellation_for(budget)`: the first of them that holds a
 * request starts the budget's clock; every one of them is cut at that same
 * deadline, so a write and the cleanup after it take 2 s together, not 2 s
 * each. Any duration is accepted (T5).
 *
 * **Lifetime and threads**: the operations and guards that name a budget
 * refer to it; it must outlive them (keep it in the session's coroutine
 * frame). Use it from one session's executor or strand, as the requests are.
 */
class grace_budget
{
public:
    template <typename Rep, typename Period>
    explicit constexpr grace_budget(std::chrono::duration<Rep, Period> budget) noexcept
        : budget_(detail::saturate(budget))
    {}

    grace_budget(const grace_budget&) = delete;
    grace_budget& operator=(const grace_budget&) = delete;

    /// Starts the clock if nothing has yet; returns the deadline.
    detail::grace_clock::time_point start() noexcept
    {
        if (!started_)
        {
            started_ = true;
            deadline_ = detail::deadline_after(budget_);
        }
        return deadline_;
    }

    /// Whether a request has started the clock.
    bool started() const noexcept { return started_; }

    /// The deadline once started; `time_point::max()` before.
    detail::grace_clock::time_point deadline() const noexcept { return deadline_; }

    /// The whole budget.
    detail::grace_duration budget() const noexcept { return budget_; }

private:
    detail::grace_duration budget_;
    detail::grace_clock::time_point deadline_ = detail::grace_clock::time_point::max();
    bool started_ = false;
};

namespace detail {

/// When a grace period ends, from its first held request: a period after it,
/// an absolute time, or a shared budget — whichever comes first (T1, T6).
struct grace_spec
{
    grace_duration grace = grace_duration::max();
    grace_clock::time_point until = grace_clock::time_point::max();
    grace_budget* budget = nullptr;

    /// The deadline, computed at the first held request.
    grace_clock::time_point due() const noexcept
    {
        grace_clock::time_point t = deadline_after(grace);
        if (until < t)
            t = until;
        if (budget)
        {
            const grace_clock::time_point b = budget->start();
            if (b < t)
                t = b;
        }
        return t;
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_GRACE_BUDGET_HPP
