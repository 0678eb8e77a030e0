"""The API reference as a reader meets it: one page per module or area, none of them endless,
types in signatures that link to where they are documented, and each object's source beside it.

Needs ``bash scripts/docs.sh`` first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import Traffic
from tests.browser.test_browser_site import nav_pages

pytestmark = pytest.mark.browser

#: The tallest a reference page may be at 1280 px, in CSS pixels (the single page it replaced
#: was 57,000 px for 144 documented objects; the tallest split page is about 11,500 px).
TALLEST_PX = 16_000
#: The most documented objects (classes, functions, methods, attributes) on one page.
MOST_OBJECTS = 32

#: Runs in the page: the documented objects, and the links inside signatures.
REFERENCE_JS = """() => ({
  objects: document.querySelectorAll('article .doc-heading').length,
  height: document.documentElement.scrollHeight,
  signature_links: Array.from(document.querySelectorAll('article .doc-signature a[href]'))
    .map(a => ({text: a.textContent.trim(), href: a.href}))
    .filter(a => !a.href.includes('#__codelineno')),
  sources: Array.from(document.querySelectorAll('article details.mkdocstrings-source summary'))
    .filter(s => s.textContent.includes('Source code in')).length,
})"""


def _reference_pages(page: Any, site_url: str) -> list[str]:
    return [u for u in nav_pages(page, site_url) if "/reference/" in urlsplit(u).path]


def test_the_api_reference_is_split_by_module_into_pages_of_readable_length(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    pages = {}
    for url in _reference_pages(page, site_url):
        page.goto(url)
        found = page.evaluate(REFERENCE_JS)
        if found["objects"]:
            pages[urlsplit(url).path] = found
    assert len(pages) >= 5, f"the API reference is on {len(pages)} page(s): {sorted(pages)}"
    tall = {p: f["height"] for p, f in pages.items() if f["height"] > TALLEST_PX}
    assert not tall, f"reference pages taller than {TALLEST_PX:,} px at 1280 px: {tall}"
    crowded = {p: f["objects"] for p, f in pages.items() if f["objects"] > MOST_OBJECTS}
    assert not crowded, f"reference pages with more than {MOST_OBJECTS} objects: {crowded}"
    no_source = [p for p, f in pages.items() if f["sources"] == 0]
    assert not no_source, f"reference pages with no 'Source code in' for their objects: {no_source}"


def test_a_type_in_a_signature_links_to_its_page(
    site_url: str, watched: tuple[Any, Traffic]
) -> None:
    page, _ = watched
    page.goto(urljoin(site_url, "reference/architect/"))
    links = page.evaluate(REFERENCE_JS)["signature_links"]
    backend = [a for a in links if a["text"] == "Backend"]
    assert backend, f"Architect's signature does not link Backend: {links[:10]}"
    # It lands on the backends page, on the object's own anchor.
    target = backend[0]["href"]
    assert urlsplit(target).path.endswith("/reference/backends/"), target
    page.goto(target)
    anchor = urlsplit(target).fragment
    assert page.locator(f"[id='{anchor}']").count() == 1, target
    # Across the reference, signatures link many of the package's types.
    crossrefs = set()
    for url in _reference_pages(page, site_url):
        page.goto(url)
        crossrefs |= {a["text"] for a in page.evaluate(REFERENCE_JS)["signature_links"]}
    assert {"Requirements", "Plan", "Design"} <= crossrefs, sorted(crossrefs)


def test_reference_pages_are_built_from_one_source_each(site_dir: Path) -> None:
    """Every reference page has its own file: no object is documented twice (one anchor each)."""
    seen: dict[str, str] = {}
    twice = []
    for html in sorted((site_dir / "reference").glob("*/index.html")):
        for anchor in re.findall(r'<h\d id="(pyt_arch_kit\.[^"]+)"', html.read_text("utf-8")):
            if anchor in seen:
                twice.append(f"{anchor}: {seen[anchor]} and {html.parent.name}")
            seen[anchor] = html.parent.name
    assert len(seen) > 100, len(seen)
    assert not twice, twice
