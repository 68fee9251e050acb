// bench_group <variant> <N> [spawn|cancel]
//
// N sessions, each a coroutine on its own strand parked in a wait that only
// cancellation ends (a timer that never expires), then all of them cancelled
// and joined. Prints one line:
//
//   variant=<v> n=<N> spawn_s=<s> cancel_to_done_s=<s> maxrss_kib=<k>
//   heap_bytes_parked=<bytes in use with every session parked>
//   allocations_spawn=<count> allocations_cancel=<count> ended=<sessions that ended>
//
// Under callgrind with --collect-atstart=no, only one interval is counted:
// spawning and parking the N sessions (`spawn`, the default) or cancelling
// and joining them (`cancel`). One process per measurement; subtract an N=0
// run of the same variant for the per-session figures.
//
// Variants, the sessions being the same:
//   group     asio_shield::task_group: spawn, cancel(), async_join
//   registry  the hand-written equivalent: a std::list of signals (one per
//             session, bound to its co_spawn), cancel posts each emission to
//             the session's strand, an erase posted after the session ends
//             (co_spawn's cancellation handler is still in use while its
//             completion handler runs), and a counter for the join
#include "common/heap_counter.hpp"

#include <asio_shield/task_group.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#else
#include <boost/asio.hpp>
#endif

#include <malloc.h>
#include <sys/resource.h>

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
#include <functional>
#include <list>
#include <string>

namespace {

namespace net = asio_shield::net;
using clock_type = std::chrono::steady_clock;
using strand_type = net::strand<net::io_context::executor_type>;

#if defined(ASIO_SHIELD_STANDALONE)
using error_code = std::error_code;
#else
using error_code = boost::system::error_code;
#endif

std::size_t ended = 0;

net::awaitable<void> session()
{
    net::steady_timer t(co_await net::this_coro::executor, net::steady_timer::time_point::max());
    error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
    ++ended;
}

/// The hand-written registry, as servers keep one without a group.
class registry
{
public:
    void spawn(strand_type strand)
    {
        auto it = entries_.emplace(entries_.end(), strand);
        ++live_;
        net::co_spawn(
            strand, session(),
            net::bind_cancellation_slot(it->signal.slot(), [this, it](std::exception_ptr) {
                it->ended = true;
                --live_;
                net::post(it->strand, [this, it] { entries_.erase(it); });
                if (live_ == 0 && on_empty_)
                    std::exchange(on_empty_, nullptr)();
            }));
    }

    void cancel()
    {
        for (entry& e : entries_)
            if (!e.ended)
                net::post(e.strand, [&e] {
                    if (!e.ended)
                        e.signal.emit(net::cancellation_type::terminal);
                });
    }

    void join(std::function<void()> f)
    {
        if (live_ == 0)
            f();
        else
            on_empty_ = std::move(f);
    }

private:
    struct entry
    {
        explicit entry(strand_type s) : strand(std::move(s)) {}
        net::cancellation_signal signal;
        strand_type strand;
        bool ended = false;
    };
    std::list<entry> entries_;
    std::size_t live_ = 0;
    std::function<void()> on_empty_;
};

double seconds_since(clock_type::time_point t)
{
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3)
    {
        std::fprintf(stderr, "usage: bench_group group|registry <N> [spawn|cancel]\n");
        return 2;
    }
    const std::string v = argv[1];
    const std::size_t n = std::strtoull(argv[2], nullptr, 10);
    const bool collect_cancel = argc > 3 && std::string(argv[3]) == "cancel";
    if (v != "group" && v != "registry")
    {
        std::fprintf(stderr, "unknown variant %s\n", v.c_str());
        return 2;
    }

    net::io_context io(1);
    asio_shield::task_group group(io);
    registry reg;
    const std::size_t bytes_before = mallinfo2().uordblks;

    // Spawn and park.
    std::size_t a0 = test::heap_allocation_count();
    auto t0 = clock_type::now();
    if (!collect_cancel)
        ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    for (std::size_t i = 0; i < n; ++i)
    {
        if (v == "group")
            group.spawn(net::make_strand(io), session());
        else
            reg.spawn(net::make_strand(io));
    }
    io.poll();
    if (!collect_cancel)
        ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    const double spawn_s = seconds_since(t0);
    const std::size_t allocations_spawn = test::heap_allocation_count() - a0;
    const std::size_t bytes_parked = mallinfo2().uordblks - bytes_before;

    // Cancel and join.
    bool joined = false;
    a0 = test::heap_allocation_count();
    t0 = clock_type::now();
    if (collect_cancel)
        ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    if (v == "group")
    {
        group.close(); // J5: a join completes once the closed group is empty.
        group.cancel();
        group.async_join([&](error_code) { joined = true; });
    }
    else
    {
        reg.cancel();
        reg.join([&] { joined = true; });
    }
    io.restart(); // poll() stopped it if there was nothing to run.
    io.run();
    if (collect_cancel)
        ASIO_SHIELD_BENCH_TOGGLE_COLLECT();
    const double cancel_s = seconds_since(t0);
    const std::size_t allocations_cancel = test::heap_allocation_count() - a0;

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("variant=%s n=%zu spawn_s=%.6f cancel_to_done_s=%.6f maxrss_kib=%ld "
                "heap_bytes_parked=%zu allocations_spawn=%zu allocations_cancel=%zu ended=%zu "
                "joined=%d\n",
                v.c_str(), n, spawn_s, cancel_s, usage.ru_maxrss, bytes_parked, allocations_spawn,
                allocations_cancel, ended, joined ? 1 : 0);
    return ended == n && joined ? 0 : 1;
}
