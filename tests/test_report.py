"""The one-file HTML report: self-contained, escaped, and the same from Python, form and CLI."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, Design, PytArchError, Requirements, RequirementsForm, preset
from pyt_arch_kit.cli import main
from pyt_arch_kit.report import design_html, markdown_html

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _design(name: str = "io-bound-api") -> Design:
    return Architect().design(preset(name))


def test_the_report_holds_every_section_the_plan_and_the_charts() -> None:
    page = _design().to_html()
    for heading in ("Executive Summary", "System Diagram", "Risks and Mitigations", "Figures"):
        assert f">{heading}</h" in page
    assert page.count('<pre class="mermaid">') == 1
    assert page.count('src="data:image/png;base64,') == 2
    assert "L = λ · W" in page  # a figure's formula, in the plan's table


def test_the_report_fetches_nothing_from_anywhere() -> None:
    page = _design().to_html()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # the tags, not mermaid's code
    fetching = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?!data:)", markup)
    assert fetching == []


def test_hostile_text_in_the_requirements_and_the_answer_stays_text() -> None:
    req = Requirements.parse({"name": HOSTILE[:120], "summary": HOSTILE})
    design = Architect().design(req)
    evil = design.with_text(
        design.text
        + f"\n\n{HOSTILE}\n\n[click](javascript:alert(1)) ![tracker](https://example.com/t.png)\n"
    )
    page = evil.to_html(charts=False)
    body = page.split("<body>", 1)[1].rsplit("<script>", 2)[0]  # the page, not mermaid's code
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert" in body
    assert "javascript:" not in body
    assert "https://example.com/t.png" not in body and "[image: tracker]" in body


def test_markdown_is_rendered_with_raw_html_escaped() -> None:
    assert markdown_html("a <b>b</b>") == "<p>a &lt;b&gt;b&lt;/b&gt;</p>"
    assert '<a href="https://example.com">x</a>' in markdown_html("[x](https://example.com)")
    table = markdown_html("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in table and "<td>2</td>" in table


def test_an_incomplete_design_says_so_at_the_top() -> None:
    design = _design().with_text("## Executive Summary\n\nPart of", complete=False)
    page = design.to_html(charts=False)
    assert "Incomplete design" in page and "System Diagram" in page  # named as missing


def test_the_cli_writes_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "design.html"
    assert (
        main(["design", "--preset", "payments-ledger", "--format", "html", "--out", str(out)]) == 0
    )
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "payments-ledger" in page
    assert main(["design", "--preset", "payments-ledger", "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_the_form_exports_html_and_never_overwrites_unasked(tmp_path: Path) -> None:
    form = RequirementsForm("io-bound-api")
    form.run()
    path = form.export(tmp_path / "design.html")
    assert '<pre class="mermaid">' in path.read_text(encoding="utf-8")
    with pytest.raises(PytArchError, match=r"design\.html"):
        form.export(tmp_path / "design.html")


def test_the_report_is_deterministic() -> None:
    assert design_html(_design(), charts=True) == design_html(_design(), charts=True)


def test_the_packaged_mermaid_is_the_one_the_lockfile_pins() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/mermaid"]["version"]
    vendor = ROOT / "pyt_arch_kit" / "_vendor"
    assert (vendor / "mermaid.version").read_text().strip() == pinned, (
        "run `bash scripts/vendor-mermaid.sh` after changing mermaid's version"
    )
    installed = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if installed.is_file():
        packaged = gzip.decompress((vendor / "mermaid.min.js.gz").read_bytes())
        assert packaged == installed.read_bytes(), "run `bash scripts/vendor-mermaid.sh`"
