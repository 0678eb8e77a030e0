"""The time-series ingest route against real PostgreSQL, through the app: a batch is COPYed and
upserted, a resent batch converges to the same rows, a bad batch is refused whole, batches
sharing points do not deadlock, and a database that stays down answers 503 after the retries.
The table is the design's own (its CREATE TABLE and unique index), without the hypertable call:
Debian packages no TimescaleDB."""

from __future__ import annotations

import functools
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from app import ingest
from app.db import make_engine, make_sessions
from app.ingest import MAX_POINTS
from app.main import app
from sqlalchemy.ext.asyncio import create_async_engine
from verify_support import call, gather, sql

ENGINE = make_engine()
sql(ENGINE, "DROP TABLE IF EXISTS metrics")
for statement in os.environ["VERIFY_DDL"].split(";\n"):
    sql(ENGINE, statement)
app.state.sessions = make_sessions(ENGINE)
NOW = datetime.now(UTC).replace(microsecond=0)


def points(series: range, values: float = 1.0, at: datetime = NOW) -> list[dict[str, Any]]:
    return [
        {"series_id": s, "time": (at - timedelta(seconds=i)).isoformat(), "value": values + s}
        for i, s in enumerate(series)
    ]


async def _post(body: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return await client.post("/ingest", json=body)


def post(body: Any) -> httpx.Response:
    response: httpx.Response = call(_post, body)
    return response


def rows() -> list[Any]:
    return sql(ENGINE, "SELECT series_id, time, value FROM metrics ORDER BY series_id, time")


def test_a_batch_is_written_and_a_resent_batch_converges() -> None:
    sql(ENGINE, "DELETE FROM metrics")
    first = post({"points": points(range(1, 11))})
    assert first.status_code == 200, first.text
    assert first.json() == {"points": 10}
    assert len(rows()) == 10
    again = post({"points": points(range(1, 11), values=100.0)})  # resent, corrected values
    assert again.status_code == 200, again.text
    stored = rows()
    assert len(stored) == 10, "a resent batch duplicated points"
    assert sorted(r.value for r in stored) == [100.0 + s for s in range(1, 11)]


def test_a_bad_batch_is_refused_whole_before_any_write() -> None:
    sql(ENGINE, "DELETE FROM metrics")
    good = points(range(1, 4))
    naive = [{**good[0], "time": NOW.replace(tzinfo=None).isoformat()}]
    bad = {
        "a point twice": [*good, good[0]],
        "a time without a zone": good + naive,
        "too many points": points(range(1, MAX_POINTS + 2)),
        "no points": [],
        "older than compression": good + points(range(9, 10), at=NOW - timedelta(days=30)),
        "from the future": good + points(range(9, 10), at=NOW + timedelta(hours=1)),
        "a series id below 1": good + points(range(0, 1)),
    }
    for what, body in bad.items():
        response = post({"points": body})
        assert response.status_code == 422, f"{what}: {response.status_code} {response.text}"
    assert rows() == [], "a refused batch wrote some of its points"


def test_batches_sharing_points_do_not_deadlock() -> None:
    """Batches with the same points in opposite orders, at once: without the upsert's key
    order two of them would deadlock (PostgreSQL raises it after deadlock_timeout). Called
    without a timeout, so a deadlock shows as its own error, not as a timeout."""
    sql(ENGINE, "DELETE FROM metrics")
    batch = [ingest.Point.model_validate(p) for p in points(range(1, 41))]
    for _ in range(3):
        calls = [
            functools.partial(ingest.write, app.state.sessions, batch[:: 1 if i % 2 else -1])
            for i in range(8)
        ]
        assert gather(calls) == [40] * 8
    assert len(rows()) == 40


def test_concurrent_requests_share_the_pool() -> None:
    sql(ENGINE, "DELETE FROM metrics")
    batches = [points(range(10 * i + 1, 10 * i + 11)) for i in range(8)]
    answers = gather([functools.partial(_post, {"points": b}) for b in batches])
    assert [getattr(a, "status_code", a) for a in answers] == [200] * 8
    assert len(rows()) == 80


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_database_that_stays_down_answers_503_to_resend() -> None:
    down = create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/x")
    kept = app.state.sessions
    app.state.sessions = make_sessions(down)
    try:
        response = post({"points": points(range(1, 3))})
    finally:
        app.state.sessions = kept
        call(down.dispose)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
