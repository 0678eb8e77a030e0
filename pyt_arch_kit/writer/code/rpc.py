"""The gRPC server (processes forked before any gRPC object) and the CPU process pool."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["cpu_pool", "grpc_server"]

DROP = "@drop@"

_GRPC = """
    # app/grpc_server.py
    \"\"\"One server process per container, a core each (@workers@ per instance), each its own
    address for the balancer: processes sharing a port (SO_REUSEPORT) get connections, not
    calls.\"\"\"

    from collections.abc import @Callable@
    @futures_import@

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    @db_import@

    OPTIONS = [
        ("grpc.max_connection_age_ms", 300_000),  # clients reconnect every 5 min: rebalances
        ("grpc.max_connection_age_grace_ms", 30_000),  # let in-flight calls finish
        ("grpc.keepalive_time_ms", 30_000),
        # accept CLIENT_OPTIONS' pings; a server that does not answers GOAWAY too_many_pings
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 30_000),
        ("grpc.max_concurrent_streams", 256),
    ]
    #: Channel options for this service's clients: pings the server above permits.
    CLIENT_OPTIONS = [
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ]
    Register = Callable[[@Server@@db_type@], None]  # e.g. add_ServiceServicer_to_server


    def time_left(context: @Context@, ceiling_s: float) -> float:
        \"\"\"The caller's deadline, propagated: pass it to with_retries(deadline_s=...) and
        as the timeout of every call this one makes. ``ceiling_s`` (settings.request_deadline_s)
        bounds a caller that set no deadline.\"\"\"
        left = context.time_remaining()
        return ceiling_s if left is None else max(0.0, min(ceiling_s, left))


    @async@def serve(register: Register, port: int = 50051, host: str = "[::]") -> None:
        \"\"\"Run one server until it is stopped. Above maximum_concurrent_rpcs calls in flight,
        gRPC answers RESOURCE_EXHAUSTED; a call past its deadline ends DEADLINE_EXCEEDED.\"\"\"
        @open_db@
        server = @make_server@(
            @executor@options=OPTIONS,
            maximum_concurrent_rpcs=@max_rpcs@,  # shed load above ~2x the in-flight per worker
        )
        register(server@db_arg@)
        # grpc.health.v1 for the probes (grpc_health_probe, or Kubernetes' grpc probe)
        health_servicer = health.@health_servicer@
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        server.add_insecure_port(f"{host}:{port}")  # or ssl credentials, or mTLS at the mesh
        @await@server.start()
        @await@health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        try:
            @await@server.wait_for_termination()
        finally:
            @close_db@
"""


def grpc_server(plan: Plan, p: Profile) -> str:
    """``app/grpc_server.py``: N processes forked before any gRPC object, SO_REUSEPORT."""
    conc = plan.concurrency
    sql = p.sql
    if sql:
        session_type = "async_sessionmaker[AsyncSession]" if p.is_async else "sessionmaker[Session]"
        db_import = (
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n\n"
            if p.is_async
            else "from sqlalchemy.orm import Session, sessionmaker\n\n"
        ) + "from app.db import make_engine, make_sessions"
        open_db = "engine = make_engine()  # the pool belongs to this process"
        close_db = ("await " if p.is_async else "") + "engine.dispose()"
        db_arg, db_type = ", make_sessions(engine)", f", {session_type}"
    elif p.dialect == "redis":
        module = "redis.asyncio" if p.is_async else "redis"
        db_import = f"import {module} as redis\n\nfrom app.db import make_client"
        open_db = "client = make_client()  # the pool belongs to this process"
        close_db = "await client.aclose()" if p.is_async else "client.close()"
        db_arg, db_type = ", client", ", redis.Redis"
    elif p.dialect == "mongodb":
        db_import = "from typing import Any\n\nfrom pymongo import " + (
            "AsyncMongoClient\n\nfrom app.db import make_client"
            if p.is_async
            else "MongoClient\n\nfrom app.db import make_client"
        )
        client = "AsyncMongoClient" if p.is_async else "MongoClient"
        open_db = "client = make_client()  # the pool belongs to this process"
        close_db = ("await " if p.is_async else "") + "client.close()"
        db_arg, db_type = ", client", f", {client}[dict[str, Any]]"
    else:
        db_import = open_db = close_db = DROP
        db_arg = db_type = ""
    return fill(
        _GRPC,
        futures_import="from concurrent import futures" if not p.is_async else DROP,
        Callable="Callable",
        Server="grpc.aio.Server" if p.is_async else "grpc.Server",
        Context="grpc.aio.ServicerContext[object, object]"
        if p.is_async
        else "grpc.ServicerContext",
        make_server="grpc.aio.server" if p.is_async else "grpc.server",
        executor="" if p.is_async else "futures.ThreadPoolExecutor(max_workers=1),\n        ",
        health_servicer="aio.HealthServicer()" if p.is_async else "HealthServicer()",
        workers=conc.workers_per_instance,
        max_rpcs=max(8, round(2 * conc.in_flight_per_worker) + 8),
        db_import=db_import,
        open_db=open_db,
        close_db=close_db
        if close_db != DROP
        else "server.stop(None)"
        if not p.is_async
        else "await server.stop(None)",
        db_arg=db_arg,
        db_type=db_type,
        **flavour(p.is_async),
    )


_PROCESS_POOL = '''
    # app/cpu.py
    import asyncio
    from concurrent.futures import ProcessPoolExecutor

    _pool: ProcessPoolExecutor | None = None


    def start_pool() -> None:
        """Call from the app's lifespan, after the server forked its workers."""
        global _pool
        _pool = ProcessPoolExecutor(max_workers=@pool_workers@)  # cores / workers − 1


    def stop_pool() -> None:
        """Call when the lifespan ends: waits for running tasks, frees the processes."""
        global _pool
        if _pool is not None:
            _pool.shutdown()
            _pool = None


    def score(features: list[float]) -> float:
        """The CPU-bound step: a module-level pure function, so it pickles cheaply."""
        total = 0.0
        for i, x in enumerate(features):
            total += (x * (i + 1)) ** 0.5 if x > 0 else 0.0
        return total


    async def predict(features: list[float]) -> float:
        """Run the CPU work off the event loop so other requests keep flowing."""
        if _pool is None:
            raise RuntimeError("start_pool() was not called")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_pool, score, features)
'''


def cpu_pool(plan: Plan) -> str:
    """``app/cpu.py``: CPU work in a process pool off the event loop."""
    return fill(_PROCESS_POOL, pool_workers=plan.concurrency.process_pool_workers)
