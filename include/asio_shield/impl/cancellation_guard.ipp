//
// asio_shield/impl/cancellation_guard.ipp
//
// Guard bookkeeping: the same for every executor and handler type. Included at
// the end of cancellation_guard.hpp (header-only, the default: every function
// below is `inline`), or compiled once through asio_shield/src.hpp, after that
// header, when ASIO_SHIELD_SEPARATE_COMPILATION is defined (P1, P2). It does
// not include cancellation_guard.hpp itself, which would make an include
// cycle.
//
// How a guard works. The coroutine's own cancellation state S (the one Asio
// built over the parent slot) stays installed where it is and keeps recording
// requests exactly as plain Asio does, so on exit nothing has to be re-created
// or re-emitted (G2, G4). For the guard's lifetime the entry frame is pointed
// at a substitute state over the guard's `relay_` signal (one of a per-thread
// pool, see signal_pool):
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
// Grace periods (T2) run on the one deadline engine (detail/deadline.hpp), on
// the coroutine's executor, started by the first request that reaches the
// guard (or at entry if one was recorded). At the deadline the guard gives the
// coroutine back its own flags first — so that whatever runs next, even inside
// the emission below, sees the coroutine as released — and then, as the last
// thing it does (E1), emits the union of the requests on its relay with its
// out filter open: the operations pending in the scope are cut.
//
// The earliest deadline wins (T7). The engine marks everything its delivery
// reaches (detail::expiry). A guard whose recorder hears a marked request —
// from an enclosing guard's deadline in the same coroutine, or from the
// shield_for, shield_until or budget the coroutine's caller awaits it with —
// ends its scope at once in the same way, whatever grace period it has of its
// own; a guard of the same coroutine as the expiring one leaves the flags as
// the outer guard gave them back.
//
// After the deadline (T4). The scope is over (flags given back, `expired()`),
// but the substitute stays the coroutine's state, its out filter open, until
// the guard itself ends: every step of the operation pending in the scope,
// and anything else awaited in what is left of it, binds to the substitute's
// slot (an awaitable's handler reads the coroutine's state each time an
// operation asks for its slot), and the recorder keeps passing later requests
// on. The guard's engine delivers again: to the next step at once through a
// marker when the deadline found the slot empty, and after the engine's
// series of waits while the slot holds a handler (which may be a finished
// step's). A handler that is installed is never replaced (E4). When the guard
// ends, the coroutine gets its state back as after any guard; nested guards
// give theirs back first, innermost first.
//
// Foreign handlers (E4). The recorder is installed in the saved state's child
// slot only when that slot is free. A coroutine may have started an operation
// bound to `this_coro::cancellation_state.slot()` without awaiting it yet; its
// handler stays where it is and keeps receiving requests as in plain Asio.
// The guard then learns of requests only from the saved state's record (read
// live by cancellation_requested() and at exit), and a grace period starts at
// entry or not at all (docs/guide.md, "Limits").
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_IMPL_CANCELLATION_GUARD_IPP
#define ASIO_SHIELD_IMPL_CANCELLATION_GUARD_IPP

#include <asio_shield/detail/guard_order.hpp>
#include <asio_shield/detail/signal_pool.hpp>

#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// What the deadline engine calls (detail/deadline.hpp).
struct guard_hooks
{
    static void on_deadline(void* self)
    {
        cancellation_guard& g = *static_cast<cancellation_guard*>(self);
        if (g.phase_ == cancellation_guard::phase::active)
            g.expire(); // T2: the grace period ran out.
        else
            g.redeliver(); // T4
    }

    static bool after_deadline(void* self) noexcept
    {
        return static_cast<cancellation_guard*>(self)->after_delivery();
    }
};

/// Waits in the substitute's empty slot after the deadline for the next step
/// of the operation pending in the scope (T4).
struct guard_redelivery_marker
{
    explicit guard_redelivery_marker(cancellation_guard* g) noexcept : guard(g)
    {
        guard->marker_ = true;
    }
    guard_redelivery_marker(const guard_redelivery_marker&) = delete;
    guard_redelivery_marker& operator=(const guard_redelivery_marker&) = delete;

    // Replaced by the operation's next handler: deliver again once the step
    // has started. When the guard ends it stops its engine first.
    ~guard_redelivery_marker()
    {
        guard->marker_ = false;
        if (guard->deadline_)
            guard->deadline_->call_back_soon();
    }

