// E2: the shielded handler is copyable when the wrapped handler is, so an
// initiation that keeps its handler in a std::function keeps working. The
// initiation (test/common/hostile.hpp) static_asserts that the handler it
// receives is copy-constructible; a move-only wrapper fails to build here.
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::shield;
using asio_shield::shield_for;
using ct = net::cancellation_type;
namespace kit = test::hostile;

BOOST_AUTO_TEST_SUITE(hostile)

// Control: the plain callback passes through the same initiation.
BOOST_AUTO_TEST_CASE(E2_control_plain_callback_stored_in_std_function)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    kit::async_stores_in_std_function(io.get_executor(), c,
                                      kit::recording_handler(out, io.get_executor()));
    c.finish();
    io.run();
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(out.on_expected_executor);
}

BOOST_AUTO_TEST_CASE(E2_shielded_callback_stored_in_std_function)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    net::cancellation_signal sig;
    kit::async_stores_in_std_function(
        io.get_executor(), c,
        shield(net::bind_cancellation_slot(sig.slot(),
                                           kit::recording_handler(out, io.get_executor()))));
    sig.emit(ct::all); // S1: blocked.
    BOOST_TEST(c.received.empty());
    c.finish();
    io.run();
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(error_code()));
    BOOST_TEST(out.on_expected_executor);
}

BOOST_AUTO_TEST_CASE(E2_shield_for_bound_callback_stored_in_std_function)
{
    net::io_context io;
    kit::control c;
    kit::outcome out;
    net::cancellation_signal sig;
    auto strand = net::make_strand(io);
    kit::async_stores_in_std_function(
        io.get_executor(), c,
        shield_for(1h,
                   net::bind_cancellation_slot(sig.slot(), kit::recording_handler(out, strand))));
    sig.emit(ct::terminal); // T1: held.
    BOOST_TEST(c.received.empty());
    c.finish();
    io.run();
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(kit::what(out.ec) == kit::what(error_code()));
    BOOST_TEST(out.on_expected_executor); // R1: on the bound strand.
}

BOOST_AUTO_TEST_SUITE_END()
