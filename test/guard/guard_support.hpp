// Helpers for the cancellation guard tests: a coroutine with a cancellation
// slot its test can emit on, requests delivered while an operation is pending,
// and probes for what the coroutine would observe next.
#ifndef ASIO_SHIELD_TEST_GUARD_GUARD_SUPPORT_HPP
#define ASIO_SHIELD_TEST_GUARD_GUARD_SUPPORT_HPP

#include "common/co_test.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <ostream>

namespace test {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using ct = net::cancellation_type;

/// Delivers cancellation requests from handlers other than the coroutine's
/// own, and counts how many of them landed while the coroutine was suspended
/// on the operation the test marked as pending.
class requester
{
public:
    template <typename Executor>
    requester(const Executor& ex, net::cancellation_signal& sig) : ex_(ex), sig_(sig)
    {}

    /// Emits from a handler posted now, so it runs once the coroutine has
    /// suspended at its next co_await (the executor runs handlers in order).
    void soon(net::cancellation_type_t type)
    {
        ++posted_;
        net::post(ex_, [this, type] {
            if (pending)
                ++landed_while_pending_;
            sig_.emit(type);
        });
    }

    /// Emits right away, from inside the coroutine.
    void now(net::cancellation_type_t type) { sig_.emit(type); }

    /// Every request posted with soon() arrived while `pending` was set.
    bool all_landed_while_pending() const
    {
        return posted_ > 0 && landed_while_pending_ == posted_;
    }

    bool pending = false;

private:
    net::any_io_executor ex_;
    net::cancellation_signal& sig_;
    int posted_ = 0;
    int landed_while_pending_ = 0;
};

inline std::chrono::milliseconds ms_since(clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
}

/// A timer of `d`, awaited with use_awaitable.
inline net::awaitable<void> tick(std::chrono::milliseconds d)
{
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(net::use_awaitable);
}

} // namespace test

ASIO_SHIELD_NET_NS_BEGIN
// Lets BOOST_TEST print cancellation types (found by argument-dependent lookup).
inline std::ostream& operator<<(std::ostream& os, cancellation_type_t t)
{
    return os << "cancellation_type(" << static_cast<unsigned>(t) << ")";
}
ASIO_SHIELD_NET_NS_END

// NEXT_AWAIT_THROWS and CHECK_NEXT_AWAIT_THROWS come from common/co_test.hpp.

/// What the coroutine's cancellation state has recorded.
#define RECORDED() ((co_await net::this_coro::cancellation_state).cancelled())

/// Requests cancellation of the calling coroutine from inside it and catches
/// the operation_aborted that the next co_await throws, as cleanup code does.
#define REQUEST_AND_CATCH(requester, type)                                                         \
    do                                                                                             \
    {                                                                                              \
        (requester).now(type);                                                                     \
        bool request_caught = false;                                                               \
        NEXT_AWAIT_THROWS(request_caught);                                                         \
        BOOST_TEST_REQUIRE(request_caught);                                                        \
    } while (false)

/// A coroutine test case whose body gets `io` and the signal `sig` bound to
/// its parent cancellation slot.
#define SIGNAL_TEST_CASE(name)                                                                     \
    static net::awaitable<void> name##_body(net::io_context& io, net::cancellation_signal& sig);   \
    BOOST_AUTO_TEST_CASE(name)                                                                     \
    {                                                                                              \
        ::test::run_with_signal(&name##_body);                                                     \
    }                                                                                              \
    static net::awaitable<void> name##_body([[maybe_unused]] net::io_context& io,                  \
                                            [[maybe_unused]] net::cancellation_signal& sig)

#endif
