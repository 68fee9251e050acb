// Helpers for the shield suite: a hand-written asynchronous operation that
// reports what it was given (S2) and which requests reached it (S1, S5), an
// allocator that says who it is, and a runner that spawns a coroutine the way a
// cancelling parent would.
#ifndef ASIO_SHIELD_TEST_SHIELD_SUPPORT_HPP
#define ASIO_SHIELD_TEST_SHIELD_SUPPORT_HPP

#include "common/co_test.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

namespace test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ctype = net::cancellation_type;

/// An allocator with an identity, so that S2 can tell it arrived unchanged.
template <typename T>
struct tagged_allocator
{
    using value_type = T;

    explicit tagged_allocator(int i) noexcept : id(i) {}

    template <typename U>
    tagged_allocator(const tagged_allocator<U>& other) noexcept : id(other.id)
    {}

    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }

    friend bool operator==(const tagged_allocator& a, const tagged_allocator& b) noexcept
    {
        return a.id == b.id;
    }

    int id;
};

template <typename T>
inline constexpr bool is_tagged_allocator_v = false;

template <typename T>
inline constexpr bool is_tagged_allocator_v<tagged_allocator<T>> = true;

/// How the probe operation completes.
enum class probe_mode
{
    immediate,       // at once (posted), with (success, natural_value)
    immediate_error, // at once (posted), with (eof, 0)
    pending          // when probe_state::complete() is called, or on cancellation
};

/// The natural result of a probe operation.
inline constexpr int natural_value = 42;

/// What the probe operation saw of the handler it was given and of the
/// requests that reached it.
struct probe_state
{
    struct pending_base
    {
        virtual ~pending_base() = default;
        virtual void complete(error_code ec, int value) = 0;
    };

    int initiations = 0;
    bool slot_connected = false;
    net::any_io_executor executor;                   // associated executor, or the probe's own
    bool executor_recorded = false;                  // false if it was not an I/O executor
    int allocator_id = -1;                           // tagged_allocator's id, -1 for any other
    net::cancellation_type_t received = ctype::none; // first request that reached it
    std::unique_ptr<pending_base> pending;

    bool is_pending() const noexcept { return pending != nullptr; }

    /// Completes the pending operation; its handler runs later, as Asio's do.
    void complete(error_code ec = {}, int value = natural_value)
    {
        BOOST_REQUIRE(pending);
        auto op = std::move(pending);
        op->complete(ec, value);
    }
};

template <typename Handler>
class probe_pending final : public probe_state::pending_base
{
public:
    probe_pending(Handler&& handler, const net::any_io_executor& ex)
        : handler_(std::move(handler)),
          work_(net::prefer(ex, net::execution::outstanding_work.tracked))
    {}

    void complete(error_code ec, int value) override
    {
        // The handler runs on its associated executor, the probe's by default.
        net::post(work_, test::append(std::move(handler_), ec, value));
    }

private:
    Handler handler_;
    net::any_io_executor work_;
};

/// The initiation of the probe: records everything associated with the handler.
class probe_initiation
{
public:
    using executor_type = net::any_io_executor;

    explicit probe_initiation(executor_type ex) : ex_(std::move(ex)) {}

    executor_type get_executor() const noexcept { return ex_; }

    template <typename Handler>
    void operator()(Handler&& handler, probe_state* state, probe_mode mode) const
    {
        ++state->initiations;
        net::cancellation_slot slot = net::get_associated_cancellation_slot(handler);
        state->slot_connected = slot.is_connected();

        auto ex = net::get_associated_executor(handler, ex_);
        if constexpr (std::is_convertible_v<decltype(ex), net::any_io_executor>)
        {
            state->executor = ex;
            state->executor_recorded = true;
        }

        auto allocator = net::get_associated_allocator(handler);
        if constexpr (is_tagged_allocator_v<decltype(allocator)>)
            state->allocator_id = allocator.id;
        else
            state->allocator_id = -1;

        switch (mode)
        {
        case probe_mode::immediate:
            net::post(ex_,
                      test::append(static_cast<Handler&&>(handler), error_code(), natural_value));
            return;
        case probe_mode::immediate_error:
            net::post(
                ex_, test::append(static_cast<Handler&&>(handler), error_code(net::error::eof), 0));
            return;
        case probe_mode::pending:
            break;
        }
        state->pending = std::make_unique<probe_pending<std::decay_t<Handler>>>(
            static_cast<Handler&&>(handler), ex_);
        if (slot.is_connected())
        {
            slot.assign([state](net::cancellation_type_t type) {
                if (!state->is_pending() || type == ctype::none)
                    return;
                state->received = type;
                state->complete(net::error::operation_aborted, 0);
            });
        }
    }

private:
    executor_type ex_;
};

/// A hand-written asynchronous operation with signature void(error_code, int).
template <typename CompletionToken>
auto async_probe(net::any_io_executor ex, probe_state& state, CompletionToken&& token,
                 probe_mode mode = probe_mode::immediate)
{
    return net::async_initiate<CompletionToken, void(error_code, int)>(
        probe_initiation(std::move(ex)), token, &state, mode);
}

/// Runs each step in its own handler, in order, starting once the caller
/// returns to the io_context: from inside a coroutine, that is after the
/// operation it is about to `co_await` has been started.
inline void run_steps(net::io_context& io, std::vector<std::function<void()>> steps,
                      std::size_t next = 0)
{
    if (next == steps.size())
        return;
    net::post(io, [&io, steps = std::move(steps), next]() mutable {
        steps[next]();
        run_steps(io, std::move(steps), next + 1);
    });
}

/// Spawns `body` with `signal`'s slot bound, as a cancelling parent would, and
/// runs the context until it is out of work. co_spawn's default filter records
/// terminal requests only.
inline void run_cancellable(
    const std::function<net::awaitable<void>(net::io_context&, net::cancellation_signal&)>& body)
{
    net::io_context io;
    net::cancellation_signal signal;
    std::exception_ptr error;
    bool done = false;
    net::co_spawn(io, body(io, signal),
                  net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                      error = e;
                      done = true;
                  }));
    io.run();
    BOOST_REQUIRE_MESSAGE(done, "the test coroutine never completed");
    if (error)
        std::rethrow_exception(error);
}

} // namespace test

ASIO_SHIELD_NET_NS_BEGIN
/// Lets BOOST_TEST print the types it compares (found by argument-dependent lookup).
inline std::ostream& boost_test_print_type(std::ostream& os, cancellation_type type)
{
    return os << "cancellation_type(" << static_cast<unsigned>(type) << ")";
}
ASIO_SHIELD_NET_NS_END

/// A coroutine test whose body also receives the signal bound to its slot.
#define CO_CANCELLABLE_TEST_CASE(name)                                                             \
    static net::awaitable<void> name##_body(net::io_context& io,                                   \
                                            net::cancellation_signal& signal);                     \
    BOOST_AUTO_TEST_CASE(name)                                                                     \
    {                                                                                              \
        ::test::run_cancellable(&name##_body);                                                     \
    }                                                                                              \
    static net::awaitable<void> name##_body([[maybe_unused]] net::io_context& io,                  \
                                            [[maybe_unused]] net::cancellation_signal& signal)

#endif
