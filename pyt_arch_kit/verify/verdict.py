"""The verdict on a design: checks, problems and quoted figures, as values that show themselves."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pyt_arch_kit.verify.quotes import Quote

__all__ = [
    "CHECKS",
    "Check",
    "DiagramParser",
    "DiagramParserUnavailable",
    "Problem",
    "Verification",
]

#: The checks, in the order they run and are reported.
CHECKS: tuple[str, ...] = ("sections", "diagram", "python", "figures", "components")

#: Parses mermaid sources: for each, ``None`` if it parses, else the parser's message.
DiagramParser = Callable[[Sequence[str]], Sequence[str | None]]


class DiagramParserUnavailable(Exception):  # noqa: N818 (a state of the machine, not our error)
    """Raised by a :data:`DiagramParser` that cannot run here (no node, no mermaid package)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a design.

    Attributes:
        check: which check found it (one of :data:`CHECKS`).
        where: the section (and block) it is in.
        message: what is wrong, in one line.
    """

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


@dataclass(frozen=True)
class Check:
    """The outcome of one check (``passed``, ``failed`` or ``not checked``) and what it saw."""

    name: str
    status: Literal["passed", "failed", "not checked"]
    detail: str


@dataclass(frozen=True)
class Verification:
    """The verdict on a design: each check's outcome, every problem, every quoted figure.

    Attributes:
        checks: one :class:`Check` per entry of :data:`CHECKS`, in that order.
        problems: everything found wrong, in check order.
        quotes: every place the text quotes a plan figure, right or wrong.

    Example:
        >>> from pyt_arch_kit import Architect, preset
        >>> verdict = Architect().design(preset("io-bound-api")).verify()
        >>> verdict.ok, [c.name for c in verdict.unchecked]
        (True, ['diagram'])
    """

    checks: tuple[Check, ...]
    problems: tuple[Problem, ...] = ()
    quotes: tuple[Quote, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        """No check found a problem (some may not have run: see :attr:`unchecked`)."""
        return not self.problems

    @property
    def unchecked(self) -> tuple[Check, ...]:
        """The checks that could not run, each saying why."""
        return tuple(c for c in self.checks if c.status == "not checked")

    def check(self, name: str) -> Check:
        """The outcome of one check by name.

        Raises:
            KeyError: if there is no such check.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def summary(self) -> str:
        """One line: the verdict, the counts, and what was not checked."""
        passed = sum(c.status == "passed" for c in self.checks)
        if self.ok:
            line = f"ok: {passed} of {len(self.checks)} checks passed"
        else:
            counts: dict[str, int] = {}
            for p in self.problems:
                counts[p.check] = counts.get(p.check, 0) + 1
            line = (
                f"{_count(len(self.problems), 'problem')} ("
                + ", ".join(f"{name} {count}" for name, count in counts.items())
                + f"); first: {self.problems[0]}"
            )
        skipped = "; ".join(c.detail for c in self.unchecked)
        return line + (f"; {skipped}" if skipped else "")

    def to_text(self) -> str:
        """Plain text for a terminal: the verdict, a line per check, a line per problem."""
        mark = {"passed": "ok  ", "failed": "FAIL", "not checked": "--  "}
        lines = [self._head()]
        lines += [f"  {mark[c.status]} {c.name:<10} {c.detail}" for c in self.checks]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``ok``, the summary, the checks, the problems, the quotes."""
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [asdict(c) for c in self.checks],
            "problems": [asdict(p) for p in self.problems],
            "quotes": [{**asdict(q), "ok": q.ok} for q in self.quotes],
        }

    def to_markdown(self) -> str:
        """The verdict as Markdown: one line per check, then the problems."""
        mark = {"passed": "✓", "failed": "✗", "not checked": "–"}
        lines = [f"**Verification: {self._head()}**", ""]
        lines += [f"- {mark[c.status]} **{c.name}**: {_escape(c.detail)}" for c in self.checks]
        if self.problems:
            lines += ["", "**Problems**", ""]
            lines += [f"- *{p.check}* — {_escape(p.where)}: {_escape(p.message)}" for p in self]
        return "\n".join(lines) + "\n"

    def to_html(self, shown: int = 12) -> str:
        """A short HTML fragment for a status line: the verdict, the problems folding out.

        Args:
            shown: list at most this many problems (the rest are counted).
        """
        if self.ok:
            unchecked = "; ".join(c.detail for c in self.unchecked)
            return f"{self._head()} ✓" + (f" ({html.escape(unchecked)})" if unchecked else "")
        n = len(self.problems)
        items = [f"<li>{html.escape(str(p))}</li>" for p in self.problems[:shown]]
        if n > shown:
            items.append(f"<li>… and {n - shown} more</li>")
        head = f"<span style='color:#b00020'>verify: {_count(n, 'problem')}</span>"
        return (
            f"<details style='display:inline'><summary>{head}</summary>"
            f"<ul>{''.join(items)}</ul></details>"
        )

    def _head(self) -> str:
        """ "verified" only when every check ran and passed; never for a partial verdict."""
        if not self.ok:
            return _count(len(self.problems), "problem")
        if self.unchecked:
            return f"no problems found, {len(self.unchecked)} of {len(self.checks)} not checked"
        return "verified"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.summary()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _escape(text: str) -> str:
    """Text from a design is data: no Markdown or HTML in it takes effect."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)
