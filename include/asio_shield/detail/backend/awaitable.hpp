//
// asio_shield/detail/backend/awaitable.hpp
//
// The coroutine backend for `asio::awaitable`: one of the two places where
// asio_shield relies on Asio internals (docs/contract.md, C1; the other is
// detail/backend/co_composed.hpp). It supplies the coroutine's state for the
// guard, the unchecked-await hook, and registers S3 for the awaitable's result
// types (`awaitable<T>` from use_awaitable, deferred operations).
//
// Inside `asio::awaitable`, every value-yielding `co_await` first checks the
// coroutine's sticky cancellation record and throws `operation_aborted`
// before any library code runs, and `this_coro`'s controls can only be
// `co_await`ed. `cancellation_guard` (G0, G1, G4) and `shield` on
// `use_awaitable` / `deferred` (S3) therefore reach below the public surface.
// Every internal used is listed here, instantiated by the configure-time
// probe with the user's macros (cmake/internals_probe.cpp), and tested on
// every Asio release the project claims (docs/internals.md).
//
//   I1  awaitable_frame_base<Ex>::attached_thread_ (protected data member,
//       awaitable_thread<Ex>*): the coroutine thread a running frame belongs to.
//       Read through a pointer to member formed in a derived class.
//   I2  awaitable_thread<Ex>::entry_point() and get_executor() (public member
//       functions): the thread's entry frame,
//       awaitable_frame<awaitable_thread_entry_point, Ex>, and its executor
//       (the grace timer of guard_cancellation_for runs on it, T3).
//   I3  that entry frame's private data members `cancellation_state_`
//       (cancellation_state), `throw_if_cancelled_` (bool) and `u_.executor_`
//       (the coroutine's executor, read when an enclosing deadline ends a
//       guard that has no executor of its own, T7), reached through an
//       explicit specialisation of `awaitable_frame_base`, a class template
//       the entry frame befriends. Unlike a running frame's thread, the entry
//       frame stays put while the coroutine is suspended.
//   I4  awaitable_frame_base<Ex>::await_transform(Function) — the overload for
//       callables `F(awaitable_frame_base<Ex>*) -> awaitable_thread<Ex>*` does
//       not check the cancellation record. The object it returns is a local
//       class of namespace net::detail with public members `function_` and
//       `this_`; an `operator co_await` found by argument-dependent lookup in
//       net::detail replaces it with our own awaiter.
//   I5  awaitable<T, Ex>::await_ready/await_suspend/await_resume (public, but
//       documented as not for direct use): delegated to by S3's awaiter.
//   I6  (Asio >= 1.24) awaitable_async_op<Signature, Op, Ex>: what
//       await_transform(Op&&) wraps an async operation in; S3's awaiter for
//       `deferred` builds one itself to skip the check. From Asio 1.28, with
//       handler tracking on and std::source_location available, its
//       constructor takes a third argument, detail::source_location.
//   I7  (Asio >= 1.24) detail::async_operation_probe: the type is_async_operation
//       probes with; a shielded deferred operation refuses it so that
//       await_transform's unchecked overload is the only viable one.
//   I8  detail::throw_error(error_code, const char*): throws what a plain
//       checked co_await throws.
//
// Nothing here is part of the API; public headers expose none of it.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_BACKEND_AWAITABLE_HPP
#define ASIO_SHIELD_DETAIL_BACKEND_AWAITABLE_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/coroutine_backend.hpp>
#include <asio_shield/detail/coroutine_ref.hpp>
#include <asio_shield/detail/deadline.hpp>
#include <asio_shield/detail/shield_result.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_state.hpp>
#include <asio/detail/throw_error.hpp>
#include <asio/error.hpp>
#include <asio/impl/awaitable.hpp>
#else
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/detail/throw_error.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/impl/awaitable.hpp>
#endif

#if defined(ASIO_SHIELD_HAS_DEFERRED)
#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/deferred.hpp>
#else
#include <boost/asio/deferred.hpp>
#endif
#endif

// I6: Asio 1.28 added a source_location argument to awaitable_async_op's
// constructor when handler tracking is on and the compiler has one.
#if ASIO_SHIELD_NET_VERSION >= 102800
#if defined(ASIO_SHIELD_STANDALONE)
#if defined(ASIO_ENABLE_HANDLER_TRACKING) && defined(ASIO_HAS_SOURCE_LOCATION)
#define ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION 1
#endif
#else
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING) && defined(BOOST_ASIO_HAS_SOURCE_LOCATION)
#define ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION 1
#endif
#endif
#endif

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// Key for the explicit specialisation that the entry frame befriends (I3).
struct internals_key
{};

