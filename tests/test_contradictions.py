"""A design never contradicts itself or its platform (issue 20, item 3): one consistency
mechanism for money, the managed database's real standby and RPO, the same keep-alive in text
and code, time budgets a retry fits in (or says it does not), no cache the model says rarely
hits."""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import Architect, Requirements, plan, preset, preset_names
from pyt_arch_kit.design import Design, main_text
from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.writer.code.profile import timeouts


def _design(name: str) -> Design:
    return Architect().design(preset(name))


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_money_is_guarded_by_row_locks_alone_not_serializable_as_well(database: str) -> None:
    req = Requirements.parse(
        {"consistency": {"priority": "strong"}, "infrastructure": {"database": database}}
    )
    d = Architect().design(req)
    decision = next(
        ln for ln in d.section("Executive Summary").splitlines() if "**Isolation:**" in ln
    )
    assert "READ COMMITTED" in decision and "FOR UPDATE ORDER BY id" in decision
    assert not re.search(r"\*\*Isolation:\*\* SERIALIZABLE", decision)
    assert "SERIALIZABLE (SSI) for every" not in d.text
    assert "retry SQLSTATE 40001" not in main_text(d.text)


def test_the_ledger_preset_states_one_mechanism() -> None:
    text = main_text(_design("payments-ledger").text)
    assert "one mechanism, row locks" in text
    assert "Serialization failures" not in text


@pytest.mark.parametrize("name", preset_names())
def test_a_managed_sql_database_has_the_standby_and_rpo_the_provider_gives(name: str) -> None:
    """RDS Multi-AZ (and Cloud SQL / Azure HA) replicate synchronously, and ship transaction
    logs every 5 minutes: never "an asynchronous standby" beside Multi-AZ, never RPO ≤ 1 min."""
    d = _design(name)
    p = d.plan
    assert p is not None
    text = main_text(d.text)
    if p.database is None or "Multi-AZ" not in text:
        return
    if p.database.engine.value in ("postgresql", "mysql"):
        assert "asynchronous standby" not in text
        assert "≤ 1 min" not in p.database.rpo
        assert "5 min" in p.database.rpo
        if p.database.standbys:
            assert "0 on a failover" in p.database.rpo


@pytest.mark.parametrize("name", preset_names())
def test_the_keep_alive_the_text_states_is_the_one_the_code_sets(name: str) -> None:
    d = _design(name)
    code = re.findall(r"^keepalive = (\d+)", d.text, re.M)
    said = re.findall(r"`keepalive`[^=]*= (\d+) s", main_text(d.text))
    assert set(said) <= set(code), (said, code)
    if code:
        assert said == code[:1] or not said


@pytest.mark.parametrize("name", preset_names())
def test_the_retry_advice_fits_the_time_budgets_the_code_sets(name: str) -> None:
    d = _design(name)
    p = d.plan
    assert p is not None
    risks = d.section("Risks and Mitigations")
    if "app" not in p.components:
        return
    t = timeouts(p)
    if 2 * t.attempt_s > t.deadline_s:
        assert "no retry fits" in risks
    else:
        assert "no retry fits" not in risks
    pool = next((ln for ln in risks.splitlines() if "pool exhaustion" in ln), None)
    if pool is not None:
        assert f"pool_timeout_s = {t.pool_s * 1000:g} ms" in pool
        assert ("outlasts" in pool) == (t.pool_s > t.deadline_s)


@pytest.mark.parametrize("name", ["io-bound-api", "internal-tool-pushback", "cpu-inference"])
def test_no_cache_is_recommended_that_the_model_says_rarely_hits(name: str) -> None:
    d = _design(name)
    p = d.plan
    assert p is not None and p.database is not None
    assert p.database.cache is Cache.MEASURE_FIRST
    assert "redis" not in p.components
    assert "Redis" not in d.diagram and "cache" not in d.diagram.lower()
    assert not any(item.library == "redis" for item in d.stack)
    assert "Redis cache" not in d.appendix
    assert "measure the hit ratio on real traffic first" in d.section("Executive Summary")


def test_a_measured_high_hit_ratio_keeps_the_cache() -> None:
    req = preset("io-bound-api").model_copy(deep=True)
    data = req.model_dump(mode="json")
    data["workload"]["cache_hit_ratio"] = 0.9
    p = plan(Requirements.parse(data))
    assert p.database is not None and p.database.cache is Cache.REDIS
