// E4: a guard never overwrites a cancellation handler it did not install, and
// never emits bits outside terminal | partial | total to operations.
#include "common/co_test.hpp"
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::guard_cancellation;
using asio_shield::guard_cancellation_for;
using ct = net::cancellation_type;
namespace kit = test::hostile;

namespace {

/// Starts (does not await) a recording operation bound to the coroutine's own
/// cancellation slot, optionally enters a guard, then has the parent emit
/// terminal from inside the coroutine. Returns what the operation received.
void run_prestarted(bool with_guard, kit::control& c, std::optional<error_code>& ec)
{
    test::run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            auto cs = co_await net::this_coro::cancellation_state;
            kit::async_records_types(
                io.get_executor(), c,
                net::bind_cancellation_slot(cs.slot(), [&](error_code e) { ec = e; }));
            if (with_guard)
            {
                auto guard = co_await guard_cancellation();
                sig.emit(ct::terminal); // No co_await in between: plain Asio would
                                        // still have the operation's handler there.
            }
            else
                sig.emit(ct::terminal);
            if (c.pending())
                c.finish();
            try
            {
                co_await net::post(io, net::use_awaitable);
            }
            catch (const system_error&)
            {}
        });
}

/// As run_prestarted, with an Asio timer's wait (and a callback) as the
/// pre-started operation. Returns what the timer's cancel() still found.
std::size_t run_prestarted_timer(bool with_guard, std::optional<error_code>& ec)
{
    std::size_t left_for_cancel = 0;
    test::run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            auto cs = co_await net::this_coro::cancellation_state;
            net::steady_timer timer(io, 1h);
            timer.async_wait(net::bind_cancellation_slot(cs.slot(), [&](error_code e) { ec = e; }));
            if (with_guard)
            {
                auto guard = co_await guard_cancellation();
                sig.emit(ct::terminal);
            }
            else
                sig.emit(ct::terminal);
            // Ends the wait whatever happened; it finds nothing to cancel when the
            // parent's request already did.
            left_for_cancel = timer.cancel(); // The callback runs after the coroutine.
        });
    return left_for_cancel;
}

unsigned bits_of(const kit::control& c)
{
    unsigned bits = 0;
    for (auto t : c.received)
        bits |= static_cast<unsigned>(t);
    return bits;
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

// Control: in plain Asio the pre-started operation is cancelled.
BOOST_AUTO_TEST_CASE(E4_control_prestarted_operation_cancelled_without_guard)
{
    kit::control c;
    std::optional<error_code> ec;
    run_prestarted(false, c, ec);
    BOOST_TEST(bits_of(c) == static_cast<unsigned>(ct::terminal));
    BOOST_TEST(kit::what(ec) == kit::what(error_code(net::error::operation_aborted)));
}

BOOST_AUTO_TEST_CASE(E4_guard_keeps_handler_of_prestarted_operation)
{
    kit::control c;
    std::optional<error_code> ec;
    run_prestarted(true, c, ec);
    // The guard defers what is awaited in its scope, not an operation started
    // before it that put its own handler into the coroutine's slot.
    BOOST_TEST(bits_of(c) == static_cast<unsigned>(ct::terminal));
    BOOST_TEST(kit::what(ec) == kit::what(error_code(net::error::operation_aborted)));
}

// An Asio timer's wait with a callback, bound to the coroutine's slot and
// started before the guard. (Not a co_spawn'ed child bound to that slot: in
// plain Asio too, the parent's next co_await clears the slot, which frees the
// state the child was started with.)
BOOST_AUTO_TEST_CASE(E4_control_prestarted_timer_cancelled_without_guard)
{
    std::optional<error_code> ec;
    BOOST_TEST(run_prestarted_timer(false, ec) == 0u);
    BOOST_TEST(kit::what(ec) == kit::what(error_code(net::error::operation_aborted)));
}

BOOST_AUTO_TEST_CASE(E4_guard_keeps_handler_of_prestarted_timer_wait)
{
    std::optional<error_code> ec;
    BOOST_TEST(run_prestarted_timer(true, ec) == 0u,
               "the parent's request did not reach the pre-started wait");
    BOOST_TEST(kit::what(ec) == kit::what(error_code(net::error::operation_aborted)));
}

// E4 (b): the guard's deadline cuts the scope with named bits only.
BOOST_AUTO_TEST_CASE(E4_guard_for_expiry_emits_only_named_bits)
{
    kit::control c;
    bool threw = false;
    test::run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            {
                auto guard = co_await guard_cancellation_for(0s);
                net::post(io, [&] { sig.emit(ct::terminal); });
                try
                {
                    co_await kit::async_records_types(io.get_executor(), c, net::use_awaitable);
                }
                catch (const system_error& e)
                {
                    threw = test::is_aborted(e);
                }
            }
            try
            {
                co_await net::post(io, net::use_awaitable);
            }
            catch (const system_error&)
            {}
        });
    BOOST_TEST(threw); // T2: the deadline cut the operation.
    BOOST_TEST_REQUIRE(!c.received.empty());
    BOOST_TEST(c.only_named_bits(), "received cancellation_type(" << bits_of(c) << ")");
}

BOOST_AUTO_TEST_CASE(E4_nested_guard_for_expiry_emits_only_named_bits)
{
    kit::control c;
    bool threw = false;
    test::run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            {
                auto outer = co_await guard_cancellation_for(0s);
                {
                    auto inner = co_await guard_cancellation_for(1h);
                    net::post(io, [&] { sig.emit(ct::terminal); });
                    try
                    {
                        co_await kit::async_records_types(io.get_executor(), c, net::use_awaitable);
                    }
                    catch (const system_error& e)
                    {
                        threw = test::is_aborted(e);
                    }
                }
            }
            try
            {
                co_await net::post(io, net::use_awaitable);
            }
            catch (const system_error&)
            {}
        });
    BOOST_TEST(threw); // T2: the outer deadline ends the inner grace period too.
    BOOST_TEST_REQUIRE(!c.received.empty());
    BOOST_TEST(c.only_named_bits(), "received cancellation_type(" << bits_of(c) << ")");
}

BOOST_AUTO_TEST_SUITE_END()
