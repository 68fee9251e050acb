// Hostile operations: initiating functions written the way third-party code
// (not Asio) writes them, for the E rules of docs/contract.md. Each one is
// built with net::async_initiate, so it takes callbacks, use_awaitable and
// deferred alike, and each reads the cancellation slot associated with its
// handler. A `hostile::control`, owned by the test, drives the operation
// (finish(), advance(), next()) and records what reached it; it must outlive
// the signal whose slot the operation was bound to, since slot handlers stay
// installed after completion (as Asio's do) and point to it.
//
// No operation sleeps or waits for the clock: everything happens when the test
// says so, or inline where the operation's hostility is to do it inline.
#ifndef ASIO_SHIELD_TEST_COMMON_HOSTILE_HPP
#define ASIO_SHIELD_TEST_COMMON_HOSTILE_HPP

#include "common/net.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace test::hostile {

using signature = void(error_code);

/// terminal | partial | total: the only bits an operation may ever receive (E4).
inline constexpr unsigned named_bits = static_cast<unsigned>(net::cancellation_type::terminal) |
                                       static_cast<unsigned>(net::cancellation_type::partial) |
                                       static_cast<unsigned>(net::cancellation_type::total);

/// A stored completion handler, move-only and type-erased (no copy required).
/// `post` delivers on the executor the handler was associated with when stored;
/// `invoke_inline` calls it right here, as hostile operations do.
class pending_completion
{
public:
    /// Keeps `handler`; its associated executor (or `fallback`) is read now.
    template <typename Handler, typename Executor>
    void store(Handler&& handler, const Executor& fallback)
    {
        using handler_type = std::decay_t<Handler>;
        net::any_io_executor ex = net::get_associated_executor(handler, fallback);
        impl_ = std::make_unique<model<handler_type>>(static_cast<Handler&&>(handler), ex);
    }

    /// Keeps `handler`, to be delivered on `ex`.
    template <typename Handler>
    void store_on(Handler&& handler, net::any_io_executor ex)
    {
        impl_ = std::make_unique<model<std::decay_t<Handler>>>(static_cast<Handler&&>(handler),
                                                               std::move(ex));
    }

    bool has_value() const noexcept { return impl_ != nullptr; }

    /// Posts the completion to the handler's executor; at most once.
    void post(error_code ec)
    {
        if (auto impl = std::move(impl_))
        {
            concept_t* raw = impl.get();
            raw->post(ec, std::move(impl));
        }
    }

    /// Calls the handler right here, inside whatever is on the stack.
    void invoke_inline(error_code ec)
    {
        if (auto impl = std::move(impl_))
            impl->invoke(ec);
    }

private:
    struct concept_t
    {
        virtual ~concept_t() = default;
        virtual void post(error_code ec, std::unique_ptr<concept_t> self) = 0;
        virtual void invoke(error_code ec) = 0;
    };

    template <typename Handler>
    struct model final : concept_t
    {
        template <typename H>
        model(H&& h, net::any_io_executor e) : handler(static_cast<H&&>(h)), ex(std::move(e))
        {}

        void post(error_code ec, std::unique_ptr<concept_t> self) override
        {
            net::any_io_executor target = ex;
            net::post(target, [self = std::move(self), ec]() mutable {
                auto& m = static_cast<model&>(*self);
                Handler h(std::move(m.handler));
                self.reset();
                std::move(h)(ec);
            });
        }

        void invoke(error_code ec) override
        {
            Handler h(std::move(handler));
            std::move(h)(ec);
        }

        Handler handler;
        net::any_io_executor ex;
    };

    std::unique_ptr<concept_t> impl_;
};

/// Drives one hostile operation and records what reached it. One control per
/// operation; it outlives the operation and the signal it is bound to.
class control
{
public:
    // --- what the operation saw ---

