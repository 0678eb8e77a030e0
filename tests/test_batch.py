"""design_many through the Message Batches API on the fake server."""

from __future__ import annotations

import pytest

from pyt_arch_kit import BackendError, Design, preset
from pyt_arch_kit.batch import design_many
from tests.fake_api import FakeAnthropic, Status, Stream, design_text


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