/// I1: reads the protected `attached_thread_` of any frame.
template <typename Executor>
struct frame_peek : net::detail::awaitable_frame_base<Executor>
{
    static net::detail::awaitable_thread<Executor>*
    thread_of(net::detail::awaitable_frame_base<Executor>* frame) noexcept
    {
        return frame->*(&frame_peek::attached_thread_);
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

/// I3: the entry frame declares `template <typename> friend class
/// awaitable_frame_base;`, so this specialisation may read its private members.
template <>
class asio_shield::net::detail::awaitable_frame_base<asio_shield::detail::internals_key>
{
public:
    template <typename Executor>
    static ::asio_shield::detail::coroutine_ref
    ref(awaitable_frame<awaitable_thread_entry_point, Executor>* entry) noexcept
    {
        return {&entry->cancellation_state_, &entry->throw_if_cancelled_, nullptr};
    }

    template <typename Executor>
    static const Executor&
    executor(const awaitable_frame<awaitable_thread_entry_point, Executor>* entry) noexcept
    {
        return entry->u_.executor_;
    }
};

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// The cancellation state and flag of the coroutine thread running `frame`.
template <typename Executor>
coroutine_ref coroutine_of(net::detail::awaitable_frame_base<Executor>* frame) noexcept
{
    return net::detail::awaitable_frame_base<internals_key>::ref(
        frame_peek<Executor>::thread_of(frame)->entry_point()); // I1, I2, I3
}

/// The executor of the coroutine thread running `frame` (I1, I2).
template <typename Executor>
Executor executor_of(net::detail::awaitable_frame_base<Executor>* frame) noexcept
{
    return frame_peek<Executor>::thread_of(frame)->get_executor();
}

/// The coroutine's executor as an any_io_executor, for coroutine_ref: read
/// from the entry frame (I3), which stays put while the coroutine is
/// suspended (a running frame's thread does not).
template <typename Executor>
net::any_io_executor any_executor_of(const void* entry)
{
    return net::any_io_executor(net::detail::awaitable_frame_base<internals_key>::executor(
        static_cast<const net::detail::awaitable_frame<net::detail::awaitable_thread_entry_point,
                                                       Executor>*>(entry)));
}

/// The coroutine running `frame`, with its executor where one converts to
/// any_io_executor (T7, T4: see coroutine_ref).
template <typename Executor>
coroutine_ref guarded_coroutine_of(net::detail::awaitable_frame_base<Executor>* frame) noexcept
{
    auto* entry = frame_peek<Executor>::thread_of(frame)->entry_point();              // I1, I2
    coroutine_ref ref = net::detail::awaitable_frame_base<internals_key>::ref(entry); // I3
    if constexpr (std::is_convertible_v<Executor, net::any_io_executor>)
    {
        ref.executor = &any_executor_of<Executor>;
        ref.context = entry;
    }
    return ref;
}

/// I8: what a plain checked `co_await` throws.
[[noreturn]] inline void throw_operation_aborted()
{
    net::detail::throw_error(net::error::operation_aborted, "co_await");
    std::terminate(); // Not reached: throw_error throws for an error code.
}

/// S3: a plain `co_await` would throw here; a shielded one only when the
/// record holds a type its mask does not cover.
inline void check_shielded_await(const coroutine_ref& ref, net::cancellation_type_t blocked)
{
    if (*ref.throw_if_cancelled &&
        uncovered(ref.state->cancelled(), blocked) != net::cancellation_type::none)
        throw_operation_aborted();
}

/// The check above, as an S3 awaiter carries it for its mask. For a shield
/// with a deadline (`bounded_mask`) it also tells the operation, as it
/// starts, what the coroutine recorded before (detail/shield_result.hpp), so
/// that the deadline starts at once.
template <typename Mask>
class shielded_check
{
public:
    template <typename Executor>
    shielded_check(net::detail::awaitable_frame_base<Executor>* frame, Mask blocked) noexcept
        : ref_(coroutine_of(frame)), blocked_(blocked)
    {}

    void operator()() const { check_shielded_await(ref_, blocked_); }

    /// Just before the operation starts.
    void starting() const noexcept
    {
        if constexpr (std::is_same_v<Mask, bounded_mask>)
            recorded_start::offer(this, covered(ref_.state->cancelled(), blocked_));
    }

    /// When the coroutine resumes: an offer nothing took goes.
    void resumed() const noexcept
    {
        if constexpr (std::is_same_v<Mask, bounded_mask>)
            recorded_start::withdraw(this);
    }

private:
    coroutine_ref ref_;
    net::cancellation_type_t blocked_;
};

/// With every type blocked nothing recorded can make a shielded `co_await`
/// throw: no lookup, no check.
template <>
class shielded_check<every_type>
{
public:
    template <typename Executor>
    shielded_check(net::detail::awaitable_frame_base<Executor>*, every_type) noexcept
    {}

    void operator()() const noexcept {}
    void starting() const noexcept {}
    void resumed() const noexcept {}
};

/// Base for the types that route `co_await` through the unchecked
/// await_transform overload (I4). The call operator only makes that overload
/// viable; the awaiter returned by `make_awaiter` replaces the one Asio builds.
struct unchecked_awaitable_base
{
    template <typename Executor>
    net::detail::awaitable_thread<Executor>*
    operator()(net::detail::awaitable_frame_base<Executor>*) const noexcept
    {
        return nullptr; // Never called: operator co_await below takes over.
    }
};

template <typename T>
inline constexpr bool is_frame_pointer_v = false;

template <typename Executor>
inline constexpr bool is_frame_pointer_v<net::detail::awaitable_frame_base<Executor>*> = true;

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
/// What a shielded deferred operation may be launched with: any completion
/// token, but neither Asio's probe (I7) nor a frame pointer (I4).
template <typename CompletionToken>
concept launch_token =
    !std::is_same_v<std::decay_t<CompletionToken>, net::detail::async_operation_probe> &&
    !is_frame_pointer_v<std::decay_t<CompletionToken>>;
#endif

template <typename T>
inline constexpr bool is_unchecked_awaitable_v =
    std::is_base_of_v<unchecked_awaitable_base, std::remove_cvref_t<T>>;

/// S3 for `shield(use_awaitable)`: still an `awaitable<T, Executor>` (so `||`,
/// `&&` and `co_spawn` take it, by slicing), but a direct `co_await` skips the
/// check when the mask covers what was recorded.
template <typename T, typename Executor, typename Mask = net::cancellation_type_t>
class shielded_awaitable : public net::awaitable<T, Executor>, public unchecked_awaitable_base
{
public:
    using unchecked_awaitable_base::operator();

    shielded_awaitable(net::awaitable<T, Executor>&& a, Mask blocked) noexcept
        : net::awaitable<T, Executor>(std::move(a)), blocked_(blocked)
    {}

    /// Built in place over the `co_await` operand, which outlives it (the
    /// operand is a temporary of the same full-expression), so the awaitable
    /// is not moved again.
    class awaiter
    {
    public:
        awaiter(net::awaitable<T, Executor>& a, net::detail::awaitable_frame_base<Executor>* frame,
                Mask blocked) noexcept
            : awaitable_(a), check_(frame, blocked)
        {}

        bool await_ready()
        {
            check_();
            return awaitable_.await_ready(); // I5
        }

        template <typename Handle>
        void await_suspend(Handle h)
        {
            check_.starting();
            awaitable_.await_suspend(h); // I5
        }

        T await_resume()
        {
            check_.resumed();
            return awaitable_.await_resume(); // I5
        }

    private:
        net::awaitable<T, Executor>& awaitable_;
        [[no_unique_address]] shielded_check<Mask> check_;
    };

    awaiter make_awaiter(net::detail::awaitable_frame_base<Executor>* frame) &&
    {
        return awaiter(*this, frame, blocked_);
    }

private:
    [[no_unique_address]] Mask blocked_;
};

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)

/// S3 for `shield(deferred)`: still an async operation for every completion
/// token (so `parallel_group` takes it), but `co_await` inside an awaitable
/// skips the check when the mask covers what was recorded.
template <typename Op, typename Mask = net::cancellation_type_t>
class shielded_operation : public unchecked_awaitable_base
{
public:
    using unchecked_awaitable_base::operator();

