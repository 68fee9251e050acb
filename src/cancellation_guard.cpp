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
// Grace periods (T2). A guard made by guard_cancellation_for starts one timer,
// on the coroutine's executor, when the first request reaches it (or at entry
// if one was recorded). At expiry it gives the coroutine back its own state
// and flag first — so that whatever runs next, even inside the emission below,
// sees the coroutine as released — and then, as the last thing it does (E1),
// emits the union of the requests on its relay with its out filter open: the
// operations pending in the scope are cut. A nested guard's recorder hears
// that emission while `expiring_depth` says it comes from an expiring guard,
// and ends its own scope the same way, so an inner grace period never
// extends an outer one. Only the three named bits are ever emitted (E4).
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

#include <asio_shield/cancellation_guard.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_waitable_timer.hpp>
#else
#include <boost/asio/basic_waitable_timer.hpp>
#endif

#include <cstdint>
#include <mutex>
#include <utility>

// R4: debug builds check that the guards of a coroutine thread end innermost
// first (an outer guard released while an inner one is in force would leave
// the coroutine with a state pointing into the outer guard, and lose requests).
#if !defined(ASIO_SHIELD_CHECK_GUARD_ORDER) && !defined(NDEBUG)
#define ASIO_SHIELD_CHECK_GUARD_ORDER 1
#endif

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// Non-zero while an expiring guard emits to cut its scope: nested guards'
/// recorders, called synchronously inside that emission on this thread, end
/// their scopes with it (T2). Replaces a private bit in the emitted type (E4).
thread_local int expiring_depth = 0;

struct expiring_scope
{
    expiring_scope() noexcept { ++expiring_depth; }
    ~expiring_scope() { --expiring_depth; }
    expiring_scope(const expiring_scope&) = delete;
    expiring_scope& operator=(const expiring_scope&) = delete;
};

/// The grace timer of a guard; owned by its wait handler, so that it outlives
/// the guard when the guard ends first and is freed whichever goes first.
struct guard_timer
{
    guard_timer(const net::any_io_executor& ex, cancellation_guard* g) : timer(ex), guard(g) {}

    net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>> timer;
    cancellation_guard* guard; // Null once the guard ended.
};

struct guard_timer_handler
{
    explicit guard_timer_handler(guard_timer* t) noexcept : timer(t) {}
    guard_timer_handler(guard_timer_handler&& other) noexcept
        : timer(std::exchange(other.timer, nullptr))
    {}
    guard_timer_handler& operator=(guard_timer_handler&&) = delete;

    // R2: destroyed without running (the io_context went first).
    ~guard_timer_handler()
    {
        if (timer)
        {
            if (timer->guard)
                timer->guard->timer_ = nullptr;
            delete timer;
        }
    }

    template <typename ErrorCode>
    void operator()(const ErrorCode&)
    {
        guard_timer* t = std::exchange(timer, nullptr);
        cancellation_guard* guard = t->guard;
        if (guard)
            guard->timer_ = nullptr;
        delete t;
        if (guard)
            guard->expire(); // T2: the grace period ran out.
    }

    guard_timer* timer;
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
        if (!guard->expired_ && guard->coroutine_.state->slot() == guard->substitute_slot_)
            return net::cancellation_type::none;
        return type;
    }
};

/// Takes the recorder's place in the saved state's child slot when a guard
/// ends. Emplacing it reuses the slot's memory, where clear() would free it:
/// the next operation of the coroutine reuses it again, so a guard around an
/// operation costs no heap allocation even when Asio's small per-thread cache
/// of slot memory is full.
struct inert_handler
{
    void operator()(net::cancellation_type_t) const noexcept {}
};

/// The active guards of every coroutine thread, innermost first, in intrusive
/// lists hashed by the coroutine (its state's address): no allocation, so the
/// allocation counts of debug builds stay those of release builds. Used only
/// when ASIO_SHIELD_CHECK_GUARD_ORDER is on.
struct guard_order
{
    static constexpr std::size_t buckets = 256;

    static guard_order& instance() noexcept
    {
        static guard_order order;
        return order;
    }

    cancellation_guard*& head(const cancellation_guard* g) noexcept
    {
        const auto key = reinterpret_cast<std::uintptr_t>(g->coroutine_.state);
        return heads[(key >> 4) % buckets];
    }

