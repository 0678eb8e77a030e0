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


def _block(path: str) -> str:
    """The design's code block for ``path`` (its ``# path`` line onwards)."""
    text = _ledger().text
    start = text.index(f"# {path}")
    return text[start : text.index("```", start)]


def test_postings_are_partitioned_by_month_in_the_first_migration() -> None:
    """Review 3, payments 1: the bill sized RAM for a monthly-partitioned journal, the DDL
    made one unpartitioned table, and reconcile() read every posting."""
    ledger = _block("app/ledger.py")
    postings = ledger[ledger.index("CREATE TABLE IF NOT EXISTS postings") :].split('""",')[0]
    assert postings.rstrip().endswith("PARTITION BY RANGE (posted_at)")
    assert "PRIMARY KEY (id, posted_at)" in postings
    assert "def add_partitions(" in ledger and "def roll_forward(" in ledger
    assert "WHERE posted_at >= :since" in ledger, "reconcile() reads the open month only"
    ops = _ledger().section("Operational Considerations")
    assert "`roll_forward()`" in ops and "`add_partitions()`" in ops


def test_the_relay_sends_inside_its_lease_and_marks_only_while_it_holds_it() -> None:
    """Review 3, payments 2: aiokafka's request timeout defaults to 40 s, past the 30 s
    lease, and the mark did not check who held the lease."""
    relay = _block("app/relay.py")
    assert "request_timeout_ms=10_000" in relay
    assert "interval '30 seconds'" in relay
    mark = relay[relay.index("no transaction is open here") :]
    assert "AND holder = :me" in mark and mark.index("holder = :me") < mark.index("published_at")


def test_money_enters_through_system_accounts_that_may_go_negative() -> None:
    """Review 3, payments 3: CHECK (balance >= 0) on every account left no source of funds."""
    ledger = _block("app/ledger.py")
    assert "CHECK (kind IN ('customer', 'system'))" in ledger
    assert "CHECK (kind = 'system' OR balance >= 0)" in ledger
    assert "CHECK (balance >= 0)" not in ledger


def test_the_route_takes_the_client_from_its_key_and_maps_each_outcome() -> None:
    """Review 3, payments 4: no HTTP route, no purge of the ~10 M keys a day."""
    route = _block("app/transfers.py")
    assert "x_api_key" in route and "api_clients" in route
    assert "client_id: str" not in route.split("class TransferIn")[1].split("@")[0]
    for status in ("422", "409", "503", "201"):
        assert status in route, status
    assert "app.include_router(transfers.router)" in _block("app/main.py")
    ledger = _block("app/ledger.py")
    assert "def purge_keys(" in ledger
    assert "idempotency_keys_expiry ON idempotency_keys (expires_at)" in ledger
    ops = _ledger().section("Operational Considerations")
    assert "`purge_keys()` (10,800,000 keys expire a day)" in ops


def test_one_fingerprint_definition_in_the_appendix_and_the_code() -> None:
    """The appendix hashes the request (method, path, body); the code hashed
    ``source:target:cents``."""
    assert "a hash of the request (method, path, body)" in _ledger().text
    ledger = _block("app/ledger.py")
    assert 'f"POST /transfers {body}"' in ledger and "{source}:{target}:{cents}" not in ledger


def test_the_diagram_draws_the_consumers_as_downstream_services() -> None:
    diagram = _ledger().section("System Diagram")
    assert "Downstream services" in diagram
    assert "consumers -->|idempotent writes| db" not in diagram
