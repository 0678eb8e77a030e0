"""The approval workflow against real PostgreSQL: an approver approving their own report is
refused by the code and, bypassing it, by the schema; only the states' transitions are allowed;
every transition leaves an audit row, and the audit table refuses UPDATE and DELETE."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from app.approvals import SCHEMA, Refused, move, receipt_key, submit
from app.db import make_engine, make_sessions
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = make_engine()
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
    yield engine
    engine.dispose()


def trail(engine: Engine, report: int) -> list[tuple[str, str | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor, from_state, to_state FROM expense_audit"
                " WHERE report_id = :r ORDER BY id"
            ),
            {"r": report},
        )
        return [(r.actor, r.from_state, r.to_state) for r in rows]


def test_an_approver_cannot_approve_their_own_report(engine: Engine) -> None:
    sessions = make_sessions(engine)
    alice = f"alice-{uuid.uuid4()}"
    with sessions.begin() as session:
        report = submit(session, alice, 12_50)
    with pytest.raises(Refused, match="their own"), sessions.begin() as session:
        move(session, report, alice, "approved")
    with pytest.raises(IntegrityError, match="four_eyes"), engine.begin() as conn:
        conn.execute(  # a hand-written UPDATE that skips the code
            text("UPDATE expense_report SET state = 'approved', decided_by = :a WHERE id = :r"),
            {"a": alice, "r": report},
        )
    assert trail(engine, report) == [(alice, None, "submitted")]


def test_every_transition_is_audited_and_the_trail_is_append_only(engine: Engine) -> None:
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        report = submit(session, "carol", 99_00)
    with sessions.begin() as session:
        move(session, report, "dave", "approved")
    with pytest.raises(Refused), sessions.begin() as session:
        move(session, report, "dave", "rejected")  # approved is decided: only paid follows
    with sessions.begin() as session:
        move(session, report, "finance", "paid")
    with pytest.raises(Refused), sessions.begin() as session:
        move(session, report, "finance", "paid")
    assert trail(engine, report) == [
        ("carol", None, "submitted"),
        ("dave", "submitted", "approved"),
        ("finance", "approved", "paid"),
    ]
    for statement in ("UPDATE expense_audit SET actor = 'x'", "DELETE FROM expense_audit"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(trail(engine, report)) == 3


def test_receipts_are_limited_in_type_and_size() -> None:
    assert receipt_key(7, "application/pdf", 200_000).startswith("receipts/7/")
    with pytest.raises(Refused):
        receipt_key(7, "text/html", 2_000)
    with pytest.raises(Refused):
        receipt_key(7, "image/png", 50 * 1024 * 1024)
