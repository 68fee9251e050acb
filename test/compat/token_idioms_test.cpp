// C4: shield with newer completion-token idioms: redirect_disposition (Asio
// 1.37+), the deferred pipe and the range overload of make_parallel_group
// (1.24+), the partial form shield() / shield_for(d) (every release), and the
// immediate executor (1.27+, S2).
#include "common/loopback.hpp"
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

BOOST_AUTO_TEST_SUITE(compat)

using namespace std::chrono_literals;
using asio_shield::shield;
using test::ctype;

// ---------------------------------------------------------------------------
// redirect_disposition: Asio 1.37 (Boost 1.90). The wait's error_code goes to
// a variable and the handler takes no arguments, so the shield must also
// handle a void() signature when it sits inside.

#if defined(ASIO_SHIELD_HAS_REDIRECT_DISPOSITION)

BOOST_AUTO_TEST_CASE(C4_control_redirect_disposition_alone_is_cut)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 10s);
    error_code ec;
    int calls = 0;
    t.async_wait(net::redirect_disposition(
        net::bind_cancellation_slot(signal.slot(), [&] { ++calls; }), ec));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_shield_outside_redirect_disposition) // S1, S2
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 30ms);
    error_code ec = net::error::eof; // overwritten by the wait's natural result
    int calls = 0;
    t.async_wait(shield(net::redirect_disposition(
        net::bind_cancellation_slot(signal.slot(), [&] { ++calls; }), ec)));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(C4_redirect_disposition_outside_shield) // S1, S2
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 30ms);
    error_code ec = net::error::eof;
    int calls = 0;
    t.async_wait(net::redirect_disposition(
        shield(net::bind_cancellation_slot(signal.slot(), [&] { ++calls; })), ec));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(!ec);
}

CO_CANCELLABLE_TEST_CASE(C4_redirect_disposition_with_use_awaitable_both_orders) // S1, S4
{
    net::steady_timer t(io);
    error_code inner = net::error::eof;
    error_code outer = net::error::eof;
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    t.expires_after(30ms);
    co_await t.async_wait(shield(net::redirect_disposition(net::use_awaitable, inner)));
    t.expires_after(30ms);
    co_await t.async_wait(net::redirect_disposition(shield(net::use_awaitable), outer));
    BOOST_TEST(!inner);
    BOOST_TEST(!outer);
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

#else
// redirect_disposition needs Asio 1.37 (Boost 1.90).
#endif

// ---------------------------------------------------------------------------
// The deferred pipe: op(shield(deferred)) | deferred(...). Needs deferred
// outside experimental: Asio 1.24 (Boost 1.80).

#if defined(ASIO_SHIELD_HAS_DEFERRED)

namespace {

/// The wait with a continuation that hands its error code on as a value.
template <typename Token>
auto wait_then_pass_on(net::steady_timer& t, Token token)
{
    return t.async_wait(std::move(token)) |
           net::deferred([](error_code ec) { return net::deferred.values(ec); });
}

/// Launches `op` with a callback bound to a slot that emits terminal while
/// the wait is pending; returns the error code the continuation passed on.
template <typename Op>
error_code launch_under_cancellation(net::io_context& io, Op op)
{
    net::cancellation_signal signal;
    std::optional<error_code> result;
    int calls = 0;
    std::move(op)(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
        result = ec;
        ++calls;
    }));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(calls == 1);
    return *result;
}

} // namespace

BOOST_AUTO_TEST_CASE(C4_control_deferred_pipe_without_shield_is_cut)
{
    net::io_context io;
    net::steady_timer t(io, 10s);
    BOOST_TEST(launch_under_cancellation(io, wait_then_pass_on(t, net::deferred)) ==
               net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(C4_deferred_pipe_with_shielded_first_step) // S1
{
    net::io_context io;
    net::steady_timer t(io, 30ms);
    BOOST_TEST(!launch_under_cancellation(io, wait_then_pass_on(t, shield(net::deferred))));
}

CO_CANCELLABLE_TEST_CASE(C4_deferred_pipe_awaited_in_awaitable) // S1, S4
{
    net::steady_timer t(io, 30ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    // void(error_code): the co_await throws if the continuation passed on an error.
    co_await wait_then_pass_on(t, shield(net::deferred));
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

BOOST_AUTO_TEST_CASE(C4_deferred_pipe_hands_shielded_result_to_continuation) // S1, S2
{
    // Event-ordered: the request is emitted while the probe is pending, and
    // only then does the probe complete with its natural result, which the
    // continuation receives and changes.
    net::io_context io;
    net::cancellation_signal signal;
    test::probe_state probe;
    std::optional<std::pair<error_code, int>> result;
    auto op =
        test::async_probe(io.get_executor(), probe, shield(net::deferred),
                          test::probe_mode::pending) |
        net::deferred([](error_code ec, int value) { return net::deferred.values(ec, value + 1); });
    std::move(op)(net::bind_cancellation_slot(
        signal.slot(), [&](error_code ec, int value) { result.emplace(ec, value); }));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); },
                         [&] {
                             if (probe.is_pending())
                                 probe.complete();
                         }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!result->first);
    BOOST_TEST(result->second == test::natural_value + 1);
    BOOST_TEST(probe.received == ctype::none);
}

#else
// The deferred pipe needs net::deferred: Asio 1.24 (Boost 1.80).
#endif

// ---------------------------------------------------------------------------
// The range overload of make_parallel_group: a vector of shielded deferred
// operations (the wrapper that shield(deferred) returns from Asio 1.24 on).
// Asio 1.24's range overload accepts no range of deferred operations, plain
// ones included (completion_signature_of finds no signature for the vector);
// from 1.26 it does.

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) && ASIO_SHIELD_NET_VERSION >= 102600

