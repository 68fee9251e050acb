// R1, replayable: the stress test's checks on one thread, with a seeded
// scheduler that decides which ready handler runs next and a clock that moves
// only when nothing is ready. A seed fixes the whole run: every choice of the
// workers and cancellers, the order in which handlers run, and the virtual
// time at which each timer fires. The run writes a trace (one line per
// request, operation and guarded scope); the same seed gives the same trace,
// in the same process or another one.
//
// Replay a failing seed and keep its trace:
//   ASIO_SHIELD_REPLAY_SEED=<seed> ASIO_SHIELD_REPLAY_WRITE=trace.txt
//       asio_shield_test_replay --run_test=replay/R1_deterministic_stress
// ASIO_SHIELD_REPLAY_EXPECT=<file> compares the run's trace with a file.
#include "common/co_test.hpp"
#include "reliability/stress_support.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield.hpp>

#include <cstdint>
#include <cstdlib>

#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ctype = net::cancellation_type;
using test::manual_clock;
using test::manual_timer;

/// The ready handlers of the run; which one runs next is the seed's choice.
class shuffle_scheduler
{
    struct item
    {
        virtual ~item() = default;
        virtual void run() = 0;
    };

    template <typename F>
    struct item_of final : item
    {
        explicit item_of(F&& f) : f(std::move(f)) {}
        void run() override { std::move(f)(); }
        F f;
    };

public:
    /// Like an io_context's executor: `post` (blocking.never) queues the
    /// function; `dispatch` (blocking.possibly, the default) runs it inline
    /// when called from a handler of this scheduler, as a strand does for
    /// its own handlers, and queues it otherwise.
    class executor_type
    {
    public:
        explicit executor_type(shuffle_scheduler& s, bool never = false) noexcept
            : s_(&s), never_(never)
        {}

        net::execution_context& query(net::execution::context_t) const noexcept { return s_->io_; }
        net::execution::blocking_t query(net::execution::blocking_t) const noexcept
        {
            if (never_)
                return net::execution::blocking.never;
            return net::execution::blocking.possibly;
        }
        executor_type require(net::execution::blocking_t::never_t) const noexcept
        {
            return executor_type(*s_, true);
        }
        executor_type require(net::execution::blocking_t::possibly_t) const noexcept
        {
            return executor_type(*s_, false);
        }

        template <typename F>
        void execute(F f) const
        {
            if (!never_ && s_->running_)
                std::move(f)();
            else
                s_->ready_.push_back(std::make_unique<item_of<F>>(std::move(f)));
        }

        friend bool operator==(const executor_type& a, const executor_type& b) noexcept
        {
            return a.s_ == b.s_ && a.never_ == b.never_;
        }

    private:
        shuffle_scheduler* s_;
        bool never_;
    };

    explicit shuffle_scheduler(std::uint64_t seed) : rng_(seed) {}

    executor_type get_executor() noexcept { return executor_type(*this); }

    /// Runs until `finished()` holds with nothing left ready: a random ready
    /// handler at a time; when none is ready, the timers due now; when none is
    /// due, the clock moves on by 25 us. Returns false if virtual time ran an
    /// hour without `finished()` (a hang).
    template <typename Finished>
    bool run(Finished finished)
    {
        const auto give_up = manual_clock::now() + 1h;
        for (;;)
        {
            if (!ready_.empty())
            {
                const std::size_t i = static_cast<std::size_t>(rng_() % ready_.size());
                std::unique_ptr<item> next = std::move(ready_[i]);
                ready_[i] = std::move(ready_.back());
                ready_.pop_back();
                running_ = true;
                next->run();
                running_ = false;
                ++steps;
                continue;
            }
            test::settle(io_); // Timers due now queue their handlers here.
            if (!ready_.empty())
                continue;
            if (finished())
                return true;
            if (manual_clock::now() >= give_up)
                return false;
            manual_clock::advance(25us);
        }
    }

    std::uint64_t steps = 0;

private:
    net::io_context io_; // Hosts the timers; their handlers come back here.
    std::vector<std::unique_ptr<item>> ready_;
    std::mt19937_64 rng_;
    bool running_ = false; // In a ready handler (not in a timer's completion).
};

using executor = net::any_io_executor;

struct totals
{
    std::uint64_t started = 0, completed = 0, shielded_unnatural = 0, plain_unexpected = 0,
                  rearm_mismatches = 0, cancelled = 0, guards = 0, requests = 0;
};

