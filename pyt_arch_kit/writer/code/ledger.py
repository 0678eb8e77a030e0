"""The exactly-once money-moving command: journal, locking order, retries, idempotency, outbox."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile, Timeouts

__all__ = ["ledger"]

_SCHEMA = {
    "postgresql": '''(
        """CREATE TABLE IF NOT EXISTS accounts (
            id bigint PRIMARY KEY,
            balance bigint NOT NULL CHECK (balance >= 0)
        )""",
        """CREATE TABLE IF NOT EXISTS postings (
            id bigserial PRIMARY KEY,
            transfer_id uuid NOT NULL,
            account_id bigint NOT NULL REFERENCES accounts (id),
            cents bigint NOT NULL CHECK (cents <> 0),
            posted_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id text NOT NULL,
            idem_key uuid NOT NULL,
            fingerprint text NOT NULL,
            response jsonb NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (client_id, idem_key)
        )""",
        """CREATE TABLE IF NOT EXISTS outbox (
            id bigserial PRIMARY KEY,
            event_id uuid NOT NULL UNIQUE,
            aggregate_key text NOT NULL,
            topic text NOT NULL,
            payload jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        )""",
        """CREATE TABLE IF NOT EXISTS outbox_relay (
            id smallint PRIMARY KEY,
            holder text NOT NULL DEFAULT '',
            lease_until timestamptz NOT NULL DEFAULT '-infinity'
        )""",
        "INSERT INTO outbox_relay (id) VALUES (1) ON CONFLICT DO NOTHING",
    )''',
    "mysql": '''(
        """CREATE TABLE IF NOT EXISTS accounts (
            id BIGINT PRIMARY KEY,
            balance BIGINT NOT NULL,
            CONSTRAINT balance_not_negative CHECK (balance >= 0)
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS postings (
            id BIGINT AUTO_INCREMENT PRIMARY KEY,
            transfer_id CHAR(36) NOT NULL,
            account_id BIGINT NOT NULL,
            cents BIGINT NOT NULL,
            posted_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
            CONSTRAINT posting_account FOREIGN KEY (account_id) REFERENCES accounts (id),
            CONSTRAINT posting_not_zero CHECK (cents <> 0)
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id VARCHAR(64) NOT NULL,
            idem_key CHAR(36) NOT NULL,
            fingerprint CHAR(64) NOT NULL,
            response JSON NOT NULL,
            expires_at DATETIME(6) NOT NULL,
            PRIMARY KEY (client_id, idem_key)
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS outbox (
            id BIGINT AUTO_INCREMENT PRIMARY KEY,
            event_id CHAR(36) NOT NULL UNIQUE,
            aggregate_key VARCHAR(64) NOT NULL,
            topic VARCHAR(64) NOT NULL,
            payload JSON NOT NULL,
            created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
            published_at DATETIME(6) NULL
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS outbox_relay (
            id TINYINT PRIMARY KEY,
            holder VARCHAR(128) NOT NULL DEFAULT '',
            lease_until DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:01'
        ) ENGINE=InnoDB""",
        "INSERT IGNORE INTO outbox_relay (id) VALUES (1)",
    )''',
}

_SQL = {
    "postgresql": {
        "now": "now()",
        "expires": "now() + interval '24 hours'",
        "uuid": "CAST(:k AS uuid)",
        "event": "CAST(:e AS uuid)",
        "json": "CAST(:r AS jsonb)",
        "payload": "CAST(:p AS jsonb)",
        "response": "CAST(response AS text)",
        "retryable": '{\n    "55P03": "lock timeout",\n    "40P01": "deadlock",\n'
        '    "23505": "concurrent duplicate key",\n}',
        "lock_wait": "# SET LOCAL lock_timeout (SET takes no parameters)\n"
        "        @await@session.execute(\n"
        "            text(\"SELECT set_config('lock_timeout', :t, true)\"),\n"
        '            {"t": f"{max(1, int(remaining_s * 1000))}ms"},\n'
        "        )",
        "code": 'getattr(exc.orig, "sqlstate", None)',
        "key_param": "key",
    },
    "mysql": {
        "now": "UTC_TIMESTAMP(6)",
        "expires": "UTC_TIMESTAMP(6) + INTERVAL 24 HOUR",
        "uuid": ":k",
        "event": ":e",
        "json": ":r",
        "payload": ":p",
        "response": "response",
        "retryable": '{1205: "lock wait timeout", 1213: "deadlock", '
        '1062: "concurrent duplicate key"}',
        "lock_wait": "# whole seconds: 1 is the least InnoDB allows\n"
        '        @await@session.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))',
        "code": "exc.orig.args[0] if exc.orig is not None and exc.orig.args else None",
        "key_param": "str(key)",
    },
}

_RETRY_DOC = {
    "postgresql": (
        "* A lock wait ends at the deadline: lock_timeout is set per transaction to the\n"
        "  time left. Only transfer() retries (never wrap it in with_retries), with jittered\n"
        "  backoff, within DEADLINE_S: lock timeouts (55P03), deadlocks (40P01; the lock order\n"
        "  prevents them between transfers) and a concurrent first use of one key (23505).\n"
        "  Past that LedgerBusy is raised and nothing was written, so the client may retry\n"
        "  later with the same idempotency key."
    ),
    "mysql": (
        "* A lock wait ends after innodb_lock_wait_timeout = 1 s, the least InnoDB allows\n"
        "  (whole seconds), so one wait may outlast DEADLINE_S. Only transfer() retries (never\n"
        "  wrap it in with_retries), with jittered backoff, within DEADLINE_S: lock wait\n"
        "  timeouts (1205), deadlocks (1213; the lock order prevents them between transfers)\n"
        "  and a concurrent first use of one key (1062). Past that LedgerBusy is raised and\n"
        "  nothing was written, so the client may retry later with the same idempotency key."
    ),
}

_LEDGER = '''
    # app/ledger.py
    """Move money exactly once, @dialect_name@.

    * Double entry: a transfer is two postings (-cents, +cents) in the journal, and each
      account's balance is maintained in the same transaction, so balance = opening + its
      postings, and every transfer's postings sum to zero.
    * One consistency mechanism: READ COMMITTED and row locks. Both accounts are locked
      (SELECT … FOR UPDATE) in id order, so opposite transfers queue instead of deadlocking,
      and the debit's row count is checked, so a balance never goes negative. SERIALIZABLE on
      top would only add serialization failures (retries, 503s) for no extra safety.
    @retry_doc@
    * Idempotency keys are scoped to the client, expire after 24 h, carry a fingerprint of the
      request and store the response: a replay returns the original outcome (``replayed=True``),
      and a reused key with other parameters raises KeyReused (answer 422).
    * A committed transfer writes one outbox event per account (event id, key ``account:<id>``)
      in the same commit, so each account's events, credits too, keep their order.
    """

    @asyncio_import@import hashlib
    import json
    import random
    import time
    import uuid
    from dataclasses import asdict, dataclass
    from typing import Any, Literal, cast

    from sqlalchemy import CursorResult, text
    from sqlalchemy.exc import DBAPIError
    @sa_import@

    SCHEMA = @schema@
    RETRYABLE: dict[Any, str] = @retryable@
    DEADLINE_S = @deadline@  # = settings.request_deadline_s: a transfer with its retries


    class LedgerBusy(Exception):
        """Contention outlasted the retry budget; nothing was written (answer 503)."""


    class KeyReused(Exception):
        """The idempotency key was used before with other parameters (answer 422)."""


    @dataclass(frozen=True)
    class Outcome:
        """What happened to a transfer request."""

        status: Literal["committed", "refused"]
        transfer_id: str = ""  # the postings' id of a committed transfer
        reason: str = ""  # why a transfer was refused
        replayed: bool = False  # the stored answer to an earlier request with the same key


    @async@def create_schema(engine: @Engine@) -> None:
        """The tables this module needs (use your migration tool in production)."""
        @async@with engine.begin() as conn:
            for statement in SCHEMA:
                @await@conn.execute(text(statement))


    def fingerprint(source: int, target: int, cents: int) -> str:
        """What the key was first used for; another request under the key is rejected."""
        return hashlib.sha256(f"{source}:{target}:{cents}".encode()).hexdigest()


    @async@def transfer(
        sessions: @sessionmaker@[@Session@],
        client_id: str,
        key: uuid.UUID,
        source: int,
        target: int,
        cents: int,
    ) -> Outcome:
        """Debit ``source`` and credit ``target`` once per ``(client_id, key)``."""
        if cents <= 0 or source == target:
            raise ValueError("cents must be positive and the accounts must differ")
        deadline = time.monotonic() + DEADLINE_S
        attempt = 0
        while True:
            attempt += 1
            try:
                return @await@_attempt(
                    sessions, client_id, key, source, target, cents, deadline - time.monotonic()
                )
            except DBAPIError as exc:
                code = @code@
                if code not in RETRYABLE:
                    raise
                pause = random.uniform(0, min(0.05, 0.002 * 2**attempt))
                if time.monotonic() + pause >= deadline:
                    raise LedgerBusy(f"{RETRYABLE[code]} after {attempt} attempt(s)") from exc
                @await@@sleep@(pause)


    @async@def _attempt(
        sessions: @sessionmaker@[@Session@],
        client_id: str,
        key: uuid.UUID,
        source: int,
        target: int,
        cents: int,
        remaining_s: float,
    ) -> Outcome:
        ids = {"c": client_id, "k": @key_param@}
        @async@with sessions() as session, session.begin():
            @await@session.connection(execution_options={"isolation_level": "READ COMMITTED"})
            @lock_wait@
            @await@session.execute(
                text("DELETE FROM idempotency_keys WHERE client_id = :c "
                     "AND idem_key = @uuid@ AND expires_at <= @now@"),
                ids,
            )
            stored = (
                @await@session.execute(
                    text("SELECT fingerprint, @response@ FROM idempotency_keys "
                         "WHERE client_id = :c AND idem_key = @uuid@"),
                    ids,
                )
            ).first()
            if stored is not None:
                if stored[0] != fingerprint(source, target, cents):
                    raise KeyReused(f"key {key} was used for another transfer")
                return Outcome(**{**json.loads(stored[1]), "replayed": True})
            rows = (
                @await@session.execute(
                    text("SELECT id, balance FROM accounts WHERE id IN (:s, :t) "
                         "ORDER BY id FOR UPDATE"),
                    {"s": source, "t": target},
                )
            ).all()
            balances = {int(row[0]): int(row[1]) for row in rows}
            if len(balances) < 2:
                outcome = Outcome("refused", reason="unknown account")
            elif balances[source] < cents:
                outcome = Outcome("refused", reason="insufficient funds")
            else:
                debit = cast(
                    "CursorResult[Any]",
                    @await@session.execute(
                        text("UPDATE accounts SET balance = balance - :c "
                             "WHERE id = :s AND balance >= :c"),
                        {"c": cents, "s": source},
                    ),
                )
                if debit.rowcount != 1:  # never credit without the matching debit
                    raise RuntimeError("the debit did not apply; rolled back")
                @await@session.execute(
                    text("UPDATE accounts SET balance = balance + :c WHERE id = :t"),
                    {"c": cents, "t": target},
                )
                transfer_id = str(uuid.uuid4())
                @await@session.execute(
                    text("INSERT INTO postings (transfer_id, account_id, cents) "
                         "VALUES (@event@, :s, :debit), (@event@, :t, :c)"),
                    {"e": transfer_id, "s": source, "t": target, "debit": -cents, "c": cents},
                )
                for account, amount in ((source, -cents), (target, cents)):
                    event_id = str(uuid.uuid4())
                    @await@session.execute(
                        text("INSERT INTO outbox (event_id, aggregate_key, topic, payload) "
                             "VALUES (@event@, :a, 'postings', @payload@)"),
                        {
                            "e": event_id,
                            "a": f"account:{account}",  # the message key: per-account order
                            "p": json.dumps({"event_id": event_id, "transfer_id": transfer_id,
                                             "account": account, "cents": amount}),
                        },
                    )
                outcome = Outcome("committed", transfer_id=transfer_id)
            @await@session.execute(
                text("INSERT INTO idempotency_keys "
                     "(client_id, idem_key, fingerprint, response, expires_at) "
                     "VALUES (:c, @uuid@, :f, @json@, @expires@)"),
                {**ids, "f": fingerprint(source, target, cents),
                 "r": json.dumps(asdict(outcome))},
            )
            return outcome
'''


def ledger(p: Profile, t: Timeouts) -> str:
    """``app/ledger.py`` for PostgreSQL or MySQL, async or sync."""
    sql = _SQL[p.dialect]
    sa_import = (
        "from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker"
        if p.is_async
        else "from sqlalchemy.engine import Engine\n"
        "from sqlalchemy.orm import Session, sessionmaker"
    )
    return fill(
        _LEDGER,
        dialect_name="on PostgreSQL" if p.dialect == "postgresql" else "on MySQL/MariaDB (InnoDB)",
        retry_doc=_RETRY_DOC[p.dialect],
        asyncio_import="import asyncio\n" if p.is_async else "",
        sa_import=sa_import,
        schema=_SCHEMA[p.dialect].replace("\n    ", "\n"),
        deadline=t.deadline_s,
        Engine="AsyncEngine" if p.is_async else "Engine",
        sessionmaker="async_sessionmaker" if p.is_async else "sessionmaker",
        Session="AsyncSession" if p.is_async else "Session",
        **sql,
        **flavour(p.is_async),
    )
