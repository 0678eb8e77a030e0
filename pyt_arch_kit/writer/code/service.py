"""The service's code: settings, database engine, the app, its server and its CPU pool."""

from __future__ import annotations

from pyt_arch_kit.planning.choices import WorkerClass
from pyt_arch_kit.planning.database import limit_for
from pyt_arch_kit.planning.model import ConcurrencyModel, Plan
from pyt_arch_kit.planning.practices import LB_IDLE_TIMEOUT_S, SERVER_KEEPALIVE_S
from pyt_arch_kit.writer.code._template import fill
from pyt_arch_kit.writer.code.profile import Profile, Timeouts
from pyt_arch_kit.writer.code.stores import redis_store

__all__ = ["app_module", "database", "server_config", "settings"]

DROP = "@drop@"

_SETTINGS = '''
    # app/settings.py
    @secret_import@
    from pydantic_settings import BaseSettings, SettingsConfigDict


    class Settings(BaseSettings):
        """Configuration from the environment (12-factor); secrets never logged.

        Every number here is the plan's, and the code reads these fields: change one with an
        environment variable (APP_POOL_SIZE=…), never by editing a copy elsewhere.
        """

        model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")

        @fields@


    settings = Settings()  # raises a clear validation error at start-up if misconfigured
'''


def settings(plan: Plan, p: Profile, t: Timeouts) -> str:
    """``app/settings.py``: the plan's numbers as typed, overridable settings."""
    db = plan.database
    fields: list[str] = []
    if db is not None:
        per_process = db.pool_size + db.max_overflow
        fields.append(f"database_url: SecretStr  # {p.url_scheme}://user:password@host/db")
        if p.dialect in ("mongodb", "redis"):  # one cap per client, no overflow
            fields.append(f"max_pool_size: int = {per_process}  # connections per worker process")
        else:
            fields += [
                f"pool_size: int = {db.pool_size}  # connections per worker process",
                f"max_overflow: int = {db.max_overflow}  # extra connections a burst may open",
            ]
        fields.append(
            f"pool_timeout_s: float = {t.pool_s}  # wait for a connection, then fail fast"
        )
    if p.cache == "redis":
        fields.append('redis_url: str = "redis://cache:6379/0"')
    if p.cache == "redis":
        fields.append(f"cache_timeout_s: float = {t.cache_s}  # a slow cache costs at most this")
    if p.websocket:
        fields += [
            'pubsub_url: str = "redis://cache:6379/0"  # the bus: its own client, not the cache\'s',
            "ws_token_secret: SecretStr  # signs the short-lived tickets sockets connect with",
            "ws_queue_max: int = 64  # messages a socket may fall behind before it is dropped",
            "ws_send_timeout_s: float = 10.0  # one frame to one client",
        ]
    if p.model:
        fields += [
            'model_path: str = "models/model.json"',
            "model_version: str  # pinned per release: no default, a deploy cannot forget it",
            f"inference_timeout_s: float = {t.deadline_s}  # past it: the fail-closed decision",
            'on_timeout: str = "review"  # fail closed: held for review, never allowed unscored',
            "review_above: float = 0.5  # scores from here are held for review",
        ]
    if p.cache:
        fields.append(
            f"cache_ttl_s: float = {db.cache_ttl_s if db else 0:g}"
            "  # the stale-read tolerance from the requirements"
        )
    if p.serve or p.web == "grpc" or p.dialect == "redis":
        fields += [
            f"request_deadline_s: float = {t.deadline_s}  # a call with its retries: under the p99",
            f"attempt_timeout_s: float = {t.attempt_s}  # one try of an outbound call",
        ]
    return fill(
        _SETTINGS,
        fields="\n    ".join(fields),
        secret_import="from pydantic import SecretStr" if db or p.websocket else DROP,
    )


