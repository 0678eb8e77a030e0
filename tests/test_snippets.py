"""The code a design hands out states the pitfalls right (read from the generated design).

These read the text; ``tests/verify`` runs the same code against real services.
"""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.presets import preset, preset_names
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.code import profile
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
    one = re.search(r"request_deadline_s: float = ([\d.]+)", code["app/settings.py"])
    assert one and f"DEADLINE_S = {one.group(1)} " in ledger
    assert "never wrap it in with_retries" in ledger
    mysql = _code("flask-threads-pymysql-ledger")["app/ledger.py"]
    assert "innodb_lock_wait_timeout = 1" in mysql and "1205:" in mysql


def test_the_relay_sends_outside_any_transaction_and_keys_each_leg_by_its_account() -> None:
    code = _code("payments-ledger")
    relay = code["app/relay.py"]
    sending = relay.index("await publish(")
    assert relay.rfind("session.begin()", 0, sending) < relay.rfind("return 0", 0, sending)
    assert "pg_advisory_xact_lock" not in relay and "outbox_relay" in relay
    assert "for account, amount in ((source, -cents), (target, cents))" in code["app/ledger.py"]


def test_cache_aside_catches_redis_errors_and_invalidates_on_write() -> None:
    code = _code("fastapi-asyncpg-redis")["app/cache.py"]
    assert "except RedisError" in code and "except OSError" not in code
    assert "def invalidate" in code
    assert "Retry(NoBackoff(), 0)" in code
    assert "from redis.asyncio.retry import Retry" in code  # the asyncio client's own Retry


def test_retries_have_a_deadline_a_budget_and_need_idempotency() -> None:
    name = "fastapi-asyncpg-redis"  # retries ride out Redis errors too
    code = _code(name)["app/retries.py"]
    assert "idempotent: bool" in code and "RetryBudget" in code and "ratio: float = 0.1" in code
    assert "httpx.TransportError" in code and "redis.exceptions.ConnectionError" in code
    p = plan(ALL[name])
    deadline = float(
        re.search(r"request_deadline_s: float = ([\d.]+)", _code(name)["app/settings.py"]).group(1)
    )  # type: ignore[union-attr]
    assert deadline < (p.requirements.latency.p99_ms or 0) / 1000


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


def test_spark_overwrites_only_the_days_it_computed() -> None:
    code = _code("big-data-pipeline")["app/job.py"]
    assert '"spark.sql.sources.partitionOverwriteMode", "dynamic"' in code


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


def test_a_tight_p99_leaves_room_for_a_retry_and_waits_for_no_connection_past_it() -> None:
    from pyt_arch_kit.writer.code.profile import timeouts

    t = timeouts(plan(preset("grpc-internal")))  # p99 25 ms
    assert t.pool_s < t.p99_s, "a pool wait longer than the p99 target"
    assert 2 * t.attempt_s <= t.deadline_s, "the deadline fits one attempt: no retry"


def test_time_series_upsert_on_the_natural_key_and_aggregate_in_real_time() -> None:
    text = write_design(plan(preset("timeseries-ingest")))
    assert "CREATE UNIQUE INDEX ON metrics (series_id, time DESC);" in text
    assert "ON CONFLICT (series_id, time) DO UPDATE" in text
    # the hourly rollup refreshes every 30 min: only real-time aggregation meets a 60 s freshness
    assert "timescaledb.materialized_only = false" in text
