"""The planner's p99 against a discrete-event simulation (ciw), over the whole grid.

    python3 benchmarks/queueing.py                # the full grid (an hour or more on 2 cores);
                                                  # writes benchmarks/QUEUEING.md
    python3 benchmarks/queueing.py --jobs 2       # the same, two simulations at a time
    python3 benchmarks/queueing.py --quick        # a few points in a minute; prints only

Each point is a queue as the planner models it (:class:`pyt_arch_kit.simulate.QueueCase`):
utilisation 0.3–0.9, 1–64 servers, service-time cv 0.5–3, the queue alone (no IO; per-worker
and shared queues coincide), a per-worker queue whose IO overlaps, and a shared queue whose
workers are held for IO; times drawn from gammas (the planner's assumption) and lognormals
(the same mean and cv, another shape). Every simulation has a fixed seed, so a rerun gives the
same table. This is an accuracy check, not a timing: tests/test_simulation.py runs a coarse
grid, notebooks/10-queueing-check.ipynb a small one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyt_arch_kit.planning.validity import outside_validated_range  # noqa: E402
from pyt_arch_kit.simulate import Check, QueueCase, check, error_table  # noqa: E402

UTILISATIONS = (0.3, 0.5, 0.7, 0.8, 0.9)
SERVERS = (1, 2, 4, 8, 16, 64)
CVS = (0.5, 1.0, 1.5, 2.0, 3.0)
#: (shared, CPU ms, IO ms, distribution): the queue alone, then the two server models with a
#: typical web request's IO (three quarters of its time).
BLOCKS = (
    (True, 10.0, 0.0, "gamma"),
    (True, 10.0, 0.0, "lognormal"),
    (False, 10.0, 30.0, "gamma"),
    (False, 10.0, 30.0, "lognormal"),
    (True, 10.0, 30.0, "gamma"),
)
REPLICATIONS = 5
BASE_CUSTOMERS = 8_000


def grid(quick: bool) -> list[QueueCase]:
    """Every point of the grid, or a few for --quick."""
    if quick:
        return [
            QueueCase(rho, c, True, cv, distribution=dist)
            for rho, c, cv, dist in [
                (0.5, 1, 1.0, "gamma"),
                (0.5, 1, 3.0, "gamma"),
                (0.5, 4, 1.0, "lognormal"),
                (0.7, 8, 2.0, "gamma"),
            ]
        ]
    return [
        QueueCase(rho, c, shared, cv, cpu_ms=cpu, io_ms=io, distribution=dist)
        for (shared, cpu, io, dist), rho, c, cv in itertools.product(
            BLOCKS, UTILISATIONS, SERVERS, CVS
        )
    ]


def _run(case: QueueCase, base: int) -> Check:
    return check(case, base=base, replications=REPLICATIONS, seed=1)


def points_table(checks: list[Check]) -> str:
    """Every point: the case, the planner's p99, the simulated p99 with its interval."""
    rows = [
        "| queue | times | ρ | c | cv | planner p99 ms | simulated p99 ms (95 % interval) "
        "| error | validated |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in checks:
        k = c.case
        queue = (
            "queue alone"
            if k.io_ms <= 0
            else ("shared, IO held" if k.shared else "per-worker, IO overlapped")
        )
        inside = not outside_validated_range(k.utilisation, k.service_cv)
        s = c.simulated
        rows.append(
            f"| {queue} | {k.distribution} | {k.utilisation:g} | {k.servers} | "
            f"{k.service_cv:g} | {c.planner_ms:.1f} | {s.p99_ms:.1f} ({s.low_ms:.1f}–"
            f"{s.high_ms:.1f}) | {c.error:+.1%} | {'yes' if inside else 'no'} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few points; writes nothing")
    parser.add_argument("--jobs", type=int, default=1, help="simulations at a time")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "QUEUEING.md")
    args = parser.parse_args(argv)
    cases = grid(args.quick)
    base = 2_000 if args.quick else BASE_CUSTOMERS
    started = time.perf_counter()
    checks: list[Check] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, result in enumerate(pool.map(_run, cases, itertools.repeat(base)), 1):
            checks.append(result)
            print(
                f"[{i}/{len(cases)}] {time.perf_counter() - started:6.0f} s  "
                f"ρ {result.case.utilisation:g} c {result.case.servers} "
                f"cv {result.case.service_cv:g} {result.case.distribution}: "
                f"{result.error:+.1%}",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started
    text = "\n\n".join(
        [
            "# The planner's p99 against a simulation",
            f"Written by `python3 benchmarks/queueing.py` on "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d} in {elapsed / 60:.0f} min: {len(checks)} "
            f"queues, each simulated with ciw in {REPLICATIONS} replications of "
            f"{BASE_CUSTOMERS:,} customers (up to 8× that at high utilisation) after a 10 % "
            "warm-up, fixed seeds. Error = planner / simulated − 1: positive is pessimistic. "
            "CPU 10 ms per request; where there is IO it is 30 ms. ",
            "## Per region",
            error_table(checks),
            "## Every point",
            points_table(checks),
        ]
    )
    print(error_table(checks))
    if not args.quick:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
