"""Design.verify(): each check catches what it claims, and leaves everything else alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, Design, Requirements, preset, preset_names
from pyt_arch_kit.verify import CHECKS, Verification
from pyt_arch_kit.verify.catalogue import import_names
from pyt_arch_kit.verify.mermaid import NodeMermaid

_CACHED = preset("io-bound-api").model_dump(mode="json")
_CACHED["workload"]["cache_hit_ratio"] = 0.0789  # measured: the plan keeps its Redis cache
IO = Architect().design(Requirements.model_validate(_CACHED))  # PostgreSQL, Redis; pool 2 + 1

#: Offline designs that fail today, each a defect owned by another change. The strict xfail
#: turns into a failure once it is fixed: then delete the entry.
FAILING_TODAY: dict[str, str] = {}


def replaced(design: Design, old: str, new: str, count: int = 1) -> Design:
    assert design.text.count(old) >= count, old
    return design.with_text(design.text.replace(old, new, count))


def problems(verdict: Verification, check: str | None = None) -> list[str]:
    return [str(p) for p in verdict if check is None or p.check == check]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=FAILING_TODAY[n]))
        if n in FAILING_TODAY
        else n
        for n in preset_names()
    ],
)
def test_every_preset_offline_design_passes_every_check(name: str, mermaid: NodeMermaid) -> None:
    verdict = Architect().design(preset(name)).verify(diagrams=mermaid)
    assert verdict.ok, verdict.to_text()
    assert [c.name for c in verdict.checks] == list(CHECKS)
    assert all(c.status == "passed" for c in verdict.checks), verdict.to_text()
    assert verdict.quotes  # figures were found and compared, not skipped


# -- figures ---------------------------------------------------------------------------------


def test_a_wrong_pool_size_in_code_is_the_one_problem() -> None:
    verdict = replaced(IO, "pool_size: int = 2  #", "pool_size: int = 12  #").verify()
    assert problems(verdict) == [
        "figures: Implementation Guidelines: “pool_size: int = 12” quotes pool size per process as "
        "12; the plan's is 2"
    ]


@pytest.mark.parametrize(
    ("old", "new", "figure"),
    [
        ("pools of 2 + 1 overflow", "pools of 5 + 1 overflow", "pool size per process as 5"),
        ("**5 instance(s) × 4 cores**", "**6 instance(s) × 4 cores**", "application instances"),
        ("Estimated p99 170 ms", "Estimated p99 30 ms", "estimated p99 (ms) as 30"),
        ("at 60 ≤ 180 usable", "at 96 ≤ 180 usable", "connections all workers may open"),
        ("16.72 connection(s) busy", "9 connection(s) busy", "connections busy at peak as 9"),
        ("(TTL 5 s)", "(TTL 30 s)", "cache TTL (s) as 30"),
    ],
)
def test_a_wrong_figure_in_the_summary_is_caught(old: str, new: str, figure: str) -> None:
    verdict = replaced(IO, old, new).verify()
    found = problems(verdict)
    assert len(found) == 1 and found[0].startswith("figures: Executive Summary"), found
    assert figure in found[0]


def test_wrong_workers_in_the_server_config_and_diagram_are_caught() -> None:
    design = replaced(IO, "workers = 4  #", "workers = 9  #")
    design = replaced(design, "5 × 4 event-loop workers", "5 × 2 event-loop workers")
    found = problems(design.verify())
    assert len(found) == 2, found
    assert any("workers = 9" in p and "as 9; the plan's is 4" in p for p in found)
    assert any(p.startswith("figures: System Diagram") and "as 2;" in p for p in found)


@pytest.mark.parametrize(
    "written", ["Estimated p99 169.8 ms", "Estimated p99 170 ms", "Estimated p99 169.76 ms"]
)  # the plan's p99 is 169.76… ms: each is right to the places it is written with
def test_a_figure_matches_within_the_precision_it_is_written_with(written: str) -> None:
    assert replaced(IO, "Estimated p99 170 ms", written).verify().ok


@pytest.mark.parametrize("written", ["Estimated p99 168 ms", "Estimated p99 175 ms"])
def test_a_figure_outside_its_rounding_is_wrong(written: str) -> None:
    assert problems(replaced(IO, "Estimated p99 170 ms", written).verify(), "figures")


def test_numbers_that_quote_no_figure_are_left_alone() -> None:
    prose = (
        "\n\nRetry at most 4 times within 2 s; the 2025 review found 30 services in 3 teams. "
        "After losing one instance, 3 instances carry the peak at 67 % busy. Keep 5 spare "
        "connections for migrations; `keepalive = 75`; `timeout = 30`; scale to 10× later.\n"
    )
    design = IO.with_text(IO.text.replace("\n## Risks", prose + "\n## Risks"))
    verdict = design.verify()
    assert verdict.ok, verdict.to_text()


def test_a_figure_the_plan_does_not_have_is_reported() -> None:
    design = replaced(IO, "```python\n# gunicorn", "```python\n# gunicorn: ProcessPoolExecutor(4)")
    found = problems(design.verify())
    assert len(found) == 1 and "process-pool workers (4), which the plan does not have" in found[0]


# -- python ----------------------------------------------------------------------------------


def test_an_import_outside_the_stack_is_the_one_problem() -> None:
    design = replaced(
        IO, "import asyncio\nimport random\n", "import asyncio\nimport random\n\nimport requests\n"
    )
    assert problems(design.verify()) == [
        "python: Implementation Guidelines, python block 6: imports requests, which is neither "
        "in the standard library nor in the Technology Stack"
    ]


def test_listing_a_distribution_in_the_stack_admits_its_import_name() -> None:
    code = "import yaml\nimport grpc\nfrom sklearn import tree\nimport confluent_kafka\n"
    design = IO.with_text(
        IO.text.replace("import asyncio\nimport random\n", "import asyncio\nimport random\n" + code)
    )
    assert len(problems(design.verify(), "python")) == 4
    rows = "".join(
        f"| {lib} | `>=1` | why |\n"
        for lib in ("pyyaml", "grpcio", "scikit-learn", "confluent-kafka")
    )
    listed = design.with_text(design.text.replace("| asyncpg |", rows + "| asyncpg |"))
    verdict = listed.verify()
    assert problems(verdict, "python") == []
    # grpcio and confluent-kafka also name a framework and a broker the plan did not choose
    assert {p.message for p in verdict} == {
        "names gRPC, but the plan's framework is FastAPI",
        "names Kafka, but the plan's broker is none",
    }  # (neither was proposed, so neither was pushed back on)


@pytest.mark.parametrize(
    ("distribution", "names"),
    [
        ("psycopg[binary]", {"psycopg"}),
        ("pyyaml", {"yaml"}),
        ("grpcio", {"grpc"}),
        ("confluent-kafka", {"confluent_kafka"}),
        ("redis", {"redis"}),
        ("pydantic-settings", {"pydantic_settings"}),
        ("dask[distributed]", {"dask", "distributed"}),
        ("opentelemetry-sdk", {"opentelemetry"}),
        ("scikit-learn", {"sklearn"}),
        ("SQLAlchemy", {"sqlalchemy"}),
        ("uvicorn-worker", {"uvicorn_worker"}),
        ("aio-pika", {"aio_pika"}),
    ],
)
def test_distribution_names_map_to_import_names(distribution: str, names: set[str]) -> None:
    assert import_names(distribution) >= names


def test_the_apps_own_packages_and_relative_imports_are_allowed() -> None:
    code = "from app.domain import rules\nfrom . import sibling\nfrom orders.api import routes\n"
    design = IO.with_text(
        IO.text.replace("import asyncio\nimport random\n", "import asyncio\nimport random\n" + code)
    )
    assert problems(design.verify()) == [
        "python: Implementation Guidelines, python block 6: imports orders, which is neither in "
        "the standard library nor in the Technology Stack"
    ]
    layout = "```text\norders/\napp/\n```\n\n### Testing strategy"  # a service's is the baseline's
    drawn = design.with_text(design.text.replace("### Testing strategy", layout))
    assert drawn.verify().ok


def test_a_python_block_that_does_not_parse_is_reported_with_its_line() -> None:
    design = replaced(IO, "\nworkers = 4  #", "\nworkers = = 4  #")
    (found,) = problems(design.verify(), "python")
    assert "python block 4" in found and "does not parse: line 3" in found


# -- sections, diagram -----------------------------------------------------------------------


def test_missing_and_out_of_order_sections_are_reported() -> None:
    body = IO.text
    start, end = body.index("## Risks and Mitigations"), len(body)
    risks = body[start:end]
    moved = IO.with_text(risks + "\n" + body[:start])
    assert "sections: the document: out of order" in "\n".join(problems(moved.verify()))
    cut = IO.with_text(body[:start])
    assert problems(cut.verify(), "sections") == ["sections: Risks and Mitigations: missing"]


def test_mermaids_own_parser_rejects_a_broken_diagram(mermaid: NodeMermaid) -> None:
    broken = replaced(IO, "lb --> app\n", 'lb --> app["unclosed\n')
    (found,) = problems(broken.verify(diagrams=mermaid))
    assert found.startswith("diagram: System Diagram, mermaid block 1: mermaid: Parse error")


def test_a_diagram_without_a_diagram_type_is_caught_without_node() -> None:
    broken = replaced(IO, "```mermaid\nflowchart LR\n", "```mermaid\nflowchat LR\n")
    verdict = broken.verify()
    assert problems(verdict) == [
        "diagram: System Diagram, mermaid block 1: no diagram type: starts with 'flowchat LR'"
    ]


def test_without_node_the_verdict_says_the_diagram_was_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYT_ARCH_NODE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no node here
    verdict = IO.verify(diagrams=NodeMermaid())
    assert verdict.ok and verdict.check("diagram").status == "not checked"
    assert "diagram syntax not checked (node/mermaid unavailable" in verdict.summary()


def test_without_mermaid_installed_the_verdict_says_so(tmp_path: Path) -> None:
    verdict = IO.verify(diagrams=NodeMermaid(node_modules=tmp_path / "node_modules"))
    assert verdict.check("diagram").status == "not checked"
    assert "npm ci" in verdict.check("diagram").detail


def test_no_parser_is_not_a_pass() -> None:
    verdict = IO.verify()
    assert verdict.check("diagram").status == "not checked"
    assert "diagram syntax not checked" in verdict.summary()


# -- components ------------------------------------------------------------------------------


def test_a_component_push_back_removed_must_not_come_back() -> None:
    design = Architect().design(preset("internal-tool-pushback"))  # Kafka pushed back
    assert "Kafka" in design.section("Executive Summary")  # named in the push-back: allowed
    design = replaced(design, "    db[(", '    bus[["Kafka"]]\n    db[(')
    design = replaced(
        design, "|---|---|---|\n", "|---|---|---|\n| confluent-kafka | `>=2.5` | events |\n"
    )
    assert sorted(problems(design.verify())) == [
        "components: System Diagram: names Kafka, but the plan's broker is none (it pushed "
        "back on Kafka)",
        "components: Technology Stack: names Kafka, but the plan's broker is none (it pushed "
        "back on Kafka)",
    ]


def test_a_platform_is_a_problem_only_where_the_plan_pushed_back_on_it() -> None:
    hpa = '    k8s["Kubernetes HPA"]\n    db[('
    assert replaced(IO, "    db[(", hpa).verify().ok  # io-bound-api: no platform decided
    tool = Architect().design(preset("internal-tool-pushback"))  # proposed Kubernetes
    assert problems(replaced(tool, "    db[(", hpa).verify()) == [
        "components: System Diagram: names Kubernetes, but the plan's platform is none (it "
        "pushed back on Kubernetes)"
    ]


def test_a_chosen_component_missing_from_summary_diagram_or_stack_is_reported() -> None:
    design = IO.with_text(re.sub(r"Redis|redis", "Valkey", IO.text))
    found = problems(design.verify(), "components")
    assert found == [
        "components: Executive Summary: does not name Redis, the plan's cache",
        "components: System Diagram: does not name Redis, the plan's cache",
        "components: Technology Stack: does not name Redis, the plan's cache",
    ]


def test_a_design_without_a_plan_checks_what_it_can() -> None:
    verdict = Design(title="t", text=IO.text).verify()
    assert verdict.ok
    assert {c.name for c in verdict.unchecked} == {"diagram", "figures", "components"}
    assert verdict.check("python").status == "passed"


# -- the verdict as a user sees it ------------------------------------------------------------


def test_the_verdict_shows_problems_as_data_not_markup() -> None:
    design = replaced(IO, "```mermaid\nflowchart LR\n", "```mermaid\n<b>flow</b> *LR*\n")
    verdict = design.verify()
    assert verdict.summary().startswith("1 problem (diagram 1); first: diagram:")
    assert "\n" not in verdict.summary()
    md = verdict._repr_markdown_()
    assert "✗ **diagram**" in md and "<b>" not in md and r"\<b\>flow" in md
    data = verdict.to_dict()
    assert data["ok"] is False and data["problems"][0]["check"] == "diagram"


def test_a_number_called_a_default_is_not_the_designs_figure() -> None:
    note = "\n\nSQLAlchemy's default pool_size=5 and max_overflow=10 would open too many.\n"
    design = IO.with_text(IO.text.replace("\n## Operational", note + "\n## Operational"))
    assert design.verify().ok


def test_the_status_line_html_escapes_what_the_design_wrote() -> None:
    design = replaced(
        IO, "```mermaid\nflowchart LR\n", "```mermaid\n<img src=x onerror=alert(1)>\n"
    )
    fragment = design.verify().to_html()
    assert "<img" not in fragment and "&lt;img" in fragment
    assert fragment.startswith("<details") and "verify: 1 problem<" in fragment
    assert (
        IO.verify()
        .to_html()
        .startswith("no problems found, 1 of 5 not checked ✓ (diagram syntax not checked")
    )


def test_a_design_cut_inside_a_code_block_reports_the_block_and_the_missing_sections() -> None:
    cut = IO.with_text(IO.text[: IO.text.index("ratio: float = 0.1")])
    found = problems(cut.verify())
    assert found[2].startswith("python: Implementation Guidelines, python block 6: does not parse")
    assert found[:2] == [
        "sections: Operational Considerations: missing",
        "sections: Risks and Mitigations: missing",
    ]


def test_a_fence_inside_a_list_item_is_read_like_any_other() -> None:
    listed = "\n\n1. Wire the client:\n\n   ```python\n   import requests\n   ```\n"
    design = IO.with_text(IO.text.replace("\n### Testing strategy", listed + "\n### Testing"))
    assert problems(design.verify()) == [
        "python: Implementation Guidelines, python block 7: imports requests, which is neither "
        "in the standard library nor in the Technology Stack"
    ]


def test_design_verify_stays_in_the_pure_core() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pyt_arch_kit import Architect, preset\n"
        "Architect().design(preset('io-bound-api')).verify()\n"
        "edges = {'subprocess', 'pyt_arch_kit.verify.mermaid', 'pyt_arch_kit.verify.files'}\n"
        "print(sorted(edges & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_mongodb_pool_is_checked_as_pymongo_names_it() -> None:
    """MongoDB pools per client with no overflow: maxPoolSize is the plan's pool + overflow."""
    req = Requirements(
        workload={"io_wait_ms_per_request": 4.0}, infrastructure={"database": "mongodb"}
    )
    design = Architect().design(req)
    db = design.plan.database  # type: ignore[union-attr]
    assert db is not None
    per_process = db.pool_size + db.max_overflow
    assert f"max_pool_size: int = {per_process}" in design.text
    assert design.verify().ok
    wrong = replaced(design, f"max_pool_size: int = {per_process}", "max_pool_size: int = 40")
    assert problems(wrong.verify(), "figures") == [
        "figures: Implementation Guidelines: “max_pool_size: int = 40” quotes connections per "
        f"process (pool + overflow) as 40; the plan's is {per_process}"
    ]
