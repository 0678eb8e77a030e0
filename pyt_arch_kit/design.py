"""The deliverable: a six-section architecture design, whoever wrote it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.markup import inert_markdown, inline
from pyt_arch_kit.requirements import Assumption, Requirements

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan
    from pyt_arch_kit.verify import DiagramParser, Verification

__all__ = [
    "APPENDIX",
    "SECTIONS",
    "Design",
    "StackItem",
    "Usage",
    "main_text",
    "main_words",
    "parse_appendix",
    "parse_sections",
]

#: The persona's deliverables, in order.
SECTIONS: tuple[str, ...] = (
    "Executive Summary",
    "System Diagram",
    "Technology Stack",
    "Implementation Guidelines",
    "Operational Considerations",
    "Risks and Mitigations",
)

#: The heading of the optional appendix after the six sections (the figures and their
#: derivations): not a deliverable section, and not part of the main text.
APPENDIX = "Appendix: figures"

_HEADING = re.compile(r"^ {0,3}##[ \t]+(?:\d+[.)]\s*)?(.+?)\s*#*\s*$")
# A fence opens with 3+ backticks or tildes (indented at most 3 spaces); a backtick fence's info
# string has no backtick. It closes with the same character, at least as many, and nothing else.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# Markdown's line breaks (str.splitlines would also split at \x1c, \u2028 and the like).
_LINES = re.compile(r"\r\n|\r|\n")


def _canonical(title: str) -> str | None:
    t = re.sub(r"[*_`]", "", title).strip().rstrip(":").lower()
    t = t.replace("&", "and")
    for name in SECTIONS:
        if t == name.lower() or t.startswith(name.lower()):
            return name
    return None


def _split(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """The six sections' lines by title, and the lines under ``## Appendix…`` headings."""
    sections: dict[str, list[str]] = {}
    appendix: list[str] = []
    current: list[str] | None = None
    fence: tuple[str, int] | None = None  # the open fence's character and length
    for line in _LINES.split(text):
        opened = _FENCE.match(line)
        if fence is not None:
            if (
                opened is not None
                and opened.group(1)[0] == fence[0]
                and len(opened.group(1)) >= fence[1]
                and not opened.group(2).strip()
            ):
                fence = None
        elif opened is not None and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            fence = (opened.group(1)[0], len(opened.group(1)))
        else:
            m = _HEADING.match(line)
            if m and re.sub(r"[*_`]", "", m.group(1)).strip().lower().startswith("appendix"):
                current = appendix  # the appendix ends the section before it
                continue
            if m and (name := _canonical(m.group(1))) is not None and name not in sections:
                current = sections[name] = []
                continue
        if current is not None:
            current.append(line)
    return sections, appendix


def parse_sections(text: str) -> dict[str, str]:
    """Split Markdown into the six sections by their ``##`` headings.

    Lines and code fences are read as CommonMark reads them: a heading inside a fence is code,
    and a fence ends only at a line of the same character, at least as long, with nothing after
    it (so ``` inside a ```` block, or ```python, does not end it). Numbering
    (``## 1. Executive Summary``) and emphasis are tolerated. The first heading of each section
    counts; text under unknown or repeated ``##`` headings stays with the section before it.
    A ``## Appendix…`` heading ends the section before it: the appendix
    (:func:`parse_appendix`) belongs to no section.

    Returns:
        ``{section title: body}`` for the sections found, in document order.
    """
    sections, _ = _split(text)
    return {k: "\n".join(v).strip("\n") for k, v in sections.items()}


def parse_appendix(text: str) -> str:
    """The text under the ``## Appendix…`` heading(s) after the sections, or ``""``."""
    return "\n".join(_split(text)[1]).strip("\n")


