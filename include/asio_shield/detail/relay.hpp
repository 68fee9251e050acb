//
// asio_shield/detail/relay.hpp
//
// The one relay. Every adapter that stands between a cancellation slot and an
// operation (shield with a partial mask, shield_for, slot_guard) installs a
// `relay` in the outer slot and hands the operation the relay's own slot. The
// relay masks (S5), holds (T1, G8), forwards at a deadline (T1) and records
// (G8), and it obeys one lifetime rule, written once here:
//
//   E1: forwarding to the operation is the last thing the relay does. The
//   operation may complete inside that emit, and completing clears the outer
//   slot, which destroys the relay; so nothing after an `emit` may read or
//   write a member. (Asio's cancel_after proxy nulls its back-pointer for the
//   same reason.)
//
// Only bits that Asio names (terminal, partial, total) ever reach an
// operation (E4).
//
// Deadlines run on the one engine (detail/deadline.hpp), which also says how
// the request stays in force after a deadline (T4) and how a request from a
// passed enclosing deadline is told apart (T7). The relay's part in T4: after
// each delivery it tells the engine whether its slot is empty, and if so puts
// a marker of its own (`redelivery_marker`) there, which the operation's next
// handler replaces; the marker's destructor asks the engine to call back at
// once. A request that reaches the marker is kept for the next handler. The
// relay never replaces a handler that is installed (see after_deadline).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_RELAY_HPP
#define ASIO_SHIELD_DETAIL_RELAY_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/deadline.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_signal.hpp>
#else
#include <boost/asio/cancellation_signal.hpp>
#endif

#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// No deadline: held requests stay held until `open()` (slot_guard) or for
/// ever (shield, whose blocked bits are dropped, S5).
struct no_deadline
{
    /// T7 does not apply: a relay without a deadline (shield with a mask,
    /// slot_guard) holds what it holds whatever passed above it.
    static constexpr bool has_deadline = false;

    template <typename Hooks>
    void start(void*) noexcept
    {}
    template <typename Hooks>
    void expire_now(void*) noexcept
    {}
    void stop() noexcept {}
    void call_back_soon() noexcept {}
};

template <typename Deadline>
inline constexpr bool has_deadline_v = true;

template <>
inline constexpr bool has_deadline_v<no_deadline> = false;

/// Nobody to tell: the relay's own record is all there is.
struct no_observer
{
    void held(net::cancellation_type_t) noexcept {}
    void gone(net::cancellation_type_t) noexcept {}
};

template <typename Deadline = no_deadline, typename Observer = no_observer>
class relay
{
    /// Waits in the relay's empty slot after the deadline for the
    /// operation's next handler (T4).
    class redelivery_marker
    {
    public:
        explicit redelivery_marker(relay* r) noexcept : relay_(r) { relay_->marker_ = true; }
        redelivery_marker(const redelivery_marker&) = delete;
        redelivery_marker& operator=(const redelivery_marker&) = delete;

        // Replaced by the operation's next handler (or cleared): deliver again.
        // While the relay itself goes away its deadline is already stopped,
        // so the call back does nothing.
        ~redelivery_marker()
        {
            relay_->marker_ = false;
            relay_->deadline_.call_back_soon();
        }

        // A request while no handler of the operation is installed: kept for
        // the next one.
        void operator()(net::cancellation_type_t type) noexcept { relay_->held_ |= named(type); }

    private:
        relay* relay_;
    };

public:
    explicit relay(net::cancellation_type_t blocked, Deadline deadline = Deadline(),
                   Observer observer = Observer()) noexcept
        : blocked_(named(blocked)), deadline_(static_cast<Deadline&&>(deadline)),
          observer_(static_cast<Observer&&>(observer))
    {}

    /// Builds the deadline in place from `args`, so that its executor is
    /// copied once, not copied and then moved twice (S6).
    template <typename... DeadlineArgs>
    relay(net::cancellation_type_t blocked, std::in_place_t, DeadlineArgs&&... args) noexcept(
        std::is_nothrow_constructible_v<Deadline, DeadlineArgs&&...>)
        : blocked_(named(blocked)), deadline_(static_cast<DeadlineArgs&&>(args)...), observer_()
    {}

    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;

    // The operation completed, or the slot's owner replaced or cleared the
    // relay: the deadline must not reach back, the observer keeps the record.
    // signal_ is the last member, so it (and a marker in it) goes first,
    // while the deadline it would call is still there, stopped.
    ~relay()
    {
        deadline_.stop();
        observer_.gone(held_);
    }

