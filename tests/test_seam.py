"""One seam for every provider: the registry, no import cycle, record/replay as a transport."""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Architect, BackendError, SettingsError, preset
from pyt_arch_kit.backends import registry
from pyt_arch_kit.backends.claude import MessagesCodec
from pyt_arch_kit.backends.openai import ChatCompletionsCodec
from pyt_arch_kit.cassette import Cassette, Tape, WireCodec
from pyt_arch_kit.cli import _parser, main
from pyt_arch_kit.magics import _parser as magic_parser
from pyt_arch_kit.widgets import RequirementsForm
from tests.fake_api import Echo, FakeAnthropic

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pyt_arch_kit"
REQ = preset("grpc-internal")
MODEL_BACKENDS = {s.name for s in registry.BACKENDS if s.talks_to_a_model}

# Where a backend's name may be written as a string: the registry, and the provider's own
# module (its ``provider`` class attribute). settings.py defaults to Claude's variables, as it
# did before there were others; ``"replay"`` is also a cassette mode (PYT_ARCH_CASSETTE_MODE).
ALLOWED = {
    "backends/registry.py": MODEL_BACKENDS,
    "backends/claude.py": {"claude"},
    "backends/openai.py": {"openai"},
    "backends/chat.py": {"replay"},
    "settings.py": {"claude", "replay"},
}


def _fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_no_backend_name_is_written_outside_the_registry() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = isinstance(node, ast.Constant) and node.value in MODEL_BACKENDS
            if named and node.value not in ALLOWED.get(rel, set()):  # type: ignore[attr-defined]
                found.append(f"{rel}:{node.lineno}: {node.value!r}")  # type: ignore[attr-defined]
    assert not found, found


def test_the_backend_protocol_imports_none_of_its_backends() -> None:
    loaded = _fresh(
        "import sys, pyt_arch_kit.backends.base, pyt_arch_kit.backends.registry\n"
        "print(sorted(m for m in sys.modules if m.startswith('pyt_arch_kit.backends.')))"
    )
    assert loaded == "['pyt_arch_kit.backends.base', 'pyt_arch_kit.backends.registry']"


def test_the_transcript_imports_no_backend_and_no_sdk() -> None:
    loaded = _fresh(
        "import sys, pyt_arch_kit.prompt\n"
        "print([m for m in sys.modules if m.startswith(('pyt_arch_kit.backends', 'anthropic',"
        " 'openai', 'httpx'))])"
    )
    assert loaded == "[]"


def test_the_cli_magic_and_workbench_offer_what_the_registry_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in registry.names():
        args = _parser().parse_args(["design", "--preset", "io-bound-api", "--backend", name])
        assert args.backend == name
    with pytest.raises(SystemExit) as info:
        main(["design", "--preset", "io-bound-api", "--backend", "gemini"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in registry.names())
    magic_help = magic_parser().format_help()
    toggle = RequirementsForm().runner.backend.options
    for entry in registry.BACKENDS:
        assert entry.name in magic_help
        assert ((entry.label, entry.name) in toggle) == entry.in_workbench


def test_the_backends_guide_lists_every_registered_backend() -> None:
    guide = (ROOT / "docs" / "guides" / "backends.md").read_text(encoding="utf-8")
    for entry in registry.BACKENDS:
        assert f"| `{entry.name}`" in guide, entry.name
        assert entry.key_env is None or entry.key_env in guide


def test_an_unknown_backend_names_every_registered_one() -> None:
    with pytest.raises(SettingsError) as info:
        Architect(backend="gemini")
    assert all(name in str(info.value) for name in registry.names())


def test_a_registered_backend_is_made_by_name_with_its_sdk_imported_only_then() -> None:
    loaded = _fresh(
        "import sys\nfrom pyt_arch_kit import Architect\n"
        "a = Architect()\nbefore = 'anthropic' in sys.modules\n"
        "b = Architect(backend='claude')\n"
        "print(before, b.backend.name, 'anthropic' in sys.modules)"
    )
    assert loaded == "False claude False"  # the SDK loads when a request is first sent


# -- record / replay as an HTTP transport -----------------------------------------------------


def test_replay_mode_sends_nothing_even_with_a_key_and_a_live_server(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "empty.json"))
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "3")
    with pytest.raises(BackendError, match=r"no recorded answer for request [0-9a-f]{24}") as e:
        Architect(backend="claude").design(REQ)
    assert e.value.cause == "cassette" and "ANTHROPIC_API_KEY" in str(e.value)
    assert fake_api.requests == []  # not sent, and not retried


def test_a_key_echoed_across_many_events_is_never_recorded(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "plainkey-" + "0123456789abcdef" * 2  # not key-shaped: only redaction by value finds it
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    cassette = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    fake_api.queue(Echo())  # the proxy repeats the request headers, 7 characters an event
    Architect(backend="claude").design(REQ)
    (exchange,) = json.loads(cassette.read_text())["exchanges"].values()
    recorded = "".join(exchange["chunks"])
    assert "You sent:" in recorded and "[redacted]" in recorded
    assert key not in recorded and key not in cassette.read_text()


def test_a_cut_answer_is_not_recorded(
    fake_api: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_api import Stream, design_text

    cassette = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    fake_api.queue(Stream(design_text(), cut_after=300))
    assert main(["design", "--preset", "grpc-internal", "--backend", "claude"]) == 3
    assert not cassette.exists() or json.loads(cassette.read_text())["exchanges"] == {}


# -- the cassette core: a provider's codec round-trips, however the bytes arrive --------------

exchanges = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["claude-sonnet-5-5", "gpt-5.4-mini", "llama3.3"]),
        "chunks": st.lists(st.text(min_size=1, max_size=30), max_size=12),
        "stop_reason": st.sampled_from(["end_turn", "max_tokens", "refusal", "tool_use"]),
        "usage": st.fixed_dictionaries(
            {
                "input_tokens": st.integers(0, 10**6),
                "output_tokens": st.integers(0, 10**6),
                "cache_read_input_tokens": st.integers(0, 10**6),
            }
        ),
    }
)


@pytest.mark.parametrize("codec", [MessagesCodec(), ChatCompletionsCodec()], ids=type)
@given(exchange=exchanges, cuts=st.lists(st.integers(0, 5000), max_size=20))
def test_a_recorded_answer_is_the_answer_replayed_however_its_bytes_were_split(
    codec: WireCodec, exchange: dict[str, Any], cuts: list[int], tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("tape") / "c.json"
    tape = Tape(Cassette(path), codec)
    wire = b"".join(codec.encode({**exchange, "usage": {**exchange["usage"]}}))
    bounds = sorted({0, len(wire), *(c for c in cuts if c < len(wire))})
    recorder = tape.recorder("0" * 24)
    for a, b in itertools.pairwise(bounds):
        recorder.feed(wire[a:b])
    recorder.finish()
    got = Cassette(path).get("0" * 24)
    assert got is not None
    assert "".join(got["chunks"]) == "".join(exchange["chunks"])
    assert (got["model"], got["stop_reason"]) == (exchange["model"], exchange["stop_reason"])
    for name, value in exchange["usage"].items():
        assert got["usage"][name] == value
