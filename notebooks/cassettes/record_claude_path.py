"""Record the cassette that ``notebooks/09-claude-path.ipynb`` replays.

The recorded answer is NOT written by Claude. This script runs the real Claude backend (the
real ``anthropic`` SDK, real HTTP, streaming) against the project's fake Messages API
(``tests/fake_api.py``) on 127.0.0.1, with a fake key. The fake server is told to stream the
offline writer's design for the same requirements, and emulates prompt caching and token usage
(its token counts are estimates: characters / 4). No real key is used and nothing leaves the
machine.

Record again whenever a change to the persona, the planner or the prompt changes the request's
fingerprint (the notebook then fails with "no recorded answer for request …"). From the
repository root::

    python3 notebooks/cassettes/record_claude_path.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.settings import Secret, Settings
from tests.fake_api import FAKE_KEY, FakeAnthropic, Stream

CASSETTE = Path(__file__).with_name("claude-path.json")
PRESET = "io-bound-api"
NOTE = (
    "Not a Claude answer: recorded by notebooks/cassettes/record_claude_path.py with the real "
    "Claude backend against the project's fake Messages API (tests/fake_api.py) on 127.0.0.1, "
    "streaming the offline writer's design; token usage is the fake server's estimate."
)


def main() -> None:
    """Record one exchange for the notebook's request into a fresh cassette."""
    req = preset(PRESET)
    offline_text = Architect().design(req).text
    fake = FakeAnthropic()
    fake.default = Stream(offline_text, chunk=64)
    base_url = fake.start()
    CASSETTE.unlink(missing_ok=True)
    try:
        settings = Settings(
            api_key=Secret(FAKE_KEY),
            base_url=base_url,
            max_retries=0,
            cassette=CASSETTE,
            cassette_mode="record",
        )
        design = Architect(backend=ClaudeBackend(settings)).design(req)
    finally:
        fake.stop()
    assert design.complete and design.text == offline_text
    data = json.loads(CASSETTE.read_text(encoding="utf-8"))
    data["note"] = NOTE
    CASSETTE.write_text(
        json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    assert FAKE_KEY not in CASSETTE.read_text(encoding="utf-8")
    print(f"recorded {len(fake.messages)} exchange(s) into {CASSETTE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
