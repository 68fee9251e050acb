// The measured scenarios, shared by bench_timing (Google Benchmark) and
// bench_ops (a fixed number of operations, for callgrind and the allocation
// counter). Each scenario is a function template over a `Loop` with
// `bool KeepRunning()`: benchmark::State, or bench_ops' counted loop. Setup
// (io_context, sockets, the spawned coroutine) happens before the first
// KeepRunning() call, so it is never part of what is measured.
//
// Every coroutine runs under a connected parent slot, as a session spawned by
// a server with a stop signal does: that is where shields and guards have
// something to do. A coroutine spawned without a slot has no cancellation
// state at all and every variant below would be trivially equal.
#ifndef ASIO_SHIELD_BENCH_SCENARIOS_HPP
#define ASIO_SHIELD_BENCH_SCENARIOS_HPP

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#if !defined(ASIO_SHIELD_HAS_DEFERRED)
#include <asio/experimental/as_tuple.hpp>
#endif
#else
#include <boost/asio.hpp>
#endif

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <string_view>
#include <utility>

namespace bench {

namespace net = asio_shield::net;
using namespace std::chrono_literals;

#if defined(ASIO_SHIELD_HAS_DEFERRED)
using net::as_tuple;
#else
using net::experimental::as_tuple; // Asio 1.24 moved it out of experimental.
#endif

/// A grace period that never runs out while a scenario runs.
inline constexpr auto long_grace = std::chrono::hours(1);

/// Bytes per message of the loopback echo scenarios.
inline constexpr std::size_t echo_message = 4096;

/// The reference every shield is measured against: the same token bound to
/// an empty slot, as one hides the slot by hand with plain Asio.
template <typename Token>
auto by_hand(Token token)
{
    return net::bind_cancellation_slot(net::cancellation_slot(), std::move(token));
}

/// The floor of a completion-token adapter: one that only binds an empty slot
/// to the handler the operation receives, and nothing else (it gives up S3).
/// For `deferred`, which Asio 1.26's `bind_cancellation_slot` cannot wrap.
template <typename Token>
struct hidden_slot_t
{
    Token token;
};

/// Runs `body` as a coroutine with a connected parent slot and runs the
/// io_context until it is out of work; rethrows what escaped the coroutine.
inline void run_coroutine(net::io_context& io, net::awaitable<void> body)
{
    net::cancellation_signal stop; // Never emits: no cancellation in these scenarios.
    std::exception_ptr error;
    net::co_spawn(
        io, std::move(body),
        net::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) { error = e; }));
    io.run();
    if (error)
        std::rethrow_exception(error);
}

// ---- co_await post(ex, token) -----------------------------------------------

enum class how
{
    plain,     // token as is
    by_hand,   // bind_cancellation_slot(cancellation_slot(), token)
    shield,    // shield(token)
    shield_for // shield_for(1h, token), never cancelled
};

template <how How, typename Token>
auto wrap(Token token)
{
    if constexpr (How == how::plain)
        return token;
    else if constexpr (How == how::by_hand && std::is_same_v<Token, net::deferred_t>)
        return hidden_slot_t<Token>{token};
    else if constexpr (How == how::by_hand)
        return by_hand(std::move(token));
    else if constexpr (How == how::shield)
        return asio_shield::shield(std::move(token));
    else
        return asio_shield::shield_for(long_grace, std::move(token));
}

template <how How, typename Loop>
net::awaitable<void> post_awaitable(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
        co_await net::post(ex, wrap<How>(net::use_awaitable));
}

