// T4, R1 on two threads: 1,000 operations of three 30 ms steps, each step
// bound to the slot the operation received, each operation on a strand of
// its own; a request 5 ms in, a grace period of 20 ms. Wherever the deadline
// falls — during a step, or between two with the finished step's handler
// still in the slot — the operation never runs to its end: it is cut, once.
// Run under ThreadSanitizer in the tsan leg.
#include "common/co_test.hpp"

#include <asio_shield/shield_for.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

using asio_shield::shield_for;
using namespace std::chrono_literals;

namespace {

using strand_type = net::strand<net::io_context::executor_type>;

struct stepped
{
    explicit stepped(net::io_context& io)
        : strand(net::make_strand(io)), timer(strand), request(strand)
    {}

    strand_type strand;
    net::steady_timer timer;
    net::steady_timer request;
    net::cancellation_signal signal;
    std::optional<error_code> result;
    int calls = 0;
    int started = 0;
};

/// Three waits of 30 ms in a row, each bound to the operation's slot.
struct three_steps
{
    using executor_type = strand_type;
    executor_type get_executor() const noexcept { return s->strand; }

    template <typename Handler>
    struct step
    {
        stepped* s;
        int left;
        Handler handler;

        void operator()(error_code ec)
        {
            if (ec || left == 0)
            {
                std::move(handler)(ec);
                return;
            }
            start();
        }

        void start()
        {
            ++s->started;
            s->timer.expires_after(30ms);
            auto slot = net::get_associated_cancellation_slot(handler);
            s->timer.async_wait(
                net::bind_cancellation_slot(slot, step{s, left - 1, std::move(handler)}));
        }
    };

    template <typename Handler>
    void operator()(Handler handler) const
    {
        step<Handler>{s, 3, std::move(handler)}.start();
    }

    stepped* s;
};

} // namespace

BOOST_AUTO_TEST_SUITE(grace_threaded)

// T4, R1: none of 1,000 operations runs past its deadline to a natural end.
BOOST_AUTO_TEST_CASE(T4_R1_two_threads_no_operation_outlives_its_deadline)
{
    constexpr int count = 1000;
    net::io_context io(2);
    std::vector<std::unique_ptr<stepped>> ops;
    for (int i = 0; i < count; ++i)
        ops.push_back(std::make_unique<stepped>(io));
    for (auto& p : ops)
    {
        stepped* s = p.get();
        net::post(s->strand, [s] {
            auto token =
                shield_for(20ms, net::bind_cancellation_slot(s->signal.slot(), [s](error_code ec) {
                               s->result = ec;
                               ++s->calls;
                           }));
            net::async_initiate<decltype(token), void(error_code)>(three_steps{s}, token);
            s->request.expires_after(5ms);
            s->request.async_wait(
                [s](error_code) { s->signal.emit(net::cancellation_type::terminal); });
        });
    }
    // Both threads busy from 22 to 42 ms: the deadlines (25 ms) and the ends
    // of the first steps (30 ms) fall due together, so that many deadlines
    // find the finished step's handler in the slot. Whatever the timing, no
    // operation may end naturally; this only makes the hard case common.
    net::steady_timer busy1(io, 22ms), busy2(io, 22ms);
    busy1.async_wait([](error_code) { std::this_thread::sleep_for(20ms); });
    busy2.async_wait([](error_code) { std::this_thread::sleep_for(20ms); });
    std::thread other([&] { io.run(); });
    io.run();
    other.join();
    int natural = 0, aborted = 0, wrong_calls = 0;
    for (auto& p : ops)
    {
        if (p->calls != 1)
            ++wrong_calls;
        if (p->result && !*p->result)
            ++natural;
        if (p->result && *p->result == net::error::operation_aborted)
            ++aborted;
    }
    BOOST_TEST(wrong_calls == 0);
    BOOST_TEST(natural == 0);
    BOOST_TEST(aborted == count);
}

BOOST_AUTO_TEST_SUITE_END()
