// Runs a coroutine test body on a fresh io_context, rethrows what escaped and
// checks that the context drained (every handler ran).
#ifndef ASIO_SHIELD_TEST_COMMON_CO_TEST_HPP
#define ASIO_SHIELD_TEST_COMMON_CO_TEST_HPP

#include "common/net.hpp"

#include <boost/test/unit_test.hpp>

#include <exception>
#include <functional>

namespace test {

/// Spawns `body(io)` and runs `io` until it is out of work.
inline void run_coroutine(const std::function<net::awaitable<void>(net::io_context&)>& body)
{
    net::io_context io;
    std::exception_ptr error;
    bool done = false;
    net::co_spawn(io, body(io), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    io.run();
    BOOST_REQUIRE_MESSAGE(done, "the test coroutine never completed");
    if (error)
        std::rethrow_exception(error);
}

/// Whether `e` is `operation_aborted`.
inline bool is_aborted(const system_error& e)
{
    return e.code() == net::error::operation_aborted;
}

} // namespace test

#define CO_TEST_CASE(name)                                                                         \
    static net::awaitable<void> name##_body(net::io_context& io);                                  \
    BOOST_AUTO_TEST_CASE(name)                                                                     \
    {                                                                                              \
        ::test::run_coroutine(&name##_body);                                                       \
    }                                                                                              \
    static net::awaitable<void> name##_body([[maybe_unused]] net::io_context& io)

#endif