struct worker
{
    worker(int i, std::uint64_t seed) : id(i), rng(seed) {}

    int id;
    net::cancellation_signal signal;
    std::mt19937_64 rng;
    net::cancellation_type_t model_record = ctype::none; // What co_spawn's filter records.
    bool done = false;

    int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
};

struct run_state
{
    totals t;
    std::vector<std::string> trace;

    void note(const worker& w, const std::string& what)
    {
        std::ostringstream line;
        line << manual_clock::now().time_since_epoch().count() << " w" << w.id << ' ' << what;
        trace.push_back(line.str());
    }
};

void schedule_canceller(executor ex, std::shared_ptr<worker> w, run_state& s)
{
    auto timer = std::make_shared<manual_timer>(ex, std::chrono::microseconds(50 + w->pick(400)));
    timer->async_wait([ex, w, timer, &s](error_code) {
        if (w->done)
            return;
        const net::cancellation_type_t type = test::random_type(*w);
        w->model_record = static_cast<net::cancellation_type_t>(
            static_cast<unsigned>(type) & static_cast<unsigned>(ctype::terminal));
        ++s.t.requests;
        s.note(*w, "emit " + std::to_string(static_cast<unsigned>(type)));
        w->signal.emit(type);
        schedule_canceller(ex, w, s);
    });
}

net::awaitable<void> one_operation(worker& w, run_state& s, bool shielded)
{
    const executor ex = co_await net::this_coro::executor;
    const int kind = w.pick(2);
    ++s.t.started;
    error_code ec;
    if (kind == 0)
    {
        manual_timer timer(ex, std::chrono::microseconds(w.pick(300)));
        if (shielded)
            std::tie(ec) =
                co_await timer.async_wait(asio_shield::shield(test::as_tuple(net::use_awaitable)));
        else
            std::tie(ec) = co_await timer.async_wait(test::as_tuple(net::use_awaitable));
    }
    else if (shielded)
        co_await net::post(ex, asio_shield::shield(net::use_awaitable));
    else
        co_await net::post(ex, net::use_awaitable);
    ++s.t.completed;
    if (shielded && ec)
        ++s.t.shielded_unnatural; // S1
    if (!shielded && ec && ec != net::error::operation_aborted)
        ++s.t.plain_unexpected;
    if (ec == net::error::operation_aborted)
        ++s.t.cancelled;
    s.note(w, std::string(kind == 0 ? "timer" : "post") + (shielded ? " shielded " : " plain ") +
                  std::to_string(ec.value()));
}

net::awaitable<void> run_worker(std::shared_ptr<worker> w, run_state& s, int ops)
{
    const executor ex = co_await net::this_coro::executor;
    int done = 0;
    while (done < ops)
    {
        try
        {
            if (w->pick(4) == 0)
            {
                {
                    auto guard = co_await asio_shield::guard_cancellation();
                    ++s.t.guards;
                    for (int i = 1 + w->pick(3); i > 0 && done < ops; --i, ++done)
                        co_await one_operation(*w, s, /*shielded=*/true);
                }
                const auto recorded = (co_await net::this_coro::cancellation_state).cancelled();
                s.note(*w, "guard ended, record " + std::to_string(static_cast<unsigned>(recorded)));
                if (recorded != w->model_record)
                {
                    ++s.t.rearm_mismatches; // G2
                    s.note(*w, "MISMATCH after guard, model " +
                                   std::to_string(static_cast<unsigned>(w->model_record)));
                }
            }
            else
            {
                co_await one_operation(*w, s, w->pick(2) == 0);
                ++done;
            }
            if (w->model_record != ctype::none)
                co_await net::post(ex, net::use_awaitable); // Throws: the record is set.
        }
        catch (const system_error& e)
        {
            if (e.code() != net::error::operation_aborted)
                throw;
            ++s.t.completed;
            ++s.t.started;
            s.note(*w, "threw");
        }
        if (const auto rec = (co_await net::this_coro::cancellation_state).cancelled();
            rec != w->model_record)
        {
            ++s.t.rearm_mismatches;
            s.note(*w, "MISMATCH at round end, record " + std::to_string(static_cast<unsigned>(rec)) +
                           " model " + std::to_string(static_cast<unsigned>(w->model_record)));
        }
        co_await net::this_coro::reset_cancellation_state();
        w->model_record = ctype::none;
    }
    w->done = true;
}

