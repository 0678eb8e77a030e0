"""The Claude path against the fake Messages API (tests/fake_api.py): no key, no network.

Measured: the time from the server's last byte to the ``Design`` object (our overhead after the
stream ends), against the bare SDK consuming the same request; requests per design; and the share
of input tokens served from the prompt cache on a repeated design, from the usage the server
reports.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from common import ROOT, Row, median


@contextmanager
def _fake_api() -> Iterator[Any]:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.fake_api import FAKE_KEY, FakeAnthropic  # the same server the tests use

    fake = FakeAnthropic()
    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")}
    os.environ["ANTHROPIC_BASE_URL"] = fake.start()
    os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY  # a fake key for 127.0.0.1; never printed
    try:
        yield fake
    finally:
        fake.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _after_last_byte(fake: Any, before: float, done: float) -> float:
    """Seconds from the server's last byte to ``done``.

    The server stamps ``last_byte_at`` right after flushing its last event; wait for the stamp
    if the client got there first.
    """
    deadline = time.perf_counter() + 1.0
    while fake.last_byte_at <= before and time.perf_counter() < deadline:
        time.sleep(0.0005)
    return max(0.0, done - fake.last_byte_at)


def claude_path(designs: int) -> list[Row]:
    import anthropic

    from pyt_arch_kit import Architect, preset
    from pyt_arch_kit.backends.claude import ClaudeBackend
    from pyt_arch_kit.settings import Settings

    req = preset("io-bound-api")
    text = Architect().design(req).text  # a full-size answer for the fake to stream
    group = "Claude path (fake Messages API on 127.0.0.1)"
    with _fake_api() as fake:
        from tests.fake_api import Stream

        fake.default = Stream(text, chunk=16)
        architect = Architect(backend=ClaudeBackend(Settings.from_env()))
        ours: list[float] = []
        usages = []
        for _ in range(designs):
            before = time.perf_counter()
            design = architect.design(req)
            ours.append(_after_last_byte(fake, before, time.perf_counter()))
            usages.append(design.usage)
            assert design.complete and design.text == text
        requests = len(fake.messages) / designs
        body = {k: v for k, v in fake.messages[-1].body.items() if k != "stream"}

        client = anthropic.Anthropic()
        bare: list[float] = []
        for _ in range(designs):
            before = time.perf_counter()
            with client.messages.stream(**body) as stream:
                for _piece in stream.text_stream:
                    pass
                stream.get_final_message()
            bare.append(_after_last_byte(fake, before, time.perf_counter()))
    first, repeat = usages[0], usages[-1]

    def cached_share(u: Any) -> float:
        total = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
        return 100.0 * u.cache_read_input_tokens / total if total else 0.0

    return [
        Row(
            group,
            "last byte → Design object",
            median(ours),
            "s",
            "bare SDK: last byte → final message",
            median(bare),
            note=f"{len(text):,}-char answer in 16-char deltas; {designs} designs",
        ),
        Row(
            group,
            "HTTP requests per design",
            requests,
            "",
            note="1 means no retry and no continuation",
        ),
        Row(
            group,
            "input tokens read from the prompt cache, repeated design",
            cached_share(repeat),
            "%",
            "first design",
            None,
            note=(
                f"first design wrote {first.cache_creation_input_tokens:,} tokens to the cache "
                f"({cached_share(first):.0f} % read); the repeat read "
                f"{repeat.cache_read_input_tokens:,} of "
                f"{repeat.input_tokens + repeat.cache_read_input_tokens:,}"
            ),
        ),
    ]
