"""What a process-pool hand-off costs: the planner's HANDOFF_MS, measured on this machine.

A 1 ms CPU handler sent to a ``ProcessPoolExecutor`` pays for pickling its arguments and its
result and a round trip through the pool's pipes. This script times that round trip for a task
that does nothing, with a small (1 KB) and a larger (100 KB) payload, against calling the same
function in-process, and prints the medians. Run: ``python benchmarks/bench_handoff.py``.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ProcessPoolExecutor


def echo(payload: bytes) -> bytes:
    """The task: return what it was given (all cost is the hand-off)."""
    return payload


def _round_trips(pool: ProcessPoolExecutor, payload: bytes, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        pool.submit(echo, payload).result()
        times.append(time.perf_counter() - t)
    return times


def main(samples: int = 2000) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(echo, b"").result()  # start the worker, unmeasured
        for size in (1_000, 100_000):
            payload = b"x" * size
            hand = _round_trips(pool, payload, samples)
            t = time.perf_counter()
            for _ in range(samples):
                echo(payload)
            local = (time.perf_counter() - t) / samples
            med = statistics.median(hand) * 1000
            print(
                f"payload {size / 1000:g} KB: hand-off median {med:.3f} ms, "
                f"p90 {statistics.quantiles(hand, n=10)[-1] * 1000:.3f} ms; "
                f"in-process call {local * 1e6:.2f} µs"
            )
    from pyt_arch_kit.planning.concurrency import HANDOFF_MS, POOL_MIN_CPU_MS

    print(f"planner assumes HANDOFF_MS = {HANDOFF_MS} ms; a pool from {POOL_MIN_CPU_MS} ms of CPU")


if __name__ == "__main__":
    main()
