"""Fixtures for the browser tests: the built site served on 127.0.0.1, and Debian's Chromium.

Chromium is driven through Playwright's sync API with ``executable_path="/usr/bin/chromium"``
(``bash scripts/install-browser.sh`` installs it); Playwright's own browser downloads are never
used. Every request a page makes is recorded, and any to a host other than 127.0.0.1 is
blocked, so a test fails instead of quietly reaching the network.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Material renders each diagram into a *closed* shadow root; open it so a test can look inside.
# This changes nothing else about the page.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, Object.assign({}, init, { mode: "open" }));
};
"""


def local(url: str) -> bool:
    """Whether a request stays on this machine (or never leaves the page)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return parts.hostname in ("127.0.0.1",)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """The built site; missing means the docs were not built (not a reason to skip)."""
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"{SITE} has no index.html: build the site first with `bash scripts/docs.sh`",
            pytrace=False,
        )
    return SITE


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """The site served by http.server on 127.0.0.1, on a free port, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install it with `bash scripts/install-browser.sh`",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Traffic:
    """What a page did on the wire and in its console."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything a reader would notice as broken, or that left the host."""
        return (
            [f"request to another host: {u}" for u in self.blocked]
            + [f"failed request: {u}" for u in self.failed]
            + [f"console error: {e}" for e in self.errors]
        )

    def clear(self) -> None:
        self.requests.clear()
        self.blocked.clear()
        self.failed.clear()
        self.errors.clear()


@pytest.fixture
def watched(browser: Any) -> Iterator[tuple[Any, Traffic]]:
    """A fresh page whose requests, failures and console errors are recorded.

    Requests to any host but 127.0.0.1 are aborted and recorded as problems.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    traffic = Traffic()

    def route(r: Any) -> None:
        if local(r.request.url):
            r.continue_()
        else:
            traffic.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda req: traffic.requests.append(req.url))
    page.on(
        "requestfailed",
        lambda req: traffic.failed.append(f"{req.url} ({req.failure})") if local(req.url) else None,
    )
    page.on(
        "response",
        lambda res: (
            traffic.failed.append(f"{res.url} (HTTP {res.status})") if res.status >= 400 else None
        ),
    )
    page.on("console", lambda msg: traffic.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: traffic.errors.append(f"uncaught: {exc}"))
    try:
        yield page, traffic
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: Runs in the page: for every drawn mermaid diagram (in a shadow root or not), the smallest
#: effective font size of its text in CSS pixels (font size × the scale the SVG is drawn at),
#: and whether a pan/zoom control wraps it.
DIAGRAM_FONTS_JS = """() => {
  const svgs = [];
  for (const el of document.querySelectorAll('div.mermaid, pre.mermaid')) {
    const root = el.shadowRoot || el;
    const svg = root.querySelector('svg');
    if (svg) svgs.push([el, svg]);
  }
  return svgs.map(([el, svg]) => {
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const scale = vb && vb.width ? box.width / vb.width : 1;
    const sizes = Array.from(svg.querySelectorAll('text, .nodeLabel, .edgeLabel'))
      .filter(t => (t.textContent || '').trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {min_px: sizes.length ? Math.min(...sizes) : null, width: box.width,
            zoom: !!el.closest('.panzoom-box, [data-panzoom]')};
  });
}"""
