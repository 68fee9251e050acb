//
// src/cancellation_guard.cpp
//
// Guard bookkeeping: the same for every executor and handler type.
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
// After the deadline (T4). The scope is over (flags given back, `expired()`),
// but the substitute stays the coroutine's state, its out filter open, until
// the guard itself ends: every step of the operation pending in the scope,
// and anything else awaited in what is left of it, binds to the substitute's
// slot (an awaitable's handler reads the coroutine's state each time an
// operation asks for its slot), and the recorder keeps passing later requests
// on. The operation may be between two steps at the deadline, with no handler
// installed, so that the one emission is lost; then a marker waits in the
// empty slot. The next step replaces it with its own handler; the marker asks
// the expiring guard's timer for a zero-delay wait, and its handler delivers
// the union of the requests again, down through any guards nested in it. A
// handler that is installed is never replaced (E4). Nothing of this exists
// before the deadline. When the guard ends, the coroutine gets its state back
// as after any guard; nested guards give theirs back first, innermost first.
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
/// The guard whose deadline is being emitted; nested guards ended with it use
/// its timer for their T4 call backs.
thread_local cancellation_guard* expiring_guard = nullptr;

struct expiring_scope
{
    explicit expiring_scope(cancellation_guard* g) noexcept : previous(expiring_guard)
    {
        ++expiring_depth;
        expiring_guard = g;
    }
    ~expiring_scope()
    {
        --expiring_depth;
        expiring_guard = previous;
    }
    cancellation_guard* previous;
    expiring_scope(const expiring_scope&) = delete;
    expiring_scope& operator=(const expiring_scope&) = delete;
};

/// A signal that outlives the guard that used it, with the slot memory of its
/// last substitute state still in it.
struct pooled_signal
{
    net::cancellation_signal signal;
    pooled_signal* next = nullptr;
};

/// The signals that guards ended on this thread left behind. A guard's
/// substitute state is built in the slot of one of them: the state's memory
/// (and that of the state it replaces) is reused rather than freed to Asio's
/// per-thread cache, which holds only two blocks of slot memory, so a pair of
/// nested guards costs no heap allocation either (G3). The pool keeps at most
/// `capacity` signals (guards that start on one thread and end on another
/// move signals between pools) and is freed when the thread ends; a guard
/// ended after that, by a static object's destructor, frees its own.
struct signal_pool
{
    static constexpr int capacity = 16;

    pooled_signal* head;
    int size;
    bool gone;  // The thread's signals are freed; guards free their own.
    bool armed; // The reaper below will free them when the thread ends.

    /// Trivially constructible and destructible, so that a guard reaches it
    /// without a thread-local initialisation check, and it is still readable
    /// after the reaper ran.
    static signal_pool& local() noexcept
    {
        static constinit thread_local signal_pool pool{nullptr, 0, false, false};
        return pool;
    }

    struct reaper
    {
        reaper() = default;
        reaper(const reaper&) = delete;
        reaper& operator=(const reaper&) = delete;
        ~reaper()
        {
            signal_pool& pool = local();
            pool.gone = true;
            while (pool.head)
                delete std::exchange(pool.head, pool.head->next);
            pool.size = 0;
        }
    };

    /// Registers the reaper, the first time a signal is kept on this thread.
    static void arm() noexcept
    {
        [[maybe_unused]] static thread_local reaper r;
        local().armed = true;
    }

    static pooled_signal* take()
    {
        signal_pool& pool = local();
        if (pooled_signal* p = pool.head) // Empty once the reaper ran.
        {
            pool.head = std::exchange(p->next, nullptr);
            --pool.size;
            return p;
        }
        return new pooled_signal;
    }

    static void give(pooled_signal* p) noexcept
    {
        signal_pool& pool = local();
        if (!pool.gone && pool.size < capacity)
        {
            if (!pool.armed)
                arm();
            p->next = pool.head;
            pool.head = p;
            ++pool.size;
            return;
        }
        delete p;
    }
};

/// The grace timer of a guard. Owned by its wait handler while a wait is
/// pending, so that it outlives the guard when the guard ends first, and by
/// the guard between the deadline and the guard's end (T4's call backs); freed
/// by whichever is left.
struct guard_timer
{
    guard_timer(const net::any_io_executor& ex, cancellation_guard* g) : timer(ex), guard(g) {}

