#!/usr/bin/env python3
"""asyncio.shield measured like the C++ scenarios, for comparison.

    asyncio_shield.py ops N      per-operation cost: `await asyncio.sleep(0)`
                                 (one event-loop round trip, like a post) plain
                                 and inside `asyncio.shield`; prints JSON
    asyncio_shield.py scale N    N tasks each awaiting a shielded wait on a
                                 shared gate, all cancelled at once, then the
                                 gate opened; time until every shielded wait
                                 and every task ended, and peak RSS; prints JSON

Times are process CPU time, the steadier measure on a shared machine. One
process per scale run, so that ru_maxrss is that N's peak.
"""

import asyncio
import json
import platform
import resource
import statistics
import sys
import time


async def per_op(n, rounds=5):
    plain, shielded = [], []
    for _ in range(rounds):  # Alternated, so that drift hits both alike.
        start = time.process_time()
        for _ in range(n):
            await asyncio.sleep(0)
        plain.append((time.process_time() - start) / n)
        start = time.process_time()
        for _ in range(n):
            await asyncio.shield(asyncio.sleep(0))
        shielded.append((time.process_time() - start) / n)
    return {"plain_ns": statistics.median(plain) * 1e9,
            "shield_ns": statistics.median(shielded) * 1e9}


async def scale(n):
    gate = asyncio.Event()
    works, tasks = [], []
    parked = 0

    async def worker():
        nonlocal parked
        work = asyncio.ensure_future(gate.wait())  # The protected work.
        works.append(work)
        parked += 1
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            await work  # Cleanup waits for the shielded work, as the C++ coroutines do.
            raise

    for _ in range(n):
        tasks.append(asyncio.ensure_future(worker()))
    while parked < n:
        await asyncio.sleep(0)
    await asyncio.sleep(0)

    start = time.process_time()
    for task in tasks:
        task.cancel()
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.process_time() - start
    assert all(w.done() for w in works)
    return {"n": n, "cancel_cpu_s": elapsed,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("ops", "scale"):
        sys.exit(__doc__)
    n = int(sys.argv[2])
    result = asyncio.run(per_op(n) if sys.argv[1] == "ops" else scale(n))
    result["python"] = platform.python_version()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
