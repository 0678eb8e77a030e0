"""A design's diagram keeps a row short enough to read in a notebook column.

The browser test (tests/browser/test_jupyterlab_diagram.py) measures the text in JupyterLab; this
holds the rule it rests on for every preset, without a browser.
"""

from __future__ import annotations

import pytest

from pyt_arch_kit import Architect, preset, preset_names
from pyt_arch_kit.writer.diagram import LONGEST_ROW, direction


def test_a_chain_longer_than_a_row_is_drawn_top_to_bottom() -> None:
    assert direction(["    a --> b", "    b -->|x| c", "    a -.-> obs"]) == "LR"
    chain = [f"    n{i} --> n{i + 1}" for i in range(LONGEST_ROW)]  # LONGEST_ROW + 1 components
    assert direction(chain) == "TB"
    assert direction([*chain[:-1], "    n3 --> n0"]) == "LR"  # a cycle is not a longer chain


@pytest.mark.parametrize("name", preset_names())
def test_every_presets_diagram_reads_in_a_notebook_column(name: str) -> None:
    diagram = Architect().design(preset(name)).diagram
    head, *lines = diagram.splitlines()
    edges = [line for line in lines if "--" in line]
    expected = direction(edges)
    assert head == f"flowchart {expected}"
    if name == "payments-ledger":  # clients → lb → app → db → relay → Kafka → consumers
        assert expected == "TB"