    net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>> timer;
    cancellation_guard* guard; // Null once the guard ended.
    bool waiting = false;      // A wait handler owns this.
    bool running = false;      // The wait handler is calling the guard.
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
        t->waiting = false;
        if (!t->guard)
        {
            delete t;
            return;
        }
        // T2 the first time, T4 after. The coroutine may leave the scope
        // inside, and end the guard; detach_timer() then leaves t to us.
        t->running = true;
        t->guard->on_timer();
        t->running = false;
        if (!t->guard)
        {
            delete t;
            return;
        }
        t->guard->after_timer();
    }

    guard_timer* timer;
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
    // has started. When the guard ends it drops its deliverer first.
    ~guard_redelivery_marker()
    {
        guard->marker_ = false;
        if (guard->deliverer_)
            guard->deliverer_->call_back_soon();
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
        if (!guard->expired_ && guard->coroutine_.state->slot() == guard->substitute_slot_)
            return net::cancellation_type::none;
        return type;
    }
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
        // Once ended, requests and T4 deliveries pass on into the scope. Only
        // a guard of the same coroutine thread (the same flags) is enclosed:
        // a coroutine spawned on the guarded slot gets a request, which its
        // own guards hold as usual, and never the other coroutine's timer.
        if (expiring_depth > 0 && !g->expired_ && expiring_guard &&
            expiring_guard->coroutine_.throw_if_cancelled == g->coroutine_.throw_if_cancelled)
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
        relay_ = detail::signal_pool::take();
        net::cancellation_state substitute;
        try
        {
            substitute = net::cancellation_state(relay_->signal.slot(), detail::guard_in_filter{this},
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
                recorder_installed_ = true;
            }
            else
                foreign_handler_ = true;
        }
        catch (...)
        {
            // The destructor does not run for a throwing constructor; the
            // constructor gives up the timer.
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
    if (coroutine_.complete_if_cancelled)
        *coroutine_.complete_if_cancelled = false;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    detail::guard_order::instance().push(this);
#endif
}

cancellation_guard::~cancellation_guard()
{
    release();
    if (state_kept_)
    {
        // T4: the scope ended at a deadline; its timer, a marker and the
        // substitute state were kept until now.
        detach_timer();
        deliverer_ = nullptr;
        if (marker_)
            substitute_slot_.clear();
        give_back_state();
    }
    // Its substitute state stays in the signal until the next guard on this
    // thread builds its own over it; nothing emits on it before that.
    if (relay_)
        detail::signal_pool::give(relay_);
}

void cancellation_guard::on_request()
{
    if (has_grace_ && !timer_ && !expired_ && active_ &&
        detail::named(requested_) != net::cancellation_type::none)
    {
        // T2, T3: one timer, on the coroutine's executor, from the first request.
        timer_ = new detail::guard_timer(*grace_executor_, this);
        timer_->timer.expires_at(grace_.due()); // T2, T6
        timer_->waiting = true;
        timer_->timer.async_wait(detail::guard_timer_handler(timer_));
    }
}

void cancellation_guard::on_timer() noexcept
{
    if (!expired_)
    {
        expire(); // T2: the grace period ran out.
        return;
    }
    // T4: a marker was replaced by the operation's next handler.
    const net::cancellation_type_t what = requested_;
    if (what != net::cancellation_type::none && !marker_ && substitute_slot_.has_handler())
        relay_->signal.emit(what); // E1: the last touch of this guard.
}

void cancellation_guard::after_timer() noexcept
{
    if (expired_)
        place_marker();
}

void cancellation_guard::place_marker() noexcept
{
    // T4: only in an empty slot, and only while a call back is possible.
    if (!deliverer_ || !deliverer_->timer_ || marker_ || !substitute_slot_.is_connected() ||
        substitute_slot_.has_handler())
        return;
    try
    {
        substitute_slot_.template emplace<detail::guard_redelivery_marker>(this);
    }
    catch (...)
    {
        // Out of memory for the marker: the one emission is all, as in plain Asio.
    }
}

