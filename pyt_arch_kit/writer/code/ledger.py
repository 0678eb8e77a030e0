"""The exactly-once money-moving command: journal, locking order, retries, idempotency, outbox."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile
from pyt_arch_kit.writer.code.rest import KEY_TTL_H

__all__ = ["ledger", "transfer_route"]

_SCHEMA = {
    "postgresql": '''(
        """CREATE TABLE IF NOT EXISTS accounts (
            id bigint PRIMARY KEY,
            -- money enters and leaves through system accounts (settlement, fees), which may
            -- go negative; a customer's balance may not
            kind text NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer', 'system')),
            balance bigint NOT NULL,
            opening bigint NOT NULL DEFAULT 0,  -- the balance at opening_at
            opening_at timestamptz NOT NULL DEFAULT now(),  -- rolled forward monthly
            CHECK (kind = 'system' OR balance >= 0)
        )""",
        # one partition a month (add_partitions): the open month is the working set
        """CREATE TABLE IF NOT EXISTS postings (
            id bigserial,
            transfer_id uuid NOT NULL,
            account_id bigint NOT NULL REFERENCES accounts (id),
            cents bigint NOT NULL CHECK (cents <> 0),
            posted_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (id, posted_at)  -- a partitioned table's keys hold its partition key
        ) PARTITION BY RANGE (posted_at)""",
        "CREATE INDEX IF NOT EXISTS postings_account ON postings (account_id, posted_at)",
        """CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id text NOT NULL,
            idem_key uuid NOT NULL,
            fingerprint text NOT NULL,
            response jsonb NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (client_id, idem_key)
        )""",
        "CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at)",
        """CREATE TABLE IF NOT EXISTS api_clients (
            key_sha256 text PRIMARY KEY,  -- the API key's hash, never the key
            client_id text NOT NULL
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
        # the relay reads the unpublished rows only, never the published history
        "CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
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
            kind VARCHAR(16) NOT NULL DEFAULT 'customer',
            balance BIGINT NOT NULL,
            opening BIGINT NOT NULL DEFAULT 0,  -- the balance at opening_at
            opening_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),  -- rolled forward
            CONSTRAINT account_kind CHECK (kind IN ('customer', 'system')),
            -- money enters and leaves through system accounts (settlement, fees), which may
            -- go negative; a customer's balance may not
            CONSTRAINT customer_not_negative CHECK (kind = 'system' OR balance >= 0)
        ) ENGINE=InnoDB""",
        # one partition a month (add_partitions): the open month is the working set; a
        # partitioned InnoDB table takes no foreign key (transfer() locks both accounts)
        """CREATE TABLE IF NOT EXISTS postings (
            id BIGINT AUTO_INCREMENT,
            transfer_id CHAR(36) NOT NULL,
            account_id BIGINT NOT NULL,
            cents BIGINT NOT NULL,
            posted_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
            PRIMARY KEY (id, posted_at),  -- a partitioned table's keys hold its partition key
            INDEX postings_account (account_id, posted_at),
            CONSTRAINT posting_not_zero CHECK (cents <> 0)
        ) ENGINE=InnoDB
        PARTITION BY RANGE COLUMNS (posted_at) (PARTITION p0 VALUES LESS THAN ('2000-01-01'))""",
        """CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id VARCHAR(64) NOT NULL,
            idem_key CHAR(36) NOT NULL,
            fingerprint CHAR(64) NOT NULL,
            response JSON NOT NULL,
            expires_at DATETIME(6) NOT NULL,
            PRIMARY KEY (client_id, idem_key),
            INDEX idempotency_keys_expiry (expires_at)
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS api_clients (
            key_sha256 CHAR(64) PRIMARY KEY,  -- the API key's hash, never the key
            client_id VARCHAR(64) NOT NULL
        ) ENGINE=InnoDB""",
        """CREATE TABLE IF NOT EXISTS outbox (
            id BIGINT AUTO_INCREMENT PRIMARY KEY,
            event_id CHAR(36) NOT NULL UNIQUE,
            aggregate_key VARCHAR(64) NOT NULL,
            topic VARCHAR(64) NOT NULL,
            payload JSON NOT NULL,
            created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
            published_at DATETIME(6) NULL,
            INDEX outbox_unpublished (published_at, id)  -- the relay reads unpublished rows only
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
        "expires": f"now() + interval '{KEY_TTL_H} hours'",
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
        "purge": 'DELETE FROM idempotency_keys WHERE (client_id, idem_key) IN ("\n'
        '                         "SELECT client_id, idem_key FROM idempotency_keys "\n'
        '                         "WHERE expires_at <= now() LIMIT :n)',
        "tz": ", tzinfo=UTC",
        "partitions": """for name, start, end in _months(ahead):
            @await@conn.execute(
                text(f"CREATE TABLE IF NOT EXISTS postings_{name} PARTITION OF postings "
                     f"FOR VALUES FROM ('{start} 00:00+00') TO ('{end} 00:00+00')")
            )""",
    },
    "mysql": {
        "now": "UTC_TIMESTAMP(6)",
        "expires": f"UTC_TIMESTAMP(6) + INTERVAL {KEY_TTL_H} HOUR",
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
        "purge": "DELETE FROM idempotency_keys WHERE expires_at <= UTC_TIMESTAMP(6) LIMIT :n",
        "tz": "",
        "partitions": """have = {
            str(row[0])
            for row in (
                @await@conn.execute(
                    text("SELECT PARTITION_NAME FROM information_schema.PARTITIONS "
                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'postings'")
                )
            ).all()
        }
        for name, _, end in _months(ahead):
            if name > max(have):  # partitions are added in order, after the last
                @await@conn.execute(
                    text(f"ALTER TABLE postings ADD PARTITION "
                         f"(PARTITION {name} VALUES LESS THAN ('{end}'))")
                )
                have.add(name)""",
    },
}

