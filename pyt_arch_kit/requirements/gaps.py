"""What a requirement left open: the clarifying question, and the assumption the design makes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Assumption", "Gap"]


@dataclass(frozen=True)
class Gap:
    """A clarifying question still open, and what the design assumes meanwhile.

    Attributes:
        field: dotted field path, e.g. ``"latency.p99_ms"``.
        question: the question the architect would ask.
        assumed: the value the design uses until it is answered.
        because: why that value is a reasonable assumption.
    """

    field: str
    question: str
    assumed: Any
    because: str

    def __str__(self) -> str:
        return f"{self.question} (assuming {_fmt(self.assumed)}: {self.because})"


@dataclass(frozen=True)
class Assumption:
    """A value the design assumed for a field the requirements left unset."""

    field: str
    value: Any
    because: str

    def __str__(self) -> str:
        return f"`{self.field}` = {_fmt(self.value)} — {self.because}"


def _fmt(value: Any) -> str:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
