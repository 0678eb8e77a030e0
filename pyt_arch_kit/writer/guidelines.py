"""Implementation Guidelines: layout, the critical code, schema migrations, and testing."""

from __future__ import annotations

import math

from pyt_arch_kit.planning.model import Cache, ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, DataMode, Interface
from pyt_arch_kit.writer.code.profile import profile
from pyt_arch_kit.writer.inference import model_guideline
from pyt_arch_kit.writer.pipeline import spark_batch
from pyt_arch_kit.writer.rest import resource_guideline
from pyt_arch_kit.writer.snippets import snippets
from pyt_arch_kit.writer.sockets import socket_guideline, socket_load_test, sockets_held
from pyt_arch_kit.writer.tool import approvals_guideline

__all__ = ["implementation_guidelines"]

_LAYOUT = [
    "Structure the code in three layers, with dependencies pointing inwards:",
    "",
    "```text",
    "app/",
    "  domain/          # pure logic and types: no I/O, unit-tested with hypothesis",
    "  adapters/        # database, cache, HTTP clients, brokers (behind small protocols)",
    "  api/             # routes / servicers / consumers: parse, call domain, respond",
    "  settings.py      # pydantic-settings, read once at start-up",
    "  main.py          # composition root: wires adapters into the domain",
    "```",
    "",
]


def _grpc_guideline(plan: Plan) -> list[str]:
    """Pods, not instances; the deadline; the fan-out under it and, if the tail is close,
    hedging."""
    cap, conc = plan.capacity, plan.concurrency
    per = conc.workers_per_instance
    pods, left = cap.instances * per, cap.instances_after_failure * per
    try:
        floor = f"{fmt_number(plan.figure('autoscaling_floor').value * per)}–{pods}"
    except KeyError:
        floor = f"{pods}"
    text = (
        f"Deploy {pods} one-core pods ({cap.instances} instance(s) × {per}, one server "
        f"process each, `requests.cpu: 1`) spread over {cap.zones} zones: losing a zone leaves "
        f"{left} pods; autoscale {floor} pods; a PodDisruptionBudget of `maxUnavailable: 1`. "
        "A call's deadline is its caller's (`time_left`); overload answers "
        "RESOURCE_EXHAUSTED, a passed deadline DEADLINE_EXCEEDED; on SIGTERM the health "
        "service answers NOT_SERVING, then `server.stop(grace)` refuses new calls."
    )
    w, db = plan.resolved.workload, plan.database
    n = w.fanout_calls
    if n and conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID):
        k = min(n, math.ceil(w.db_calls_per_request)) if db is not None else 0
        reads = "the database read" if k == 1 else f"{k} database reads"
        others = "a call" if n - k == 1 else f"{n - k} calls"
        named = (
            (reads + (" (through the cache)" if db is not None and db.cache_ttl_s else ""))
            if k
            else ""
        ) + (
            (" and " if k else "") + f"{others} to other services (a channel each per process)"
            if n > k
            else ""
        )
        text += (
            f" Issue the {n} downstream calls at once (`fan_out`, each with the time left as "
            f"its `timeout`): {named}. The latency model takes all {n} at "
            f"{fmt_number(w.io_wait_ms_per_request)} ms"
        )
        if db is not None and k:
            text += (
                f"; the connection figures count the database {'read' if k == 1 else 'reads'}"
                f" alone, {'one pooled session' if k == 1 else f'{k} pooled sessions'} a "
                "request: about "
                f"{fmt_number(conc.in_flight_per_worker * k)} for a worker's requests in flight, "
                f"within its pool of {db.pool_size} + {db.max_overflow}"
            )
        text += "."
        target = plan.resolved.latency.p99_ms
        if cap.p99_ms > 0.9 * target:  # the tail is close: say how to cut it
            text += (
                f" The p99 ({fmt_number(cap.p99_ms)} ms) is within 10 % of {fmt_number(target)}"
                " ms: if the measured tail misses, resend a read still unanswered at its "
                "backend's p95 to another replica and take the first answer (hedged requests: "
                "J. Dean & L. A. Barroso, “The Tail at Scale”, CACM 2013)."
            )
    return [text, ""]


def _migrations(plan: Plan) -> list[str]:
    """A service's schema changes are the baseline's (expand/contract, versioned keys and
    documents), a job creates the table it loads: only TimescaleDB's DDL is this design's."""
    if plan.database is None or "app" not in plan.components:
        return []
    return _hypertable(plan)


