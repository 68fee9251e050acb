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
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_RELAY_HPP
#define ASIO_SHIELD_DETAIL_RELAY_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_signal.hpp>
#else
#include <boost/asio/cancellation_signal.hpp>
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// No deadline: held requests stay held until `open()` (slot_guard) or for
/// ever (shield, whose blocked bits are dropped, S5).
struct no_deadline
{
    template <typename Relay>
    void start(Relay&) noexcept
    {}
    void stop() noexcept {}
};

/// Nobody to tell: the relay's own record is all there is.
struct no_observer
{
    void held(net::cancellation_type_t) noexcept {}
    void gone(net::cancellation_type_t) noexcept {}
};

template <typename Deadline = no_deadline, typename Observer = no_observer>
class relay
{
public:
    explicit relay(net::cancellation_type_t blocked, Deadline deadline = Deadline(),
                   Observer observer = Observer()) noexcept
        : blocked_(named(blocked)), deadline_(static_cast<Deadline&&>(deadline)),
          observer_(static_cast<Observer&&>(observer))
    {}

    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;

    // The operation completed, or the slot's owner replaced or cleared the
    // relay: the deadline must not reach back, the observer keeps the record.
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
                deadline_.start(*this); // T1: the clock starts at the first held request.
            }
        }
        if (pass != net::cancellation_type::none)
            signal_.emit(pass); // E1: the last touch.
    }

    /// Stops holding back and forwards what was held (T1 at the deadline, G8
    /// on release). Later requests pass whole. Later calls do nothing.
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

    /// For deadlines: the relay to open when the time is up.
    static void open_thunk(void* self) { static_cast<relay*>(self)->open(); }

private:
    net::cancellation_signal signal_;
    net::cancellation_type_t blocked_;
    net::cancellation_type_t held_ = net::cancellation_type::none;
    bool open_ = false;
    [[no_unique_address]] Deadline deadline_;
    [[no_unique_address]] Observer observer_;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_RELAY_HPP
