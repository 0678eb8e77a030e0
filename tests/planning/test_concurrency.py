"""planning/concurrency.py: the concurrency model's boundaries, worker counts, frameworks."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit.planning.broker import broker_plan
from pyt_arch_kit.planning.capacity import Fleet
from pyt_arch_kit.planning.choices import Broker, framework_text
from pyt_arch_kit.planning.concurrency import cpu_share, plan_concurrency
from pyt_arch_kit.planning.model import ConcurrencyModel, ConcurrencyPlan
from tests.planning import resolved

M = ConcurrencyModel


def fleet(in_flight: float = 100.0, instances: int = 2, cores: int = 4) -> Fleet:
    return Fleet(in_flight=in_flight, busy_cores=1.0, cores_per_instance=cores, instances=instances)


def choose(
    cpu: float,
    io: float,
    *,
    in_flight: float = 100.0,
    instances: int = 2,
    cores: int = 4,
    model: ConcurrencyModel | None = None,
    **sections: Any,
) -> ConcurrencyPlan:
    workload = {"cpu_ms_per_request": cpu, "io_wait_ms_per_request": io}
    r = resolved(workload=workload, **sections)
    conc, _, _ = plan_concurrency(r, fleet(in_flight, instances, cores), model)
    return conc


@pytest.mark.parametrize(
    ("cpu", "io", "share"), [(0, 0, 0.0), (5, 45, 0.1), (6, 4, 0.6), (10, 0, 1.0)]
)
def test_cpu_share(cpu: float, io: float, share: float) -> None:
    assert cpu_share(
        resolved(workload={"cpu_ms_per_request": cpu, "io_wait_ms_per_request": io})
    ) == (pytest.approx(share))


@pytest.mark.parametrize(
    ("cpu", "io", "interface", "model"),
    [
        (6, 4, "rest", M.PROCESSES),  # share exactly 0.6: CPU-bound, 4 ms IO not worth a loop
        (15, 10, "rest", M.HYBRID),  # share 0.6 and 10 ms IO: overlap it on a loop
        (15.1, 9.9, "rest", M.PROCESSES),  # 9.9 ms of IO: below the 10 ms worth overlapping
        (6, 4, "websocket", M.HYBRID),  # held connections need a loop whatever the IO
        (6, 4, "events", M.HYBRID),
        (4.9, 3, "websocket", M.ASYNCIO),  # 4.9 ms of CPU does not pay for the pool's hand-off
        (5.9, 4.1, "rest", M.HYBRID),  # share 0.59: mixed
        (5.01, 19.9, "rest", M.HYBRID),  # share just above 0.2: mixed, CPU ≥ 5 ms
        (2.01, 8, "rest", M.ASYNCIO),  # mixed, but 2 ms of CPU: no pool (hand-off ~0.5 ms)
        (2, 8, "rest", M.ASYNCIO),  # share exactly 0.2: IO-bound
        (50, 0, "batch", M.PROCESSES),  # a batch job: its engine parallelises
        (1, 99, "batch", M.PROCESSES),
    ],
)
def test_cpu_share_boundaries(
    cpu: float, io: float, interface: str, model: ConcurrencyModel
) -> None:
    assert choose(cpu, io, interface=interface).model is model


@pytest.mark.parametrize(
    ("in_flight", "interface", "model"),
    [
        (8.0, "rest", M.SYNC),  # at most 8 in flight: sync workers
        (8.01, "rest", M.ASYNCIO),
        (0.5, "websocket", M.ASYNCIO),  # a websocket holds its connection: never sync
        (0.5, "grpc", M.ASYNCIO),  # grpc.aio: an event loop, never gunicorn's sync workers
    ],
)
def test_sync_up_to_eight_requests_in_flight(
    in_flight: float, interface: str, model: ConcurrencyModel
) -> None:
    assert choose(1, 9, in_flight=in_flight, interface=interface).model is model


@pytest.mark.parametrize(
    ("in_flight", "must_use", "model"),
    [
        (64.0, ["Django"], M.THREADS),  # 32 per instance with a mandated sync framework
        (64.2, ["Django"], M.ASYNCIO),  # 32.1 per instance: too many for threads
        (64.0, ["flask"], M.THREADS),
        (64.0, [], M.ASYNCIO),
        (64.0, ["fastapi"], M.ASYNCIO),
    ],
)
def test_threads_for_a_mandated_sync_framework_up_to_32_per_instance(
    in_flight: float, must_use: list[str], model: ConcurrencyModel
) -> None:
    conc = choose(1, 9, in_flight=in_flight, instances=2, infrastructure={"must_use": must_use})
    assert conc.model is model


@pytest.mark.parametrize(
    ("model", "cores", "workers", "pool", "threads"),
    [
        (M.SYNC, 4, 9, 0, 1),  # (2 × 4) + 1
        (M.SYNC, 1, 3, 0, 1),
        (M.PROCESSES, 4, 4, 0, 1),  # one per core
        (M.ASYNCIO, 4, 4, 0, 1),  # one event loop per core
        (M.HYBRID, 4, 1, 3, 1),  # ⌊4 / 4⌋ = 1 front worker, 4 / 1 − 1 = 3 in its pool
        (M.HYBRID, 8, 2, 3, 1),  # 2 front workers, 8 / 2 − 1 = 3 each
        (M.HYBRID, 16, 4, 3, 1),
        (M.HYBRID, 7, 1, 6, 1),
        (M.HYBRID, 2, 1, 1, 1),  # ⌊2 / 4⌋ = 0 → at least 1; 2 − 1 = 1
        (M.HYBRID, 1, 1, 1, 1),  # 1 − 1 = 0 → at least 1
    ],
)
def test_workers_per_model(
    model: ConcurrencyModel, cores: int, workers: int, pool: int, threads: int
) -> None:
    conc = choose(1, 9, in_flight=80.0, instances=2, cores=cores, model=model)
    assert conc.model is model
    assert isinstance(conc.why, str) and conc.why  # a kept model is still explained
    assert (conc.workers_per_instance, conc.process_pool_workers) == (workers, pool)
    assert conc.threads_per_worker == threads
    assert conc.in_flight_per_worker == pytest.approx(80.0 / 2 / workers)


@pytest.mark.parametrize(
    ("in_flight", "cores", "threads"),
    [
        (64.0, 4, 8),  # 32 per instance over 9 workers: ⌈2 × 32 / 9⌉ = ⌈7.1⌉ = 8
        (64.0, 1, 22),  # over 3 workers: ⌈21.3⌉ = 22
        (2.0, 4, 2),  # ⌈2 × 1 / 9⌉ = 1, but at least 2
        (2000.0, 1, 32),  # ⌈666.7⌉, but at most 32
    ],
)
def test_threads_per_worker(in_flight: float, cores: int, threads: int) -> None:
    conc = choose(1, 9, in_flight=in_flight, instances=2, cores=cores, model=M.THREADS)
    assert conc.workers_per_instance == 2 * cores + 1
    assert conc.threads_per_worker == threads


@pytest.mark.parametrize(
    ("interface", "model", "must_use", "framework", "server", "worker_class"),
    [
        (
            "rest",
            M.ASYNCIO,
            [],
            "FastAPI",
            "uvicorn workers (under gunicorn or uvicorn --workers)",
            "uvicorn",
        ),
        ("graphql", M.ASYNCIO, [], "Strawberry GraphQL on FastAPI", "uvicorn workers", "uvicorn"),
        ("rest", M.SYNC, [], "Flask", "gunicorn (sync workers)", "sync"),
        ("rest", M.THREADS, ["django"], "Django", "gunicorn (gthread workers)", "gthread"),
        ("rest", M.PROCESSES, [], "Flask", "gunicorn (sync workers, one per core)", "sync"),
        (
            "rest",
            M.PROCESSES,
            ["Django"],
            "Django",
            "gunicorn (sync workers, one per core)",
            "sync",
        ),
        (
            "grpc",
            M.PROCESSES,
            [],
            "grpcio",
            "grpc.server (one process per container, a core each)",
            "process",
        ),
        (
            "grpc",
            M.ASYNCIO,
            [],
            "grpcio (grpc.aio)",
            "grpc.aio server (one process per container, a core each)",
            "aio",
        ),
        (
            "batch",
            M.PROCESSES,
            [],
            "batch job (CLI entry point)",
            "scheduler (cron / Kubernetes CronJob)",
            "job",
        ),
        (
            "events",
            M.SYNC,
            [],
            "Flask (commands) + Kafka consumer (confluent-kafka)",
            "gunicorn + consumer processes",
            "sync",
        ),
        (
            "events",
            M.ASYNCIO,
            [],
            "FastAPI (commands) + Kafka consumers (aiokafka)",
            "uvicorn workers + consumer processes",
            "uvicorn",
        ),
    ],
)
def test_framework_server_and_worker_class(
    interface: str,
    model: ConcurrencyModel,
    must_use: list[str],
    framework: str,
    server: str,
    worker_class: str,
) -> None:
    conc = choose(1, 9, model=model, interface=interface, infrastructure={"must_use": must_use})
    # an event service's framework names its broker (Kafka here: none is run or proposed)
    text = framework_text(conc.framework, broker_plan(Broker.KAFKA, conc.model))
    assert (text, conc.server, conc.worker_class) == (framework, server, worker_class)


def test_figures_and_decisions() -> None:
    r = resolved(workload={"cpu_ms_per_request": 20, "io_wait_ms_per_request": 30})
    conc, figs, decs = plan_concurrency(r, fleet(in_flight=60.0, instances=3, cores=8))
    assert conc.model is M.HYBRID
    by_key = {f.key: f for f in figs}
    assert by_key["workers_per_instance"].value == 2
    assert by_key["in_flight_per_worker"].value == pytest.approx(60 / 3 / 2)
    assert dict(by_key["in_flight_per_worker"].inputs) == {"L": 60.0, "instances": 3, "workers": 2}
    assert by_key["cpu_share"].value == pytest.approx(0.4)
    assert by_key["process_pool_workers"].value == 3
    assert dict(by_key["process_pool_workers"].inputs) == {"cores": 8, "workers": 2}
    topics = {d.topic: d for d in decs}
    assert topics["concurrency"].choice == "hybrid"
    assert "hybrid" not in topics["concurrency"].alternatives
    assert len(topics["concurrency"].alternatives) == 4
    assert topics["concurrency"].why.startswith("CPU is 40% of request time")
    assert topics["framework"].choice == (
        "FastAPI on uvicorn workers (under gunicorn or uvicorn --workers)"
    )
    assert topics["framework"].why == "fits the hybrid model for a rest interface"
    sync, sync_figs, _ = plan_concurrency(r, fleet(), M.SYNC)
    assert sync.process_pool_workers == 0
    assert "process_pool_workers" not in {f.key for f in sync_figs}


def test_a_model_kept_from_the_fleet_is_explained_for_the_fleet_it_now_runs_on() -> None:
    """Sized on 2 instances, 128 in flight is 64 each (asyncio); with the instances grown to 4
    a mandated Django would fit threads (32 each), but the queue was computed for asyncio, so
    the model stays, explained with today's 32 per instance."""
    r = resolved(
        workload={"cpu_ms_per_request": 1, "io_wait_ms_per_request": 9},
        infrastructure={"must_use": ["django"]},
    )
    first, _, _ = plan_concurrency(r, fleet(in_flight=128.0, instances=2))
    assert first.model is M.ASYNCIO
    kept, _, _ = plan_concurrency(r, fleet(in_flight=128.0, instances=4), first.model)
    assert kept.model is M.ASYNCIO
    assert "up to 32 requests are in flight per instance" in kept.why
    fresh, _, _ = plan_concurrency(r, fleet(in_flight=128.0, instances=4))
    assert fresh.model is M.THREADS


