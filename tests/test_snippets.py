"""The code a design hands out states the pitfalls right (read from the generated design).

These read the text; ``tests/verify`` runs the same code against real services.
"""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.baseline import baseline_modules
from pyt_arch_kit.presets import preset, preset_names
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.code import baseline_code, profile
from pyt_arch_kit.writer.pins import CHECKED, NEWEST, RANGES
from pyt_arch_kit.writer.stack import PINS_ROW, stack
from tests.verify.designs import DESIGNS, uncovered
from tests.verify.harness import blocks

ALL = {**{n: preset(n) for n in preset_names()}, **DESIGNS}


def _code(name: str) -> dict[str, str]:
    return {b.path: b.code for b in blocks(write_design(plan(ALL[name])))}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_block_names_its_file_and_compiles(name: str) -> None:
    for path, code in _code(name).items():
        compile(code, path, "exec")


@pytest.mark.parametrize("name", sorted(ALL))
def test_imports_stay_inside_the_stack(name: str) -> None:
    """No block imports a library its Technology Stack does not list (e.g. fastapi in gRPC)."""
    p = plan(ALL[name])
    listed = {re.split(r"[\[<>=]", lib)[0].lower() for lib, _, _ in stack(p)}
    import_names = {
        "pydantic_settings": "pydantic-settings",
        "sqlalchemy": "sqlalchemy",
        "psycopg": "psycopg",
        "confluent_kafka": "confluent-kafka",
        "uvicorn_worker": "uvicorn-worker",
        "dask": "dask",
        "pyspark": "pyspark",
        "strawberry": "strawberry-graphql",
        "grpc": "grpcio",
        "grpc_health": "grpcio-health-checking",
        "cachetools": "cachetools",
        "pymongo": "pymongo",
        "pymysql": "pymysql",
    }
    stdlib = {
        "asyncio",
        "base64",
        "collections",
        "concurrent",
        "datetime",
        "contextlib",
        "dataclasses",
        "hashlib",
        "hmac",
        "json",
        "math",
        "multiprocessing",
        "os",
        "pathlib",
        "signal",
        "types",
        "random",
        "socket",
        "threading",
        "time",
        "typing",
        "uuid",
    }
    for path, code in _code(name).items():
        for top in re.findall(r"^\s*(?:from|import) (\w+)", code, re.M):
            if top in stdlib or top in ("app", "__future__"):
                continue
            assert import_names.get(top, top).lower() in listed, f"{name} {path} imports {top}"


def test_grpc_design_has_no_web_framework_and_creates_its_engine() -> None:
    code = _code("grpc-internal")["app/grpc_server.py"]
    assert "fastapi" not in code
    assert "make_engine()" in code
    assert "grpc.max_connection_age_ms" in code


def test_grpc_is_one_process_per_container_with_health_and_the_callers_deadline() -> None:
    """No SO_REUSEPORT across forked processes (the kernel spreads connections, not calls);
    grpc.health.v1 for the probes; the caller's deadline, not a fixed one; gRPC status codes."""
    p = plan(ALL["grpc-internal"])
    design = write_design(p)
    code = _code("grpc-internal")["app/grpc_server.py"]
    assert "so_reuseport" not in code and "multiprocessing" not in code
    assert "add_HealthServicer_to_server" in code and "context.time_remaining()" in code
    assert "grpcio-health-checking" in {lib for lib, _, _ in stack(p)}
    assert "429" not in design and "503 " not in design
    assert "RESOURCE_EXHAUSTED" in design and "DEADLINE_EXCEEDED" in design


def test_a_sync_flask_app_gets_the_sync_redis_client() -> None:
    code = _code("flask-pgbouncer-psycopg")
    assert "from redis import Redis" in code["app/cache.py"]
    assert "redis.asyncio" not in "".join(code.values())