    /// Built around the operation that `start()` returns, without moving it.
    template <typename Start>
    shielded_operation(Start&& start, Mask blocked)
        : op_(static_cast<Start&&>(start)()), blocked_(blocked)
    {}

    /// Launch with any completion token except Asio's probe (I7), so that
    /// `co_await` in an awaitable does not see an ordinary async operation.
    template <launch_token CompletionToken>
    auto operator()(CompletionToken&& token) && -> decltype(std::declval<Op&&>()(
        static_cast<CompletionToken&&>(token)))
    {
        return std::move(op_)(static_cast<CompletionToken&&>(token));
    }

    template <launch_token CompletionToken>
    auto operator()(CompletionToken&& token)
        const& -> decltype(std::declval<const Op&>()(static_cast<CompletionToken&&>(token)))
    {
        return op_(static_cast<CompletionToken&&>(token));
    }

    /// The shielded operation as an ordinary async operation: for consumers
    /// that probe for one (co_composed bodies, C4). Its `co_await` inside an
    /// `asio::awaitable` is checked like any operation's, so it gives up S3.
    Op operation() && { return std::move(op_); }
    const Op& operation() const& noexcept { return op_; }

    /// Built in place over the `co_await` operand, which outlives it (a
    /// temporary of the same full-expression): Asio's awaiter refers to the
    /// operand's operation, as it refers to a plain deferred operation.
    template <typename Executor>
    class awaiter
    {
        using async_op = net::detail::awaitable_async_op< // I6
            typename net::completion_signature_of<Op>::type, Op, Executor>;

