"""Implementation Guidelines: layout, the critical code, schema migrations, and testing."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Cache, ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, DataMode, Interface
from pyt_arch_kit.writer.inference import model_guideline
from pyt_arch_kit.writer.snippets import snippets
from pyt_arch_kit.writer.sockets import socket_guideline
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
        "-- real-time aggregation: the materialized hours plus the raw rows not yet",
        "-- materialized, so a dashboard is as fresh as the last insert, not the last refresh",
        "CREATE MATERIALIZED VIEW metrics_1h",
        "    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS",
        "    SELECT series_id, time_bucket('1 hour', time) AS bucket, avg(value), max(value)",
        "    FROM metrics GROUP BY series_id, bucket;",
        "SELECT add_continuous_aggregate_policy('metrics_1h', start_offset => INTERVAL '3 hours',",
        "    end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');",
        "-- each batch of writes (COPY into a temp table, then this; or a multi-row VALUES):",
        "INSERT INTO metrics (time, series_id, value) VALUES ($1, $2, $3)",
        "    ON CONFLICT (series_id, time) DO UPDATE SET value = EXCLUDED.value;",
    ]
    return [
        "### Hypertable (TimescaleDB)",
        "",
        "An Alembic revision runs this DDL (`op.execute`); writes go in batches "
        "(`COPY` or multi-row `INSERT`), with the drivers and pools of PostgreSQL:",
        "",
        "```sql",
        *sql,
        "```",
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
                    "- **Unit**: hypothesis properties: no balance ever negative; every "
                    "transfer's postings sum to zero."
                ]
                if plan.database is not None and plan.database.isolation.locks_rows
                else []
            ),
            f"- **Load**: locust to 3× the {fmt_number(plan.resolved.scale.peak_rps)} req/s "
            f"peak; expect p50 ≈ {fmt_number(cap.p50_ms)} ms, p99 ≈ {fmt_number(cap.p99_ms)} ms "
            f"(cv {fmt_number(cap.service_cv)}).",
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
            " (no balance ever negative; every transfer's postings sum to zero)."
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
    if plan.resolved.interface is Interface.GRPC:
        out += [
            f"Run {conc.workers_per_instance} server containers (one process, one core each) "
            "per instance. A call's deadline is its caller's (`time_left`); overload answers "
            "RESOURCE_EXHAUSTED, a passed deadline DEADLINE_EXCEEDED, a draining server "
            "UNAVAILABLE.",
            "",
        ]
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
