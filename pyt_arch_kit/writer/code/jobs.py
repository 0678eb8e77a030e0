"""Data jobs (pandas, polars, Dask, PySpark, Kafka consumers) and the outbox relay."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.planning.pipeline import METRIC_DAYS
from pyt_arch_kit.planning.stream import SESSIONS_KEPT_DAYS
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
        import datetime as dt
        import uuid

        from pyarrow import fs
        from pyspark.sql import SparkSession, Window
        from pyspark.sql import functions as F

        COLUMNS = ["order_id", "customer_id", "status", "amount", "refunded", "day"]
        FILES = @files@  # ⌈@gb@ GB / 256 MB⌉: output files of ~256 MB
        KEEP = @keep@  # versions kept: tonight's and last night's, to roll back to


        def new_run_id() -> str:
            """A fresh id for each attempt, the retry included: it never meets a failed
            attempt's partial path. Ids sort by their UTC start."""
            return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:8]}"


        def rebuild(
            source: str,
            versions: str,
            run_id: str,
            spark: SparkSession | None = None,
            files: int = FILES,
        ) -> str:
            """@gb@ GB a night: every order's latest state, as facts partitioned by UTC day.

            * Whole rebuild: a refund or status change to an order of any past day is in
              tonight's facts; the latest change per order_id wins.
            * One shuffle, by range of (day, order_id): each task holds one day (two where
              its range crosses midnight), so the write makes ~``files`` files, not one per
              task and day. Spark samples the input once to find the ranges.
            * A new version (``versions``/``run_id``, run_id from new_run_id()); commit()
              swaps it.
            """
            spark = spark or (
                SparkSession.builder.appName("order-facts")
                .config("spark.sql.adaptive.enabled", "true")
                .config("spark.task.maxFailures", "4")  # a lost task is retried, not the run
                .enableHiveSupport()  # tables and the view live in the Glue Data Catalog
                .getOrCreate()
            )
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            latest = Window.partitionBy("day", "order_id").orderBy(F.col("updated_at").desc())
            facts = (
                spark.read.parquet(source)
                .withColumn("day", F.to_date("created_at"))  # the order's UTC day, fixed
                .repartitionByRange(files, "day", "order_id")
                .withColumn("n", F.row_number().over(latest))
                .where(F.col("n") == 1)
                .select(
                    "order_id",
                    "customer_id",
                    "status",
                    "amount",
                    (F.col("status") == "refunded").alias("refunded"),
                    "day",
                )
            )
            path = f"{versions}/{run_id}"
            facts.write.mode("errorifexists").partitionBy("day").parquet(path)
            return path


        def commit(spark: SparkSession, table: str, path: str) -> None:
            """Register the version as a table with its days as catalog partitions, then point
            the view ``table`` at it in one catalog update.

            A reader's filter on ``day`` lists that day's files only, not the version's
            ~``FILES``. Readers (Spark jobs, the Spark Thrift server for BI tools) see last
            night's facts or tonight's, never half. Athena or Trino cannot read a Spark
            view: if they join, make the facts an Iceberg table. Roll back: commit the
            previous version.
            """
            version = f"{table}_{path.rsplit('/', 1)[-1]}"
            spark.sql(f"CREATE TABLE IF NOT EXISTS `{version}` USING parquet LOCATION '{path}'")
            spark.catalog.recoverPartitions(version)  # the days, once, into the catalog
            spark.sql(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM `{version}`")


        def prune(spark: SparkSession, table: str, versions: str, keep: int = KEEP) -> list[str]:
            """After commit(): drop all but the newest ``keep`` finished versions (their tables
            and files), and any failed one (no _SUCCESS); the run ids kept."""
            store, root = fs.FileSystem.from_uri(versions)
            runs = sorted(store.get_file_info(fs.FileSelector(root)), key=lambda i: i.base_name)
            done = [i.base_name for i in runs if store.get_file_info(f"{i.path}/_SUCCESS").is_file]
            kept = done[-keep:]
            for i in runs:
                if i.base_name not in kept:
                    spark.sql(f"DROP TABLE IF EXISTS `{table}_{i.base_name}`")
                    store.delete_dir(i.path)
            return kept
    ''',
    "PySpark load": '''
        # app/job.py
        import datetime as dt
        import time
        from collections.abc import Callable, Iterator

        import psycopg
        from psycopg import sql
        from pyspark.sql import Row, SparkSession
        from pyspark.sql import functions as F

        COLUMNS = ["customer_id", "events", "pages"]
        TABLE = "daily_customer_metrics"
        KEEP_DAYS = @metric_days@  # days of metrics kept: retire() drops older partitions
        DDL = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (day date NOT NULL, customer_id bigint NOT NULL, "
            "events bigint NOT NULL, pages bigint NOT NULL, PRIMARY KEY (day, customer_id)) "
            "PARTITION BY RANGE (day)"
        ).format(sql.Identifier(TABLE))


        def run(
            source: str, target: str, day: dt.date, run_id: str, spark: SparkSession | None = None
        ) -> str:
            """One UTC day of clickstream (@gb@ GB) into its metrics per customer; the path.

            * The lake is laid out by the event's UTC day (``source``/dt=YYYY-MM-DD/): the
              run lists that directory alone, never the lake (a backfill: once per past day).
            * Late events: start 2 h after the day closes; later ones, rerun the day.
            * A fresh path per run, never an overwrite (S3 has no atomic rename); load()
              reads the path returned.
            """
            spark = spark or (
                SparkSession.builder.appName("customer-metrics")
                .config("spark.sql.adaptive.enabled", "true")
                .getOrCreate()
            )
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            daily = (
                spark.read.option("basePath", source)  # keeps dt as a column
                .parquet(f"{source}/dt={day}")
                .groupBy("customer_id")
                .agg(F.count("*").alias("events"), F.countDistinct("page").alias("pages"))
            )
            path = f"{target}/dt={day}/{run_id}"
            daily.write.mode("errorifexists").parquet(path)
            return path


        def _copy(dsn: str, stage: sql.Identifier) -> Callable[[Iterator[Row]], None]:
            def copy(rows: Iterator[Row]) -> None:  # on each executor, its partition's rows
                query = sql.SQL("COPY {} (day, customer_id, events, pages) FROM STDIN")
                with psycopg.connect(dsn) as conn, conn.cursor() as cur:
                    with cur.copy(query.format(stage)) as out:
                        for r in rows:
                            out.write_row((r["day"], r["customer_id"], r["events"], r["pages"]))

            return copy


        def load(
            spark: SparkSession, path: str, day: dt.date, dsn: str, wait: str = "5s", tries: int = 5
        ) -> int:
            """The day into its own partition of PostgreSQL; the rows loaded. Rerun it alone.

            The executors COPY into a staging table; a retried task may COPY its rows twice,
            so the new partition takes them DISTINCT, then gets its key and range check. One
            short transaction swaps it for the old one: readers see the old day or the new,
            and no day is deleted row by row (no dead rows to vacuum). The swap waits at most
            ``wait`` for its lock (a long report holds the old day): past it, it gives up
            rather than queue every new reader behind it, and tries again a minute later.
            """
            parent, name = sql.Identifier(TABLE), f"{TABLE}_{day:%Y%m%d}"
            live, new, stage = (sql.Identifier(name + s) for s in ("", "_new", "_stage"))
            end = day + dt.timedelta(days=1)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(DDL)
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(new, stage))
                conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (LIKE {})").format(stage, parent))
            rows = spark.read.parquet(path).withColumn("day", F.lit(day))
            rows.foreachPartition(_copy(dsn, stage))
            with psycopg.connect(dsn) as conn:  # each block one transaction
                conn.execute(sql.SQL("CREATE TABLE {} (LIKE {})").format(new, parent))
                distinct = sql.SQL("INSERT INTO {} SELECT DISTINCT * FROM {}").format(new, stage)
                loaded = conn.execute(distinct).rowcount
                key = "ALTER TABLE {} ADD PRIMARY KEY (day, customer_id), ADD CHECK ({})"
                check = sql.SQL("day >= {} AND day < {}").format(day, end)  # attach: no scan
                conn.execute(sql.SQL(key).format(new, check))
                conn.execute(sql.SQL("DROP TABLE {}").format(stage))
            attach = "ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})"
            for attempt in range(tries):
                try:
                    with psycopg.connect(dsn) as conn:
                        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(wait))
                        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(live))
                        conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(new, live))
                        conn.execute(sql.SQL(attach).format(parent, live, day, end))
                    return loaded
                except psycopg.errors.LockNotAvailable:
                    if attempt == tries - 1:
                        raise  # the old day stays, whole; page, and rerun the load
                    time.sleep(60)
            return loaded


        def retire(dsn: str, today: dt.date, keep_days: int = KEEP_DAYS) -> list[str]:
            """Daily: drop the days older than ``keep_days``; the partitions dropped (a whole
            table each: no rows deleted, nothing to vacuum)."""
            cutoff = f"{TABLE}_{today - dt.timedelta(days=keep_days):%Y%m%d}"
            with psycopg.connect(dsn) as conn:
                conn.execute("SET LOCAL lock_timeout = '5s'")
                old = [
                    name
                    for (name,) in conn.execute(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        " WHERE i.inhparent = %s::regclass AND c.relname < %s ORDER BY 1",
                        (TABLE, cutoff),
                    )
                ]
                for name in old:
                    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
            return old
    ''',
    "Spark streaming": '''
        # app/job.py
        from collections.abc import Callable, Iterator
        from typing import Any, cast

        import pandas as pd
        import psycopg
        from pyspark.sql import DataFrame, SparkSession
        from pyspark.sql.functions import col, from_json
        from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

        GAP_S = 30 * 60  # a session ends after 30 min without an event
        LATE = "2 minutes"  # watermark: events this far behind the newest still count
        TRIGGER = "@trigger@ seconds"  # half the @fresh@ s freshness: a row is ≤ @fresh@ s old
        PARTITIONS = @state_partitions@  # the topic's and the state store's: twice the cores
        KEEP_DAYS = @keep_days@  # closed sessions kept, then purge()d
        SESSION = (
            "session_id STRING, customer_id STRING, session_start TIMESTAMP, "
            "last_event TIMESTAMP, events LONG, pages LONG, closed BOOLEAN"
        )
        # opened_s: the opening event's time, the session's id; pages: one a line
        STATE = "opened_s DOUBLE, start_s DOUBLE, last_s DOUBLE, events LONG, pages STRING"
        DDL = """CREATE TABLE IF NOT EXISTS sessions (
            session_id text PRIMARY KEY,  -- customer:opening event's epoch ms, never moves
            customer_id text NOT NULL,
            session_start timestamptz NOT NULL,  -- a late event may move it earlier
            last_event timestamptz NOT NULL,
            events bigint NOT NULL,
            pages bigint NOT NULL,
            closed boolean NOT NULL
        ) WITH (fillfactor = 70);  -- room on the page: the updates stay HOT
        CREATE INDEX IF NOT EXISTS sessions_by_customer ON sessions (customer_id, session_start);
        CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (session_start)"""
        UPSERT = """INSERT INTO sessions SELECT * FROM stage
            ON CONFLICT (session_id) DO UPDATE SET session_start = EXCLUDED.session_start,
            last_event = EXCLUDED.last_event, events = EXCLUDED.events,
            pages = EXCLUDED.pages, closed = EXCLUDED.closed"""
        PURGE = """DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM sessions
            WHERE closed AND session_start < now() - make_interval(days => %s) LIMIT 10000)"""


        def _row(
            key: str,
            opened: float,
            start: float,
            last: float,
            events: int,
            pages: set[str],
            closed: bool,
        ) -> dict[str, Any]:
            return {
                "session_id": f"{key}:{round(opened * 1000)}",
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
            """One customer's sessions: the open one at every trigger, a closed one once.

            The id is fixed when a session opens, from its first event, not at random: a late
            event that moves session_start updates the same row, and a replayed batch reopens
            a session under the same id.
            """
            if state.hasTimedOut:  # the watermark passed last event + GAP_S: the session ended
                opened, start, last, events, seen = state.get
                state.remove()
                pages = set(seen.split("\\n"))
                yield pd.DataFrame([_row(key[0], opened, start, last, events, pages, True)])
                return
            if state.exists:
                opened, start, last, events, seen = state.get
                pages = set(seen.split("\\n"))
            else:
                opened = start = last = None
                events, pages = 0, set()
            rows = []
            batch = pd.concat(list(frames)).sort_values(["ts", "page"], kind="stable")
            epoch = (pd.to_datetime(batch["ts"]) - pd.Timestamp(0)).dt.total_seconds()
            for ts, page in zip(epoch, batch["page"]):
                if last is not None and ts - last > GAP_S:  # a gap: close it, open the next
                    rows.append(_row(key[0], opened, start, last, events, pages, True))
                    opened = start = last = None
                    events, pages = 0, set()
                if opened is None:
                    opened = start = last = ts
                start, last = min(start, ts), max(last, ts)
                events, pages = events + 1, pages | {page}
            rows.append(_row(key[0], opened, start, last, events, pages, False))
            state.update((opened, start, last, events, "\\n".join(sorted(pages))))
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


        def upsert(dsn: str) -> Callable[[DataFrame, int], None]:
            """foreachBatch: a trigger's sessions into PostgreSQL, one transaction, one connection.

            COPY into a temporary table, then one INSERT … ON CONFLICT (session_id): at most a
            row per customer active in the trigger. At least once: a batch replayed after a
            crash writes the same values to the same rows (effectively once).
            """

            def write(batch: DataFrame, batch_id: int) -> None:
                rows = cast(pd.DataFrame, batch.toPandas())  # on the driver: one trigger's rows
                for column in ("session_start", "last_event"):
                    rows[column] = rows[column].dt.tz_localize("UTC")
                with psycopg.connect(dsn) as conn:  # commits on leaving
                    conn.execute("CREATE TEMP TABLE stage (LIKE sessions) ON COMMIT DROP")
                    with conn.cursor().copy("COPY stage FROM STDIN") as copy:
                        for row in rows.astype(object).itertuples(index=False, name=None):
                            copy.write_row(row)
                    conn.execute(UPSERT)

            return write


        def purge(dsn: str, days: int = KEEP_DAYS) -> int:
            """Daily: delete closed sessions that started over ``days`` ago, 10,000 rows a
            transaction (short locks, autovacuum keeps up); the rows deleted."""
            deleted = 0
            with psycopg.connect(dsn, autocommit=True) as conn:
                while n := conn.execute(PURGE, (days,)).rowcount:
                    deleted += n
            return deleted


        def kafka_source(bootstrap: str, user: str, password: str) -> dict[str, str]:
            """The Kafka source's options: TLS and SASL/SCRAM as the job's own user, the
            password from the secret manager (never logged)."""
            login = "org.apache.kafka.common.security.scram.ScramLoginModule required"
            return {
                "kafka.bootstrap.servers": bootstrap,
                "kafka.security.protocol": "SASL_SSL",
                "kafka.sasl.mechanism": "SCRAM-SHA-512",
                "kafka.sasl.jaas.config": f'{login} username="{user}" password="{password}";',
            }


        def run(topic: str, checkpoint: str, dsn: str, source: dict[str, str]) -> None:
            """Kafka (``source``: kafka_source()) → sessions → PostgreSQL every TRIGGER.

            * Fresh: a batch emits each customer's open session as it stands, so the table is
              one trigger plus processing behind (session_window would emit a session only
              after GAP_S + LATE, and supports append mode alone).
            * Offsets live in the checkpoint, not in a consumer group: Spark's Kafka source
              commits none and uses its own group id. Lag and health: StreamingQueryProgress.
            """
            with psycopg.connect(dsn) as conn:
                conn.execute(DDL)
            spark = SparkSession.builder.appName("sessions").getOrCreate()
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            # state partitions: fixed by the checkpoint's first run, so sized for growth
            spark.conf.set("spark.sql.shuffle.partitions", str(PARTITIONS))
            state = "spark.sql.streaming.stateStore."
            spark.conf.set(
                state + "providerClass",
                "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
            )
            # each commit uploads the state's changes, not a snapshot (Spark 3.4+)
            spark.conf.set(state + "rocksdb.changelogCheckpointing.enabled", "true")
            raw = (
                spark.readStream.format("kafka")
                .options(**source)
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
                .foreachBatch(upsert(dsn))
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


def _state_partitions(plan: Plan) -> int:
    """The stream's one partition count (the topic's and the state store's)."""
    return plan.pipeline.partitions if plan.pipeline and plan.pipeline.partitions else 1


def data_job(plan: Plan, p: Profile) -> tuple[str, str]:
    """``(kind, app/job.py)`` for the data tool the plan chose."""
    data = plan.data
    assert data is not None
    kind: str = p.data
    if kind == "PySpark" and p.driver == "psycopg":  # the load into the serving database
        kind = "PySpark load"
    pipe = plan.pipeline
    return p.data, fill(
        _DATA[kind],
        files=f"{pipe.output_files if pipe else 1:_}",
        keep=f"{pipe.versions_kept if pipe else 2}",
        gb=f"{data.data_gb:,.0f}",
        ram=f"{data.ram_needed_gb:,.0f}",
        fresh=f"{data.freshness_s:g}",
        trigger=f"{max(1, (data.freshness_s or 2) // 2):g}",
        state_partitions=_state_partitions(plan),
        keep_days=f"{SESSIONS_KEPT_DAYS}",
        metric_days=f"{METRIC_DAYS}",
    )


_RELAY = """
    # app/relay.py
    \"\"\"The outbox relay: publish committed events in commit order, at least once, then mark them.

    One relay process per zone; a lease row lets one lead (renewed each batch) and the other
    take over when it lapses, so each account's events leave in commit order (relays sharing
    the table with SKIP LOCKED would reorder them). A batch is claimed in one short
    transaction, sent with none open, and marked in a second: a failed send leaves it unmarked
    for the next pass, so consumers dedupe by ``event_id``; a relay that lost the lease
    meanwhile leaves the batch to the new leader. Export ``lag_s()`` as a gauge, and delete
    rows published over a day ago daily, in batches.
    \"\"\"

    @asyncio_import@import json
    import os
    import socket
    from collections.abc import @Awaitable@, Callable
    from typing import Any, cast

    from sqlalchemy import CursorResult, bindparam, text
    @sa_import@
    @producer_import@

    Event = tuple[str, str, dict[str, Any]]  # (topic, key, event)
    # sends the whole batch, returns once the broker acked every event, raises if one failed
    # or 10 s passed: well inside the 30 s lease
    Publish = Callable[[list[Event]], @Awaitable_None@]
    BATCH = 100
    RELAY_ID = f"{socket.gethostname()}:{os.getpid()}"


    @async@def relay_once(
        sessions: @sessionmaker@[@Session@], publish: Publish, relay_id: str = RELAY_ID
    ) -> int:
        \"\"\"Publish up to BATCH unpublished events, oldest first, if this relay holds the
        lease; the number published.\"\"\"
        @async@with sessions() as session, session.begin():
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
        if not rows:
            return 0
        # no transaction is open here; the aggregate key is the message key (one partition)
        @await@publish([(topic, str(key), json.loads(payload)) for _, key, topic, payload in rows])
        @async@with sessions() as session, session.begin():
            held = @await@session.execute(  # its row lock holds off a takeover until the commit
                text("UPDATE outbox_relay SET lease_until = @lease_until@ "
                     "WHERE id = 1 AND holder = :me"),
                {"me": relay_id},
            )
            if cast("CursorResult[Any]", held).rowcount != 1:
                return 0  # the lease passed on mid-send: the new leader resends the batch
            @await@session.execute(
                text("UPDATE outbox SET published_at = @now@ WHERE id IN :ids")
                .bindparams(bindparam("ids", expanding=True)),
                {"ids": [row[0] for row in rows]},
            )
        return len(rows)


    @async@def lag_s(sessions: @sessionmaker@[@Session@]) -> float:
        \"\"\"Age of the oldest unpublished event, in seconds (0 when none).\"\"\"
        @async@with sessions() as session:
            age = (
                @await@session.execute(
                    text(@lag_sql@)
                )
            ).scalar_one()
        return float(age or 0)
    @producer@
"""

_KAFKA_ASYNC = """

    def make_producer(bootstrap_servers: str) -> AIOKafkaProducer:
        \"\"\"Idempotent, acks from all in-sync replicas: a retried send is neither lost,
        duplicated nor reordered within a partition. Start it in the relay's process.\"\"\"
        return AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=10_000,  # a send fails inside the 30 s lease (default 40 s)
        )


    def kafka_publish(producer: AIOKafkaProducer) -> Publish:
        \"\"\"``publish`` for relay_once: every send of the batch in flight at once, then
        the acks awaited together (one round trip per batch, not per event).\"\"\"

        async def publish(batch: list[Event]) -> None:
            acks = [
                await producer.send(topic, json.dumps(event).encode(), key=key.encode())
                for topic, key, event in batch
            ]
            await asyncio.gather(*acks)  # raises if a send failed: the batch stays unmarked

        return publish
"""

_KAFKA_SYNC = """

    def make_producer(bootstrap_servers: str) -> Producer:
        \"\"\"Idempotent, acks from all in-sync replicas: a retried send is neither lost,
        duplicated nor reordered within a partition.\"\"\"
        return Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "message.timeout.ms": 10_000,  # a send fails inside the 30 s lease
            }
        )


    def kafka_publish(producer: Producer) -> Publish:
        \"\"\"``publish`` for relay_once: the whole batch produced, then one flush waits for
        its acks (one round trip per batch, not per event).\"\"\"

        def publish(batch: list[Event]) -> None:
            failed: list[Any] = []

            def delivered(err: Any, _msg: Any) -> None:
                if err is not None:
                    failed.append(err)

            for topic, key, event in batch:
                producer.produce(
                    topic, json.dumps(event).encode(), key=key.encode(), on_delivery=delivered
                )
            if producer.flush(10) or failed:  # the batch stays unmarked
                raise RuntimeError(f"{len(failed)} of {len(batch)} events not acked: {failed[:1]}")

        return publish
"""


#: The age of the oldest unpublished outbox row, in seconds (NULL when none); MySQL's
#: ``created_at`` default is in the session's time zone, so its clock is read the same way.
_LAG_SQL = {
    "postgresql": '"SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM outbox "\n'
    '                     "WHERE published_at IS NULL"',
    "mysql": '"SELECT TIMESTAMPDIFF(MICROSECOND, MIN(created_at), CURRENT_TIMESTAMP(6)) "\n'
    '                     "/ 1e6 FROM outbox WHERE published_at IS NULL"',
}


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
        lag_sql=_LAG_SQL[p.dialect],
        asyncio_import="import asyncio\n" if kafka and p.is_async else "",
        **flavour(p.is_async),
    )
    return text.replace(
        "from collections.abc import , Callable", "from collections.abc import Callable"
    )
