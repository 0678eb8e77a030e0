"""The planner: pure, deterministic functions from requirements to a :class:`Plan`."""

from __future__ import annotations

import dataclasses

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.bom import bill_figures, materials
from pyt_arch_kit.planning.broker import choose_broker, plan_broker
from pyt_arch_kit.planning.capacity import plan_capacity, size_fleet
from pyt_arch_kit.planning.choices import (
    Broker,
    Cache,
    DataTool,
    Driver,
    FindingKind,
    Framework,
    Isolation,
    QueueScope,
    Server,
    WorkerClass,
)
from pyt_arch_kit.planning.concurrency import plan_concurrency
from pyt_arch_kit.planning.connections import connection_figures, holds_sockets
from pyt_arch_kit.planning.data import plan_data
from pyt_arch_kit.planning.database import plan_database
from pyt_arch_kit.planning.hosting import database_hosting
from pyt_arch_kit.planning.model import (
    BrokerPlan,
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
    DataPlan,
    Decision,
    Figure,
    Finding,
    P99Levers,
    PipelinePlan,
    Plan,
)
from pyt_arch_kit.planning.pipeline import plan_pipeline
from pyt_arch_kit.planning.practices import plan_practices
from pyt_arch_kit.planning.pushback import find_issues
from pyt_arch_kit.planning.traffic import traffic_figures
from pyt_arch_kit.planning.websocket import websocket_decisions
from pyt_arch_kit.requirements import DataMode, Interface, Requirements
from pyt_arch_kit.resolved import ResolvedRequirements, resolve

#: Decisions about serving requests, which a job (interface batch) has none of.
_REQUEST_TOPICS = frozenset({"consistency", "connection pool", "isolation", "caching"})

__all__ = [
    "Broker",
    "BrokerPlan",
    "Cache",
    "CapacityPlan",
    "ConcurrencyModel",
    "ConcurrencyPlan",
    "DataPlan",
    "DataTool",
    "DatabasePlan",
    "Decision",
    "Driver",
    "Figure",
    "Finding",
    "FindingKind",
    "Framework",
    "Isolation",
    "P99Levers",
    "PipelinePlan",
    "Plan",
    "QueueScope",
    "Server",
    "WorkerClass",
    "plan",
]


def plan(requirements: Requirements) -> Plan:
    """Compute the plan for a set of requirements.

    Unset fields are filled with stated assumptions first
    (:func:`~pyt_arch_kit.resolved.resolve`). The result is deterministic: the same requirements
    always give an equal plan.

    Example:
        >>> from pyt_arch_kit import Requirements, plan
        >>> p = plan(Requirements(scale={"peak_rps": 2000},
        ...                       workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 45}))
        >>> p.figure("in_flight").value
        100.0
    """
    req, assumptions = resolve(requirements)
    chosen = choose_broker(req)  # the plan's one broker decision, passed to every part
    fleet = size_fleet(req)
    first, _, _ = plan_concurrency(req, fleet, broker=chosen)
    cap, cap_figs = plan_capacity(req, fleet, first)
    if first.model is ConcurrencyModel.SYNC:
        # Few requests in flight, but a sync worker holds one each: an event loop (or threads,
        # under a mandated Django or Flask) may meet the p99 with fewer instances.
        other = (
            ConcurrencyModel.THREADS
            if named(req.infrastructure.must_use) & {"django", "flask"}
            else ConcurrencyModel.ASYNCIO
        )
        alt, _, _ = plan_concurrency(req, fleet, other, broker=chosen)
        alt_cap, alt_figs = plan_capacity(req, fleet, alt)
        if (alt_cap.instances, alt_cap.cores) < (cap.instances, cap.cores):
            first, cap, cap_figs = alt, alt_cap, alt_figs
    conc, conc_figs, conc_decisions = plan_concurrency(req, cap, first.model, broker=chosen)
    db, db_figs, db_decisions = plan_database(req, cap, conc, broker=chosen)
    broker, broker_decisions = plan_broker(req, conc.model, chosen)
    data, data_figs, data_decisions = plan_data(req)
    if req.interface is Interface.BATCH:  # a job: no requests to isolate, pool or cache for
        db_decisions = [d for d in db_decisions if d.topic not in _REQUEST_TOPICS]
    pipeline, pipe_figs, pipe_decisions, pipe_findings = plan_pipeline(req, data)
    practices = plan_practices(req, cap, conc, db, broker)
    if db is not None:
        practices.append(database_hosting(req, db))
    if holds_sockets(req):
        practices += websocket_decisions(req, cap, conc, db)
    field_figs = traffic_figures(req, cap) + connection_figures(req, cap, conc, db)
    findings = find_issues(req, cap, conc, db, data, broker)
    if req.interface is Interface.BATCH:  # no request traffic: no request-serving figures
        cap_figs, conc_figs, field_figs = [], [], []
    done = Plan(
        requirements=req.requirements,
        resolved=req,
        assumptions=tuple(assumptions),
        capacity=cap,
        concurrency=conc,
        database=db,
        data=data,
        figures=tuple(cap_figs + conc_figs + db_figs + data_figs + field_figs + pipe_figs),
        decisions=tuple(
            conc_decisions
            + db_decisions
            + broker_decisions
            + practices
            + data_decisions
            + pipe_decisions
        ),
        findings=tuple(findings + pipe_findings),
        components=_components(req, conc, db, data, broker),
        broker=broker,
        pipeline=pipeline,
    )
    # The bill of materials is read off the finished plan (every part sized), then appended.
    lines = materials(done)
    return dataclasses.replace(
        done, figures=done.figures + tuple(bill_figures(done, lines)), materials=lines
    )


def _components(
    req: ResolvedRequirements,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
    data: DataPlan | None,
    broker: BrokerPlan | None = None,
) -> tuple[str, ...]:
    parts: list[str] = []
    if req.interface is not Interface.BATCH:
        parts += ["clients", "load_balancer", "app"]
    if conc.process_pool_workers:
        parts.append("process_pool")
    if db is not None and (db.outbox or req.interface is Interface.EVENTS):
        parts += ["outbox_relay", "broker", "consumers"]
    elif req.interface is Interface.EVENTS or broker is not None:
        # a stream job with no service in front is itself the broker's consumer
        alone = req.interface is Interface.BATCH and data is not None
        parts += ["broker"] if alone else ["broker", "consumers"]
    if req.interface is Interface.WEBSOCKET:
        parts.append("redis")  # the pub/sub bus that reaches every worker's sockets
    if db is not None:
        if db.cache is Cache.REDIS:
            parts.append("redis")
        elif db.cache is Cache.LOCAL:
            parts.append("local_cache")
        if db.pgbouncer:
            parts.append("pgbouncer")
        parts.append("database")
        if db.read_replicas:
            parts.append("replicas")
    if data is not None:
        parts += ["data_job", "object_storage"]
        if data.mode is DataMode.STREAMING:
            parts.append("stream")
    parts.append("observability")
    return tuple(dict.fromkeys(parts))
