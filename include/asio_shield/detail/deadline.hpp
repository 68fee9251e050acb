//
// asio_shield/detail/deadline.hpp
//
// The one deadline engine (T8). Every grace period of the library runs on it:
// shield_for, shield_until and budgets (through detail/relay.hpp) and the
// grace period of a cancellation_guard, on `deadline`; the task group's join
// deadline and its shutdown's grace and hard stages, on `locked_deadline`,
// the engine's form for a target driven from several threads under a lock of
// its own (see there for why `deadline` cannot serve it). Both take the due
// time from one `grace_spec` and deliver inside one expiry mark. `deadline`
// does three things, each once for all of its users:
//
//   - Deadline (T1, T2, T5, T6): one timer, started by the first held request,
//     allocated only then with the target's allocator, on the executor T3
//     names, due at the earliest of a grace period after that request, an
//     absolute time and a shared budget. Or the user's timer
//     (`shield_for(timer, d, token)`, C5): then only the engine's small
//     record is allocated, and the grace period counts on the timer's clock.
//
//   - Expiry mark (T7): the target's delivery at the deadline, and every
//     delivery after it, runs inside an `expiry::scope`. A protection that a
//     request reaches inside such a scope knows that the request comes from a
//     deadline that has passed, its own or an enclosing one, and gives way at
//     once instead of starting a grace period of its own: the earliest
//     deadline wins. The mark is per thread because the request crosses
//     Asio's own cancellation states on its way (a coroutine's, co_spawn's),
//     whose filters drop every bit but terminal, partial and total, and E4
//     forbids other bits anyway; emission is synchronous, so everything the
//     delivery reaches on its way down sees the mark, and nothing else does.
//
//   - Re-delivery (T4): after the deadline the request stays in force until
//     the target goes away. The target says after each delivery where its
//     slot stands. Empty (the operation is between two steps): the target
//     puts a marker there, which the next step's handler replaces; the marker
//     calls `call_back_soon()`, and the request reaches that handler right
//     after the step has started. Holding a handler, which may be a finished
//     step's (Asio leaves it installed, and nothing public tells the two
//     apart): the engine delivers again after each of a short series of waits
//     (at once, then 1, 2, 4 ... ms, at most `max_redelivery_delay` apart),
//     so that the step which replaces a finished one is cut within that
//     bound, and at once when it was already queued behind the deadline.
//     Before the deadline none of this exists.
//
// Lifetime (E1): the target may be destroyed inside its own delivery (the
// operation completes inside the emit). The target's destructor calls
// `stop()`, which detaches the timer; the wait handler then frees it and
// touches nothing of the target.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_DEADLINE_HPP
#define ASIO_SHIELD_DETAIL_DEADLINE_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/grace_budget.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/basic_waitable_timer.hpp>
#else
#include <boost/asio/basic_waitable_timer.hpp>
#endif

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// T7: whether the request being delivered on this thread comes from a
/// deadline that has passed.
class expiry
{
    struct mark
    {
        int depth;
        const void* origin;
    };

public:
    /// True inside the delivery of a passed deadline, for every protection it
    /// reaches on its way down.
    static bool in_progress() noexcept { return current().depth > 0; }

    /// The coroutine whose flags an expiring guard gave back just now (its
    /// `throw_if_cancelled` flag's address), or null (a relay's deadline, a
    /// re-delivery). A guard of that same coroutine, nested in the expiring
    /// one, must not give back the flags it saved, which the outer guard set;
    /// the guard sets this mark itself around the emission that ends its scope.
    static const void* origin() noexcept { return current().origin; }

    /// Marks every request emitted on this thread while it lives.
    class scope
    {
    public:
        explicit scope(const void* origin) noexcept : previous_(current())
        {
            current().depth = previous_.depth + 1;
            current().origin = origin;
        }
        ~scope() { current() = previous_; }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;

    private:
        mark previous_;
    };

private:
    static mark& current() noexcept
    {
        static constinit thread_local mark m{0, nullptr};
        return m;
    }
};

/// The longest wait between two re-deliveries after a deadline (T4): a step
/// that replaces a finished step's handler is cut at most this long after it
/// starts (at once when it was queued behind the deadline).
inline constexpr std::chrono::milliseconds max_redelivery_delay{50};

