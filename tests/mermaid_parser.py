"""mermaid's own parser for tests: it must run here (scripts/test.sh runs `npm ci` first)."""

from __future__ import annotations

import pytest

from pyt_arch_kit.verify import DiagramParserUnavailable
from pyt_arch_kit.verify.mermaid import NodeMermaid, node_parser


@pytest.fixture(scope="session")
def mermaid() -> NodeMermaid:
    """The node-backed parser, proven to run; a missing node or `npm ci` fails loudly."""
    parser = node_parser()
    try:
        assert parser(["flowchart LR\n    a --> b"]) == [None]
    except DiagramParserUnavailable as exc:
        pytest.fail(f"mermaid's parser must run in tests: {exc}")
    return parser