namespace {

/// What a ranged group of probes completed with.
struct ranged_outcome
{
    int calls = 0;
    std::vector<std::size_t> order;
    std::vector<error_code> errors;
    std::vector<int> values;
};

/// Launches the ranged group of `ops` with wait_for_all and a callback bound
/// to a slot that emits terminal while every probe is pending; then completes
/// the probes still pending, in order.
template <typename Op>
ranged_outcome run_ranged_group(net::io_context& io, std::vector<Op> ops,
                                std::vector<test::probe_state*> probes)
{
    net::cancellation_signal signal;
    ranged_outcome out;
    net::experimental::make_parallel_group(std::move(ops))
        .async_wait(
            net::experimental::wait_for_all(),
            net::bind_cancellation_slot(signal.slot(), [&](auto order, auto errors, auto values) {
                ++out.calls;
                out.order.assign(order.begin(), order.end());
                out.errors.assign(errors.begin(), errors.end());
                out.values.assign(values.begin(), values.end());
            }));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); },
                         [&] {
                             for (test::probe_state* p : probes)
                                 if (p->is_pending())
                                     p->complete();
                         }});
    io.run();
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(C4_control_parallel_group_range_without_shield_is_cut)
{
    net::io_context io;
    test::probe_state a, b;
    using op = decltype(test::async_probe(io.get_executor(), a, net::deferred));
    std::vector<op> ops;
    ops.push_back(
        test::async_probe(io.get_executor(), a, net::deferred, test::probe_mode::pending));
    ops.push_back(
        test::async_probe(io.get_executor(), b, net::deferred, test::probe_mode::pending));
    const ranged_outcome out = run_ranged_group(io, std::move(ops), {&a, &b});
    BOOST_TEST(out.calls == 1);
    BOOST_REQUIRE(out.errors.size() == 2u);
    BOOST_TEST(out.errors[0] == net::error::operation_aborted);
    BOOST_TEST(out.errors[1] == net::error::operation_aborted);
    BOOST_TEST(a.received == ctype::terminal); // the group passed the request on
    BOOST_TEST(b.received == ctype::terminal);
}

BOOST_AUTO_TEST_CASE(C4_S2_parallel_group_range_of_shielded_deferred_operations) // S1
{
    net::io_context io;
    test::probe_state a, b;
    using op = decltype(test::async_probe(io.get_executor(), a, shield(net::deferred)));
    std::vector<op> ops;
    ops.push_back(
        test::async_probe(io.get_executor(), a, shield(net::deferred), test::probe_mode::pending));
    ops.push_back(
        test::async_probe(io.get_executor(), b, shield(net::deferred), test::probe_mode::pending));
    const ranged_outcome out = run_ranged_group(io, std::move(ops), {&a, &b});
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(out.order.size() == 2u);
    BOOST_REQUIRE(out.errors.size() == 2u);
    BOOST_REQUIRE(out.values.size() == 2u);
    BOOST_TEST(!out.errors[0]);
    BOOST_TEST(!out.errors[1]);
    BOOST_TEST(out.values[0] == test::natural_value);
    BOOST_TEST(out.values[1] == test::natural_value);
    BOOST_TEST(a.received == ctype::none);
    BOOST_TEST(b.received == ctype::none);
}

#else
// shield(deferred) returns the deferred operation itself before Asio 1.24,
// and Asio 1.24's range overload takes no deferred operations (above).
#endif

// ---------------------------------------------------------------------------
// Partial tokens: shield() and shield_for(d) with no token adapt the I/O
// object's default completion token. Our partial adapter does not rely on
// Asio's own partial tokens (1.31+), so these run on every release.

#if ASIO_SHIELD_NET_VERSION >= 103100
// Asio 1.31 made deferred the default completion token of every I/O object
// whose executor names none; shield() must then adapt exactly that token.
static_assert(std::is_same_v<net::default_completion_token_t<net::steady_timer::executor_type>,
                             net::deferred_t>);
static_assert(
    std::is_same_v<decltype(std::declval<net::steady_timer&>().async_wait(shield())),
                   decltype(std::declval<net::steady_timer&>().async_wait(shield(net::deferred)))>);
#endif

