// bench_ops <scenario> <iterations> [warm-up]
// bench_ops --list
// bench_ops --asio        the Asio it was built with, e.g. "Boost.Asio 1.26.0"
//
// Runs exactly `iterations` operations of one scenario (after `warm-up`
// unmeasured ones, 100 by default, which prime Asio's recycling caches) and
// prints the heap allocations the measured ones made. Deterministic, so that
// callgrind's instruction counts of two runs can be subtracted: the script
// runs N and 2N operations and divides the difference by N, which cancels
// start-up, warm-up and teardown.
#include "scenarios.hpp"

#include "common/heap_counter.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

/// Counts calls like benchmark::State::KeepRunning, reading the allocation
/// counter where the measured operations start and where they end.
struct counted_loop
{
    std::int64_t warm_up;
    std::int64_t iterations;
    std::int64_t calls = 0;
    std::size_t first = 0;
    std::size_t last = 0;

    bool KeepRunning()
    {
        if (calls == warm_up)
            first = test::heap_allocation_count();
        if (calls == warm_up + iterations)
        {
            last = test::heap_allocation_count();
            ++calls;
            return false;
        }
        ++calls;
        return true;
    }
};

int usage()
{
    std::fprintf(stderr, "usage: bench_ops <scenario> <iterations> [warm-up]\n"
                         "       bench_ops --list\n"
                         "       bench_ops --asio\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && std::string(argv[1]) == "--list")
    {
        for (auto name : bench::names)
            std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
        return 0;
    }
    if (argc == 2 && std::string(argv[1]) == "--asio")
    {
#if defined(ASIO_SHIELD_STANDALONE)
        constexpr int v = ASIO_VERSION;
        const char* name = "Asio";
#else
        constexpr int v = BOOST_ASIO_VERSION;
        const char* name = "Boost.Asio";
#endif
        std::printf("%s %d.%d.%d\n", name, v / 100000, v / 100 % 1000, v % 100);
        return 0;
    }
    if (argc < 3 || argc > 4)
        return usage();
    const std::int64_t iterations = std::atoll(argv[2]);
    const std::int64_t warm_up = argc == 4 ? std::atoll(argv[3]) : 100;
    if (iterations <= 0 || warm_up < 0)
        return usage();

    counted_loop loop{warm_up, iterations};
    try
    {
        if (!bench::run(argv[1], loop))
        {
            std::fprintf(stderr, "bench_ops: no scenario named %s (see --list)\n", argv[1]);
            return 2;
        }
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "bench_ops: %s: %s\n", argv[1], e.what());
        return 1;
    }
    if (loop.calls != warm_up + iterations + 1)
    {
        std::fprintf(stderr, "bench_ops: %s stopped after %lld of %lld operations\n", argv[1],
                     static_cast<long long>(loop.calls - 1),
                     static_cast<long long>(warm_up + iterations));
        return 1;
    }
    std::printf("scenario=%s operations=%lld allocations=%zu\n", argv[1],
                static_cast<long long>(iterations), loop.last - loop.first);
    return 0;
}
