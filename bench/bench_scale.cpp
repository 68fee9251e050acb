// bench_scale <variant> <N>
//
// Parks N coroutines, each under its own connected parent slot (a session of
// a server), in one piece of protected work: a wait on a shared "gate" timer.
// Then cancels all of them at once (one emit per coroutine), lets the work
// finish (the gate opens), and runs until every coroutine has observed the
// request after its protected work and ended. Prints one line:
//
//   variant=<v> n=<N> park_s=<s> cancel_to_done_s=<s> cancel_cpu_s=<s>
//   maxrss_kib=<k> allocations=<count> observed=<coroutines that saw the request>
//
// cancel_cpu_s is the process's CPU time over the same interval as
// cancel_to_done_s (wall clock). Under callgrind with --collect-atstart=no,
// only that interval is counted: its instructions per coroutine are exact,
// where times on a shared machine are not.
// One process per measurement, so ru_maxrss is this N's peak; the report
// subtracts an N=0 run of the same variant to get memory per coroutine.
//
// Variants, the work being the same gate wait:
//   raw     plain Asio, the wait bound to an empty slot by hand
//   shield  the wait started with shield(token)
//   toggle  plain Asio's closest scope: throw_if_cancelled(false) and
//           reset_cancellation_state(disable_cancellation()), the wait, then
//           the default state back (this loses the request; see below)
//   guard   the wait inside `auto g = co_await guard_cancellation();`
#include "scenarios.hpp"

#include "common/heap_counter.hpp"

#include <sys/resource.h>
#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define ASIO_SHIELD_BENCH_TOGGLE_COLLECT() CALLGRIND_TOGGLE_COLLECT
#else
#define ASIO_SHIELD_BENCH_TOGGLE_COLLECT()
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

namespace {

namespace net = bench::net;
using clock_type = std::chrono::steady_clock;

enum class variant
{
    raw,
    shield,
    toggle,
    guard
};

struct counters
{
    std::size_t parked = 0;
    std::size_t finished = 0;
    std::size_t observed = 0; // Saw the request once the work was done.
    std::size_t failed = 0;
};

net::awaitable<void> worker(variant v, net::steady_timer& gate, counters& c)
{
    const auto token = bench::as_tuple(net::use_awaitable);
    switch (v)
    {
    case variant::raw:
        ++c.parked;
        co_await gate.async_wait(bench::by_hand(token));
        break;
    case variant::shield:
        ++c.parked;
        co_await gate.async_wait(asio_shield::shield(token));
        break;
    case variant::toggle: {
        co_await net::this_coro::throw_if_cancelled(false);
        co_await net::this_coro::reset_cancellation_state(net::disable_cancellation());
        ++c.parked;
        co_await gate.async_wait(token);
        co_await net::this_coro::reset_cancellation_state();
        co_await net::this_coro::throw_if_cancelled(true);
        break;
    }
    case variant::guard: {
        auto guard = co_await asio_shield::guard_cancellation();
        ++c.parked;
        co_await gate.async_wait(token);
        break;
    }
    }
    // S4, G2: the request made while the work was pending is seen now. (The
    // toggle variant dropped it: the disabled state recorded nothing.)
    const auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none)
        ++c.observed;
}

double cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long max_rss_kib()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

int usage()
{
    std::fprintf(stderr, "usage: bench_scale <raw|shield|toggle|guard> <N>\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return usage();
    const std::string name = argv[1];
    variant v;
    if (name == "raw")
        v = variant::raw;
    else if (name == "shield")
        v = variant::shield;
    else if (name == "toggle")
        v = variant::toggle;
    else if (name == "guard")
        v = variant::guard;
    else
        return usage();
    const long long n_arg = std::atoll(argv[2]);
    if (n_arg < 0)
        return usage();
    const auto n = static_cast<std::size_t>(n_arg);

    net::io_context io(1);
    net::steady_timer gate(io, clock_type::time_point::max());
    counters c;
    auto stops = std::make_unique<net::cancellation_signal[]>(n);

    const std::size_t allocations_before = test::heap_allocation_count();
    const auto park_start = clock_type::now();
    for (std::size_t i = 0; i < n; ++i)
        net::co_spawn(io, worker(v, gate, c),
                      net::bind_cancellation_slot(stops[i].slot(), [&c](std::exception_ptr e) {
                          if (e)
                              ++c.failed;
                          ++c.finished;
                      }));
    while (c.parked < n)
        io.poll();
    const auto parked = clock_type::now();
    const std::size_t allocations = test::heap_allocation_count() - allocations_before;

    // Cancel everything at once, then let the protected work finish.
    const double cpu_start = cpu_seconds();
    const auto cancel_start = clock_type::now();
    ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    for (std::size_t i = 0; i < n; ++i)
        stops[i].emit(net::cancellation_type::terminal);
    gate.cancel();
    io.run();
    ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    const auto done = clock_type::now();
    const double cpu = cpu_seconds() - cpu_start;

    if (c.finished != n || c.failed != 0)
    {
        std::fprintf(stderr, "bench_scale: %zu of %zu coroutines finished, %zu failed\n",
                     c.finished, n, c.failed);
        return 1;
    }
    const auto seconds = [](clock_type::duration d) {
        return std::chrono::duration<double>(d).count();
    };
    std::printf("variant=%s n=%zu park_s=%.6f cancel_to_done_s=%.6f cancel_cpu_s=%.6f "
                "maxrss_kib=%ld allocations=%zu observed=%zu\n",
                name.c_str(), n, seconds(parked - park_start), seconds(done - cancel_start), cpu,
                max_rss_kib(), allocations, c.observed);
    return 0;
}