    public:
        awaiter(Op& op, net::detail::awaitable_frame_base<Executor>* frame, Mask blocked
#if defined(ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION)
                ,
                const net::detail::source_location& location // I6, handler tracking
#endif
                )
            : check_(frame, blocked), async_op_(std::move(op), frame
#if defined(ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION)
                                                ,
                                                location
#endif
                                      )
        {}
        awaiter(const awaiter&) = delete;
        awaiter& operator=(const awaiter&) = delete;

        bool await_ready()
        {
            check_();
            return async_op_.await_ready();
        }

        template <typename Handle>
        void await_suspend(Handle h)
        {
            check_.starting();
            async_op_.await_suspend(h);
        }

        decltype(auto) await_resume()
        {
            check_.resumed();
            return async_op_.await_resume();
        }

    private:
        [[no_unique_address]] shielded_check<Mask> check_;
        async_op async_op_;
    };

    template <typename Executor>
    awaiter<Executor> make_awaiter(
        net::detail::awaitable_frame_base<Executor>* frame
#if defined(ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION)
        ,
        const net::detail::source_location& location = net::detail::source_location::current()
#endif
            ) &&
    {
        return awaiter<Executor>(op_, frame, blocked_
#if defined(ASIO_SHIELD_AWAITABLE_ASYNC_OP_TAKES_LOCATION)
                                 ,
                                 location
#endif
        );
    }

private:
    Op op_;
    [[no_unique_address]] Mask blocked_;
};

#endif // defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)

// S3 registration: what shield's async_result returns for the awaitable's
// result types (detail/shield_result.hpp has the identity for all others).
template <typename T, typename Executor, typename Mask>
struct shield_result<net::awaitable<T, Executor>, Mask>
{
    using type = shielded_awaitable<T, Executor, Mask>;

    template <typename Start>
    static type wrap(Start&& start, Mask blocked)
    {
        return type(static_cast<Start&&>(start)(), blocked);
    }
};

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
template <typename Signature, typename Initiation, typename... InitArgs, typename Mask>
struct shield_result<net::deferred_async_operation<Signature, Initiation, InitArgs...>, Mask>
{
    using op_type = net::deferred_async_operation<Signature, Initiation, InitArgs...>;
    using type = shielded_operation<op_type, Mask>;

