"""The cassette notebook 09 replays still matches the request the kit builds today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cassette import fingerprint
from pyt_arch_kit.settings import Settings

CASSETTE = Path(__file__).parents[1] / "notebooks" / "cassettes" / "claude-path.json"


def test_the_worked_example_cassette_answers_todays_request() -> None:
    body = ClaudeBackend(Settings()).body(Architect().request(preset("io-bound-api")))
    recorded = json.loads(CASSETTE.read_text(encoding="utf-8"))["exchanges"]
    assert fingerprint(body) in recorded, (
        "the persona, planner or prompt changed the request notebook 09 replays; record it again "
        "with: python3 notebooks/cassettes/record_claude_path.py"
    )


def test_the_cassette_says_it_is_not_a_claude_answer() -> None:
    data = json.loads(CASSETTE.read_text(encoding="utf-8"))
    assert "Not a Claude answer" in data["note"]
    assert "sk-ant-" not in CASSETTE.read_text(encoding="utf-8")


def test_the_worked_example_cassette_replays_through_the_sdk_with_nothing_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(CASSETTE))  # recorded before the seam: still read
    pieces: list[str] = []
    design = Architect(backend="replay").design(preset("io-bound-api"), on_text=pieces.append)
    recorded = next(iter(json.loads(CASSETTE.read_text(encoding="utf-8"))["exchanges"].values()))
    assert design.complete and design.backend == "replay"
    assert design.text == "".join(pieces) == "".join(recorded["chunks"])
    assert len(pieces) > 100  # streamed piece by piece, as it was recorded
    assert design.usage is not None and design.usage.requests == 0
    assert design.usage.output_tokens == recorded["usage"]["output_tokens"]
    assert design.usage.cost_usd == pytest.approx(recorded["usage"]["cost_usd"])
