"""Control characters from outside never reach the terminal raw (issue 23, item 5).

A model's answer (through the real SDK from the fake server), a cassette's recorded chunks and
an agent file's front matter may carry a window-title change, an OSC 52 clipboard write, a
screen clear, a carriage return or a right-to-left override. The CLI shows each as its
``\\uXXXX`` escape on standard output, whether it is a terminal or a pipe or a file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit.cli import main
from pyt_arch_kit.terminal import inert
from tests.fake_api import FakeAnthropic, Stream, design_text

#: A title change, a clipboard write, a screen clear, a bell, a C1 CSI, a lone CR, bidi override.
HOSTILE = (
    "\x1b]0;pwned\x07 \x1b]52;c;ZWNobyBoaQ==\x07 \x1b[2J\x1b[H \x9b31m "
    "overwritten\rshown \u202eevil\u202c \u2066iso\u2069"
)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_design() -> str:
    return design_text().replace("Executive Summary of a service.", f"Summary {HOSTILE} end.")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_inert_shows_each_control_and_keeps_text_newlines_and_tabs() -> None:
    shown = inert(f"a\tb\n{HOSTILE}\r\nz")
    assert RAW.search(shown) is None
    assert "\\u001b]0;pwned\\u0007" in shown and "\\u202eevil" in shown
    assert "overwritten\\u000dshown" in shown and shown.startswith("a\tb\n") and "\nz" in shown
    assert inert("ordinary text — é, 中文, emoji 🙂\n") == "ordinary text — é, 中文, emoji 🙂\n"


def test_a_models_escapes_are_inert_in_the_streamed_design(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake_api.queue(Stream(hostile_design(), chunk=3))  # escapes split across chunks
    code, out, err = run(capsys, "design", "--preset", "io-bound-api", "--backend", "claude")
    assert code == 0, err
    assert RAW.search(out) is None and RAW.search(err) is None
    assert "\\u001b]52;c;ZWNobyBoaQ==\\u0007" in out and "\\u202eevil" in out


def test_a_models_escapes_stay_valid_json_with_the_same_text(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.queue(Stream(hostile_design()))
    code, out, err = run(
        capsys, "design", "--preset", "io-bound-api", "--backend", "claude", "--format", "json"
    )
    assert code == 0, err
    assert RAW.search(out) is None
    assert HOSTILE in json.loads(out)["text"]  # the JSON decodes to exactly what was sent


def test_a_cassettes_escapes_are_inert_on_replay(
    fake_api: FakeAnthropic,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cassette = tmp_path / "hostile.cassette.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    fake_api.queue(Stream(hostile_design()))
    assert main(["design", "--preset", "io-bound-api", "--backend", "claude", "--out",
                 str(tmp_path / "d.md")]) == 0  # fmt: skip
    assert "\\u001b" in cassette.read_text(encoding="utf-8")  # recorded as sent
    fake_api.stop()
    capsys.readouterr()
    code, out, err = run(capsys, "design", "--preset", "io-bound-api", "--backend", "replay")
    assert code == 0, err
    assert RAW.search(out) is None and "\\u001b[2J" in out


def test_an_agent_files_escapes_are_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = tmp_path / "agent.md"
    agent.write_text(
        '---\nname: "evil\\e]0;title\\a"\ndescription: "hi \\e[2J \\u202eright"\n'
        "model: sonnet\n---\nYou design systems.\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "persona", "--persona", str(agent))
    assert code == 0, err
    assert RAW.search(out) is None
    assert "evil\\u001b]0;title\\u0007" in out and "\\u202eright" in out


@given(st.text())
def test_any_text_is_inert_and_json_of_it_decodes_to_the_same_text(text: str) -> None:
    shown = inert(text)
    assert RAW.search(shown.replace("\n", "").replace("\t", "")) is None
    encoded = json.dumps({"text": text}, ensure_ascii=False)
    assert json.loads(inert(encoded))["text"] == text