/// The wait before the `n`th re-delivery after a deadline, when the slot
/// holds a handler: at once, then 1, 2, 4 ... ms, at most
/// `max_redelivery_delay`.
constexpr grace_duration redelivery_delay(unsigned n) noexcept
{
    if (n == 0)
        return grace_duration::zero();
    const std::chrono::milliseconds d =
        n > 7 ? max_redelivery_delay : std::chrono::milliseconds(1) * (1u << (n - 1));
    return std::chrono::duration_cast<grace_duration>(
        d < max_redelivery_delay ? d : max_redelivery_delay);
}

/// Where the engine's timer comes from (T3) and when it is first due: a
/// timer of the engine's own on `Executor`, allocated with the state at the
/// first held request, due at the earliest of a grace_spec's deadlines.
template <typename Executor>
struct own_timer
{
    using timer_type =
        net::basic_waitable_timer<grace_clock, net::wait_traits<grace_clock>, Executor>;
    using holder = timer_type;

    holder make() const { return timer_type(executor); }
    static timer_type& get(holder& h) noexcept { return h; }
    void arm(timer_type& t) const { t.expires_at(spec.due()); }

    grace_spec spec;
    Executor executor;
};

/// The user's timer (`shield_for(timer, d, token)`, as Asio's
/// `cancel_after(timer, d, token)`): nothing but a reference is kept, and
/// the grace period is counted on the timer's own clock.
template <typename Timer>
struct user_timer
{
    using timer_type = Timer;
    using holder = Timer*;

    holder make() const noexcept { return timer; }
    static Timer& get(holder h) noexcept { return *h; }
    void arm(Timer& t) const { t.expires_after(grace); }

    Timer* timer;
    typename Timer::duration grace;
};

/// The engine. Its `Hooks` supply two static functions:
///   `static void on_deadline(void* target)`: deliver (the first call is the
///     deadline itself); may destroy the target (E1);
///   `static bool after_deadline(void* target)`: called only if the target
///     survived; true to be called again after the next wait of the series,
///     false when the target placed a marker (or has nothing to deliver).
template <typename Executor, typename Allocator, typename Source = own_timer<Executor>>
class deadline
{
    struct state
    {
        using timer_type = typename Source::timer_type;
        using allocator_type =
            typename std::allocator_traits<Allocator>::template rebind_alloc<state>;

        state(const Source& src, const Allocator& a, deadline* o, void (*d)(void*),
              bool (*f)(void*), void* t)
            : holder(src.make()), allocator(a), owner(o), deliver(d), after(f), target(t)
        {}

        static state* create(const Source& src, const Allocator& a, deadline* o, void (*d)(void*),
                             bool (*f)(void*), void* t)
        {
            allocator_type alloc(a);
            state* p = std::allocator_traits<allocator_type>::allocate(alloc, 1);
            try
            {
                std::allocator_traits<allocator_type>::construct(alloc, p, src, a, o, d, f, t);
            }
            catch (...)
            {
                std::allocator_traits<allocator_type>::deallocate(alloc, p, 1);
                throw;
            }
            return p;
        }

        void destroy() noexcept
        {
            allocator_type alloc(allocator);
            std::allocator_traits<allocator_type>::destroy(alloc, this);
            std::allocator_traits<allocator_type>::deallocate(alloc, this, 1);
        }

        timer_type& timer() noexcept { return Source::get(holder); }

        typename Source::holder holder;
        Allocator allocator;
        deadline* owner; // Null once the target is gone.
        void (*deliver)(void*);
        bool (*after)(void*);
        void* target;
        unsigned redeliveries = 0; // T4: the position in the series of waits.
        bool waiting = false;      // A wait handler owns the state.
        bool running = false;      // The wait handler is delivering.
    };

    /// Owns the state while a wait is pending; frees it whether it runs or is
    /// destroyed unrun (the io_context went first, R2). Between waits (after
    /// the deadline, T4) the deadline object owns it.
    class wait_handler
    {
    public:
        explicit wait_handler(state* s) noexcept : state_(s) {}
        wait_handler(wait_handler&& other) noexcept : state_(std::exchange(other.state_, nullptr))
        {}
        wait_handler& operator=(wait_handler&&) = delete;

        ~wait_handler()
        {
            if (state_)
            {
                if (state_->owner)
                    state_->owner->state_ = nullptr;
                state_->destroy();
            }
        }

