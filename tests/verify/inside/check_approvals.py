"""The approval workflow against real PostgreSQL, run as the app's role: an approver approving
their own report is refused by the code and, bypassing it, by the schema; only the states'
transitions are allowed, by the code and by the trigger; only finance pays; every transition
leaves an audit row written by the trigger, even one a hand-written UPDATE makes, and the app's
role cannot write the audit table at all."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from app.approvals import SCHEMA, NotFound, Refused, move, receipt_key, submit
from app.db import make_engine, make_sessions
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError

FINANCE = frozenset({"finance"})


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = make_engine()
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
    engine.dispose()
    app = make_engine()  # the design's engine, every transaction as the app's role
    role = re.findall(r"CREATE ROLE (\w+)", " ".join(SCHEMA))[0]

    @event.listens_for(app, "begin")
    def as_app(conn: Any) -> None:
        conn.exec_driver_sql(f"SET LOCAL ROLE {role}")

    yield app
    app.dispose()


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
    with pytest.raises(Refused, match="only finance"), sessions.begin() as session:
        move(session, report, "dave", "paid")  # an approver outside finance
    with pytest.raises(Refused, match="their own"), sessions.begin() as session:
        move(session, report, "carol", "paid", FINANCE)  # finance, but the submitter
    with sessions.begin() as session:
        move(session, report, "fiona", "paid", FINANCE)
    with pytest.raises(Refused), sessions.begin() as session:
        move(session, report, "fiona", "paid", FINANCE)
    assert trail(engine, report) == [
        ("carol", None, "submitted"),
        ("dave", "submitted", "approved"),
        ("fiona", "approved", "paid"),
    ]
    for statement in (
        "INSERT INTO expense_audit (report_id, actor, to_state) VALUES (1, 'x', 'paid')",
        "UPDATE expense_audit SET actor = 'x'",
        "DELETE FROM expense_audit",
        "TRUNCATE expense_audit CASCADE",
        "DROP TABLE expense_audit",
    ):
        denied = pytest.raises(ProgrammingError, match=r"permission denied|must be owner")
        with denied, engine.begin() as conn:
            conn.execute(text(statement))
    assert len(trail(engine, report)) == 3


def test_receipts_are_limited_in_type_and_size() -> None:
    assert receipt_key(7, "application/pdf", 200_000).startswith("receipts/7/")
    with pytest.raises(Refused):
        receipt_key(7, "text/html", 2_000)
    with pytest.raises(Refused):
        receipt_key(7, "image/png", 50 * 1024 * 1024)


def test_a_hand_written_update_cannot_skip_the_audit_or_the_workflow(engine: Engine) -> None:
    """The app's role, bypassing move(): the trigger audits what it changes, refuses a
    transition the workflow lacks, the payer is recorded on the report and is not the
    submitter, and the amount is not the app's to change."""
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        report = submit(session, "gina", 40_00)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE expense_report SET state = 'approved', decided_by = 'hank' WHERE id = :r"),
            {"r": report},
        )
    assert trail(engine, report)[-1] == ("hank", "submitted", "approved")
    for statement, refusal in (
        ("UPDATE expense_report SET state = 'submitted', decided_by = NULL", "cannot become"),
        ("UPDATE expense_report SET state = 'paid', paid_by = 'gina'", "payer"),
        ("UPDATE expense_report SET state = 'paid'", "paid"),
        ("UPDATE expense_report SET amount_cents = 1", "permission denied"),
    ):
        with pytest.raises(DBAPIError, match=refusal), engine.begin() as conn:
            conn.execute(text(f"{statement} WHERE id = :r"), {"r": report})
    with sessions.begin() as session:
        move(session, report, "ivan", "paid", FINANCE)
    with engine.connect() as conn:
        paid = conn.execute(
            text("SELECT decided_by, paid_by FROM expense_report WHERE id = :r"), {"r": report}
        ).one()
    assert tuple(paid) == ("hank", "ivan")
    assert len(trail(engine, report)) == 3


def test_a_missing_report_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound), make_sessions(engine).begin() as session:
        move(session, 2**62, "dave", "approved")
