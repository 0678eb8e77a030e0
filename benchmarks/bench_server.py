"""The planner's p50/p99 against a real server on loopback, per concurrency model.

    python3 benchmarks/bench_server.py           # 3 models × 3 rates (~12 min); prints a table
    python3 benchmarks/bench_server.py --quick   # one short point per model (~1 min)
    python3 benchmarks/run.py --only server      # the same as a group of the benchmark page

It starts, one at a time on 127.0.0.1, the server the planner would run for one instance with one
core (``infrastructure.cores_per_instance: 1``), with the worker counts the planner gives:

- **sync**: gunicorn, ``sync`` workers (the planner's (2 × cores) + 1 = 3), a WSGI handler;
- **asyncio**: uvicorn, one worker (one event loop per core), an ASGI handler;
- **hybrid**: uvicorn, one worker, the CPU part in a one-process ``ProcessPoolExecutor``.

The handler (``benchmarks/server_app.py``) burns a known CPU time and sleeps a known IO wait, both
drawn per request from gammas with mean ``CPU_MS`` / ``IO_MS`` and coefficient of variation
``CV``, the planner's own service-time model. The client, in this process (the servers are
separate processes), sends requests **open-loop**: Poisson arrivals at a fixed rate, each request
on its own connection whatever the others are doing, and a request's latency runs from its
*scheduled* arrival to the last byte of its response, so a client that falls behind shows up as
latency, not as a lower rate. The arrivals and the work are seeded: every model sees the same
sequence. Rates are 30, 50 and 70 % of the model's capacity as the planner computes it (servers ÷
held time). Each point runs long enough for its p99 to test the model rather than the sample's
luck (``run_length``: the p99s of simulated runs of its length within ±12.5 %, half the bar), up
to 300 s.

The prediction for each point: ``Requirements`` with that rate, the CPU and IO means, the cv and
one core, resolved as ``plan()`` resolves them; the model's worker counts from the planner's
``plan_concurrency`` and its queue from ``queue_for``; the response time from ``response_time`` at
one instance (the server measured is one instance; ``plan()`` itself would add instances at the
higher rates to stay below its target utilisation). The ratio is measured ÷ predicted.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, Row, Skipped, percentile

GROUP = "Predicted vs measured: a real server on loopback"
CPU_MS = 10.0
IO_MS = 40.0
CV = 1.0
FRACTIONS = (0.3, 0.5, 0.7)
MODELS = ("sync", "asyncio", "hybrid")
TOLERANCE = 0.25  # the bar: the planner's p99 within 25 % of the measured p99
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Prediction:
    """What the planner says for one model at one rate."""

    workers: int
    pool: int
    servers: int
    held_ms: float
    capacity_rps: float
    utilisation: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Measured:
    """What the client saw at one point."""

    sent: int
    failed: int
    latencies_ms: list[float]
    handler_ms: list[float]
    cpu_wall_ms: list[float]  # the wall time of each request's CPU part, as the server timed it
    cpu_asked_ms: list[float]  # the CPU time each answered request asked for
    io_extra_ms: list[float]  # the sleep's wall time minus the IO wait asked for
    outside_ms: list[float]  # latency minus the handler's time: HTTP, connection, client
    late_ms: list[float]  # how late the client sent each request after its scheduled time
    rate: float  # requests sent per second of the schedule
    scheduled_s: tuple[float, ...] = ()  # each sent request's scheduled arrival, from the start
    work_ms: tuple[tuple[float, float], ...] = ()  # each sent request's (CPU, IO) asked

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)

    @property
    def stretch(self) -> float:
        """Wall time of the CPU part over the CPU it burned: 1 on an idle core."""
        asked = sum(self.cpu_asked_ms)
        return sum(self.cpu_wall_ms) / asked if asked else math.nan

    @property
    def cpu_cv(self) -> float:
        """Coefficient of variation of the CPU part's wall time (1 on an idle core)."""
        if len(self.cpu_wall_ms) < 2:
            return CV
        return statistics.pstdev(self.cpu_wall_ms) / statistics.fmean(self.cpu_wall_ms)

    @property
    def outside(self) -> float:
        """Mean time a request spends outside the handler (accept, HTTP, the client)."""
        return statistics.fmean(self.outside_ms) if self.outside_ms else 0.0

    @property
    def io_extra(self) -> float:
        """Mean wall time a sleep takes beyond the IO wait asked (waking up on a busy machine)."""
        return statistics.fmean(self.io_extra_ms) if self.io_extra_ms else 0.0