_FENCED_BLOCK = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[`~]*[ \t]*$", re.M | re.S)


def main_text(text: str) -> str:
    """The text a team reads: the six sections' prose and tables, without code or appendix.

    Fenced code blocks (code, diagrams, configuration) are left out, so what is measured is
    the reading load; the appendix (the figures and their derivations) is reference.
    """
    bodies = parse_sections(text).values()
    return "\n\n".join(_FENCED_BLOCK.sub("", body) for body in bodies)


def main_words(text: str) -> int:
    """Words (whitespace-separated tokens, table pipes excluded) of :func:`main_text`."""
    return sum(1 for w in main_text(text).split() if w.strip("|-:"))


@dataclass(frozen=True)
class StackItem:
    """One row of the technology stack: what, which versions, and why."""

    library: str
    version: str
    why: str


@dataclass(frozen=True)
class Usage:
    """Tokens and estimated cost of one or more model calls.

    Attributes:
        input_tokens: uncached input tokens.
        output_tokens: generated tokens.
        cache_creation_input_tokens: input tokens written to the prompt cache.
        cache_read_input_tokens: input tokens served from the prompt cache.
        cost_usd: estimated cost from the dated price table, if the model is in it.
        requests: HTTP requests made (more than one means a retry or continuation).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float | None = None
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost_usd is None and other.cost_usd is None
            else (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        )
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            cost,
            self.requests + other.requests,
        )

    def summary(self) -> str:
        """One line: tokens in/out, cache, cost."""
        parts = [f"{self.input_tokens:,} in", f"{self.output_tokens:,} out"]
        if self.cache_read_input_tokens or self.cache_creation_input_tokens:
            parts.append(
                f"cache {self.cache_read_input_tokens:,} read / "
                f"{self.cache_creation_input_tokens:,} written"
            )
        if self.cost_usd is not None:
            parts.append(f"≈ ${self.cost_usd:.4f}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Design:
    """A six-section architecture design, the plan behind it and how it was produced.

    Attributes:
        title: the system's name.
        text: the full Markdown as written (by the offline writer or the model).
        plan: the computed plan the design builds on (``None`` for a design loaded from JSON).
        assumptions: what was assumed for the requirements left unset.
        backend: which backend wrote it (``offline``, ``claude``, ``replay``).
        model: the model id, for model-written designs.
        usage: tokens and cost, for model-written designs.
        complete: ``False`` if the answer was cut off (connection, token limit, cancelled).
        stop_reason: why the writer stopped (``end_turn``, ``max_tokens``, ``None`` if cut).

    Example:
        >>> from pyt_arch_kit import Architect, preset
        >>> design = Architect().design(preset("io-bound-api"))
        >>> list(design.sections) == list(SECTIONS)
        True
    """

    title: str
    text: str
    plan: Plan | None = field(default=None, repr=False, compare=False)
    assumptions: tuple[Assumption, ...] = field(default=(), repr=False)
    backend: str = "offline"
    model: str | None = None
    usage: Usage | None = None
    complete: bool = True
    stop_reason: str | None = "end_turn"
    conversation: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def sections(self) -> dict[str, str]:
        """``{section title: Markdown body}`` for the sections present, in order."""
        return parse_sections(self.text)

    @property
    def missing_sections(self) -> tuple[str, ...]:
        """The deliverable sections the text lacks (empty for a complete design)."""
        found = self.sections
        return tuple(s for s in SECTIONS if s not in found)

    def section(self, name: str) -> str:
        """The body of one section (matched case-insensitively), or ``""`` if absent."""
        canonical = _canonical(name) or name
        return self.sections.get(canonical, "")

    @property
    def appendix(self) -> str:
        """The appendix after the six sections (the figures and their derivations), or ``""``."""
        return parse_appendix(self.text)

    @property
    def main_words(self) -> int:
        """Words of the main text: the six sections without code blocks (see :func:`main_words`)."""
        return main_words(self.text)

    @property
    def diagram(self) -> str:
        """The mermaid source of the system diagram, or ``""``."""
        m = re.search(r"```mermaid\s*\n(.*?)```", self.section("System Diagram"), re.S)
        return m.group(1).strip() if m else ""

    @property
    def stack(self) -> list[StackItem]:
        """The technology stack table's rows."""
        rows: list[StackItem] = []
        for line in self.section("Technology Stack").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or not line.lstrip().startswith("|"):
                continue
            if set("".join(cells)) <= set("-: ") or cells[0].lower() in {"library", "component"}:
                continue
            rows.append(StackItem(cells[0].strip("`* "), cells[1].strip("` "), cells[2]))
        return rows

    @property
    def code_blocks(self) -> list[tuple[str, str]]:
        """Every fenced code block as ``(language, code)``."""
        return [
            (m.group(1).strip(), m.group(2))
            for m in re.finditer(r"```([\w+-]*)[^\n]*\n(.*?)```", self.text, re.S)
        ]

    def verify(
        self, plan: Plan | None = None, *, diagrams: DiagramParser | None = None
    ) -> Verification:
        """Check this design against its plan and its own stack (see :mod:`pyt_arch_kit.verify`).

        Args:
            plan: the plan to check against (default: the one it was written from).
            diagrams: a mermaid parser, e.g. ``pyt_arch_kit.verify.mermaid.node_parser()``;
                without one the diagram's syntax is reported as not checked.
        """
        from pyt_arch_kit.verify import verify

        return verify(self, plan, diagrams=diagrams)

    def with_text(self, text: str, **changes: Any) -> Design:
        """A copy with other text (and any other field changed)."""
        return replace(self, text=text, **changes)

    # -- rendering ---------------------------------------------------------------------------

    def to_markdown(self) -> str:
        """The design as a Markdown document (a note heads it if it is incomplete)."""
        head = f"# {inline(self.title)}\n\n"
        if not self.complete:
            reason = inline(self.stop_reason or "the connection ended early")
            missing = ", ".join(self.missing_sections) or "none"
            head += (
                f"> **Incomplete design** ({reason}): everything that arrived is kept "
                f"below. Missing sections: {missing}.\n\n"
            )
        elif self.missing_sections:
            head += (
                f"> **Note**: the answer lacks these sections: "
                f"{', '.join(self.missing_sections)}.\n\n"
            )
        return head + self.text.strip() + "\n"

    def _repr_markdown_(self) -> str:
        # A model's answer is data: raw HTML in it must not run in a (trusted) notebook.
        return inert_markdown(self.to_markdown())

    def to_html(self, *, charts: bool = True) -> str:
        """The design as one self-contained HTML file: diagram drawn, charts and plan inlined.

        See [`design_html`][pyt_arch_kit.report.design_html]; opening it makes no request.
        """
        from pyt_arch_kit.report import design_html

        return design_html(self, charts=charts)

    def __str__(self) -> str:
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: text, sections, usage, assumptions and the plan's numbers."""
        data: dict[str, Any] = {
            "title": self.title,
            "backend": self.backend,
            "model": self.model,
            "complete": self.complete,
            "stop_reason": self.stop_reason,
            "missing_sections": list(self.missing_sections),
            "sections": self.sections,
            "text": self.text,
            "usage": asdict(self.usage) if self.usage else None,
            "assumptions": [
                {"field": a.field, "value": _jsonable(a.value), "because": a.because}
                for a in self.assumptions
            ],
            "plan": None,
        }
        if self.plan is not None:
            p = self.plan
            data["plan"] = {
                "requirements": p.requirements.model_dump(mode="json"),
                "figures": [_jsonable(asdict(f)) for f in p.figures],
                "decisions": [_jsonable(asdict(d)) for d in p.decisions],
                "findings": [_jsonable(asdict(f)) for f in p.findings],
                "components": list(p.components),
            }
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """The design as JSON (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Design:
        """Load a design saved with :meth:`to_json` (the plan's numbers are not rebuilt)."""
        data = json.loads(text)
        usage = Usage(**data["usage"]) if data.get("usage") else None
        assumptions = tuple(
            Assumption(a["field"], a["value"], a["because"]) for a in data.get("assumptions", [])
        )
        return cls(
            title=data["title"],
            text=data["text"],
            assumptions=assumptions,
            backend=data.get("backend", "offline"),
            model=data.get("model"),
            usage=usage,
            complete=bool(data.get("complete", True)),
            stop_reason=data.get("stop_reason"),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Requirements):
        return value.model_dump(mode="json")
    if hasattr(value, "value") and type(value).__module__.startswith("pyt_arch_kit"):
        return value.value
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value