    // A request while no step is pending: kept for the next one.
    void operator()(net::cancellation_type_t type) noexcept { guard->requested_ |= named(type); }

    cancellation_guard* guard;
};

/// In filter of the substitute state: the union of everything seen (G7).
struct guard_in_filter
{
    cancellation_guard* guard;

    net::cancellation_type_t operator()(net::cancellation_type_t type) const
    {
        guard->requested_ |= named(type);
        guard->on_request(); // T2: the first request starts the grace period.
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
        // T2: once expired, everything passes: the scope is being cut.
        if (guard->phase_ == cancellation_guard::phase::active &&
            guard->coroutine_.state->slot() == guard->substitute_slot_)
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
    ~guard_recorder() { guard->listener_ = cancellation_guard::listener::none; }

    void operator()(net::cancellation_type_t type)
    {
        // E1: ending the scope below may replace this recorder; nothing may
        // read a member after that, so the guard is taken first.
        cancellation_guard* g = guard;
        // T7: a deadline above this guard has passed; the scope ends with it.
        // Once ended, requests and T4 deliveries pass on into the scope.
        if (expiry::in_progress() && g->phase_ == cancellation_guard::phase::active)
        {
            g->expire_with_enclosing(type);
            return;
        }
        // G7: "after its filters": the saved state's record is its in filter's
        // verdict; `type` is what its out filter let through.
        g->relay_->signal.emit(named(type | g->saved_state_.cancelled()));
    }

    cancellation_guard* guard;
};

} // namespace detail

ASIO_SHIELD_DECL cancellation_guard::cancellation_guard(detail::coroutine_ref coroutine)
    : coroutine_(coroutine),
      saved_state_(coroutine.state ? *coroutine.state : net::cancellation_state()),
      requested_(detail::named(saved_state_.cancelled())),
      saved_throw_if_cancelled_(coroutine.throw_if_cancelled && *coroutine.throw_if_cancelled),
      saved_second_check_(coroutine.second_check && *coroutine.second_check)
{
    enter();
}

ASIO_SHIELD_DECL cancellation_guard::cancellation_guard(detail::coroutine_ref coroutine,
                                                        const detail::grace_spec& grace,
                                                        const net::any_io_executor& executor)
    : coroutine_(coroutine),
      saved_state_(coroutine.state ? *coroutine.state : net::cancellation_state()),
      requested_(detail::named(saved_state_.cancelled())),
      deadline_(std::in_place, grace, executor, std::allocator<void>()),
      saved_throw_if_cancelled_(coroutine.throw_if_cancelled && *coroutine.throw_if_cancelled),
      saved_second_check_(coroutine.second_check && *coroutine.second_check)
{
    enter(); // On a throw, the engine's destructor gives up the timer.
}

ASIO_SHIELD_DECL void cancellation_guard::enter()
{
    if (!coroutine_.state)
        return; // Nothing can be requested of this coroutine (a co_composed body).
    if (saved_state_.slot().is_connected())
    {
        // Everything that can throw (bad_alloc) comes before the coroutine changes.
        relay_ = detail::signal_pool::take();
        net::cancellation_state substitute;
        try
        {
            substitute =
                net::cancellation_state(relay_->signal.slot(), detail::guard_in_filter{this},
                                        detail::guard_out_filter{this});
            substitute_slot_ = substitute.slot();
            // Seed the union that nested guards read. For a grace guard this
            // starts the timer, which can throw too.
            if (requested_ != net::cancellation_type::none)
                relay_->signal.emit(requested_);
            // E4: an operation started (not yet awaited) on the coroutine's
            // slot keeps its handler; the guard then reads the saved record.
            // Last, since nothing may throw once the recorder points here.
            if (!saved_state_.slot().has_handler())
            {
                saved_state_.slot().template emplace<detail::guard_recorder>(this);
                listener_ = listener::recorder;
            }
            else
                listener_ = listener::foreign;
        }
        catch (...)
        {
            // The destructor does not run for a throwing constructor.
            substitute_slot_ = net::cancellation_slot();
            detail::signal_pool::give(std::exchange(relay_, nullptr));
            throw;
        }
        *coroutine_.state = substitute;
    }
    // else: no slot, so no request can ever arrive; the flags are all there is.

    // G1 and G4: nothing in the scope throws; this_coro::throw_if_cancelled()
    // reads false; a co_composed body does not complete at its next suspension.
    *coroutine_.throw_if_cancelled = false;
    if (coroutine_.second_check)
        *coroutine_.second_check = false;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    detail::guard_order::instance().push(order_, coroutine_.state);
#endif
}

