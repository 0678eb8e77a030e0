"""The site as a reader meets it: readable diagrams, code as code, links that land, tables that fit.

Needs ``bash scripts/docs.sh`` first. Layout checks run in Chromium on every page of the
navigation; link and search checks read the built files.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import DIAGRAM_FONTS_JS, ROOT, Traffic
from tests.browser.test_browser_site import nav_pages, wait_for_diagrams

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "assets" / "workbench.png"

# Runs in the page: text a reader sees outside code that still looks like source markup.
STRAY_MARKUP_JS = r"""() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('article'),
                                           NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent;
    if (!/>>>|:(class|meth|func|attr|exc|mod|data|obj):`/.test(text)) continue;
    if (node.parentElement.closest('pre, code, .highlight, script, style')) continue;
    out.push(text.trim().slice(0, 120));
  }
  return out;
}"""
# Runs in the page: tables wider than the content column with no scroll container around them.
CUT_TABLES_JS = """() => {
  // Material's scroll wrapper reaches 0.8rem into the page margin on each side, by design.
  const column = document.querySelector('article').getBoundingClientRect().width + 32;
  const cut = [];
  for (const table of document.querySelectorAll('article table')) {
    if (table.closest('.md-typeset__table, .jp-RenderedHTMLCommon') === null
        && table.scrollWidth <= column + 1) continue;
    let el = table, scrolls = false;
    while (el && el.tagName !== 'ARTICLE') {
      const style = getComputedStyle(el);
      if (['auto', 'scroll'].includes(style.overflowX)
          && el.getBoundingClientRect().width <= column + 1) { scrolls = true; break; }
      el = el.parentElement;
    }
    const wide = table.scrollWidth > column + 1;
    if (wide && !scrolls) cut.push(table.innerText.slice(0, 60));
  }
  return cut;
}"""
# Runs in the page: inline code in tables and prose that wraps inside a word.
BROKEN_CODE_JS = """() => Array.from(document.querySelectorAll('article td code, article p code'))
  .filter(c => !c.closest('pre') && c.getClientRects().length > 1
               && !/\\s/.test(c.textContent.trim()))
  .map(c => c.textContent).slice(0, 5)"""


def test_every_page_reads_well(
    site_url: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, traffic = watched
    problems: list[str] = []
    for url in nav_pages(page, site_url):
        traffic.clear()
        page.goto(url, wait_until="load")
        path = urlsplit(url).path.strip("/") or "home"
        expected = page.locator("div.mermaid, pre.mermaid").count()
        wait_for_diagrams(page, expected)
        for d in page.evaluate(DIAGRAM_FONTS_JS):
            if not d["zoom"] and (d["min_px"] is None or d["min_px"] < 9):
                problems.append(f"{path}: diagram text {d['min_px']} px and no zoom control")
        problems += [f"{path}: markup shown as text: {t!r}" for t in page.evaluate(STRAY_MARKUP_JS)]
        problems += [f"{path}: table cut off: {t!r}" for t in page.evaluate(CUT_TABLES_JS)]
        problems += [f"{path}: code broken mid-word: {t!r}" for t in page.evaluate(BROKEN_CODE_JS)]
        if page.locator("a.md-source[href^='https://']").count() < 1:
            problems.append(f"{path}: no repository link in the header")
        if "/notebooks/" in url:
            if page.locator("a[download], a[href$='.ipynb']").count() == 0:
                problems.append(f"{path}: no notebook download")
            edit = page.locator("a.md-content__button[href*='/edit/']").first
            if not (edit.get_attribute("href") or "").endswith(
                f"notebooks/{Path(path).name}.ipynb"
            ):
                problems.append(f"{path}: the edit link does not open notebooks/NAME.ipynb")
        elif page.locator("a.md-content__button[href*='/edit/main/docs/']").count() != 1:
            problems.append(f"{path}: no edit link")
        page.wait_for_load_state("networkidle")  # so no request is cut by the next page
        problems += [f"{path}: {p}" for p in traffic.problems()]
    assert not problems, "\n".join(problems)
    page.goto(site_url + "notebooks/05-payments-ledger/")
    wait_for_diagrams(page, 1)
    page.screenshot(path=str(artifacts / "site-payments-ledger.png"), full_page=True)


def test_formulas_are_drawn_as_math(site_url: str, watched: tuple[Any, Traffic]) -> None:
    page, traffic = watched
    for url in ("guides/planner/", "notebooks/02-io-bound-api/"):
        page.goto(site_url + url)
        page.wait_for_function("() => document.querySelectorAll('.arithmatex .katex').length > 0")
        raw = page.evaluate(
            "() => Array.from(document.querySelectorAll('.arithmatex'))"
            ".filter(e => !e.querySelector('.katex')).map(e => e.textContent).slice(0, 3)"
        )
        assert raw == [], f"{url}: formulas left as TeX: {raw}"
        page.wait_for_load_state("networkidle")  # so no request is cut by the next page
    assert not traffic.problems(), traffic.problems()


def test_the_workbench_screenshot_is_on_the_quick_start_and_the_guide(
    site_url: str, site_dir: Path, watched: tuple[Any, Traffic]
) -> None:
    assert SCREENSHOT.is_file() and SCREENSHOT.with_suffix(".json").is_file(), (
        "docs/assets/workbench.png is missing: tests/browser/test_jupyterlab.py writes it"
    )
    page, traffic = watched
    for url in ("notebooks/01-quick-start/", "guides/workbench/", ""):
        page.goto(site_url + url)
        shot = page.locator("img[src$='assets/workbench.png']").first
        shot.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 400", arg=shot.element_handle()
        )
        page.wait_for_load_state("networkidle")  # so no request is cut by the next page
    assert not traffic.problems(), traffic.problems()


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)
            if key == "href" and tag == "a" and value and "#" in value:
                self.hrefs.append(value)


def test_every_in_page_and_cross_page_anchor_resolves(site_dir: Path) -> None:
    pages: dict[str, _Anchors] = {}
    for html in site_dir.rglob("*.html"):
        if "assets" in html.relative_to(site_dir).parts:
            continue
        parsed = _Anchors()
        parsed.feed(html.read_text(encoding="utf-8"))
        pages[html.relative_to(site_dir).as_posix()] = parsed
    broken = []
    for name, parsed in pages.items():
        base = "http://site/" + name
        for href in parsed.hrefs:
            target = urljoin(base, href)
            parts = urlsplit(target)
            if parts.netloc != "site" or not parts.fragment:
                continue
            doc = parts.path.lstrip("/")
            doc = doc + "index.html" if doc.endswith("/") or not doc else doc
            other = pages.get(doc)
            if other is None:
                continue  # not an HTML page of the site (the link checkers cover those)
            if parts.fragment not in other.ids:
                broken.append(f"{name}: {href}")
    assert not broken, "\n".join(sorted(set(broken))[:40])


def test_search_snippets_are_clean_text(site_dir: Path) -> None:
    index = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))
    noisy = [
        f"{doc['location']}: {m.group(0)!r}"
        for doc in index["docs"]
        for m in [re.search(r".{0,30}(¶|Copied!|In\xa0\[\d*\]:|\\\(|sk-ant-).{0,30}", doc["text"])]
        if m
    ]
    assert not noisy, "\n".join(noisy[:20])
