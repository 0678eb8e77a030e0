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


def test_spark_load_keeps_earlier_days_and_swaps_the_day_into_postgresql(tmp_path: Path) -> None:
    """The daily job reads only its UTC day, keeps earlier days, and its load COPYs into a
    staging table then replaces the day in one transaction (real PostgreSQL)."""
    if "pyspark" not in SOURCE or not hasattr(job, "load"):
        pytest.skip("not a Spark job with a load")
    spark = _spark()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        lake = tmp_path / "lake"
        lake.mkdir()
        for day in (dt.date(2026, 1, 7), dt.date(2026, 1, 8)):
            start = dt.datetime.combine(day, dt.time(23, 50))  # near midnight: UTC decides
            pq.write_table(
                pa.table(
                    {
                        "customer_id": [1, 1, 2],
                        "page": ["/", "/cart", "/"],
                        "ts": [start + dt.timedelta(minutes=i) for i in range(3)],
                    }
                ),
                lake / f"{day}.parquet",
            )
        target = tmp_path / "daily"
        job.run(str(lake), str(target), dt.date(2026, 1, 7), spark=spark)
        job.run(str(lake), str(target), dt.date(2026, 1, 8), spark=spark)
        days = sorted(p.name for p in target.glob("day=*"))
        assert days == ["day=2026-01-07", "day=2026-01-08"], "an earlier day was deleted"
        written = spark.read.parquet(str(target / "day=2026-01-08")).collect()
        assert sorted((r["customer_id"], r["events"], r["pages"]) for r in written) == [
            (1, 2, 2),
            (2, 1, 1),
        ]
        import psycopg

        dsn = os.environ["APP_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
        for _ in range(2):  # a rerun replaces the day: no duplicates
            assert job.load(spark, str(target), dt.date(2026, 1, 8), dsn) == 2
        assert job.load(spark, str(target), dt.date(2026, 1, 7), dsn) == 2
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                "SELECT day, customer_id, events, pages FROM daily_customer_metrics ORDER BY 1, 2"
            ).fetchall()
            left = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%stage%'"
            ).fetchone()
        assert [(str(d), c, e, p) for d, c, e, p in rows] == [
            ("2026-01-07", 1, 2, 2),
            ("2026-01-07", 2, 1, 1),
            ("2026-01-08", 1, 2, 2),
            ("2026-01-08", 2, 1, 1),
        ]
        assert left == (0,), "the staging table is dropped with the swap"
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
