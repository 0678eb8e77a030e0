"""Choose how each instance runs requests: sync, threads, asyncio, processes, or a hybrid."""

from __future__ import annotations

import math
from typing import Literal, Protocol

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.broker import DECIDE, BrokerChoice, _Decide, broker_plan, decided
from pyt_arch_kit.planning.choices import Framework, Server, WorkerClass, framework_text
from pyt_arch_kit.planning.model import (
    ConcurrencyModel,
    ConcurrencyPlan,
    Decision,
    Figure,
)
from pyt_arch_kit.requirements import CPU_BOUND_SHARE, IO_BOUND_SHARE, DataMode, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["HANDOFF_MS", "POOL_MIN_CPU_MS", "cpu_share", "plan_concurrency", "pool_pays_off"]

GUNICORN = "gunicorn docs, “How Many Workers?”: (2 × cores) + 1"
#: What handing one task to a process pool costs, in ms: pickling the arguments and the result
#: and a round trip through the pool's pipes (~0.1–1 ms for small payloads; measured on this
#: machine by benchmarks/bench_handoff.py).
HANDOFF_MS = 0.5
#: A process pool only for CPU work at least this many times the hand-off (the hand-off is
#: then ≤ 10 % of the work it moves).
POOL_MIN_WORK_RATIO = 10.0
POOL_MIN_CPU_MS = HANDOFF_MS * POOL_MIN_WORK_RATIO
_SYNC_MAX_IN_FLIGHT = 8.0
_THREADS_MAX_PER_INSTANCE = 32.0


class Sized(Protocol):
    """What the concurrency choice reads of the fleet (a ``Fleet`` or a ``CapacityPlan``)."""

    @property
    def in_flight(self) -> float: ...

    @property
    def instances(self) -> int: ...

    @property
    def cores_per_instance(self) -> int: ...


def cpu_share(req: ResolvedRequirements) -> float:
    """Fraction of a request's time spent computing rather than waiting."""
    cpu = req.workload.cpu_ms_per_request
    io = req.workload.io_wait_ms_per_request
    return cpu / (cpu + io) if cpu + io > 0 else 0.0


def pool_pays_off(cpu_ms: float) -> bool:
    """Whether a request's CPU work outweighs handing it to a process pool (pickling and a
    pipe round trip, :data:`HANDOFF_MS`): at least :data:`POOL_MIN_CPU_MS` of it.

    Example:
        >>> pool_pays_off(1.0), pool_pays_off(20.0)  # 1 ms of CPU costs about its hand-off
        (False, True)
    """
    return cpu_ms >= POOL_MIN_CPU_MS


def _choose(req: ResolvedRequirements, cap: Sized) -> tuple[ConcurrencyModel, str]:
    model, why = _choose_model(req, cap)
    cpu_ms = req.workload.cpu_ms_per_request
    share = cpu_share(req)
    if (
        model is not ConcurrencyModel.HYBRID
        and share > IO_BOUND_SHARE
        and not pool_pays_off(cpu_ms)
        and req.interface is not Interface.BATCH
        and model is not ConcurrencyModel.PROCESSES
    ):
        why += (
            f" (CPU is {share:.0%} of request time, but {cpu_ms:g} ms of it would not pay for "
            f"a process pool: the hand-off, pickling and a pipe round trip of ~{HANDOFF_MS:g} "
            f"ms, is worth it from ~{POOL_MIN_CPU_MS:g} ms of CPU work)"
        )
    return model, why