def predict(
    model: str, rps: float, cpu_ms: float = CPU_MS, io_ms: float = IO_MS, cv: float = CV
) -> Prediction:
    """The planner's worker counts, queue and p50/p99 for one instance of one core."""
    from pyt_arch_kit import Requirements, plan
    from pyt_arch_kit.planning.concurrency import plan_concurrency
    from pyt_arch_kit.planning.latency import queue_for, response_time
    from pyt_arch_kit.planning.model import ConcurrencyModel

    req = Requirements(
        name="bench-server",
        scale={"peak_rps": max(rps, 0.01)},
        latency={"p99_ms": 60_000},
        workload={"cpu_ms_per_request": cpu_ms, "io_wait_ms_per_request": io_ms, "service_cv": cv},
        infrastructure={"cores_per_instance": 1},
    )
    planned = plan(req)
    resolved = planned.resolved
    conc, _, _ = plan_concurrency(resolved, planned.capacity, ConcurrencyModel(model))
    queue = queue_for(resolved, conc)
    held = cpu_ms + io_ms if queue.holds_io else cpu_ms
    capacity = queue.servers * queue.queues_per_instance / (held / 1000)
    rt = response_time(rps, cpu_ms, io_ms, cv, queue, 1)
    return Prediction(
        workers=conc.workers_per_instance,
        pool=conc.process_pool_workers,
        servers=queue.servers,
        held_ms=held,
        capacity_rps=capacity,
        utilisation=rps / capacity,
        p50_ms=rt.quantile(0.5) * 1000,
        p99_ms=rt.quantile(0.99) * 1000,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(model: str, pred: Prediction, port: int) -> list[str]:
    bind = f"127.0.0.1:{port}"
    if model == "sync":
        return [
            sys.executable, "-m", "gunicorn", "--chdir", str(_HERE), "-k", "sync",
            "-w", str(pred.workers), "-b", bind, "--backlog", "2048", "--log-level", "warning",
            "server_app:wsgi",
        ]  # fmt: skip
    app = "server_app:hybrid" if model == "hybrid" else "server_app:asgi"
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(_HERE), "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(pred.workers), "--loop", "asyncio",
        "--http", "h11", "--no-access-log", "--log-level", "warning", "--backlog", "2048",
        app,
    ]  # fmt: skip


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start listening in time")


async def _one(port: int, query: str) -> tuple[float, float, float]:
    """One GET on its own connection; returns its x-handler-ms, x-cpu-ms and x-io-ms."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET /?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        data = await reader.read(-1)
    finally:
        writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    if not head.startswith("HTTP/1.1 200"):
        raise RuntimeError(head.splitlines()[0] if head else "empty response")
    fields = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    handler, cpu, io = (float(fields.get(f"x-{k}-ms", "nan")) for k in ("handler", "cpu", "io"))
    return handler, cpu, io


def _work(rng: random.Random) -> tuple[float, float]:
    shape = 1 / (CV * CV)
    return rng.gammavariate(shape, CPU_MS / shape), rng.gammavariate(shape, IO_MS / shape)


async def _drive(port: int, rps: float, count: int, max_s: float, seed: int) -> Measured:
    """Open-loop Poisson arrivals at ``rps``: ``count`` requests or ``max_s`` seconds."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    handler: list[float] = []
    cpu_wall: list[float] = []
    cpu_asked: list[float] = []
    io_extra: list[float] = []
    outside: list[float] = []
    late: list[float] = []
    failed = 0

    async def request(at: float, cpu: float, io: float) -> None:
        nonlocal failed
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        late.append((loop.time() - at) * 1000)
        try:
            took, wall, io_wall = await asyncio.wait_for(
                _one(port, f"cpu={cpu:.3f}&io={io:.3f}"), timeout=30
            )
        except (OSError, RuntimeError, TimeoutError):
            failed += 1
            return
        latencies.append((loop.time() - at) * 1000)
        handler.append(took)
        outside.append(latencies[-1] - took)
        cpu_wall.append(wall)
        cpu_asked.append(cpu)
        io_extra.append(io_wall - io)

    start = loop.time() + 0.2
    at = start
    tasks = []
    scheduled: list[float] = []
    work: list[tuple[float, float]] = []
    for _ in range(count):
        gap = rng.expovariate(rps)
        if at + gap - start > max_s:
            break
        at += gap
        scheduled.append(at - start)
        work.append(_work(rng))
        tasks.append(asyncio.create_task(request(at, *work[-1])))
    await asyncio.gather(*tasks)
    span = at - start
    return Measured(
        len(tasks),
        failed,
        latencies,
        handler,
        cpu_wall,
        cpu_asked,
        io_extra,
        outside,
        late,
        len(tasks) / span if span > 0 else math.nan,
        tuple(scheduled),
        tuple(work),
    )