ASIO_SHIELD_DECL cancellation_guard::~cancellation_guard()
{
    release();
    if (phase_ == phase::expired)
    {
        // T4: the scope ended at a deadline; its engine, a marker and the
        // substitute state were kept until now. The engine stops first, so
        // that the marker cleared below calls nobody back.
        deadline_.reset();
        if (marker_)
            substitute_slot_.clear();
        give_back_state();
    }
    // Its substitute state stays in the signal until the next guard on this
    // thread builds its own over it; nothing emits on it before that.
    if (relay_)
        detail::signal_pool::give(relay_);
}

ASIO_SHIELD_DECL void cancellation_guard::on_request()
{
    // T2, T3: one timer, on the coroutine's executor, from the first request.
    if (phase_ == phase::active && deadline_ && !deadline_->started() &&
        detail::named(requested_) != net::cancellation_type::none)
        deadline_->template start<detail::guard_hooks>(this);
}

ASIO_SHIELD_DECL void cancellation_guard::expire() noexcept
{
    if (phase_ != phase::active)
        return;
    phase_ = phase::expired;
    const net::cancellation_type_t what = cancellation_requested();
    requested_ = what;
    // The flags are given back first: whatever runs inside the emission
    // below, even the coroutine itself, sees it as released (T2). Guards of
    // this coroutine nested in this one, ended by the emission, must leave
    // them so (T7): the mark below says whose flags are back.
    close_scope(true);
    detail::expiry::scope flags_back(coroutine_.throw_if_cancelled);
    cut(what);
}

ASIO_SHIELD_DECL void
cancellation_guard::expire_with_enclosing(net::cancellation_type_t type) noexcept
{
    if (phase_ != phase::active)
        return;
    requested_ |= detail::named(type);
    phase_ = phase::expired;
    const net::cancellation_type_t what = cancellation_requested();
    requested_ = what;
    // An enclosing guard of this same coroutine, expiring right now, gave
    // the coroutine back its flags already; ours, saved inside that scope,
    // would undo that. Any other delivery (a relay's deadline, another
    // coroutine's guard's, or a later re-delivery of an expired scope to a
    // guard entered after its deadline, whose saved flags are the ones given
    // back) leaves this coroutine's flags to this guard.
    close_scope(detail::expiry::origin() != coroutine_.throw_if_cancelled);
    // T4: this guard delivers again to its own scope from now on, at once
    // whatever its own grace period was. Without an executor (a coroutine
    // whose executor is no any_io_executor) the deadline above keeps
    // delivering through the recorder, after its own series of waits.
    try
    {
        if (!deadline_ && coroutine_.executor)
            deadline_.emplace(detail::grace_spec{}, coroutine_.executor(coroutine_.context),
                              std::allocator<void>());
        if (deadline_)
            deadline_->template expire_now<detail::guard_hooks>(this);
    }
    catch (...)
    {
        // Out of memory: the one emission below, and the deliveries from above.
    }
    detail::expiry::scope flags_back(coroutine_.throw_if_cancelled);
    cut(what);
}

ASIO_SHIELD_DECL void cancellation_guard::redeliver() noexcept
{
    const net::cancellation_type_t what = requested_;
    if (what != net::cancellation_type::none && !marker_ && substitute_slot_.is_connected() &&
        substitute_slot_.has_handler())
        relay_->signal.emit(what); // E1: the last touch of this guard.
}

ASIO_SHIELD_DECL bool cancellation_guard::after_delivery() noexcept
{
    if (phase_ != phase::expired || marker_ || !substitute_slot_.is_connected() ||
        requested_ == net::cancellation_type::none)
        return false;
    if (substitute_slot_.has_handler())
        return true; // Pending or finished: the engine's series of waits.
    place_marker();
    return !marker_;
}

