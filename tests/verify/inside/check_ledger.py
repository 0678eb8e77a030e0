"""The ledger conserves money: a hypothesis state machine against the real database."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import threading
import uuid
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
            "INSERT INTO accounts (id, balance) VALUES (:i, :b)",
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
