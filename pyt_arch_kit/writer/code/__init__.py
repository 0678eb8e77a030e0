"""Runnable code for the critical parts of a design, filled in with the plan's numbers.

Each block starts with a ``# path`` comment naming the file it belongs in (``app/db.py``,
``gunicorn.conf.py`` …), so that the blocks together form a package a reader can run; the
verification suite (``tests/verify``) lays them out exactly so and runs them against real
services.
"""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code import (
    approvals,
    jobs,
    ledger,
    model,
    resilience,
    rpc,
    service,
    sockets,
)
from pyt_arch_kit.writer.code.profile import Profile, profile, timeouts

__all__ = ["Profile", "profile", "snippets"]


def snippets(plan: Plan) -> list[tuple[str, str]]:
    """``(title, python source)`` for each critical part the plan needs."""
    p, t = profile(plan), timeouts(plan)
    db = plan.database
    out: list[tuple[str, str]] = []
    # a data job with nothing else to run opens its own connections (the job's code): no
    # request-path settings or pool
    job = plan.pipeline is not None and not (p.serve or p.ledger or p.web == "grpc")
    if (db is not None or p.serve or p.web == "grpc") and not job:
        out.append(("Settings from the environment", service.settings(plan, p, t)))
    if db is not None and not job:
        title = {
            "mongodb": "MongoDB client per worker process",
            "redis": "Redis client per worker process (Redis is the store)",
        }.get(p.dialect, "Connection pool per worker process")
        out.append((title, service.database(plan, p)))
    if p.serve:
        out.append(("The app and its lifespan", service.app_module(plan, p)))
        if p.websocket:
            out.append(
                (
                    "WebSocket route: per-socket backpressure, Redis pub/sub fan-out",
                    sockets.websocket_module(plan),
                )
            )
        if p.model:
            out.append(
                ("The model: loaded before readiness, pinned, timed out", model.model_module(plan))
            )
        out.append(("Server configuration", service.server_config(plan, p)))
    if p.web == "grpc":
        out.append(("gRPC server", rpc.grpc_server(plan, p)))
    if plan.concurrency.process_pool_workers:
        out.append(("CPU work in a process pool", rpc.cpu_pool(plan)))
    if p.ledger:
        out.append(
            (
                "Exactly-once command: journal, row locks, idempotency key, outbox",
                ledger.ledger(p, t),
            )
        )
        if db is not None and db.outbox:
            out.append(("Outbox relay", jobs.outbox_relay(p)))
    if p.cache == "redis":
        out.append(("Cache-aside with a bounded TTL", resilience.cache(p)))
    elif p.cache == "local":
        out.append(("In-process TTL cache", resilience.cache(p)))
    if p.approvals:
        out.append(("Approvals: states, four eyes, audit trail", approvals.approvals_module()))
    if (p.serve and not p.low_traffic) or p.web == "grpc":  # a budget matters under load only
        out.append(
            ("Timeouts and retries: deadline, budget, transient errors", resilience.retries(p))
        )
    if plan.data is not None:
        kind, code = jobs.data_job(plan, p)
        out.append((f"Data job ({kind})", code))
    return out
