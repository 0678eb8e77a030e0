"""The data job writes the columns (and partitions) it says, with the right sums."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import sys
from pathlib import Path

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


def test_spark_keeps_earlier_days(tmp_path: Path) -> None:
    if "pyspark" not in SOURCE or "foreachBatch" in SOURCE:
        pytest.skip("not a Spark batch job")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    try:
        target = tmp_path / "daily"
        for i, day in enumerate((dt.date(2026, 1, 5), dt.date(2026, 1, 6))):
            source = tmp_path / f"in{i}.parquet"
            sample(source, day)
            job.run(str(source), str(target), day, spark=spark)
        days = sorted(p.name for p in target.glob("day=*"))
        assert days == ["day=2026-01-05", "day=2026-01-06"], "an earlier day was deleted"
        rows = spark.read.parquet(str(target)).collect()
        assert sorted(rows[0].asDict()) == sorted(job.COLUMNS)

        # incremental: a run for one day reads only that day of a source holding several
        lake = tmp_path / "lake"
        lake.mkdir()
        for day in (dt.date(2026, 1, 7), dt.date(2026, 1, 8)):
            sample(lake / f"{day}.parquet", day)
        job.run(str(lake), str(target), dt.date(2026, 1, 8), spark=spark)
        days = sorted(p.name for p in target.glob("day=*"))
        assert "day=2026-01-07" not in days, "the run read days other than its own"
        written = spark.read.parquet(str(target / "day=2026-01-08")).collect()
        assert sorted((r["customer_id"], r["amount"]) for r in written) == [(1, 15.0), (2, 6.0)]

        if hasattr(job, "load"):  # the load into the serving database, real PostgreSQL
            from app.db import make_engine
            from sqlalchemy import text

            engine = make_engine()
            for _ in range(2):  # a rerun replaces the day: no duplicates
                assert job.load(spark, str(target), dt.date(2026, 1, 8), engine) == 2
            assert job.load(spark, str(target), dt.date(2026, 1, 6), engine) == 2
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT day, customer_id, amount FROM daily_amounts ORDER BY 1, 2")
                ).all()
            engine.dispose()
            assert [(str(d), c, a) for d, c, a in rows] == [
                ("2026-01-06", 1, 15.0),
                ("2026-01-06", 2, 6.0),
                ("2026-01-08", 1, 15.0),
                ("2026-01-08", 2, 6.0),
            ]
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
        (source / "1.json").write_text(event("a", "/pay", later.isoformat()) + "\n")
        query.processAllAvailable()
        seen = set().union(*batches[1:])
        assert ("a", after.isoformat(), 2, 2, False) in seen, batches  # state across batches
        assert ("b", "08:00:30", 1, 1, True) in seen, batches  # the watermark closed it
        progress = query.lastProgress  # where lag and health are read from
        assert progress is not None and progress["sources"], progress
        query.stop()
    finally:
        spark.stop()
