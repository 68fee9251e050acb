// S1 (completes), S3 (starts after cancellation), S4 (nothing lost), and the
// slot-binding order rule. Real loopback I/O where a torn write is the failure.
#include "common/co_test.hpp"
#include "common/loopback.hpp"
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <variant>
#include <vector>

using namespace net::experimental::awaitable_operators;
using namespace std::chrono_literals;
using test::ctype;

namespace {

using asio_shield::shield;

/// Completion for spawned helpers: a failure there fails the test.
void rethrow(std::exception_ptr e)
{
    if (e)
        std::rethrow_exception(e);
}

struct write_outcome
{
    std::size_t received = 0; // bytes the peer read before EOF
    std::size_t winner = 99;  // which branch of the || completed first
    bool writer_finished = false;
};

/// Writes big_payload inside `write || timeout`; the peer starts reading only
/// when the timeout fires, so the write is certainly pending when the || cancels
/// it (the kernel buffers hold a tiny fraction of the payload).
write_outcome write_under_or_timeout(bool shielded)
{
    net::io_context io;
    auto sockets = test::socket_pair(io);
    auto& client = sockets.first;
    auto& server = sockets.second;
    std::vector<char> payload(test::big_payload, 'x');
    net::steady_timer timeout(io, 5ms);
    write_outcome out;

    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            co_await timeout.async_wait(test::as_tuple(net::use_awaitable));
            out.received = co_await test::read_all(server);
        },
        rethrow);
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto buf = net::buffer(payload);
            auto result =
                shielded ? co_await (net::async_write(client, buf, shield(net::use_awaitable)) ||
                                     timeout.async_wait(net::use_awaitable))
                         : co_await (net::async_write(client, buf, net::use_awaitable) ||
                                     timeout.async_wait(net::use_awaitable));
            out.winner = result.index();
            out.writer_finished = true;
            client.shutdown(test::tcp::socket::shutdown_send);
        },
        rethrow);
    io.run();
    return out;
}

/// The same race through parallel_group with `deferred` operations.
write_outcome write_in_parallel_group(bool shielded)
{
    net::io_context io;
    auto sockets = test::socket_pair(io);
    auto& client = sockets.first;
    auto& server = sockets.second;
    std::vector<char> payload(test::big_payload, 'x');
    net::steady_timer timeout(io, 5ms);
    write_outcome out;
    error_code write_ec = net::error::would_block;
    std::size_t written = 0;

    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            co_await timeout.async_wait(test::as_tuple(net::use_awaitable));
            out.received = co_await test::read_all(server);
        },
        rethrow);
    auto on_done = [&](std::array<std::size_t, 2> order, error_code ec, std::size_t n, error_code) {
        out.winner = order[0];
        out.writer_finished = true;
        write_ec = ec;
        written = n;
        client.shutdown(test::tcp::socket::shutdown_send);
    };
    auto buf = net::buffer(payload);
    if (shielded)
        net::experimental::make_parallel_group(
            net::async_write(client, buf, shield(test::deferred)),
            timeout.async_wait(test::deferred))
            .async_wait(net::experimental::wait_for_one(), on_done);
    else
        net::experimental::make_parallel_group(net::async_write(client, buf, test::deferred),
                                               timeout.async_wait(test::deferred))
            .async_wait(net::experimental::wait_for_one(), on_done);
    io.run();
    if (shielded)
    {
        // S1: the natural result, not operation_aborted.
        BOOST_TEST(!write_ec);
        BOOST_TEST(written == test::big_payload);
    }
    else
        BOOST_TEST(write_ec == net::error::operation_aborted);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(shield)

// The suite's namespace is named shield too, so the factory is brought in here.
using asio_shield::shield;

BOOST_AUTO_TEST_CASE(S1_shielded_write_arrives_whole_under_or_timeout) // S2: inside ||
{
    const write_outcome out = write_under_or_timeout(true);
    BOOST_TEST(out.writer_finished);
    BOOST_TEST(out.winner == 1u); // the timeout won, then || waited for the write
    BOOST_TEST(out.received == test::big_payload);
}

