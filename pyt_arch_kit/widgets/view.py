"""A view of Markdown that arrives in pieces: bounded refresh rate, linear total cost."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from pyt_arch_kit.markup import inert_markdown

__all__ = ["StreamingMarkdown", "markdown_output"]


def markdown_output(text: str) -> dict[str, Any]:
    """A Jupyter ``display_data`` output that shows ``text`` as Markdown (raw HTML in it inert)."""
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/markdown": inert_markdown(text), "text/plain": text},
    }


class StreamingMarkdown:
    """Shows Markdown that arrives in pieces without re-rendering the whole text per piece.

    The text is cut into blocks at safe places: before a ``## `` heading, and at a blank line once
    the block holds ``block_chars`` characters, never inside a code fence. A finished block is
    rendered once and frozen; only the block being written is re-rendered, and at most every
    ``min_interval_s`` seconds. So the total characters handed to the front end grow linearly with
    the answer (each render costs at most about one block), not quadratically.

    Args:
        min_interval_s: the shortest time between two renders of the block being written.
        block_chars: the size past which a blank line closes a block.
        clock: a monotonic clock (injectable for tests and benchmarks).

    Attributes:
        renders: how many times Markdown was handed to the front end.
        rendered_chars: the total characters handed over.

    Example:
        >>> view = StreamingMarkdown(min_interval_s=0)
        >>> for piece in ["## Exec", "utive Summary\\n\\nAll ", "good.\\n"]:
        ...     view.feed(piece)
        >>> view.finish()
        >>> view.text
        '## Executive Summary\\n\\nAll good.\\n'
    """

    def __init__(
        self,
        min_interval_s: float = 0.1,
        *,
        block_chars: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.block_chars = block_chars
        self._clock = clock
        self.frozen = w.VBox()
        self.live = w.Output()
        self.widget = w.VBox([self.frozen, self.live])
        self.renders = 0
        self.rendered_chars = 0
        self._blocks: list[str] = []
        self._lines: list[str] = []  # complete lines of the block being written
        self._size = 0
        self._tail = ""  # a line still being written
        self._fence: str | None = None
        self._last = float("-inf")

    @property
    def text(self) -> str:
        """Everything received so far."""
        return "".join(self._blocks) + "".join(self._lines) + self._tail

    def reset(self) -> None:
        """Clear the view for a new answer."""
        self.frozen.children = ()
        self.live.outputs = ()
        self._blocks, self._lines, self._size, self._tail = [], [], 0, ""
        self._fence = None
        self._last = float("-inf")

    def feed(self, piece: str) -> None:
        """Add a piece of text; re-render the block being written if the interval has passed."""
        lines = (self._tail + piece).split("\n")
        self._tail = lines.pop()
        for line in lines:
            self._add_line(line + "\n")
        now = self._clock()
        if now - self._last >= self.min_interval_s:
            self._render_live()
            self._last = now

    def finish(self) -> None:
        """Render whatever is left (call once the answer ends, complete or not)."""
        self._render_live()

    def _add_line(self, line: str) -> None:
        stripped = line.lstrip()
        if self._fence is None:
            if line.startswith("## ") and self._size:
                self._freeze()
            elif not line.strip() and self._size >= self.block_chars:
                self._lines.append(line)
                self._size += len(line)
                self._freeze()
                return
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            if self._fence is None:
                self._fence = marker
            elif marker == self._fence and not stripped[3:].strip():
                self._fence = None
        self._lines.append(line)
        self._size += len(line)

    def _freeze(self) -> None:
        text = "".join(self._lines)
        self._blocks.append(text)
        self._lines, self._size = [], 0
        out = w.Output()
        out.outputs = (markdown_output(text),)
        self.frozen.children = (*self.frozen.children, out)
        self.live.outputs = ()
        self._count(text)

    def _render_live(self) -> None:
        text = "".join(self._lines) + self._tail
        self.live.outputs = (markdown_output(text),) if text else ()
        self._count(text)

    def _count(self, text: str) -> None:
        self.renders += 1
        self.rendered_chars += len(text)
