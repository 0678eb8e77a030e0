"""A time-series service's own code: the batch ingest route (validate, COPY, one upsert)."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.stores import compress_after_days
from pyt_arch_kit.writer.code._template import fill

__all__ = ["ingest_module"]

_INGEST = '''
    # app/ingest.py
    """POST /ingest: a batch of points, validated, then one COPY and one upsert.

    * Validation refuses the whole batch (422) before any write: more than MAX_POINTS points,
      a time without a zone, a value that is not finite, a point twice in one batch, or a
      point older than the compression policy (@compress@ days: a compressed chunk is costly
      to update) or from the future.
    * The write is one transaction on the pool's connection, through the asyncpg connection
      underneath SQLAlchemy: COPY the batch into a temp table (one per pooled connection,
      emptied at each commit, so no catalog churn per batch), then one INSERT … SELECT …
      ON CONFLICT (series_id, time) DO UPDATE, in key order, so that two batches sharing
      points wait for each other instead of deadlocking.
    * The upsert is idempotent (a resent batch writes the same rows), so the write is retried
      within the request deadline; a database still failing answers 503 and the sensor
      resends.
    """

    from datetime import UTC, datetime, timedelta

    from fastapi import APIRouter, HTTPException, Request
    from pydantic import AwareDatetime, BaseModel, Field, model_validator
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from app.retries import is_transient, with_retries

    MAX_POINTS = @max_points@  # per batch: @batch@ planned, room for a sensor that caught up
    OLDEST = timedelta(days=@compress@)  # add_compression_policy's compress_after
    NEWEST = timedelta(minutes=5)  # sensor clock skew
    STAGE = (
        "CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE metrics INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS"
    )
    UPSERT = (
        "INSERT INTO metrics (time, series_id, value) "
        "SELECT time, series_id, value FROM incoming ORDER BY series_id, time "
        "ON CONFLICT (series_id, time) DO UPDATE SET value = EXCLUDED.value"
    )
    router = APIRouter()


    class Point(BaseModel):
        series_id: int = Field(ge=1)
        time: AwareDatetime
        value: float = Field(allow_inf_nan=False)


    class Batch(BaseModel):
        points: list[Point] = Field(min_length=1, max_length=MAX_POINTS)

        @model_validator(mode="after")
        def _one_value_per_point_in_range(self) -> "Batch":
            if len({(p.series_id, p.time) for p in self.points}) != len(self.points):
                raise ValueError("a (series_id, time) appears twice: send one value per point")
            now = datetime.now(UTC)
            if any(not now - OLDEST <= p.time <= now + NEWEST for p in self.points):
                raise ValueError(f"a point is older than {OLDEST.days} days or in the future")
            return self


    async def write(sessions: async_sessionmaker[AsyncSession], points: list[Point]) -> int:
        """The batch in one transaction: COPY into the temp table, then the upsert; the
        points written (inserted or updated)."""
        rows = [(p.time, p.series_id, p.value) for p in points]
        async with sessions() as session:
            raw = await (await session.connection()).get_raw_connection()
            pg = raw.driver_connection  # asyncpg's connection, still checked out of the pool
            assert pg is not None
            async with pg.transaction():
                await pg.execute(STAGE)
                await pg.copy_records_to_table(
                    "incoming", records=rows, columns=["time", "series_id", "value"]
                )
                status: str = await pg.execute(UPSERT)  # "INSERT 0 <rows>"
        return int(status.rsplit(" ", 1)[-1])


    @router.post("/ingest")
    async def ingest(batch: Batch, request: Request) -> dict[str, int]:
        sessions = request.app.state.sessions
        try:
            written = await with_retries(lambda: write(sessions, batch.points), idempotent=True)
        except Exception as exc:
            if not is_transient(exc):
                raise
            raise HTTPException(
                503, "the database is unavailable: resend the batch", {"Retry-After": "1"}
            ) from exc
        return {"points": written}
'''


def ingest_module(plan: Plan) -> str:
    """``app/ingest.py``: the batch route, with the plan's batch size and compression age."""
    batch = plan.resolved.workload.points_per_request
    chunk = plan.figure("timescale_chunk_interval_h").value
    return fill(
        _INGEST,
        batch=fmt_number(batch),
        max_points=max(100, int(batch) * 10),
        compress=compress_after_days(chunk),
    )
