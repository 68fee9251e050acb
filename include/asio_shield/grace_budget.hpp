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
#include <cstdint>
#include <limits>
#include <ratio>
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

/// Whether `x` is a NaN, in a constant expression too.
template <typename T>
constexpr bool is_nan(T x) noexcept
{
    return x != x;
}

/// Any duration as the clock's, saturating instead of overflowing (T5):
/// values past the clock's range (`hours::max()`, +inf) become `max()`, "no
/// limit"; values below it (`hours::min()`, -inf) become `min()`, "at once".
/// A NaN becomes zero: a value that cannot be trusted never extends
/// protection. Everything else is truncated towards zero, as `duration_cast`
/// does, with no intermediate overflow for any rep or period.
template <typename Rep, typename Period>
constexpr grace_duration saturate(std::chrono::duration<Rep, Period> d) noexcept
{
    using rep = grace_duration::rep;
    static_assert(std::is_integral_v<rep> && std::is_signed_v<rep>,
                  "asio_shield: the grace clock's rep must be a signed integer type");
    using ratio = std::ratio_divide<Period, grace_duration::period>;
    constexpr rep hi = std::numeric_limits<rep>::max();
    constexpr rep lo = std::numeric_limits<rep>::min();
    if constexpr (std::is_floating_point_v<Rep>)
    {
        // In long double, whose range holds every product below; the last
        // comparisons are on the value converted, so the cast is in range.
        const long double c = d.count();
        if (is_nan(c))
            return grace_duration::zero();
        // Far past the range: decided before multiplying, which could
        // overflow to infinity.
        constexpr long double far = 2.0L * static_cast<long double>(hi) * ratio::den / ratio::num;
        if (c >= far)
            return grace_duration::max();
        if (c <= -far)
            return grace_duration::min();
        long double w = c;
        if constexpr (ratio::num != 1)
            w *= static_cast<long double>(ratio::num);
        if constexpr (ratio::den != 1)
            w /= static_cast<long double>(ratio::den);
        if (w >= static_cast<long double>(hi))
            return grace_duration::max();
        if (w <= static_cast<long double>(lo))
            return grace_duration::min();
        return grace_duration(static_cast<rep>(w));
    }
    else if constexpr (std::is_integral_v<Rep>)
    {
        // c * num / den as q * num + r * num / den (q, r: c's quotient and
        // remainder by den, of c's sign), each part checked against the range.
        using wide = std::common_type_t<Rep, std::intmax_t, rep>;
        constexpr wide num = static_cast<wide>(ratio::num);
        constexpr wide den = static_cast<wide>(ratio::den);
        const wide c = static_cast<wide>(d.count());
        const wide q = c / den;
        const wide r = c % den;
        if (q > static_cast<wide>(hi) / num)
            return grace_duration::max();
        if constexpr (std::is_signed_v<wide>)
        {
            if (q < static_cast<wide>(lo) / num)
                return grace_duration::min();
        }
        const wide whole = q * num;
        wide part = 0; // |part| < num
        if constexpr (num <= std::numeric_limits<wide>::max() / den)
            part = r * num / den;
        else // r * num would overflow: its share, to about 19 digits.
            part = static_cast<wide>(static_cast<long double>(r) * ratio::num / ratio::den);
        if (part > 0 && whole > static_cast<wide>(hi) - part)
            return grace_duration::max();
        if constexpr (std::is_signed_v<wide>)
        {
            if (part < 0 && whole < static_cast<wide>(lo) - part)
                return grace_duration::min();
        }
        return grace_duration(static_cast<rep>(whole + part));
    }
    else // A rep of a class type: through long double.
        return saturate(
            std::chrono::duration<long double, Period>(static_cast<long double>(d.count())));
}

/// `now + d`, saturating at the clock's range (T5): `duration::max()` is
/// `time_point::max()` (never), `duration::min()` is `time_point::min()`
/// (passed).
inline grace_clock::time_point deadline_after(grace_duration d) noexcept
{
    if (d == grace_duration::max())
        return grace_clock::time_point::max();
    if (d == grace_duration::min())
        return grace_clock::time_point::min();
    const grace_clock::time_point now = grace_clock::now();
    if (d > grace_duration::zero() && now > grace_clock::time_point::max() - d)
        return grace_clock::time_point::max();
    if (d < grace_duration::zero() && now < grace_clock::time_point::min() - d)
        return grace_clock::time_point::min();
    return now + d;
}

/// Any clock's time point as a grace_clock one (T5, T6), saturating: on the
/// grace clock, the same time; on another, the same distance from now, read
/// once. `max()` of any clock, +inf and whatever lies past the range is
/// `time_point::max()` (never); `min()`, -inf and whatever lies below it is
/// `time_point::min()` (passed). A time point whose distance from now is NaN
/// counts as passed: now.
template <typename Clock, typename Duration>
grace_clock::time_point to_grace_time(std::chrono::time_point<Clock, Duration> t) noexcept
{
    using time_point = std::chrono::time_point<Clock, Duration>;
    if (t == time_point::max())
        return grace_clock::time_point::max();
    if (t == time_point::min())
        return grace_clock::time_point::min();
    if constexpr (std::is_same_v<Clock, grace_clock>)
    {
        if constexpr (std::is_floating_point_v<typename Duration::rep>)
        {
            if (is_nan(t.time_since_epoch().count()))
                return grace_clock::now();
        }
        return grace_clock::time_point(saturate(t.time_since_epoch()));
    }
    else
    {
        // The distance in long double: no overflow whatever the two ends; a
        // NaN stays one, and saturate() makes it zero.
        using wide = std::chrono::duration<long double, typename grace_duration::period>;
        const wide left = std::chrono::duration_cast<wide>(t.time_since_epoch()) -
                          std::chrono::duration_cast<wide>(Clock::now().time_since_epoch());
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
 * each.
 *
 * Any duration is accepted (T5): one past the clock's range, `hours::max()`
 * or +inf means no limit; zero, a negative one, -inf or NaN puts the
 * deadline at the first request (a value that cannot be trusted never
 * extends protection).
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

/// The three ways to name a deadline, for the shields and the guards alike.
constexpr grace_spec grace_after(grace_duration grace) noexcept
{
    return grace_spec{grace};
}

template <typename Clock, typename Duration>
grace_spec grace_until(std::chrono::time_point<Clock, Duration> deadline) noexcept
{
    grace_spec spec;
    spec.until = to_grace_time(deadline);
    return spec;
}

inline grace_spec grace_of(grace_budget& budget) noexcept
{
    grace_spec spec;
    spec.budget = &budget;
    return spec;
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_GRACE_BUDGET_HPP
