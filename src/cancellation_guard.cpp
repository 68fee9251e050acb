//
// src/cancellation_guard.cpp
//
// Guard bookkeeping: the same for every executor and handler type.
//
// How a guard works. The coroutine's own cancellation state S (the one Asio
// built over the parent slot) stays installed where it is and keeps recording
// requests exactly as plain Asio does, so on exit nothing has to be re-created
// or re-emitted (G2, G4). For the guard's lifetime the entry frame is pointed
// at a substitute state over the guard's own `relay_` signal:
//   - operations awaited in the scope bind to the substitute's slot, which
//     never emits while the substitute is the coroutine's state (its out
//     filter passes nothing then), so they are not cut (G1); while a nested
//     guard is in force it passes requests on to that guard's recorder, the
//     only handler there (G3, G7);
//   - the substitute's in filter accumulates every type it is told about, so
//     `this_coro::cancellation_state` and nested guards read the union (G7);
//   - a recorder in S's child slot (free: nothing else is bound there while
//     the guard is alive) tells the relay about each request that reaches S.
// On exit the entry frame gets S back and the flag its old value.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield/cancellation_guard.hpp>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// In filter of the substitute state: the union of everything seen (G7).
struct guard_in_filter
{
    cancellation_guard* guard;

    net::cancellation_type_t operator()(net::cancellation_type_t type) const noexcept
    {
        guard->requested_ = guard->requested_ | type;
        return guard->requested_;
    }
};

/// Out filter of the substitute state: nothing reaches the scope (G1).
struct guard_out_filter
{
    cancellation_guard* guard;

    net::cancellation_type_t operator()(net::cancellation_type_t type) const noexcept
    {
        // Operations awaited in this guard's scope bind to the substitute's
        // slot while it is the coroutine's state: they never see a request
        // (G1). While a nested guard is in force the coroutine's state is that
        // guard's substitute, and the only handler in our slot is its
        // recorder, which must hear of requests so that the nested scope's
        // this_coro::cancellation_state reports them too (G7).
        if (guard->coroutine_.state->slot() == guard->substitute_slot_)
            return net::cancellation_type::none;
        return type;
    }
};

/// Sits in the saved state's child slot while the guard is alive.
struct guard_recorder
{
    explicit guard_recorder(cancellation_guard* g) noexcept : guard(g) {}
    guard_recorder(const guard_recorder&) = delete;
    guard_recorder& operator=(const guard_recorder&) = delete;

    // Also runs when a reset_cancellation_state inside the scope destroys the
    // saved state: the guard then knows not to touch it again (G4).
    ~guard_recorder() { guard->recorder_installed_ = false; }

    void operator()(net::cancellation_type_t type)
    {
        // G7: "after its filters": the saved state's record is its in filter's
        // verdict; `type` is what its out filter let through.
        guard->relay_.emit(type | guard->saved_state_.cancelled());
    }

    cancellation_guard* guard;
};

} // namespace detail

cancellation_guard::cancellation_guard(detail::coroutine_ref coroutine)
    : coroutine_(coroutine), saved_state_(*coroutine.state), requested_(saved_state_.cancelled()),
      saved_throw_if_cancelled_(*coroutine.throw_if_cancelled)
{
    if (saved_state_.slot().is_connected())
    {
        // Everything that can throw (bad_alloc) comes before the frame changes.
        net::cancellation_state substitute(relay_.slot(), detail::guard_in_filter{this},
                                           detail::guard_out_filter{this});
        substitute_slot_ = substitute.slot();
        if (requested_ != net::cancellation_type::none)
            relay_.emit(requested_); // Seed the union that nested guards read.
        saved_state_.slot().template emplace<detail::guard_recorder>(this);
        recorder_installed_ = true;
        *coroutine_.state = substitute;
    }
    // else: no slot, so no request can ever arrive; the flag is all there is.

    // G1 and G4: nothing in the scope throws; this_coro::throw_if_cancelled()
    // reads false.
    *coroutine_.throw_if_cancelled = false;
}

cancellation_guard::~cancellation_guard()
{
    release();
}

void cancellation_guard::release() noexcept
{
    if (!active_)
        return;
    active_ = false;

    if (substitute_slot_.is_connected())
    {
        // The recorder is destroyed with the saved state, so while it is
        // installed the saved state is alive.
        const bool saved_alive = recorder_installed_;
        if (saved_alive)
        {
            requested_ = static_cast<net::cancellation_type_t>(
                static_cast<unsigned>(requested_) |
                static_cast<unsigned>(saved_state_.cancelled()));
            saved_state_.slot().clear();
        }
        // G4: a reset_cancellation_state inside the scope replaced the state
        // for good; keep it and restore only the flag.
        if (coroutine_.state->slot() == substitute_slot_)
        {
            ASIO_SHIELD_ASSERT(saved_alive);
            *coroutine_.state = saved_state_; // G2: plain Asio's record is back.
        }
    }
    *coroutine_.throw_if_cancelled = saved_throw_if_cancelled_; // G4
}

net::cancellation_type_t cancellation_guard::cancellation_requested() const noexcept
{
    unsigned requested = static_cast<unsigned>(requested_);
    if (active_ && recorder_installed_)
        requested |= static_cast<unsigned>(saved_state_.cancelled());
    return static_cast<net::cancellation_type_t>(requested);
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield
