"""A REST resource's code: creates made once by an idempotency key, reads, keyset pages."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["KEY_TTL_H", "PAGE_MAX", "items_module"]

#: How long a client may replay a write with its key (Stripe keeps keys 24 h); the ledger's
#: keys too.
KEY_TTL_H = 24
#: The largest page ``GET /items`` returns.
PAGE_MAX = 100

_ITEMS = '''
    # app/items.py
    """Items: each created once per idempotency key, read by id, listed in keyset pages.

    * create() commits the item and its key's row in one transaction. The key (the
      Idempotency-Key header, a UUID per new item) is scoped to the client and kept
      @ttl@ h with a fingerprint of the body and the reply: a replay returns the stored
      reply, the key with another body raises KeyReused (422). Of concurrent duplicates one
      inserts the key; the others wait on its primary key, roll their item back and replay.
    * page() lists a client's items newest first by (created_at, id), never OFFSET: a page
      costs the same at any depth, and rows inserted meanwhile neither repeat nor skip one.
    """

    import base64
    import hashlib
    import json
    import uuid
    from dataclasses import dataclass, field
    from datetime import datetime
    from typing import @typing@

    @fastapi_import@
    from sqlalchemy import text
    @sa_import@

    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS items (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            client_id text NOT NULL,
            data jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )""",
        # page(): one index range per page; get() is the primary key
        "CREATE INDEX IF NOT EXISTS items_by_client ON items (client_id, created_at, id)",
        """CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id text NOT NULL,
            idem_key uuid NOT NULL,
            fingerprint text NOT NULL,
            status smallint NOT NULL,
            response jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (client_id, idem_key)
        )""",
        "CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at)",
    )
    STORED = text(
        "SELECT fingerprint, status, CAST(response AS text) FROM idempotency_keys "
        "WHERE client_id = :c AND idem_key = CAST(:k AS uuid) AND expires_at > now()"
    )
    # the key's primary key is the lock: a concurrent duplicate waits here for the first to
    # commit, then inserts nothing; an expired row is taken over
    CLAIM = text(
        "INSERT INTO idempotency_keys "
        "(client_id, idem_key, fingerprint, status, response, expires_at) "
        "VALUES (:c, CAST(:k AS uuid), :f, :s, CAST(:r AS jsonb), now() + interval '@ttl@ hours') "
        "ON CONFLICT (client_id, idem_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
        "status = EXCLUDED.status, response = EXCLUDED.response, created_at = now(), "
        "expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now() "
        "RETURNING 1"
    )


    class KeyReused(Exception):
        """The idempotency key was used before with another body (answer 422)."""


    @dataclass(frozen=True)
    class Reply:
        """The HTTP status and JSON body to answer with."""

        status: int
        body: dict[str, Any] = field(default_factory=dict)
        replayed: bool = False  # the stored reply to an earlier request with the key


    @async@def create_schema(engine: @Engine@) -> None:
        """The tables and indexes (use your migration tool in production)."""
        @async@with engine.begin() as conn:
            for statement in SCHEMA:
                @await@conn.execute(text(statement))


    def fingerprint(data: dict[str, Any]) -> str:
        """What the key was first used for: the body, key order aside."""
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


    def _item(row: Any) -> dict[str, Any]:
        return {"id": row[0], "created_at": row[1].isoformat(), "data": json.loads(row[2])}


    @async@def create(
        sessions: @sessionmaker@[@Session@],
        client_id: str,
        key: uuid.UUID,
        data: dict[str, Any],
    ) -> Reply:
        """POST /items: 201 and the item, once per (client_id, key)."""
        ids = {"c": client_id, "k": str(key)}
        digest = fingerprint(data)
        @async@with sessions() as session:
            stored = (@await@session.execute(STORED, ids)).first()
            if stored is None:
                row = (
                    @await@session.execute(
                        text("INSERT INTO items (client_id, data) VALUES (:c, CAST(:d AS jsonb)) "
                             "RETURNING id, created_at, CAST(data AS text)"),
                        {"c": client_id, "d": json.dumps(data)},
                    )
                ).one()
                reply = Reply(201, _item(row))
                claim = {**ids, "f": digest, "s": reply.status, "r": json.dumps(reply.body)}
                if (@await@session.execute(CLAIM, claim)).first() is not None:
                    @await@session.commit()
                    return reply
                # a duplicate committed first: answer with its reply, keep no item of ours
                stored = (@await@session.execute(STORED, ids)).first()
            @await@session.rollback()
        if stored is None:  # its key expired in the instant between: the client retries
            raise KeyReused(f"key {key} expired while in use; retry")
        if stored[0] != digest:
            raise KeyReused(f"key {key} was used for another body")
        return Reply(int(stored[1]), json.loads(stored[2]), replayed=True)


    @async@def get(
        sessions: @sessionmaker@[@Session@], client_id: str, item_id: int
    ) -> dict[str, Any] | None:
        """GET /items/{id}: the client's item; None (404) if absent or another client's."""
        @async@with sessions() as session:
            row = (
                @await@session.execute(
                    text("SELECT id, created_at, CAST(data AS text) FROM items "
                         "WHERE id = :i AND client_id = :c"),
                    {"i": item_id, "c": client_id},
                )
            ).first()
        return None if row is None else _item(row)


    @async@def page(
        sessions: @sessionmaker@[@Session@],
        client_id: str,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """GET /items?limit=&cursor=: a page of the client's items, newest first, and the
        next page's cursor (None after the last). A malformed cursor raises ValueError (400)."""
        limit = max(1, min(limit, @page_max@))
        params: dict[str, Any] = {"c": client_id, "n": limit + 1}
        after = ""
        if cursor:
            at, _, item_id = base64.urlsafe_b64decode(cursor).decode().partition("|")
            params |= {"t": datetime.fromisoformat(at), "i": int(item_id)}
            after = "AND (created_at, id) < (:t, :i) "
        @async@with sessions() as session:
            rows = (
                @await@session.execute(
                    text("SELECT id, created_at, CAST(data AS text) FROM items "
                         f"WHERE client_id = :c {after}"
                         "ORDER BY created_at DESC, id DESC LIMIT :n"),
                    params,
                )
            ).all()
        items = [_item(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return items, None
        last = f"{items[-1]['created_at']}|{items[-1]['id']}"
        return items, base64.urlsafe_b64encode(last.encode()).decode()


    @async@def purge_expired(engine: @Engine@, batch: int = 10_000) -> int:
        """Delete expired keys in short transactions (an hourly job); the rows deleted."""
        deleted = 0
        while True:
            @async@with engine.begin() as conn:
                done = (
                    @await@conn.execute(
                        text("DELETE FROM idempotency_keys WHERE (client_id, idem_key) IN ("
                             "SELECT client_id, idem_key FROM idempotency_keys "
                             "WHERE expires_at <= now() LIMIT :n)"),
                        {"n": batch},
                    )
                ).rowcount
            deleted += done
            if done < batch:
                return deleted
'''

_ROUTES = """


    router = APIRouter()  # app.include_router(router) in app/main.py
    # the client the gateway authenticated (from the API key); a client's own header is dropped
    Client = Annotated[str, Header(alias="X-Client-Id")]


    @router.post("/items", status_code=201)
    @async@def post_item(
        request: Request,
        response: Response,
        data: dict[str, Any],
        client: Client,
        key: Annotated[uuid.UUID | None, Header(alias="Idempotency-Key")] = None,
    ) -> dict[str, Any]:
        if key is None:
            raise HTTPException(400, "send an Idempotency-Key header: a new UUID per item")
        try:
            reply = @await@create(request.app.state.sessions, client, key, data)
        except KeyReused as exc:
            raise HTTPException(422, str(exc)) from exc
        response.status_code = reply.status
        if reply.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return reply.body


    @router.get("/items/{item_id}")
    @async@def get_item(request: Request, client: Client, item_id: int) -> dict[str, Any]:
        item = @await@get(request.app.state.sessions, client, item_id)
        if item is None:
            raise HTTPException(404, "no such item")
        return item


    @router.get("/items")
    @async@def list_items(
        request: Request, client: Client, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        try:
            items, after = @await@page(request.app.state.sessions, client, limit, cursor)
        except ValueError as exc:
            raise HTTPException(400, "malformed cursor") from exc
        return {"items": items, "next": after}
"""


def items_module(p: Profile) -> str:
    """``app/items.py`` for PostgreSQL, async or sync; with its routes under FastAPI."""
    sa_import = (
        "from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker"
        if p.is_async
        else "from sqlalchemy.engine import Engine\n"
        "from sqlalchemy.orm import Session, sessionmaker"
    )
    routes = p.web == "fastapi"
    return fill(
        _ITEMS + (_ROUTES if routes else ""),
        typing="Annotated, Any" if routes else "Any",
        fastapi_import="from fastapi import APIRouter, Header, HTTPException, Request, Response"
        if routes
        else "@drop@",
        sa_import=sa_import,
        ttl=KEY_TTL_H,
        page_max=PAGE_MAX,
        Engine="AsyncEngine" if p.is_async else "Engine",
        sessionmaker="async_sessionmaker" if p.is_async else "sessionmaker",
        Session="AsyncSession" if p.is_async else "Session",
        **flavour(p.is_async),
    )
