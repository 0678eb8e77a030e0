"""A design's diagram in a real JupyterLab at 1280 px: its text is legible without zooming.

A notebook that designs every preset (``payments-ledger``'s diagram is the widest) runs in
JupyterLab, driven by Debian's Chromium; the diagram JupyterLab draws in the output is measured
as the site's diagrams are: each label's computed font size times the scale the SVG is drawn
at, in CSS pixels.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyt_arch_kit import preset_names
from tests.browser.conftest import Traffic
from tests.browser.test_jupyterlab import jupyter_lab, open_notebook, run_all_cells

pytestmark = pytest.mark.browser

#: The smallest diagram text a reader can read without zooming, in CSS pixels (as on the site).
LEGIBLE_PX = 10
#: Every preset whose design has a diagram (payments-ledger's is the widest).
PRESETS = tuple(preset_names())

#: Runs in the page: every diagram JupyterLab drew in an output, measured like the site's.
#: JupyterLab draws a diagram as an <img> of the SVG mermaid made: the SVG is put in the page,
#: out of sight, to read its labels' font sizes, then scaled as the image is shown.
LAB_DIAGRAMS_JS = """() => Array.from(document.querySelectorAll(
    '.jp-OutputArea-output .jp-RenderedMermaid img'))
  .filter(img => img.src.startsWith('data:image/svg+xml'))
  .map(img => {
    const text = decodeURIComponent(img.src.slice(img.src.indexOf(',') + 1));
    const holder = document.createElement('div');
    holder.style.cssText = 'position:absolute;left:-99999px;top:0;visibility:hidden';
    holder.innerHTML = text.slice(text.indexOf('<svg'));
    document.body.appendChild(holder);
    const svg = holder.querySelector('svg');
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const box = img.getBoundingClientRect();
    const scale = vb && vb.width ? box.width / vb.width : 1;
    const sizes = Array.from(svg.querySelectorAll('text, .nodeLabel, .edgeLabel'))
      .filter(t => (t.textContent || '').trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    const nodes = svg.querySelectorAll('.node').length;
    holder.remove();
    return {min_px: sizes.length ? Math.round(Math.min(...sizes) * 100) / 100 : null,
            shown: Math.round(box.width), drawn: vb ? Math.round(vb.width) : null, nodes: nodes,
            source: (img.parentElement.querySelector('code') || {}).textContent.slice(0, 40)};
  })"""


def _notebook() -> dict[str, Any]:
    cells = [
        "from pyt_arch_kit import Architect, preset\n\narchitect = Architect()",
        *[f'architect.design(preset("{name}"))' for name in PRESETS],
    ]
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": sys.version.split()[0]},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def lab_designs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with jupyter_lab(tmp_path_factory.mktemp("lab-diagram"), _notebook(), "designs.ipynb") as url:
        yield url


def test_a_designs_diagram_is_legible_in_jupyterlab_at_1280(
    lab_designs: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, traffic = watched
    page.set_default_timeout(60_000)
    open_notebook(page, lab_designs)
    run_all_cells(page)
    page.wait_for_function(
        f"() => ({LAB_DIAGRAMS_JS})().filter(d => d.nodes > 0).length >= {len(PRESETS)}",
        timeout=60_000,
    )
    diagrams = page.evaluate(LAB_DIAGRAMS_JS)
    page.locator(".jp-RenderedMermaid").nth(
        PRESETS.index("payments-ledger")
    ).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "jupyterlab-diagram.png"))
    assert len(diagrams) == len(PRESETS), diagrams
    small = [d for d in diagrams if d["min_px"] is None or d["min_px"] < LEGIBLE_PX]
    assert not small, f"diagram text under {LEGIBLE_PX} px in JupyterLab: {small}"
    failed = [p for p in traffic.problems() if not p.startswith("console error")]
    assert not failed, failed
