"""The snapshot route a reconnect storm hits: many concurrent requests for one channel cost the
database one query (the worker's per-channel cache, refilled by one query at a time), against
the real PostgreSQL, through the design's own server, pool and route. A missing channel is a
404 and a request without a valid ticket a 401.

The channel_state the route reads is a view here that counts its reads (a sequence) and takes
0.2 s each (pg_sleep), so the requests overlap the first query."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app.ws import ticket
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

REQUESTS = 100
STATE = '{"match": 1, "score": [2, 1]}'

SETUP = [
    "DROP VIEW IF EXISTS channel_state",
    "DROP TABLE IF EXISTS channel_rows",
    "DROP FUNCTION IF EXISTS counted_read()",
    "DROP SEQUENCE IF EXISTS snapshot_reads",
    "CREATE SEQUENCE snapshot_reads",
    "CREATE TABLE channel_rows (channel text PRIMARY KEY, body text NOT NULL)",
    """CREATE FUNCTION counted_read() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
    BEGIN PERFORM nextval('snapshot_reads'); PERFORM pg_sleep(0.2); RETURN true; END $$""",
    "CREATE VIEW channel_state AS SELECT channel, body FROM channel_rows WHERE counted_read()",
]


def database(statements: list[str], params: dict[str, str] | None = None) -> int:
    """Run ``statements``; the number of channel_state reads so far."""

    async def run() -> int:
        engine = create_async_engine(os.environ["APP_DATABASE_URL"])
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement), params or {})
            reads = text("SELECT last_value, is_called FROM snapshot_reads")
            seq = (await conn.execute(reads)).one()
        await engine.dispose()
        return int(seq.last_value) if seq.is_called else 0

    return asyncio.run(run())


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One uvicorn worker serving the design's app against the real database: a TTL longer
    than the test, and a deadline past the slow view, so only the single flight is tested."""
    database(SETUP)
    database(["INSERT INTO channel_rows VALUES ('match-1', :state)"], {"state": STATE})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = tmp_path_factory.mktemp("snapshot") / "uvicorn.log"
    env = {**os.environ, "APP_SNAPSHOT_TTL_S": "600", "APP_REQUEST_DEADLINE_S": "30"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)
        print(Path(log).read_text()[-3000:])


async def storm(port: int, channel: str, n: int) -> list[tuple[int, str]]:
    """``n`` concurrent snapshot requests for ``channel``: (status, body) each."""
    url = f"http://127.0.0.1:{port}/snapshot/{channel}"
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.get(url, params={"token": ticket("fan")}) for _ in range(n))
        )
    return [(r.status_code, r.text) for r in responses]


def test_concurrent_snapshot_requests_cost_one_query(port: int) -> None:
    before = database([])
    got = asyncio.run(storm(port, "match-1", REQUESTS))
    assert got == [(200, STATE)] * REQUESTS
    assert database([]) - before == 1, "each request queried the database"


def test_a_missing_channel_is_404_and_a_request_without_a_ticket_401(port: int) -> None:
    assert asyncio.run(storm(port, "no-such-match", 3)) == [(404, "")] * 3
    bad = httpx.get(f"http://127.0.0.1:{port}/snapshot/match-1", params={"token": "x.1.y"})
    assert bad.status_code == 401
