"""Fuzzing the stream parser: any server-sent events give a design or one BackendError.

Hypothesis writes event streams (mostly well-formed, with junk, truncations, unknown and
``error`` events, out-of-order deltas, bad JSON and bad UTF-8 mixed in); the fake API serves
them byte for byte to the unmodified SDK. Whatever arrives, the user gets a :class:`Design` or
one :class:`BackendError` whose text is exactly what was shown, never another exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyt_arch_kit import Architect, BackendError, Design, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.settings import Secret, Settings
from tests.fake_api import FAKE_KEY, FakeAnthropic, RawSSE

REQ = preset("io-bound-api")
START = {
    "type": "message_start",
    "message": {
        "id": "msg_fuzz",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    },
}


def event(name: str, data: Any) -> bytes:
    raw = data if isinstance(data, bytes | str) else json.dumps(data)
    raw = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return f"event: {name}\ndata: ".encode() + raw + b"\n\n"


def delta(text: str) -> bytes:
    return event(
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
    )


BLOCK_START = event(
    "content_block_start",
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
)
STOPS = st.sampled_from(["end_turn", "max_tokens", "refusal", "stop_sequence", None, "odd"])
JUNK = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: event("content_block_delta", t)),
    st.sampled_from(
        [
            b": keep-alive comment\n\n",
            b"event: ping\ndata: {}\n\n",
            b'event: mystery\ndata: {"type": "mystery"}\n\n',
            b'data: {"type": "content_block_delta"}\n\n',
            b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 9, '
            b'"delta": {"type": "text_delta", "text": "x"}}\n\n',
            b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
            b'"message": "Overloaded"}}\n\n',
            b"event: error\ndata: not json\n\n",
            b"event: content_block_delta\ndata: \xff\xfe\n\n",
            b'event: message_start\ndata: {"type": "message_start"}\n\n',
            b"\n\n\n",
            b"event: content_block_delta\n",
        ]
    ),
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """A body: usually the real protocol, with junk spliced in and maybe cut short."""
    parts: list[bytes] = []
    if draw(st.booleans()) or draw(st.booleans()):
        parts += [event("message_start", START), BLOCK_START]
    for text in draw(st.lists(st.text(min_size=1, max_size=12), max_size=12)):
        parts.append(delta(text))
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(JUNK))
    if draw(st.booleans()):
        stop = draw(STOPS)
        parts += [
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": draw(st.integers(-5, 500))},
                },
            ),
            event("message_stop", {"type": "message_stop"}),
        ]
    body = b"".join(parts)
    if body and draw(st.integers(0, 3)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=streams())
def test_any_event_stream_gives_a_design_or_one_backend_error(
    server: FakeAnthropic, body: bytes
) -> None:
    server.queue(RawSSE(body))
    backend = ClaudeBackend(
        Settings(api_key=Secret(FAKE_KEY), base_url=server.base_url, max_retries=0, timeout_s=10)
    )
    shown: list[str] = []
    try:
        design = Architect(backend=backend).design(REQ, on_text=shown.append)
    except BackendError as exc:  # the one failure path (IncompleteDesignError included)
        message = str(exc)
        assert "\n" not in message and len(message) < 600 and FAKE_KEY not in message
        assert exc.partial_text == "".join(shown)
        kept = getattr(exc, "design", None)
        if kept is not None:
            assert isinstance(kept, Design) and not kept.complete
            assert kept.text == "".join(shown)
        return
    assert isinstance(design, Design) and design.complete
    assert design.text == "".join(shown)
    assert design.usage is not None and design.usage.output_tokens >= 0
