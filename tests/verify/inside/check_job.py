"""The data job writes the columns (and partitions) it says, with the right sums."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import sys
from pathlib import Path
from typing import Any

import app.job as job
import pytest

SOURCE = inspect.getsource(job)


def sample(path: Path, day: dt.date) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = dt.datetime.combine(day, dt.time(8))
    table = pa.table(
        {
            "customer_id": [1, 1, 2, 2, 2],
            "amount": [10.0, 5.0, 1.0, 2.0, 3.0],
            "ts": [start + dt.timedelta(minutes=i) for i in range(5)],
        }
    )
    pq.write_table(table, path)


def read_all(target: Path) -> list[dict[str, object]]:
    import pyarrow.dataset as ds

    table = ds.dataset(str(target), format="parquet", partitioning="hive").to_table()
    return table.to_pylist()


def test_the_job_writes_its_columns(tmp_path: Path) -> None:
    if "confluent_kafka" in SOURCE:
        pytest.skip("a consumer: see test_the_consumer_config_is_valid")
    if "pyspark" in SOURCE:
        pytest.skip("see test_spark_keeps_earlier_days")
    source, target = tmp_path / "in.parquet", tmp_path / "out.parquet"
    sample(source, dt.date(2026, 1, 5))
    job.run(str(source), str(target))
    rows = read_all(target)
    assert set(rows[0]) == set(job.COLUMNS)
    totals = {(r["customer_id"], str(r["day"])[:10]): r["amount"] for r in rows}
    assert totals == {(1, "2026-01-05"): 15.0, (2, "2026-01-05"): 6.0}
    if "partition_on" in SOURCE:
        assert (target / "day=2026-01-05").is_dir()


def _spark() -> Any:
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import this venv's packages
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def test_spark_load_reads_its_day_and_swaps_a_deduplicated_partition_into_postgresql(
    tmp_path: Path,
) -> None:
    """The daily job reads only its UTC day's ``dt=`` directory into a fresh path; the load
    COPYs into staging, takes doubled rows (a retried task) once, and swaps the day's own
    partition in: a rerun gives the same rows, other days stay, a reader never sees half."""
    if "pyspark" not in SOURCE or not hasattr(job, "load"):
        pytest.skip("not a Spark job with a load")
    spark = _spark()
    try:
        import threading

        import psycopg
        import pyarrow as pa
        import pyarrow.parquet as pq

        lake = tmp_path / "lake"
        for day in (dt.date(2026, 1, 7), dt.date(2026, 1, 8)):
            start = dt.datetime.combine(day, dt.time(23, 50))
            (lake / f"dt={day}").mkdir(parents=True)
            pq.write_table(
                pa.table(
                    {
                        "customer_id": [1, 1, 2],
                        "page": ["/", "/cart", "/"],
                        "ts": [start + dt.timedelta(minutes=i) for i in range(3)],
                    }
                ),
                lake / f"dt={day}" / "part-0.parquet",
            )
        target = tmp_path / "daily"
        d7, d8 = dt.date(2026, 1, 7), dt.date(2026, 1, 8)
        p8 = job.run(str(lake), str(target), d8, "run1", spark=spark)
        written = spark.read.parquet(p8).collect()
        assert sorted((r["customer_id"], r["events"], r["pages"]) for r in written) == [
            (1, 2, 2),
            (2, 1, 1),
        ]
        p7 = job.run(str(lake), str(target), d7, "run1", spark=spark)
        dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
        assert job.load(spark, p7, d7, dsn) == 2
        assert job.load(spark, p8, d8, dsn) == 2
        # a retried COPY task: the same rows twice in what the load reads
        doubled = tmp_path / "doubled"
        doubled.mkdir()
        for i, f in enumerate(Path(p8).glob("*.parquet")):
            for copy in ("a", "b"):
                (doubled / f"{copy}{i}.parquet").write_bytes(f.read_bytes())
        seen: set[int] = set()
        done = threading.Event()

        def read() -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                while not done.is_set():
                    row = conn.execute(
                        "SELECT count(*) FROM daily_customer_metrics WHERE day = %s", (d8,)
                    ).fetchone()
                    seen.add(row[0] if row else -1)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for _ in range(2):  # a rerun replaces the day: the same rows
                assert job.load(spark, str(doubled), d8, dsn) == 2
        finally:
            done.set()
            reader.join()
        assert seen == {2}, seen  # the old day or the new, never none, half or double
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                "SELECT day, customer_id, events, pages FROM daily_customer_metrics ORDER BY 1, 2"
            ).fetchall()
            parts = conn.execute(
                "SELECT count(*) FROM pg_inherits "
                "WHERE inhparent = 'daily_customer_metrics'::regclass"
            ).fetchone()
            left = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%stage%' "
                "OR tablename LIKE '%new'"
            ).fetchone()
        assert [(str(d), c, e, p) for d, c, e, p in rows] == [
            ("2026-01-07", 1, 2, 2),
            ("2026-01-07", 2, 1, 1),
            ("2026-01-08", 1, 2, 2),
            ("2026-01-08", 2, 1, 1),
        ]
        assert parts == (2,), "one partition a day, swapped whole"
        assert left == (0,), "the staging tables are dropped with the swap"
    finally:
        spark.stop()


def test_spark_rebuild_takes_each_order_s_latest_state_and_commits_atomically(
    tmp_path: Path,
) -> None:
    """A refund of an earlier day's order is in the rebuilt facts; the table moves to the new
    version in one step, and the old version stays readable for a rollback."""
    if "pyspark" not in SOURCE or not hasattr(job, "rebuild"):
        pytest.skip("not a Spark rebuild")
    spark = _spark()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def orders(path: Path, changes: list[tuple[int, str, str]]) -> None:
            created = dt.datetime(2026, 1, 5, 23, 30)  # 23:30 UTC: day 2026-01-05
            pq.write_table(
                pa.table(
                    {
                        "order_id": [o for o, _, _ in changes],
                        "customer_id": [7 for _ in changes],
                        "status": [s for _, s, _ in changes],
                        "amount": [10.0 for _ in changes],
                        "created_at": [created + dt.timedelta(minutes=o) for o, _, _ in changes],
                        "updated_at": [dt.datetime.fromisoformat(u) for _, _, u in changes],
                    }
                ),
                path,
            )

        source = tmp_path / "orders"
        source.mkdir()
        orders(
            source / "a.parquet", [(1, "paid", "2026-01-05T23:31"), (2, "paid", "2026-01-05T23:32")]
        )
        first = job.rebuild(str(source), str(tmp_path / "v"), "run1", spark=spark)
        job.commit(spark, "order_facts", first)
        orders(source / "b.parquet", [(1, "refunded", "2026-01-09T10:00")])  # days later
        second = job.rebuild(str(source), str(tmp_path / "v"), "run2", spark=spark)
        before = spark.table("order_facts").collect()
        assert not any(r["refunded"] for r in before), "readers saw the new version early"
        job.commit(spark, "order_facts", second)
        facts = {
            r["order_id"]: (r["status"], r["refunded"], str(r["day"]))
            for r in spark.table("order_facts").collect()
        }
        assert facts == {
            1: ("refunded", True, "2026-01-05"),
            2: ("paid", False, "2026-01-05"),
        }
        assert sorted(job.COLUMNS) == sorted(spark.read.parquet(second).columns)
        assert len(spark.read.parquet(first).collect()) == 2, "the old version is kept"
        (tmp_path / "v" / "run3").mkdir()  # a failed run: no _SUCCESS
        kept = job.prune(spark, "order_facts", str(tmp_path / "v"))
        assert kept == ["run1", "run2"][-job.KEEP :]
        assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["run1", "run2"]
        third = job.rebuild(str(source), str(tmp_path / "v"), "run4", spark=spark)
        job.commit(spark, "order_facts", third)
        assert job.prune(spark, "order_facts", str(tmp_path / "v")) == ["run2", "run4"]
        assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["run2", "run4"]
        assert len(spark.table("order_facts").collect()) == 2
        tables = {t.name for t in spark.catalog.listTables()}
        assert "order_facts_run1" not in tables and "order_facts_run4" in tables
    finally:
        spark.stop()


def test_spark_rebuild_writes_about_files_files_not_one_per_task_and_day(tmp_path: Path) -> None:
    """Orders of three days over four shuffle tasks: the rebuild writes each day from the
    tasks that hold it (range partitioning), ≤ files + days − 1 files, not tasks × days."""
    if "pyspark" not in SOURCE or not hasattr(job, "rebuild"):
        pytest.skip("not a Spark rebuild")
    spark = _spark()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        spark.conf.set("spark.sql.adaptive.enabled", "false")  # keep the 4 tasks apart
        spark.conf.set("spark.sql.shuffle.partitions", "4")
        source = tmp_path / "orders"
        source.mkdir()
        n = 60
        created = [dt.datetime(2026, 1, 5 + i % 3, 12) for i in range(n)]
        pq.write_table(
            pa.table(
                {
                    "order_id": list(range(n)),
                    "customer_id": [7] * n,
                    "status": ["paid"] * n,
                    "amount": [1.0] * n,
                    "created_at": created,
                    "updated_at": created,
                }
            ),
            source / "a.parquet",
        )
        path = job.rebuild(str(source), str(tmp_path / "v"), "run1", spark=spark, files=2)
        written = list(Path(path).glob("day=*/*.parquet"))
        assert len(written) <= 2 + 3 - 1, sorted(str(p) for p in written)
        assert spark.read.parquet(path).count() == n
    finally:
        spark.stop()


def test_the_consumer_config_is_valid() -> None:
    if "confluent_kafka" not in SOURCE:
        pytest.skip("not a Kafka consumer")
    from confluent_kafka import Consumer, KafkaException

    config = {**job.CONFIG, "bootstrap.servers": "127.0.0.1:9"}
    Consumer(config).close()  # librdkafka parses every key here
    with pytest.raises(KafkaException):
        Consumer({**config, "not.a.real.key": 1})


def test_the_stream_keeps_sessions_fresh_and_closes_them_after_the_gap(tmp_path: Path) -> None:
    """The stream's own sessions() under Spark, output mode update, foreachBatch: every batch
    carries each customer's open session as it stands; a gap of GAP_S closes one and opens the
    next; the state carries a session across batches; the watermark closes idle sessions."""
    if "foreachBatch" not in SOURCE:
        pytest.skip("not a Spark stream")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need this venv's pandas
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )

    def event(customer: str, page: str, ts: str) -> str:
        return f'{{"customer_id": "{customer}", "page": "{page}", "ts": "2026-01-05T{ts}Z"}}'

    try:
        source = tmp_path / "events"
        source.mkdir()
        events = spark.readStream.schema("customer_id STRING, page STRING, ts TIMESTAMP").json(
            str(source)
        )
        batches: list[set[tuple[object, ...]]] = []

        def upsert(batch: object, batch_id: int) -> None:
            rows = batch.collect()  # type: ignore[attr-defined]
            batches.append(
                {
                    (
                        r["customer_id"],
                        str(r["session_start"])[11:19],
                        r["events"],
                        r["pages"],
                        r["closed"],
                    )
                    for r in rows
                }
            )

        query = (
            job.sessions(events)
            .writeStream.outputMode("update")
            .foreachBatch(upsert)
            .option("checkpointLocation", str(tmp_path / "checkpoint"))
            .start()
        )
        gap = dt.timedelta(seconds=job.GAP_S)
        after = (dt.datetime(2026, 1, 5, 8, 0, 20) + gap + dt.timedelta(seconds=1)).time()
        (source / "0.json").write_text(
            "\n".join(
                [
                    event("a", "/", "08:00:01"),
                    event("a", "/cart", "08:00:20"),
                    event("b", "/", "08:00:30"),
                    event("a", "/", after.isoformat()),
                ]
            )
            + "\n"
        )
        query.processAllAvailable()
        assert ("a", "08:00:01", 2, 2, True) in batches[0], batches  # closed by the gap
        assert ("a", after.isoformat(), 1, 1, False) in batches[0], batches  # the next, open
        assert ("b", "08:00:30", 1, 1, False) in batches[0], batches  # open, emitted at once
        later = (dt.datetime.combine(dt.date(2026, 1, 5), after) + dt.timedelta(seconds=5)).time()
        # c's event moves the watermark (newest − LATE) past b's last event + GAP_S
        (source / "1.json").write_text(
            event("a", "/pay", later.isoformat()) + "\n" + event("c", "/", "09:00:00") + "\n"
        )
        query.processAllAvailable()
        seen = set().union(*batches[1:])
        assert ("a", after.isoformat(), 2, 2, False) in seen, batches  # state across batches
        assert ("b", "08:00:30", 1, 1, True) in seen, batches  # the watermark closed it
        progress = query.lastProgress  # where lag and health are read from
        assert progress is not None and progress["sources"], progress
        query.stop()
    finally:
        spark.stop()


def test_a_late_event_updates_the_same_session_row_in_postgresql(tmp_path: Path) -> None:
    """The stream's own sessions() and upsert() under Spark against real PostgreSQL: a late
    event (inside the watermark) that moves session_start earlier updates the session's row,
    never a second one; a batch written twice (a replay after a crash) leaves the same rows."""
    if "foreachBatch" not in SOURCE:
        pytest.skip("not a Spark stream")
    import psycopg

    dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sessions")
        conn.execute(job.DDL)
    spark = _spark()
    try:
        source = tmp_path / "events"
        source.mkdir()
        events = spark.readStream.schema("customer_id STRING, page STRING, ts TIMESTAMP").json(
            str(source)
        )
        write = job.upsert(dsn)

        def replayed(batch: Any, batch_id: int) -> None:
            write(batch, batch_id)
            write(batch, batch_id)  # the same batch again, as after a crash before the commit

        query = (
            job.sessions(events)
            .writeStream.outputMode("update")
            .foreachBatch(replayed)
            .option("checkpointLocation", str(tmp_path / "checkpoint"))
            .start()
        )

        def arrive(name: str, *lines: tuple[str, str, str]) -> None:
            (source / name).write_text(
                "".join(
                    f'{{"customer_id": "{c}", "page": "{p}", "ts": "2026-01-05T{t}Z"}}\n'
                    for c, p, t in lines
                )
            )
            query.processAllAvailable()

        def table() -> list[tuple[Any, ...]]:
            with psycopg.connect(dsn) as conn:
                return conn.execute(
                    "SELECT customer_id, to_char(session_start AT TIME ZONE 'UTC', 'HH24:MI:SS'),"
                    " events, pages, closed FROM sessions ORDER BY 1, 2"
                ).fetchall()

        arrive("0.json", ("a", "/", "08:00:30"), ("a", "/cart", "08:01:00"), ("b", "/", "08:00:40"))
        assert table() == [("a", "08:00:30", 2, 2, False), ("b", "08:00:40", 1, 1, False)]
        arrive("1.json", ("a", "/late", "08:00:10"))  # 50 s late: inside the 2-min watermark
        assert table() == [("a", "08:00:10", 3, 3, False), ("b", "08:00:40", 1, 1, False)]
        query.stop()
    finally:
        spark.stop()


def test_the_sessions_table_keeps_room_for_hot_updates_and_purges_old_closed_sessions() -> None:
    """The stream's own DDL and purge() against real PostgreSQL: fillfactor 70 on the table;
    purge() deletes closed sessions that started over KEEP_DAYS ago, never an open one or a
    recent one."""
    if "foreachBatch" not in SOURCE:
        pytest.skip("not a Spark stream")
    import psycopg

    dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sessions")
        conn.execute(job.DDL)
        options = conn.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'sessions'"
        ).fetchone()
        assert options == (["fillfactor=70"],), options
        now = dt.datetime.now(dt.UTC)
        old = now - dt.timedelta(days=job.KEEP_DAYS + 1)
        recent = now - dt.timedelta(days=job.KEEP_DAYS - 1)
        rows = [
            ("a:1", "a", old, old, 1, 1, True),  # old and closed: purged
            ("b:1", "b", old, now, 9, 3, False),  # old but still open
            ("c:1", "c", recent, recent, 1, 1, True),  # closed, inside the retention
        ]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO sessions VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        assert job.purge(dsn) == 1
        left = conn.execute("SELECT session_id FROM sessions ORDER BY 1").fetchall()
        assert left == [("b:1",), ("c:1",)]
        assert job.purge(dsn) == 0


def test_the_stream_reads_kafka_over_tls_with_sasl_as_its_own_user() -> None:
    if "foreachBatch" not in SOURCE:
        pytest.skip("not a Spark stream")
    options = job.kafka_source("broker-1:9096", "sessions-job", "s3cret")
    assert options["kafka.security.protocol"] == "SASL_SSL"
    assert options["kafka.sasl.mechanism"].startswith("SCRAM-")
    assert 'username="sessions-job" password="s3cret";' in options["kafka.sasl.jaas.config"]
    assert all(key.startswith("kafka.") for key in options)  # Spark passes kafka.* through


def _day(lake: Path, day: dt.date) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = dt.datetime.combine(day, dt.time(12))
    (lake / f"dt={day}").mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "customer_id": [1, 1, 2],
                "page": ["/", "/cart", "/"],
                "ts": [start + dt.timedelta(minutes=i) for i in range(3)],
            }
        ),
        lake / f"dt={day}" / "part-0.parquet",
    )


def test_spark_load_lists_only_its_day_never_the_whole_lake(tmp_path: Path) -> None:
    """An older day in another layout (dt=…/hour=…/) sits in the lake: a run that lists the
    whole lake fails on it (conflicting partition columns); the run that lists its own day's
    directory (basePath) never sees it."""
    if "pyspark" not in SOURCE or not hasattr(job, "load"):
        pytest.skip("not a Spark job with a load")
    import pyarrow as pa
    import pyarrow.parquet as pq

    lake = tmp_path / "lake"
    day = dt.date(2026, 1, 8)
    _day(lake, day)
    old = lake / "dt=2025-06-01" / "hour=00"
    old.mkdir(parents=True)
    pq.write_table(pa.table({"customer_id": [9], "page": ["/"]}), old / "part-0.parquet")
    spark = _spark()
    try:
        path = job.run(str(lake), str(tmp_path / "daily"), day, "run1", spark=spark)
        written = spark.read.parquet(path).collect()
        assert sorted((r["customer_id"], r["events"]) for r in written) == [(1, 2), (2, 1)]
    finally:
        spark.stop()


def test_spark_load_swap_gives_up_on_a_held_lock_and_keeps_the_old_day(tmp_path: Path) -> None:
    """A report holds the day's partition open: the swap waits at most its lock_timeout,
    raises LockNotAvailable after its tries (no reader queues behind it for long), and the
    old day stays whole; once the report ends, the same load swaps the day in."""
    if "pyspark" not in SOURCE or not hasattr(job, "load"):
        pytest.skip("not a Spark job with a load")
    import psycopg

    dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS daily_customer_metrics CASCADE")
    lake, day = tmp_path / "lake", dt.date(2026, 1, 8)
    _day(lake, day)
    spark = _spark()
    try:
        path = job.run(str(lake), str(tmp_path / "daily"), day, "run1", spark=spark)
        assert job.load(spark, path, day, dsn) == 2
        with psycopg.connect(dsn) as report:  # a long report: its transaction stays open
            report.execute("SELECT count(*) FROM daily_customer_metrics WHERE day = %s", (day,))
            with pytest.raises(psycopg.errors.LockNotAvailable):
                job.load(spark, path, day, dsn, wait="200ms", tries=1)
            row = report.execute(
                "SELECT count(*) FROM daily_customer_metrics WHERE day = %s", (day,)
            ).fetchone()
            assert row == (2,)
        assert job.load(spark, path, day, dsn, wait="200ms", tries=1) == 2
    finally:
        spark.stop()


def test_retire_drops_the_days_past_keep_days_whole() -> None:
    if "pyspark" not in SOURCE or not hasattr(job, "load"):
        pytest.skip("not a Spark job with a load")
    import psycopg

    dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    today = dt.date(2026, 1, 8)
    days = [today - dt.timedelta(days=n) for n in (job.KEEP_DAYS + 1, job.KEEP_DAYS, 0)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS daily_customer_metrics CASCADE")
        conn.execute(job.DDL)
        for d in days:
            conn.execute(
                f"CREATE TABLE daily_customer_metrics_{d:%Y%m%d} "
                "PARTITION OF daily_customer_metrics "
                f"FOR VALUES FROM ('{d}') TO ('{d + dt.timedelta(days=1)}')"
            )
    assert job.retire(dsn, today) == [f"daily_customer_metrics_{days[0]:%Y%m%d}"]
    with psycopg.connect(dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'daily_customer_metrics'::regclass"
        ).fetchone()
    assert left == (2,)


def test_spark_rebuild_retry_gets_a_fresh_run_id_and_readers_prune_by_catalog_partition(
    tmp_path: Path,
) -> None:
    """A failed attempt leaves a partial version: the retry's new_run_id() is another path,
    so errorifexists never trips on it, and prune() removes the partial one. The view reads
    a catalog table whose days are partitions (not a path): a filter on a day lists it alone."""
    if "pyspark" not in SOURCE or not hasattr(job, "rebuild"):
        pytest.skip("not a Spark rebuild")
    spark = _spark()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        first, second = job.new_run_id(), job.new_run_id()
        assert first != second
        source = tmp_path / "orders"
        source.mkdir()
        created = [dt.datetime(2026, 1, 5, 12), dt.datetime(2026, 1, 6, 12)]
        pq.write_table(
            pa.table(
                {
                    "order_id": [1, 2],
                    "customer_id": [7, 7],
                    "status": ["paid", "paid"],
                    "amount": [1.0, 1.0],
                    "created_at": created,
                    "updated_at": created,
                }
            ),
            source / "a.parquet",
        )
        versions = tmp_path / "v"
        (versions / first / "day=2026-01-05").mkdir(parents=True)  # a failed attempt's part
        path = job.rebuild(str(source), str(versions), second, spark=spark)
        job.commit(spark, "facts", path)
        days = {r[0] for r in spark.sql(f"SHOW PARTITIONS `facts_{second}`").collect()}
        assert days == {"day=2026-01-05", "day=2026-01-06"}
        view = spark.sql("SHOW CREATE TABLE facts").collect()[0][0]
        assert "parquet.`" not in view and f"facts_{second}" in view
        assert spark.table("facts").where("day = DATE'2026-01-06'").count() == 1
        assert job.prune(spark, "facts", str(versions)) == [second]
        assert [p.name for p in versions.iterdir()] == [second]
    finally:
        spark.stop()