def test_the_ledger_locks_in_id_order_retries_deadlocks_and_keeps_keys_a_day() -> None:
    code = _code("payments-ledger")["app/ledger.py"]
    assert "ORDER BY id FOR UPDATE" in code and '"READ COMMITTED"' in code
    assert '"40P01"' in code and '"40001"' not in code  # no SERIALIZABLE: no 40001 to retry
    assert "INSERT INTO postings" in code  # the journal: two postings per transfer
    assert "interval '24 hours'" in code and "fingerprint" in code
    assert "PRIMARY KEY (client_id, idem_key)" in code
    assert "event_id uuid NOT NULL UNIQUE" in code and "aggregate_key" in code
    assert "debit.rowcount != 1" in code
    assert "CREATE TABLE IF NOT EXISTS accounts" in code  # the DDL is part of the block


def test_the_ledger_cuts_lock_waits_and_retries_at_one_layer_within_the_one_deadline() -> None:
    """A hot account's lock wait ends at the deadline (55P03 retried), and the ledger's retry
    loop uses the request deadline the settings give, not a second budget of its own."""
    code = _code("payments-ledger")
    ledger = code["app/ledger.py"]
    assert "set_config('lock_timeout', :t, true)" in ledger and '"55P03"' in ledger
    assert "MAX_ATTEMPTS" not in ledger
    assert "request_deadline_s: float" in code["app/settings.py"]
    # the deadline is read from the settings, never a copy that an override would miss
    assert "time.monotonic() + settings.request_deadline_s" in ledger
    assert "DEADLINE_S =" not in ledger
    assert "never wrap it in with_retries" in ledger
    mysql = _code("flask-threads-pymysql-ledger")["app/ledger.py"]
    assert "innodb_lock_wait_timeout = 1" in mysql and "1205:" in mysql


def test_the_relay_sends_outside_any_transaction_and_keys_each_leg_by_its_account() -> None:
    code = _code("payments-ledger")
    relay = code["app/relay.py"]
    sending = relay.index("await publish(")
    assert relay.rfind("session.begin()", 0, sending) < relay.rfind("return 0", 0, sending)
    # the whole batch in flight at once, not a broker round trip per event
    assert "send_and_wait" not in relay and "await asyncio.gather(*acks)" in relay
    assert "def lag_s(" in relay
    assert "pg_advisory_xact_lock" not in relay and "outbox_relay" in relay
    assert "for account, amount in ((source, -cents), (target, cents))" in code["app/ledger.py"]


def test_cache_aside_catches_redis_errors_and_invalidates_on_write() -> None:
    code = _code("fastapi-asyncpg-redis")["app/cache.py"]
    assert "except RedisError" in code and "except OSError" not in code
    assert "def invalidate" in code
    assert "Retry(NoBackoff(), 0)" in code
    assert "from redis.asyncio.retry import Retry" in code  # the asyncio client's own Retry


def test_retries_have_a_deadline_a_budget_and_need_idempotency() -> None:
    """The baseline's app/retries.py, which a busy service runs beside its own blocks, reads
    the deadline the design's settings carry."""
    name = "fastapi-asyncpg-redis"  # retries ride out Redis errors too
    code = baseline_modules()["app/retries.py"]
    assert "idempotent: bool" in code and "RetryBudget" in code and "ratio: float = 0.1" in code
    assert '("httpx", "TransportError")' in code
    assert '("redis.exceptions", "ConnectionError")' in code
    assert "settings.request_deadline_s" in code and "settings.attempt_timeout_s" in code
    p = plan(ALL[name])
    assert baseline_code(p) == ("app/retries.py",) and "app/retries.py" not in _code(name)
    deadline = float(
        re.search(r"request_deadline_s: float = ([\d.]+)", _code(name)["app/settings.py"]).group(1)
    )  # type: ignore[union-attr]
    assert deadline == p.figure("request_deadline_ms").value / 1000  # the plan's, not a rule


def test_settings_pool_fields_are_what_the_engine_reads() -> None:
    code = _code("io-bound-api")
    assert "pool_size=settings.pool_size" in code["app/db.py"]
    assert "max_overflow=settings.max_overflow" in code["app/db.py"]
    p = plan(preset("io-bound-api"))
    assert f"pool_size: int = {p.database.pool_size}" in code["app/settings.py"]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(ALL))
def test_keepalive_only_where_the_worker_honours_it(name: str) -> None:
    conf = _code(name).get("gunicorn.conf.py")
    if conf is None:
        return
    if 'worker_class = "sync"' in conf:
        assert "keepalive =" not in conf
    else:
        assert int(re.search(r"keepalive = (\d+)", conf).group(1)) > 60  # type: ignore[union-attr]


