"""An approval workflow's domain code: the state machine, four eyes, the audit trail."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill

__all__ = ["MAX_RECEIPT_MB", "approvals_module"]

#: The largest receipt accepted (a phone photo or a scanned PDF fits).
MAX_RECEIPT_MB = 10

_APPROVALS = '''
    # app/approvals.py
    """Expense reports: submitted -> approved | rejected, approved -> paid; nothing else.
    The approver is never the submitter (here and a CHECK); the audit table is append-only."""

    import uuid

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS expense_report (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            submitter text NOT NULL,
            amount_cents bigint NOT NULL CHECK (amount_cents > 0),
            receipt_key text,
            state text NOT NULL DEFAULT 'submitted'
                CHECK (state IN ('submitted', 'approved', 'rejected', 'paid')),
            decided_by text,
            CONSTRAINT four_eyes CHECK (decided_by <> submitter),
            CONSTRAINT decided CHECK ((state = 'submitted') = (decided_by IS NULL))
        )""",
        """CREATE TABLE IF NOT EXISTS expense_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            report_id bigint NOT NULL REFERENCES expense_report (id),
            actor text NOT NULL,
            from_state text,
            to_state text NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
        """CREATE OR REPLACE TRIGGER expense_audit_append_only
        BEFORE UPDATE OR DELETE ON expense_audit EXECUTE FUNCTION refuse_change()""",
    )
    NEXT = {"submitted": {"approved", "rejected"}, "approved": {"paid"}}
    RECEIPT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
    MAX_RECEIPT_BYTES = @max_mb@ * 1024 * 1024


    class Refused(Exception):
        """A transition the workflow does not allow; the API answers 409 (or 403)."""


    def receipt_key(report_id: int, content_type: str, size: int) -> str:
        """Where a receipt goes: the presigned POST's policy enforces the same limits."""
        if content_type not in RECEIPT_TYPES or not 0 < size <= MAX_RECEIPT_BYTES:
            raise Refused("a receipt is a PDF, JPEG or PNG of at most @max_mb@ MB")
        return f"receipts/{report_id}/{uuid.uuid4()}"


    def _audit(session: Session, report: int, actor: str, old: str | None, new: str) -> None:
        session.execute(
            text(
                "INSERT INTO expense_audit (report_id, actor, from_state, to_state)"
                " VALUES (:report, :actor, :old, :new)"
            ),
            {"report": report, "actor": actor, "old": old, "new": new},
        )


    def submit(session: Session, submitter: str, amount_cents: int) -> int:
        """A new report in state submitted; the caller commits."""
        report: int = session.execute(
            text(
                "INSERT INTO expense_report (submitter, amount_cents)"
                " VALUES (:submitter, :amount) RETURNING id"
            ),
            {"submitter": submitter, "amount": amount_cents},
        ).scalar_one()
        _audit(session, report, submitter, None, "submitted")
        return report


    def move(session: Session, report: int, actor: str, to: str) -> None:
        """Move ``report`` to ``to`` as ``actor``, audited; the caller commits."""
        row = session.execute(
            text("SELECT state, submitter FROM expense_report WHERE id = :id FOR UPDATE"),
            {"id": report},
        ).one()
        if to not in NEXT.get(row.state, set()):
            raise Refused(f"a {row.state} report cannot become {to}")
        if to in ("approved", "rejected") and actor == row.submitter:
            raise Refused("nobody approves or rejects their own report")
        session.execute(
            text(
                "UPDATE expense_report SET state = :to, decided_by = coalesce(decided_by, :actor)"
                " WHERE id = :id"
            ),
            {"to": to, "actor": actor, "id": report},
        )
        _audit(session, report, actor, row.state, to)
'''


def approvals_module() -> str:
    """``app/approvals.py``: the report's states, four eyes in code and schema, the audit."""
    return fill(_APPROVALS, max_mb=MAX_RECEIPT_MB)