def _choose_model(req: ResolvedRequirements, cap: Sized) -> tuple[ConcurrencyModel, str]:
    share = cpu_share(req)
    pool_ok = pool_pays_off(req.workload.cpu_ms_per_request)
    if req.interface is Interface.BATCH and req.workload.data_mode is DataMode.STREAMING:
        return ConcurrencyModel.PROCESSES, (
            "a stream job has no requests to overlap: its engine spreads the partitions across "
            "processes (or a cluster), and the driver is one long-running program"
        )
    if req.interface is Interface.BATCH:
        return ConcurrencyModel.PROCESSES, (
            "a batch job has no requests to overlap: its data engine parallelises the work "
            "across processes (or a cluster), and the driver stays a plain synchronous program"
        )
    per_instance = cap.in_flight / cap.instances
    io_ms = req.workload.io_wait_ms_per_request
    mandated = named(req.infrastructure.must_use)
    held_open = req.interface in (Interface.WEBSOCKET, Interface.EVENTS)
    if share >= CPU_BOUND_SHARE and (pool_ok or not held_open):
        if pool_ok and (io_ms >= 10 or held_open):
            return ConcurrencyModel.HYBRID, (
                f"CPU is {share:.0%} of request time, so pure-Python work needs processes "
                f"(the GIL serialises threads), but {io_ms:g} ms of IO per request is worth "
                "overlapping on an event loop: asyncio in front, CPU work in a process pool"
            )
        return ConcurrencyModel.PROCESSES, (
            f"CPU is {share:.0%} of request time: one worker process per core; threads would "
            "contend on the GIL and an event loop would be blocked"
        )
    if share > IO_BOUND_SHARE and pool_ok:
        return ConcurrencyModel.HYBRID, (
            f"CPU is {share:.0%} of request time: an event loop overlaps the IO, and CPU-heavy "
            "steps run in a process pool so they never block it"
        )
    # A websocket holds its connection open, and a gRPC service runs a grpc.aio server: neither
    # has a pool of sync workers that each hold one request.
    loop_only = req.interface in (Interface.WEBSOCKET, Interface.GRPC)
    if cap.in_flight <= _SYNC_MAX_IN_FLIGHT and loop_only:
        what = (
            "a gRPC service runs grpc.aio servers"
            if req.interface is Interface.GRPC
            else "websockets hold their connections open"
        )
        return ConcurrencyModel.ASYNCIO, (
            f"only {cap.in_flight:.1f} requests are in flight at peak, but {what}: one event "
            "loop per core, and every call on the request path (database driver included) "
            "must be async"
        )
    if cap.in_flight <= _SYNC_MAX_IN_FLIGHT:
        return ConcurrencyModel.SYNC, (
            f"only {cap.in_flight:.1f} requests are in flight at peak: synchronous workers are "
            "simpler to write, debug and profile, and async would buy nothing"
        )
    if (
        mandated & {"django", "flask"}
        and per_instance <= _THREADS_MAX_PER_INSTANCE
        and not loop_only
    ):
        return ConcurrencyModel.THREADS, (
            f"IO-bound with {per_instance:.0f} requests in flight per instance and a mandated "
            "synchronous framework: threads overlap the IO (the GIL is released while waiting)"
        )
    return ConcurrencyModel.ASYNCIO, (
        f"IO is {1 - share:.0%} of request time and {per_instance:.0f} requests are in flight "
        "per instance: one event loop per core holds them all without a thread each"
    )


def _choose_kept(req: ResolvedRequirements, cap: Sized, model: ConcurrencyModel, why: str) -> str:
    """The reason for a model kept from the fleet before latency sizing.

    Instances only grow, so in-flight requests per instance only fall: the one model that can
    differ is asyncio kept where a mandated sync framework would now fit threads.
    """
    if model is ConcurrencyModel.ASYNCIO:
        share = cpu_share(req)
        loop_only = req.interface in (Interface.WEBSOCKET, Interface.GRPC)
        if cap.in_flight <= _SYNC_MAX_IN_FLIGHT and not loop_only:  # chosen over sync by plan()
            return (
                f"only {cap.in_flight:.1f} requests are in flight at peak, yet sync workers "
                "(one request each) would need more instances than event loops for the same "
                "p99: one event loop per core holds them all, and every call on the request "
                "path (database driver included) must be async"
            )
        return (
            f"IO is {1 - share:.0%} of request time and up to "
            f"{cap.in_flight / cap.instances:.0f} requests are in flight per instance: one "
            "event loop per core holds them all without a thread each"
        )
    if model is ConcurrencyModel.THREADS and cap.in_flight <= _SYNC_MAX_IN_FLIGHT:
        return (  # chosen over sync by plan()
            f"only {cap.in_flight:.1f} requests are in flight at peak, yet sync workers (one "
            "request each) would need more instances than threads for the same p99: threads "
            "under the mandated framework overlap the IO (the GIL is released while waiting)"
        )
    return why


