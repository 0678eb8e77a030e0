"""The published site in a real browser: every page, diagram, chart, link, search and theme.

Needs ``bash scripts/docs.sh`` first (it builds ``site/`` from the executed notebooks).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import ROOT, Traffic

pytestmark = pytest.mark.browser

NOTEBOOKS = ROOT / "docs" / "notebooks"
_FENCE = re.compile(r"^\s*(```|~~~)\s*mermaid\b", re.M)

# Runs in the page: every diagram Material drew, and whether it is a real drawing.
DIAGRAMS_JS = """() => Array.from(document.querySelectorAll('div.mermaid')).map(el => {
  const svg = el.shadowRoot && el.shadowRoot.querySelector('svg');
  if (!svg) return {svg: false};
  const box = svg.getBoundingClientRect();
  return {svg: true, width: box.width, height: box.height,
          nodes: svg.querySelectorAll('.node').length,
          errors: svg.querySelectorAll('.error-icon, .error-text').length,
          text: Array.from(svg.querySelectorAll('.node, .error-text'))
            .map(n => n.textContent).join(' | ').slice(0, 300)};
})"""
BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(img => !img.complete || img.naturalWidth === 0)
  .map(img => img.src.slice(0, 100))"""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_expectations(path: Path) -> dict[str, int]:
    """What a notebook's page must show: diagrams (cells and outputs), charts, outputs."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    diagrams = charts = with_outputs = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            diagrams += len(_FENCE.findall(_text(cell["source"])))
            continue
        if cell["cell_type"] != "code":
            continue
        outputs = cell.get("outputs", [])
        with_outputs += bool(outputs)
        for output in outputs:
            data = output.get("data", {})
            diagrams += len(_FENCE.findall(_text(data.get("text/markdown", ""))))
            diagrams += "text/vnd.mermaid" in data
            charts += "image/png" in data
    return {"diagrams": diagrams, "charts": charts, "with_outputs": with_outputs}


def nav_pages(page: Any, base: str) -> list[str]:
    """Every page linked from the primary navigation, in order."""
    page.goto(base)
    hrefs = page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)"
    )
    seen: dict[str, None] = {base: None}
    for href in hrefs:
        url = urljoin(base, href).split("#", 1)[0]
        if url.startswith(base):
            seen[url] = None
    return list(seen)


def wait_for_diagrams(page: Any, expected: int) -> list[dict[str, Any]]:
    """Wait (up to 15 s) until Material has drawn ``expected`` diagrams; describe those drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if expected:
        # On a timeout, the caller compares what was drawn with what was expected.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "n => document.querySelectorAll('div.mermaid').length >= n"
                " && Array.from(document.querySelectorAll('div.mermaid'))"
                ".every(el => el.shadowRoot && el.shadowRoot.querySelector('svg'))",
                arg=expected,
                timeout=15_000,
            )
    diagrams: list[dict[str, Any]] = page.evaluate(DIAGRAMS_JS)
    return diagrams


def built_pages(site: Path) -> set[str]:
    """Every HTML page in the built site, as a path relative to its root."""
    pages = set()
    for html in site.rglob("index.html"):
        rel = html.parent.relative_to(site).as_posix()
        if not rel.startswith("assets"):
            pages.add("" if rel == "." else rel + "/")
    return pages


def test_every_page_loads_clean_and_draws_its_diagrams(
    site_url: str, site_dir: Path, watched: tuple[Any, Traffic]
) -> None:
    page, traffic = watched
    urls = nav_pages(page, site_url)
    reached = {urlsplit(u).path.lstrip("/") for u in urls}
    assert built_pages(site_dir) <= reached, "pages built but not in the navigation"
    notebooks = [u for u in urls if "/notebooks/" in u]
    assert notebooks, "the worked examples are missing from the navigation"

    problems: list[str] = []
    drawn_total = 0
    for url in urls:
        traffic.clear()
        page.goto(url, wait_until="load")
        path = urlsplit(url).path.strip("/")
        source = site_dir / path / "index.html"
        if "/notebooks/" in url:
            nb = NOTEBOOKS / (Path(path).name + ".ipynb")
            expect = notebook_expectations(nb)
        else:
            html = source.read_text(encoding="utf-8")
            expect = {"diagrams": html.count('<pre class="mermaid">'), "charts": 0}
        diagrams = wait_for_diagrams(page, expect["diagrams"])
        page.wait_for_load_state("networkidle")  # so no request is cut by the next page
        drawn_total += len(diagrams)
        if len(diagrams) != expect["diagrams"]:
            problems.append(f"{path}: {len(diagrams)} diagrams drawn, {expect['diagrams']} written")
        for d in diagrams:
            if not d["svg"] or d["width"] <= 0 or d["nodes"] == 0 or d["errors"]:
                problems.append(f"{path}: a diagram was not drawn: {d}")
        if page.locator(".jp-Mermaid, pre.mermaid").count():
            problems.append(f"{path}: a mermaid block was left as text")
        broken = page.evaluate(BROKEN_IMAGES_JS)
        if broken:
            problems.append(f"{path}: images that did not load: {broken}")
        if "/notebooks/" in url:
            shown = page.locator(".jp-Cell.jp-CodeCell:not(.jp-mod-noOutputs)").count()
            if shown < expect["with_outputs"]:
                problems.append(f"{path}: {shown} cells show outputs, {expect['with_outputs']} ran")
            charts = page.evaluate(
                "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
                ".filter(i => i.complete && i.naturalWidth > 0).length"
            )
            if charts < expect["charts"]:
                problems.append(
                    f"{path}: {charts} charts shown, {expect['charts']} in the notebook"
                )
        problems += [f"{path}: {p}" for p in traffic.problems()]
    assert not problems, "\n".join(problems)
    assert drawn_total >= 2, "expected the home page and the examples to draw diagrams"


