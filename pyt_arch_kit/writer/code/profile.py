"""What the code examples depend on, read once from the plan: one switch per branch."""

from __future__ import annotations

from dataclasses import dataclass

from pyt_arch_kit.planning.model import ConcurrencyModel, Plan

__all__ = ["Profile", "Timeouts", "profile", "timeouts"]

_DATA_KEYS = ("Kafka", "PySpark", "Dask", "polars", "pandas")


@dataclass(frozen=True)
class Profile:
    """The branches a design's code takes.

    Attributes:
        is_async: the request path runs on an event loop (asyncio or hybrid workers).
        web: ``"fastapi"``, ``"strawberry"``, ``"flask"``, ``"django"``, ``"grpc"`` or ``""``.
        dialect: ``"postgresql"``, ``"mysql"``, ``"mongodb"`` or ``""`` (no database).
        driver: the driver's import name (``asyncpg``, ``psycopg``, ``asyncmy``, ``pymysql``,
            ``pymongo``) or ``""``.
        cache: ``"redis"``, ``"local"`` or ``""``.
        ledger: the exactly-once command (SERIALIZABLE or outbox) is part of the design.
        broker: the broker key (``kafka``, ``pulsar``, ``rabbitmq``, ``sqs``) or ``""``.
        data: the data job's kind (``pandas``, ``polars``, ``Dask``, ``PySpark``, ``Kafka``,
            ``Spark streaming``) or ``""``.
        pgbouncer: connections go through PgBouncer in transaction mode.
        serve: the app is served over HTTP by gunicorn (REST, GraphQL, WebSocket, events).
    """

    is_async: bool
    web: str
    dialect: str
    driver: str
    cache: str
    ledger: bool
    broker: str
    data: str
    pgbouncer: bool
    serve: bool

    @property
    def url_scheme(self) -> str:
        """The SQLAlchemy (or MongoDB) URL scheme the code expects."""
        return {
            "asyncpg": "postgresql+asyncpg",
            "psycopg": "postgresql+psycopg",
            "asyncmy": "mysql+asyncmy",
            "pymysql": "mysql+pymysql",
            "pymongo": "mongodb",
        }.get(self.driver, "")

    @property
    def sql(self) -> bool:
        """The database is reached through SQLAlchemy (PostgreSQL or MySQL)."""
        return self.dialect in ("postgresql", "mysql")


@dataclass(frozen=True)
class Timeouts:
    """Time budgets derived from the p99 target, in seconds."""

    p99_s: float
    deadline_s: float
    attempt_s: float
    pool_s: float
    cache_s: float


def timeouts(plan: Plan) -> Timeouts:
    """Budgets under the p99 target: a call's retries all finish inside it."""
    p99 = (plan.requirements.latency.p99_ms or 1000) / 1000
    return Timeouts(
        p99_s=p99,
        deadline_s=round(0.8 * p99, 3),
        attempt_s=round(max(0.02, 0.8 * p99 / 3), 3),
        pool_s=round(max(0.05, p99 / 2), 3),
        cache_s=round(min(0.05, max(0.01, p99 / 10)), 3),
    )


def _web(framework: str) -> str:
    for needle, name in (
        ("grpcio", "grpc"),
        ("Strawberry", "strawberry"),
        ("FastAPI", "fastapi"),
        ("Flask", "flask"),
        ("Django", "django"),
    ):
        if needle in framework:
            return name
    return ""


def _data(plan: Plan) -> str:
    if plan.data is None:
        return ""
    tool = plan.data.tool
    if "Kafka" in tool and "Spark" in tool:
        return "Spark streaming"
    return next((k for k in _DATA_KEYS if k in tool), "pandas")


def profile(plan: Plan) -> Profile:
    """The branches this plan's code takes."""
    conc, db = plan.concurrency, plan.database
    iface = plan.requirements.interface.value if plan.requirements.interface else "rest"
    driver = ""
    if db is not None:
        driver = db.driver.split(" ")[0].lower()
        driver = "pymongo" if driver == "pymongo" else driver
    cache = ""
    if db is not None and db.cache.startswith("Redis"):
        cache = "redis"
    elif db is not None and db.cache.startswith("in-process"):
        cache = "local"
    return Profile(
        is_async=conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID),
        web=_web(conc.framework),
        dialect="" if db is None else db.engine,
        driver=driver,
        cache=cache,
        ledger=db is not None
        and db.engine in ("postgresql", "mysql")
        and (db.outbox or db.isolation.startswith("SERIALIZABLE")),
        broker=plan.broker.key if plan.broker else "",
        data=_data(plan),
        pgbouncer=db is not None and db.pgbouncer,
        serve=iface in ("rest", "graphql", "websocket", "events"),
    )