def _framework(
    req: ResolvedRequirements, model: ConcurrencyModel, broker: BrokerChoice | None
) -> tuple[Framework, Server, WorkerClass]:
    mandated = named(req.infrastructure.must_use)
    iface = req.interface
    if iface is Interface.GRPC:
        if model in (ConcurrencyModel.PROCESSES,):
            return Framework.GRPCIO, Server.GRPC, WorkerClass.PROCESS
        return Framework.GRPC_AIO, Server.GRPC_AIO, WorkerClass.AIO
    if iface is Interface.BATCH and req.workload.data_mode is DataMode.STREAMING:
        return Framework.STREAM_JOB, Server.SUPERVISOR, WorkerClass.JOB
    if iface is Interface.BATCH:
        return Framework.BATCH_JOB, Server.SCHEDULER, WorkerClass.JOB
    if iface is Interface.EVENTS and broker is not None:
        if model is ConcurrencyModel.SYNC:
            return Framework.FLASK_CONSUMER, Server.GUNICORN_CONSUMERS, WorkerClass.SYNC
        return Framework.FASTAPI_CONSUMERS, Server.UVICORN_CONSUMERS, WorkerClass.UVICORN
    sync_framework = Framework.DJANGO if "django" in mandated else Framework.FLASK
    if model is ConcurrencyModel.SYNC:
        return sync_framework, Server.GUNICORN_SYNC, WorkerClass.SYNC
    if model is ConcurrencyModel.THREADS:
        return sync_framework, Server.GUNICORN_GTHREAD, WorkerClass.GTHREAD
    if model is ConcurrencyModel.PROCESSES:
        return sync_framework, Server.GUNICORN_PER_CORE, WorkerClass.SYNC
    if iface is Interface.GRAPHQL:
        return Framework.STRAWBERRY, Server.UVICORN, WorkerClass.UVICORN
    return Framework.FASTAPI, Server.UVICORN_GUNICORN, WorkerClass.UVICORN


_FRAMEWORK_TRADE = {
    ConcurrencyModel.SYNC: "a small, well-known stack; scaling up later means more workers or "
    "a move to async",
    ConcurrencyModel.THREADS: "keeps blocking libraries usable; thread safety becomes your "
    "problem in shared state",
    ConcurrencyModel.ASYNCIO: "typed, async-first and fast enough that framework overhead is "
    "small next to the IO; the whole request path must stay non-blocking",
    ConcurrencyModel.PROCESSES: "per-request framework overhead is small next to the CPU work; "
    "each process holds its own copy of models and caches",
    ConcurrencyModel.HYBRID: "async handles the waiting, processes the computing; two models to "
    "operate and test",
}