_SQL_ENGINE = '''
    # app/db.py
    from sqlalchemy@ext@ import @Engine@, @create_engine@
    from sqlalchemy@orm@ import @Session@, @sessionmaker@

    from app.settings import settings


    def make_engine() -> @Engine@:
        """One engine (and pool) per worker process, created after the fork, never at import.

        @processes@ processes × (@pool@ + @overflow@) = @total@ connections @bound@.
        """
        return @create_engine@(
            settings.database_url.get_secret_value(),  # @scheme@://…
            pool_size=settings.pool_size,  # @pool_why@
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout_s,  # fail fast rather than queue past the p99
            pool_pre_ping=True,
            pool_recycle=1800,@connect_args@
        )


    def make_sessions(engine: @Engine@) -> @sessionmaker@[@Session@]:
        """Sessions bound to this process's engine; one short transaction per unit of work."""
        return @sessionmaker@(engine, expire_on_commit=False)
'''

_MONGO = '''
    # app/db.py
    from typing import Any

    from pymongo import @Client@

    from app.settings import settings


    def make_client() -> @Client@[dict[str, Any]]:
        """One client (and pool) per worker process, created after the fork, never at import.

        @processes@ processes × @per_process@ = @total@ connections at most.
        """
        return @Client@(
            settings.database_url.get_secret_value(),  # mongodb://…
            maxPoolSize=settings.max_pool_size,
            waitQueueTimeoutMS=int(settings.pool_timeout_s * 1000),
            serverSelectionTimeoutMS=int(settings.request_deadline_s * 1000),
            retryWrites=True,
            w="majority",
        )
'''

_PGBOUNCER = {
    "asyncpg": (
        "\n        # PgBouncer in transaction mode: no server-side prepared statements"
        "\n        connect_args={"
        '"statement_cache_size": 0, "prepared_statement_cache_size": 0},'
    ),
    "psycopg": (
        "\n        # PgBouncer in transaction mode: no server-side prepared statements"
        '\n        connect_args={"prepare_threshold": None},'
    ),
}


def database(plan: Plan, p: Profile) -> str:
    """``app/db.py``: the engine (or client) built from the settings, per process."""
    db, cap, conc = plan.database, plan.capacity, plan.concurrency
    assert db is not None
    processes = cap.instances * conc.workers_per_instance
    usable = db.connection_limit - db.reserved_connections
    if p.dialect == "redis":
        return redis_store(plan, p)
    if p.dialect == "mongodb":
        return fill(
            _MONGO,
            Client="AsyncMongoClient" if p.is_async else "MongoClient",
            processes=processes,
            per_process=db.pool_size + db.max_overflow,
            total=processes * (db.pool_size + db.max_overflow),
        )
    names = (
        {
            "ext": ".ext.asyncio",
            "orm": ".ext.asyncio",
            "Engine": "AsyncEngine",
            "create_engine": "create_async_engine",
            "Session": "AsyncSession",
            "sessionmaker": "async_sessionmaker",
        }
        if p.is_async
        else {
            "ext": "",
            "orm": ".orm",
            "Engine": "Engine",
            "create_engine": "create_engine",
            "Session": "Session",
            "sessionmaker": "sessionmaker",
        }
    )
    text = fill(
        _SQL_ENGINE,
        processes=processes,
        pool=db.pool_size,
        overflow=db.max_overflow,
        total=db.total_connections,
        bound=(
            f"to PgBouncer,\n    which multiplexes them onto ≤ {usable} server connections"
            if p.pgbouncer
            else f"≤ {usable} usable"
            if db.total_connections <= usable
            else f"> {usable} usable:\n    raise max_connections to at least "
            f"{limit_for(db.total_connections):,} (see the connection pool decision)"
        ),
        scheme=p.url_scheme,
        pool_why="≈ 2 × busy connections per worker (Little's law)"
        if p.is_async
        else f"one per {conc.worker_class} thread",
        connect_args=_PGBOUNCER.get(p.driver, "") if p.pgbouncer else "",
        **names,
    )
    if p.is_async:  # one import line for the four asyncio names
        text = text.replace(
            "from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n",
            "from sqlalchemy.ext.asyncio import (\n    AsyncEngine,\n    AsyncSession,\n"
            "    async_sessionmaker,\n    create_async_engine,\n)\n",
        )
    return text


