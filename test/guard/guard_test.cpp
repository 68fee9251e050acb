#include "common/co_test.hpp"
BOOST_AUTO_TEST_SUITE(shield)
CO_TEST_CASE(S1_smoke)
{
    net::steady_timer t(io, std::chrono::milliseconds(1));
    co_await t.async_wait(asio_shield::shield(net::use_awaitable));
    auto g = co_await asio_shield::guard_cancellation();
    co_await t.async_wait(asio_shield::shield(net::deferred));
}
BOOST_AUTO_TEST_SUITE_END()
