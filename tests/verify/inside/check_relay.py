"""The outbox relay publishes every committed event once, keyed by its aggregate."""

from __future__ import annotations

import functools
import inspect
import time
import uuid
from typing import Any

import app.ledger as ledger
import app.relay as relay
from app.db import make_engine, make_sessions
from verify_support import call, gather, sql

ENGINE = make_engine()
SESSIONS = make_sessions(ENGINE)
TABLES = [
    t for t in ("outbox", "idempotency_keys", "postings", "accounts") if t in str(ledger.SCHEMA)
]


def test_each_committed_transfer_is_published_once_in_order() -> None:
    call(ledger.create_schema, ENGINE)
    for table in TABLES:
        sql(ENGINE, f"DELETE FROM {table}")
    sql(ENGINE, "INSERT INTO accounts (id, balance) VALUES (1, 1000), (2, 0)")
    events = [
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100).event_id for _ in range(3)
    ]
    published: list[tuple[str, str, dict[str, Any]]] = []
    if inspect.iscoroutinefunction(relay.relay_once):

        async def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            published.append((topic, key, event))
    else:

        def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            published.append((topic, key, event))

    assert call(relay.relay_once, SESSIONS, publish) == 3
    assert call(relay.relay_once, SESSIONS, publish) == 0  # marked: never sent twice
    assert [e["event_id"] for _, _, e in published] == events  # commit order
    assert {(t, k) for t, k, _ in published} == {("transfers", "account:1")}


def test_two_relays_at_once_keep_each_accounts_events_in_commit_order() -> None:
    """Two relays (one per zone) drain the outbox together: every event is published once, and
    each account's events in the order they committed (SKIP LOCKED relays reorder them)."""
    call(ledger.create_schema, ENGINE)
    for table in TABLES:
        sql(ENGINE, f"DELETE FROM {table}")
    sql(ENGINE, "INSERT INTO accounts (id, balance) VALUES (1, 10000), (2, 10000), (3, 0)")
    committed = [
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), source, 3, 10).event_id
        for _ in range(12)
        for source in (1, 2)
    ]
    published: list[str] = []
    if inspect.iscoroutinefunction(relay.relay_once):
        import asyncio

        async def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            await asyncio.sleep(0.002)  # a broker round trip: the other relay may run meanwhile
            published.append(event["event_id"])

        async def drain() -> None:
            while await relay.relay_once(SESSIONS, publish):
                pass
    else:

        def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            time.sleep(0.002)
            published.append(event["event_id"])

        def drain() -> None:
            while relay.relay_once(SESSIONS, publish):
                pass

    relay.BATCH = 4
    try:
        results = gather([functools.partial(drain), functools.partial(drain)])
    finally:
        relay.BATCH = 100
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(published) == sorted(committed), "an event was lost or published twice"
    order = {event: i for i, event in enumerate(published)}
    for source in (1, 2):
        mine = committed[source - 1 :: 2]
        assert sorted(mine, key=order.__getitem__) == mine, f"account {source}: events reordered"
