"""Long lists of names (100,000 technologies or must_use entries) cost time linear in their size.

Every planner rule that asks "does the proposal name kafka?" normalised the whole list again
(``planning/_names.py`` rebuilt the set on each of 851 calls per design): 3.7 s per design for
50,000 technologies. Work is counted, not timed: each name is stripped (normalised) about once
per plan, however many rules ask, and the count grows with the list, not with list × rules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from pyt_arch_kit import Requirements, plan
from pyt_arch_kit.questions import rank_questions


def strip_calls(work: Callable[[], Any]) -> int:
    """How many times ``str.strip`` runs during ``work`` (a profiler hook counts C calls)."""
    count = 0

    def hook(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call" and getattr(arg, "__name__", "") == "strip":
            count += 1

    sys.setprofile(hook)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def _requirements(field: str, n: int) -> Requirements:
    names = [f"lib{i}-{n}" for i in range(n)]  # distinct per size: nothing cached across tests
    if field == "technologies":
        return Requirements(proposed={"technologies": names})
    return Requirements(infrastructure={field: names})


@pytest.mark.parametrize("field", ["technologies", "must_use", "existing_services"])
def test_a_plan_normalises_each_name_about_once(field: str) -> None:
    for n in (10_000, 100_000):
        req = _requirements(field, n)
        calls = strip_calls(lambda req=req: plan(req))
        assert calls <= n + 2_000, f"{calls:,} strips for {n:,} names"


def test_ranking_the_questions_normalises_each_name_about_once() -> None:
    # Ranking re-plans a few dozen what-ifs of the same requirements.
    for n in (10_000, 100_000):
        req = _requirements("technologies", n)
        calls = strip_calls(lambda req=req: rank_questions(req))
        assert calls <= n + 20_000, f"{calls:,} strips for {n:,} names"
