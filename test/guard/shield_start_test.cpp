// S3: shield(use_awaitable) and shield(deferred) start and complete in a
// coroutine whose cancellation was already requested, when the mask covers the
// record; otherwise co_await throws as in plain Asio. (S4 for what follows.)
#include "guard/guard_support.hpp"

using namespace test;
using asio_shield::shield;

BOOST_AUTO_TEST_SUITE(guard)

SIGNAL_TEST_CASE(S3_shield_use_awaitable_starts_after_cancellation)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer t(io, 20ms);
    co_await t.async_wait(shield(net::use_awaitable));
    BOOST_TEST(ms_since(start) >= 20ms);
    // A request during the shielded operation does not cut it either (S1).
    t.expires_after(20ms);
    r.soon(ct::terminal);
    r.pending = true;
    co_await t.async_wait(shield(net::use_awaitable));
    r.pending = false;
    BOOST_TEST(r.all_landed_while_pending());
    BOOST_TEST(ms_since(start) >= 40ms);
    CHECK_NEXT_AWAIT_THROWS(true); // S4
}

#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
SIGNAL_TEST_CASE(S3_shield_deferred_starts_after_cancellation)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer t(io, 20ms);
    co_await t.async_wait(shield(test::deferred));
    BOOST_TEST(ms_since(start) >= 20ms);
    t.expires_after(20ms);
    r.soon(ct::terminal);
    r.pending = true;
    co_await t.async_wait(shield(test::deferred));
    r.pending = false;
    BOOST_TEST(r.all_landed_while_pending());
    BOOST_TEST(ms_since(start) >= 40ms);
    CHECK_NEXT_AWAIT_THROWS(true); // S4
}
#endif

SIGNAL_TEST_CASE(S3_mask_covering_record_starts)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    REQUEST_AND_CATCH(r, ct::partial);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer t(io, 10ms);
    co_await t.async_wait(shield(net::use_awaitable, ct::partial));
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    co_await t.async_wait(shield(test::deferred, ct::partial));
#endif
    BOOST_TEST(ms_since(start) >= 10ms);
}

SIGNAL_TEST_CASE(S3_mask_not_covering_record_throws_like_plain_asio)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    net::steady_timer t(io, 10s);
    bool threw = false;
    const auto start = clock::now();
    try
    {
        co_await t.async_wait(shield(net::use_awaitable, ct::partial));
    }
    catch (const system_error& e)
    {
        threw = is_aborted(e);
    }
    BOOST_TEST(threw);
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    threw = false;
    try
    {
        co_await t.async_wait(shield(test::deferred, ct::partial | ct::total));
    }
    catch (const system_error& e)
    {
        threw = is_aborted(e);
    }
    BOOST_TEST(threw);
#endif
    BOOST_TEST(ms_since(start) < 10s); // neither wait was started
}

SIGNAL_TEST_CASE(S3_user_throw_if_cancelled_false_plain_asio_rules)
{
    // With throw_if_cancelled(false) plain Asio does not throw; neither does a
    // shield whose mask leaves the record uncovered.
    requester r(io.get_executor(), sig);
    co_await net::this_coro::throw_if_cancelled(false);
    r.now(ct::terminal);
    net::steady_timer t(io, 5ms);
    co_await t.async_wait(shield(net::use_awaitable, ct::partial));
    BOOST_TEST(RECORDED() == ct::terminal);
}

SIGNAL_TEST_CASE(S3_shielded_operand_in_or)
{
    using namespace net::experimental::awaitable_operators;
    requester r(io.get_executor(), sig);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer shielded(io, 30ms), never(io, 1h);
    r.soon(ct::terminal); // cuts the plain operand, not the shielded one
    auto result = co_await (shielded.async_wait(shield(net::use_awaitable)) ||
                            never.async_wait(net::use_awaitable));
    BOOST_TEST(result.index() == 0u);
    BOOST_TEST(ms_since(start) >= 30ms);
    CHECK_NEXT_AWAIT_THROWS(true);
}

CO_TEST_CASE(S3_shielded_operand_in_or_loses_and_still_completes)
{
    using namespace net::experimental::awaitable_operators;
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer shielded(io, 30ms), quick(io, 1ms);
    auto result = co_await (shielded.async_wait(shield(net::use_awaitable)) ||
                            quick.async_wait(net::use_awaitable));
    BOOST_TEST(result.index() == 1u);
    BOOST_TEST(ms_since(start) >= 30ms); // the || waited for the shielded wait
}

SIGNAL_TEST_CASE(S3_shielded_operands_in_and)
{
    using namespace net::experimental::awaitable_operators;
    requester r(io.get_executor(), sig);
    const auto start = clock::now(); // Before the timer starts counting.
    net::steady_timer a(io, 30ms), b(io, 10ms);
    r.soon(ct::terminal);
    co_await (a.async_wait(shield(net::use_awaitable)) && b.async_wait(shield(net::use_awaitable)));
    BOOST_TEST(ms_since(start) >= 30ms);
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(S3_shielded_operands_in_and_inside_guard_after_cancellation)
{
    // G1 with S3: a cancelled coroutine's guarded || and && still run.
    using namespace net::experimental::awaitable_operators;
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    {
        auto guard = co_await asio_shield::guard_cancellation();
        const auto start = clock::now(); // Before the timer starts counting.
        net::steady_timer a(io, 20ms), b(io, 5ms);
        co_await (a.async_wait(shield(net::use_awaitable)) &&
                  b.async_wait(shield(net::use_awaitable)));
        BOOST_TEST(ms_since(start) >= 20ms);
    }
    CHECK_NEXT_AWAIT_THROWS(true);
}

BOOST_AUTO_TEST_SUITE_END()
