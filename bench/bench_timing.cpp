// Google Benchmark timings of every scenario in scenarios.hpp. The report
// script runs it with repetitions and compares medians within one run;
// absolute times on a shared machine are noise, ratios are what count.
#include "scenarios.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

int main(int argc, char** argv)
{
    for (auto name : bench::names)
    {
        benchmark::RegisterBenchmark(std::string(name).c_str(), [name](benchmark::State& state) {
            if (!bench::run(name, state))
                state.SkipWithError("no such scenario");
            if (name.starts_with("echo"))
                state.SetBytesProcessed(state.iterations() * 2 *
                                        static_cast<std::int64_t>(bench::echo_message));
        });
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
