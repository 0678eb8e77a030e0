"""The bill of materials: a line per component, quantities from the plan, dated prices a user
can replace, and no guessed price where none is known."""

from __future__ import annotations

import dataclasses

import pytest

from pyt_arch_kit import plan, preset, preset_names
from pyt_arch_kit.planning.costs import UNIT_PRICES, bill_of_materials, monthly_total
from pyt_arch_kit.writer import write_design


def test_app_and_database_quantities_come_from_the_plan() -> None:
    p = plan(preset("io-bound-api"))
    lines = {line.component: line for line in bill_of_materials(p)}
    app = lines["Application compute"]
    assert app.quantity == p.capacity.instances * p.capacity.cores_per_instance
    assert p.database is not None
    db = lines[f"Database ({p.database.engine})"]
    copies = 1 + p.database.standbys + p.database.read_replicas
    assert db.quantity == copies * p.database.db_cores
    assert "Redis cache" in lines  # io-bound-api caches in Redis


def test_overridden_prices_change_the_design_s_cost_lines() -> None:
    p = plan(preset("io-bound-api"))
    mine = dataclasses.replace(UNIT_PRICES, vcpu_month=10.0, as_of="our 2026 contract")
    app = next(line for line in bill_of_materials(p, mine) if line.component.startswith("Appl"))
    assert app.monthly == pytest.approx(10.0 * p.capacity.cores)
    text = write_design(p, prices=mine)
    assert "as of our 2026 contract" in text
    assert f"| {10.0 * p.capacity.cores:,.0f} |" in text


def test_unknown_prices_stay_blank_and_out_of_the_total() -> None:
    p = plan(preset("big-data-pipeline"))
    lines = bill_of_materials(p)
    job = next(line for line in lines if line.component.startswith("Data job"))
    assert job.quantity is None and job.monthly is None
    total, blanks = monthly_total(lines)
    assert blanks >= 2
    assert total == pytest.approx(sum(line.monthly or 0 for line in lines))


@pytest.mark.parametrize("name", preset_names())
def test_the_cost_table_is_dated_and_has_a_total(name: str) -> None:
    text = write_design(plan(preset(name)))
    assert f"as of {UNIT_PRICES.as_of}" in text
    assert "**Total (priced lines)**" in text
