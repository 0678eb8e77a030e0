"""Data jobs (pandas, polars, Dask, PySpark, Kafka consumers) and the outbox relay."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["data_job", "outbox_relay"]

DROP = "@drop@"

_DATA = {
    "pandas": '''
        # app/job.py
        import pandas as pd

        COLUMNS = ["day", "customer_id", "amount"]  # what the job writes


        def run(source: str, target: str) -> None:
            """@gb@ GB: fits in memory (pandas needs ≈ @ram@ GB). Daily totals per customer."""
            df = pd.read_parquet(source, columns=["customer_id", "amount", "ts"])
            df["day"] = df["ts"].dt.floor("D")  # a timestamp column Parquet stores natively
            daily = df.groupby(["day", "customer_id"], as_index=False)["amount"].sum()
            daily[COLUMNS].to_parquet(target, index=False)
    ''',
    "polars": '''
        # app/job.py
        import polars as pl

        COLUMNS = ["day", "customer_id", "amount"]  # what the job writes


        def run(source: str, target: str) -> None:
            """@gb@ GB: lazy scan + streaming engine, out of core on one machine."""
            (
                pl.scan_parquet(source)
                .select("customer_id", "amount", "ts")
                .group_by(pl.col("ts").dt.date().alias("day"), "customer_id")
                .agg(pl.col("amount").sum())
                .select(COLUMNS)
                .sink_parquet(target)
            )
    ''',
    "Dask": '''
        # app/job.py
        import dask.dataframe as dd
        from dask.distributed import Client

        COLUMNS = ["day", "customer_id", "amount"]  # what the job writes


        def run(source: str, target: str, scheduler: str | None = None) -> None:
            """@gb@ GB across a small cluster, with the pandas API.

            ``scheduler`` is the cluster's address ("tcp://scheduler:8786"); None starts a local
            one in this process. Writes one Parquet directory partitioned by ``day``.
            """
            with Client(scheduler) if scheduler else Client(processes=False):
                df = dd.read_parquet(source, columns=["customer_id", "amount", "ts"])
                df["day"] = df["ts"].dt.strftime("%Y-%m-%d")  # one string type in every part
                daily = df.groupby(["day", "customer_id"])["amount"].sum().reset_index()
                daily[COLUMNS].to_parquet(target, partition_on=["day"], write_index=False)
    ''',
    "PySpark": '''
        # app/job.py
        from pyspark.sql import SparkSession, Window
        from pyspark.sql import functions as F

        COLUMNS = ["order_id", "customer_id", "status", "amount", "refunded", "day"]


        def rebuild(
            source: str, versions: str, run_id: str, spark: SparkSession | None = None
        ) -> str:
            """@gb@ GB a night: every order's latest state, as facts partitioned by UTC day.

            * Whole rebuild: a refund or status change to an order of any past day is in
              tonight's facts (no lookback to tune); the latest change per order_id wins.
            * Atomic: the run writes a new version (``versions``/``run_id``) and commit()
              points the table at it in one catalog update. Readers see last night's facts
              or tonight's, never half; a failed run leaves last night's in place.
            """
            spark = spark or (
                SparkSession.builder.appName("order-facts")
                .config("spark.sql.adaptive.enabled", "true")
                .config("spark.task.maxFailures", "4")  # a lost task is retried, not the run
                .getOrCreate()
            )
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            latest = Window.partitionBy("order_id").orderBy(F.col("updated_at").desc())
            facts = (
                spark.read.parquet(source)
                .withColumn("n", F.row_number().over(latest))
                .where(F.col("n") == 1)
                .select(
                    "order_id",
                    "customer_id",
                    "status",
                    "amount",
                    (F.col("status") == "refunded").alias("refunded"),
                    F.to_date("created_at").alias("day"),  # the order's UTC day
                )
            )
            path = f"{versions}/{run_id}"
            facts.write.mode("errorifexists").partitionBy("day").parquet(path)
            return path


        def commit(spark: SparkSession, table: str, path: str) -> None:
            """Point ``table`` (a view readers query) at the new version: one catalog update.

            Keep the old versions a week, to roll back with the same statement.
            """
            spark.sql(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM parquet.`{path}`")
    ''',
    "PySpark load": '''
        # app/job.py
        import datetime as dt
        from collections.abc import Callable, Iterator

        import psycopg
        from psycopg import sql
        from pyspark.sql import Row, SparkSession
        from pyspark.sql import functions as F

        COLUMNS = ["customer_id", "events", "pages", "day"]  # day is the partition directory
        TABLE = sql.Identifier("daily_customer_metrics")
        DDL = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (day date NOT NULL, customer_id bigint NOT NULL, "
            "events bigint NOT NULL, pages bigint NOT NULL, PRIMARY KEY (day, customer_id))"
        ).format(TABLE)


        def run(source: str, target: str, day: dt.date, spark: SparkSession | None = None) -> None:
            """One UTC day of clickstream (@gb@ GB a run) into that day's metrics per customer.

            * Incremental: the day's range on ``ts`` is pushed down to the scan; the lake is
              never read whole (a backfill is this run once per past day, oldest first).
            * Late events: start 2 h after the day closes (UTC); later ones, rerun the day.
            * Idempotent: dynamic partition overwrite replaces that day and keeps every other.
            """
            spark = spark or (
                SparkSession.builder.appName("customer-metrics")
                .config("spark.sql.adaptive.enabled", "true")
                .getOrCreate()
            )
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
            start = F.lit(day.isoformat()).cast("timestamp")
            end = F.lit((day + dt.timedelta(days=1)).isoformat()).cast("timestamp")
            daily = (
                spark.read.parquet(source)
                .where((F.col("ts") >= start) & (F.col("ts") < end))
                .groupBy(F.to_date("ts").alias("day"), "customer_id")
                .agg(F.count("*").alias("events"), F.countDistinct("page").alias("pages"))
            )
            daily.write.mode("overwrite").partitionBy("day").parquet(target)


        def _copy(dsn: str, stage: sql.Identifier) -> Callable[[Iterator[Row]], None]:
            def copy(rows: Iterator[Row]) -> None:  # on each executor, its partition's rows
                query = sql.SQL("COPY {} (day, customer_id, events, pages) FROM STDIN")
                with psycopg.connect(dsn) as conn, conn.cursor() as cur:
                    with cur.copy(query.format(stage)) as out:
                        for r in rows:
                            out.write_row((r["day"], r["customer_id"], r["events"], r["pages"]))

            return copy


        def load(spark: SparkSession, target: str, day: dt.date, dsn: str) -> int:
            """The day into PostgreSQL; the rows loaded. Rerun it alone if it fails.

            The executors COPY into a staging table, then one transaction replaces the day
            with its rows. Readers see the old day or the new one, never half.
            """
            stage = sql.Identifier(f"daily_customer_metrics_stage_{day:%Y%m%d}")
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(DDL)
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(stage))
                conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (LIKE {})").format(stage, TABLE))
            rows = spark.read.parquet(f"{target}/day={day.isoformat()}")
            rows.withColumn("day", F.lit(day)).foreachPartition(_copy(dsn, stage))
            with psycopg.connect(dsn) as conn:  # one transaction, committed on leaving
                conn.execute(sql.SQL("DELETE FROM {} WHERE day = %s").format(TABLE), (day,))
                insert = sql.SQL("INSERT INTO {} SELECT * FROM {}").format(TABLE, stage)
                loaded = conn.execute(insert).rowcount
                conn.execute(sql.SQL("DROP TABLE {}").format(stage))
            return loaded
    ''',
    "Spark streaming": '''
        # app/job.py
        from collections.abc import Callable, Iterator
        from typing import Any

        import pandas as pd
        from pyspark.sql import DataFrame, SparkSession
        from pyspark.sql.functions import col, from_json
        from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

        GAP_S = 30 * 60  # a session ends after 30 min without an event
        LATE = "2 minutes"  # watermark: events this far behind the newest still count
        TRIGGER = "@trigger@ seconds"  # half the @fresh@ s freshness: a row is ≤ @fresh@ s old
        SESSION = (
            "customer_id STRING, session_start TIMESTAMP, last_event TIMESTAMP, "
            "events LONG, pages LONG, closed BOOLEAN"
        )
        STATE = "start_s DOUBLE, last_s DOUBLE, events LONG, pages STRING"  # pages: one a line


        def _row(
            key: str, start: float, last: float, events: int, pages: set[str], closed: bool
        ) -> dict[str, Any]:
            return {
                "customer_id": key,
                "session_start": pd.Timestamp(start, unit="s"),
                "last_event": pd.Timestamp(last, unit="s"),
                "events": events,
                "pages": len(pages),
                "closed": closed,
            }


        def sessionise(
            key: tuple[str], frames: Iterator[pd.DataFrame], state: GroupState
        ) -> Iterator[pd.DataFrame]:
            """One customer's sessions: the open one at every trigger, a closed one once."""
            if state.hasTimedOut:  # the watermark passed last event + GAP_S: the session ended
                start, last, events, seen = state.get
                state.remove()
                pages = set(seen.split("\\n"))
                yield pd.DataFrame([_row(key[0], start, last, events, pages, True)])
                return
            start, last, events, seen = state.get if state.exists else (None, None, 0, "")
            pages = set(seen.split("\\n")) if seen else set()
            rows = []
            batch = pd.concat(list(frames)).sort_values("ts")
            epoch = (pd.to_datetime(batch["ts"]) - pd.Timestamp(0)).dt.total_seconds()
            for ts, page in zip(epoch, batch["page"]):
                if last is not None and ts - last > GAP_S:  # a gap: close it, open the next
                    rows.append(_row(key[0], start, last, events, pages, True))
                    start, last, events, pages = None, None, 0, set()
                start = ts if start is None else min(start, ts)
                last = ts if last is None else max(last, ts)
                events, pages = events + 1, pages | {page}
            rows.append(_row(key[0], start, last, events, pages, False))
            state.update((start, last, events, "\\n".join(sorted(pages))))
            state.setTimeoutTimestamp(int((last + GAP_S) * 1000))
            yield pd.DataFrame(rows)


        def sessions(events: DataFrame) -> DataFrame:
            """Per-customer sessions (events, distinct pages), the open ones updated each batch."""
            return (
                events.withWatermark("ts", LATE)
                .groupBy("customer_id")
                .applyInPandasWithState(
                    sessionise, SESSION, STATE, "update", GroupStateTimeout.EventTimeTimeout
                )
            )


        def run(
            topic: str, checkpoint: str, upsert: Callable[[DataFrame, int], None]
        ) -> None:
            """@gb@ GB per window; Kafka → sessions → ``upsert`` every TRIGGER, output mode update.

            * Fresh: a batch emits each customer's open session as it stands, so the serving
              table is one trigger plus processing behind (session_window would emit a session
              only after GAP_S + LATE, and supports append mode alone).
            * ``upsert`` (foreachBatch) is at-least-once: a batch replayed after a crash is
              written again. Make it an upsert keyed by (customer_id, session_start), e.g.
              INSERT … ON CONFLICT DO UPDATE: the replay rewrites the same rows (effectively once).
            * Offsets live in the checkpoint, not in a consumer group: Spark's Kafka source
              commits none and uses its own group id. Lag and health: StreamingQueryProgress.
            """
            spark = SparkSession.builder.appName("sessions").getOrCreate()
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            raw = (
                spark.readStream.format("kafka")
                .option("kafka.bootstrap.servers", "kafka:9092")
                .option("subscribe", topic)
                .option("startingOffsets", "latest")  # the checkpoint's offsets on restarts
                .load()
            )
            schema = "customer_id STRING, page STRING, ts TIMESTAMP"
            events = raw.select(from_json(col("value").cast("string"), schema).alias("e"))
            events = events.select("e.*")
            (
                sessions(events)
                .writeStream.outputMode("update")
                .foreachBatch(upsert)
                .option("checkpointLocation", checkpoint)
                .trigger(processingTime=TRIGGER)
                .start()
                .awaitTermination()
            )
    ''',
    "Kafka": '''
        # app/job.py
        import json
        from collections.abc import Callable
        from typing import Any

        from confluent_kafka import Consumer

        CONFIG: dict[str, Any] = {
            "bootstrap.servers": "kafka:9092",
            "group.id": "pipeline",
            "enable.auto.commit": False,  # commit after the work is durable
            "auto.offset.reset": "earliest",
            "max.poll.interval.ms": 300_000,
        }


        def run(
            apply: Callable[[dict[str, Any]], None], topic: str = "events", max_messages: int = 0
        ) -> None:
            """Freshness @fresh@ s: a consumer group; commit offsets after ``apply`` succeeded.

            ``apply`` must be idempotent (an upsert keyed by the event id): after a crash the
            uncommitted events are delivered again. ``max_messages`` > 0 stops after that many.
            """
            consumer = Consumer(CONFIG)
            consumer.subscribe([topic])
            done = 0
            try:
                while not max_messages or done < max_messages:
                    msg = consumer.poll(1.0)
                    if msg is None or msg.error():
                        continue
                    apply(json.loads(msg.value() or b"{}"))
                    consumer.commit(message=msg, asynchronous=False)
                    done += 1
            finally:
                consumer.close()
    ''',
}


def data_job(plan: Plan, p: Profile) -> tuple[str, str]:
    """``(kind, app/job.py)`` for the data tool the plan chose."""
    data = plan.data
    assert data is not None
    kind: str = p.data
    if kind == "PySpark" and p.driver == "psycopg":  # the load into the serving database
        kind = "PySpark load"
    return p.data, fill(
        _DATA[kind],
        gb=f"{data.data_gb:,.0f}",
        ram=f"{data.ram_needed_gb:,.0f}",
        fresh=f"{data.freshness_s:g}",
        trigger=f"{max(1, (data.freshness_s or 2) // 2):g}",
    )


_RELAY = """
    # app/relay.py
    \"\"\"The outbox relay: publish committed events in commit order, at least once, then mark them.

    One relay leads at a time (a lease row, renewed each batch; a second relay in another zone
    takes over when the lease lapses), so each account's events leave in commit order; relays
    sharing the table with SKIP LOCKED would reorder them. No transaction stays open while the
    broker is called: claim the batch and commit, send, then mark it sent in a second short
    transaction. A crash or a lapsed lease between send and mark re-sends the batch: consumers
    dedupe by ``event_id``.
    \"\"\"

    import json
    import os
    import socket
    from collections.abc import @Awaitable@, Callable
    from typing import Any, cast

    from sqlalchemy import CursorResult, bindparam, text
    @sa_import@
    @producer_import@

    Publish = Callable[[str, str, dict[str, Any]], @Awaitable_None@]  # (topic, key, event)
    BATCH = 100
    RELAY_ID = f"{socket.gethostname()}:{os.getpid()}"


    @async@def relay_once(
        sessions: @sessionmaker@[@Session@], publish: Publish, relay_id: str = RELAY_ID
    ) -> int:
        \"\"\"Publish up to BATCH unpublished events, oldest first, if this relay holds the
        lease; the number published.\"\"\"
        @async@with sessions() as session, session.begin():
            # a 30 s lease: longer than a batch's sends (the producer's timeout is 10 s)
            lease = @await@session.execute(
                text("UPDATE outbox_relay SET holder = :me, "
                     "lease_until = @lease_until@ "
                     "WHERE id = 1 AND (holder = :me OR lease_until < @now@)"),
                {"me": relay_id},
            )
            if cast("CursorResult[Any]", lease).rowcount != 1:
                return 0  # another relay leads
            rows = (
                @await@session.execute(
                    text("SELECT id, aggregate_key, topic, @payload@ FROM outbox "
                         "WHERE published_at IS NULL ORDER BY id LIMIT :n"),
                    {"n": BATCH},
                )
            ).all()
        for _id, aggregate_key, topic, payload in rows:  # no transaction is open here
            # the aggregate key is the message key: one account's events, one partition
            @await@publish(topic, str(aggregate_key), json.loads(payload))
        if rows:
            @async@with sessions() as session, session.begin():
                @await@session.execute(
                    text("UPDATE outbox SET published_at = @now@ WHERE id IN :ids")
                    .bindparams(bindparam("ids", expanding=True)),
                    {"ids": [row[0] for row in rows]},
                )
        return len(rows)
    @producer@
"""

_KAFKA_ASYNC = """

    def make_producer(bootstrap_servers: str) -> AIOKafkaProducer:
        \"\"\"Idempotent, acks from all in-sync replicas: a retried send is neither lost,
        duplicated nor reordered within a partition. Start it in the relay's process.\"\"\"
        return AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
        )


    def kafka_publish(producer: AIOKafkaProducer) -> Publish:
        \"\"\"``publish`` for relay_once: the broker acks before the batch is marked.\"\"\"

        async def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            await producer.send_and_wait(topic, json.dumps(event).encode(), key=key.encode())

        return publish
"""

_KAFKA_SYNC = """

    def make_producer(bootstrap_servers: str) -> Producer:
        \"\"\"Idempotent, acks from all in-sync replicas: a retried send is neither lost,
        duplicated nor reordered within a partition.\"\"\"
        return Producer(
            {"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all"}
        )


    def kafka_publish(producer: Producer) -> Publish:
        \"\"\"``publish`` for relay_once: flushed (acked) before the batch is marked.\"\"\"

        def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            producer.produce(topic, json.dumps(event).encode(), key=key.encode())
            producer.flush(10)

        return publish
"""


def outbox_relay(p: Profile) -> str:
    """``app/relay.py``: the relay that drains the ledger's outbox to the broker."""
    sa_import = (
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker"
        if p.is_async
        else "from sqlalchemy.orm import Session, sessionmaker"
    )
    kafka = p.broker == "kafka"
    text = fill(
        _RELAY,
        sa_import=sa_import,
        producer_import=(
            "from aiokafka import AIOKafkaProducer"
            if p.is_async
            else "from confluent_kafka import Producer"
        )
        if kafka
        else DROP,
        producer="\n\n" + fill(_KAFKA_ASYNC if p.is_async else _KAFKA_SYNC).rstrip("\n")
        if kafka
        else DROP,
        Awaitable="Awaitable" if p.is_async else "",
        Awaitable_None="Awaitable[None]" if p.is_async else "None",
        sessionmaker="async_sessionmaker" if p.is_async else "sessionmaker",
        Session="AsyncSession" if p.is_async else "Session",
        payload="CAST(payload AS text)" if p.dialect == "postgresql" else "payload",
        now="now()" if p.dialect == "postgresql" else "UTC_TIMESTAMP(6)",
        lease_until="now() + interval '30 seconds'"
        if p.dialect == "postgresql"
        else "UTC_TIMESTAMP(6) + INTERVAL 30 SECOND",
        **flavour(p.is_async),
    )
    return text.replace(
        "from collections.abc import , Callable", "from collections.abc import Callable"
    )
