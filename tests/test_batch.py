"""design_many through the Message Batches API on the fake server."""

from __future__ import annotations

import pytest

from pyt_arch_kit import BackendError, Design, preset
from pyt_arch_kit.batch import design_many
from pyt_arch_kit.redaction import MARKER
from tests.fake_api import Echo, FakeAnthropic, Status, Stream, design_text


def sweep() -> list[dict[str, object]]:
    base = preset("io-bound-api").model_dump(mode="json")
    return [
        {
            **base,
            "name": f"load-{rps}",
            "scale": {**base["scale"], "peak_rps": rps, "avg_rps": rps / 4},
        }
        for rps in (100, 1000, 10000)
    ]


def test_results_come_back_in_input_order_with_batch_pricing(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(design_text("a")), Stream(design_text("b")), Stream(design_text("c")))
    progress: list[dict[str, object]] = []
    results = design_many(sweep(), poll_interval_s=0, on_progress=progress.append)
    assert [r.title for r in results if isinstance(r, Design)] == [
        "load-100",
        "load-1000",
        "load-10000",
    ]
    assert "of a" in results[0].text and "of c" in results[2].text  # type: ignore[union-attr]
    assert progress and progress[-1]["succeeded"] == 3
    first = results[0]
    assert isinstance(first, Design) and first.usage is not None and first.usage.cost_usd
    created = next(r for r in fake_api.requests if r.path == "/v1/messages/batches")
    assert len(created.body["requests"]) == 3
    assert created.body["requests"][0]["params"]["system"][0]["cache_control"]


def test_a_failed_item_is_kept_in_its_place_not_raised(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(design_text()), Status(400, "prompt is too long"), Stream(design_text()))
    results = design_many(sweep(), poll_interval_s=0)
    assert isinstance(results[0], Design) and isinstance(results[2], Design)
    error = results[1]
    assert isinstance(error, BackendError) and "load-1000" in str(error)
    assert "prompt is too long" in str(error)


def test_batch_without_a_key_fails_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendError, match="ANTHROPIC_API_KEY"):
        design_many(sweep(), poll_interval_s=0)


@pytest.mark.parametrize("key", ["plainkey-0123456789abcdef", "hunter2"])
def test_a_key_echoed_in_a_batch_result_is_redacted_everywhere(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    fake_api.queue(Echo())
    (design,) = design_many(sweep()[:1], poll_interval_s=0, on_submit=lambda i: None)
    assert isinstance(design, Design) and "You sent" in design.text
    created = next(r for r in fake_api.requests if r.path == "/v1/messages/batches")
    sent = created.headers.get("x-api-key") or created.headers["authorization"].split()[-1]
    assert sent == key  # it was sent, and echoed back
    shown = [design.text, repr(design), design.to_json(), design._repr_markdown_()]
    assert [s[:80] for s in shown if key in s] == []
    assert MARKER in design.text


def test_a_batch_error_keeps_neither_the_key_nor_escape_sequences(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "hunter2")
    fake_api.queue(Status(400, "bad \x1b]0;pwned\x07 request \x1b[2J", echo=True))
    (error,) = design_many(sweep()[:1], poll_interval_s=0, on_submit=lambda i: None)
    assert isinstance(error, BackendError) and "bad" in str(error) and "request" in str(error)
    assert "hunter2" not in str(error) and "hunter2" not in repr(error)
    assert "\x1b" not in str(error) and "\x07" not in str(error) and "\n" not in str(error)
