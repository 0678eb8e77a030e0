"""The planner's p99 against a discrete-event simulation (ciw), over the whole grid.

    python3 benchmarks/queueing.py                # the full grid (about an hour on 1 core);
                                                  # writes benchmarks/QUEUEING.md
    python3 benchmarks/queueing.py --jobs 2       # the same, two simulations at a time
    python3 benchmarks/queueing.py --edges        # the validated range's edges, sharply
                                                  # (15 min on 1 core); queueing-edges.json
    python3 benchmarks/queueing.py --quick        # a few points in a minute; prints only
    python3 benchmarks/queueing.py --tables-only  # rewrite QUEUEING.md from the saved points

Each point is a queue as the planner models it (:class:`pyt_arch_kit.simulate.QueueCase`):
utilisation 0.3–0.9, 1–64 servers, service-time cv 0.5–3, the queue alone (no IO; per-worker
and shared queues coincide), a per-worker queue whose IO overlaps, and a shared queue whose
workers are held for IO; times drawn from gammas (the planner's assumption) and lognormals
(the same mean and cv, another shape). Every simulation has a fixed seed, so a rerun gives the
same table. This is an accuracy check, not a timing: tests/test_simulation.py runs a coarse
grid, notebooks/10-queueing-check.ipynb a small one.

A p99 needs many customers where requests wait: at few servers, high utilisation and high cv
the grid's 95 % intervals are wider than the 10 % it is meant to judge, and the tables count
those points apart. ``--edges`` simulates the points that decide the validated range (1–4
servers, cv 0.5–1.5, ρ 0.3, 0.8 and 0.9) with eight times the customers, enough to resolve
them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyt_arch_kit.planning.validity import outside_validated_range  # noqa: E402
from pyt_arch_kit.simulate import (  # noqa: E402
    Check,
    QueueCase,
    SimulatedP99,
    check,
    error_table,
)

UTILISATIONS = (0.3, 0.5, 0.7, 0.8, 0.9)
SERVERS = (1, 2, 4, 8, 16, 64)
CVS = (0.5, 1.0, 1.5, 2.0, 3.0)
#: (shared, CPU ms, IO ms, distribution): the queue alone with gamma times (the model's
#: assumption) and lognormal times (the same mean and cv, a longer tail), then the two server
#: models with a typical web request's IO (three quarters of its time). A per-worker queue with
#: lognormal times is the lognormal queue alone plus an independent IO time, so it is left out
#: to keep the run under an hour on two shared cores.
BLOCKS = (
    (True, 10.0, 0.0, "gamma"),
    (True, 10.0, 0.0, "lognormal"),
    (False, 10.0, 30.0, "gamma"),
    (True, 10.0, 30.0, "gamma"),
)
REPLICATIONS = 5
BASE_CUSTOMERS = 5_000
EDGE_CUSTOMERS = 40_000


def edges() -> list[QueueCase]:
    """The points that decide the validated range, for ``--edges``: the queue alone (where
    nothing dilutes the queueing), gamma and lognormal times, the cheap low-load points first."""
    points = [(rho, c, cv) for rho in (0.3, 0.8) for c in (1, 2, 4) for cv in (1.0, 1.5)]
    points[6:6] = [(0.3, 1, 0.5)]
    points += [(0.8, 1, 0.5), (0.9, 1, 1.0)]
    return [
        QueueCase(rho, c, True, cv, distribution=dist)
        for rho, c, cv in points
        for dist in ("gamma", "lognormal")
    ]


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
        inside = not outside_validated_range(k.utilisation, k.service_cv, k.servers)
        s = c.simulated
        rows.append(
            f"| {queue} | {k.distribution} | {k.utilisation:g} | {k.servers} | "
            f"{k.service_cv:g} | {c.planner_ms:.1f} | {s.p99_ms:.1f} ({s.low_ms:.1f}–"
            f"{s.high_ms:.1f}) | {c.error:+.1%} | {'yes' if inside else 'no'} |"
        )
    return "\n".join(rows)


def save(checks: list[Check], path: Path, header: dict[str, object]) -> None:
    """Every point's case, planner p99 and simulation, so the tables can be rewritten."""
    points = [
        {
            "case": dataclasses.asdict(c.case),
            "planner_ms": c.planner_ms,
            "simulated": dataclasses.asdict(c.simulated),
        }
        for c in checks
    ]
    path.write_text(json.dumps({**header, "points": points}, indent=1) + "\n", encoding="utf-8")


