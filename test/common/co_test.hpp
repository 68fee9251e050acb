// Runs a coroutine test body on a fresh io_context, rethrows what escaped and
// checks that the context drained (every handler ran).
#ifndef ASIO_SHIELD_TEST_COMMON_CO_TEST_HPP
#define ASIO_SHIELD_TEST_COMMON_CO_TEST_HPP

#include "common/net.hpp"
#include "common/print_duration.hpp"

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

/// Lets `body` start only after a first suspension. Asio 1.26's co_spawn entry
/// point adds a checked co_await after a body that never suspended; with a
/// cancellation recorded, that throws out of io_context::run() (plain Asio,
/// guard or not), which is not what these tests are about.
inline net::awaitable<void> after_first_suspension(net::awaitable<void> body)
{
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    co_await std::move(body);
}

/// Runs `body(io, sig)` as a coroutine whose parent cancellation slot is
/// `sig`'s (co_spawn + bind_cancellation_slot) and runs `io` until it is out of
/// work; rethrows what escaped the coroutine.
inline void run_with_signal(
    const std::function<net::awaitable<void>(net::io_context&, net::cancellation_signal&)>& body)
{
    net::io_context io;
    net::cancellation_signal sig;
    std::exception_ptr error;
    bool done = false;
    net::co_spawn(io, after_first_suspension(body(io, sig)),
                  net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
                      error = e;
                      done = true;
                  }));
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

// The probes below are macros, not awaitable functions: a co_await of an
// awaitable is itself checked against the cancellation record, so a helper
// coroutine would throw at its call instead of reporting.

/// Sets `out` to whether the next plain co_await of the calling coroutine
/// throws operation_aborted (any other error escapes).
#define NEXT_AWAIT_THROWS(out)                                                                     \
    do                                                                                             \
    {                                                                                              \
        out = false;                                                                               \
        try                                                                                        \
        {                                                                                          \
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);             \
        }                                                                                          \
        catch (const system_error& next_await_error)                                               \
        {                                                                                          \
            if (!::test::is_aborted(next_await_error))                                             \
                throw;                                                                             \
            out = true;                                                                            \
        }                                                                                          \
    } while (false)

/// Checks that the next plain co_await throws operation_aborted (or not).
#define CHECK_NEXT_AWAIT_THROWS(expected)                                                          \
    do                                                                                             \
    {                                                                                              \
        bool next_await_threw = false;                                                             \
        NEXT_AWAIT_THROWS(next_await_threw);                                                       \
        BOOST_TEST(next_await_threw == (expected));                                                \
    } while (false)

#define CO_TEST_CASE(name)                                                                         \
    static net::awaitable<void> name##_body(net::io_context& io);                                  \
    BOOST_AUTO_TEST_CASE(name)                                                                     \
    {                                                                                              \
        ::test::run_coroutine(&name##_body);                                                       \
    }                                                                                              \
    static net::awaitable<void> name##_body([[maybe_unused]] net::io_context& io)

#endif