_RETRY_DOC = {
    "postgresql": (
        "* A lock wait ends at the deadline: lock_timeout is set per transaction to the\n"
        "  time left. Only transfer() retries (never wrap it in with_retries), with jittered\n"
        "  backoff, within settings.request_deadline_s: lock timeouts (55P03), deadlocks\n"
        "  (40P01) and a concurrent first use of one key (23505). Past that LedgerBusy is\n"
        "  raised and nothing was written: the client may retry with the same key."
    ),
    "mysql": (
        "* A lock wait ends after innodb_lock_wait_timeout = 1 s, the least InnoDB allows\n"
        "  (whole seconds), so one wait may outlast the deadline. Only transfer() retries\n"
        "  (never wrap it in with_retries), with jittered backoff, within\n"
        "  settings.request_deadline_s: lock wait timeouts (1205), deadlocks (1213) and a\n"
        "  concurrent first use of one key (1062). Past that LedgerBusy is raised and nothing\n"
        "  was written: the client may retry with the same key."
    ),
}

_LEDGER = '''
    # app/ledger.py
    """Move money exactly once, @dialect_name@.

    * Double entry: a transfer is two postings (-cents, +cents) in the journal, and each
      account's balance is maintained in the same transaction. Postings are partitioned by
      month; reconcile() checks the open month nightly, and roll_forward() closes a month.
    * Row locks, the one consistency mechanism: both accounts locked in id order, and the
      debit's row count checked, so a customer's balance never goes negative (a system
      account, through which money enters and leaves, may).
    @retry_doc@
    * Idempotency keys are scoped to the client, expire after @ttl@ h (purge_keys() deletes
      them), carry a fingerprint of the request and store the response: a replay returns the
      original outcome (``replayed=True``), a reused key with other parameters raises KeyReused
      (answer 422).
    * A committed transfer writes one outbox event per account (event id, key ``account:<id>``)
      in the same commit, so each account's events, credits too, keep their order.
    """

    @asyncio_import@import hashlib
    import json
    import random
    import time
    import uuid
    from dataclasses import asdict, dataclass
    from datetime import UTC, date, datetime, timedelta
    from typing import Any, Literal, cast

    from sqlalchemy import CursorResult, bindparam, text
    from sqlalchemy.exc import DBAPIError
    @sa_import@

    from app.settings import settings

    SCHEMA = @schema@
    RETRYABLE: dict[Any, str] = @retryable@


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
        @await@add_partitions(engine)


    def _months(ahead: int) -> list[tuple[str, date, date]]:
        """(name, first day, next month's first day) from last month to ``ahead`` months on."""
        month = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).replace(day=1)
        out = []
        for _ in range(ahead + 2):
            following = (month + timedelta(days=32)).replace(day=1)
            out.append((f"p{month:%Y%m}", month, following))
            month = following
        return out


    @async@def add_partitions(engine: @Engine@, ahead: int = 3) -> None:
        """Create the postings partitions up to ``ahead`` months on; run it monthly (a row
        with no month to go to fails its transfer)."""
        @async@with engine.begin() as conn:
            @partitions@


    def fingerprint(source: int, target: int, cents: int) -> str:
        """The request's hash: method, path and the canonical JSON body (fixed key order, no
        spaces), so its formatting never counts as other parameters."""
        body = json.dumps(
            {"cents": cents, "source": source, "target": target}, separators=(",", ":")
        )
        return hashlib.sha256(f"POST /transfers {body}".encode()).hexdigest()


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
        deadline = time.monotonic() + settings.request_deadline_s  # the retries' too
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
                    text("SELECT id, balance, kind FROM accounts WHERE id IN (:s, :t) "
                         "ORDER BY id FOR UPDATE"),
                    {"s": source, "t": target},
                )
            ).all()
            accounts = {int(row[0]): (int(row[1]), str(row[2])) for row in rows}
            if len(accounts) < 2:
                outcome = Outcome("refused", reason="unknown account")
            elif accounts[source][1] == "customer" and accounts[source][0] < cents:
                outcome = Outcome("refused", reason="insufficient funds")
            else:
                debit = cast(
                    "CursorResult[Any]",
                    @await@session.execute(
                        text("UPDATE accounts SET balance = balance - :c "
                             "WHERE id = :s AND (kind = 'system' OR balance >= :c)"),
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


    # what disagrees with the journal since each account's opening: a balance that is not
    # opening + postings, a transfer whose postings do not sum to zero; :since (the oldest
    # opening) keeps the closed months' partitions out of the scan
    DRIFT = (
        "SELECT 'account', CAST(a.id AS @char@) FROM accounts a "
        "LEFT JOIN postings p ON p.account_id = a.id AND p.posted_at >= a.opening_at "
        "AND p.posted_at >= :since GROUP BY a.id, a.balance, a.opening "
        "HAVING a.balance <> a.opening + COALESCE(SUM(p.cents), 0) "
        "UNION ALL SELECT 'transfer', CAST(transfer_id AS @char@) FROM postings "
        "WHERE posted_at >= :since GROUP BY transfer_id HAVING SUM(cents) <> 0"
    )


    @async@def reconcile(engine: @Engine@) -> list[tuple[str, str]]:
        """The nightly check of the open month: (kind, id) of every account and transfer the
        journal disagrees with, [] when the books balance. One REPEATABLE READ snapshot, so
        a transfer committing meanwhile counts on both sides or neither."""
        snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
        @async@with snapshot.begin() as conn:
            since = (@await@conn.execute(text("SELECT MIN(opening_at) FROM accounts"))).scalar()
            rows = (@await@conn.execute(text(DRIFT), {"since": since})).all()
        return [(str(kind), str(id_)) for kind, id_ in rows]


    @async@def roll_forward(engine: @Engine@, month: date, batch: int = 1000) -> int:
        """Close every month before ``month``: each opening becomes the balance at its first
        instant. Run it once the month before has ended and reconciled (on the 2nd); batches
        of accounts in short transactions. The number of accounts rolled."""
        start = datetime(month.year, month.month, 1@tz@)
        rolled = 0
        while True:
            @async@with engine.begin() as conn:
                ids = [
                    row[0]
                    for row in (
                        @await@conn.execute(
                            text("SELECT id FROM accounts WHERE opening_at < :m "
                                 "ORDER BY id LIMIT :n"),
                            {"m": start, "n": batch},
                        )
                    ).all()
                ]
                if not ids:
                    return rolled
                @await@conn.execute(
                    text("UPDATE accounts SET opening = opening + COALESCE((SELECT SUM(p.cents) "
                         "FROM postings p WHERE p.account_id = accounts.id "
                         "AND p.posted_at >= accounts.opening_at AND p.posted_at < :m), 0), "
                         "opening_at = :m WHERE id IN :ids")
                    .bindparams(bindparam("ids", expanding=True)),
                    {"m": start, "ids": ids},
                )
            rolled += len(ids)


    @async@def purge_keys(engine: @Engine@, batch: int = 10_000) -> int:
        """Delete expired idempotency keys, found by their expires_at index, in batches of
        short transactions; run it hourly. The number deleted."""
        deleted = 0
        while True:
            @async@with engine.begin() as conn:
                done = cast(
                    "CursorResult[Any]",
                    @await@conn.execute(
                        text("@purge@"),
                        {"n": batch},
                    ),
                ).rowcount
            deleted += done
            if done < batch:
                return deleted
'''


