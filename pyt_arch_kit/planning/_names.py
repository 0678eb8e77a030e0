"""Matching the names people write in requirements (``" Kafka"``, ``"kafka"``) to our keys."""

from __future__ import annotations

from collections.abc import Iterable


def named(names: Iterable[str]) -> set[str]:
    """The names, stripped and lower-cased, as a set to intersect with known keys."""
    return {n.strip().lower() for n in names}