BOOST_AUTO_TEST_CASE(S1_control_unshielded_write_is_torn_under_or_timeout)
{
    // Proves the race above really cancels the write mid-way.
    const write_outcome out = write_under_or_timeout(false);
    BOOST_TEST(out.writer_finished);
    BOOST_TEST(out.winner == 1u);
    BOOST_TEST(out.received < test::big_payload);
}

BOOST_AUTO_TEST_CASE(S1_parallel_group_waits_for_shielded_write) // S2: parallel_group
{
    const write_outcome out = write_in_parallel_group(true);
    BOOST_TEST(out.writer_finished);
    BOOST_TEST(out.winner == 1u);
    BOOST_TEST(out.received == test::big_payload);
}

BOOST_AUTO_TEST_CASE(S1_control_parallel_group_tears_unshielded_write)
{
    const write_outcome out = write_in_parallel_group(false);
    BOOST_TEST(out.writer_finished);
    BOOST_TEST(out.received < test::big_payload);
}

BOOST_AUTO_TEST_CASE(S1_parallel_group_shielded_timer_natural_result) // S2
{
    net::io_context io;
    const auto start = test::steady::now();
    net::steady_timer slow(io, 30ms), fast(io, 1ms);
    std::optional<std::array<std::size_t, 2>> order;
    error_code slow_ec = net::error::would_block, fast_ec = net::error::would_block;
    test::steady::time_point finished;
    net::experimental::make_parallel_group(slow.async_wait(shield(test::deferred)),
                                           fast.async_wait(test::deferred))
        .async_wait(net::experimental::wait_for_one(),
                    [&](std::array<std::size_t, 2> o, error_code e0, error_code e1) {
                        finished = test::steady::now();
                        order = o;
                        slow_ec = e0;
                        fast_ec = e1;
                    });
    io.run();
    BOOST_REQUIRE(order);
    BOOST_TEST((*order)[0] == 1u);
    BOOST_TEST(!fast_ec);
    BOOST_TEST(!slow_ec);
    BOOST_TEST((finished - start >= 30ms)); // the group waited for the shielded wait
}

CO_TEST_CASE(S1_parallel_group_in_coroutine_shielded_probe_natural_result) // S2
{
    // Event-ordered: the fast probe's completion is queued before the steps
    // below reach the shielded probe, so the group has already cancelled it.
    auto ex = co_await net::this_coro::executor;
    test::probe_state shielded, fast;
    test::run_steps(io, {[] {}, [] {},
                         [&] {
                             if (shielded.is_pending())
                                 shielded.complete();
                         }});
    auto [order, shielded_ec, shielded_value, fast_ec, fast_value] =
        co_await net::experimental::make_parallel_group(
            test::async_probe(ex, shielded, shield(test::deferred), test::probe_mode::pending),
            test::async_probe(ex, fast, test::deferred))
            .async_wait(net::experimental::wait_for_one(), net::use_awaitable);
    BOOST_TEST(order[0] == 1u);
    BOOST_TEST(!fast_ec);
    BOOST_TEST(fast_value == test::natural_value);
    BOOST_TEST(!shielded_ec);
    BOOST_TEST(shielded_value == test::natural_value);
    BOOST_TEST(shielded.received == ctype::none);
    BOOST_TEST(!shielded.slot_connected);
    BOOST_TEST(fast.slot_connected); // the group did hand out a slot
}

CO_TEST_CASE(S1_and_operator_waits_for_shielded_wait_then_rethrows) // S2: inside &&
{
    auto ex = co_await net::this_coro::executor;
    test::probe_state failing;
    const auto start = test::steady::now();
    net::steady_timer slow(io, 20ms);
    try
    {
        co_await (
            slow.async_wait(shield(net::use_awaitable)) &&
            test::async_probe(ex, failing, net::use_awaitable, test::probe_mode::immediate_error));
        BOOST_FAIL("the failing branch must make && throw");
    }
    catch (const system_error& e)
    {
        BOOST_TEST(e.code() == net::error::eof);
    }
    BOOST_TEST((test::steady::now() - start >= 20ms));
}