void cancellation_guard::call_back_soon() noexcept
{
    detail::guard_timer* t = timer_;
    if (!t || t->waiting || t->running)
        return;
    try
    {
        t->timer.expires_after(detail::grace_duration::zero());
        t->waiting = true;
        t->timer.async_wait(detail::guard_timer_handler(t));
    }
    catch (...)
    {
        // Out of memory for the wait: this delivery is lost, as in plain Asio.
        // The wait handler, destroyed unrun, gave the timer up already.
    }
}

void cancellation_guard::drop_timer() noexcept
{
    detail::guard_timer* t = std::exchange(timer_, nullptr);
    // A pending or running wait handler frees it; it must not reach back.
    t->guard = nullptr;
    if (t->waiting)
        t->timer.cancel();
    else if (!t->running)
        delete t;
}

void cancellation_guard::expire() noexcept
{
    if (!active_ || expired_)
        return;
    // Called by the timer's handler, which keeps the timer for T4.
    expired_ = true;
    deliverer_ = this;
    const net::cancellation_type_t what = cancellation_requested();
    requested_ = what;
    // The flags are given back first: whatever runs inside the emission
    // below, even the coroutine itself, sees it as released (T2).
    close_scope(true);
    detail::expiring_scope expiring(this);
    cut(what);
}

void cancellation_guard::expire_with_enclosing(net::cancellation_type_t type) noexcept
{
    if (!active_ || expired_)
        return;
    requested_ |= detail::named(type);
    expired_ = true;
    detach_timer(); // This guard's own deadline no longer matters.
    deliverer_ = detail::expiring_guard; // T4: its timer calls back for us too.
    const net::cancellation_type_t what = cancellation_requested();
    requested_ = what;
    // The enclosing guard already gave the coroutine back its flags; ours,
    // from inside that scope, would undo that.
    close_scope(false);
    cut(what);
}

void cancellation_guard::cut(net::cancellation_type_t what) noexcept
{
    if (!substitute_slot_.is_connected() || what == net::cancellation_type::none)
        return;
    // T4: a step that is not pending now gets the request when it starts. The
    // marker goes in first, since nothing may touch the guard after the emit.
    place_marker();
    relay_->signal.emit(what); // E1: the last touch of this guard.
}

void cancellation_guard::release() noexcept
{
    // A guard that changed address leaves dangling pointers behind it
    // (see self_); enter guards with a plain declaration, not through `?:`.
    ASIO_SHIELD_ASSERT(self_ == this && "cancellation_guard was copied bitwise");
    if (!active_)
        return;
    detach_timer();
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
    close_scope(restore);
    give_back_state();
}

void cancellation_guard::close_scope(bool restore) noexcept
{
    active_ = false;
#if defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
    if (next_active_ != this)
        detail::guard_order::instance().pop(this); // An expiring scope: any order.
    next_active_ = nullptr;
#endif
    if (!coroutine_.state)
        return;
    state_kept_ = substitute_slot_.is_connected();
    if (restore)
    {
        *coroutine_.throw_if_cancelled = saved_throw_if_cancelled_; // G4
        if (coroutine_.complete_if_cancelled)
            *coroutine_.complete_if_cancelled = saved_complete_if_cancelled_;
    }
}

void cancellation_guard::give_back_state() noexcept
{
    if (!state_kept_)
        return;
    state_kept_ = false;
    // The recorder is destroyed with the saved state, so while it is
    // installed the saved state is alive. Without a recorder (E4), the saved
    // state is alive unless a reset inside the scope replaced it. Guards
    // nested in this one have given the coroutine back this guard's
    // substitute already (innermost first), so any other state is a reset's.
    const bool reset = coroutine_.state->slot() != substitute_slot_;
    const bool saved_alive = recorder_installed_ || (foreign_handler_ && !reset);
    if (saved_alive)
        requested_ |= detail::named(saved_state_.cancelled());
    // The slot is left free, as an awaited operation leaves it: a handler
    // left in it would look like an operation's to the next guard, which
    // would then not install its recorder (E4) and miss the requests of its
    // scope (T2, G7).
    if (recorder_installed_)
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
