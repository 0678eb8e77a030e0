"""The service baseline: written once, shipped in the package and on the site, and named by
every service design (with its version and where to read it) instead of repeated in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.baseline import BASELINE, baseline_text
from pyt_arch_kit.cli import main
from pyt_arch_kit.design import main_text
from pyt_arch_kit.presets import preset_names

ROOT = Path(__file__).resolve().parent.parent
SERVICES = [n for n in preset_names() if (preset(n).scale.peak_rps or 0) > 0]
JOBS = [n for n in preset_names() if n not in SERVICES]


def test_the_site_and_the_package_carry_the_same_baseline() -> None:
    assert (ROOT / "docs" / "guides" / "baseline.md").read_text(encoding="utf-8") == baseline_text()
    assert baseline_text().startswith(f"# {BASELINE[0].upper()}{BASELINE[1:]}\n")


def test_pyt_arch_baseline_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline"]) == 0
    assert capsys.readouterr().out == baseline_text()


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_design_names_the_baseline_its_version_and_where_to_read_it(name: str) -> None:
    text = main_text(Architect().design(preset(name)).text)
    assert text.count(BASELINE) == 1
    assert "`pyt-arch baseline`" in text and "docs/guides/baseline.md" in text


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_design_does_not_repeat_the_baseline(name: str) -> None:
    """Bug fixed: every service design repeated the layout, the migrations, the probes, the
    security bullets and the generic risks word for word (issue 20)."""
    text = main_text(Architect().design(preset(name)).text)
    for said_once in (
        "Alembic runs as its own release step",
        "- Probes: liveness asks",
        "- Secrets: from a secret manager",
        "- Rate limits: a token bucket",
        "Cache stampede on a hot key",
        "A blocking call stalls the event loop",
        "RED metrics per endpoint",
        "a scratch instance every quarter",
    ):
        assert said_once not in text, said_once
        assert said_once.lstrip("- ") in baseline_text(), said_once
    assert "Structure the code in three layers" not in text  # the layout: the baseline's
    assert "Three layers, dependencies pointing inwards" in baseline_text()


@pytest.mark.parametrize("name", JOBS)
def test_a_job_keeps_its_own_text(name: str) -> None:
    assert BASELINE not in Architect().design(preset(name)).text