CO_CANCELLABLE_TEST_CASE(S1_repeated_requests_of_every_type_leave_shielded_wait_alone)
{
    // Let every type reach the coroutine's slot, not just terminal.
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    int emitted = 0;
    auto emit = [&](net::cancellation_type_t type) {
        return [&, type] {
            signal.emit(type);
            ++emitted;
        };
    };
    test::run_steps(io,
                    {emit(ctype::terminal), emit(ctype::partial), emit(ctype::total),
                     emit(ctype::terminal | ctype::partial | ctype::total), emit(ctype::terminal)});
    net::steady_timer t(io);
    const auto start = test::steady::now();
    t.expires_after(30ms);
    co_await t.async_wait(shield(net::use_awaitable)); // S1: no exception
    BOOST_TEST((test::steady::now() - start >= 30ms));
    BOOST_TEST(emitted == 5); // every request arrived while the wait was pending
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

BOOST_AUTO_TEST_CASE(S1_callback_wait_ignores_every_type_on_its_slot)
{
    net::io_context io;
    net::cancellation_signal signal;
    const auto start = test::steady::now();
    net::steady_timer t(io, 30ms);
    int emitted = 0;
    std::optional<error_code> result;
    std::optional<test::steady::duration> elapsed;
    t.async_wait(shield(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
        result = ec;
        elapsed = test::steady::now() - start;
        BOOST_TEST(emitted == 4);
    })));
    std::vector<std::function<void()>> steps;
    for (auto type : {ctype::terminal, ctype::partial, ctype::total, ctype::all})
        steps.push_back([&, type] {
            signal.emit(type);
            ++emitted;
        });
    test::run_steps(io, std::move(steps));
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
    BOOST_TEST((*elapsed >= 30ms));
}

CO_CANCELLABLE_TEST_CASE(S1_as_default_on_timer_completes_despite_request) // S2
{
    auto t = asio_shield::shield_t<net::use_awaitable_t<>>::as_default_on(net::steady_timer(io));
    const auto start = test::steady::now();
    t.expires_after(20ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait();
    BOOST_TEST((test::steady::now() - start >= 20ms));
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

// The outermost slot binding wins: a slot bound around the shield reaches the
// operation, one bound inside it does not.
BOOST_AUTO_TEST_CASE(S1_slot_bound_outside_shield_cancels_the_operation)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 5s); // failsafe only; cancelled at once when correct
    std::optional<error_code> result;
    t.async_wait(
        net::bind_cancellation_slot(signal.slot(), shield([&](error_code ec) { result = ec; })));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(*result == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(S1_slot_bound_inside_shield_is_held_back)
{
    net::io_context io;
    net::cancellation_signal signal;
    const auto start = test::steady::now();
    net::steady_timer t(io, 20ms);
    std::optional<error_code> result;
    t.async_wait(
        shield(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; })));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
    BOOST_TEST((test::steady::now() - start >= 20ms));
}

BOOST_AUTO_TEST_CASE(S1_probe_sees_outer_slot_but_not_inner_one) // S2
{
    net::io_context io;
    net::cancellation_signal signal;
    test::probe_state outer, inner;
    test::async_probe(io.get_executor(), outer,
                      net::bind_cancellation_slot(signal.slot(), shield(net::detached)));
    test::async_probe(io.get_executor(), inner,
                      shield(net::bind_cancellation_slot(signal.slot(), net::detached)));
    io.run();
    BOOST_TEST(outer.slot_connected);
    BOOST_TEST(!inner.slot_connected);
}

