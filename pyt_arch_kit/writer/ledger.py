"""The ledger's own operations: where its outbox relay runs, the page on its lag, and the
nightly reconciliation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.writer.code.profile import profile

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = ["LAG_PAGE_S", "ledger_alerts", "relay_deployment"]

#: The relay's lease (``app/relay.py``): a standby relay takes over once it lapses.
LEASE_S = 30
#: Page when the oldest unpublished event is older than this: twice the lease, so a relay
#: that died and the takeover that did not happen both show.
LAG_PAGE_S = 2 * LEASE_S
#: Outbox events per committed transfer: one per account (each leg keyed by its account).
EVENTS_PER_TRANSFER = 2
#: Events the relay claims, sends and marks at a time (``relay.BATCH``).
BATCH = 100


def _has_relay(plan: Plan) -> bool:
    return plan.database is not None and plan.database.outbox and "app" in plan.components


def relay_deployment(plan: Plan) -> list[str]:
    """Where the relay runs, and the event rate it carries at peak."""
    if not _has_relay(plan):
        return []
    s = plan.resolved.scale
    events = s.peak_rps * (1 - s.read_ratio) * EVENTS_PER_TRANSFER
    zones = plan.capacity.zones
    where = (
        f"its own process in each of the {zones} zones; the lease lets one lead (each "
        f"account's events leave in commit order) and the other take over within {LEASE_S} s"
        if zones > 1
        else "one process; a restart resumes from the oldest unpublished row"
    )
    return [
        f"- Outbox relay (`app/relay.py`): {where}. It sends {BATCH} events per broker round "
        f"trip, not one, against {fmt_number(events)} events/s at peak ({EVENTS_PER_TRANSFER} "
        "per transfer)."
    ]


def ledger_alerts(plan: Plan) -> list[str]:
    """The page on the relay's lag, and the nightly reconciliation's."""
    lines = []
    if _has_relay(plan):
        lines.append(
            f"- Page when the oldest unpublished event (`relay.lag_s()`, a gauge) is older than "
            f"{LAG_PAGE_S} s: twice the lease a standby relay waits out."
        )
    if "app" in plan.components and profile(plan).ledger:
        s = plan.resolved.scale
        keys = s.avg_rps * (1 - s.read_ratio) * 86_400
        lines.append(
            "- Nightly, `ledger.reconcile()` over the open month (balance = opening + postings, "
            "each transfer summing to zero): page on any account or transfer it returns. "
            "Monthly, `add_partitions()`, and on the 2nd `roll_forward()` to close the month "
            f"before; hourly, `purge_keys()` ({fmt_number(keys)} keys expire a day)."
        )
    return lines