template <how How, typename Loop>
net::awaitable<void> timer_awaitable(Loop& loop)
{
    net::steady_timer timer(co_await net::this_coro::executor);
    while (loop.KeepRunning())
    {
        timer.expires_after(0ns);
        co_await timer.async_wait(wrap<How>(net::use_awaitable));
    }
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
// Asio 1.26 cannot bind a slot to `deferred` itself (its cancellation_slot_binder
// needs a return_type), so the deferred rows compare with plain `deferred`.
template <how How, typename Loop>
net::awaitable<void> post_deferred(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
        co_await net::post(ex, wrap<How>(net::deferred));
}

template <how How, typename Loop>
net::awaitable<void> timer_deferred(Loop& loop)
{
    net::steady_timer timer(co_await net::this_coro::executor);
    while (loop.KeepRunning())
    {
        timer.expires_after(0ns);
        co_await timer.async_wait(wrap<How>(net::deferred));
    }
}
#endif

// ---- callbacks: a handler that re-posts itself --------------------------------

/// The chain's handler carries a connected slot, as the handler of a composed
/// operation does; `How` says how each `post` is started with it.
template <how How, typename Loop>
struct post_chain
{
    Loop* loop;
    net::io_context::executor_type ex;
    net::cancellation_slot slot;

    using cancellation_slot_type = net::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return slot; }

    void operator()() const
    {
        if (loop->KeepRunning())
            net::post(ex, wrap<How>(*this));
    }
};

template <how How, typename Loop>
void run_post_chain(Loop& loop)
{
    net::io_context io(1);
    net::cancellation_signal stop;
    post_chain<How, Loop>{&loop, io.get_executor(), stop.slot()}();
    io.run();
}

// ---- isolating an operation with co_spawn (what plain Asio offers) ---------------

inline net::awaitable<void> one_post()
{
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
}

template <typename Loop>
net::awaitable<void> co_spawn_isolation(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
    {
        // The child is not bound to the parent's slot, so the parent's
        // cancellation cannot reach the protected post.
        auto child = net::co_spawn(ex, one_post(), by_hand(net::use_awaitable));
        co_await std::move(child);
    }
}

// ---- guarded scopes -----------------------------------------------------------

template <typename Loop>
net::awaitable<void> guard_post(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
    {
        auto guard = co_await asio_shield::guard_cancellation();
        co_await net::post(ex, net::use_awaitable);
    }
}

/// G3: a guard inside a guard.
template <typename Loop>
net::awaitable<void> nested_guard_post(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
    {
        auto outer = co_await asio_shield::guard_cancellation();
        auto inner = co_await asio_shield::guard_cancellation();
        co_await net::post(ex, net::use_awaitable);
    }
}

/// A guard around an operation that installs a cancellation handler (every
/// timer and socket operation does): it goes into the guard's substitute slot.
template <typename Loop>
net::awaitable<void> guard_timer(Loop& loop)
{
    net::steady_timer timer(co_await net::this_coro::executor);
    while (loop.KeepRunning())
    {
        auto guard = co_await asio_shield::guard_cancellation();
        timer.expires_after(0ns);
        co_await timer.async_wait(net::use_awaitable);
    }
}

/// G3 around an operation that installs a cancellation handler: the outer
/// guard's recorder, the inner guard's and the timer's handler are three
/// blocks of slot memory in flight.
template <typename Loop>
net::awaitable<void> nested_guard_timer(Loop& loop)
{
    net::steady_timer timer(co_await net::this_coro::executor);
    while (loop.KeepRunning())
    {
        auto outer = co_await asio_shield::guard_cancellation();
        auto inner = co_await asio_shield::guard_cancellation();
        timer.expires_after(0ns);
        co_await timer.async_wait(net::use_awaitable);
    }
}

template <typename Loop>
net::awaitable<void> guard_for_post(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
    {
        auto guard = co_await asio_shield::guard_cancellation_for(long_grace);
        co_await net::post(ex, net::use_awaitable);
    }
}