CO_CANCELLABLE_TEST_CASE(S4_request_during_shielded_op_is_thrown_at_next_co_await)
{
    auto ex = co_await net::this_coro::executor;
    test::probe_state probe;
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }, [&] { probe.complete(); }});
    const int value = co_await test::async_probe(ex, probe, shield(net::use_awaitable),
                                                 test::probe_mode::pending);
    BOOST_TEST(value == test::natural_value); // S1: the natural result
    BOOST_TEST(probe.received == ctype::none);
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
    bool thrown = false;
    try
    {
        co_await net::post(ex, net::use_awaitable);
    }
    catch (const system_error& e)
    {
        thrown = test::is_aborted(e);
    }
    BOOST_TEST(thrown);
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
CO_CANCELLABLE_TEST_CASE(S4_request_during_shielded_deferred_op_is_thrown_at_next_co_await)
{
    const auto start = test::steady::now();
    net::steady_timer t(io, 20ms);
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    co_await t.async_wait(shield(test::deferred));
    BOOST_TEST((test::steady::now() - start >= 20ms));
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
    bool thrown = false;
    try
    {
        t.expires_after(0ms);
        co_await t.async_wait(test::deferred);
    }
    catch (const system_error& e)
    {
        thrown = test::is_aborted(e);
    }
    BOOST_TEST(thrown);
}
#endif

CO_CANCELLABLE_TEST_CASE(S4_without_throw_if_cancelled_state_still_reports_request)
{
    co_await net::this_coro::throw_if_cancelled(false);
    auto ex = co_await net::this_coro::executor;
    test::probe_state probe;
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }, [&] { probe.complete(); }});
    const int value = co_await test::async_probe(ex, probe, shield(net::use_awaitable),
                                                 test::probe_mode::pending);
    BOOST_TEST(value == test::natural_value);
    co_await net::post(ex, net::use_awaitable); // no throw: the flag is off
    BOOST_TEST((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);
}

BOOST_AUTO_TEST_CASE(S4_callback_consumer_state_records_held_back_request)
{
    // A composed operation owns a cancellation_state over its own slot and
    // hands its slot to the inner operation, as async_compose does.
    net::io_context io;
    net::cancellation_signal signal;
    net::cancellation_state state(signal.slot());
    const auto start = test::steady::now();
    net::steady_timer t(io, 20ms);
    std::optional<error_code> result;
    net::cancellation_type_t seen = ctype::none;
    t.async_wait(shield(net::bind_cancellation_slot(state.slot(), [&](error_code ec) {
        result = ec;
        seen = state.cancelled();
    })));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
    BOOST_TEST((test::steady::now() - start >= 20ms));
    BOOST_TEST(seen == ctype::terminal);
}

CO_CANCELLABLE_TEST_CASE(S3_shielded_ops_start_after_recorded_cancellation)
{
    net::steady_timer t(io, 5s); // failsafe only; cancelled at once
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    bool aborted = false;
    try
    {
        co_await t.async_wait(net::use_awaitable);
    }
    catch (const system_error& e)
    {
        aborted = test::is_aborted(e);
    }
    BOOST_REQUIRE(aborted);
    BOOST_REQUIRE((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);

    auto start = test::steady::now();
    t.expires_after(20ms);
    co_await t.async_wait(shield(net::use_awaitable));
    BOOST_TEST((test::steady::now() - start >= 20ms));

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    start = test::steady::now();
    t.expires_after(20ms);
    co_await t.async_wait(shield(test::deferred));
    BOOST_TEST((test::steady::now() - start >= 20ms));
#endif
}

CO_CANCELLABLE_TEST_CASE(S3_mask_not_covering_record_throws_like_plain_asio)
{
    net::steady_timer t(io, 5s); // failsafe only
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    try
    {
        co_await t.async_wait(net::use_awaitable);
    }
    catch (const system_error&)
    {}
    BOOST_REQUIRE((co_await net::this_coro::cancellation_state).cancelled() == ctype::terminal);

    t.expires_after(0ms);
    int thrown = 0;
    int expected = 2;
    try
    {
        co_await t.async_wait(shield(net::use_awaitable, ctype::partial));
    }
    catch (const system_error& e)
    {
        thrown += test::is_aborted(e);
    }
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    ++expected;
    try
    {
        co_await t.async_wait(shield(test::deferred, ctype::partial));
    }
    catch (const system_error& e)
    {
        thrown += test::is_aborted(e);
    }
#endif
    try
    {
        co_await t.async_wait(net::use_awaitable); // plain Asio, for comparison
    }
    catch (const system_error& e)
    {
        thrown += test::is_aborted(e);
    }
    BOOST_TEST(thrown == expected);
}

BOOST_AUTO_TEST_SUITE_END()
