"""Estimated cost of a model call, from the dated price table in ``prices.json``.

The table's ``as_of`` dates its prices; an entry with its own ``as_of`` was read on that date.
A model the table does not list (a local server's, a new one) has no estimate: ``None``, never 0.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["estimate_cost", "price_table"]


@cache
def price_table() -> dict[str, Any]:
    """The price table: ``as_of`` date, ``batch_discount`` and per-model prices."""
    text = (resources.files("pyt_arch_kit") / "prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def estimate_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    *,
    batch: bool = False,
) -> float | None:
    """Estimated USD cost, or ``None`` if the model is not in the table.

    Example:
        >>> round(estimate_cost("claude-sonnet-5-5", 1_000_000, 0), 2)
        3.0
    """
    prices = price_table()["models"].get(model)
    if prices is None:
        return None
    cost: float = (
        input_tokens * prices["input"]
        + output_tokens * prices["output"]
        + cache_creation_input_tokens * prices["cache_write"]
        + cache_read_input_tokens * prices["cache_read"]
    ) / 1_000_000
    return cost * (price_table()["batch_discount"] if batch else 1.0)
