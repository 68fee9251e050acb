// R1 over foreign operations: every hostile operation, under shield,
// shield_for, slot_guard and the coroutine guard, with a request emitted while
// it is pending. Its handler runs exactly once, on its associated executor (a
// strand: running_in_this_thread() tells).
#include "common/hostile.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>

using namespace std::chrono_literals;
using asio_shield::guard_cancellation;
using asio_shield::shield;
using asio_shield::shield_for;
using asio_shield::slot_guard;
using ct = net::cancellation_type;
namespace kit = test::hostile;

namespace {

using strand_type = net::strand<net::io_context::executor_type>;

/// Calls `f(name, start)` for each hostile operation, where
/// `start(ex, other, control, token)` starts it on `ex` (or on `other`, the
/// second io_context, for the one that completes elsewhere).
template <typename F>
void for_each_operation(F f)
{
    f("complete_in_cancel_handler", [](auto ex, auto, kit::control& c, auto token) {
        return kit::async_complete_in_cancel_handler(ex, c, std::move(token));
    });
    f("complete_during_initiation", [](auto ex, auto, kit::control& c, auto token) {
        return kit::async_complete_during_initiation(ex, c, std::move(token));
    });
    f("never_installs_handler", [](auto ex, auto, kit::control& c, auto token) {
        return kit::async_never_installs_handler(ex, c, std::move(token));
    });
    f("multi_step(3)", [](auto ex, auto, kit::control& c, auto token) {
        return kit::async_multi_step(ex, c, 3, std::move(token));
    });
    f("completes_on_other_executor", [](auto, auto other, kit::control& c, auto token) {
        return kit::async_completes_on_other_executor(other, c, std::move(token));
    });
    f("records_types", [](auto ex, auto, kit::control& c, auto token) {
        return kit::async_records_types(ex, c, std::move(token));
    });
}

/// Runs both contexts until neither has anything ready.
void drain(net::io_context& io, net::io_context& other)
{
    std::size_t n = 0;
    do
    {
        io.restart();
        other.restart();
        n = io.poll() + other.poll();
    } while (n > 0);
}

enum class adapter
{
    shield,
    shield_partial,
    shield_for,
    slot_guard
};

template <typename Start>
void run_callback_case(adapter how, Start start)
{
    net::io_context io, other;
    strand_type strand(io.get_executor());
    kit::control c;
    net::cancellation_signal sig;
    std::optional<slot_guard> guard;
    kit::outcome out;
    net::any_io_executor ex = strand;
    net::any_io_executor other_ex = other.get_executor();

    net::post(strand, [&] {
        auto h = kit::recording_handler(out, strand);
        switch (how)
        {
        case adapter::shield:
            start(ex, other_ex, c, shield(net::bind_cancellation_slot(sig.slot(), h)));
            break;
        case adapter::shield_partial:
            start(ex, other_ex, c,
                  shield(net::bind_cancellation_slot(sig.slot(), h), ct::terminal));
            break;
        case adapter::shield_for:
            start(ex, other_ex, c, shield_for(1h, net::bind_cancellation_slot(sig.slot(), h)));
            break;
        case adapter::slot_guard:
            guard.emplace(sig.slot());
            start(ex, other_ex, c, net::bind_cancellation_slot(guard->slot(), h));
            break;
        }
    });
    net::post(strand, [&] { sig.emit(ct::all); });
    drain(io, other);
    for (int i = 0; i < 10 && out.calls == 0; ++i)
    {
        net::post(strand, [&, i] {
            if (guard && i == 1)
                guard->release(); // G8: forwards the recorded request.
            c.drive();
        });
        drain(io, other);
    }
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(out.on_expected_executor);
    net::post(strand, [&] {
        sig.emit(ct::all);
        guard.reset();
    });
    drain(io, other);
    BOOST_TEST(out.calls == 1);
}

template <typename Start>
void run_guard_case(Start start)
{
    net::io_context io, other;
    strand_type strand(io.get_executor());
    kit::control c;
    net::cancellation_signal sig;
    kit::outcome out;
    int spawn_done = 0;
    net::any_io_executor ex = strand;
    net::any_io_executor other_ex = other.get_executor();

    net::co_spawn(
        strand,
        [&]() -> net::awaitable<void> {
            auto guard = co_await guard_cancellation();
            try
            {
                co_await start(ex, other_ex, c, net::use_awaitable);
            }
            catch (const system_error&)
            {}
            ++out.calls;
            out.on_expected_executor = strand.running_in_this_thread();
        },
        net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr) { ++spawn_done; }));
    drain(io, other);
    net::post(strand, [&] { sig.emit(ct::all); });
    drain(io, other);
    for (int i = 0; i < 10 && out.calls == 0; ++i)
    {
        net::post(strand, [&] { c.drive(); });
        drain(io, other);
    }
    BOOST_TEST(out.calls == 1);
    BOOST_TEST(out.on_expected_executor);
    BOOST_TEST(spawn_done == 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_AUTO_TEST_CASE(R1_hostile_operations_under_shield)
{
    for_each_operation([](const char* name, auto start) {
        BOOST_TEST_CONTEXT(name)
        {
            run_callback_case(adapter::shield, start);
        }
    });
}

BOOST_AUTO_TEST_CASE(R1_hostile_operations_under_shield_with_partial_mask)
{
    for_each_operation([](const char* name, auto start) {
        BOOST_TEST_CONTEXT(name)
        {
            run_callback_case(adapter::shield_partial, start);
        }
    });
}

BOOST_AUTO_TEST_CASE(R1_hostile_operations_under_shield_for)
{
    for_each_operation([](const char* name, auto start) {
        BOOST_TEST_CONTEXT(name)
        {
            run_callback_case(adapter::shield_for, start);
        }
    });
}

BOOST_AUTO_TEST_CASE(R1_hostile_operations_under_slot_guard)
{
    for_each_operation([](const char* name, auto start) {
        BOOST_TEST_CONTEXT(name)
        {
            run_callback_case(adapter::slot_guard, start);
        }
    });
}

BOOST_AUTO_TEST_CASE(R1_hostile_operations_under_guard)
{
    for_each_operation([](const char* name, auto start) {
        BOOST_TEST_CONTEXT(name)
        {
            run_guard_case(start);
        }
    });
}

BOOST_AUTO_TEST_SUITE_END()
