// G8: slot_guard defers cancellation in hand-written composed operations
// (plain callbacks and async_compose).
#include "guard/guard_support.hpp"

#include <optional>

using namespace test;
using asio_shield::slot_guard;

BOOST_AUTO_TEST_SUITE(guard)

namespace {

/// Stands in for an inner operation's cancellation handler.
struct capture
{
    int* calls;
    net::cancellation_type_t* last;
    void operator()(net::cancellation_type_t type) const
    {
        ++*calls;
        *last = type;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(G8_requests_recorded_not_forwarded_while_alive)
{
    net::io_context io;
    net::cancellation_signal outer;
    slot_guard guard(outer.slot());
    BOOST_TEST(guard.active());
    net::steady_timer t(io, 30ms);
    error_code result = net::error::would_block;
    std::chrono::milliseconds elapsed{};
    const auto start = clock::now();
    t.async_wait(net::bind_cancellation_slot(guard.slot(), [&](error_code ec) {
        result = ec;
        elapsed = ms_since(start);
    }));
    net::post(io, [&] {
        outer.emit(ct::terminal);
        outer.emit(ct::partial);
    });
    io.run();
    BOOST_TEST(!result); // the inner wait was not cut
    BOOST_TEST(elapsed >= 30ms);
    BOOST_TEST(guard.active());
    BOOST_TEST(guard.cancellation_requested() == (ct::terminal | ct::partial));
}

BOOST_AUTO_TEST_CASE(G8_release_forwards_recorded_request_once)
{
    net::cancellation_signal outer;
    slot_guard guard(outer.slot());
    int calls = 0;
    net::cancellation_type_t last = ct::none;
    guard.slot().assign(capture{&calls, &last});
    outer.emit(ct::terminal);
    outer.emit(ct::total);
    BOOST_TEST(calls == 0);
    guard.release();
    BOOST_TEST(!guard.active());
    BOOST_TEST(calls == 1);
    BOOST_TEST(last == (ct::terminal | ct::total));
    guard.release(); // idempotent
    BOOST_TEST(calls == 1);
    // After release requests pass straight through.
    outer.emit(ct::partial);
    BOOST_TEST(calls == 2);
    BOOST_TEST(last == ct::partial);
}

BOOST_AUTO_TEST_CASE(G8_release_forwards_to_operation_then_connected)
{
    net::io_context io;
    net::cancellation_signal outer;
    slot_guard guard(outer.slot());
    outer.emit(ct::terminal); // recorded before any inner operation exists
    net::steady_timer t(io, 10s);
    error_code result;
    t.async_wait(net::bind_cancellation_slot(guard.slot(), [&](error_code ec) { result = ec; }));
    guard.release();
    io.run();
    BOOST_TEST(result == net::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(G8_destruction_forwards_recorded_request)
{
    net::cancellation_signal outer;
    int calls = 0;
    net::cancellation_type_t last = ct::none;
    {
        std::optional<slot_guard> guard;
        guard.emplace(outer.slot());
        guard->slot().assign(capture{&calls, &last});
        outer.emit(ct::terminal);
        BOOST_TEST(calls == 0);
        slot_guard moved(std::move(*guard)); // a handle: moving keeps the relay
        guard.reset();
        BOOST_TEST(calls == 0);
        BOOST_TEST(moved.cancellation_requested() == ct::terminal);
    }
    BOOST_TEST(calls == 1);
    BOOST_TEST(last == ct::terminal);
    outer.emit(ct::terminal); // and then passes through
    BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(G8_release_without_request_forwards_nothing)
{
    net::cancellation_signal outer;
    int calls = 0;
    net::cancellation_type_t last = ct::none;
    {
        slot_guard guard(outer.slot());
        guard.slot().assign(capture{&calls, &last});
        guard.release();
        BOOST_TEST(guard.cancellation_requested() == ct::none);
    }
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(G8_unconnected_outer_slot)
{
    slot_guard guard{net::cancellation_slot()};
    BOOST_TEST(!guard.slot().is_connected());
    BOOST_TEST(guard.cancellation_requested() == ct::none);
    guard.release();
}

namespace {

/// A composed operation: a flush that must not be cut, then (unless a request
/// arrived during the flush) a wait that stays cancellable.
struct flush_then_wait_op
{
    net::steady_timer& flush;
    net::steady_timer& rest;
    std::optional<slot_guard> guard;
    int state = 0;
    bool flushed = false;

    template <typename Self>
    void operator()(Self& self, error_code ec = {})
    {
        switch (state)
        {
        case 0:
            state = 1;
            guard.emplace(self.get_cancellation_state().slot());
            flush.async_wait(net::bind_cancellation_slot(guard->slot(), std::move(self)));
            return;
        case 1:
            flushed = !ec;
            state = 2;
            // async_compose cleared its slot on resuming us, which removed the
            // relay: the guard no longer defers but still knows what came.
            BOOST_TEST(!guard->active());
            if (guard->cancellation_requested() != net::cancellation_type::none)
            {
                guard.reset();
                self.complete(net::error::operation_aborted, flushed);
                return;
            }
            guard.reset();
            rest.async_wait(std::move(self));
            return;
        default:
            self.complete(ec, flushed);
        }
    }
};

template <typename CompletionToken>
auto async_flush_then_wait(net::steady_timer& flush, net::steady_timer& rest,
                           CompletionToken&& token)
{
    return net::async_compose<CompletionToken, void(error_code, bool)>(
        flush_then_wait_op{flush, rest, std::nullopt}, token, flush);
}

} // namespace

BOOST_AUTO_TEST_CASE(G8_async_compose_defers_during_step)
{
    net::io_context io;
    net::cancellation_signal outer;
    net::steady_timer flush(io, 30ms), rest(io, 10s);
    error_code result;
    bool flushed = false, done = false;
    std::chrono::milliseconds elapsed{};
    const auto start = clock::now();
    async_flush_then_wait(flush, rest,
                          net::bind_cancellation_slot(outer.slot(), [&](error_code ec, bool f) {
                              result = ec;
                              flushed = f;
                              done = true;
                              elapsed = ms_since(start);
                          }));
    net::post(io, [&] { outer.emit(ct::terminal); }); // while the flush is pending
    io.run();
    BOOST_TEST_REQUIRE(done);
    BOOST_TEST(flushed);                                 // not cut while the guard was alive
    BOOST_TEST(elapsed >= 30ms);                         // the flush ran its full duration
    BOOST_TEST(result == net::error::operation_aborted); // the request was not lost
}

BOOST_AUTO_TEST_CASE(G8_async_compose_without_request_runs_on)
{
    net::io_context io;
    net::cancellation_signal outer;
    net::steady_timer flush(io, 5ms), rest(io, 5ms);
    error_code result = net::error::would_block;
    bool flushed = false;
    async_flush_then_wait(flush, rest,
                          net::bind_cancellation_slot(outer.slot(), [&](error_code ec, bool f) {
                              result = ec;
                              flushed = f;
                          }));
    io.run();
    BOOST_TEST(flushed);
    BOOST_TEST(!result);
}

BOOST_AUTO_TEST_CASE(G8_outer_slot_cleared_while_guard_alive)
{
    // The slot's owner takes the slot back: the guard must not dangle.
    net::cancellation_signal outer;
    slot_guard guard(outer.slot());
    outer.emit(ct::terminal);
    outer.slot().clear();
    BOOST_TEST(!guard.active());
    BOOST_TEST(!guard.slot().is_connected());
    BOOST_TEST(guard.cancellation_requested() == ct::terminal);
    guard.release();
}

SIGNAL_TEST_CASE(G8_async_compose_in_coroutine)
{
    // The same composed operation awaited by a coroutine that is cancelled
    // while the flush is pending.
    requester r(io.get_executor(), sig);
    const auto start = clock::now();
    net::steady_timer flush(io, 20ms), rest(io, 10s);
    r.soon(ct::terminal);
    auto [ec, flushed] =
        co_await async_flush_then_wait(flush, rest, test::as_tuple(net::use_awaitable));
    BOOST_TEST(flushed);
    BOOST_TEST(ms_since(start) >= 20ms);
    BOOST_TEST(ec == net::error::operation_aborted);
    CHECK_NEXT_AWAIT_THROWS(true);
}

BOOST_AUTO_TEST_SUITE_END()
