"""The streaming view: CPU time to show a streamed answer, against re-rendering it all per delta."""

from __future__ import annotations

import time
from typing import Any

from common import Row, median

DELTA_CHARS = 8  # about what one streamed text event carries
CLOCK_STEP_S = 0.02  # 50 events a second, a brisk model
MIN_INTERVAL_S = 0.1


def _units(body: str) -> list[str]:
    """Lines of Markdown, with each fenced code block kept whole as one unit."""
    units: list[str] = []
    fence: list[str] = []
    for line in body.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")) or fence:
            fence.append(line)
            if len(fence) > 1 and line.lstrip().startswith(("```", "~~~")):
                units.append("".join(fence))
                fence = []
        else:
            units.append(line)
    return units


def answer(chars: int) -> str:
    """A six-section answer of about ``chars`` characters, from a real offline design.

    Each section's lines (code fences whole) are repeated in order until the section holds its
    share of the length.
    """
    from pyt_arch_kit import SECTIONS, Architect, preset

    design = Architect().design(preset("big-data-pipeline"))
    share = chars // len(SECTIONS)
    parts = []
    for name in SECTIONS:
        units = _units(design.sections[name].strip() + "\n\n")
        text = f"## {name}\n\n"
        i = 0
        while len(text) < share:
            text += units[i % len(units)]
            i += 1
        parts.append(text)
    return "".join(parts)


class WireComm:
    """Stands in for ipykernel's comm: every widget update is serialized as the kernel does."""

    sent_bytes = 0

    @classmethod
    def install(cls) -> None:
        import comm
        from comm.base_comm import BaseComm

        try:
            from jupyter_client.session import json_packer
        except ImportError:  # pragma: no cover - jupyter_client comes with ipykernel
            import json

            def json_packer(obj: Any) -> bytes:
                return json.dumps(obj, default=str, ensure_ascii=False).encode()

        class _Comm(BaseComm):
            def publish_msg(
                self,
                msg_type: str,
                data: Any = None,
                metadata: Any = None,
                buffers: Any = None,
                **keys: Any,
            ) -> None:
                packed = json_packer({"data": data or {}, "metadata": metadata or {}})
                cls.sent_bytes += len(packed)

        comm.create_comm = _Comm


class _Clock:
    """A clock that advances a fixed step each time it is read (one read per delta)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += CLOCK_STEP_S
        return self.now


class NaiveView:
    """The obvious view: hand the whole text so far to the front end on every delta."""

    def __init__(self) -> None:
        import ipywidgets as w

        from pyt_arch_kit.widgets.view import markdown_output

        self._markdown = markdown_output
        self.out = w.Output()
        self.text = ""
        self.rendered_chars = 0

    def feed(self, piece: str) -> None:
        self.text += piece
        self.out.outputs = (self._markdown(self.text),)
        self.rendered_chars += len(self.text)

    def finish(self) -> None:
        pass


def _cpu(view: Any, pieces: list[str]) -> float:
    start = time.process_time()
    for piece in pieces:
        view.feed(piece)
    view.finish()
    return time.process_time() - start


def streaming(sizes: list[int], repeats: int) -> list[Row]:
    """CPU seconds to stream answers of each size through both views."""
    from pyt_arch_kit.widgets.view import StreamingMarkdown

    WireComm.install()
    group = "Streaming view (CPU time for the whole answer)"
    rows: list[Row] = []
    for size in sizes:
        text = answer(size)
        pieces = [text[i : i + DELTA_CHARS] for i in range(0, len(text), DELTA_CHARS)]
        ours: list[float] = []
        naive: list[float] = []
        chars: tuple[int, int] = (0, 0)
        for _ in range(repeats):
            view = StreamingMarkdown(min_interval_s=MIN_INTERVAL_S, clock=_Clock())
            ours.append(_cpu(view, pieces))
            assert view.text == text, "the view lost text"
            simple = NaiveView()
            naive.append(_cpu(simple, pieces))
            chars = (view.rendered_chars, simple.rendered_chars)
        rows.append(
            Row(
                group,
                f"{len(text) / 1000:.0f}k chars, {len(pieces):,} deltas: StreamingMarkdown",
                median(ours),
                "s",
                "re-render all per delta",
                median(naive),
                note=f"chars handed to the front end: {chars[0]:,} vs {chars[1]:,}",
            )
        )
    return rows
