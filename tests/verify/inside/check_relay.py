"""The outbox relay publishes every committed event once, keyed by its account, in commit
order per account (the credited account's too), and holds no transaction while it sends. It
sends a batch at once (Kafka: every send in flight before the first ack), marks it only after
every ack, leaves it unmarked when a send fails, and reports the oldest unpublished event's
age."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
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
            "INSERT INTO accounts (id, balance, opening) VALUES (:i, :b, :b)",
            {"i": account, "b": balance},
        )


def per_account_commit_order() -> dict[str, list[str]]:
    """Each account's event ids in the order they committed (outbox ids ascend at commit
    under the accounts' row locks)."""
    order: dict[str, list[str]] = {}
    for event_id, key in sql(ENGINE, "SELECT event_id, aggregate_key FROM outbox ORDER BY id"):
        order.setdefault(str(key), []).append(str(event_id))
    return order


class Broker:
    """The broker the relay sends to. For a Kafka design, a stand-in for the design's own
    producer (aiokafka: ``send()`` returns the future of its ack; confluent-kafka:
    ``produce()`` queues, ``flush()`` waits for the acks), driven through the design's
    ``kafka_publish``; otherwise a plain ``publish``. The ack of send number ``fail_at``
    fails (NotEnoughReplicas)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.sent: list[tuple[str, str]] = []  # (key, event id) in send order
        self.unacked = 0  # sends not yet acked
        self.most_in_flight = 0
        self.calls = 0  # publish calls (one per batch)
        self._queued: list[Any] = []

    def _sent(self, key: bytes | str, value: bytes | dict[str, Any]) -> bool:
        """Record a send; whether its ack fails."""
        event = json.loads(value) if isinstance(value, bytes) else value
        key = key.decode() if isinstance(key, bytes) else key
        self.sent.append((key, event["event_id"]))
        self.unacked += 1
        self.most_in_flight = max(self.most_in_flight, self.unacked)
        return len(self.sent) - 1 == self.fail_at

    # aiokafka's AIOKafkaProducer: the ack arrives once the sender gets to run
    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[None]:
        fails = self._sent(key, value)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def acked() -> None:
            self.unacked -= 1
            if fails:
                ack.set_exception(RuntimeError("NotEnoughReplicasError"))
            else:
                ack.set_result(None)

        asyncio.get_running_loop().call_soon(acked)
        return ack

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        await (await self.send(topic, value, key))

    # confluent-kafka's Producer: produce() queues, flush() delivers and calls back
    def produce(self, topic: str, value: bytes, key: bytes, on_delivery: Any = None) -> None:
        self._queued.append((self._sent(key, value), on_delivery))

    def flush(self, timeout: float = -1) -> int:
        for fails, on_delivery in self._queued:
            self.unacked -= 1
            on_delivery("NOT_ENOUGH_REPLICAS" if fails else None, None)
        self._queued = []
        return 0

    def poll(self, timeout: float = 0) -> int:
        return 0

    def publish(self) -> Any:
        """The ``publish`` relay_once takes, counting its calls."""
        if hasattr(relay, "kafka_publish"):
            inner = relay.kafka_publish(self)
        elif inspect.iscoroutinefunction(relay.relay_once):

            async def inner(batch: list[Any]) -> None:
                fails = [self._sent(key, event) for _, key, event in batch]
                self.unacked -= len(batch)
                if any(fails):
                    raise RuntimeError("NotEnoughReplicasError")
        else:

            def inner(batch: list[Any]) -> None:
                fails = [self._sent(key, event) for _, key, event in batch]
                self.unacked -= len(batch)
                if any(fails):
                    raise RuntimeError("NotEnoughReplicasError")

        if inspect.iscoroutinefunction(relay.relay_once):

            async def counted(batch: list[Any]) -> None:
                self.calls += 1
                await inner(batch)

            return counted

        def counted_sync(batch: list[Any]) -> None:
            self.calls += 1
            inner(batch)

        return counted_sync


def unpublished() -> int:
    return int(sql(ENGINE, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")[0][0])


def test_each_event_is_published_once_keyed_by_its_account_with_no_transaction_open() -> None:
    fresh({1: 1000, 2: 0})
    for _ in range(3):
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100)
    published: list[tuple[str, str, dict[str, Any]]] = []
    open_while_sending: list[int] = []

    if inspect.iscoroutinefunction(relay.relay_once):
        from sqlalchemy import text

        async def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            async with ENGINE.connect() as conn:  # another connection looks at the server
                open_while_sending.append(
                    int((await conn.execute(text(OPEN_TRANSACTIONS))).scalar_one())
                )
            published.extend(batch)
    else:

        def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            open_while_sending.append(int(sql(ENGINE, OPEN_TRANSACTIONS)[0][0]))
            published.extend(batch)

    assert call(relay.relay_once, SESSIONS, publish) == 6  # two legs per transfer
    assert call(relay.relay_once, SESSIONS, publish) == 0  # marked: never sent twice
    assert open_while_sending == [0], "one call for the batch, with no transaction open"
    expected = per_account_commit_order()
    got: dict[str, list[str]] = {}
    for _, key, event in published:
        got.setdefault(key, []).append(event["event_id"])
    assert got == expected
    assert set(got) == {"account:1", "account:2"}
    assert {t for t, _, _ in published} == {"postings"}


def test_a_batch_is_in_flight_at_once_and_keeps_each_accounts_order() -> None:
    """One relay carries the peak only if it does not wait a broker round trip per event:
    every send of a batch is in flight before the first ack, in commit order per account."""
    fresh({1: 1000, 2: 1000, 3: 0})
    for source in (1, 2, 1, 2, 1):
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), source, 3, 10)
    broker = Broker()
    assert call(relay.relay_once, SESSIONS, broker.publish()) == 10
    assert broker.calls == 1 and broker.most_in_flight == 10, (
        f"{broker.most_in_flight} of 10 sends in flight at once: the relay waits for each ack"
    )
    assert unpublished() == 0
    got: dict[str, list[str]] = {}
    for key, event_id in broker.sent:
        got.setdefault(key, []).append(event_id)
    assert got == per_account_commit_order()


def test_a_failed_send_leaves_the_batch_unmarked_for_the_next_pass() -> None:
    fresh({1: 1000, 2: 0})
    for _ in range(3):
        call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100)
    failing = Broker(fail_at=2)
    try:
        call(relay.relay_once, SESSIONS, failing.publish())
    except Exception:
        pass
    else:
        raise AssertionError("relay_once returned although the broker did not ack a send")
    assert unpublished() == 6, "a batch was marked although a send failed"
    assert call(relay.lag_s, SESSIONS) > 0
    retry = Broker()
    assert call(relay.relay_once, SESSIONS, retry.publish()) == 6  # the next pass sends it all
    assert unpublished() == 0 and call(relay.lag_s, SESSIONS) == 0
    got: dict[str, list[str]] = {}
    for key, event_id in retry.sent:
        got.setdefault(key, []).append(event_id)
    assert got == per_account_commit_order()


def test_the_lag_is_the_age_of_the_oldest_unpublished_event() -> None:
    fresh({1: 1000, 2: 0})
    call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100)
    assert call(relay.lag_s, SESSIONS) >= 0
    ago = (
        "created_at - interval '90 seconds'"
        if PLAN["dialect"] == "postgresql"
        else "created_at - INTERVAL 90 SECOND"
    )
    first = sql(ENGINE, "SELECT MIN(id) FROM outbox")[0][0]
    sql(ENGINE, f"UPDATE outbox SET created_at = {ago} WHERE id = :i", {"i": first})
    assert 90 <= call(relay.lag_s, SESSIONS) < 3600
    call(relay.relay_once, SESSIONS, Broker().publish())
    assert call(relay.lag_s, SESSIONS) == 0


def test_two_relays_at_once_keep_each_accounts_events_in_commit_order() -> None:
    """Two relays (one per zone) drain the outbox together: every event is published once, and
    each account's events, the credited account's included, in the order they committed."""
    fresh({1: 10000, 2: 10000, 3: 0})
    for _ in range(12):
        for source in (1, 2):
            call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), source, 3, 10)
    published: list[tuple[str, str]] = []
    if inspect.iscoroutinefunction(relay.relay_once):

        async def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            await asyncio.sleep(0.002)  # a broker round trip: the other relay may run meanwhile
            published.extend((key, event["event_id"]) for _, key, event in batch)

        async def drain(me: str) -> None:
            for _ in range(200):
                await relay.relay_once(SESSIONS, publish, me)
                await asyncio.sleep(0.001)

    else:

        def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            time.sleep(0.002)
            published.extend((key, event["event_id"]) for _, key, event in batch)

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


def test_a_relay_that_lost_its_lease_mid_send_leaves_the_batch_to_the_new_leader() -> None:
    """The lease passes to another relay while this one sends (a stalled broker): it must not
    mark the batch, so the new leader, which resends it, owns the marks."""
    fresh({1: 1000, 2: 0})
    call(ledger.transfer, SESSIONS, "shop", uuid.uuid4(), 1, 2, 100)
    takeover = "UPDATE outbox_relay SET holder = 'zone-b' WHERE id = 1"
    if inspect.iscoroutinefunction(relay.relay_once):
        from sqlalchemy import text

        async def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            async with ENGINE.begin() as conn:
                await conn.execute(text(takeover))
    else:

        def publish(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
            sql(ENGINE, takeover)

    assert call(relay.relay_once, SESSIONS, publish, "zone-a") == 0
    assert unpublished() == 2, "a relay marked a batch after losing the lease"
    assert call(relay.relay_once, SESSIONS, Broker().publish(), "zone-b") == 2
    assert unpublished() == 0


def test_the_kafka_producer_gives_up_a_send_inside_the_lease() -> None:
    """aiokafka's request timeout (40 s by default) also bounds a batch's life in its
    accumulator: it must end before the lease a relay takes (read from the database)."""
    if not hasattr(relay, "make_producer") or not inspect.iscoroutinefunction(relay.relay_once):
        return  # no Kafka producer, or confluent-kafka's (its config cannot be read back)
    fresh({1: 1000})
    assert call(relay.relay_once, SESSIONS, Broker().publish(), "zone-a") == 0
    lease_s = float(
        sql(ENGINE, "SELECT EXTRACT(EPOCH FROM lease_until - now()) FROM outbox_relay")[0][0]
        if PLAN["dialect"] == "postgresql"
        else sql(
            ENGINE,
            "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_until) / 1e6 "
            "FROM outbox_relay",
        )[0][0]
    )

    async def timeout_s() -> float:
        producer = relay.make_producer("127.0.0.1:9")  # never started: nothing connects
        return float(producer._request_timeout_ms) / 1000

    sends_s = call(timeout_s)
    assert sends_s <= lease_s / 2, f"{sends_s} s sends under a {lease_s:.0f} s lease"
