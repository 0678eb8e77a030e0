"""The site read at 1280 px and on a phone: diagrams legible where they sit, controls that cover
nothing, formulas that keep their words apart, tables without sideways scrolling, no page wider
than a phone, a download on every worked example, and mermaid/KaTeX only where they are used.

Needs ``bash scripts/docs.sh`` first.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import DIAGRAM_FONTS_JS, Traffic
from tests.browser.test_browser_site import nav_pages, wait_for_diagrams

pytestmark = pytest.mark.browser

#: The smallest diagram text a reader can read without zooming, in CSS pixels.
LEGIBLE_PX = 10

#: Runs in the page: each pan/zoom box's controls and the diagram they sit with.
CONTROLS_JS = """() => Array.from(document.querySelectorAll('.panzoom-box')).map(box => {
  const nav = box.querySelector('.panzoom-nav').getBoundingClientRect();
  const host = box.querySelector('.mermaid');
  const svg = (host.shadowRoot || host).querySelector('svg').getBoundingClientRect();
  const overlap = Math.max(0, Math.min(nav.right, svg.right) - Math.max(nav.left, svg.left))
    * Math.max(0, Math.min(nav.bottom, svg.bottom) - Math.max(nav.top, svg.top));
  return {overlap: overlap};
})"""


def _diagram_pages(page: Any, site_url: str) -> list[str]:
    return [u for u in nav_pages(page, site_url) if u == site_url or "/notebooks/" in u]


def test_diagram_text_is_legible_without_zooming(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    small = []
    for url in _diagram_pages(page, site_url):
        page.goto(url)
        expected = page.locator("div.mermaid, pre.mermaid").count()
        wait_for_diagrams(page, expected)
        page.wait_for_timeout(300)  # diagrams.js sizes each diagram once it is drawn
        for d in page.evaluate(DIAGRAM_FONTS_JS):
            if d["min_px"] is None or d["min_px"] < LEGIBLE_PX:
                small.append(f"{urlsplit(url).path}: {d['min_px']} px text ({d['width']:.0f} px)")
    assert not small, "\n".join(small)


def test_zoom_controls_cover_nothing_and_full_screen_centres_the_diagram(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    page.goto(site_url + "notebooks/05-payments-ledger/")
    wait_for_diagrams(page, 1)
    boxes = page.evaluate(CONTROLS_JS)
    assert boxes and all(b["overlap"] == 0 for b in boxes), boxes
    # zoompan.js wires the buttons once it has taken the drawn diagram (data-zoom).
    page.wait_for_function("() => document.querySelector('.panzoom-box .mermaid[data-zoom]')")
    page.locator(".panzoom-max").first.click()
    page.wait_for_function("() => document.querySelector('.panzoom-fullscreen .mermaid')")
    page.wait_for_timeout(300)
    svg = page.evaluate(
        "() => { const h = document.querySelector('.panzoom-fullscreen .mermaid');"
        " const r = h.shadowRoot.querySelector('svg').getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2, r.width]; }"
    )
    # The diagram fills the screen's width and its centre is the screen's (the bar above aside).
    assert svg[2] > 1200 and abs(svg[0] - 640) < 20 and abs(svg[1] - 450) < 60, svg


def test_figure_tables_fit_the_column_at_1280(site_url: str, watched: tuple[Any, Traffic]) -> None:
    page, _ = watched
    wide = []
    for path in ("notebooks/02-io-bound-api/", "notebooks/05-payments-ledger/"):
        page.goto(site_url + path)
        wide += page.evaluate(
            "() => Array.from(document.querySelectorAll('article table'))"
            ".filter(t => t.getBoundingClientRect().width >"
            " document.querySelector('article').getBoundingClientRect().width + 1)"
            ".map(t => t.innerText.slice(0, 50))"
        )
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280, path
    assert not wide, wide


def test_formula_prose_keeps_its_spaces(site_url: str, watched: tuple[Any, Traffic]) -> None:
    page, _ = watched
    page.goto(site_url + "notebooks/02-io-bound-api/")
    page.wait_for_function("() => document.querySelectorAll('.formula .katex').length > 0")
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('.formula')).map(f => f.innerText)"
    )
    text = " ".join(shown)
    assert "survivors of a zone loss" in text and "while the p99 misses" in text, text[:400]
    assert not re.search(r"survivors ofa|thep99|CPUsper", text)


def test_no_page_is_wider_than_a_phone(browser: Any, site_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        wide = []
        for url in nav_pages(page, site_url):
            page.goto(url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 390:
                wide.append(f"{urlsplit(url).path}: {width} px")
        assert not wide, "\n".join(wide)
    finally:
        context.close()


def test_every_worked_example_links_its_notebook_for_download(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    missing = []
    for url in [u for u in nav_pages(page, site_url) if "/notebooks/" in u]:
        page.goto(url)
        link = page.locator("a[download][href$='.ipynb']").first
        href = link.get_attribute("href") if link.count() else None
        if href is None:
            missing.append(f"{url}: no download link")
            continue
        answer = page.request.get(urljoin(url, href))
        if answer.status != 200 or '"cells"' not in answer.text():
            missing.append(f"{url}: {href} is not the notebook ({answer.status})")
        if "jupyter lab" not in page.locator(".notebook-source").inner_text():
            missing.append(f"{url}: no instructions to open it in JupyterLab")
    assert not missing, "\n".join(missing)


def test_mermaid_and_katex_load_only_where_they_are_used(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, traffic = watched
    loaded = {}
    for path in ("guides/requirements/", "reference/cli/", ""):
        traffic.clear()
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        loaded[path] = {
            lib
            for lib in ("mermaid.min.js", "katex.min.js")
            if any(lib in u for u in traffic.requests)
        }
    assert loaded["guides/requirements/"] == set() and loaded["reference/cli/"] == set(), loaded
    assert "mermaid.min.js" in loaded[""]  # the home page draws a diagram


def test_charts_have_alt_text_that_says_what_they_show(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    page.goto(site_url + "notebooks/02-io-bound-api/")
    alts = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).map(i => i.alt)"
    )
    assert alts and all(a.startswith("Chart: ") for a in alts), alts
    assert any("p99 latency vs utilisation" in a for a in alts), alts
