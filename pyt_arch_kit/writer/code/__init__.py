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
    rest,
    rpc,
    service,
    sockets,
    timeseries,
)
from pyt_arch_kit.writer.code.profile import Profile, profile, timeouts

__all__ = ["Profile", "baseline_code", "profile", "snippets"]


def baseline_code(plan: Plan) -> tuple[str, ...]:
    """The baseline's modules this design runs beside its own blocks (``app/retries.py``: a
    retry budget matters under load only, not for a model's one short query, and only where a
    retry fits in the deadline), written by
    ``pyt-arch baseline --write``."""
    p = profile(plan)
    served = (p.serve and not p.low_traffic and not p.model) or p.web == "grpc"
    return ("app/retries.py",) if served and timeouts(plan).retries else ()


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
    route = ledger.transfer_route(p) if p.ledger and p.serve else None
    if p.serve:
        app = service.app_module(plan, p)
        out.append(("The app and its lifespan", _mount_transfers(app) if route else app))
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
        if p.ingest:
            out.append(
                (
                    "Batch ingest: validate, COPY, one idempotent upsert",
                    timeseries.ingest_module(plan),
                )
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
                ledger.ledger(p),
            )
        )
        if route:
            out.append(("Transfer route: the client from its API key, a status per outcome", route))
        if db is not None and db.outbox:
            out.append(("Outbox relay", jobs.outbox_relay(p)))
    if p.resource:
        out.append(("A resource: creates once per key, keyset pages", rest.items_module(p)))
    if p.cache == "redis":
        out.append(("Cache-aside with a bounded TTL", resilience.cache(p)))
    elif p.cache == "local":
        out.append(("In-process TTL cache", resilience.cache(p)))
    if p.approvals:
        out.append(("Approvals: states, four eyes, audit trail", approvals.approvals_module()))
    if plan.data is not None:
        kind, code = jobs.data_job(plan, p)
        out.append((f"Data job ({kind})", code))
    return out


def _mount_transfers(app: str) -> str:
    """``app/main.py`` with the ledger's ``app/transfers.py`` route mounted."""
    db_import = "from app.db import make_engine, make_sessions\n"
    mounted = app.replace(db_import, "from app import transfers\n" + db_import, 1)
    for made, mount in (
        ("app = FastAPI(lifespan=lifespan)\n", "app.include_router(transfers.router)"),
        ("app = Flask(__name__)\n", "app.register_blueprint(transfers.routes(Session))"),
    ):
        mounted = mounted.replace(made, f"{made}{mount}  # POST /transfers\n", 1)
    return mounted
