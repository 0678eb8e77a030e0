"""Fuzzing the Chat Completions stream: any chunks give a design or one BackendError.

Hypothesis writes streams of ``chat.completion.chunk`` events (mostly well-formed, with junk,
truncations, ``{"error": …}`` chunks, odd choices, bad JSON and bad UTF-8 mixed in); the fake
server serves them byte for byte to the unmodified ``openai`` SDK. Whatever arrives, the user
gets a :class:`Design` or one :class:`BackendError` whose text is exactly what was shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyt_arch_kit import Architect, BackendError, Design, preset
from pyt_arch_kit.backends.openai import OpenAIBackend
from pyt_arch_kit.settings import Secret, Settings
from tests.fake_api import RawSSE
from tests.fake_openai import FAKE_OPENAI_KEY, FakeOpenAI

REQ = preset("io-bound-api")


def chunk(choices: Any, **more: Any) -> bytes:
    data = {"id": "c", "object": "chat.completion.chunk", "model": "gpt-5.4-mini", **more}
    data["choices"] = choices
    return b"data: " + json.dumps(data).encode("utf-8", "surrogatepass") + b"\n\n"


def delta(text: str) -> bytes:
    return chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}])


FINISHES = st.sampled_from(["stop", "length", "content_filter", "tool_calls", None, "odd"])
JUNK = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: b"data: " + t.encode("utf-8", "surrogatepass") + b"\n\n"),
    st.sampled_from(
        [
            b": keep-alive\n\n",
            b"data: {}\n\n",
            b'data: {"choices": null}\n\n',
            b'data: {"choices": [{"index": 1, "delta": {"content": "other"}}]}\n\n',
            b'data: {"choices": [{"delta": null}]}\n\n',
            b'data: {"error": {"message": "boom", "type": "server_error"}}\n\n',
            b'data: {"error": "a string"}\n\n',
            b"data: not json\n\n",
            b"data: \xff\xfe\n\n",
            b'event: mystery\ndata: {"choices": []}\n\n',
            b'data: {"choices": [], "usage": {"prompt_tokens": -3, "completion_tokens": "x"}}\n\n',
            b"\n\n\n",
            b"data: [DONE]\n\n",
        ]
    ),
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """A body: usually the real protocol, with junk spliced in and maybe cut short."""
    parts = [chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}])]
    for text in draw(st.lists(st.text(min_size=1, max_size=12), max_size=12)):
        parts.append(delta(text))
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(JUNK))
    if draw(st.booleans()):
        finish = draw(FINISHES)
        parts.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
        usage = {"prompt_tokens": draw(st.integers(-5, 500)), "completion_tokens": 7}
        parts += [chunk([], usage=usage), b"data: [DONE]\n\n"]
    body = b"".join(parts)
    if draw(st.integers(0, 3)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=streams())
def test_any_chunk_stream_gives_a_design_or_one_backend_error(
    server: FakeOpenAI, body: bytes
) -> None:
    server.queue(RawSSE(body))
    settings = Settings(
        api_key=Secret(FAKE_OPENAI_KEY),
        base_url=server.base_url,
        model="gpt-5.4-mini",
        max_retries=0,
        timeout_s=10,
        backend="openai",
    )
    shown: list[str] = []
    try:
        design = Architect(backend=OpenAIBackend(settings)).design(REQ, on_text=shown.append)
    except BackendError as exc:  # the one failure path (IncompleteDesignError included)
        message = str(exc)
        assert "\n" not in message and len(message) < 600 and FAKE_OPENAI_KEY not in message
        assert exc.partial_text == "".join(shown)
        kept = getattr(exc, "design", None)
        if kept is not None:
            assert isinstance(kept, Design) and not kept.complete
            assert kept.text == "".join(shown)
        return
    assert isinstance(design, Design) and design.complete
    assert design.text == "".join(shown)
    assert design.usage is not None and design.usage.input_tokens >= 0