def test_spark_never_overwrites_a_live_path_and_reads_only_its_day() -> None:
    code = _code("big-data-pipeline")["app/job.py"]
    assert "partitionOverwriteMode" not in code and 'mode("errorifexists")' in code
    assert '.option("basePath", source)' in code and '.parquet(f"{source}/dt={day}")' in code


def test_mongodb_designs_get_pymongo_not_sqlalchemy() -> None:
    for name in ("websocket-mongodb-pulsar", "flask-processes-mongodb-sync"):
        code = "".join(_code(name).values())
        assert "sqlalchemy" not in code.lower() and "pymongo" in code
        assert not any(lib.startswith("SQLAlchemy") for lib, _, _ in stack(plan(ALL[name])))


def test_every_range_admits_the_newest_release_in_the_dated_table() -> None:
    from packaging.requirements import Requirement

    for key, spec in RANGES.items():
        req = Requirement(f"{key}{spec}")
        assert req.specifier.contains(NEWEST[req.name], prereleases=True), key


def test_the_design_states_the_date_its_pins_were_checked() -> None:
    text = write_design(plan(preset("io-bound-api")))
    assert f"each range admits the newest PyPI release of {CHECKED}" in text  # a service
    assert f"| {PINS_ROW} | `{CHECKED}` |" in write_design(plan(preset("nightly-batch")))


def test_the_verification_designs_take_every_branch() -> None:
    assert uncovered() == []
    assert {profile(plan(r)).web for r in DESIGNS.values()} >= {"grpc", "django", "strawberry"}


def test_a_websocket_design_hands_out_its_route_library_and_no_worker_recycling() -> None:
    code = _code("realtime-websocket")
    assert '@router.websocket("/ws/{channel}")' in code["app/ws.py"]
    assert "asyncio.QueueFull" in code["app/ws.py"] and "psubscribe" in code["app/ws.py"]
    assert "app.include_router(router)" in code["app/main.py"]
    assert "max_requests =" not in code["gunicorn.conf.py"]
    assert "websockets" in [row[0] for row in stack(plan(preset("realtime-websocket")))]


def test_a_tight_p99_waits_for_no_connection_past_it() -> None:
    from pyt_arch_kit.writer.code.profile import timeouts

    t = timeouts(plan(preset("grpc-internal")))  # p99 25 ms
    assert t.pool_s < t.p99_s, "a pool wait longer than the p99 target"


def test_time_series_upsert_on_the_natural_key_and_aggregate_in_real_time() -> None:
    text = write_design(plan(preset("timeseries-ingest")))
    assert "CREATE UNIQUE INDEX ON metrics (series_id, time DESC);" in text
    assert "ON CONFLICT (series_id, time) DO UPDATE" in text


def test_time_series_rollups_read_minutes_of_raw_rows_not_hours() -> None:
    """Review (second round), timeseries-ingest 2: an hourly aggregate refreshed every 30 min
    with end_offset 1 h made dashboards aggregate up to 1.5 h of raw rows. A 1-min aggregate
    refreshed every minute (real time past it: ~3 min of raw rows), the hourly one on top."""
    text = write_design(plan(preset("timeseries-ingest")))
    assert "time_bucket('1 minute', time)" in text
    assert (
        "add_continuous_aggregate_policy('metrics_1m', start_offset => INTERVAL '1 hour',\n"
        "    end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');"
    ) in text
    assert "FROM metrics_1m GROUP BY series_id, time_bucket('1 hour', bucket);" in text
    assert "sum(total) / sum(points)" in text  # an hour's average weighs each minute's points
    assert "end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes'" not in text


def test_time_series_dedupe_on_the_natural_key_alone() -> None:
    """Review (second round), timeseries-ingest 3: idempotency keys on top of the natural-key
    upsert added ~1,800 writes/s and ~117 M key rows a day for one concern."""
    p = plan(preset("timeseries-ingest"))
    assert p.database is not None and not p.database.idempotency_keys
    text = write_design(p)
    assert "**Idempotency:**" not in text and "idempotency keys scoped" not in text
    assert "ON CONFLICT (series_id, time) DO UPDATE" in text
