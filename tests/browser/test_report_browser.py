"""The one-file HTML report in Chromium: drawn, readable, and silent on the network."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyt_arch_kit import Architect, Requirements, preset
from tests.browser.conftest import DIAGRAM_FONTS_JS, Traffic, _QuietHandler

pytestmark = pytest.mark.browser

HOSTILE = '<img src="http://127.0.0.1:9/tracker.png"><script>window.pwned = 1</script>'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 (so that any request the report made would be seen)."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_report_draws_its_diagram_with_no_request_and_no_error(
    served: tuple[Path, str], watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    folder, url = served
    design = Architect().design(preset("payments-ledger"))
    (folder / "design.html").write_text(design.to_html(), encoding="utf-8")
    page, traffic = watched
    page.goto(url + "design.html")
    page.wait_for_function("() => document.querySelector('pre.mermaid svg')", timeout=15_000)
    svg = page.locator("pre.mermaid svg")
    assert svg.locator(".node").count() >= 4
    (fonts,) = page.evaluate(DIAGRAM_FONTS_JS)
    assert fonts["min_px"] >= 9, fonts  # drawn at a readable size, scrolled if wide
    assert page.locator("img[src^='data:image/png']").count() == 2
    assert page.locator("#plan table").count() >= 2
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    assert traffic.requests == [url + "design.html"], traffic.requests
    assert not traffic.problems(), traffic.problems()


def test_hostile_text_in_a_report_is_shown_never_run_or_fetched(
    served: tuple[Path, str], watched: tuple[Any, Traffic]
) -> None:
    folder, url = served
    req = Requirements.parse({"name": "evil", "summary": HOSTILE})
    design = Architect().design(req)
    design = design.with_text(design.text + f"\n\n{HOSTILE}\n")
    (folder / "evil.html").write_text(design.to_html(charts=False), encoding="utf-8")
    page, traffic = watched
    page.goto(url + "evil.html")
    page.wait_for_function("() => document.querySelector('pre.mermaid svg')", timeout=15_000)
    assert page.evaluate("() => window.pwned") is None
    assert "window.pwned = 1" in page.locator("body").inner_text()  # shown as text
    assert traffic.requests == [url + "evil.html"], traffic.requests
    assert not traffic.problems(), traffic.problems()