    /// Called by the outer slot for each request.
    void operator()(net::cancellation_type_t type)
    {
        net::cancellation_type_t pass = named(type);
        if (!open_)
        {
            const net::cancellation_type_t hold = covered(type, blocked_);
            pass = uncovered(type, blocked_); // S5: the rest passes at once.
            if (hold != net::cancellation_type::none)
            {
                held_ |= hold;
                observer_.held(held_);
                if (has_deadline_v<Deadline> && expiry::in_progress())
                {
                    // T7: an enclosing deadline has passed: no grace period of
                    // our own; give way now, and keep the request in force
                    // for the later steps (T4).
                    open_ = true;
                    expired_ = true;
                    deadline_.template expire_now<relay>(this);
                    pass = held_ | pass;
                }
                else
                {
                    // T1: the clock starts at the first held request.
                    deadline_.template start<relay>(this);
                }
            }
        }
        else if (expired_)
            held_ |= pass; // T4: in force for every later step too.
        if (pass != net::cancellation_type::none)
            signal_.emit(pass); // E1: the last touch.
    }

    /// S3: requests that the consumer recorded before the relay was installed
    /// (a coroutine already cancelled when the operation starts) are held as
    /// if they had just arrived: the deadline starts now. Emits nothing, so
    /// E1 does not arise.
    void hold_recorded(net::cancellation_type_t recorded)
    {
        const net::cancellation_type_t hold = covered(recorded, blocked_);
        if (open_ || hold == net::cancellation_type::none)
            return;
        held_ |= hold;
        observer_.held(held_);
        deadline_.template start<relay>(this);
    }

    /// Stops holding back and forwards what was held (G8 on release). Later
    /// requests pass whole. Later calls do nothing.
    void open()
    {
        if (open_)
            return;
        open_ = true;
        deadline_.stop();
        const net::cancellation_type_t held = held_;
        if (held != net::cancellation_type::none)
            signal_.emit(held); // E1: the last touch.
    }

    /// The slot the operation sees.
    net::cancellation_slot slot() noexcept { return signal_.slot(); }

    /// Union of the held types.
    net::cancellation_type_t held() const noexcept { return held_; }

    bool is_open() const noexcept { return open_; }

    Observer& observer() noexcept { return observer_; }

    /// Called by the engine at the deadline (T1) and at each re-delivery
    /// after it (T4): the relay opens and forwards what it held to what its
    /// slot holds now. The operation may end inside the emit, and with it the
    /// relay (E1); the engine knows, and calls `after_deadline` only if the
    /// relay is still there.
    static void on_deadline(void* self)
    {
        relay& r = *static_cast<relay*>(self);
        r.open_ = true;
        r.expired_ = true;
        const net::cancellation_type_t held = r.held_;
        if (held != net::cancellation_type::none && !r.marker_)
            r.signal_.emit(held); // E1: the last touch.
    }

    /// The relay survived the delivery. An empty slot (the operation is
    /// between two steps and removed the finished step's handler) gets the
    /// marker, so that the next handler is told at once (T4). A handler that
    /// is installed is never replaced: Asio's own cancellation_state (under
    /// every async_compose operation) keeps pointing into the handler it put
    /// in this slot until the operation completes. It may be a finished
    /// step's, which the next step replaces without a word: the engine then
    /// delivers again after its series of waits.
    static bool after_deadline(void* self) noexcept
    {
        relay& r = *static_cast<relay*>(self);
        if (r.marker_ || r.held_ == net::cancellation_type::none)
            return false;
        if (r.signal_.slot().has_handler())
            return true;
        try
        {
            r.signal_.slot().template emplace<redelivery_marker>(&r);
            return false;
        }
        catch (...)
        {
            return true; // No memory for the marker: the waits instead.
        }
    }

private:
    net::cancellation_type_t blocked_;
    net::cancellation_type_t held_ = net::cancellation_type::none;
    bool open_ = false;
    bool expired_ = false; // T4: the deadline passed.
    bool marker_ = false;  // T4: a redelivery_marker is in signal_'s slot.
    [[no_unique_address]] Deadline deadline_;
    [[no_unique_address]] Observer observer_;
    net::cancellation_signal signal_; // Last: destroyed first (see ~relay).
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_RELAY_HPP