// Before Asio 1.31 a plain timer names no default token (an initiating
// function needs one); these cases need the default deferred of 1.31 on.
#if ASIO_SHIELD_NET_VERSION >= 103100
CO_CANCELLABLE_TEST_CASE(C4_partial_shield_with_default_token_is_awaited) // S1, S4
{
    net::steady_timer t(io, 30ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(shield()); // S1: no exception
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

CO_CANCELLABLE_TEST_CASE(C4_partial_shield_for_completes_within_grace) // S1, S4, T1
{
    net::steady_timer t(io, 30ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(asio_shield::shield_for(10s)); // no exception: done long before 10 s
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

CO_CANCELLABLE_TEST_CASE(C4_partial_shield_for_cuts_after_grace) // T1
{
    net::steady_timer t(io, 10s);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    bool aborted = false;
    try
    {
        co_await t.async_wait(asio_shield::shield_for(100ms));
    }
    catch (const system_error& e)
    {
        aborted = test::is_aborted(e);
    }
    BOOST_TEST(aborted);
}

#endif // ASIO_SHIELD_NET_VERSION >= 103100

CO_CANCELLABLE_TEST_CASE(C4_partial_shield_on_as_default_on_object) // S1, S4
{
    // The default token of the object, not of the coroutine: use_awaitable
    // here. Event-ordered: the request comes while the read is pending, and
    // only then does the peer write the byte that the read completes with.
    auto sockets = test::socket_pair(io);
    auto reader = net::use_awaitable_t<>::as_default_on(std::move(sockets.first));
    // Owned by the step, which may run after this frame is gone if the read was cut.
    auto writer = std::make_shared<test::tcp::socket>(std::move(sockets.second));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); },
                         [writer] {
                             error_code ignored;
                             net::write(*writer, net::buffer("x", 1), ignored);
                         }});
    char byte = 0;
    // S1: the read is not cut, so no exception.
    const std::size_t n = co_await reader.async_read_some(net::buffer(&byte, 1), shield());
    BOOST_TEST(n == 1u);
    BOOST_TEST(byte == 'x');
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

#if defined(ASIO_SHIELD_HAS_DEFERRED)
// With callbacks: the object's default token is deferred (set explicitly, so
// this runs from Asio 1.24 on, not only where deferred is the global default),
// and the deferred operation is launched with a callback whose slot emits.
BOOST_AUTO_TEST_CASE(C4_partial_shield_with_callback_slot_does_not_cut) // S1
{
    net::io_context io;
    net::cancellation_signal signal;
    auto t = net::deferred_t::as_default_on(net::steady_timer(io, 30ms));
    std::optional<error_code> result;
    t.async_wait(shield())(
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
}
#else
// The callback form needs deferred as an object's default token: Asio 1.24.
#endif

// ---------------------------------------------------------------------------
// The immediate executor (Asio 1.27, Boost 1.82): an operation that completes
// inside its initiation dispatches through the handler's associated immediate
// executor, which a shield must pass on (S2).

#if defined(ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR)

namespace {

/// Completes at once, inside the initiation, as Asio's own operations do when
/// they have nothing to wait for.
template <typename CompletionToken>
auto async_complete_now(net::io_context::executor_type ex, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        [ex](auto handler) {
            auto immediate = net::get_associated_immediate_executor(handler, ex);
            net::dispatch(immediate, net::append(std::move(handler), error_code()));
        },
        token);
}

/// Where a handler ran: on the immediate executor (`other`) or elsewhere.
struct where
{
    int calls = 0;
    bool on_other = false;
};

} // namespace

BOOST_AUTO_TEST_CASE(C4_control_unbound_immediate_completion_stays_off_other_context)
{
    net::io_context io;
    net::io_context other;
    where w;
    async_complete_now(io.get_executor(), shield([&](error_code) {
                           ++w.calls;
                           w.on_other = other.get_executor().running_in_this_thread();
                       }));
    io.run();
    other.run();
    BOOST_TEST(w.calls == 1);
    BOOST_TEST(!w.on_other);
}

BOOST_AUTO_TEST_CASE(C4_immediate_executor_bound_inside_shield) // S2
{
    net::io_context io;
    net::io_context other;
    where w;
    async_complete_now(io.get_executor(),
                       shield(net::bind_immediate_executor(other.get_executor(), [&](error_code) {
                           ++w.calls;
                           w.on_other = other.get_executor().running_in_this_thread();
                       })));
    io.run();
    BOOST_TEST(w.calls == 0); // not run by io: it went to the immediate executor
    other.run();
    BOOST_TEST(w.calls == 1);
    BOOST_TEST(w.on_other);
}

BOOST_AUTO_TEST_CASE(C4_immediate_executor_bound_outside_shield) // S2
{
    net::io_context io;
    net::io_context other;
    where w;
    async_complete_now(
        io.get_executor(),
        net::bind_immediate_executor(other.get_executor(), shield([&](error_code) {
                                         ++w.calls;
                                         w.on_other = other.get_executor().running_in_this_thread();
                                     })));
    io.run();
    BOOST_TEST(w.calls == 0);
    other.run();
    BOOST_TEST(w.calls == 1);
    BOOST_TEST(w.on_other);
}

#else
// The associated immediate executor needs Asio 1.27 (Boost 1.82).
#endif

BOOST_AUTO_TEST_SUITE_END()
