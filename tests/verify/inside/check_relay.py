"""The outbox relay publishes every committed event once, keyed by its account, in commit
order per account (the credited account's too), and holds no transaction while it sends."""

from __future__ import annotations

import functools
import inspect
import time
import uuid
from typing import Any

import app.ledger as ledger
import app.relay as relay
from app.db import make_engine, make_sessions
from verify_support import PLAN, call, gather, sql

ENGINE = make_engine()
SESSIONS = make_sessions(ENGINE)
TABLES = [
    t for t in ("outbox", "idempotency_keys", "postings", "accounts") if t in str(ledger.SCHEMA)
]
# transactions open on the server right now (a relay sending inside one would show here)
OPEN_TRANSACTIONS = (
    "SELECT COUNT(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' "
    "AND datname = current_database()"
    if PLAN["dialect"] == "postgresql"
    else "SELECT COUNT(*) FROM information_schema.innodb_trx t "
    "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
    "WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID()"
)


def fresh(balances: dict[int, int]) -> None:
    call(ledger.create_schema, ENGINE)
    for table in TABLES:
        sql(ENGINE, f"DELETE FROM {table}")
    past = "'-infinity'" if PLAN["dialect"] == "postgresql" else "'1970-01-01 00:00:01'"
    sql(ENGINE, f"UPDATE outbox_relay SET holder = '', lease_until = {past} WHERE id = 1")
    for account, balance in balances.items():
        sql(
            ENGINE,
            "INSERT INTO accounts (id, balance) VALUES (:i, :b)",
            {"i": account, "b": balance},
        )


def per_account_commit_order() -> dict[str, list[str]]:
    """Each account's event ids in the order they committed (outbox ids ascend at commit
    under the accounts' row locks)."""
    order: dict[str, list[str]] = {}
    for event_id, key in sql(ENGINE, "SELECT event_id, aggregate_key FROM outbox ORDER BY id"):
        order.setdefault(str(key), []).append(str(event_id))
    return order


def test_each_event_is_published_once_keyed_by_its_account_with_no_transaction_open() -> None:
    fresh({1: 1000, 2: 0})
    for _ in range(3):
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100)
    published: list[tuple[str, str, dict[str, Any]]] = []
    open_while_sending: list[int] = []

    if inspect.iscoroutinefunction(relay.relay_once):
        from sqlalchemy import text

        async def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            async with ENGINE.connect() as conn:  # another connection looks at the server
                open_while_sending.append(
                    int((await conn.execute(text(OPEN_TRANSACTIONS))).scalar_one())
                )
            published.append((topic, key, event))
    else:

        def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            open_while_sending.append(int(sql(ENGINE, OPEN_TRANSACTIONS)[0][0]))
            published.append((topic, key, event))

    assert call(relay.relay_once, SESSIONS, publish) == 6  # two legs per transfer
    assert call(relay.relay_once, SESSIONS, publish) == 0  # marked: never sent twice
    assert open_while_sending == [0] * 6, "the relay held a transaction open while sending"
    expected = per_account_commit_order()
    got: dict[str, list[str]] = {}
    for _, key, event in published:
        got.setdefault(key, []).append(event["event_id"])
    assert got == expected
    assert set(got) == {"account:1", "account:2"}
    assert {t for t, _, _ in published} == {"postings"}


def test_two_relays_at_once_keep_each_accounts_events_in_commit_order() -> None:
    """Two relays (one per zone) drain the outbox together: every event is published once, and
    each account's events, the credited account's included, in the order they committed."""
    fresh({1: 10000, 2: 10000, 3: 0})
    for _ in range(12):
        for source in (1, 2):
            call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), source, 3, 10)
    published: list[tuple[str, str]] = []
    if inspect.iscoroutinefunction(relay.relay_once):
        import asyncio

        async def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            await asyncio.sleep(0.002)  # a broker round trip: the other relay may run meanwhile
            published.append((key, event["event_id"]))

        async def drain(me: str) -> None:
            for _ in range(200):
                await relay.relay_once(SESSIONS, publish, me)
                await asyncio.sleep(0.001)

    else:

        def publish(topic: str, key: str, event: dict[str, Any]) -> None:
            time.sleep(0.002)
            published.append((key, event["event_id"]))

        def drain(me: str) -> None:
            for _ in range(200):
                relay.relay_once(SESSIONS, publish, me)
                time.sleep(0.001)

    relay.BATCH = 4
    try:
        results = gather([functools.partial(drain, "zone-a"), functools.partial(drain, "zone-b")])
    finally:
        relay.BATCH = 100
    assert not [r for r in results if isinstance(r, Exception)], results
    expected = per_account_commit_order()
    assert sorted(e for _, e in published) == sorted(e for v in expected.values() for e in v), (
        "an event was lost or published twice"
    )
    for key, events in expected.items():
        assert [e for k, e in published if k == key] == events, f"{key}: events reordered"