def _hypertable(plan: Plan) -> list[str]:
    """TimescaleDB's DDL for the plan's chunk interval, compression and retention."""
    db = plan.database
    if db is None or db.engine is not DatabaseKind.TIMESCALEDB:
        return []
    figures = {f.key: f.value for f in plan.figures}
    chunk = figures.get("timescale_chunk_interval_h", 168.0)
    keep = figures.get("timescale_retention_days")
    compress = max(1, -(-int(chunk) // 24)) * 2
    sql = [
        "CREATE EXTENSION IF NOT EXISTS timescaledb;",
        "CREATE TABLE metrics (",
        "    time      timestamptz      NOT NULL,",
        "    series_id bigint           NOT NULL,",
        "    value     double precision NOT NULL",
        ");",
        "SELECT create_hypertable('metrics', by_range('time', "
        f"INTERVAL '{fmt_number(chunk)} hours'));",
        "-- the natural key: a replayed batch upserts instead of duplicating points",
        "CREATE UNIQUE INDEX ON metrics (series_id, time DESC);",
        "ALTER TABLE metrics SET (timescaledb.compress,",
        "    timescaledb.compress_segmentby = 'series_id', timescaledb.compress_orderby = 'time');",
        f"SELECT add_compression_policy('metrics', INTERVAL '{compress} days');",
    ]
    if keep:
        sql.append(f"SELECT add_retention_policy('metrics', INTERVAL '{fmt_number(keep)} days');")
    sql += [
        "-- rollups: a 1-min aggregate refreshed every minute (real-time: the raw rows past",
        "-- its last refresh, at most ~3 min of them, are added at query time), and the hourly",
        "-- dashboards' aggregate on top of it (sums and counts, so its averages are exact)",
        "CREATE MATERIALIZED VIEW metrics_1m",
        "    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS",
        "    SELECT series_id, time_bucket('1 minute', time) AS bucket,",
        "           sum(value) AS total, count(*) AS points, max(value) AS peak",
        "    FROM metrics GROUP BY series_id, bucket;",
        "SELECT add_continuous_aggregate_policy('metrics_1m', start_offset => INTERVAL '1 hour',",
        "    end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');",
        "CREATE MATERIALIZED VIEW metrics_1h",
        "    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS",
        "    SELECT series_id, time_bucket('1 hour', bucket) AS bucket,",
        "           sum(total) / sum(points) AS avg, max(peak) AS peak",
        "    FROM metrics_1m GROUP BY series_id, time_bucket('1 hour', bucket);",
        "SELECT add_continuous_aggregate_policy('metrics_1h', start_offset => INTERVAL '3 hours',",
        "    end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');",
    ]
    ingest = profile(plan).ingest
    if not ingest:
        sql += [
            "-- each batch of writes (COPY into a temp table, then this; or a multi-row VALUES):",
            "INSERT INTO metrics (time, series_id, value) VALUES ($1, $2, $3)",
            "    ON CONFLICT (series_id, time) DO UPDATE SET value = EXCLUDED.value;",
        ]
    return [
        "### Hypertable (TimescaleDB)",
        "",
        "An Alembic revision runs this DDL (`op.execute`); "
        + (
            "`app/ingest.py` writes the batches:"
            if ingest
            else "writes go in batches (`COPY` or multi-row `INSERT`), with the drivers and "
            "pools of PostgreSQL:"
        ),
        "",
        "```sql",
        *sql,
        "```",
        "",
        *_background_jobs(plan, chunk, compress),
    ]


def _background_jobs(plan: Plan, chunk: float, compress: int) -> list[str]:
    """Whether compression and the aggregates' refreshes fit beside the peak inserts."""
    db, s = plan.database, plan.resolved.scale
    assert db is not None
    rows = s.peak_rps * (1 - s.read_ratio) * plan.resolved.workload.points_per_request
    chunk_gb = s.growth_gb_per_month / 30 * max(1.0, s.peak_rps / max(s.avg_rps, 1e-9)) * chunk / 24
    return [
        "The jobs fit beside the peak inserts (their "
        f"{fmt_number(db.db_busy_connections)} busy connections on {db.db_cores} database "
        f"cores): compressing one {fmt_number(chunk)} h chunk "
        f"(≈ {fmt_number(round(chunk_gb))} GB) every {fmt_number(chunk)} h once it is "
        f"{compress} days old, and refreshing metrics_1m each minute over ≈ "
        f"{fmt_number(round(rows * 60 / 1e6, 1))} M new points, take a background worker "
        "and a core each. Alert when `timescaledb_information.job_stats` shows a failed run "
        "or a `last_run_duration` past half its schedule: the jobs are falling behind.",
        "",
    ]


_STORE_NAMES = {
    DatabaseKind.POSTGRESQL: "PostgreSQL",
    DatabaseKind.MYSQL: "MySQL",
    DatabaseKind.MONGODB: "MongoDB",
    DatabaseKind.TIMESCALEDB: "TimescaleDB",
    DatabaseKind.REDIS: "Redis",
}


def _services(plan: Plan) -> str:
    """The real services the integration tests start: the store, and Redis when it caches."""
    db = plan.database
    names = [] if db is None else [_STORE_NAMES.get(db.engine, db.engine.value)]
    if db is not None and db.cache is Cache.REDIS and "Redis" not in names:
        names.append("Redis")
    if plan.broker is not None:
        names.append(plan.broker.name)
    return ", ".join(names) or "the services it calls"


def _testing(plan: Plan) -> list[str]:
    cap = plan.capacity
    load = (
        [
            "- **Load**: locust at 1×, 2× and 3× the "
            f"{fmt_number(plan.resolved.scale.peak_rps)} req/s peak before launch; compare "
            f"p50, p99 and service_cv (std / mean) with the plan's (p50 ≈ "
            f"{fmt_number(cap.p50_ms)} ms, p99 ≈ {fmt_number(cap.p99_ms)} ms at cv "
            f"{fmt_number(cap.service_cv)}) and re-plan with the measured ones.",
        ]
        if "app" in plan.components
        else [
            "- **Load**: replay an hour of the topic at the peak rate into a staging table; "
            "every trigger's batch duration stays under the trigger.",
        ]
        if plan.pipeline is not None and plan.pipeline.sink_rows_per_s
        else [
            "- **Load**: a full-size run on a copy of the data, timed, before the first "
            "scheduled one.",
        ]
    )
    if "app" in plan.components:  # unit and integration tests are the baseline's
        return [
            "### Testing strategy",
            "",
            *(
                [
                    "- **Unit**: hypothesis properties: no customer balance ever negative; every "
                    "transfer's postings sum to zero."
                ]
                if plan.database is not None and plan.database.isolation.locks_rows
                else []
            ),
            socket_load_test(plan)
            if sockets_held(plan)
            else f"- **Load**: locust to 3× the {fmt_number(plan.resolved.scale.peak_rps)} "
            f"req/s peak; expect p50 ≈ {fmt_number(cap.p50_ms)} ms, p99 ≈ "
            f"{fmt_number(cap.p99_ms)} ms (cv {fmt_number(cap.service_cv)}).",
        ]
    if plan.pipeline is not None and plan.pipeline.sink_rows_per_s:  # a Spark stream
        return [
            "### Testing strategy",
            "",
            "- **Unit**: `sessions` and `upsert` under a local Spark against a throwaway "
            "PostgreSQL: a late event inside the watermark updates its session's row, a 30-min "
            "gap closes a session, and a batch written twice leaves the same rows.",
            *load,
        ]
    if "app" not in plan.components and (unit := _spark_batch_unit(plan)):
        return [
            "### Testing strategy",
            "",
            unit,
            "- **Load**: a full-size run on a copy of the data, timed, before the first "
            "scheduled one; re-plan with its MB/s per core (workload.mb_per_s_per_core).",
        ]
    if "app" not in plan.components and plan.pipeline is not None:  # a data job
        return [
            "### Testing strategy",
            "",
            "- **Unit**: each function of `app/job.py` on a few hand-written rows (pytest, a "
            "local engine): records either side of midnight UTC, a late or changed record, and "
            + (
                "a batch replayed after a restart that writes the same rows."
                if plan.pipeline.mode is DataMode.STREAMING
                else "a rerun that leaves the same output."
            ),
            *load,
        ]
    return [
        "### Testing strategy",
        "",
        "- **Unit**: the domain layer with pytest and hypothesis properties"
        + (
            " (no customer balance ever negative; every transfer's postings sum to zero)."
            if plan.database is not None and plan.database.isolation.locks_rows
            else "."
        ),
        "- **Integration**: adapters against real services in containers "
        f"({_services(plan)}), including pool exhaustion and timeouts.",
        *load,
    ]


def implementation_guidelines(plan: Plan) -> str:
    """Layout, the critical code, schema migrations, and how to test it."""
    conc = plan.concurrency
    service = "app" in plan.components  # its layout and event-loop rules are the baseline's
    job = not service and plan.pipeline is not None  # one module: app/job.py
    out = [] if service or job else list(_LAYOUT)
    if not service and conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID):
        out += [
            "Never block the event loop: no `requests`, no `time.sleep`, no sync drivers on "
            "the request path. Run with `PYTHONASYNCIODEBUG=1` in tests to catch slow "
            "callbacks.",
            "",
        ]
    out += socket_guideline(plan)
    out += model_guideline(plan)
    out += approvals_guideline(plan)
    out += resource_guideline(plan)
    if plan.resolved.interface is Interface.GRPC:
        out += _grpc_guideline(plan)
    if service:  # one heading: each block's first line names its file, then what it is
        out += ["### Code", ""]
    for title, code in snippets(plan):
        if service:
            first, _, rest = code.rstrip("\n").partition("\n")
            head = f"{first} — {title[0].lower()}{title[1:]}"
            out += ["```python", head, *([rest] if rest else []), "```", ""]
        else:
            out += [f"### {title}", "", "```python", code.rstrip("\n"), "```", ""]
    out += _migrations(plan)
    out += _testing(plan)
    return "\n".join(out).rstrip()


def _spark_batch_unit(plan: Plan) -> str:
    """A Spark batch job's unit tests: the cases its own code must get right ("" otherwise)."""
    if (p := spark_batch(plan)) is None:
        return ""
    if p.versions_kept:
        return (
            "- **Unit** (pytest, a local Spark): an order created just before midnight UTC and "
            "refunded days later keeps its day and shows the refund; three days over four "
            "tasks write at most `files` + 2 files; `prune()` drops a failed run."
        )
    return (
        "- **Unit** (pytest, a local Spark, a real PostgreSQL): events either side of "
        "midnight UTC land in their `dt=` day; a day loaded twice, or with doubled rows, "
        "leaves the same rows; a reader during the swap sees the whole day."
    )