ASIO_SHIELD_DECL void cancellation_guard::place_marker() noexcept
{
    // T4: only in an empty slot, and only while a call back is possible.
    if (!deadline_ || !deadline_->started() || marker_ || !substitute_slot_.is_connected() ||
        substitute_slot_.has_handler())
        return;
    try
    {
        substitute_slot_.template emplace<detail::guard_redelivery_marker>(this);
    }
    catch (...)
    {
        // Out of memory for the marker: the engine's series of waits instead.
    }
}

ASIO_SHIELD_DECL void cancellation_guard::cut(net::cancellation_type_t what) noexcept
{
    if (!substitute_slot_.is_connected() || what == net::cancellation_type::none)
        return;
    // T4: a step that is not pending now gets the request when it starts. The
    // marker goes in first, since nothing may touch the guard after the emit.
    place_marker();
    relay_->signal.emit(what); // E1: the last touch of this guard.
}

ASIO_SHIELD_DECL void cancellation_guard::release() noexcept
{
    // A guard that changed address leaves dangling pointers behind it
    // (see self_); enter guards with a plain declaration, not through `?:`.
    ASIO_SHIELD_ASSERT(self_ == this && "cancellation_guard was copied bitwise");
    if (phase_ != phase::active)
        return;
    deadline_.reset();
    // R4: a guard entered with the order check leaves the list whatever this
    // translation unit decided, so that header-only code compiled with and
    // without NDEBUG in one program never leaves a link behind.
    if (order_.linked)
    {
        const bool innermost = detail::guard_order::instance().pop(order_);
        // A guard entered after this one, in the same coroutine, is still in force.
        ASIO_SHIELD_ASSERT(innermost && "cancellation guards must end innermost first");
        (void)innermost;
    }
    phase_ = phase::released;
    end();
}

ASIO_SHIELD_DECL void cancellation_guard::end() noexcept
{
    close_scope(true);
    give_back_state();
}

ASIO_SHIELD_DECL void cancellation_guard::close_scope(bool restore) noexcept
{
    // An expiring scope ends in any order; popping again does nothing.
    if (order_.linked)
        detail::guard_order::instance().pop(order_);
    if (!coroutine_.state)
        return;
    if (restore)
    {
        *coroutine_.throw_if_cancelled = saved_throw_if_cancelled_; // G4
        if (coroutine_.second_check)
            *coroutine_.second_check = saved_second_check_;
    }
}

ASIO_SHIELD_DECL void cancellation_guard::give_back_state() noexcept
{
    if (!substitute_slot_.is_connected())
        return;
    // The recorder is destroyed with the saved state, so while it is
    // installed the saved state is alive. Without a recorder (E4), the saved
    // state is alive unless a reset inside the scope replaced it. Guards
    // nested in this one have given the coroutine back this guard's
    // substitute already (innermost first), so any other state is a reset's.
    const bool reset = coroutine_.state->slot() != substitute_slot_;
    const bool saved_alive =
        listener_ == listener::recorder || (listener_ == listener::foreign && !reset);
    if (saved_alive)
        requested_ |= detail::named(saved_state_.cancelled());
    // The slot is left free, as an awaited operation leaves it: a handler
    // left in it would look like an operation's to the next guard, which
    // would then not install its recorder (E4) and miss the requests of its
    // scope (T2, G7).
    if (listener_ == listener::recorder)
        saved_state_.slot().clear();
    // G4: a reset_cancellation_state inside the scope replaced the state
    // for good; keep it.
    if (!reset)
    {
        // G2: plain Asio's record is back. R2: if the saved state's owner
        // is already gone (the parent's signal destroyed during teardown),
        // leave no dangling state behind.
        *coroutine_.state = saved_alive ? saved_state_ : net::cancellation_state();
    }
    substitute_slot_ = net::cancellation_slot();
}

ASIO_SHIELD_DECL net::cancellation_type_t
cancellation_guard::cancellation_requested() const noexcept
{
    net::cancellation_type_t requested = requested_;
    if (phase_ == phase::active && coroutine_.state &&
        (listener_ == listener::recorder ||
         (listener_ == listener::foreign && coroutine_.state->slot() == substitute_slot_)))
        requested |= detail::named(saved_state_.cancelled());
    return requested;
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_IMPL_CANCELLATION_GUARD_IPP