PROBE_RPS, PROBE_COUNT = 3.0, 60


def measure(
    model: str, pred: Prediction, fractions: tuple[float, ...], count: int, max_s: float
) -> tuple[Measured, list[Measured]]:
    """Start the model's server once, probe it at a low rate, then drive it at each fraction.

    The probe (``PROBE_COUNT`` requests at ``PROBE_RPS``, hardly any queueing) measures how much
    longer than its CPU time the CPU part takes on this machine right now (another job's CPU
    stretches it) and how late a sleep wakes: the rates are fractions of the capacity with that
    stretch. Returns the probe and the measurements.
    """
    port = _free_port()
    logs = Path(tempfile.mkdtemp(prefix=f"bench-server-{model}-"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", BENCH_POOL=str(max(1, pred.pool)))
    with (logs / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            _command(model, pred, port), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        try:
            _wait_ready(port, proc)
            probe = asyncio.run(_drive(port, PROBE_RPS, PROBE_COUNT, 30, seed=99))
            stretch = probe.stretch if probe.cpu_wall_ms else 1.0
            io = IO_MS + probe.io_extra + probe.outside
            capacity = predict(model, 1.0, CPU_MS * stretch, io).capacity_rps
            rates = [f * capacity for f in fractions]
            print(
                f"  {model}: CPU stretch {stretch:.2f}, sleeps {probe.io_extra:.1f} ms late; "
                + ", ".join(f"{r:.0f}" for r in rates)
                + " req/s",
                file=sys.stderr,
            )
            holds_io = model == "sync"
            points = []
            for i, rps in enumerate(rates):
                n = run_length(rps, count, max_s, predict(model, rps, CPU_MS * stretch, io), io,
                               CPU_MS * stretch, holds_io)  # fmt: skip
                print(f"  {model} at {rps:.0f} req/s: {n} requests", file=sys.stderr)
                points.append(asyncio.run(_drive(port, rps, n, max_s, seed=1000 + i)))
            return probe, points
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _p99_interval(m: Measured) -> tuple[float, float]:
    """A 95 % interval for the p99 from order statistics (binomial, normal approximation)."""
    n = len(m.latencies_ms)
    ordered = sorted(m.latencies_ms)
    spread = 1.96 * math.sqrt(n * 0.99 * 0.01)
    lo = max(0, math.floor(n * 0.99 - spread) - 1)
    hi = min(n - 1, math.ceil(n * 0.99 + spread) - 1)
    return ordered[lo], ordered[hi]


def _fcfs_p99(
    arrivals_s: list[float], held_ms: list[float], after_ms: list[float], servers: int
) -> float:
    """p99 of the response time (ms) of these requests through ``servers`` FCFS servers, each
    request holding one for ``held_ms`` and then taking ``after_ms`` more without one."""
    free = [0.0] * servers
    times = []
    for at, held, after in zip(arrivals_s, held_ms, after_ms, strict=True):
        begin = max(at * 1000, heapq.heappop(free))
        heapq.heappush(free, begin + held)
        times.append(begin + held + after - at * 1000)
    return percentile(times, 99)


#: Runs simulated for the spread of the p99 a run of this length gives.
SPREAD_RUNS = 200


def replayed(m: Measured, servers: int, holds_io: bool, cpu_scale: float, extra_ms: float) -> float:
    """The p99 the planner's queue gives *this run's* own arrivals and draws (exact FCFS).

    The queue is the prediction's: ``servers`` servers, held for the CPU and IO time by a sync
    worker (``holds_io``), for the CPU time alone otherwise; each request's CPU time is the one
    it asked for × ``cpu_scale`` (the stretch measured), its IO the one it asked for +
    ``extra_ms`` (outside the handler, late sleeps). Set beside the measured p99 it separates
    the model from the sample: a run whose draws were light has a low p99 in both.
    """
    held, after = [], []
    for cpu, io in m.work_ms:
        cpu, io = cpu * cpu_scale, io + extra_ms
        held.append(cpu + io if holds_io else cpu)
        after.append(0.0 if holds_io else io)
    return _fcfs_p99(list(m.scheduled_s), held, after, servers) if held else math.nan


def spread(
    rate: float, count: int, pred: Prediction, cpu_ms: float, io_ms: float, holds_io: bool
) -> tuple[float, float]:
    """The central 95 % of the p99s that runs of ``count`` requests from an empty server give
    (``SPREAD_RUNS`` simulated runs of the planner's queue, gamma CPU and IO times of cv ``CV``).

    A run's p99 at ρ 0.7 swings with its few longest busy periods: far wider than the
    order-statistics interval, which takes the latencies as independent.
    """
    shape = 1 / (CV * CV)
    p99s = []
    for seed in range(SPREAD_RUNS):
        rng = random.Random(seed)
        at, arrivals, held, after = 0.0, [], [], []
        for _ in range(count):
            at += rng.expovariate(rate)
            cpu = rng.gammavariate(shape, cpu_ms / shape)
            io = rng.gammavariate(shape, io_ms / shape)
            arrivals.append(at)
            held.append(cpu + io if holds_io else cpu)
            after.append(0.0 if holds_io else io)
        p99s.append(_fcfs_p99(arrivals, held, after, pred.servers))
    p99s.sort()
    return p99s[int(0.025 * SPREAD_RUNS)], p99s[int(0.975 * SPREAD_RUNS) - 1]


#: A point's own noise may take at most half the bar: the central 95 % of the p99s that runs of
#: its length give spans at most ± this around its middle, or the point runs ``max_s`` seconds.
NOISE = TOLERANCE / 2


def run_length(
    rate: float, count: int, max_s: float, pred: Prediction, io_ms: float, cpu_ms: float,
    holds_io: bool,
) -> int:  # fmt: skip
    """How many requests a point needs for its p99 to test the model rather than its luck.

    Starts from ``count`` and doubles while the p99s of simulated runs of that length (the
    planner's queue, ``spread``) span more than ±``NOISE``, up to what ``max_s`` seconds at
    ``rate`` hold. At ρ 0.7 on three sync workers, 1,200 requests give p99s from 226 to 432 ms
    (±31 %) for a steady-state p99 of 266 ms: a single run of that length can miss a right model
    by more than the 25 % bar, or meet a wrong one.
    """
    cap = max(count, int(rate * max_s))
    while count < cap:
        low, high = spread(rate, count, pred, cpu_ms, io_ms, holds_io)
        if (high - low) / (high + low) <= NOISE:
            break
        count = min(cap, count * 2)
    return count


def _label(model: str, pred: Prediction) -> str:
    if model == "sync":
        return f"sync (gunicorn, {pred.workers} sync workers)"
    if model == "hybrid":
        return f"hybrid (uvicorn, {pred.workers} loop + {pred.pool}-process pool)"
    return f"asyncio (uvicorn, {pred.workers} event loop)"


def server_vs_planner(
    count: int = 1200, max_s: float = 300, fractions: tuple[float, ...] = FRACTIONS
) -> list[Row] | Skipped:
    """Measured p50/p99 beside the planner's, per model and rate (ratio = measured ÷ planner).

    The planner is given the service time as it ran on this machine — calibrated, as
    ``pyt-arch calibrate`` would: the CPU part's mean and cv as the server timed it at that
    point (the requested CPU × the measured stretch: a property of the machine's load, not of
    queueing for the server), and as IO the wait asked plus what the low-rate probe measured
    outside the handler (accept, HTTP, the client) and how late its sleeps woke (at load, a
    sleep's wall time on an event loop includes waiting for the loop, which is the queueing
    being predicted). The note gives the planner's p99 for the nominal times.
    """
    try:
        import gunicorn  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return Skipped(GROUP, 'needs gunicorn and uvicorn: pip install ".[bench]"')
    rows: list[Row] = []
    for model in MODELS:
        nominal = predict(model, 1.0)
        probe, points = measure(model, nominal, fractions, count, max_s)
        for m in points:
            rows += _rows(model, m, probe)
    return rows


def _baseline(what: str, ms: float) -> tuple[str, float | None]:
    """The planner's figure as a baseline; an unstable queue (ρ ≥ 1) has none."""
    if math.isfinite(ms):
        return f"planner {what}", ms / 1000
    return f"planner {what} (unstable: ρ ≥ 1)", None


def _rows(model: str, m: Measured, probe: Measured) -> list[Row]:
    nominal = predict(model, m.rate)
    if not m.latencies_ms:
        label = f"{_label(model, nominal)} at {m.rate:.0f} req/s"
        return [Row(GROUP, f"{label}: no response", float(m.failed), "", note="all failed")]
    cpu = CPU_MS * m.stretch
    io = IO_MS + probe.io_extra + probe.outside
    if nominal.servers > 1 or model == "sync":  # a held worker: match the total's cv
        cv = math.hypot(m.cpu_cv * cpu, CV * io) / math.hypot(cpu, io)
    else:  # the queue is the CPU part alone
        cv = m.cpu_cv
    pred = predict(model, m.rate, cpu, io, cv)
    label = f"{_label(model, pred)}, {m.rate:.0f} req/s (ρ {pred.utilisation:.0%})"
    lo, hi = _p99_interval(m)
    p99 = m.p(99)
    holds_io = model == "sync"
    again = replayed(m, pred.servers, holds_io, m.stretch, probe.io_extra + probe.outside)
    low, high = spread(m.rate, len(m.scheduled_s), pred, cpu, io, holds_io)
    if pred.utilisation >= 0.8:
        verdict = "ρ ≥ 80 %: beyond the issue's range"
    elif abs(pred.p99_ms - p99) <= TOLERANCE * p99:
        verdict = "within 25 %"
    else:
        verdict = "outside 25 %"
    note = (
        f"n {len(m.latencies_ms)}"
        + (f", {m.failed} failed" if m.failed else "")
        + f"; CPU part {m.stretch:.2f}× its CPU time, cv {m.cpu_cv:.2f}; at the probe "
        f"{probe.outside:.1f} ms outside the handler and sleeps {probe.io_extra:.1f} ms late "
        f"(planner given {cpu:.1f} ms CPU + {io:.1f} ms IO, cv {cv:.2f}; with the nominal "
        f"{CPU_MS:g} + {IO_MS:g} ms, cv {CV:g}: p99 {nominal.p99_ms:.0f} ms); "
        f"client late p99 {percentile(m.late_ms, 99):.1f} ms"
    )
    return [
        Row(GROUP, f"{label}: p50", m.p(50) / 1000, "s", *_baseline("p50", pred.p50_ms)),
        Row(
            GROUP,
            f"{label}: p99",
            p99 / 1000,
            "s",
            *_baseline("p99", pred.p99_ms),
            target=f"{verdict}; measured p99 95 % interval {lo:.0f}–{hi:.0f} ms (independent "
            f"samples); the planner's queue fed this run's own arrivals and draws: p99 "
            f"{again:.0f} ms; runs of {len(m.scheduled_s)} from empty: p99 {low:.0f}–{high:.0f} ms",
            note=note,
        ),
    ]


def summary(rows: list[Row]) -> str:
    """What the server rows of one run say, counted from the rows (for the results page)."""
    p99 = [r for r in rows if r.group == GROUP and r.name.endswith(": p99") and r.baseline]
    scoped = [r for r in p99 if not r.target.startswith("ρ ≥")]
    if not scoped:
        return ""
    per_model = []
    for model in MODELS:
        mine = [r for r in scoped if r.name.startswith(model)]
        hits = sum(r.target.startswith("within") for r in mine)
        per_model.append(f"{model} {hits} of {len(mine)}")
    p50 = [
        r.ratio
        for r in rows
        if r.group == GROUP
        and r.name.endswith(": p50")
        and r.ratio
        and math.isfinite(r.ratio)
        and any(r.name[:-5] == s.name[:-5] for s in scoped)
    ]
    p50_text = f"{statistics.median(p50):.2f}×" if p50 else "—"
    hits = sum(r.target.startswith("within") for r in scoped)
    return (
        f"Below ρ 80 %, the planner's p99 is within 25 % of the measured p99 at {hits} of "
        f"{len(scoped)} points ({', '.join(per_model)}); the measured p50 is {p50_text} the "
        "planner's (median over those points). Points at ρ ≥ 80 % are listed but not counted: "
        "the rate is set from a probe, and the machine's load moved between the probe and the run."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="one short point per model")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = server_vs_planner(200, 10, (0.5,)) if args.quick else server_vs_planner()
    if isinstance(result, Skipped):
        print(f"not measured: {result.reason}")
        return 0
    sys.path.insert(0, str(_HERE))
    from run import table

    print(table(result))
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