_FASTAPI = '''
    # app/main.py
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    @graphql_imports@
    @local_imports@


    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Per worker process, after the fork: open the pool and clients, close them on exit."""
        @open_db@
        @start_pool@
        try:
            yield
        finally:
            @stop_pool@
            @close_db@


    app = FastAPI(lifespan=lifespan)
    @graphql@


    @app.get("/healthz")
    @def@ healthz() -> dict[str, str]:
        """Liveness and readiness of this process; it does not query the shared database, so a
        database blip does not pull every instance out of rotation at once."""
        return {"status": "ok"}
'''

_GRAPHQL_IMPORTS = "import strawberry\nfrom strawberry.fastapi import GraphQLRouter"
_GRAPHQL = '''

    @strawberry.type
    class Query:
        @strawberry.field
        def health(self) -> str:
            """The schema's smallest query; add your types next to it."""
            return "ok"


    app.include_router(GraphQLRouter(strawberry.Schema(query=Query)), prefix="/graphql")
'''

_FLASK = '''
    # app/main.py
    from flask import Flask

    @db_import@

    # gunicorn imports this module in each worker after the fork (preload_app = False), so
    # every worker process gets its own pool.
    @open_db@
    app = Flask(__name__)


    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness and readiness of this process; it does not query the shared database."""
        return {"status": "ok"}
'''

_FLASK_MODEL = '''
    # app/main.py
    from flask import Flask

    @db_import@
    from app.model import model, routes
    from app.settings import settings

    # gunicorn imports this module in each worker after the fork (preload_app = False), so
    # every worker process gets its own pool, and loads its model before it accepts.
    @open_db@
    model.load(settings.model_path, settings.model_version)
    app = Flask(__name__)
    app.register_blueprint(routes)  # /readyz, /score


    @app.get("/healthz")
    def healthz() -> dict[str, str | None]:
        """Liveness of this process and the model version it serves."""
        return {"status": "ok", "model_version": model.version}
'''

_DJANGO = '''
    # app/main.py
    from django.conf import settings as django_settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    @db_import@


    def healthz(request: HttpRequest) -> JsonResponse:
        """Liveness and readiness of this process; it does not query the shared database."""
        return JsonResponse({"status": "ok"})


    urlpatterns = [path("healthz", healthz)]
    django_settings.configure(
        ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="set-from-the-environment"
    )
    # gunicorn imports this module in each worker after the fork: one pool per worker.
    @open_db@
    app = get_wsgi_application()
'''


def app_module(plan: Plan, p: Profile) -> str:
    """``app/main.py``: the web app with its per-process resources and a health route."""
    db, pool = p.dialect, plan.concurrency.process_pool_workers
    if p.web in ("fastapi", "strawberry"):
        if db == "mongodb":
            db_import, open_db = "from app.db import make_client", "app.state.db = make_client()"
            close_db = ("await " if p.is_async else "") + "app.state.db.close()"
        elif db == "redis":
            db_import, open_db = "from app.db import make_client", "app.state.db = make_client()"
            close_db = "await app.state.db.aclose()" if p.is_async else "app.state.db.close()"
        elif db:
            db_import = "from app.db import make_engine, make_sessions"
            open_db = "engine = make_engine()\napp.state.sessions = make_sessions(engine)"
            close_db = ("await " if p.is_async else "") + "engine.dispose()"
        else:
            db_import = open_db = close_db = DROP
        cpu_import = "from app.cpu import start_pool, stop_pool" if pool else DROP
        if p.websocket:  # one pub/sub listener per worker process, for the process's sockets
            db_import = "\n".join(
                line
                for line in (
                    db_import,
                    "from app.settings import settings",
                    "from app.ws import listen, router",
                )
                if line != DROP
            )
            open_db = "\n".join(
                line
                for line in (
                    open_db,
                    "app.state.bus = Redis.from_url(settings.pubsub_url)  # not the cache's",
                    "listener = asyncio.create_task(listen(app.state.bus))",
                )
                if line != DROP
            )
            close_db = "\n        ".join(
                line
                for line in ("listener.cancel()", "await app.state.bus.aclose()", close_db)
                if line != DROP
            )
        text = fill(
            _FASTAPI,
            graphql_imports=_GRAPHQL_IMPORTS if p.web == "strawberry" else DROP,
            graphql=fill(_GRAPHQL) if p.web == "strawberry" else DROP,
            local_imports="\n".join(
                ["", *(line for line in (db_import, cpu_import) if line != DROP)]
            )
            if db or pool or p.websocket
            else DROP,
            open_db=open_db.replace("\n", "\n    "),
            close_db=close_db,
            start_pool="start_pool()" if pool else DROP,
            stop_pool="stop_pool()" if pool else DROP,
            **{"def": "async def" if p.is_async else "def"},
        )
        if not (db or pool or p.websocket):
            text = text.replace("    try:\n        yield\n    finally:\n", "    yield\n")
        if p.websocket:
            text = text.replace(
                "from collections.abc import AsyncIterator\n",
                "import asyncio\nfrom collections.abc import AsyncIterator\n",
            )
            text = text.replace(
                "from fastapi import FastAPI\n",
                "from fastapi import FastAPI\nfrom redis.asyncio import Redis\n",
            )
            text = text.replace(
                "app = FastAPI(lifespan=lifespan)\n",
                "app = FastAPI(lifespan=lifespan)\napp.include_router(router)  # /ws/{channel}\n",
            )
        return text.replace("\n\n\n\n\n", "\n\n\n")
    if db in ("mongodb", "redis"):
        db_import, open_db = "from app.db import make_client", "db = make_client()"
    elif db:
        db_import = "from app.db import make_engine, make_sessions"
        open_db = "Session = make_sessions(make_engine())"
    else:
        db_import = open_db = DROP
    if p.model:
        return fill(_FLASK_MODEL, db_import=db_import, open_db=open_db)
    return fill(_DJANGO if p.web == "django" else _FLASK, db_import=db_import, open_db=open_db)


