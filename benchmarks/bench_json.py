"""CPU ms per KB of JSON, decoded and encoded by the standard library: the planner's
``JSON_MS_PER_KB`` assumption (``pyt_arch_kit.planning.traffic``), measured on this machine.

    python benchmarks/bench_json.py

Prints the median over a few repeats for documents of small objects of several sizes, next to
the planner's constant. The document shape is a guess at a typical API payload (a list of
records with ids, names, numbers, flags and a small nested object); measure your own payloads.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyt_arch_kit.planning.traffic import JSON_MS_PER_KB


def _document(records: int) -> list[dict[str, object]]:
    return [
        {
            "id": i,
            "name": f"item {i}",
            "price": i * 1.5,
            "tags": ["a", "b", "c"],
            "active": i % 2 == 0,
            "meta": {"note": "v" * 10, "n": i},
        }
        for i in range(records)
    ]


def ms_per_kb(records: int, repeats: int = 5) -> float:
    """Median CPU ms per KB (1 KB = 1000 bytes) of one json.loads plus one json.dumps
    (process time, so other processes on a shared machine do not inflate it)."""
    doc = _document(records)
    text = json.dumps(doc)
    kb = len(text.encode()) / 1000
    number = max(1, 2000 // records)
    samples = []
    for _ in range(repeats):
        dump = (
            timeit.timeit(lambda: json.dumps(doc), timer=time.process_time, number=number) / number
        )
        load = (
            timeit.timeit(lambda: json.loads(text), timer=time.process_time, number=number) / number
        )
        samples.append((dump + load) * 1000 / kb)
    return statistics.median(samples)


def main() -> int:
    print(f"planner assumption: {JSON_MS_PER_KB} ms per KB (loads + dumps)")
    for records in (10, 200, 2000):
        kb = len(json.dumps(_document(records)).encode()) / 1000
        print(f"{records:>5} records ({kb:,.1f} KB): {ms_per_kb(records):.4f} ms per KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