        template <typename ErrorCode>
        void operator()(const ErrorCode&)
        {
            state* s = std::exchange(state_, nullptr);
            s->waiting = false;
            if (!s->owner)
            {
                s->destroy();
                return;
            }
            // T1/T2 the first time, T4 after; T7: everything this reaches
            // knows the deadline has passed. The target may be destroyed
            // inside; stop() then leaves the state to us.
            s->running = true;
            {
                expiry::scope passed(nullptr);
                s->deliver(s->target);
            }
            s->running = false;
            if (!s->owner)
            {
                s->destroy();
                return;
            }
            if (s->after(s->target))
                s->owner->wait_after(redelivery_delay(s->redeliveries++));
        }

    private:
        state* state_;
    };

public:
    deadline(const grace_spec& spec, const Executor& ex,
             const Allocator& alloc) noexcept(std::is_nothrow_copy_constructible_v<Executor>&&
                                                  std::is_nothrow_copy_constructible_v<Allocator>)
        : source_{spec, ex}, allocator_(alloc)
    {}

    /// A timer source other than the engine's own (the user's timer).
    deadline(const Source& source,
             const Allocator& alloc) noexcept(std::is_nothrow_copy_constructible_v<Source>&&
                                                  std::is_nothrow_copy_constructible_v<Allocator>)
        : source_(source), allocator_(alloc)
    {}

    deadline(deadline&& other) noexcept(std::is_nothrow_move_constructible_v<Source>&&
                                            std::is_nothrow_move_constructible_v<Allocator>)
        : source_(std::move(other.source_)), allocator_(std::move(other.allocator_))
    {}

    deadline& operator=(deadline&&) = delete;

    ~deadline() { stop(); }

    /// The first held request: one timer, due at the earliest of the grace
    /// period from now, the absolute time and the budget (T1, T2, T6). Later
    /// calls do nothing. `Hooks::on_deadline(target)` and
    /// `Hooks::after_deadline(target)` are called as the header describes.
    template <typename Hooks>
    void start(void* target)
    {
        if (started_)
            return;
        create<Hooks>(target);
        source_.arm(state_->timer());
        wait();
    }

    /// T7: an enclosing deadline has passed, so this one passes now: the
    /// target has given way already, and the engine takes over the
    /// re-deliveries (T4), starting at once, whether or not its own timer was
    /// running.
    template <typename Hooks>
    void expire_now(void* target)
    {
        if (!started_)
        {
            create<Hooks>(target);
            expire_after(state_->timer(), grace_duration::zero());
            wait();
            return;
        }
        if (!state_ || state_->running)
            return;
        state_->redeliveries = 0;
        if (state_->waiting)
        {
            try
            {
                // The pending wait completes at once (operation_aborted,
                // which the wait handler does not look at) and delivers.
                expire_after(state_->timer(), grace_duration::zero());
            }
            catch (...)
            {
                // The timer keeps its own deadline: later, never lost.
            }
        }
        else
            wait_after(grace_duration::zero());
    }

    /// Whether the first held request started the timer (or a passed
    /// enclosing deadline did).
    bool started() const noexcept { return started_; }

    /// T4: a marker was replaced by the next step's handler: deliver again as
    /// soon as the current handler returns, and start the series of waits
    /// again. Does nothing before the deadline, while a wait is pending, or
    /// once stopped.
    void call_back_soon() noexcept
    {
        if (!state_ || state_->waiting || state_->running)
            return;
        state_->redeliveries = 0;
        wait_after(grace_duration::zero());
    }

    /// The target is going away: the timer must not reach back.
    void stop() noexcept
    {
        state* s = std::exchange(state_, nullptr);
        if (!s)
            return;
        s->owner = nullptr;
        if (s->waiting)
            s->timer().cancel(); // Its handler frees the state.
        else if (!s->running)
            s->destroy();
        // else: the running handler frees it when the delivery returns.
    }

private:
    template <typename Hooks>
    void create(void* target)
    {
        state_ = state::create(source_, allocator_, this, &Hooks::on_deadline,
                               &Hooks::after_deadline, target);
        started_ = true;
    }

    void wait()
    {
        state_->waiting = true;
        state_->timer().async_wait(wait_handler(state_));
    }

    void wait_after(grace_duration d) noexcept
    {
        try
        {
            expire_after(state_->timer(), d);
            wait();
        }
        catch (...)
        {
            // Out of memory for the wait: this delivery is lost, as in plain
            // Asio (the wait handler, destroyed unrun, freed the state).
        }
    }

