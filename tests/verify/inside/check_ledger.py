"""The ledger conserves money: a hypothesis state machine against the real database."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import threading
import uuid
from datetime import date, timedelta
from typing import Any

import app.ledger as ledger
from app.db import make_engine, make_sessions
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from verify_support import PLAN, call, gather, sql

ACCOUNTS = (1, 2, 3, 4)
ENGINE = make_engine()
SESSIONS = make_sessions(ENGINE)
TABLES = [
    t for t in ("outbox", "idempotency_keys", "postings", "accounts") if t in str(ledger.SCHEMA)
]
call(ledger.create_schema, ENGINE)
NOW = "now()" if PLAN["dialect"] == "postgresql" else "UTC_TIMESTAMP(6)"
PAST = (
    "now() - interval '1 second'"
    if PLAN["dialect"] == "postgresql"
    else "UTC_TIMESTAMP(6) - INTERVAL 1 SECOND"
)
cents = st.integers(min_value=1, max_value=1500)
accounts = st.sampled_from(ACCOUNTS)


def reset(balances: list[int]) -> None:
    for table in TABLES:
        sql(ENGINE, f"DELETE FROM {table}")
    for account, balance in zip(ACCOUNTS, balances, strict=True):
        sql(
            ENGINE,
            "INSERT INTO accounts (id, balance, opening) VALUES (:i, :b, :b)",
            {"i": account, "b": balance},
        )


def transfer(client: str, key: uuid.UUID, source: int, target: int, amount: int) -> Any:
    return call(ledger.transfer, SESSIONS, client, key, source, target, amount)


class Ledger(RuleBasedStateMachine):
    """A model of balances next to the real tables; every step compares them."""

    requests = Bundle("requests")

    @initialize(balances=st.lists(st.integers(0, 2000), min_size=4, max_size=4))
    def open_accounts(self, balances: list[int]) -> None:
        reset(balances)
        self.total = sum(balances)
        self.opening = dict(zip(ACCOUNTS, balances, strict=True))
        self.model = dict(zip(ACCOUNTS, balances, strict=True))
        self.committed: set[str] = set()  # ids of committed transfers
        self.keys: dict[tuple[str, uuid.UUID], Any] = {}  # what each key last stored
        self.expired: set[tuple[str, uuid.UUID]] = set()

    def _apply(self, outcome: Any, source: int, target: int, amount: int) -> None:
        if outcome.status == "committed":
            assert self.model[source] >= amount, "a transfer overdrew an account"
            assert outcome.transfer_id and outcome.transfer_id not in self.committed
            self.committed.add(outcome.transfer_id)
            self.model[source] -= amount
            self.model[target] += amount
        else:
            assert outcome.reason == "insufficient funds"
            assert self.model[source] < amount, "a covered transfer was refused"

    def _send(self, client: str, key: uuid.UUID, params: tuple[int, int, int]) -> None:
        """Send a request and check the answer against what the key last stored."""
        stored = self.keys.get((client, key))
        try:
            outcome = transfer(client, key, *params)
        except ledger.KeyReused:
            assert stored is not None and (client, key) not in self.expired
            assert stored[0] != params, "the same request was rejected as a reused key"
            return
        if stored is None or (client, key) in self.expired:
            assert not outcome.replayed, "a new request was answered as a replay"
            self._apply(outcome, *params)
            self.keys[(client, key)] = (params, outcome)
            self.expired.discard((client, key))
            return
        assert stored[0] == params, "a reused key with other parameters was accepted"
        assert outcome.replayed, "a replay moved money again"
        first = stored[1]
        assert (outcome.status, outcome.transfer_id, outcome.reason) == (
            first.status,
            first.transfer_id,
            first.reason,
        ), "a replay did not return the original answer"

    @rule(
        target=requests,
        client=st.sampled_from(["shop-a", "shop-b"]),
        source=accounts,
        dest=accounts,
        amount=cents,
    )
    def new_transfer(self, client: str, source: int, dest: int, amount: int) -> Any:
        if source == dest:
            dest = ACCOUNTS[(ACCOUNTS.index(source) + 1) % len(ACCOUNTS)]
        key = uuid.uuid4()
        self._send(client, key, (source, dest, amount))
        return (client, key, (source, dest, amount))

    @rule(request=requests)
    def replay(self, request: Any) -> None:
        client, key, params = request
        self._send(client, key, params)

    @rule(request=requests, extra=st.integers(1, 100))
    def reuse_key_for_another_transfer(self, request: Any, extra: int) -> None:
        client, key, (source, dest, amount) = request
        self._send(client, key, (source, dest, amount + extra))

    @rule(request=requests)
    def same_key_other_client_is_independent(self, request: Any) -> None:
        client, key, params = request
        self._send("shop-c" if client != "shop-c" else "shop-d", key, params)

    @rule(request=requests)
    def expire_key(self, request: Any) -> None:
        client, key, _ = request
        if (client, key) in self.keys:
            self.expired.add((client, key))
        sql(
            ENGINE,
            f"UPDATE idempotency_keys SET expires_at = {PAST} "
            "WHERE client_id = :c AND idem_key = "
            + ("CAST(:k AS uuid)" if PLAN["dialect"] == "postgresql" else ":k"),
            {"c": client, "k": str(key)},
        )

    @rule(
        moves=st.lists(st.tuples(accounts, accounts, cents), min_size=2, max_size=6),
    )
    def concurrent_transfers(self, moves: list[tuple[int, int, int]]) -> None:
        calls = []
        for source, dest, amount in moves:
            if source == dest:
                dest = ACCOUNTS[(ACCOUNTS.index(source) + 1) % len(ACCOUNTS)]
            calls.append(
                functools.partial(
                    ledger.transfer, SESSIONS, "shop-a", uuid.uuid4(), source, dest, amount
                )
            )
        results = gather(calls)
        for result in results:
            if isinstance(result, ledger.LedgerBusy):
                continue  # contention past the budget: nothing written, caller retries later
            if isinstance(result, Exception):
                raise result
            if result.status == "committed":
                self.committed.add(result.transfer_id)
        # the order is the database's: take the balances from it, the invariants check them
        self.model = dict(
            (int(i), int(b)) for i, b in sql(ENGINE, "SELECT id, balance FROM accounts")
        )

    @rule(request=requests)
    def duplicate_requests_at_once(self, request: Any) -> None:
        _, _, (source, dest, amount) = request
        key = uuid.uuid4()
        part = functools.partial(ledger.transfer, SESSIONS, "shop-b", key, source, dest, amount)
        results = gather([part, part])
        fresh = [r for r in results if not isinstance(r, Exception) and not r.replayed]
        errors = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, ledger.LedgerBusy) for e in errors), errors
        assert len(fresh) <= 1, "one key moved money twice"
        for r in fresh:
            if r.status == "committed":
                self.committed.add(r.transfer_id)
        self.model = dict(
            (int(i), int(b)) for i, b in sql(ENGINE, "SELECT id, balance FROM accounts")
        )

    @invariant()
    def money_is_conserved(self) -> None:
        rows = dict((int(i), int(b)) for i, b in sql(ENGINE, "SELECT id, balance FROM accounts"))
        assert sum(rows.values()) == self.total, "money was created or destroyed"
        assert min(rows.values()) >= 0, "a balance went negative"
        assert rows == self.model

    @invariant()
    def the_journal_balances(self) -> None:
        """Double entry: two postings per committed transfer summing to zero, and each
        balance is its opening balance plus its postings."""
        rows = sql(ENGINE, "SELECT transfer_id, account_id, cents FROM postings")
        per_transfer: dict[str, list[int]] = {}
        per_account = dict.fromkeys(ACCOUNTS, 0)
        for transfer_id, account, amount in rows:
            per_transfer.setdefault(str(transfer_id), []).append(int(amount))
            per_account[int(account)] += int(amount)
        assert set(per_transfer) == self.committed, "a transfer without its postings"
        assert all(len(p) == 2 and sum(p) == 0 for p in per_transfer.values())
        balances = dict(
            (int(i), int(b)) for i, b in sql(ENGINE, "SELECT id, balance FROM accounts")
        )
        assert balances == {a: self.opening[a] + per_account[a] for a in ACCOUNTS}
        assert call(ledger.reconcile, ENGINE) == [], "the nightly check disagrees"

    @invariant()
    def one_outbox_event_per_account_of_each_committed_transfer(self) -> None:
        """Each leg is published keyed by its own account, so a credited account's events
        are ordered too."""
        rows = sql(ENGINE, "SELECT event_id, aggregate_key, payload FROM outbox")
        ids = [str(e) for e, _, _ in rows]
        assert len(ids) == len(set(ids)) == 2 * len(self.committed)
        legs: dict[str, list[tuple[str, int]]] = {}
        for event_id, key, payload in rows:
            body = payload if isinstance(payload, dict) else json.loads(payload)
            assert body["event_id"] == str(event_id)
            assert key == f"account:{body['account']}", "an event keyed by another account"
            legs.setdefault(body["transfer_id"], []).append((key, int(body["cents"])))
        assert set(legs) == self.committed
        assert all(len(v) == 2 and sum(c for _, c in v) == 0 for v in legs.values())

    @invariant()
    def keys_expire_in_about_a_day(self) -> None:
        rows = sql(
            ENGINE,
            f"SELECT COUNT(*) FROM idempotency_keys WHERE expires_at > {NOW} + "
            + ("interval '25 hours'" if PLAN["dialect"] == "postgresql" else "INTERVAL 25 HOUR"),
        )
        assert int(rows[0][0]) == 0, "an idempotency key lives longer than ~24 h"


Ledger.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestLedger = Ledger.TestCase


def test_a_transfer_that_would_overdraw_is_refused_and_moves_nothing() -> None:
    reset([900, 0, 0, 0])
    outcome = transfer("shop-a", uuid.uuid4(), 1, 2, 5000)
    assert (outcome.status, outcome.reason) == ("refused", "insufficient funds")
    assert sql(ENGINE, "SELECT balance FROM accounts ORDER BY id")[:2] == [(900,), (0,)]
    assert sql(ENGINE, "SELECT COUNT(*) FROM outbox")[0][0] == 0


def test_the_nightly_reconciliation_finds_a_balance_or_a_posting_that_drifted() -> None:
    """reconcile() reports nothing while the books balance, then the account whose balance
    is not opening + postings, and the transfer whose postings do not sum to zero."""
    reset([900, 100, 0, 0])
    done = [transfer("shop-a", uuid.uuid4(), 1, 2, 300), transfer("shop-a", uuid.uuid4(), 2, 3, 50)]
    assert call(ledger.reconcile, ENGINE) == []
    sql(ENGINE, "UPDATE accounts SET balance = balance + 1 WHERE id = 3")
    assert call(ledger.reconcile, ENGINE) == [("account", "3")]
    sql(ENGINE, "UPDATE accounts SET balance = balance - 1 WHERE id = 3")
    sql(
        ENGINE,
        "UPDATE postings SET cents = cents + 7 WHERE account_id = 2 AND transfer_id = "
        + ("CAST(:t AS uuid)" if PLAN["dialect"] == "postgresql" else ":t"),
        {"t": done[0].transfer_id},
    )
    assert sorted(call(ledger.reconcile, ENGINE)) == [
        ("account", "2"),
        ("transfer", done[0].transfer_id),
    ]


def test_opposite_transfers_at_once_queue_on_the_locks_without_deadlocks() -> None:
    """One mechanism, row locks taken in id order: opposite transfers at once wait for each
    other, and none deadlocks (SERIALIZABLE on top fails some of them). Under a loaded machine
    a wait may pass the deadline: that transfer ends LedgerBusy (lock timeout), never a
    deadlock."""
    reset([10_000, 10_000, 0, 0])
    failures: list[str] = []
    original = ledger._attempt

    if inspect.iscoroutinefunction(original):

        async def counted(*args: Any) -> Any:
            try:
                return await original(*args)
            except Exception as exc:
                failures.append(str(exc).lower())
                raise
    else:

        def counted(*args: Any) -> Any:
            try:
                return original(*args)
            except Exception as exc:
                failures.append(str(exc).lower())
                raise

    ledger._attempt = counted  # type: ignore[assignment]
    try:
        moves = [(1, 2), (2, 1)] * 4
        results = gather(
            [
                functools.partial(ledger.transfer, SESSIONS, "shop-a", uuid.uuid4(), s, t, 10)
                for s, t in moves
            ]
        )
    finally:
        ledger._attempt = original  # type: ignore[assignment]
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ledger.LedgerBusy) and "lock" in str(e) for e in errors), errors
    assert not [f for f in failures if "deadlock" in f], failures
    committed = [r for r in results if not isinstance(r, Exception)]
    assert all(r.status == "committed" for r in committed)
    balances = [int(b) for (b,) in sql(ENGINE, "SELECT balance FROM accounts ORDER BY id")]
    assert sum(balances[:2]) == 20_000
    assert int(sql(ENGINE, "SELECT COUNT(*) FROM outbox")[0][0]) == 2 * len(committed)


LOCK = "SELECT id FROM accounts WHERE id = 1 FOR UPDATE"


async def _busy_while_locked_async() -> tuple[Any, bool]:
    import asyncio

    from sqlalchemy import text

    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with ENGINE.begin() as conn:
            await conn.execute(text(LOCK))
            locked.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), 15)

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        result: Any = await ledger.transfer(SESSIONS, "shop-a", uuid.uuid4(), 1, 2, 100)
    except ledger.LedgerBusy as exc:
        result = exc
    still_held = not holder.done()
    release.set()
    await holder
    return result, still_held


def _busy_while_locked_sync() -> tuple[Any, bool]:
    from sqlalchemy import text

    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with ENGINE.begin() as conn:
            conn.execute(text(LOCK))
            locked.set()
            release.wait(15)

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(30)
    try:
        result: Any = ledger.transfer(SESSIONS, "shop-a", uuid.uuid4(), 1, 2, 100)
    except ledger.LedgerBusy as exc:
        result = exc
    still_held = holder.is_alive()
    release.set()
    holder.join()
    return result, still_held


def test_a_lock_held_elsewhere_fails_the_transfer_as_busy_instead_of_waiting() -> None:
    """Another session holds the source account's row lock: the transfer gives up with
    LedgerBusy (retryable, nothing written) while the lock is still held, instead of queueing
    behind it past the deadline. The holder lets go after 15 s: a transfer that waits for
    the lock commits then, and fails this test."""
    reset([1000, 0, 0, 0])
    scenario = (
        _busy_while_locked_async
        if inspect.iscoroutinefunction(ledger.transfer)
        else _busy_while_locked_sync
    )
    result, still_held = call(scenario)
    assert isinstance(result, ledger.LedgerBusy), f"the transfer waited for the lock: {result}"
    assert "lock" in str(result), result
    assert still_held, "the transfer returned only after the lock was released"
    assert sql(ENGINE, "SELECT balance FROM accounts ORDER BY id")[:2] == [(1000,), (0,)]
    assert int(sql(ENGINE, "SELECT COUNT(*) FROM outbox")[0][0]) == 0


PARTITIONS = (
    "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'postings'::regclass"
    if PLAN["dialect"] == "postgresql"
    else "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME = 'postings' AND PARTITION_NAME <> 'p0'"
)


def balances() -> list[int]:
    return [int(b) for (b,) in sql(ENGINE, "SELECT balance FROM accounts ORDER BY id")]


def test_postings_are_partitioned_by_month_and_reconciled_over_the_open_month() -> None:
    """A partition a month from last month to three on; once roll_forward() closes the
    months before the next one, each opening is its balance and reconcile() no longer reads
    the closed postings, while a balance that drifts is still found."""
    assert int(sql(ENGINE, PARTITIONS)[0][0]) >= 5
    reset([900, 100, 0, 0])
    done = [transfer("shop-a", uuid.uuid4(), 1, 2, 300), transfer("shop-a", uuid.uuid4(), 2, 3, 50)]
    next_month = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    assert call(ledger.roll_forward, ENGINE, next_month, 3) == 4  # in batches of 3
    assert sql(ENGINE, "SELECT opening FROM accounts ORDER BY id") == [(b,) for b in balances()], (
        "an opening is not the balance at the month's close"
    )
    assert call(ledger.roll_forward, ENGINE, next_month) == 0  # a month closes once
    assert call(ledger.reconcile, ENGINE) == []
    sql(
        ENGINE,
        "UPDATE postings SET cents = cents + 7 WHERE account_id = 2 AND transfer_id = "
        + ("CAST(:t AS uuid)" if PLAN["dialect"] == "postgresql" else ":t"),
        {"t": done[0].transfer_id},
    )
    assert call(ledger.reconcile, ENGINE) == [], "reconcile() read a closed month"
    sql(ENGINE, "UPDATE accounts SET balance = balance + 1 WHERE id = 3")
    assert call(ledger.reconcile, ENGINE) == [("account", "3")]


def test_money_enters_through_a_system_account_that_may_go_negative() -> None:
    """A deposit debits the external (system) account below zero; a customer's balance
    still cannot go below zero, through transfer() or past it."""
    reset([0, 0, 0, 0])
    sql(ENGINE, "INSERT INTO accounts (id, kind, balance) VALUES (9, 'system', 0)")
    deposit = transfer("shop-a", uuid.uuid4(), 9, 1, 500)
    assert deposit.status == "committed", deposit
    assert sql(ENGINE, "SELECT id, balance FROM accounts WHERE id IN (1, 9) ORDER BY id") == [
        (1, 500),
        (9, -500),
    ]
    overdraw = transfer("shop-a", uuid.uuid4(), 1, 2, 600)
    assert (overdraw.status, overdraw.reason) == ("refused", "insufficient funds")
    try:
        sql(ENGINE, "UPDATE accounts SET balance = -1 WHERE id = 2")
    except Exception:
        pass
    else:
        raise AssertionError("a customer's balance went negative")
    assert call(ledger.reconcile, ENGINE) == []


def test_purge_keys_deletes_the_expired_keys_in_batches() -> None:
    reset([1000, 0, 0, 0])
    keys = [uuid.uuid4() for _ in range(5)]
    for key in keys:
        transfer("shop-a", key, 1, 2, 1)
    for key in keys[:3]:
        sql(
            ENGINE,
            f"UPDATE idempotency_keys SET expires_at = {PAST} WHERE idem_key = "
            + ("CAST(:k AS uuid)" if PLAN["dialect"] == "postgresql" else ":k"),
            {"k": str(key)},
        )
    assert call(ledger.purge_keys, ENGINE, 2) == 3  # batches of 2, then 1
    assert int(sql(ENGINE, "SELECT COUNT(*) FROM idempotency_keys")[0][0]) == 2
    assert transfer("shop-a", keys[4], 1, 2, 1).replayed, "a live key was purged"


def _client() -> Any:
    import app.main as main

    if hasattr(main.app, "test_client"):  # Flask
        return contextlib.nullcontext(main.app.test_client())
    from fastapi.testclient import TestClient

    return TestClient(main.app)


def _json(response: Any) -> Any:
    """The JSON body of an httpx (``.json()``) or a Werkzeug (``.json``) test response."""
    return response.json() if callable(response.json) else response.json


def test_the_route_answers_each_outcome_for_the_client_of_its_api_key() -> None:
    """POST /transfers through the design's own app: the client is the API key's (a
    client_id in the body is ignored), a replay answers the first outcome, a reused key 422,
    a refused transfer 409, a malformed body 422, an unknown key 401."""
    import app.main as main

    if not hasattr(main.app, "include_router") and not hasattr(main.app, "test_client"):
        return  # neither FastAPI nor Flask: the route is written for those two
    reset([1000, 0, 0, 0])
    sql(ENGINE, "DELETE FROM api_clients")
    sql(
        ENGINE,
        "INSERT INTO api_clients (key_sha256, client_id) VALUES (:d, 'shop-a')",
        {"d": hashlib.sha256(b"secret-a").hexdigest()},
    )
    body = {"source": 1, "target": 2, "cents": 300}

    def headers(key: str | None = None, api_key: str = "secret-a") -> dict[str, str]:
        return {"X-API-Key": api_key, "Idempotency-Key": key or str(uuid.uuid4())}

    key = str(uuid.uuid4())
    with _client() as client:
        spoofed = {**body, "client_id": "shop-b"}  # ignored: the client is the key's
        first = client.post("/transfers", json=spoofed, headers=headers(key))
        assert first.status_code == 201 and _json(first)["status"] == "committed", first.text
        again = client.post("/transfers", json=body, headers=headers(key))
        assert again.status_code == 201 and _json(again)["replayed"] is True
        assert _json(again)["transfer_id"] == _json(first)["transfer_id"]
        reused = client.post("/transfers", json={**body, "cents": 301}, headers=headers(key))
        assert reused.status_code == 422, reused.text
        refused = client.post("/transfers", json={**body, "cents": 5000}, headers=headers())
        assert refused.status_code == 409 and _json(refused)["reason"] == "insufficient funds"
        for bad in ({**body, "cents": "lots"}, {"source": 1, "target": 2}):
            assert client.post("/transfers", json=bad, headers=headers()).status_code == 422
        assert client.post("/transfers", json=body, headers=headers(api_key="x")).status_code == 401
    assert balances()[:2] == [700, 300]
    assert {c for (c,) in sql(ENGINE, "SELECT client_id FROM idempotency_keys")} == {"shop-a"}
