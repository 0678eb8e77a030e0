"""The outbox relay publishes every committed event once, keyed by its aggregate."""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import app.ledger as ledger
import app.relay as relay
from app.db import make_engine, make_sessions
from verify_support import call, sql

ENGINE = make_engine()
SESSIONS = make_sessions(ENGINE)


def test_each_committed_transfer_is_published_once_in_order() -> None:
    call(ledger.create_schema, ENGINE)
    for table in ("outbox", "idempotency_keys", "accounts"):
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
