"""An approval workflow's domain code: the state machine, four eyes, the audit trail, who pays."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill

__all__ = ["APP_ROLE", "MAX_RECEIPT_MB", "PAYERS", "approvals_module"]

#: The largest receipt accepted (a phone photo or a scanned PDF fits).
MAX_RECEIPT_MB = 10
#: The database role the app's login is a member of: it reads the audit, never writes it.
APP_ROLE = "expense_app"
#: The SSO group whose members may pay an approved report.
PAYERS = "finance"

_APPROVALS = '''
    # app/approvals.py
    """Expense reports: submitted -> approved | rejected, approved -> paid; nothing else.
    Nobody decides or pays their own report (here, and CHECKs); only the @payers@ group pays.
    SCHEMA runs as the migration role, which owns the tables and the audit trigger; the app
    logs in as a member of @role@, which may update only a report's state and deciders and may
    not write the audit at all: a trigger (SECURITY DEFINER, the owner's rights) appends an
    audit row for every insert and update, and refuses any transition the workflow lacks,
    whichever client sends it."""

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
            paid_by text,
            CONSTRAINT four_eyes CHECK (decided_by <> submitter),
            CONSTRAINT payer CHECK (paid_by <> submitter),
            CONSTRAINT decided CHECK ((state = 'submitted') = (decided_by IS NULL)),
            CONSTRAINT paid CHECK ((state = 'paid') = (paid_by IS NOT NULL))
        )""",
        """CREATE TABLE IF NOT EXISTS expense_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            report_id bigint NOT NULL REFERENCES expense_report (id),
            actor text NOT NULL,
            from_state text,
            to_state text NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE OR REPLACE FUNCTION expense_audit_row() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NOT (
                (OLD.state = 'submitted' AND NEW.state IN ('approved', 'rejected'))
                OR (OLD.state = 'approved' AND NEW.state = 'paid')
            ) THEN
                RAISE EXCEPTION 'a % report cannot become %', OLD.state, NEW.state;
            END IF;
            INSERT INTO expense_audit (report_id, actor, from_state, to_state) VALUES (
                NEW.id,
                CASE NEW.state WHEN 'submitted' THEN NEW.submitter
                    WHEN 'paid' THEN NEW.paid_by ELSE NEW.decided_by END,
                CASE TG_OP WHEN 'UPDATE' THEN OLD.state END,
                NEW.state);
            RETURN NULL;
        END $$""",
        """CREATE OR REPLACE TRIGGER expense_audit AFTER INSERT OR UPDATE ON expense_report
        FOR EACH ROW EXECUTE FUNCTION expense_audit_row()""",
        """DO $$ BEGIN CREATE ROLE @role@ NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN NULL; END $$""",
        "REVOKE ALL ON expense_report, expense_audit FROM PUBLIC",
        "REVOKE ALL ON FUNCTION expense_audit_row() FROM PUBLIC",
        "GRANT SELECT, INSERT ON expense_report TO @role@",
        "GRANT UPDATE (state, decided_by, paid_by) ON expense_report TO @role@",
        "GRANT SELECT ON expense_audit TO @role@",  # the trigger alone writes it
    )
    NEXT = {"submitted": {"approved", "rejected"}, "approved": {"paid"}}
    RECEIPT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
    MAX_RECEIPT_BYTES = @max_mb@ * 1024 * 1024


    class Refused(Exception):
        """A transition the workflow does not allow; the API answers 409 (or 403)."""


    class NotFound(Exception):
        """No such report; the API answers 404."""


    def receipt_key(report_id: int, content_type: str, size: int) -> str:
        """Where a receipt goes: the presigned POST's policy enforces the same limits."""
        if content_type not in RECEIPT_TYPES or not 0 < size <= MAX_RECEIPT_BYTES:
            raise Refused("a receipt is a PDF, JPEG or PNG of at most @max_mb@ MB")
        return f"receipts/{report_id}/{uuid.uuid4()}"


    def submit(session: Session, submitter: str, amount_cents: int) -> int:
        """A new report in state submitted (the trigger audits it); the caller commits."""
        report: int = session.execute(
            text(
                "INSERT INTO expense_report (submitter, amount_cents)"
                " VALUES (:submitter, :amount) RETURNING id"
            ),
            {"submitter": submitter, "amount": amount_cents},
        ).scalar_one()
        return report


    def move(
        session: Session, report: int, actor: str, to: str, groups: frozenset[str] = frozenset()
    ) -> None:
        """Move ``report`` to ``to`` as ``actor`` (in the SSO ``groups``); the trigger audits
        it; the caller commits."""
        row = session.execute(
            text("SELECT state, submitter FROM expense_report WHERE id = :id FOR UPDATE"),
            {"id": report},
        ).one_or_none()
        if row is None:
            raise NotFound(f"no expense report {report}")
        if to not in NEXT.get(row.state, set()):
            raise Refused(f"a {row.state} report cannot become {to}")
        if actor == row.submitter:
            raise Refused("nobody decides or pays their own report")
        if to == "paid" and "@payers@" not in groups:
            raise Refused("only @payers@ pays a report")
        by = {"paid_by" if to == "paid" else "decided_by": actor}
        session.execute(
            text(
                "UPDATE expense_report SET state = :to,"
                " decided_by = coalesce(:decided_by, decided_by), paid_by = :paid_by"
                " WHERE id = :id"
            ),
            {"to": to, "id": report, "decided_by": None, "paid_by": None, **by},
        )
'''


def approvals_module() -> str:
    """``app/approvals.py``: the report's states, four eyes in code and schema, the audit."""
    return fill(_APPROVALS, max_mb=MAX_RECEIPT_MB, role=APP_ROLE, payers=PAYERS)