    template <typename Start>
    static type wrap(Start&& start, Mask blocked)
    {
        return type(static_cast<Start&&>(start), blocked);
    }
};
#endif

/// The unchecked-await hook for a guard entry operand `Op` (I4): the call
/// operator routes `co_await op` through the unchecked await_transform
/// overload, and the awaiter, ready at once, enters the guard.
template <typename Op>
struct awaitable_entry_hook : unchecked_awaitable_base
{
    template <typename Executor>
    ready_entry<Op> make_awaiter(net::detail::awaitable_frame_base<Executor>* frame) &&
    {
        if constexpr (Op::needs_executor)
            static_assert(std::is_convertible_v<Executor, net::any_io_executor>,
                          "asio_shield::guard_cancellation_for: the coroutine's executor must be "
                          "convertible to any_io_executor to run the grace timer.");
        return ready_entry<Op>{static_cast<Op&&>(*this), guarded_coroutine_of(frame)};
    }
};

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
/// An initiation for the probe's deferred operation.
struct probe_initiation
{
    template <typename Handler>
    void operator()(Handler&&) const
    {}
};
#endif

/// A guard entry operand for the probe.
struct probe_entry : awaitable_entry_hook<probe_entry>
{
    static constexpr bool needs_executor = true;
    int enter(const coroutine_ref&) const { return 0; }
};

/// Compiled by the configure-time probe (C1): instantiates every internal
/// listed above for `Executor`, so a mismatching Asio fails the probe.
template <typename Executor>
void internals_selftest()
{
    using frame_base = net::detail::awaitable_frame_base<Executor>;
    static_assert(std::is_same_v<decltype(frame_peek<Executor>::thread_of(nullptr)),
                                 net::detail::awaitable_thread<Executor>*>);      // I1
    [[maybe_unused]] coroutine_ref (*ref)(frame_base*) = &coroutine_of<Executor>; // I2, I3
    [[maybe_unused]] Executor (*ex)(frame_base*) = &executor_of<Executor>;        // I2
    [[maybe_unused]] coroutine_ref (*guarded)(frame_base*) = &guarded_coroutine_of<Executor>; // I3
    struct probe_op : unchecked_awaitable_base
    {};
    using transformed = decltype(std::declval<frame_base&>().await_transform(probe_op{}));
    static_assert(std::is_same_v<decltype(std::declval<transformed&>().this_), frame_base*>); // I4
    static_assert(std::is_same_v<decltype(std::declval<transformed&>().function_), probe_op>);
    static_assert(
        std::is_same_v<decltype(std::declval<net::awaitable<int, Executor>&>().await_resume()),
                       int>);                                      // I5
    [[maybe_unused]] void (*thrower)() = &throw_operation_aborted; // I8
    // I4, I5 as S3 and the guard use them, with the user's macros.
    [[maybe_unused]] auto s3_awaitable = &shielded_awaitable<int, Executor>::make_awaiter;
    [[maybe_unused]] auto s3_full = &shielded_awaitable<int, Executor, every_type>::make_awaiter;
    [[maybe_unused]] auto s3_bounded =
        &shielded_awaitable<int, Executor, bounded_mask>::make_awaiter;
    // I1-I4 as a guard entry uses them.
    [[maybe_unused]] auto guard_entry = &probe_entry::template make_awaiter<Executor>;
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    // I6, I7: S3's awaiter for a deferred operation, built the way
    // await_transform builds Asio's own (with handler tracking's location
    // argument where this Asio takes one).
    using op = net::deferred_async_operation<void(), probe_initiation>;
    [[maybe_unused]] auto s3_operation = &shielded_operation<op>::template make_awaiter<Executor>;
    [[maybe_unused]] auto s3_full_op =
        &shielded_operation<op, every_type>::template make_awaiter<Executor>;
    static_assert(!net::is_async_operation<shielded_operation<op>>::value); // I7
#endif
}

/// Registration: slot 0 of detail/coroutine_backend.hpp.
template <>
struct backend_slot<0>
{
    template <typename Op>
    using await_hook = awaitable_entry_hook<Op>;

    template <typename = void>
    static void selftest()
    {
        internals_selftest<net::any_io_executor>();
    }
};

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
/// The deferred pipe, `op(shield(deferred)) | deferred(...)`, takes a shielded
/// operation as its head (C4).
template <typename Op, typename Mask>
struct asio_shield::net::is_deferred<asio_shield::detail::shielded_operation<Op, Mask>>
    : std::true_type
{};
#endif

ASIO_SHIELD_NET_NS_BEGIN
namespace detail {

/// I4: found by argument-dependent lookup for the object that the unchecked
/// await_transform overload returns; swaps in asio_shield's awaiter.
template <typename Transformed>
requires ::asio_shield::detail::is_unchecked_awaitable_v<
    decltype(std::declval<Transformed&>().function_)>
auto operator co_await(Transformed&& transformed)
{
    return std::move(transformed.function_).make_awaiter(transformed.this_);
}

} // namespace detail
ASIO_SHIELD_NET_NS_END

#endif // defined(ASIO_SHIELD_HAS_CO_AWAIT)

#endif // ASIO_SHIELD_DETAIL_BACKEND_AWAITABLE_HPP