    void push(cancellation_guard* g) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex);
        cancellation_guard*& first = head(g);
        g->next_active_ = first;
        first = g;
    }

    /// Unlinks `g`; whether it was the innermost active guard of its coroutine.
    bool pop(cancellation_guard* g) noexcept
    {
        std::lock_guard<std::mutex> lock(mutex);
        const cancellation_guard* innermost = nullptr;
        for (cancellation_guard** link = &head(g); *link; link = &(*link)->next_active_)
        {
            if ((*link)->coroutine_.state == g->coroutine_.state && !innermost)
                innermost = *link;
            if (*link == g)
            {
                *link = g->next_active_;
                g->next_active_ = nullptr;
                break;
            }
        }
        return innermost == g;
    }

    std::mutex mutex;
    cancellation_guard* heads[buckets] = {};
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
        // E1: ending the scope below replaces this recorder; nothing may read
        // a member after that, so the guard is taken first.
        cancellation_guard* g = guard;
        // T2: an enclosing guard's deadline passed; this scope ends with it.
        if (expiring_depth > 0)
        {
            g->expire_with_enclosing(type);
            return;
        }
        // G7: "after its filters": the saved state's record is its in filter's
        // verdict; `type` is what its out filter let through.
        g->relay_.emit(named(type | g->saved_state_.cancelled()));
    }

    cancellation_guard* guard;
};

} // namespace detail

cancellation_guard::cancellation_guard(detail::coroutine_ref coroutine)
    : coroutine_(coroutine),
      saved_state_(coroutine.state ? *coroutine.state : net::cancellation_state()),
      requested_(detail::named(saved_state_.cancelled())),
      saved_throw_if_cancelled_(coroutine.throw_if_cancelled && *coroutine.throw_if_cancelled),
      saved_complete_if_cancelled_(coroutine.complete_if_cancelled &&
                                   *coroutine.complete_if_cancelled)
{
    enter();
}

cancellation_guard::cancellation_guard(detail::coroutine_ref coroutine,
                                       const detail::grace_spec& grace,
                                       const net::any_io_executor& executor)
    : coroutine_(coroutine),
      saved_state_(coroutine.state ? *coroutine.state : net::cancellation_state()),
      requested_(detail::named(saved_state_.cancelled())),
      saved_throw_if_cancelled_(coroutine.throw_if_cancelled && *coroutine.throw_if_cancelled),
      saved_complete_if_cancelled_(coroutine.complete_if_cancelled &&
                                   *coroutine.complete_if_cancelled),
      has_grace_(true), grace_(grace), grace_executor_(executor)
{
    try
    {
        enter();
    }
    catch (...)
    {
        detach_timer(); // The destructor does not run for a throwing constructor.
        throw;
    }
}

void cancellation_guard::enter()
{
    if (!coroutine_.state)
        return; // Nothing can be requested of this coroutine (a co_composed body).
    if (saved_state_.slot().is_connected())
    {
        // Everything that can throw (bad_alloc) comes before the coroutine changes.
        net::cancellation_state substitute(relay_.slot(), detail::guard_in_filter{this},
                                           detail::guard_out_filter{this});
        substitute_slot_ = substitute.slot();
        if (requested_ != net::cancellation_type::none)
            relay_.emit(requested_); // Seed the union that nested guards read.
        // E4: an operation started (not yet awaited) on the coroutine's slot
        // keeps its handler; the guard then reads the saved record instead.
        if (!saved_state_.slot().has_handler())
        {
            saved_state_.slot().template emplace<detail::guard_recorder>(this);
            recorder_installed_ = true;
        }
        else
            foreign_handler_ = true;
        *coroutine_.state = substitute;
    }
    // else: no slot, so no request can ever arrive; the flags are all there is.

    // G1 and G4: nothing in the scope throws; this_coro::throw_if_cancelled()
    // reads false; a co_composed body does not complete at its next suspension.
    *coroutine_.throw_if_cancelled = false;
    if (coroutine_.complete_if_cancelled)
        *coroutine_.complete_if_cancelled = false;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    detail::guard_order::instance().push(this);
#endif
}

cancellation_guard::~cancellation_guard()
{
    release();
}