/// The closest public-API sequence: no throw, cancellation disabled, the
/// work, then the default state and the flag back. (It also loses a request
/// that arrives in between, which the guard does not.)
template <typename Loop>
net::awaitable<void> toggle_post(Loop& loop)
{
    auto ex = co_await net::this_coro::executor;
    while (loop.KeepRunning())
    {
        co_await net::this_coro::throw_if_cancelled(false);
        co_await net::this_coro::reset_cancellation_state(net::disable_cancellation());
        co_await net::post(ex, net::use_awaitable);
        co_await net::this_coro::reset_cancellation_state();
        co_await net::this_coro::throw_if_cancelled(true);
    }
}

// ---- loopback TCP echo ------------------------------------------------------------

/// The completion token of the echo's writes: `use_awaitable`, or `deferred`
/// (the default token from Asio 1.29 on) awaited directly.
template <bool Deferred>
auto echo_token()
{
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    if constexpr (Deferred)
        return net::deferred;
    else
#endif
        return net::use_awaitable;
}

/// Echoes until the peer closes; its writes are started like the client's.
template <how How, bool Deferred>
net::awaitable<void> echo_server(net::ip::tcp::socket socket)
{
    std::array<char, echo_message> buffer{};
    for (;;)
    {
        auto [ec, n] =
            co_await socket.async_read_some(net::buffer(buffer), as_tuple(net::use_awaitable));
        if (ec)
            co_return;
        co_await net::async_write(socket, net::buffer(buffer, n), wrap<How>(echo_token<Deferred>()));
    }
}

