"""The payments ledger's design says each thing once and designs its relay (issue 20, second
review round: the Isolation bullet said three times, the relay's deployment, lag alert and
consumers missing)."""

from __future__ import annotations

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.design import Design, main_text

_LEDGER: list[Design] = []


def _ledger() -> Design:
    if not _LEDGER:
        _LEDGER.append(Architect().design(preset("payments-ledger")))
    return _LEDGER[0]


def test_the_lock_mechanism_is_stated_once_in_the_text_and_its_retries_left_to_the_code() -> None:
    text = main_text(_ledger().text)
    assert text.count("FOR UPDATE ORDER BY id") == 1, "the Isolation reasons are repeated"
    # the lock waits and their retries are app/ledger.py's docstring, not the prose again
    for detail in ("55P03", "lock_timeout", "jittered backoff"):
        assert detail not in text, detail
    hot = next(
        ln for ln in _ledger().section("Risks and Mitigations").splitlines() if "hot account" in ln
    )
    assert "sub-accounts" in hot


def test_the_relay_has_a_place_to_run_a_rate_it_carries_and_a_page_on_its_lag() -> None:
    ops = _ledger().section("Operational Considerations")
    relay = next(ln for ln in ops.splitlines() if ln.startswith("- Outbox relay"))
    assert "each of the 2 zones" in relay and "lease" in relay
    assert "800 events/s at peak" in relay  # 400 transfers/s × 2 legs
    assert "100 events per broker round trip" in relay
    page = next(ln for ln in ops.splitlines() if "relay.lag_s()" in ln)
    assert "older than 60 s" in page


def test_the_nightly_reconciliation_is_scheduled_and_pages() -> None:
    ops = _ledger().section("Operational Considerations")
    nightly = next(ln for ln in ops.splitlines() if "ledger.reconcile()" in ln)
    assert "balance = opening + postings" in nightly and "page" in nightly
    assert "async def reconcile(engine: AsyncEngine)" in _ledger().text


def test_the_consumers_the_summary_names_are_designed() -> None:
    risks = _ledger().section("Risks and Mitigations")
    row = next(ln for ln in risks.splitlines() if "Duplicate or out-of-order events" in ln)
    assert "downstream services" in row and "consumer group" in row
    assert "same transaction as the effect" in row
