"""Cassettes under tampering and concurrency: one line for any deviation, every exchange kept."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyt_arch_kit import Architect, BackendError, IncompleteDesignError, preset, preset_names
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cassette import Cassette
from pyt_arch_kit.cli import main
from pyt_arch_kit.settings import Settings
from tests.fake_api import FakeAnthropic

ROOT = Path(__file__).resolve().parents[1]
REQ = preset("grpc-internal")


@pytest.fixture
def recorded(fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cassette with one real exchange, replayed from here on with no key and no server."""
    path = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(path))
    Architect(backend="claude").design(REQ)
    fake_api.stop()
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    return path


def _exchange(data: dict[str, Any]) -> dict[str, Any]:
    return next(iter(data["exchanges"].values()))  # type: ignore[no-any-return]


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        _exchange(data).update(fields)

    return change


def _usage(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        _exchange(data)["usage"].update(fields)

    return change


TAMPERED: dict[str, Callable[[dict[str, Any]], None]] = {
    "chunks a number": _set(chunks=5),
    "chunks null": _set(chunks=None),
    "chunks a string": _set(chunks="## Executive Summary\n\nforged"),
    "chunks of numbers": _set(chunks=[1, 2, 3]),
    "chunks with a null": _set(chunks=["a", None]),
    "usage extra field": _usage(bogus=1),
    "usage mistyped": _usage(input_tokens="many"),
    "usage negative": _usage(output_tokens=-5000),
    "usage fractional tokens": _usage(output_tokens=1.5),
    "usage huge": _usage(input_tokens=10**30),
    "usage cost a string": _usage(cost_usd="cheap"),
    "usage a list": _set(usage=[1, 2]),
    "stop_reason a number": _set(stop_reason=7),
    "model missing": lambda d: _exchange(d).pop("model"),
    "exchange extra field": _set(injected=True),
    "exchange a string": lambda d: d["exchanges"].update({k: "x" for k in d["exchanges"]}),
    "exchanges a list": lambda d: d.update(exchanges=[1]),
    "bad fingerprint": lambda d: d.update(exchanges={"../../etc": _exchange(d)}),
    "version 2": lambda d: d.update(version=2),
}
RAW: dict[str, bytes] = {
    "top level a list": b"[1, 2, 3]",
    "top level a string": b'"cassette"',
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "huge integer": b'{"version": 1, "exchanges": {}, "n": ' + b"9" * 6000 + b"}",
    "not utf-8": b'{"version": 1, "exchanges": {}, "note": "\xff\xfe"}',
    "NaN cost": b'{"version": 1, "exchanges": {"0123456789abcdef01234567": {"model": "m", '
    b'"chunks": [], "stop_reason": null, "usage": {"cost_usd": NaN}}}}',
    "empty file": b"",
}


def _replay_fails_in_one_line() -> BackendError:
    with pytest.raises(BackendError) as info:
        Architect(backend="replay").design(REQ)
    error = info.value
    assert error.cause == "cassette" and "\n" not in str(error)
    assert len(str(error)) < 400
    assert "to record again" in str(error) or "point PYT_ARCH_CASSETTE at" in str(error)
    return error


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_cassette_is_one_line_never_a_traceback(recorded: Path, name: str) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    TAMPERED[name](data)
    recorded.write_text(json.dumps(data), encoding="utf-8")
    _replay_fails_in_one_line()


@pytest.mark.parametrize("name", list(RAW))
def test_a_damaged_cassette_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(RAW[name])
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(path))
    _replay_fails_in_one_line()


def test_a_chunks_string_is_rejected_not_replayed_a_character_at_a_time(recorded: Path) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    _exchange(data)["chunks"] = "".join(_exchange(data)["chunks"])
    recorded.write_text(json.dumps(data), encoding="utf-8")
    pieces: list[str] = []
    with pytest.raises(BackendError, match=r"chunks"):
        Architect(backend="replay").design(REQ, on_text=pieces.append)
    assert pieces == []


def test_the_cli_says_one_line_for_a_tampered_cassette(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    _exchange(data)["usage"]["extra"] = {"deep": [1, 2]}
    recorded.write_text(json.dumps(data), encoding="utf-8")
    assert main(["design", "--preset", "grpc-internal", "--backend", "replay"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "cassette" in err


def test_a_cassette_larger_than_the_cap_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(5 * 1024**3)  # a sparse 5 GB file: reading it all would take minutes
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(path))
    error = _replay_fails_in_one_line()
    assert "larger than" in str(error)


@pytest.mark.timeout(30)
def test_a_fifo_as_cassette_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "c.json"
    os.mkfifo(fifo)
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(fifo))
    with pytest.raises(BackendError, match="FIFO") as info:
        Architect(backend="replay").design(REQ)
    assert info.value.cause == "cassette"
    with pytest.raises(BackendError, match="FIFO"):
        Cassette(fifo).put("0" * 24, {"model": "m", "chunks": [], "stop_reason": None})


# -- concurrent recorders ---------------------------------------------------------------------


def test_designs_recording_side_by_side_keep_every_exchange(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(path))
    names = preset_names()
    barrier = threading.Barrier(len(names))
    errors: list[BaseException] = []

    def record(name: str) -> None:
        barrier.wait()
        try:
            Architect(backend="claude").design(preset(name))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(fake_api.messages) == len(names)
    assert len(json.loads(path.read_text())["exchanges"]) == len(names)


RECORDER = """
import sys
from pyt_arch_kit.cassette import Cassette
path, who, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cassette = Cassette(path)
sys.stdin.readline()  # start together
for i in range(count):
    key = f"{who:012x}{i:012x}"
    cassette.put(key, {"model": "m", "chunks": [key], "stop_reason": "end_turn"})
"""


@pytest.mark.timeout(180)
def test_recorders_in_separate_processes_keep_every_exchange(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    processes, each = 6, 25
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(path), str(who), str(each)],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for who in range(processes)
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _out, err = child.communicate(timeout=150)
        assert child.returncode == 0, err
    exchanges = json.loads(path.read_text())["exchanges"]
    assert len(exchanges) == processes * each
    assert all(e["chunks"] == [k] for k, e in exchanges.items())


def test_a_replay_is_bounded_by_the_whole_request_deadline_and_keeps_what_arrived(
    recorded: Path,
) -> None:
    # issue 23 item 11: a replay had no deadline. Here a big cassette (6 MB in 60,000 chunks)
    # meets the whole-request limit once its first chunk has arrived (the reader of that chunk
    # takes longer than the limit, whatever the machine's load): the replay stops at the
    # limit, keeping what arrived, instead of replaying the rest.
    data = json.loads(recorded.read_text(encoding="utf-8"))
    _exchange(data)["chunks"] = ["x" * 100] * 60_000
    recorded.write_text(json.dumps(data), encoding="utf-8")
    limit_s = 3.0
    settings = dataclasses.replace(Settings.from_env(), timeout_s=limit_s)
    backend = ClaudeBackend(settings, replay_only=True, name="replay")
    pieces: list[str] = []

    def slow_reader(text: str) -> None:
        if not pieces:
            time.sleep(limit_s)  # the limit passes while the first chunk is read
        pieces.append(text)

    with pytest.raises(IncompleteDesignError, match="PYT_ARCH_TIMEOUT_S") as info:
        Architect(backend=backend).design(REQ, on_text=slow_reader)
    design = info.value.design
    assert not design.complete
    assert design.text == "".join(pieces)
    assert 0 < len(design.text) < 6_000_000
