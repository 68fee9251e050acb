// R1: randomized cancellation stress, deterministic per seed.
//
// Many coroutines, each on its own strand of a two-thread io_context, run a
// random mix of plain and shielded operations (timers, posts, loopback socket
// writes and reads) and guarded scopes, while a canceller on the same strand
// emits random cancellation types at random moments. Checked: every handler ran
// exactly once; every shielded operation completed with its natural result;
// every plain one completed or was cancelled; every guard re-armed exactly what
// plain Asio recorded (its last request, through co_spawn's terminal filter).
//
// Replay a failure with ASIO_SHIELD_STRESS_SEED=<seed> (printed on failure);
// ASIO_SHIELD_STRESS_OPS sets the number of operations per seed.
#include "common/co_test.hpp"
#include "reliability/stress_support.hpp"
#include "common/loopback.hpp"

#include <asio_shield.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ctype = net::cancellation_type;
using strand_type = net::strand<net::io_context::executor_type>;

struct totals
{
    std::atomic<std::uint64_t> started{0};
    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> shielded_unnatural{0}; // Must stay 0.
    std::atomic<std::uint64_t> plain_unexpected{0};   // Must stay 0.
    std::atomic<std::uint64_t> rearm_mismatches{0};   // Must stay 0.
    std::atomic<std::uint64_t> cancelled{0};
    std::atomic<std::uint64_t> guards{0};
};

/// One worker: its strand, its cancellation signal, and the model of what
/// plain Asio records for it (touched only on the strand).
struct worker
{
    worker(net::io_context& io, std::uint64_t seed) : strand(net::make_strand(io)), rng(seed) {}

    strand_type strand;
    net::cancellation_signal signal;
    std::mt19937_64 rng;
    // co_spawn's default filter records terminal requests only, and each
    // request replaces the record (`cancelled_ = filter(type)`).
    net::cancellation_type_t model_record = ctype::none;
    bool done = false;

    int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
};

/// Emits random requests on the worker's strand at random moments until the
/// worker is done.
void schedule_canceller(std::shared_ptr<worker> w)
{
    auto timer = std::make_shared<net::steady_timer>(w->strand,
                                                     std::chrono::microseconds(50 + w->pick(400)));
    timer->async_wait([w, timer](error_code) {
        if (w->done)
            return;
        const net::cancellation_type_t type = test::random_type(*w);
        w->model_record = static_cast<net::cancellation_type_t>(
            static_cast<unsigned>(type) & static_cast<unsigned>(ctype::terminal));
        w->signal.emit(type);
        schedule_canceller(w);
    });
}

/// One operation, shielded or not; records the outcome in `t`.
net::awaitable<void> one_operation(worker& w, totals& t, test::tcp::socket& out,
                                   test::tcp::socket& in, bool shielded)
{
    const int kind = w.pick(3);
    ++t.started;
    error_code ec;
    if (kind == 0)
    {
        net::steady_timer timer(w.strand, std::chrono::microseconds(w.pick(300)));
        if (shielded)
            std::tie(ec) =
                co_await timer.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
        else
            std::tie(ec) = co_await timer.async_wait(test::as_tuple(net::use_awaitable));
    }
    else if (kind == 1)
    {
        if (shielded)
            co_await net::post(w.strand, asio_shield::shield(net::use_awaitable));
        else
            co_await net::post(w.strand, net::use_awaitable);
    }
    else
    {
        // A small write and the read of it on a loopback pair: both complete
        // unless cancelled (the write is small enough for the kernel buffer).
        std::array<char, 64> data{};
        std::size_t n = 0;
        if (shielded)
            std::tie(ec, n) = co_await net::async_write(
                out, net::buffer(data), asio_shield::shield(test::as_tuple(net::use_awaitable)));
        else
            std::tie(ec, n) = co_await net::async_write(out, net::buffer(data),
                                                        test::as_tuple(net::use_awaitable));
        if (!ec)
        {
            // The read is always shielded: a torn read would desynchronise
            // the pair for the next round, which is not what is tested here.
            std::tie(ec, n) = co_await net::async_read(
                in, net::buffer(data), asio_shield::shield(test::as_tuple(net::use_awaitable)));
            if (ec)
                ++t.shielded_unnatural;
        }
        else if (!shielded && ec == net::error::operation_aborted && n > 0)
        {
            // A torn plain write: drain what arrived so the pair stays usable.
            co_await net::async_read(in, net::buffer(data.data(), n),
                                     asio_shield::shield(test::as_tuple(net::use_awaitable)));
        }
    }
    ++t.completed;
    if (shielded && ec)
        ++t.shielded_unnatural; // S1: natural result, whatever was emitted.
    if (!shielded && ec && ec != net::error::operation_aborted)
        ++t.plain_unexpected;
    if (ec == net::error::operation_aborted)
        ++t.cancelled;
}