def test_a_quiet_grpc_service_is_async_end_to_end() -> None:
    """Bug fixed: under 8 requests in flight a gRPC service was planned 'sync' (gunicorn's
    (2 × cores) + 1 workers, a blocking psycopg driver) while its server was grpc.aio, one
    process per core: the blocking driver would stall the event loop."""
    from pyt_arch_kit import plan
    from tests.planning import req

    p = plan(req(interface="grpc", scale={"peak_rps": 20}))
    conc, db = p.concurrency, p.database
    assert conc.model is M.ASYNCIO
    assert (conc.server, conc.worker_class) == (
        "grpc.aio server (one process per container, a core each)",
        "aio",
    )
    assert conc.workers_per_instance == p.capacity.cores_per_instance  # one per core
    assert db is not None and db.driver == "asyncpg via SQLAlchemy 2.0 (async)"
    assert p.decision("concurrency").why.startswith(
        "only 0.9 requests are in flight at peak, but a gRPC service runs grpc.aio servers"
    )


def test_a_mandated_django_does_not_put_a_grpc_service_on_threads() -> None:
    conc = choose(1, 9, in_flight=20.0, interface="grpc", infrastructure={"must_use": ["django"]})
    assert conc.model is M.ASYNCIO and conc.worker_class == "aio"