def ledger(p: Profile) -> str:
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
        Engine="AsyncEngine" if p.is_async else "Engine",
        sessionmaker="async_sessionmaker" if p.is_async else "sessionmaker",
        Session="AsyncSession" if p.is_async else "Session",
        char="text" if p.dialect == "postgresql" else "CHAR",
        ttl=KEY_TTL_H,
        **sql,
        **flavour(p.is_async),
    )


_ROUTE_FASTAPI = '''
    # app/transfers.py
    """POST /transfers: the client is the one its API key belongs to (never a body field),
    and each outcome has one status: 201 committed (a replay too), 409 refused, 422 invalid
    or a key reused with other parameters, 503 busy (retry with the same key)."""

    import hashlib
    import uuid
    from dataclasses import asdict
    from typing import Annotated, Any

    from fastapi import APIRouter, Depends, Header, HTTPException, Request
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field
    from sqlalchemy import text

    from app import ledger

    router = APIRouter()


    class TransferIn(BaseModel):
        source: int
        target: int
        cents: int = Field(gt=0)


    @async@def client_id(request: Request, x_api_key: Annotated[str, Header()]) -> str:
        """The client of the presented API key (stored as its SHA-256 only), else 401."""
        digest = hashlib.sha256(x_api_key.encode()).hexdigest()
        @async@with request.app.state.sessions() as session:
            found = (
                @await@session.execute(
                    text("SELECT client_id FROM api_clients WHERE key_sha256 = :d"), {"d": digest}
                )
            ).scalar()
        if found is None:
            raise HTTPException(401, "unknown API key")
        return str(found)


    @router.post("/transfers", status_code=201)
    @async@def post_transfer(
        body: TransferIn,
        request: Request,
        idempotency_key: Annotated[uuid.UUID, Header()],
        client: Annotated[str, Depends(client_id)],
    ) -> Any:
        try:
            outcome = @await@ledger.transfer(
                request.app.state.sessions,
                client,
                idempotency_key,
                body.source,
                body.target,
                body.cents,
            )
        except (ledger.KeyReused, ValueError) as exc:
            raise HTTPException(422, str(exc)) from exc
        except ledger.LedgerBusy as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
        return JSONResponse(asdict(outcome), 201 if outcome.status == "committed" else 409)
'''

