"""The sections of the requirements, one model each, with bounds, help and the clarifying question.

Field descriptions, bounds and the clarifying question live on the model itself
(``json_schema_extra={"question": ...}``) so that the notebook form is generated from them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pyt_arch_kit.requirements.enums import (
    Architecture,
    Balancer,
    ConsistencyPriority,
    DatabaseKind,
    DataMode,
    DataShape,
    Hosting,
    WorkloadKind,
)

__all__ = [
    "Consistency",
    "Infrastructure",
    "Latency",
    "ProposedApproach",
    "Scale",
    "Workload",
]


def _q(question: str, **extra: Any) -> dict[str, Any]:
    return {"question": question, **extra}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Scale(_Section):
    """Load and data volume."""

    peak_rps: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Peak requests per second the system must serve.",
        json_schema_extra=_q("What peak request rate (requests/s) must it sustain?", widget="log"),
    )
    avg_rps: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Average requests per second over a day.",
        json_schema_extra=_q("What is the average request rate over a day?", widget="log"),
    )
    concurrent_users: int | None = Field(
        None,
        ge=0,
        le=1_000_000_000,
        description="Users connected at the same time at peak.",
        json_schema_extra=_q(
            "How many users are connected at the same time at peak?", widget="log"
        ),
    )
    clients: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Closed-loop clients: N users of a load test or workers of a fixed pool, "
        "each with one request outstanding; the rate follows from N / (response + think time).",
    )
    think_time_ms: float | None = Field(
        None,
        ge=0,
        le=3_600_000,
        description="Each closed-loop client's think time Z between a response and its next "
        "request, in ms (with clients; 0 when not given: a pool calling back to back).",
    )
    data_gb: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Data stored today, in GB.",
        json_schema_extra=_q("How much data is stored today (GB)?", widget="log"),
    )
    growth_gb_per_month: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="How fast stored data grows, in GB per month.",
        json_schema_extra=_q("How fast does the data grow (GB per month)?", widget="log"),
    )
    read_ratio: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Fraction of requests that only read (0.9 = 90 % reads).",
        json_schema_extra=_q("What fraction of requests only read data?"),
    )
    payload_kb: float | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="Typical request + response size, in KB.",
        json_schema_extra=_q("How large is a typical request and response (KB)?", widget="log"),
    )


class Latency(_Section):
    """Latency targets and the availability SLO."""

    p50_ms: float | None = Field(
        None,
        gt=0,
        le=3_600_000,
        description="Median latency target, in milliseconds.",
        json_schema_extra=_q("What median (p50) latency is acceptable (ms)?", widget="log"),
    )
    p99_ms: float | None = Field(
        None,
        gt=0,
        le=3_600_000,
        description="99th-percentile latency target (the SLA), in ms.",
        json_schema_extra=_q("What p99 latency does the SLA promise (ms)?", widget="log"),
    )
    target_percentile: float | None = Field(
        None,
        gt=0,
        lt=100,
        description="A percentile-threshold target's percentile, e.g. 80 in \"80 % of "
        'requests within 20 s" (with target_ms); sized for like the p99.',
    )
    target_ms: float | None = Field(
        None,
        gt=0,
        le=3_600_000,
        description="A percentile-threshold target's threshold in ms, e.g. 20000 in \"80 % of "
        'requests within 20 s" (with target_percentile).',
    )
    availability_pct: float | None = Field(
        None,
        ge=90,
        lt=100,
        description="Availability SLO in percent, e.g. 99.9.",
        json_schema_extra=_q("What availability SLO applies (e.g. 99.9 %)?"),
    )


class Consistency(_Section):
    """Consistency versus availability."""

    priority: ConsistencyPriority | None = Field(
        None,
        description="strong: never show stale or lost writes (ledgers); "
        "availability: stay up and fast, reconcile later; balanced: in between.",
        json_schema_extra=_q(
            "Under a partition or failover, is correctness (strong) or "
            "staying available more important?"
        ),
    )
    stale_read_tolerance_s: float | None = Field(
        None,
        ge=0,
        le=86_400,
        description="How old a read may be, in seconds (0 = never stale).",
        json_schema_extra=_q(
            "How stale may a read be (seconds)? This decides replicas and caching."
        ),
    )


class Workload(_Section):
    """Where the time of a request goes, and any bulk data processing."""

    kind: WorkloadKind | None = Field(
        None,
        description="io: waits on databases/services; cpu: computes; mixed: both.",
        json_schema_extra=_q("Is a request mostly waiting on IO, computing, or both?"),
    )
    cpu_ms_per_request: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="CPU time one request burns in Python, in ms.",
        json_schema_extra=_q(
            "How much CPU time does one request take (ms, profiled)?", widget="log"
        ),
    )
    io_wait_ms_per_request: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="Time one request waits on databases and other services, in ms.",
        json_schema_extra=_q("How long does one request wait on IO (ms)?", widget="log"),
    )
    db_calls_per_request: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="Database round trips per request.",
        json_schema_extra=_q("How many database round trips does a request make?"),
    )
    db_ms_per_call: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="Time one database call holds a connection, in ms.",
        json_schema_extra=_q(
            "How long does one database call hold a connection (ms)?", widget="log"
        ),
    )
    service_cv: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Coefficient of variation (standard deviation / mean) of a request's CPU "
        "time and of its IO wait: 0 = always the same, 1 = exponential, above 1 = heavy tails.",
        json_schema_extra=_q(
            "How variable is a request's time: what is the standard deviation of its CPU and "
            "IO time over the mean (1 = exponential; measure p99 / p50)?"
        ),
    )
    fanout_calls: int = Field(
        0,
        ge=0,
        le=10_000,
        description="Parallel downstream calls a request waits for: its IO wait is then the "
        "slowest of this many calls, each taking io_wait_ms_per_request (0 or 1: no fan-out).",
    )
    data_mode: DataMode = Field(
        DataMode.NONE,
        description="Bulk data processing besides requests: none, batch, streaming.",
    )
    data_shape: DataShape = Field(
        DataShape.RELATIONAL,
        description="What the stored data looks like: relational, time_series, key_value or "
        "document; picks the store when infrastructure.database is not given.",
    )
    batch_data_gb: float | None = Field(
        None,
        ge=0,
        le=100_000_000,
        description="Data one batch run or window processes, in GB.",
        json_schema_extra=_q("How much data does one batch run process (GB)?", widget="log"),
    )
    freshness_s: float | None = Field(
        None,
        ge=0,
        le=31_536_000,
        description="How fresh processed data must be, in seconds.",
        json_schema_extra=_q("How fresh must processed data be (seconds)?", widget="log"),
    )
    window_h: float | None = Field(
        None,
        ge=0.1,
        le=168,
        description="Hours one batch run must finish in (e.g. 6 for a nightly window).",
        json_schema_extra=_q(
            "In how many hours must one batch run finish (its window, e.g. 6 h at night)?"
        ),
    )
    shuffle_share: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Share of a data job's input it shuffles across the network (0 = map-only, "
        "1 = a sort; above 1 when joins expand it); sets the engine's MB/s per core.",
        json_schema_extra=_q(
            "What share of its input does the data job shuffle (0 map-only, 1 a full sort)?"
        ),
    )
    partition_mb_s: float | None = Field(
        None,
        gt=0,
        le=10_000,
        description="Producer throughput one Kafka partition takes, in MB/s (measured with "
        "kafka-producer-perf-test; the planner's stated figure is 10).",
    )
    consumer_mb_s: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="Throughput one consumer of the stream handles, in MB/s (e.g. 0.01 for "
        "1 KB events at 10/s); replaces the engine's stated figure.",
    )
    mb_per_s_per_core: float | None = Field(
        None,
        ge=0.0001,
        le=10_000,
        description="Measured throughput of one core of the data engine, in MB/s (overrides "
        "the planner's stated figure for the engine).",
    )
    events_per_s: float | None = Field(
        None,
        ge=0,
        le=100_000_000,
        description="Peak events per second a streaming job consumes.",
        json_schema_extra=_q("How many events per second arrive at peak?", widget="log"),
    )
    messages_per_s: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Messages a WebSocket service pushes per second at peak (score updates, "
        "chat messages), each sent to every socket subscribed to its channel.",
        json_schema_extra=_q("How many messages a second does the service push at peak?"),
    )
    sockets_per_message: int | None = Field(
        None,
        ge=1,
        le=1_000_000_000,
        description="Sockets one pushed message reaches (its channel's subscribers); every "
        "connected user when not given.",
    )
    cache_keys: int | None = Field(
        None,
        ge=1,
        le=1_000_000_000_000,
        description="Distinct keys (objects) reads ask for: the read cache's working set.",
        json_schema_extra=_q(
            "How many distinct objects do reads ask for (the cache's working set)?", widget="log"
        ),
    )
    cache_ttl_s: float | None = Field(
        None,
        gt=0,
        le=86_400,
        description="The read cache's TTL in seconds, at most the stale-read tolerance (the "
        "planner takes the tolerance up to 300 s for Redis, 60 s in-process, when not given).",
    )
    cache_zipf_alpha: float | None = Field(
        None,
        gt=0,
        le=3,
        description="Zipf exponent α of key popularity (pᵢ ∝ 1/iᵅ; web traces 0.64–0.83, "
        "Breslau et al. 1999); the planner assumes 0.8 when not given.",
    )
    cache_hit_ratio: float | None = Field(
        None,
        ge=0,
        le=1,
        description="A measured read-cache hit ratio (0–1); replaces the planner's TTL/Zipf "
        "model when set.",
    )


class Infrastructure(_Section):
    """Where it runs and what it must fit into."""

    hosting: Hosting | None = Field(
        None,
        description="cloud, on_prem or hybrid.",
        json_schema_extra=_q("Does it run in a cloud, on premises, or both?"),
    )
    database: DatabaseKind | None = Field(
        None,
        description="The primary data store (none if the service keeps no state).",
        json_schema_extra=_q("Which primary database is available or preferred?"),
    )
    db_cores: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="vCPU of the database server (the primary); sized from its load when "
        "not given.",
    )
    node_ram_gb: float | None = Field(
        None,
        ge=2,  # the OS and the node manager keep 1 GB: below 2 no executor has a heap
        le=65_536,
        description="RAM of one data-job worker node, in GB (sizes the executors' memory; "
        "8 GB per core when not given).",
    )
    balancer: Balancer | None = Field(
        None,
        description="How the load balancer spreads requests: random, round_robin, or "
        "least_outstanding (least outstanding requests / least connections); decides whether "
        "the instances queue apart or as one shared queue.",
        json_schema_extra=_q(
            "How does the load balancer pick an instance: random, round robin, or least "
            "outstanding requests?"
        ),
    )
    db_max_connections: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="The database server's connection limit (PostgreSQL max_connections).",
        json_schema_extra=_q("What is the database's connection limit (max_connections)?"),
    )
    cores_per_instance: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="CPU cores of one application instance (VM or pod).",
        json_schema_extra=_q("How many cores does one application instance have?"),
    )
    team_size: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Engineers who build and run the system.",
        json_schema_extra=_q("How many engineers will build and operate it?"),
    )
    existing_services: list[str] = Field(
        default_factory=list,
        description="Systems it must integrate with (e.g. Redis, Kafka).",
    )
    must_use: list[str] = Field(
        default_factory=list,
        description="Technologies that are mandated.",
    )
    must_avoid: list[str] = Field(
        default_factory=list,
        description="Technologies that are ruled out.",
    )


class ProposedApproach(_Section):
    """What the team already has in mind (the architect pushes back where it does not fit)."""

    architecture: Architecture | None = Field(
        None,
        description="monolith, modular_monolith, microservices or serverless.",
    )
    service_count: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="How many deployable services the proposal has.",
    )
    technologies: list[str] = Field(
        default_factory=list,
        description="Technologies the proposal relies on (e.g. kafka, kubernetes, asyncio).",
    )
    notes: str = Field("", max_length=4000, description="Anything else about the proposal.")