/// The worker's coroutine: `ops` operations; after each cancellation it
/// clears its state (as a long-lived session would) and goes on.
net::awaitable<void> run_worker(std::shared_ptr<worker> w, totals& t, int ops)
{
    auto [out, in] = test::socket_pair(static_cast<net::io_context&>(w->strand.context()));
    int done = 0;
    while (done < ops)
    {
        try
        {
            if (w->pick(4) == 0)
            {
                // A guarded scope: its operations run to completion (G1); on
                // exit exactly plain Asio's record is in force (G2).
                {
                    auto guard = co_await asio_shield::guard_cancellation();
                    ++t.guards;
                    for (int i = 1 + w->pick(3); i > 0 && done < ops; --i, ++done)
                        co_await one_operation(*w, t, out, in, /*shielded=*/true);
                }
                const auto recorded = (co_await net::this_coro::cancellation_state).cancelled();
                if (recorded != w->model_record)
                    ++t.rearm_mismatches;
            }
            else
            {
                co_await one_operation(*w, t, out, in, w->pick(2) == 0);
                ++done;
            }
            if (w->model_record != ctype::none)
                co_await net::post(w->strand, net::use_awaitable); // Throws: record is set.
        }
        catch (const system_error& e)
        {
            if (e.code() != net::error::operation_aborted)
                throw;
            ++t.completed; // The operation the check above started.
            ++t.started;
        }
        if ((co_await net::this_coro::cancellation_state).cancelled() != w->model_record)
            ++t.rearm_mismatches;
        co_await net::this_coro::reset_cancellation_state();
        w->model_record = ctype::none;
    }
    w->done = true;
}

void run_seed(std::uint64_t seed, int total_ops)
{
    BOOST_TEST_CONTEXT("stress seed " << seed << " (replay: ASIO_SHIELD_STRESS_SEED=" << seed
                                      << ")")
    {
        net::io_context io(2);
        totals t;
        constexpr int workers = 16;
        std::vector<std::shared_ptr<worker>> ws;
        std::atomic<int> finished{0};
        std::atomic<int> failures{0};
        for (int i = 0; i < workers; ++i)
        {
            auto w = std::make_shared<worker>(io, seed * 1000003u + static_cast<unsigned>(i));
            ws.push_back(w);
            net::co_spawn(w->strand, run_worker(w, t, total_ops / workers),
                          net::bind_cancellation_slot(w->signal.slot(), [&](std::exception_ptr e) {
                              if (e)
                                  ++failures;
                              ++finished;
                          }));
            net::post(w->strand, [w] { schedule_canceller(w); });
        }
        std::thread other([&] { io.run(); });
        io.run();
        other.join();

        BOOST_TEST(finished.load() == workers); // R1: every completion handler ran...
        BOOST_TEST(failures.load() == 0);
        BOOST_TEST(t.completed.load() == t.started.load()); // ...exactly once per operation.
        BOOST_TEST(t.shielded_unnatural.load() == 0u);      // S1 under every interleaving.
        BOOST_TEST(t.plain_unexpected.load() == 0u);
        BOOST_TEST(t.rearm_mismatches.load() == 0u); // G2: none lost, none invented.
        BOOST_TEST_MESSAGE("seed " << seed << ": " << t.started.load() << " operations, "
                                   << t.cancelled.load() << " cancelled, " << t.guards.load()
                                   << " guarded scopes");
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(reliability)

BOOST_AUTO_TEST_CASE(R1_randomized_cancellation_stress)
{
    const int ops = static_cast<int>(test::env_or("ASIO_SHIELD_STRESS_OPS", 25000));
    if (const char* replay = std::getenv("ASIO_SHIELD_STRESS_SEED"))
    {
        run_seed(std::strtoull(replay, nullptr, 10), ops);
        return;
    }
    for (std::uint64_t seed : {1u, 2u, 3u, 4u})
        run_seed(seed, ops);
}

BOOST_AUTO_TEST_SUITE_END()