    /// Every type its slot handler received, in order (E4: named bits only).
    std::vector<net::cancellation_type_t> received;
    /// Slot-handler calls that arrived after the operation had completed: a
    /// stale handler was called (E3).
    int calls_after_completion = 0;
    /// The operation delivered its completion (or handed it to the executor).
    bool completed = false;
    /// multi_step: steps that ran to their end.
    int steps_done = 0;
    /// multi_step: the step that a cancellation cut, if any (1-based).
    int step_cut = 0;
    /// Whether the operation had a connected slot at initiation.
    bool slot_connected = false;

    // --- driving it ---

    /// Completes the pending operation with `ec` (on its handler's executor).
    void finish(error_code ec = {})
    {
        if (!completion_.has_value())
            return;
        completed = true;
        if (finish_via_)
        {
            // completes_on_other_executor: the work ends on the other context,
            // which then hands the completion to the handler's executor.
            net::post(*finish_via_, [this, ec] { completion_.post(ec); });
        }
        else
            completion_.post(ec);
    }

    /// finish() for a single-step operation, advance() for multi_step.
    void drive()
    {
        if (steps_total_ > 0)
        {
            if (step_pending_)
                advance();
            else
                next();
        }
        else
            finish();
    }

    /// Whether the operation still owes its completion.
    bool pending() const noexcept { return completion_.has_value(); }

    /// multi_step: the current step ends normally. The next one starts from a
    /// post (no handler pending in between), or at next() when holding.
    void advance()
    {
        if (!step_pending_)
            return;
        step_pending_ = false;
        ++steps_done;
        // Like async_compose: the finished step's handler is removed.
        if (slot_.is_connected())
            slot_.clear();
        if (steps_done == steps_total_)
        {
            finish();
            return;
        }
        if (!hold_between_steps)
            net::post(executor_, [this] { next(); });
    }

    /// multi_step: starts the next step (when hold_between_steps is set).
    void next()
    {
        if (step_pending_ || !pending() || steps_done == steps_total_)
            return;
        start_step();
    }

    /// multi_step: whether a step is pending (a handler installed).
    bool step_pending() const noexcept { return step_pending_; }

    /// multi_step: do not start the next step before next() is called.
    bool hold_between_steps = false;

    // --- used by the operations below ---

    void record(net::cancellation_type_t type)
    {
        received.push_back(type);
        if (!pending())
            ++calls_after_completion;
    }

    /// Whether every recorded type has only named bits.
    bool only_named_bits() const
    {
        for (auto t : received)
            if ((static_cast<unsigned>(t) & ~named_bits) != 0)
                return false;
        return true;
    }

    pending_completion completion_;
    std::optional<net::any_io_executor> finish_via_;
    net::any_io_executor executor_;
    net::cancellation_slot slot_;
    int steps_total_ = 0;
    bool step_pending_ = false;

    void start_step();
};

/// multi_step's per-step slot handler: cuts only its own step.
struct step_canceller
{
    // A constructor, not an aggregate: clang 14 has no parenthesised
    // aggregate initialisation, which slot.emplace() would need.
    step_canceller(control* c, int s) noexcept : ctl(c), step(s) {}

    control* ctl;
    int step;

    void operator()(net::cancellation_type_t type) const
    {
        control* c = ctl; // This object may be destroyed by what follows.
        c->record(type);
        if (!c->step_pending_ || c->steps_done + 1 != step ||
            (static_cast<unsigned>(type) & named_bits) == 0)
            return;
        c->step_pending_ = false;
        c->step_cut = step;
        c->finish(net::error::operation_aborted);
    }
};

inline void control::start_step()
{
    step_pending_ = true;
    // A NEW handler per step, as a composed operation's inner operation
    // installs its own (Boost.Beast's message_generator write does this).
    if (slot_.is_connected())
        slot_.template emplace<step_canceller>(this, steps_done + 1);
}

/// Completes the operation, with operation_aborted, inside the emit that
/// reached it.
struct inline_completer
{
    explicit inline_completer(control* c) noexcept : ctl(c) {}