def test_home_page_shows_the_design_diagram_and_the_two_commands(
    site_url: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, traffic = watched
    page.goto(site_url)
    diagrams = wait_for_diagrams(page, 1)
    assert not traffic.problems(), traffic.problems()
    assert len(diagrams) == 1 and diagrams[0]["nodes"] >= 3, diagrams
    assert "Load balancer" in diagrams[0]["text"]
    body = page.locator("article").inner_text()
    assert "bash scripts/test.sh" in body
    assert "pyt-arch design --preset io-bound-api" in body
    assert "Executive Summary" in body
    page.screenshot(path=str(artifacts / "site-home.png"), full_page=True)


def test_worked_example_shows_outputs_and_charts(
    site_url: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, traffic = watched
    nb = NOTEBOOKS / "02-io-bound-api.ipynb"
    expect = notebook_expectations(nb)
    page.goto(site_url + "notebooks/02-io-bound-api/")
    wait_for_diagrams(page, expect["diagrams"])
    assert page.locator(".jp-OutputArea-output").count() >= expect["with_outputs"] > 0
    assert page.get_by_role("heading", name="Executive Summary").count() >= 1
    assert page.locator("clipboard-copy").count() >= 1, "notebook code has no copy buttons"
    page.screenshot(path=str(artifacts / "site-worked-example.png"), full_page=True)
    assert not traffic.problems(), traffic.problems()


def test_navigation_links_and_footer_lead_to_the_next_page(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, traffic = watched
    page.goto(site_url)
    page.locator("nav.md-nav--primary a.md-nav__link", has_text="The planner").first.click()
    page.wait_for_url("**/guides/planner/")
    assert page.locator("article h1").inner_text().startswith("The planner")
    next_link = page.locator("a.md-footer__link--next")
    title = next_link.get_attribute("aria-label") or ""
    next_link.click()
    page.wait_for_url("**/guides/backends/")
    assert "Backends" in title and page.locator("article h1").inner_text().startswith("Backends")
    assert not traffic.problems(), traffic.problems()


def test_search_finds_a_term_and_its_result_opens(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, traffic = watched
    page.goto(site_url)
    search = page.locator("input.md-search__input")
    search.click()
    page.wait_for_function(  # the index is loaded in a web worker
        "() => !document.querySelector('.md-search-result__meta')"
        ".textContent.includes('Initializing')"
    )
    search.press_sequentially("Erlang", delay=20)  # typed, as Material listens for keys
    first = page.locator("a.md-search-result__link").first
    first.wait_for(timeout=15_000)
    first.click()
    page.wait_for_load_state("load")
    assert "Erlang" in page.locator("article").inner_text()
    assert page.url != site_url
    assert not traffic.problems(), traffic.problems()


def test_theme_toggle_switches_the_palette_and_remembers_it(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, traffic = watched
    page.goto(site_url)
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    other = "slate" if scheme == "default" else "default"
    page.wait_for_function(
        "s => document.body.getAttribute('data-md-color-scheme') === s", arg=other
    )
    page.reload()
    assert page.locator("body").get_attribute("data-md-color-scheme") == other
    assert not traffic.problems(), traffic.problems()


def test_code_blocks_have_copy_buttons(site_url: str, watched: tuple[Any, Traffic]) -> None:
    page, traffic = watched
    page.goto(site_url + "guides/planner/")
    blocks = page.locator("article pre:not(.mermaid) > code").count()
    assert blocks > 0
    buttons = page.locator("article pre > nav.md-code__nav > button[data-md-type='copy']")
    assert buttons.count() == blocks
    assert not traffic.problems(), traffic.problems()