void cancellation_guard::on_request()
{
    if (has_grace_ && !timer_ && !expired_ && active_ &&
        detail::named(requested_) != net::cancellation_type::none)
    {
        // T2, T3: one timer, on the coroutine's executor, from the first request.
        timer_ = new detail::guard_timer(grace_executor_, this);
        timer_->timer.expires_at(grace_.due()); // T2, T6
        timer_->timer.async_wait(detail::guard_timer_handler(timer_));
    }
}

void cancellation_guard::detach_timer() noexcept
{
    if (timer_)
    {
        // Its handler frees it; it must not reach back into this guard.
        timer_->guard = nullptr;
        timer_->timer.cancel();
        timer_ = nullptr;
    }
}

void cancellation_guard::expire() noexcept
{
    if (!active_ || expired_)
        return;
    expired_ = true;
    detach_timer();
    const bool cut = substitute_slot_.is_connected();
    const net::cancellation_type_t what = cancellation_requested();
    // The coroutine is released first: whatever runs inside the emission
    // below, even the coroutine itself, sees it as in plain Asio (T2).
    end(true);
    if (cut && what != net::cancellation_type::none)
    {
        detail::expiring_scope expiring;
        relay_.emit(what); // E1: the last touch of this guard.
    }
}

void cancellation_guard::expire_with_enclosing(net::cancellation_type_t type) noexcept
{
    if (!active_ || expired_)
        return;
    requested_ |= detail::named(type);
    expired_ = true;
    detach_timer();
    const bool cut = substitute_slot_.is_connected();
    const net::cancellation_type_t what = cancellation_requested();
    // The enclosing guard already gave the coroutine back a state and flags
    // from outside this scope; restoring ours would undo that.
    end(false);
    if (cut && what != net::cancellation_type::none)
        relay_.emit(what); // E1: the last touch of this guard.
}

void cancellation_guard::release() noexcept
{
    // A guard that changed address leaves dangling pointers behind it
    // (see self_); enter guards with a plain declaration, not through `?:`.
    ASIO_SHIELD_ASSERT(self_ == this && "cancellation_guard was copied bitwise");
    if (!active_)
        return;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    {
        const bool innermost = detail::guard_order::instance().pop(this);
        // A guard entered after this one, in the same coroutine, is still in force.
        ASIO_SHIELD_ASSERT(innermost && "cancellation guards must end innermost first");
        (void)innermost;
        next_active_ = this; // Popped already; end() must not pop again.
    }
#endif
    end(true);
}

void cancellation_guard::end(bool restore) noexcept
{
    active_ = false;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    if (next_active_ != this)
        detail::guard_order::instance().pop(this); // An expiring scope: any order.
    next_active_ = nullptr;
#endif
    detach_timer();
    if (!coroutine_.state)
        return;

    if (substitute_slot_.is_connected())
    {
        // The recorder is destroyed with the saved state, so while it is
        // installed the saved state is alive. Without a recorder (E4), the
        // saved state is alive unless a reset inside the scope replaced it.
        const bool reset = coroutine_.state->slot() != substitute_slot_;
        const bool saved_alive = recorder_installed_ || (foreign_handler_ && !reset);
        if (saved_alive)
            requested_ |= detail::named(saved_state_.cancelled());
        if (recorder_installed_)
            saved_state_.slot().template emplace<detail::inert_handler>();
        // G4: a reset_cancellation_state inside the scope replaced the state
        // for good; keep it and restore only the flags.
        if (restore && !reset)
        {
            // G2: plain Asio's record is back. R2: if the saved state's owner
            // is already gone (the parent's signal destroyed during teardown),
            // leave no dangling state behind.
            *coroutine_.state = saved_alive ? saved_state_ : net::cancellation_state();
        }
    }
    if (restore)
    {
        *coroutine_.throw_if_cancelled = saved_throw_if_cancelled_; // G4
        if (coroutine_.complete_if_cancelled)
            *coroutine_.complete_if_cancelled = saved_complete_if_cancelled_;
    }
}

net::cancellation_type_t cancellation_guard::cancellation_requested() const noexcept
{
    net::cancellation_type_t requested = requested_;
    if (active_ && coroutine_.state &&
        (recorder_installed_ || (foreign_handler_ && coroutine_.state->slot() == substitute_slot_)))
        requested |= detail::named(saved_state_.cancelled());
    return requested;
}

} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield
