"""The cassette notebook 09 replays still matches the request the kit builds today."""

from __future__ import annotations

import json
from pathlib import Path

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