_GUNICORN = """
    # gunicorn.conf.py — @instances@ instance(s) × @cores@ cores each
    bind = "0.0.0.0:8000"
    workers = @workers@  # @formula@
    worker_class = "@worker_class@"
    @threads_line@
    timeout = 30  # kill a stuck worker; the p99 target is @p99@ ms
    graceful_timeout = 30  # finish in-flight requests on deploy
    @keepalive_line@
    preload_app = False  # import the app in each worker after the fork: a pool per process
    @threads_env@
    @recycle@
"""


def server_config(plan: Plan, p: Profile) -> str:
    """``gunicorn.conf.py`` for the workers the plan sized."""
    cap, conc = plan.capacity, plan.concurrency
    asgi = p.web in ("fastapi", "strawberry")
    worker_class = (
        "uvicorn_worker.UvicornWorker"
        if asgi
        else ("gthread" if conc.worker_class is WorkerClass.GTHREAD else "sync")
    )
    return fill(
        _GUNICORN,
        instances=cap.instances,
        cores=cap.cores_per_instance,
        workers=conc.workers_per_instance,
        worker_class=worker_class,
        threads_line=f"threads = {conc.threads_per_worker}  # per worker: overlaps the IO waits"
        if worker_class == "gthread"
        else DROP,
        # gunicorn's sync worker closes every connection after its response (no keepalive)
        keepalive_line=f"keepalive = {SERVER_KEEPALIVE_S}  # above the LB's idle timeout "
        f"({LB_IDLE_TIMEOUT_S} s on common cloud LBs)"
        if worker_class != "sync"
        else DROP,
        p99=f"{plan.resolved.latency.p99_ms:g}",
        formula=plan.figure("workers_per_instance").formula,
        threads_env=(
            "# one thread per process in numeric libraries (numpy, scikit-learn, torch): "
            f"{conc.workers_per_instance} processes\n"
            f"# × {cap.cores_per_instance} OpenMP/BLAS threads each would oversubscribe "
            f"the {cap.cores_per_instance} cores\n"
            'raw_env = ["OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1"]'
        )
        if conc.model is ConcurrencyModel.PROCESSES
        else DROP,
        # a recycled worker drops every socket it holds at once: a reconnect storm
        recycle="# no max_requests: each worker holds its sockets; restart them by draining"
        if p.websocket
        else "max_requests = 5000  # recycle workers to bound slow leaks\n"
        "max_requests_jitter = 500",
    )
