// S5 (partial masks): only the blocked bits are removed; what is left reaches
// the operation, and a request left empty reaches nothing.
#include "common/co_test.hpp"
#include "shield/support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>

using namespace std::chrono_literals;
using test::ctype;
using test::probe_state;

namespace {

using asio_shield::shield;

struct probe_outcome
{
    probe_state probe;
    std::optional<error_code> ec;
    int value = -1;
};

/// Starts a pending probe shielded with `mask`, emits `requests` one per
/// handler, then completes the probe naturally if nothing cancelled it.
void run_masked_probe(probe_outcome& out, net::cancellation_type_t mask,
                      std::vector<net::cancellation_type_t> requests)
{
    net::io_context io;
    net::cancellation_signal signal;
    test::async_probe(io.get_executor(), out.probe,
                      shield(net::bind_cancellation_slot(signal.slot(),
                                                         [&](error_code ec, int value) {
                                                             out.ec = ec;
                                                             out.value = value;
                                                         }),
                             mask),
                      test::probe_mode::pending);
    std::vector<std::function<void()>> steps;
    for (auto type : requests)
        steps.push_back([&signal, type] { signal.emit(type); });
    steps.push_back([&] {
        if (out.probe.is_pending())
            out.probe.complete();
    });
    test::run_steps(io, std::move(steps));
    io.run();
    BOOST_REQUIRE(out.ec);
}

} // namespace

BOOST_AUTO_TEST_SUITE(shield)

// The suite's namespace is named shield too, so the factory is brought in here.
using asio_shield::shield;

BOOST_AUTO_TEST_CASE(S5_partial_request_passes_terminal_mask_and_cancels_timer)
{
    net::io_context io;
    net::cancellation_signal signal;
    net::steady_timer t(io, 5s); // failsafe only; cancelled at once when correct
    std::optional<error_code> result;
    t.async_wait(
        shield(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }),
               ctype::terminal));
    test::run_steps(io, {[&] { signal.emit(ctype::partial); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(*result == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(S5_terminal_request_is_held_back_by_terminal_mask)
{
    net::io_context io;
    net::cancellation_signal signal;
    const auto start = test::steady::now();
    net::steady_timer t(io, 20ms);
    std::optional<error_code> result;
    t.async_wait(
        shield(net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }),
               ctype::terminal));
    test::run_steps(io, {[&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);
    BOOST_TEST((test::steady::now() - start >= 20ms));
}

BOOST_AUTO_TEST_CASE(S5_operation_receives_request_minus_blocked_bits)
{
    probe_outcome out;
    run_masked_probe(out, ctype::terminal, {ctype::terminal | ctype::partial});
    BOOST_TEST(out.probe.slot_connected);
    BOOST_TEST(out.probe.received == ctype::partial);
    BOOST_TEST(*out.ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(S5_total_passes_a_terminal_partial_mask)
{
    probe_outcome out;
    run_masked_probe(out, ctype::terminal | ctype::partial,
                     {ctype::terminal | ctype::partial | ctype::total});
    BOOST_TEST(out.probe.received == ctype::total);
    BOOST_TEST(*out.ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(S5_request_left_empty_reaches_nothing)
{
    probe_outcome out;
    run_masked_probe(out, ctype::terminal | ctype::partial,
                     {ctype::terminal, ctype::partial, ctype::terminal | ctype::partial});
    BOOST_TEST(out.probe.slot_connected); // the proxy is there, and stayed silent
    BOOST_TEST(out.probe.received == ctype::none);
    BOOST_TEST(!*out.ec);
    BOOST_TEST(out.value == test::natural_value);
}

BOOST_AUTO_TEST_CASE(S5_mask_of_all_bits_blocks_everything_without_a_slot)
{
    // Masks are defined on the three named bits: `all` is the default mask.
    probe_outcome out;
    run_masked_probe(out, ctype::all, {ctype::all, ctype::terminal});
    BOOST_TEST(!out.probe.slot_connected);
    BOOST_TEST(out.probe.received == ctype::none);
    BOOST_TEST(!*out.ec);
}

BOOST_AUTO_TEST_CASE(S5_empty_mask_forwards_every_request)
{
    probe_outcome out;
    run_masked_probe(out, ctype::none, {ctype::terminal});
    BOOST_TEST(out.probe.received == ctype::terminal);
    BOOST_TEST(*out.ec == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(S5_outer_slot_is_free_again_after_completion)
{
    // The proxy leaves the outer slot when the operation completes, so the next
    // operation bound to the same slot is the one a request reaches.
    net::io_context io;
    net::cancellation_signal signal;
    probe_state first, second;
    std::optional<error_code> first_ec, second_ec;
    test::async_probe(
        io.get_executor(), first,
        shield(net::bind_cancellation_slot(signal.slot(),
                                           [&](error_code ec, int) {
                                               first_ec = ec;
                                               BOOST_TEST(!signal.slot().has_handler());
                                               test::async_probe(io.get_executor(), second,
                                                                 net::bind_cancellation_slot(
                                                                     signal.slot(),
                                                                     [&](error_code ec2, int) {
                                                                         second_ec = ec2;
                                                                     }),
                                                                 test::probe_mode::pending);
                                           }),
               ctype::terminal),
        test::probe_mode::pending);
    test::run_steps(io, {[&] { first.complete(); }, [] {}, [&] { signal.emit(ctype::terminal); }});
    io.run();
    BOOST_REQUIRE(first_ec);
    BOOST_TEST(!*first_ec);
    BOOST_REQUIRE(second_ec);
    BOOST_TEST(*second_ec == net::error::operation_aborted);
    BOOST_TEST(second.received == ctype::terminal);
}

CO_CANCELLABLE_TEST_CASE(S5_coroutine_partial_request_cancels_terminal_masked_wait)
{
    // Let partial requests reach the coroutine's state at all.
    co_await net::this_coro::reset_cancellation_state(net::enable_partial_cancellation());
    net::steady_timer t(io, 5s); // failsafe only
    test::run_steps(io, {[&] { signal.emit(ctype::partial); }});
    bool aborted = false;
    try
    {
        co_await t.async_wait(shield(net::use_awaitable, ctype::terminal));
    }
    catch (const system_error& e)
    {
        aborted = test::is_aborted(e);
    }
    BOOST_TEST(aborted);
}

BOOST_AUTO_TEST_SUITE_END()
