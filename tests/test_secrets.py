"""Secrets are redacted by value, whatever their form, even when a proxy echoes them back.

The fake API plays an echoing proxy at ``ANTHROPIC_BASE_URL``: its answer (or its error message)
repeats every request header, the key among them. The key actually in use, key-shaped or not,
typed into the form or set in the environment, and the ``user:password@`` of a base URL must not
appear in any error, CLI output, cassette, export or ``repr(form.runs)``.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Architect, BackendError, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cli import main
from pyt_arch_kit.exports import export_design
from pyt_arch_kit.redaction import MARKER, StreamRedactor, redact
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.widgets import RequirementsForm
from tests.fake_api import Echo, FakeAnthropic, Status

REQ = preset("io-bound-api")
CLAUDE = ["design", "--preset", "io-bound-api", "--backend", "claude"]


def plain_key() -> str:
    """A key that does not look like ``sk-ant-…`` (a proxy's token, a typo'd paste)."""
    return f"plainkey-{secrets.token_hex(16)}"


def sent_key(fake_api: FakeAnthropic, index: int = -1) -> str:
    """The credential a request carried (``x-api-key``, or a bearer token)."""
    headers = fake_api.messages[index].headers
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


def leaks(secret: str, *texts: str) -> list[str]:
    """The texts that show the secret, or a long piece of it."""
    pieces = {secret, secret[-16:], secret[:16]}
    return [t[:200] for t in texts if any(p in t for p in pieces)]


def test_an_echoed_key_never_reaches_the_terminal_the_cassette_or_the_file(
    fake_api: FakeAnthropic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = plain_key()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    cassette = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "record")
    fake_api.queue(Echo(), Echo(), Echo())
    assert main(CLAUDE) == 0  # streamed live: the key arrives split across deltas
    out = tmp_path / "d.json"
    assert main([*CLAUDE, "--format", "json", "--out", str(out)]) == 0
    design = Architect(backend=ClaudeBackend(Settings.from_env())).design(REQ)
    assert sent_key(fake_api) == key  # it was really sent
    assert MARKER in design.text  # and really echoed
    captured = capsys.readouterr()
    seen = [captured.out, captured.err, cassette.read_text(), out.read_text(), design.to_json()]
    seen.append(repr(design))
    assert not leaks(key, *seen)


def test_an_echoed_key_in_an_error_message_is_scrubbed(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = plain_key()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    fake_api.queue(Status(401, "invalid key", echo=True), Status(400, "bad", echo=True))
    assert main(CLAUDE) == 3
    with pytest.raises(BackendError) as info:
        Architect(backend=ClaudeBackend(Settings.from_env())).design(REQ)
    assert "bad" in str(info.value)
    assert not leaks(key, *capsys.readouterr(), str(info.value), repr(info.value))


def test_a_key_typed_into_the_form_is_scrubbed_from_runs_status_and_exports(
    fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    key = plain_key()  # not sk-ant-shaped, and not in the environment
    form = RequirementsForm("io-bound-api", backend="claude")
    form.runner.key.value = key
    fake_api.queue(Echo(), Status(403, "nope", echo=True))
    done = form.run()
    failed = form.run()
    assert sent_key(fake_api, 0) == key
    assert done.state == "done" and failed.state == "failed"
    files = form.export_runs(tmp_path / "runs")
    texts = [repr(form.runs), form.runner.status.value, failed.error, done.text]
    texts += [p.read_text(encoding="utf-8") for p in files]
    texts.append(export_design(done.design, tmp_path / "d.md").read_text())  # type: ignore[arg-type]
    assert not leaks(key, *texts)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_base_url_credentials_are_never_echoed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = f"pw-{secrets.token_hex(12)}"
    url = f"http://someone:{password}@127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", plain_key())
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")
    assert main(CLAUDE) == 3
    err = capsys.readouterr().err
    assert "cannot reach the API at http://…@127.0.0.1" in err
    assert not leaks(password, err, repr(Settings.from_env()), str(Settings.from_env()))


def test_base_url_credentials_echoed_by_a_proxy_are_scrubbed(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = f"pw-{secrets.token_hex(12)}"
    monkeypatch.setenv(
        "ANTHROPIC_BASE_URL", fake_api.base_url.replace("//", f"//someone:{password}@")
    )
    fake_api.queue(Echo())
    assert main(CLAUDE) == 0
    sent = fake_api.messages[0].headers.get("authorization", "")
    basic = base64.b64encode(f"someone:{password}".encode()).decode()
    out, err = capsys.readouterr()
    assert not leaks(password, out, err) and not leaks(basic, out, err)
    assert sent == "" or basic in sent  # if the client sent them, a proxy could echo them


secret_text = st.text(alphabet="sk-antxyz0123_ABC", min_size=8, max_size=40)


@given(
    secret=secret_text,
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=8),
)
def test_streamed_text_is_redacted_however_it_is_split(
    secret: str, before: str, after: str, cuts: list[int]
) -> None:
    text = before + secret + after + secret
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    scrub = StreamRedactor([secret])
    shown = [scrub.feed(p) for p in pieces]
    shown.append(scrub.flush())
    joined = "".join(shown)
    assert secret not in joined
    assert not any(secret in s for s in shown)
    assert joined == redact(text, extra=[secret])


def test_a_short_key_is_scrubbed_where_it_stands_alone_and_words_are_left_whole(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "hunter2"  # a local server's key: shorter than any provider's
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    fake_api.queue(Echo(), Echo(), Status(400, "bad", echo=True))
    assert main(CLAUDE) == 0  # streamed live, split across deltas
    design = Architect(backend=ClaudeBackend(Settings.from_env())).design(REQ)
    with pytest.raises(BackendError) as info:
        Architect(backend=ClaudeBackend(Settings.from_env())).design(REQ)
    assert sent_key(fake_api) == key and MARKER in design.text
    out, err = capsys.readouterr()
    assert [
        t[:80] for t in (out, err, design.text, design.to_json(), str(info.value)) if key in t
    ] == []
    # The rule: a short secret goes where it is a whole token, not inside longer words.
    assert redact("hunter2s and xhunter2", extra=[key]) == "hunter2s and xhunter2"
    assert redact("key=hunter2; 'hunter2'", extra=[key]) == f"key={MARKER}; '{MARKER}'"
    assert redact("a 2 x cache", extra=["a", "x"]) == "a 2 x cache"  # placeholders, not secrets
