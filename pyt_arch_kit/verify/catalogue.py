"""What the checker knows about components and packages: names, libraries and import names.

Two tables:

- the **components** a plan chooses between (database engines, caches, brokers, frameworks, data
  tools, platforms), each with the words that name it in prose or a diagram and the libraries on
  PyPI that bring it into a stack;
- the **import names** of distributions whose import name differs from their name on PyPI
  (``pyyaml`` → ``yaml``, ``grpcio`` → ``grpc``, ``scikit-learn`` → ``sklearn`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyt_arch_kit.planning.choices import Cache, DataTool, Framework, Server
from pyt_arch_kit.requirements.enums import Interface

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = [
    "COMPONENTS",
    "Component",
    "chosen_components",
    "distribution_names",
    "import_names",
    "normalise",
    "rejected_components",
]


@dataclass(frozen=True)
class Component:
    """A component a plan can choose, and how a design names it.

    Attributes:
        key: a stable identifier (``"postgresql"``).
        name: its name for people (``"PostgreSQL"``).
        kind: ``database``, ``cache``, ``broker``, ``framework``, ``data tool`` or ``platform``.
        words: regular expressions (matched case-insensitively as whole words) that name it in
            prose or a diagram.
        libraries: normalised distribution names whose presence in a stack means this component.
        carriers: distributions that can carry it but also other things (``boto3`` for SQS and
            S3): they count for naming it, never against a plan that chose otherwise.
        exclusive: whether the plan always decides its kind, so that naming it in a diagram or
            stack when the plan chose otherwise is a problem. Data tools (Dask is pandas
            underneath) and platforms (the plan rarely picks one) are not: naming them is a
            problem only when the team proposed them and the plan pushed back.
    """

    key: str
    name: str
    kind: str
    words: tuple[str, ...]
    libraries: tuple[str, ...]
    exclusive: bool = True
    carriers: tuple[str, ...] = ()

    def named_in(self, text: str) -> bool:
        """Whether the text names this component."""
        return any(re.search(rf"(?<!\w){w}(?!\w)", text, re.I) for w in self.words)


COMPONENTS: tuple[Component, ...] = (
    Component(
        "postgresql",
        "PostgreSQL",
        "database",
        ("postgresql", "postgres"),
        ("asyncpg", "psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary", "pgbouncer"),
    ),
    Component(
        "mysql",
        "MySQL",
        "database",
        ("mysql", "mariadb"),
        ("asyncmy", "pymysql", "aiomysql", "mysqlclient", "mysql-connector-python"),
    ),
    Component("mongodb", "MongoDB", "database", ("mongodb", "mongo"), ("pymongo", "motor")),
    # TimescaleDB is a PostgreSQL extension: its plan chooses PostgreSQL too (same drivers).
    Component(
        "timescaledb", "TimescaleDB", "database", ("timescaledb", "timescale"), ("timescaledb",)
    ),
    Component("redis", "Redis", "cache", ("redis",), ("redis", "hiredis")),
    Component(
        "in-process",
        "an in-process cache",
        "cache",
        ("in-process", "cachetools", "TTLCache", "lru_cache"),
        ("cachetools",),
    ),
    Component("memcached", "Memcached", "cache", ("memcached",), ("pymemcache", "aiomcache")),
    Component(
        "kafka",
        "Kafka",
        "broker",
        ("kafka",),
        ("confluent-kafka", "aiokafka", "kafka-python", "faust-streaming"),
    ),
    Component("pulsar", "Pulsar", "broker", ("pulsar",), ("pulsar-client",)),
    Component("rabbitmq", "RabbitMQ", "broker", ("rabbitmq", "amqp"), ("pika", "aio-pika")),
    Component("sqs", "Amazon SQS", "broker", ("sqs",), (), carriers=("boto3", "aioboto3")),
    Component("fastapi", "FastAPI", "framework", ("fastapi",), ("fastapi",)),
    Component("flask", "Flask", "framework", ("flask",), ("flask",)),
    Component("django", "Django", "framework", ("django",), ("django",)),
    Component(
        "strawberry", "Strawberry GraphQL", "framework", ("strawberry",), ("strawberry-graphql",)
    ),
    Component("grpc", "gRPC", "framework", ("grpc", "grpcio"), ("grpcio",)),
    Component("pandas", "pandas", "data tool", ("pandas",), ("pandas",), exclusive=False),
    Component("polars", "polars", "data tool", ("polars",), ("polars",), exclusive=False),
    Component("dask", "Dask", "data tool", ("dask",), ("dask", "distributed"), exclusive=False),
    Component(
        "pyspark", "PySpark", "data tool", ("pyspark", "spark"), ("pyspark",), exclusive=False
    ),
    Component(
        "kubernetes",
        "Kubernetes",
        "platform",
        ("kubernetes", "k8s"),
        ("kubernetes",),
        exclusive=False,
    ),
)


#: The catalogue's keys for each typed choice of a plan.
_FRAMEWORK_KEYS: dict[Framework, frozenset[str]] = {
    Framework.FASTAPI: frozenset({"fastapi"}),
    Framework.STRAWBERRY: frozenset({"strawberry", "fastapi"}),
    Framework.FLASK: frozenset({"flask"}),
    Framework.DJANGO: frozenset({"django"}),
    Framework.GRPCIO: frozenset({"grpc"}),
    Framework.GRPC_AIO: frozenset({"grpc"}),
    Framework.BATCH_JOB: frozenset(),
    Framework.STREAM_JOB: frozenset(),
    Framework.FLASK_CONSUMER: frozenset({"flask"}),
    Framework.FASTAPI_CONSUMERS: frozenset({"fastapi"}),
}
_PLATFORM_KEYS: dict[Server, frozenset[str]] = {
    Server.SCHEDULER: frozenset({"kubernetes"}),
    Server.SUPERVISOR: frozenset({"kubernetes"}),
}
_TOOL_KEYS: dict[DataTool, frozenset[str]] = {
    DataTool.SPARK_STREAMING: frozenset({"kafka", "pyspark"}),
    DataTool.KAFKA_CONSUMERS: frozenset({"kafka"}),
    DataTool.PANDAS: frozenset({"pandas"}),
    DataTool.POLARS: frozenset({"polars"}),
    DataTool.DASK: frozenset({"dask"}),
    DataTool.PYSPARK: frozenset({"pyspark"}),
}
_CACHE_KEYS: dict[Cache, frozenset[str]] = {
    Cache.REDIS: frozenset({"redis"}),
    Cache.LOCAL: frozenset({"in-process"}),
}


def chosen_components(plan: Plan) -> set[str]:
    """The keys of the components the plan chose, read from the fields that carry each choice.

    The engine comes from the database plan, the cache from its cache decision, the broker from
    the broker plan (or a streaming data tool), the framework from the concurrency plan, the data
    tool from the data plan, and the platform from the server (``Kubernetes CronJob``).
    """
    conc, db, data, broker = plan.concurrency, plan.database, plan.data, plan.broker
    keys = set(_FRAMEWORK_KEYS[conc.framework] | _PLATFORM_KEYS.get(conc.server, frozenset()))
    if broker is not None:
        keys.add(broker.key.value)
    if data is not None:
        keys |= _TOOL_KEYS[data.tool]
    if plan.resolved.interface is Interface.WEBSOCKET:
        keys.add("redis")  # the pub/sub bus of the sockets, whatever the cache
    if db is not None:
        keys.add(db.engine.value)
        if db.engine.postgres:
            keys.add("postgresql")
        keys |= _CACHE_KEYS.get(db.cache, frozenset())
    return keys


def rejected_components(plan: Plan) -> set[str]:
    """The keys of the components the team proposed (or mandated) that the plan did not choose."""
    req = plan.requirements
    named = "\n".join([*req.proposed.technologies, *req.infrastructure.must_use])
    return {c.key for c in COMPONENTS if c.named_in(named)} - chosen_components(plan)


#: Distributions whose import names differ from the distribution name (normalised, PEP 503).
_IMPORTS: dict[str, tuple[str, ...]] = {
    "aio-pika": ("aio_pika",),
    "aioboto3": ("aioboto3", "aiobotocore", "botocore"),
    "apache-airflow": ("airflow",),
    "attrs": ("attr", "attrs"),
    "beautifulsoup4": ("bs4",),
    "boto3": ("boto3", "botocore"),
    "confluent-kafka": ("confluent_kafka",),
    "cpython": (),
    "dask": ("dask",),
    "faust-streaming": ("faust",),
    "fastapi": ("fastapi", "starlette"),
    "grpcio": ("grpc",),
    "grpcio-health-checking": ("grpc_health",),
    "grpcio-reflection": ("grpc_reflection",),
    "grpcio-status": ("grpc_status",),
    "grpcio-tools": ("grpc_tools", "google"),
    "kafka-python": ("kafka",),
    "msgpack-python": ("msgpack",),
    "mysql-connector-python": ("mysql",),
    "mysqlclient": ("MySQLdb",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "pgbouncer": (),
    "timescaledb": (),  # a server extension, not a Python package
    "pillow": ("PIL",),
    "protobuf": ("google",),
    "psycopg-binary": ("psycopg",),
    "psycopg-pool": ("psycopg_pool",),
    "psycopg2-binary": ("psycopg2",),
    "pulsar-client": ("pulsar",),
    "pydantic": ("pydantic", "pydantic_core"),
    "pydantic-settings": ("pydantic_settings",),
    "pyjwt": ("jwt",),
    "pymongo": ("pymongo", "bson", "gridfs"),
    "python-dateutil": ("dateutil",),
    "python-dotenv": ("dotenv",),
    "python-jose": ("jose",),
    "python-multipart": ("multipart", "python_multipart"),
    "pytorch": ("torch",),
    "pyyaml": ("yaml",),
    "pyzmq": ("zmq",),
    "scikit-learn": ("sklearn",),
    "strawberry-graphql": ("strawberry",),
    "uvicorn-worker": ("uvicorn_worker",),
}
#: Extras that bring another importable distribution (``dask[distributed]``).
_EXTRAS: dict[tuple[str, str], tuple[str, ...]] = {
    ("dask", "distributed"): ("distributed",),
    ("dask", "complete"): ("distributed",),
    ("ray", "default"): (),
}
_DISTRIBUTION = re.compile(r"[A-Za-z][A-Za-z0-9._-]*(?:\[[A-Za-z0-9._,\s-]*\])?")


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them: lower case, runs of ``-_.`` as ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_names(cell: str) -> list[str]:
    """The distribution names (with extras) a stack cell mentions, e.g. ``psycopg[binary]``."""
    cell = re.sub(r"[`*]", "", cell)
    return [m.group(0).rstrip("._-") for m in _DISTRIBUTION.finditer(cell)]


def import_names(distribution: str) -> set[str]:
    """The top-level import names a distribution (``"dask[distributed]"``) provides.

    Example:
        >>> sorted(import_names("dask[distributed]"))
        ['dask', 'distributed']
        >>> import_names("opentelemetry-sdk")
        {'opentelemetry'}
    """
    base, _, extras = distribution.partition("[")
    key = normalise(base.strip())
    if key.startswith(("opentelemetry-", "google-cloud-", "google-api-")):
        names = {key.split("-")[0]}
    elif key.startswith("types-"):
        names = set()
    else:
        names = set(_IMPORTS.get(key, (key.replace("-", "_"),)))
    for extra in extras.rstrip("]").split(","):
        names.update(_EXTRAS.get((key, normalise(extra.strip())), ()))
    return names
