// A clock that stands still until the test moves it, for grace periods and
// deadlines asserted to the nanosecond (T1, T2, T4-T6, J3).
//
// The exact-deadline tests build the library with
//   ASIO_SHIELD_GRACE_CLOCK=::test::manual_clock
//   ASIO_SHIELD_GRACE_CLOCK_HEADER="common/manual_clock.hpp"
// so that every grace timer, deadline and join timer reads this clock. Time
// moves only in `advance()`. `settle()` runs exactly what is due at the
// present time and everything that follows from it, and returns with the
// io_context idle; `advance_by()` does both. No test waits on the wall clock.
#ifndef ASIO_SHIELD_TEST_COMMON_MANUAL_CLOCK_HPP
#define ASIO_SHIELD_TEST_COMMON_MANUAL_CLOCK_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <asio/wait_traits.hpp>
#else
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/wait_traits.hpp>
#endif

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace test {

struct manual_clock
{
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<manual_clock>;
    static constexpr bool is_steady = true;

    /// Where every test starts: far enough from the epoch that a deadline in
    /// the past is still a representable time.
    static constexpr time_point start() noexcept { return time_point(std::chrono::hours(1)); }

    static time_point now() noexcept { return time_point(duration(ticks().load())); }
    static void advance(duration d) noexcept { ticks().fetch_add(d.count()); }
    static void reset() noexcept { ticks().store(start().time_since_epoch().count()); }

private:
    static std::atomic<rep>& ticks() noexcept
    {
        static std::atomic<rep> t{start().time_since_epoch().count()};
        return t;
    }
};

} // namespace test

ASIO_SHIELD_NET_NS_BEGIN

/// The reactor waits for real time; the manual clock's time moves only in
/// advance(). So a timer that is not yet due asks for a short real wait (the
/// reactor looks again), and one that is due for none: blocking waits stay
/// short, and what is due fires when settle() asks the reactor to look.
template <>
struct wait_traits<::test::manual_clock>
{
    static ::test::manual_clock::duration
    to_wait_duration(const ::test::manual_clock::duration& d)
    {
        using namespace std::chrono_literals;
        if (d <= ::test::manual_clock::duration::zero())
            return ::test::manual_clock::duration::zero();
        return d < 1ms ? d : ::test::manual_clock::duration(1ms);
    }

    static ::test::manual_clock::duration
    to_wait_duration(const ::test::manual_clock::time_point& t)
    {
        return to_wait_duration(t - ::test::manual_clock::now());
    }
};

ASIO_SHIELD_NET_NS_END

namespace test {

using manual_timer = asio_shield::net::basic_waitable_timer<
    manual_clock, asio_shield::net::wait_traits<manual_clock>>;

/// Runs every handler that is ready at the clock's present time, and every
/// handler they make ready, until the io_context is idle. A marker timer due
/// now goes through the same timer queue as the library's timers, so once it
/// has fired, every timer that was due when it fired has fired with it; the
/// round repeats until one in which nothing but the marker ran.
inline void settle(asio_shield::net::io_context& io)
{
    for (;;)
    {
        io.restart();
        bool fired = false;
        manual_timer marker(io, manual_clock::now());
        marker.async_wait([&](const auto&) { fired = true; });
        std::size_t ran = 0;
        while (!fired && io.run_one() != 0)
            ++ran;
        io.restart();
        ran += io.poll();
        if (ran <= 1)
            return;
    }
}

/// Moves the clock by `d`, then settles `io`.
inline void advance_by(asio_shield::net::io_context& io, manual_clock::duration d)
{
    manual_clock::advance(d);
    settle(io);
}

} // namespace test

#endif
