"""Paid work is never orphaned: a Message Batch's id is recorded before waiting, and collectable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyt_arch_kit import BackendError, Design, SettingsError, preset
from pyt_arch_kit.batch import design_many, ledger_path, pending_batches
from tests.fake_api import FakeAnthropic, Status, Stream, design_text


def sweep(*rates: int) -> list[dict[str, object]]:
    base = preset("io-bound-api").model_dump(mode="json")
    return [
        {**base, "name": f"load-{r}", "scale": {**base["scale"], "peak_rps": r, "avg_rps": r / 4}}
        for r in rates or (100, 1000, 10000)
    ]


def created(fake_api: FakeAnthropic) -> int:
    return sum(1 for r in fake_api.requests if r.method == "POST" and "batches" in r.path)


def test_the_id_is_shown_and_saved_before_the_first_poll_and_returned(
    fake_api: FakeAnthropic,
) -> None:
    fake_api.queue(Stream(design_text("a")), Stream(design_text("b")), Stream(design_text("c")))
    events: list[str] = []

    def on_submit(batch_id: str) -> None:
        events.append(f"submitted {batch_id}")
        recorded = [e["id"] for e in pending_batches()]
        assert batch_id in recorded  # saved before anyone waits on it

    results = design_many(
        sweep(),
        poll_interval_s=0,
        on_submit=on_submit,
        on_progress=lambda counts: events.append("poll"),
    )
    assert events[0].startswith("submitted msgbatch_") and "poll" in events[1:]
    assert results.batch_id == events[0].split()[-1]
    assert [r.title for r in results if isinstance(r, Design)] == [
        "load-100",
        "load-1000",
        "load-10000",
    ]
    assert pending_batches() == []  # collected


def test_by_default_the_id_is_printed_with_how_to_collect_it(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    results = design_many(sweep(100), poll_interval_s=0)
    err = capsys.readouterr().err
    assert f"batch {results.batch_id} submitted" in err
    assert f"design_many(variants, batch_id={results.batch_id!r})" in err
    assert str(ledger_path()) in err


def test_an_interrupted_wait_loses_nothing_and_a_later_call_collects_it(
    fake_api: FakeAnthropic,
) -> None:
    fake_api.queue(Stream(design_text("a")), Stream(design_text("b")))
    variants = sweep(100, 1000)

    def interrupt(counts: dict[str, object]) -> None:
        raise KeyboardInterrupt  # Ctrl-C, or a kernel interrupt, while the batch runs

    with pytest.raises(KeyboardInterrupt) as info:
        design_many(variants, poll_interval_s=0, on_progress=interrupt, on_submit=lambda i: None)
    (pending,) = pending_batches()
    batch_id = pending["id"]
    assert any(batch_id in note for note in info.value.__notes__)
    assert pending["count"] == 2 and pending["names"] == ["load-100", "load-1000"]

    results = design_many(variants, batch_id=batch_id, poll_interval_s=0)
    assert created(fake_api) == 1  # collected, not paid for twice
    assert results.batch_id == batch_id
    assert all(isinstance(r, Design) for r in results)
    assert "of a" in results[0].text and "of b" in results[1].text  # type: ignore[union-attr]
    assert pending_batches() == []


def test_a_batch_cannot_be_collected_for_other_requirements(fake_api: FakeAnthropic) -> None:
    with pytest.raises(KeyboardInterrupt):
        design_many(
            sweep(100, 1000),
            poll_interval_s=0,
            on_progress=lambda c: (_ for _ in ()).throw(KeyboardInterrupt),
            on_submit=lambda i: None,
        )
    (pending,) = pending_batches()
    with pytest.raises(SettingsError, match="other requirements"):
        design_many(sweep(100, 2000), batch_id=pending["id"], poll_interval_s=0)
    assert created(fake_api) == 1


def test_a_failure_after_submission_names_the_batch_to_collect(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")

    def server_gone(counts: dict[str, object]) -> None:
        fake_api.batch_error = Status(401, "key revoked")

    with pytest.raises(BackendError) as info:
        design_many(
            sweep(100), poll_interval_s=0, on_progress=server_gone, on_submit=lambda i: None
        )
    (pending,) = pending_batches()
    assert pending["id"] in str(info.value) and "batch_id=" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_batch_id_is_one_line_that_blames_the_id(fake_api: FakeAnthropic) -> None:
    with pytest.raises(BackendError) as info:
        design_many(sweep(100), batch_id="msgbatch_nope", poll_interval_s=0)
    message = str(info.value)
    assert "msgbatch_nope" in message and "check the id" in message and "\n" not in message
    assert "model id" not in message  # a batch id, not the model, was wrong
    assert "is recorded" not in message and "pending_batches()" in message  # it never was


def test_the_ledger_survives_concurrent_submitters_and_a_damaged_line(
    fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    ledger = tmp_path / "batches.jsonl"
    ledger.write_text("not json\n")
    for rate in (100, 200):
        design_many(sweep(rate), poll_interval_s=0, ledger=ledger, on_submit=lambda i: None)
    lines = [json.loads(ln) for ln in ledger.read_text().splitlines()[1:]]
    assert [e["state"] for e in lines] == ["submitted", "collected", "submitted", "collected"]
    assert pending_batches(ledger) == []
