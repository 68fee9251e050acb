#!/usr/bin/env python3
"""Runs the benchmark programs of a build directory and prints Markdown.

    report.py --build-dir DIR [instructions] [timing] [scale] [python] [all]

instructions  each scenario under callgrind with N and 2N operations:
              instructions per operation = (Ir(2N) - Ir(N)) / N, which cancels
              start-up and teardown; heap allocations per operation from the
              C-level counter linked into bench_ops. Deterministic.
timing        Google Benchmark medians (CPU time), as ratios to the baseline.
scale         N coroutines parked in protected work, cancelled at once.
python        asyncio.shield measured the same way (needs python3).

Invoked by bench/run, which also installs, configures and builds.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, scenario, baseline, target). Targets:
#   ("max", r)   instructions ratio <= r and no heap allocation beyond the baseline
#   ("below", r) instructions ratio < r and no heap allocation at all
#   ("fewer", k) the baseline needs >= k times the instructions of the scenario
#   ("alloc", 0) no heap allocation beyond the baseline (instructions: information)
#   None         information only
SECTIONS = [
    ("`shield` on a `post` round trip (S6)", [
        ("`co_await post(ex, use_awaitable)`", "post_awaitable_plain", "post_awaitable_by_hand", None),
        ("… slot hidden by hand (baseline)", "post_awaitable_by_hand", None, None),
        ("… `shield(use_awaitable)`", "post_awaitable_shield", "post_awaitable_by_hand", ("max", 1.01)),
        ("`co_await post(ex, deferred)`", "post_deferred_plain", "post_deferred_by_hand", None),
        ("… slot hidden by an adapter token that only binds an empty slot to the handler "
         "(baseline)", "post_deferred_by_hand", None, None),
        ("… `shield(deferred)`", "post_deferred_shield", "post_deferred_by_hand", ("max", 1.03)),
        ("… `shield(deferred)`, relative to plain `deferred`", "post_deferred_shield",
         "post_deferred_plain", None),
        ("callback `post` chain", "callback_plain", "callback_by_hand", None),
        ("… slot hidden by hand (baseline)", "callback_by_hand", None, None),
        ("… `shield(handler)`", "callback_shield", "callback_by_hand", ("max", 1.01)),
        ("… `shield(handler)`, relative to the plain handler", "callback_shield", "callback_plain",
         None),
    ]),
    ("`shield` on a zero-duration `steady_timer` wait", [
        ("`co_await t.async_wait(use_awaitable)`", "timer_awaitable_plain", "timer_awaitable_by_hand", None),
        ("… slot hidden by hand (baseline)", "timer_awaitable_by_hand", None, None),
        ("… `shield(use_awaitable)`", "timer_awaitable_shield", "timer_awaitable_by_hand", ("max", 1.01)),
        ("`co_await t.async_wait(deferred)` (baseline)", "timer_deferred_plain", None, None),
        ("… `shield(deferred)`", "timer_deferred_shield", "timer_deferred_plain", ("max", 1.01)),
    ]),
    ("Isolating one `post`: `shield` vs `co_spawn`", [
        ("`co_await co_spawn(ex, child, …)`, child not bound to the parent's slot",
         "co_spawn_isolation", "post_awaitable_by_hand", None),
        ("`shield(use_awaitable)`, relative to `co_spawn` isolation", "post_awaitable_shield",
         "co_spawn_isolation", ("fewer", 2.5)),
    ]),
    ("Guarded scope around one `post` (G1–G4)", [
        ("`post` alone, no guard", "guard_none", None, None),
        ("public API: `throw_if_cancelled(false)` + `reset_cancellation_state(disable)` … back (baseline)",
         "guard_public_api_toggle", "guard_none", None),
        ("`guard_cancellation()` enter + exit, relative to the public API", "guard",
         "guard_public_api_toggle", ("below", 1.0)),
        ("… the same guard, relative to no guard", "guard", "guard_none", ("alloc", 0)),
        ("two nested guards (G3), relative to no guard", "guard_nested", "guard_none", ("alloc", 0)),
        ("guard around a timer wait, relative to the bare wait", "guard_timer",
         "timer_awaitable_plain", ("alloc", 0)),
        ("two nested guards around a timer wait, relative to the bare wait", "guard_nested_timer",
         "timer_awaitable_plain", ("alloc", 0)),
        ("`guard_cancellation_for(1h)`, no request (T2), relative to `guard_cancellation()`",
         "guard_for", "guard", ("alloc", 0)),
    ]),
    ("`shield_for` without a cancellation (T1): no timer", [
        ("`post`, `shield_for(1h, use_awaitable)` vs `shield`", "post_awaitable_shield_for",
         "post_awaitable_shield", ("max", 1.05)),
        ("`post`, `shield_for(1h, deferred)` vs `shield`", "post_deferred_shield_for",
         "post_deferred_shield", ("max", 1.05)),
        ("callback chain, `shield_for(1h, handler)` vs `shield`", "callback_shield_for",
         "callback_shield", ("max", 1.05)),
        ("timer, `shield_for(1h, use_awaitable)` vs `shield`", "timer_awaitable_shield_for",
         "timer_awaitable_shield", ("max", 1.05)),
    ]),
    ("Loopback TCP echo, 4 KiB messages, both ends' writes (per round trip)", [
        ("plain `async_write` (baseline)", "echo_plain", None, None),
        ("`async_write(…, shield(use_awaitable))`", "echo_shield", "echo_plain", ("max", 1.01)),
        ("plain `async_write(…, deferred)`, the default token from Asio 1.29 (baseline)",
         "echo_deferred_plain", None, None),
        ("`async_write(…, shield(deferred))`", "echo_deferred_shield", "echo_deferred_plain",
         ("max", 1.01)),
    ]),
]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def tool(build_dir, name):
    path = os.path.join(build_dir, "bench", name)
    if not os.access(path, os.X_OK):
        sys.exit(f"report.py: {path} is missing; build the asio_shield_benchmarks target")
    return path


def available_scenarios(build_dir):
    return set(run([tool(build_dir, "bench_ops"), "--list"]).stdout.split())


def all_rows(available):
    for title, rows in SECTIONS:
        kept = [r for r in rows if r[1] in available and (r[2] is None or r[2] in available)]
        if kept:
            yield title, kept


# ---- instructions and allocations ---------------------------------------------


def callgrind(bench_ops, scenario, n, workdir):
    out = os.path.join(workdir, f"{scenario}.{n}.out")
    proc = run(["valgrind", "--tool=callgrind", "-q", f"--callgrind-out-file={out}", bench_ops,
                scenario, str(n)])
    with open(out) as f:
        text = f.read()
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    allocs = re.search(r"allocations=(\d+)", proc.stdout)
    if not m or not allocs:
        raise RuntimeError(f"could not read the counts of {scenario} ({n} operations)")
    return int(m.group(1)), int(allocs.group(1))


def measure_instructions(build_dir, n, jobs):
    if not shutil.which("valgrind"):
        sys.exit("report.py: valgrind is needed for the instruction counts "
                 "(scripts/setup-deps installs it)")
    bench_ops = tool(build_dir, "bench_ops")
    scenarios = sorted(available_scenarios(build_dir))
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(jobs) as pool:
        futures = {(s, k): pool.submit(callgrind, bench_ops, s, k, workdir)
                   for s in scenarios for k in (n, 2 * n)}
        raw = {key: f.result() for key, f in futures.items()}
    result = {}
    for s in scenarios:
        (ir1, _), (ir2, allocs2) = raw[(s, n)], raw[(s, 2 * n)]
        result[s] = ((ir2 - ir1) / n, allocs2 / (2 * n))
    return result


def verdict(target, ratio, allocs, base_allocs):
    if target is None:
        return "", ""
    kind, value = target
    extra = allocs - base_allocs
    if kind == "max":
        return f"≤ {value:.2f}x, +0 allocs", ok(ratio <= value and extra <= 0)
    if kind == "below":
        return f"< {value:.2f}x, 0 allocs", ok(ratio < value and allocs == 0)
    if kind == "fewer":
        return f"≥ {value:g}x fewer (≤ {1 / value:.2f}x)", ok(ratio <= 1 / value)
    if kind == "alloc":
        return "+0 allocs", ok(extra <= 0)
    raise ValueError(kind)


def ok(flag):
    return "yes" if flag else "**no**"


def asio_label(build_dir):
    return run([tool(build_dir, "bench_ops"), "--asio"]).stdout.strip()


def print_instructions_side_by_side(build_dirs, n, jobs):
    """The instruction table of several builds (one Asio each), each ratio
    against its baseline in its own build, measured in the same run."""
    labels = [asio_label(d) for d in build_dirs]
    counts = [measure_instructions(d, n, jobs) for d in build_dirs]
    common = set.intersection(*(set(c) for c in counts))
    print("### Instructions and heap allocations per operation, side by side\n")
    print(f"callgrind, (Ir({2 * n}) − Ir({n})) / {n} operations, for each Asio; every "
          "ratio is against its baseline built with the same Asio in the same run.\n")
    missed = {label: 0 for label in labels}
    for title, rows in all_rows(common):
        print(f"#### {title}\n")
        head = " | ".join(f"{l}: instr/op | allocs/op | ratio | met" for l in labels)
        print(f"| scenario | relative to | target | {head} |")
        print("| --- | --- | --- |" + " ---: | ---: | ---: | --- |" * len(labels))
        for label, scenario, baseline, target in rows:
            cells = []
            goal = ""
            for asio, c in zip(labels, counts):
                ir, allocs = c[scenario]
                if baseline:
                    base_ir, base_allocs = c[baseline]
                    ratio = ir / base_ir
                    goal, met = verdict(target, ratio, allocs, base_allocs)
                    missed[asio] += met == "**no**"
                    cells.append(f"{ir:,.0f} | {allocs:g} | {ratio:.3f}x | {met}")
                else:
                    cells.append(f"{ir:,.0f} | {allocs:g} | 1.000x | ")
            base = f"`{baseline}`" if baseline else "—"
            print(f"| {label} | {base} | {goal} | " + " | ".join(cells) + " |")
        print()
    for asio in labels:
        print(f"{asio}: " + ("all targets met." if missed[asio] == 0
                             else f"{missed[asio]} target(s) missed; see docs/performance.md."))
    print()


def print_instructions(build_dir, n, jobs):
    counts = measure_instructions(build_dir, n, jobs)
    print(f"Asio: {asio_label(build_dir)}\n")
    print(f"### Instructions and heap allocations per operation\n")
    print(f"callgrind, (Ir({2 * n}) − Ir({n})) / {n} operations; heap allocations counted "
          "at the C level (malloc, aligned_alloc, …) over the 2N run.\n")
    met_all = True
    for title, rows in all_rows(counts.keys()):
        print(f"#### {title}\n")
        print("| scenario | instructions/op | allocs/op | relative to | ratio | target | met |")
        print("| --- | ---: | ---: | --- | ---: | --- | --- |")
        for label, scenario, baseline, target in rows:
            ir, allocs = counts[scenario]
            if baseline:
                base_ir, base_allocs = counts[baseline]
                ratio = ir / base_ir
                goal, met = verdict(target, ratio, allocs, base_allocs)
                met_all = met_all and met != "**no**"
                print(f"| {label} | {ir:,.0f} | {allocs:g} | `{baseline}` | {ratio:.3f}x | {goal} | {met} |")
            else:
                print(f"| {label} | {ir:,.0f} | {allocs:g} | — | 1.000x | | |")
        print()
    print("All targets met.\n" if met_all else "Some targets are missed; see docs/performance.md.\n")


# ---- timings -------------------------------------------------------------------


def print_timing(build_dir, repetitions, min_time):
    cmd = [tool(build_dir, "bench_timing"), f"--benchmark_repetitions={repetitions}",
           "--benchmark_report_aggregates_only=true", "--benchmark_enable_random_interleaving=true",
           f"--benchmark_min_time={min_time}", "--benchmark_format=json"]
    data = json.loads(run(cmd).stdout)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            medians[b["run_name"]] = b
    print(f"### Timings (Google Benchmark, median CPU time of {repetitions} repetitions, "
          "interleaved)\n")
    print("Absolute times on a shared machine are noisy; compare the ratios, measured in the "
          "same run.\n")
    for title, rows in all_rows(medians.keys()):
        print(f"#### {title}\n")
        print("| scenario | median ns/op | relative to | ratio |")
        print("| --- | ---: | --- | ---: |")
        for label, scenario, baseline, _ in rows:
            ns = medians[scenario]["cpu_time"]
            extra = ""
            if "bytes_per_second" in medians[scenario]:
                extra = f" ({medians[scenario]['bytes_per_second'] / 2**20:,.0f} MiB/s)"
            if baseline:
                ratio = ns / medians[baseline]["cpu_time"]
                print(f"| {label} | {ns:,.1f}{extra} | `{baseline}` | {ratio:.3f}x |")
            else:
                print(f"| {label} | {ns:,.1f}{extra} | — | 1.000x |")
        print()


# ---- scale ---------------------------------------------------------------------


def scale_run(bench_scale, variant, n):
    out = run([bench_scale, variant, str(n)]).stdout
    return {k: float(v) if "." in v else int(v)
            for k, v in re.findall(r"(\w+)=([\d.]+)", out)}


def scale_instructions(bench_scale, variant, n, workdir):
    out = os.path.join(workdir, f"scale.{variant}.{n}.out")
    run(["valgrind", "--tool=callgrind", "-q", "--collect-atstart=no",
         f"--callgrind-out-file={out}", bench_scale, variant, str(n)])
    with open(out) as f:
        m = re.search(r"^(?:summary|totals):\s+(\d+)", f.read(), re.M)
    if not m:
        raise RuntimeError(f"could not read the instructions of scale {variant} {n}")
    return int(m.group(1))


def print_scale_instructions(bench_scale, variants, names, sizes, jobs):
    if not shutil.which("valgrind"):
        return
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(jobs) as pool:
        futures = {(v, n): pool.submit(scale_instructions, bench_scale, v, n, workdir)
                   for v in variants for n in sizes}
        ir = {key: f.result() / key[1] for key, f in futures.items()}
    print("Instructions per coroutine from the first emit until all are done (callgrind, "
          "counting only that interval; exact, unlike the times above):\n")
    head = " | ".join(f"N = {n:,}" for n in sizes)
    print(f"| variant | {head} | vs raw at N = {sizes[-1]:,} |")
    print("| --- |" + " ---: |" * (len(sizes) + 1))
    for v in variants:
        base = "raw" if v in ("raw", "shield") else "toggle"
        cells = " | ".join(f"{ir[(v, n)]:,.0f}" for n in sizes)
        print(f"| {names[v]} | {cells} | {ir[(v, sizes[-1])] / ir[(base, sizes[-1])]:.2f}x |")
    print()


def print_scale(build_dir, sizes, repetitions, callgrind_sizes, jobs):
    bench_scale = tool(build_dir, "bench_scale")
    variants = ["raw", "shield", "toggle", "guard"]
    zero = {v: statistics.median(scale_run(bench_scale, v, 0)["maxrss_kib"] for _ in range(3))
            for v in variants}
    rows = {}
    for n in sizes:
        for v in variants:
            # A million coroutines take seconds per process: fewer repetitions.
            count = repetitions if n < 1_000_000 else min(repetitions, 3)
            runs = [scale_run(bench_scale, v, n) for _ in range(count)]
            rows[(v, n)] = {
                "time": statistics.median(r["cancel_cpu_s"] for r in runs),
                "wall": statistics.median(r["cancel_to_done_s"] for r in runs),
                "park": statistics.median(r["park_s"] for r in runs),
                "rss": statistics.median(r["maxrss_kib"] for r in runs),
                "allocs": runs[0]["allocations"],
                "observed": runs[0]["observed"],
            }
    print("### Scale: N coroutines parked in protected work, cancelled at once\n")
    print("Each coroutine has its own connected parent slot and waits on a shared timer "
          "(the protected work). One emit per coroutine, then the timer is released; the time "
          "runs from the first emit until every coroutine has finished its work, looked at its "
          "cancellation state and ended (process CPU time; wall-clock time in brackets). "
          f"Median of {repetitions} processes (3 at N = 1M); memory is peak RSS minus an N = 0 "
          "run, per coroutine.\n")
    print("| variant | N | cancel → all done, CPU (wall) | CPU ns/coroutine | vs raw "
          "| RSS bytes/coroutine | vs raw | heap allocs/coroutine | saw the request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    names = {"raw": "raw Asio, slot hidden by hand", "shield": "`shield`",
             "toggle": "raw Asio, public-API toggle", "guard": "`guard_cancellation()`"}
    for n in sizes:
        for v in variants:
            r, base = rows[(v, n)], rows[("raw" if v in ("raw", "shield") else "toggle", n)]
            ns = r["time"] / n * 1e9
            mem = (r["rss"] - zero[v]) * 1024 / n
            base_ns = base["time"] / n * 1e9
            base_mem = (base["rss"] - zero["raw" if v in ("raw", "shield") else "toggle"]) * 1024 / n
            mem_ratio = f"{mem / base_mem:.2f}x" if base_mem > 0 else "—"
            print(f"| {names[v]} | {n:,} | {r['time'] * 1e3:,.1f} ms ({r['wall'] * 1e3:,.1f}) "
                  f"| {ns:,.0f} | "
                  f"{ns / base_ns:.2f}x | {mem:,.0f} | {mem_ratio} | "
                  f"{r['allocs'] / n:.2f} | {r['observed'] / n:.0%} |")
    print("\n`shield` is compared with raw Asio's empty-slot binding, `guard_cancellation()` with "
          "raw Asio's public-API toggle (which loses the request: 0% saw it).\n")
    if callgrind_sizes:
        print_scale_instructions(bench_scale, variants, names, callgrind_sizes, jobs)


# ---- python --------------------------------------------------------------------


def print_python(ops, tasks):
    python = shutil.which("python3")
    if not python:
        print("### Python asyncio.shield\n\npython3 not found; skipped.\n")
        return
    script = os.path.join(HERE, "asyncio_shield.py")
    per_op = json.loads(run([python, script, "ops", str(ops)]).stdout)
    zero = json.loads(run([python, script, "scale", "0"]).stdout)
    scale = json.loads(run([python, script, "scale", str(tasks)]).stdout)
    version = per_op["python"]
    print(f"### Python {version} `asyncio.shield`, for comparison\n")
    print("| scenario | CPU ns/op | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| `await asyncio.sleep(0)` (one loop round trip, baseline) | {per_op['plain_ns']:,.0f} | 1.00x |")
    print(f"| `await asyncio.shield(asyncio.sleep(0))` | {per_op['shield_ns']:,.0f} | "
          f"{per_op['shield_ns'] / per_op['plain_ns']:.2f}x |")
    print()
    n = scale["n"]
    mem = (scale["maxrss_kib"] - zero["maxrss_kib"]) * 1024 / n
    print(f"{n:,} tasks each awaiting `asyncio.shield(gate.wait())`, all cancelled at once, then "
          f"the gate opened: {scale['cancel_cpu_s'] * 1e3:,.0f} ms of CPU time until every "
          f"shielded wait and every task ended ({scale['cancel_cpu_s'] / n * 1e9:,.0f} ns/task), "
          f"{mem:,.0f} bytes of peak RSS per task.\n")


# ---- main ----------------------------------------------------------------------


def print_machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    cxx = run(["c++", "--version"]).stdout.splitlines()[0] if shutil.which("c++") else "?"
    print(f"Machine: {cpu or platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.release()}; {cxx}.\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", required=True, action="append",
                        help="a build directory with the benchmarks; given more than once, "
                             "the instruction table shows each build's Asio side by side, "
                             "and the other sections use the first")
    parser.add_argument("--iterations", type=int, default=2000,
                        help="N of the callgrind runs (N and 2N operations)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="Google Benchmark seconds per repetition")
    parser.add_argument("--scale-sizes", default="10000,100000,1000000")
    parser.add_argument("--scale-repetitions", type=int, default=5)
    parser.add_argument("--scale-callgrind-sizes", default="10000,100000",
                        help="N of the scale runs under callgrind (empty: none)")
    parser.add_argument("--python-ops", type=int, default=20000)
    parser.add_argument("--python-tasks", type=int, default=100000)
    # Checked by hand: with nargs="*", Python 3.11's argparse checks an empty
    # list (or a list default) against `choices` as one value and rejects it.
    known = ["instructions", "timing", "scale", "python", "all"]
    parser.add_argument("sections", nargs="*", metavar="{" + ",".join(known) + "}")
    args = parser.parse_args()
    for section in args.sections:
        if section not in known:
            parser.error(f"unknown section {section!r} (choose from {', '.join(known)})")
    sections = set(args.sections) or {"instructions"}
    if "all" in sections:
        sections = {"instructions", "timing", "scale", "python"}

    print_machine()
    first = args.build_dir[0]
    if "instructions" in sections:
        if len(args.build_dir) > 1:
            print_instructions_side_by_side(args.build_dir, args.iterations, args.jobs)
        else:
            print_instructions(first, args.iterations, args.jobs)
    if "timing" in sections:
        print_timing(first, args.repetitions, args.min_time)
    if "scale" in sections:
        sizes = [int(s) for s in args.scale_sizes.split(",") if s]
        callgrind_sizes = [int(s) for s in args.scale_callgrind_sizes.split(",") if s]
        print_scale(first, sizes, args.scale_repetitions, callgrind_sizes, args.jobs)
    if "python" in sections:
        print_python(args.python_ops, args.python_tasks)


if __name__ == "__main__":
    main()