def plan_concurrency(
    req: ResolvedRequirements,
    cap: Sized,
    model: ConcurrencyModel | None = None,
    *,
    broker: BrokerChoice | Literal[_Decide.DECIDE] | None = DECIDE,
) -> tuple[ConcurrencyPlan, list[Figure], list[Decision]]:
    """Pick the concurrency model, framework, server and worker counts per instance.

    ``model`` keeps a model chosen earlier (on the fleet before latency sizing), so that
    adding instances for the p99 target never changes the model the queue was computed for.
    ``broker`` is the plan's broker choice (an event service's consumers use it), decided
    here when omitted.
    """
    broker = decided(req, broker)
    chosen, why = _choose(req, cap)
    if model is None:
        model = chosen
    elif model is not chosen:
        why = _choose_kept(req, cap, model, why)
    framework, server, worker_class = _framework(req, model, broker)
    cores = cap.cores_per_instance
    pool = 0
    threads = 1
    if model is ConcurrencyModel.SYNC:
        workers = 2 * cores + 1
        formula, source = "(2 × cores) + 1", GUNICORN
    elif model is ConcurrencyModel.THREADS:
        workers = 2 * cores + 1
        threads = max(2, min(32, math.ceil(2 * cap.in_flight / cap.instances / workers)))
        formula, source = "(2 × cores) + 1, threads = ⌈2 · in-flight per worker⌉", GUNICORN
    elif model is ConcurrencyModel.PROCESSES:
        workers = cores
        formula = "cores (one process per core for CPU-bound work)"
        source = "Python docs, concurrent.futures.ProcessPoolExecutor (max_workers = cores)"
    elif model is ConcurrencyModel.HYBRID:
        workers = max(1, cores // 4)
        pool = max(1, cores // workers - 1)
        formula = "front workers = ⌊cores / 4⌋, process pool per worker = cores / workers − 1"
        source = "Python docs, asyncio loop.run_in_executor with ProcessPoolExecutor"
    else:
        workers = cores
        formula = "cores (one event loop per core)"
        source = "uvicorn docs, deployment: one worker process per core"
    per_worker = cap.in_flight / cap.instances / workers
    plan = ConcurrencyPlan(
        model=model,
        framework=framework,
        server=server,
        workers_per_instance=workers,
        worker_class=worker_class,
        process_pool_workers=pool,
        threads_per_worker=threads,
        in_flight_per_worker=per_worker,
        why=why,
    )
    figures = [
        Figure(
            "workers_per_instance",
            "Worker processes per instance",
            workers,
            "processes",
            formula,
            (("cores per instance", cores),),
            source,
        ),
        Figure(
            "in_flight_per_worker",
            "Requests in flight per worker at peak",
            per_worker,
            "requests",
            "L / (instances × workers)",
            (("L", cap.in_flight), ("instances", cap.instances), ("workers", workers)),
            "Little's law, split evenly by the load balancer",
        ),
        Figure(
            "cpu_share",
            "Share of request time on CPU",
            cpu_share(req),
            "",
            "CPU ms / (CPU ms + IO ms)",
            (
                ("CPU ms", req.workload.cpu_ms_per_request),
                ("IO ms", req.workload.io_wait_ms_per_request),
            ),
            "the persona's rule: IO-bound → asyncio, CPU-bound → processes, mixed → hybrid",
        ),
    ]
    if pool:
        figures.append(
            Figure(
                "process_pool_workers",
                "Process-pool workers per front worker",
                pool,
                "processes",
                "cores / workers − 1",
                (("cores", cores), ("workers", workers)),
                source,
            )
        )
    alternatives = tuple(m.value for m in ConcurrencyModel if m is not model)
    trade = {
        ConcurrencyModel.SYNC: "simplest code; each worker holds one request, so concurrency is "
        "capped at the worker count",
        ConcurrencyModel.THREADS: "overlaps IO with familiar blocking code; threads cost ~8 MB "
        "of stack each and the GIL serialises any Python CPU work",
        ConcurrencyModel.ASYNCIO: "thousands of waits per process; every library on the request "
        "path must be async, and one blocking call stalls every request on that loop",
        ConcurrencyModel.PROCESSES: "true parallelism; memory grows with each process, "
        "each holding its own copy of the code and data it loads",
        ConcurrencyModel.HYBRID: "overlaps IO and uses every core; two execution models to "
        "reason about, and pickling cost on every offloaded call",
    }[model]
    iface_name = req.interface.value
    decisions = [
        Decision("concurrency", model.value, why, trade, alternatives),
        Decision(
            "framework",
            f"{framework_text(framework, broker_plan(broker[0], model) if broker else None)} "
            f"on {server}",
            f"fits the {model.value} model for a {iface_name} interface",
            _FRAMEWORK_TRADE[model],
            ("Django", "Flask", "aiohttp", "Litestar"),
        ),
    ]
    return plan, figures, decisions