    control* ctl;

    void operator()(net::cancellation_type_t type) const
    {
        control* c = ctl; // The completion below may destroy this object.
        c->record(type);
        if (!c->pending() || (static_cast<unsigned>(type) & named_bits) == 0)
            return;
        c->completed = true;
        c->completion_.invoke_inline(net::error::operation_aborted);
        // Nothing of *this is touched from here on (E1 asks the same of us).
    }
};

/// Completes the operation with operation_aborted through its executor when a
/// request with a named bit arrives; records every request.
struct posting_canceller
{
    explicit posting_canceller(control* c) noexcept : ctl(c) {}

    control* ctl;

    void operator()(net::cancellation_type_t type) const
    {
        control* c = ctl;
        c->record(type);
        if (c->pending() && (static_cast<unsigned>(type) & named_bits) != 0)
            c->finish(net::error::operation_aborted);
    }
};

/// Base of the initiations: names an executor, so shield_for's timer has one.
struct initiation_base
{
    using executor_type = net::any_io_executor;
    executor_type get_executor() const noexcept { return ex; }
    executor_type ex;
};

template <typename Handler>
net::cancellation_slot slot_of(const Handler& h)
{
    return net::get_associated_cancellation_slot(h);
}

// 1. -------------------------------------------------------------------------

struct complete_in_cancel_handler_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c) const
    {
        c->executor_ = ex;
        auto slot = slot_of(handler);
        c->slot_connected = slot.is_connected();
        c->completion_.store(static_cast<Handler&&>(handler), ex);
        if (slot.is_connected())
            slot.template emplace<inline_completer>(c);
    }
};

/// Completes inline, inside the emit that reaches its slot handler, with
/// operation_aborted; otherwise when `c.finish()` is called.
template <typename Token>
auto async_complete_in_cancel_handler(net::any_io_executor ex, control& c, Token&& token)
{
    return net::async_initiate<Token, signature>(complete_in_cancel_handler_initiation{{ex}}, token,
                                                 &c);
}

// 2. -------------------------------------------------------------------------

struct complete_during_initiation_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c, error_code ec) const
    {
        c->executor_ = ex;
        c->slot_connected = slot_of(handler).is_connected();
        c->completed = true;
        Handler h(static_cast<Handler&&>(handler));
        std::move(h)(ec); // No post: the initiation itself completes it.
    }
};

/// Calls the handler from inside the initiation, with `ec`.
template <typename Token>
auto async_complete_during_initiation(net::any_io_executor ex, control& c, Token&& token,
                                      error_code ec = {})
{
    return net::async_initiate<Token, signature>(complete_during_initiation_initiation{{ex}}, token,
                                                 &c, ec);
}

// 3. -------------------------------------------------------------------------

struct never_installs_handler_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c) const
    {
        c->executor_ = ex;
        c->slot_connected = slot_of(handler).is_connected();
        c->completion_.store(static_cast<Handler&&>(handler), ex);
    }
};

/// Ignores its slot; completes when `c.finish()` is called.
template <typename Token>
auto async_never_installs_handler(net::any_io_executor ex, control& c, Token&& token)
{
    return net::async_initiate<Token, signature>(never_installs_handler_initiation{{ex}}, token,
                                                 &c);
}

// 4. -------------------------------------------------------------------------

struct multi_step_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c, int steps) const
    {
        c->executor_ = ex;
        c->slot_ = slot_of(handler);
        c->slot_connected = c->slot_.is_connected();
        c->steps_total_ = steps;
        c->completion_.store(static_cast<Handler&&>(handler), ex);
        c->start_step();
    }
};

/// `steps` steps, each ended by `c.advance()`. Each step installs a new slot
/// handler that cuts only that step; between steps (a post, or until
/// `c.next()` when `c.hold_between_steps`) nothing is installed and a request
/// reaches nobody.
template <typename Token>
auto async_multi_step(net::any_io_executor ex, control& c, int steps, Token&& token)
{
    return net::async_initiate<Token, signature>(multi_step_initiation{{ex}}, token, &c, steps);
}