/// One seeded run; checks R1, S1, G2 and returns the trace.
std::vector<std::string> run_seed(std::uint64_t seed, int total_ops)
{
    run_state s;
    BOOST_TEST_CONTEXT("replay seed " << seed << " (ASIO_SHIELD_REPLAY_SEED=" << seed << ")")
    {
        manual_clock::reset();
        shuffle_scheduler sched(seed);
        const executor ex = sched.get_executor();
        constexpr int workers = 8;
        int finished = 0, failures = 0;
        for (int i = 0; i < workers; ++i)
        {
            auto w = std::make_shared<worker>(i, seed * 1000003u + static_cast<unsigned>(i));
            net::co_spawn(ex, run_worker(w, s, total_ops / workers),
                          net::bind_cancellation_slot(w->signal.slot(), [&](std::exception_ptr e) {
                              if (e)
                                  ++failures;
                              ++finished;
                          }));
            net::post(ex, [ex, w, &s] { schedule_canceller(ex, w, s); });
        }
        const bool ended = sched.run([&] { return finished == workers; });
        BOOST_TEST(ended); // No hang in virtual time.
        BOOST_TEST(finished == workers); // R1: every completion handler ran...
        BOOST_TEST(failures == 0);
        BOOST_TEST(s.t.completed == s.t.started); // ...exactly once per operation.
        BOOST_TEST(s.t.shielded_unnatural == 0u); // S1
        BOOST_TEST(s.t.plain_unexpected == 0u);
        BOOST_TEST(s.t.rearm_mismatches == 0u); // G2: none lost, none invented.
        BOOST_TEST_MESSAGE("seed " << seed << ": " << s.t.started << " operations, "
                                   << s.t.requests << " requests, " << s.t.cancelled
                                   << " cancelled, " << s.t.guards << " guarded scopes, "
                                   << sched.steps << " handlers, " << s.trace.size()
                                   << " trace lines");
    }
    return std::move(s.trace);
}

void write_trace(const char* path, const std::vector<std::string>& trace)
{
    std::ofstream out(path);
    for (const auto& line : trace)
        out << line << '\n';
}

std::vector<std::string> read_trace(const char* path)
{
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

/// The first line where two traces differ, or -1.
std::ptrdiff_t first_difference(const std::vector<std::string>& a,
                                const std::vector<std::string>& b)
{
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (a[i] != b[i])
            return static_cast<std::ptrdiff_t>(i);
    return a.size() == b.size() ? -1 : static_cast<std::ptrdiff_t>(std::min(a.size(), b.size()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(replay)

// R1, S1, G2 over many seeds, each exactly reproducible.
BOOST_AUTO_TEST_CASE(R1_deterministic_stress)
{
    const int ops = static_cast<int>(test::env_or("ASIO_SHIELD_REPLAY_OPS", 4000));
    std::vector<std::uint64_t> seeds;
    if (const char* one = std::getenv("ASIO_SHIELD_REPLAY_SEED"))
        seeds.push_back(std::strtoull(one, nullptr, 10));
    else
        for (std::uint64_t seed = 1; seed <= 16; ++seed)
            seeds.push_back(seed);
    for (const std::uint64_t seed : seeds)
    {
        const auto trace = run_seed(seed, ops);
        if (const char* path = std::getenv("ASIO_SHIELD_REPLAY_WRITE"); path && seeds.size() == 1)
            write_trace(path, trace);
        if (const char* path = std::getenv("ASIO_SHIELD_REPLAY_EXPECT"); path && seeds.size() == 1)
        {
            const auto expected = read_trace(path);
            BOOST_TEST_REQUIRE(!expected.empty(), "no trace in " << path);
            const std::ptrdiff_t at = first_difference(trace, expected);
            BOOST_TEST(at == -1, "traces differ at line " << at + 1);
        }
    }
}

// The replay is exact: one seed run twice gives the same trace, line by line
// (requests, results, records, and the virtual time of each). CTest also runs
// it in two processes (R1_replay_write / R1_replay_compare).
BOOST_AUTO_TEST_CASE(R1_same_seed_same_trace)
{
    const auto first = run_seed(7, 2000);
    const auto second = run_seed(7, 2000);
    BOOST_TEST_REQUIRE(first.size() > 1000u);
    const std::ptrdiff_t at = first_difference(first, second);
    BOOST_TEST(at == -1, "traces differ at line " << at + 1);
    const auto other = run_seed(8, 2000);
    BOOST_TEST(first_difference(first, other) != -1); // The seed does decide the run.
}

BOOST_AUTO_TEST_SUITE_END()