def load(path: Path) -> tuple[list[Check], dict[str, object]]:
    """The points :func:`save` wrote, and the run's header."""
    data = json.loads(path.read_text(encoding="utf-8"))
    checks = [
        Check(
            QueueCase(**p["case"]),
            p["planner_ms"],
            SimulatedP99(
                **{**p["simulated"], "replications": tuple(p["simulated"]["replications"])}
            ),
        )
        for p in data.pop("points")
    ]
    return checks, data


def page(
    checks: list[Check],
    header: dict[str, object],
    edges_run: tuple[list[Check], dict[str, object]] | None = None,
) -> str:
    """QUEUEING.md: how it was run, the table per region, the edges, then every point."""
    parts = [
        "# The planner's p99 against a simulation",
        f"Written by `python3 benchmarks/queueing.py` on {header['date']} in "
        f"{header['minutes']} min: {len(checks)} queues, each simulated with ciw in "
        f"{REPLICATIONS} replications of {BASE_CUSTOMERS:,} customers (up to 8× that "
        "where requests wait: `pyt_arch_kit.simulate.customers_for`) after a 10 % "
        "warm-up, with fixed seeds. Error = planner / simulated − 1: positive is "
        "pessimistic, negative optimistic. CPU 10 ms per request; where there is IO, 30 ms. "
        "The validated range is `pyt_arch_kit.planning.validity.outside_validated_range`: "
        "ρ ≤ 0.8, and cv ≤ 1 on 1–3 servers per queue, ≤ 1.5 on more. One run on a shared "
        "2-core machine; each p99 is the mean of its replications' p99s.",
        "## Per region",
        "A point is *resolved* when the simulation pins its p99 within ± 5 % (95 % "
        "interval); the median and worst errors are over resolved points only. At the other "
        "points the simulation's own noise is as large as the error it would measure: they "
        "neither confirm nor refute the planner (the last column is their median noise).",
        error_table(checks),
    ]
    if edges_run:
        edge_checks, edge_header = edges_run
        parts += [
            "## The edges of the validated range, resolved",
            f"`python3 benchmarks/queueing.py --edges`, on {edge_header['date']} in "
            f"{edge_header['minutes']} min: the queue alone, {REPLICATIONS} replications of "
            f"{EDGE_CUSTOMERS:,} customers (up to 8× that where requests wait).",
            error_table(edge_checks),
            points_table(edge_checks),
        ]
    parts += ["## Every point of the grid", points_table(checks)]
    return "\n\n".join(parts) + "\n"


def _saved_edges(path: Path) -> tuple[list[Check], dict[str, object]] | None:
    return load(path) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few points; writes nothing")
    parser.add_argument("--edges", action="store_true", help="the range's edges, sharply")
    parser.add_argument("--jobs", type=int, default=1, help="simulations at a time")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "QUEUEING.md")
    parser.add_argument(
        "--tables-only", action="store_true", help="rewrite the page from the saved points"
    )
    args = parser.parse_args(argv)
    raw = args.output.with_name("queueing.json")
    raw_edges = args.output.with_name("queueing-edges.json")
    if args.tables_only:
        checks, header = load(raw)
        args.output.write_text(page(checks, header, _saved_edges(raw_edges)), encoding="utf-8")
        print(error_table(checks))
        return 0
    cases = grid(args.quick) if not args.edges else edges()
    base = 2_000 if args.quick else (EDGE_CUSTOMERS if args.edges else BASE_CUSTOMERS)
    out = raw_edges if args.edges else raw
    started = time.perf_counter()
    checks: list[Check] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, result in enumerate(pool.map(_run, cases, itertools.repeat(base)), 1):
            checks.append(result)
            if not args.quick and (args.edges or i % 25 == 0):  # a run cut short keeps them
                save(checks, out, {"date": "partial", "minutes": 0})
            print(
                f"[{i}/{len(cases)}] {time.perf_counter() - started:6.0f} s  "
                f"ρ {result.case.utilisation:g} c {result.case.servers} "
                f"cv {result.case.service_cv:g} {result.case.distribution}: "
                f"{result.error:+.1%} ± {result.simulated.half_width:.1%}",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started
    print(error_table(checks))
    if args.quick:
        return 0
    header = {"date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d}", "minutes": round(elapsed / 60)}
    save(checks, out, header)
    if raw.is_file():
        grid_checks, grid_header = load(raw)
        args.output.write_text(
            page(grid_checks, grid_header, _saved_edges(raw_edges)), encoding="utf-8"
        )
        print(f"wrote {args.output} and {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