// 5. -------------------------------------------------------------------------

struct stores_in_std_function_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c) const
    {
        using handler_type = std::decay_t<Handler>;
        // E2: what such code requires of the handler it is given.
        static_assert(std::is_copy_constructible_v<handler_type>,
                      "E2: the handler this initiation receives is not copyable, so it cannot be "
                      "stored in a std::function");
        c->executor_ = ex;
        auto slot = slot_of(handler);
        c->slot_connected = slot.is_connected();
        net::any_io_executor target = net::get_associated_executor(handler, ex);
        std::function<void(error_code)> stored(static_cast<Handler&&>(handler));
        c->completion_.store_on(std::move(stored), target);
        if (slot.is_connected())
            slot.template emplace<posting_canceller>(c);
    }
};

/// Keeps its handler in a std::function (so the handler must be copyable);
/// completes on `c.finish()` or a request with a named bit.
template <typename Token>
auto async_stores_in_std_function(net::any_io_executor ex, control& c, Token&& token)
{
    return net::async_initiate<Token, signature>(stores_in_std_function_initiation{{ex}}, token,
                                                 &c);
}

// 6. -------------------------------------------------------------------------

struct completes_on_other_executor_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c) const
    {
        c->executor_ = ex;
        auto slot = slot_of(handler);
        c->slot_connected = slot.is_connected();
        c->finish_via_ = ex;
        // The operation's own executor is the other context: a handler that
        // lost its associated executor would run there.
        c->completion_.store(static_cast<Handler&&>(handler), ex);
        if (slot.is_connected())
            slot.template emplace<posting_canceller>(c);
    }
};

/// Does its work on `other` (a second io_context or a strand); its completion
/// is handed from there to the handler's associated executor (or `other`).
template <typename Token>
auto async_completes_on_other_executor(net::any_io_executor other, control& c, Token&& token)
{
    return net::async_initiate<Token, signature>(completes_on_other_executor_initiation{{other}},
                                                 token, &c);
}

// 7. -------------------------------------------------------------------------

struct records_types_initiation : initiation_base
{
    template <typename Handler>
    void operator()(Handler&& handler, control* c) const
    {
        c->executor_ = ex;
        auto slot = slot_of(handler);
        c->slot_connected = slot.is_connected();
        c->completion_.store(static_cast<Handler&&>(handler), ex);
        if (slot.is_connected())
            slot.template emplace<posting_canceller>(c);
    }
};

/// Records every type its slot handler receives (`c.received`), including
/// after completion (`c.calls_after_completion`); completes with
/// operation_aborted at the first request with a named bit, or on `c.finish()`.
template <typename Token>
auto async_records_types(net::any_io_executor ex, control& c, Token&& token)
{
    return net::async_initiate<Token, signature>(records_types_initiation{{ex}}, token, &c);
}

// ----------------------------------------------------------------------------

/// A printable account of a completion: "not called", or the error's message.
inline std::string what(const std::optional<error_code>& ec)
{
    if (!ec)
        return "not called";
    return *ec ? ec->message() : std::string("success");
}

inline std::string what(const error_code& ec)
{
    return what(std::optional<error_code>(ec));
}

/// What a test's completion handler saw (R1: exactly once, on its executor).
struct outcome
{
    int calls = 0;
    std::optional<error_code> ec;
    bool on_expected_executor = false;
};

/// A completion callback that records into `out` whether it ran inside `ex`
/// (a strand, or an io_context's executor), bound to `ex`.
template <typename Executor>
auto recording_handler(outcome& out, const Executor& ex)
{
    return net::bind_executor(ex, [&out, ex](error_code ec) {
        ++out.calls;
        out.ec = ec;
        out.on_expected_executor = ex.running_in_this_thread();
    });
}

} // namespace test::hostile

#endif
