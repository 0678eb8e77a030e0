"""The resource against real PostgreSQL: concurrent duplicate creates under one idempotency key
make one item and one answer; the key with another body is refused (422); keys are the
client's and expire; keyset pages return every row once while rows are being created; under
FastAPI, the routes answer 201, 400, 404 and 422 as the design says."""

from __future__ import annotations

import functools
import inspect
import uuid
from typing import Any

import app.items as items
import pytest
from app.db import make_engine, make_sessions
from verify_support import call, gather, sql

ENGINE = make_engine()
SESSIONS = make_sessions(ENGINE)
call(items.create_schema, ENGINE)


def client() -> str:
    return f"client-{uuid.uuid4()}"


def rows(client_id: str) -> int:
    return int(
        sql(ENGINE, "SELECT count(*) FROM items WHERE client_id = :c", {"c": client_id})[0][0]
    )


def create(client_id: str, key: uuid.UUID, data: dict[str, Any]) -> Any:
    return call(items.create, SESSIONS, client_id, key, data)


def test_concurrent_duplicates_create_one_item_and_answer_alike() -> None:
    for _ in range(5):
        who, key = client(), uuid.uuid4()
        data = {"sku": "A-1", "quantity": 2}
        replies = gather([functools.partial(items.create, SESSIONS, who, key, data)] * 8)
        errors = [r for r in replies if isinstance(r, BaseException)]
        assert not errors, errors
        assert rows(who) == 1, "concurrent duplicates created more than one item"
        assert {r.status for r in replies} == {201}
        assert all(r.body == replies[0].body for r in replies), "duplicates answered apart"
        assert sum(not r.replayed for r in replies) == 1


def test_a_replay_returns_the_stored_reply_and_another_body_is_refused() -> None:
    who, key = client(), uuid.uuid4()
    first = create(who, key, {"sku": "B-2", "quantity": 1})
    again = create(who, key, {"quantity": 1, "sku": "B-2"})  # key order does not matter
    assert again.replayed and again.body == first.body and again.status == 201
    with pytest.raises(items.KeyReused):
        create(who, key, {"sku": "B-2", "quantity": 5})
    assert rows(who) == 1
    other = client()  # keys are the client's: another client's same key is its own
    assert not create(other, key, {"sku": "B-2", "quantity": 1}).replayed
    assert rows(other) == 1
    assert call(items.get, SESSIONS, other, first.body["id"]) is None, "another client's item"
    assert call(items.get, SESSIONS, who, first.body["id"]) == first.body


def test_an_expired_key_creates_anew_and_is_purged() -> None:
    who, key = client(), uuid.uuid4()
    first = create(who, key, {"n": 1})
    sql(
        ENGINE,
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE client_id = :c",
        {"c": who},
    )
    second = create(who, key, {"n": 2})  # another body: the expired key no longer binds
    assert not second.replayed and second.body["id"] != first.body["id"]
    assert rows(who) == 2
    stale = client()
    create(stale, uuid.uuid4(), {"n": 3})
    sql(
        ENGINE,
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE client_id = :c",
        {"c": stale},
    )
    assert call(items.purge_expired, ENGINE, 1) >= 1
    left = sql(ENGINE, "SELECT count(*) FROM idempotency_keys WHERE client_id = :c", {"c": stale})
    assert left[0][0] == 0
    live = sql(ENGINE, "SELECT count(*) FROM idempotency_keys WHERE client_id = :c", {"c": who})
    assert live[0][0] == 1


def test_keyset_pages_return_every_row_once_while_rows_are_created() -> None:
    who = client()
    before = [create(who, uuid.uuid4(), {"i": i}).body["id"] for i in range(57)]
    seen: list[int] = []
    cursor: str | None = None
    created_meanwhile = 0
    while True:
        got, cursor = call(items.page, SESSIONS, who, 10, cursor)
        seen += [item["id"] for item in got]
        stamps = [(item["created_at"], item["id"]) for item in got]
        assert stamps == sorted(stamps, reverse=True), "a page is not newest first"
        for _ in range(3):  # new rows arrive between pages
            create(who, uuid.uuid4(), {"late": True})
            created_meanwhile += 1
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert set(before) <= set(seen), "a row that existed before paging was skipped"
    assert rows(who) == 57 + created_meanwhile
    with pytest.raises(ValueError):
        call(items.page, SESSIONS, who, 10, "not-a-cursor")


def explain(statement: str) -> str:
    """The plan of a statement with sequential scans off (a small table would be read
    sequentially: switched off, the plan shows whether the index can serve the query)."""
    from sqlalchemy import text

    if inspect.iscoroutinefunction(ENGINE.dispose):

        async def run() -> list[Any]:
            async with ENGINE.begin() as conn:
                await conn.execute(text("SET LOCAL enable_seqscan = off"))
                return list((await conn.execute(text(statement))).all())

        rows = call(run)
    else:
        with ENGINE.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            rows = list(conn.execute(text(statement)).all())
    return "\n".join(str(row[0]) for row in rows)


def test_a_page_past_the_first_is_one_range_of_the_index() -> None:
    """The keyset is an Index Cond of the list's index, not a filter over a client's rows."""
    plan = explain(
        "EXPLAIN SELECT id FROM items WHERE client_id = 'c' "
        "AND (created_at, id) < (now(), 5) ORDER BY created_at DESC, id DESC LIMIT 51"
    )
    assert "items_by_client" in plan and "Sort" not in plan, plan
    cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "created_at" in cond and "client_id" in cond, plan


@pytest.mark.skipif(not hasattr(items, "router"), reason="routes are FastAPI's only")
def test_the_routes_answer_as_the_design_says() -> None:
    import httpx
    from app.main import app

    app.state.sessions = SESSIONS  # what the lifespan does in each worker

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            who = {"X-Client-Id": client()}
            key = {**who, "Idempotency-Key": str(uuid.uuid4())}
            assert (await http.post("/items", json={"a": 1}, headers=who)).status_code == 400
            first = await http.post("/items", json={"a": 1}, headers=key)
            assert first.status_code == 201, first.text
            again = await http.post("/items", json={"a": 1}, headers=key)
            assert again.status_code == 201 and again.json() == first.json()
            assert again.headers["Idempotent-Replayed"] == "true"
            assert (await http.post("/items", json={"a": 2}, headers=key)).status_code == 422
            path = f"/items/{first.json()['id']}"
            assert (await http.get(path, headers=who)).json() == first.json()
            other = {"X-Client-Id": client()}
            assert (await http.get(path, headers=other)).status_code == 404
            listed = (await http.get("/items?limit=1", headers=who)).json()
            assert listed["items"] == [first.json()] and listed["next"] is None
            bad = await http.get("/items?cursor=zz", headers=who)
            assert bad.status_code == 400

    call(run)