    /// `d` on the timer's own clock (the user's may count in coarser units).
    template <typename Timer>
    static void expire_after(Timer& t, grace_duration d)
    {
        t.expires_after(std::chrono::ceil<typename Timer::duration>(d));
    }

    Source source_;
    Allocator allocator_;
    state* state_ = nullptr;
    bool started_ = false;
};

/// The engine's form for a target that several threads drive under a lock
/// of the target's own: the task group's join deadline and its shutdown's
/// grace and hard stages (J3, J6). The deadline comes from the same
/// `grace_spec` (T1, T5, T6) and is delivered inside the same expiry mark
/// (T7) as the engine's; what differs is who serialises the calls.
///
/// `deadline` relies on running on its target's executor (T3): its wait
/// handler reads the state that `start()` and `stop()` write, unlocked, and
/// its target is destroyed on that executor only (E1). A group's joins and
/// stages are started, ended and re-armed on any thread under the group's
/// mutex, and its targets are freed by whichever thread drops the last
/// reference. So here every call (`start`, `stop`, `current`) is made under
/// the target's lock, the wait handler touches nothing of this object, and
/// it keeps the target alive with a reference. There is no re-delivery
/// (T4): the group's requests go to each session's own signal, posted to the
/// session's executor (J2), where the protections inside hold them.
///
/// `Hooks` supply, for a target `t`:
///   `static void retain(void* t) noexcept`, `static void release(void* t)
///     noexcept`: a reference held by each pending wait;
///   `static void on_deadline(void* t, unsigned generation)`: the wait came
///     due; called without the lock, inside an `expiry::scope`. The hook
///     takes its lock and acts only if `current(generation)` still holds (a
///     `stop()` or a later `start()` makes the wait stale, and a wait that had
///     come due before the cancel still runs).
template <typename Executor>
class locked_deadline
{
public:
    using timer_type = typename own_timer<Executor>::timer_type;

    explicit locked_deadline(const Executor& ex) : timer_(ex) {}

    locked_deadline(const locked_deadline&) = delete;
    locked_deadline& operator=(const locked_deadline&) = delete;

    /// Under the target's lock: due at `spec.due()` (a deadline computed as
    /// the engine computes it); any earlier wait is stale from now on. The
    /// wait is allocated with `alloc` (the associated allocator of the
    /// handler the target serves).
    template <typename Hooks, typename Allocator>
    void start(const grace_spec& spec, void* target, const Allocator& alloc)
    {
        timer_.expires_at(spec.due());
        ++generation_;
        timer_.async_wait(wait_handler<Hooks, Allocator>(target, generation_, alloc));
    }

    /// Under the target's lock: the pending wait, if any, does nothing.
    void stop() noexcept
    {
        ++generation_;
        try
        {
            timer_.cancel();
        }
        catch (...)
        {
            // The wait then fires at its time and finds itself stale.
        }
    }

    /// Under the target's lock: whether the wait of `generation` is the one
    /// in force.
    bool current(unsigned generation) const noexcept { return generation == generation_; }

private:
    template <typename Hooks, typename Allocator>
    class wait_handler
    {
    public:
        using allocator_type = Allocator;

        wait_handler(void* target, unsigned generation, const Allocator& alloc) noexcept
            : target_(target), generation_(generation), allocator_(alloc)
        {
            Hooks::retain(target_);
        }
        wait_handler(wait_handler&& other) noexcept
            : target_(std::exchange(other.target_, nullptr)), generation_(other.generation_),
              allocator_(other.allocator_)
        {}
        wait_handler& operator=(wait_handler&&) = delete;
        ~wait_handler()
        {
            if (target_)
                Hooks::release(target_); // Destroyed unrun (R2), or after running.
        }

        allocator_type get_allocator() const noexcept { return allocator_; }

        template <typename ErrorCode>
        void operator()(const ErrorCode&)
        {
            // The error is not looked at: a cancelled wait is stale, and a
            // wait that came due just before the cancel is too.
            expiry::scope passed(nullptr);
            Hooks::on_deadline(target_, generation_);
        }

    private:
        void* target_;
        unsigned generation_;
        Allocator allocator_;
    };

    timer_type timer_;
    unsigned generation_ = 0;
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_DETAIL_DEADLINE_HPP
