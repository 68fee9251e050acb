//
// asio_shield/slot_guard.hpp
//
// Deferral of cancellation for hand-written composed operations (callbacks,
// async_compose): the slot-level counterpart of cancellation_guard (G8).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SLOT_GUARD_HPP
#define ASIO_SHIELD_SLOT_GUARD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/relay.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_signal.hpp>
#else
#include <boost/asio/cancellation_signal.hpp>
#endif

#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {

/// Holds back the requests that reach a composed operation's slot.
/**
 * Construct it over the slot the composed operation received (for example
 * `self.get_cancellation_state().slot()` in `async_compose`) and bind the inner
 * operations that must not be cut to `slot()`. While the guard is in force,
 * requests arriving at the outer slot are recorded (`cancellation_requested()`)
 * instead of forwarded. `release()` — or destruction — forwards the recorded
 * request, once, to whatever is then connected to `slot()`; after that,
 * requests pass straight through.
 *
 * The relay lives in the outer slot's own (recycled) memory, so the guard is a
 * cheap movable handle that can sit in a composed operation's state. As with
 * any Asio operation, the relay stays installed in the outer slot until the
 * slot's owner clears it or installs another handler. If that happens while
 * the guard is alive, the guard stops deferring (`active()` turns false and
 * `slot()` is no longer connected) but keeps reporting what it recorded.
 * `async_compose` clears its cancellation state's slot each time the composed
 * operation resumes, so there a guard built over
 * `self.get_cancellation_state().slot()` lasts one step: the next step reads
 * `cancellation_requested()` and decides.
 *
 * **Thread safety**: requests must be emitted on the composed operation's
 * executor, as Asio requires of every slot.
 *
 * **Contract**: G8.
 */
class slot_guard
{
    struct observer
    {
        void held(net::cancellation_type_t) noexcept {}

        // The slot's owner cleared it or installed another handler: the guard
        // must not reach into freed memory, and keeps what was recorded.
        void gone(net::cancellation_type_t held) noexcept
        {
            if (owner)
            {
                owner->kept_ = held;
                owner->relay_ = nullptr;
            }
        }

        slot_guard* owner;
    };

    using relay_type = detail::relay<detail::no_deadline, observer>;

public:
    /// Installs the relay in `outer`; an unconnected `outer` gives a guard
    /// whose `slot()` is unconnected too.
    explicit slot_guard(net::cancellation_slot outer)
        : relay_(outer.is_connected()
                     ? &outer.template emplace<relay_type>(detail::all_types, detail::no_deadline(),
                                                           observer{this})
                     : nullptr)
    {}

    slot_guard(slot_guard&& other) noexcept
        : relay_(std::exchange(other.relay_, nullptr)), kept_(other.kept_)
    {
        if (relay_)
            relay_->observer().owner = this;
    }
    slot_guard& operator=(slot_guard&&) = delete;
    slot_guard(const slot_guard&) = delete;
    slot_guard& operator=(const slot_guard&) = delete;

    /// Forwards what was recorded, as `release()` does.
    ~slot_guard()
    {
        if (relay_)
        {
            // The relay outlives us in the slot; it must not reach back (also
            // when forwarding below completes the operation and destroys it).
            relay_type* r = std::exchange(relay_, nullptr);
            r->observer().owner = nullptr;
            r->open(); // E1: the last touch.
        }
    }

    /// The slot to bind inner operations to.
    net::cancellation_slot slot() const noexcept
    {
        return relay_ ? relay_->slot() : net::cancellation_slot();
    }

    /// Union of the types requested while the guard was in force.
    net::cancellation_type_t cancellation_requested() const noexcept
    {
        return relay_ ? relay_->held() : kept_;
    }

    /// Whether requests are still being held back.
    bool active() const noexcept { return relay_ && !relay_->is_open(); }

    /// Stops holding back and forwards the recorded request, if any, to what is
    /// connected to `slot()`. Later calls do nothing.
    void release()
    {
        if (relay_ && !relay_->is_open())
        {
            // E1: forwarding may complete the inner operation and with it the
            // composed one, which may clear the outer slot (destroying the
            // relay) and even destroy this guard. Keep the record first.
            kept_ = relay_->held();
            relay_->open();
        }
    }

private:
    relay_type* relay_;
    net::cancellation_type_t kept_ = net::cancellation_type::none; // Once the relay is gone.
};

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_SLOT_GUARD_HPP