/// One operation: write a message (plainly or shielded), read the echo back.
template <how How, bool Deferred, typename Loop>
net::awaitable<void> echo_client(Loop& loop)
{
    using net::ip::tcp;
    auto ex = co_await net::this_coro::executor;
    tcp::acceptor acceptor(ex, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    tcp::socket client(ex);
    co_await client.async_connect(acceptor.local_endpoint(), net::use_awaitable);
    tcp::socket server = co_await acceptor.async_accept(net::use_awaitable);
    client.set_option(tcp::no_delay(true));
    server.set_option(tcp::no_delay(true));
    // The server's parent slot never emits either; the signal must outlive
    // the server, so the client waits for it to end.
    net::cancellation_signal server_stop;
    net::steady_timer server_done(ex, net::steady_timer::time_point::max());
    net::co_spawn(ex, echo_server<How, Deferred>(std::move(server)),
                  net::bind_cancellation_slot(server_stop.slot(),
                                              [&](std::exception_ptr) { server_done.cancel(); }));

    std::array<char, echo_message> out{}, in{};
    while (loop.KeepRunning())
    {
        co_await net::async_write(client, net::buffer(out), wrap<How>(echo_token<Deferred>()));
        co_await net::async_read(client, net::buffer(in), net::use_awaitable);
    }
    client.shutdown(tcp::socket::shutdown_send);
    co_await server_done.async_wait(as_tuple(net::use_awaitable));
}

// ---- the catalogue ------------------------------------------------------------------

/// Runs scenario `name` with `loop`; false if there is no such scenario.
template <typename Loop>
bool run(std::string_view name, Loop& loop)
{
    net::io_context io(1);
    auto co = [&](net::awaitable<void> body) {
        run_coroutine(io, std::move(body));
        return true;
    };
    if (name == "post_awaitable_plain")
        return co(post_awaitable<how::plain>(loop));
    if (name == "post_awaitable_by_hand")
        return co(post_awaitable<how::by_hand>(loop));
    if (name == "post_awaitable_shield")
        return co(post_awaitable<how::shield>(loop));
    if (name == "post_awaitable_shield_for")
        return co(post_awaitable<how::shield_for>(loop));
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    if (name == "post_deferred_plain")
        return co(post_deferred<how::plain>(loop));
    if (name == "post_deferred_by_hand")
        return co(post_deferred<how::by_hand>(loop));
    if (name == "post_deferred_shield")
        return co(post_deferred<how::shield>(loop));
    if (name == "post_deferred_shield_for")
        return co(post_deferred<how::shield_for>(loop));
    if (name == "timer_deferred_plain")
        return co(timer_deferred<how::plain>(loop));
    if (name == "timer_deferred_shield")
        return co(timer_deferred<how::shield>(loop));
#endif
    if (name == "timer_awaitable_plain")
        return co(timer_awaitable<how::plain>(loop));
    if (name == "timer_awaitable_by_hand")
        return co(timer_awaitable<how::by_hand>(loop));
    if (name == "timer_awaitable_shield")
        return co(timer_awaitable<how::shield>(loop));
    if (name == "timer_awaitable_shield_for")
        return co(timer_awaitable<how::shield_for>(loop));
    if (name == "callback_plain")
        return run_post_chain<how::plain>(loop), true;
    if (name == "callback_by_hand")
        return run_post_chain<how::by_hand>(loop), true;
    if (name == "callback_shield")
        return run_post_chain<how::shield>(loop), true;
    if (name == "callback_shield_for")
        return run_post_chain<how::shield_for>(loop), true;
    if (name == "co_spawn_isolation")
        return co(co_spawn_isolation(loop));
    if (name == "guard_none") // No guard: the post alone, what a guard's cost adds to.
        return co(post_awaitable<how::plain>(loop));
    if (name == "guard")
        return co(guard_post(loop));
    if (name == "guard_nested")
        return co(nested_guard_post(loop));
    if (name == "guard_timer")
        return co(guard_timer(loop));
    if (name == "guard_nested_timer")
        return co(nested_guard_timer(loop));
    if (name == "guard_for")
        return co(guard_for_post(loop));
    if (name == "guard_public_api_toggle")
        return co(toggle_post(loop));
    if (name == "echo_plain")
        return co(echo_client<how::plain, false>(loop));
    if (name == "echo_shield")
        return co(echo_client<how::shield, false>(loop));
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    if (name == "echo_deferred_plain")
        return co(echo_client<how::plain, true>(loop));
    if (name == "echo_deferred_shield")
        return co(echo_client<how::shield, true>(loop));
#endif
    return false;
}

/// Every scenario this build has, in report order.
inline constexpr std::string_view names[] = {
    "post_awaitable_plain",
    "post_awaitable_by_hand",
    "post_awaitable_shield",
    "post_awaitable_shield_for",
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    "post_deferred_plain",
    "post_deferred_by_hand",
    "post_deferred_shield",
    "post_deferred_shield_for",
#endif
    "timer_awaitable_plain",
    "timer_awaitable_by_hand",
    "timer_awaitable_shield",
    "timer_awaitable_shield_for",
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    "timer_deferred_plain",
    "timer_deferred_shield",
#endif
    "callback_plain",
    "callback_by_hand",
    "callback_shield",
    "callback_shield_for",
    "co_spawn_isolation",
    "guard_none",
    "guard",
    "guard_nested",
    "guard_timer",
    "guard_nested_timer",
    "guard_for",
    "guard_public_api_toggle",
    "echo_plain",
    "echo_shield",
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP)
    "echo_deferred_plain",
    "echo_deferred_shield",
#endif
};

} // namespace bench

/// `hidden_slot_t`: the initiation receives the handler bound to an empty slot.
template <typename Token, typename... Signatures>
struct bench::net::async_result<bench::hidden_slot_t<Token>, Signatures...>
{
    template <typename Initiation>
    struct hiding : Initiation
    {
        template <typename Handler, typename... Args>
        void operator()(Handler&& handler, Args&&... args) &&
        {
            static_cast<Initiation&&>(*this)(
                bench::net::bind_cancellation_slot(bench::net::cancellation_slot(),
                                                   static_cast<Handler&&>(handler)),
                static_cast<Args&&>(args)...);
        }
    };

    template <typename Initiation, typename RawToken, typename... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
    {
        return bench::net::async_initiate<Token, Signatures...>(
            hiding<std::decay_t<Initiation>>{static_cast<Initiation&&>(initiation)}, token.token,
            static_cast<Args&&>(args)...);
    }
};

#endif