_ROUTE_FLASK = '''
    # app/transfers.py
    """POST /transfers: the client is the one its API key belongs to (never a body field),
    and each outcome has one status: 201 committed (a replay too), 409 refused, 422 invalid
    or a key reused with other parameters, 503 busy (retry with the same key)."""

    import hashlib
    import uuid
    from dataclasses import asdict
    from typing import Any

    from flask import Blueprint, request
    from sqlalchemy import text
    from sqlalchemy.orm import Session, sessionmaker

    from app import ledger

    Reply = tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]


    def routes(sessions: sessionmaker[Session]) -> Blueprint:
        """The blueprint, bound to this worker process's sessions."""
        bp = Blueprint("transfers", __name__)

        @bp.post("/transfers")
        def post_transfer() -> Reply:
            digest = hashlib.sha256(request.headers.get("X-API-Key", "").encode()).hexdigest()
            with sessions() as session:
                client = session.execute(
                    text("SELECT client_id FROM api_clients WHERE key_sha256 = :d"), {"d": digest}
                ).scalar()
            if client is None:
                return {"error": "unknown API key"}, 401
            body = request.get_json(silent=True)
            try:
                key = uuid.UUID(request.headers["Idempotency-Key"])
                if not isinstance(body, dict):
                    raise TypeError("the body must be a JSON object")
                source, target, cents = (body[f] for f in ("source", "target", "cents"))
                if not all(type(v) is int for v in (source, target, cents)):
                    raise TypeError("source, target and cents must be integers")
                outcome = ledger.transfer(sessions, str(client), key, source, target, cents)
            except (KeyError, TypeError, ValueError, ledger.KeyReused) as exc:
                return {"error": str(exc)}, 422
            except ledger.LedgerBusy as exc:
                return {"error": str(exc)}, 503, {"Retry-After": "1"}
            return asdict(outcome), 201 if outcome.status == "committed" else 409

        return bp
'''


def transfer_route(p: Profile) -> str | None:
    """``app/transfers.py``, the ledger's HTTP route, for FastAPI or Flask; None otherwise."""
    if p.web in ("fastapi", "strawberry"):
        return fill(_ROUTE_FASTAPI, **flavour(p.is_async))
    if p.web == "flask":
        return fill(_ROUTE_FLASK)
    return None
