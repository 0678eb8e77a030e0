"""Record a Claude exchange to a cassette, then replay it with no key and no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, BackendError, SettingsError, preset
from tests.fake_api import FAKE_KEY, FakeAnthropic

REQ = preset("grpc-internal")


def test_record_then_replay_with_the_server_stopped_and_no_key(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "designs.cassette.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    recorded = Architect(backend="claude").design(REQ)
    assert cassette.exists() and len(fake_api.messages) == 1

    fake_api.stop()
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    pieces: list[str] = []
    replayed = Architect(backend="claude").design(REQ, on_text=pieces.append)
    assert replayed.text == recorded.text and len(pieces) > 20
    assert replayed.complete and replayed.usage is not None and replayed.usage.requests == 0
    assert len(fake_api.messages) == 1  # nothing more was sent
    assert FAKE_KEY not in cassette.read_text()


def test_replay_backend_fails_loudly_with_the_fingerprint_for_an_unrecorded_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "empty.json"))
    with pytest.raises(BackendError, match=r"no recorded answer for request [0-9a-f]{24}") as e:
        Architect(backend="replay").design(REQ)
    assert e.value.cause == "cassette" and "nothing was sent" in str(e.value)


def test_a_changed_request_is_not_served_a_stale_recording(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "c.json"))
    Architect(backend="claude").design(REQ)
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    with pytest.raises(BackendError, match="no recorded answer"):
        Architect(backend="claude").design(preset("io-bound-api"))


def test_record_mode_calls_again_and_overwrites(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(path))
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "record")
    Architect(backend="claude").design(REQ)
    Architect(backend="claude").design(REQ)
    assert len(fake_api.messages) == 2
    assert len(json.loads(path.read_text())["exchanges"]) == 1


def test_replay_backend_without_a_cassette_says_which_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SettingsError, match="PYT_ARCH_CASSETTE"):
        Architect(backend="replay")


def test_a_corrupt_cassette_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(bad))
    with pytest.raises(BackendError, match="cannot be read"):
        Architect(backend="replay").design(REQ)
