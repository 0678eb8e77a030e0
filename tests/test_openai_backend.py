"""The OpenAI backend through the unmodified ``openai`` SDK over real HTTP to a fake Chat
Completions API on 127.0.0.1: the same guarantees as Claude, tested the same way."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from pyt_arch_kit import (
    SECTIONS,
    Architect,
    BackendError,
    IncompleteDesignError,
    preset,
)
from pyt_arch_kit.backends.openai import OpenAIBackend
from pyt_arch_kit.cli import main
from pyt_arch_kit.errors import MissingExtraError
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.redaction import MARKER
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.widgets import RequirementsForm
from tests.fake_api import (
    Cut,
    Echo,
    ErrorEvent,
    Fault,
    Hang,
    Malformed,
    NonJSON,
    RawSSE,
    Stall,
    Status,
    Stream,
    Trickle,
    design_text,
)
from tests.fake_openai import FAKE_OPENAI_KEY, FakeOpenAI

REQ = preset("io-bound-api")
TEXT = design_text("orders")
OPENAI = ["design", "--preset", "io-bound-api", "--backend", "openai"]


def openai(**kwargs: object) -> Architect:
    settings = Settings.from_env(backend="openai")
    return Architect(backend=OpenAIBackend(settings, **kwargs))  # type: ignore[arg-type]


# -- a design, streamed ------------------------------------------------------------------------


def test_full_stream_becomes_a_six_section_design(fake_openai: FakeOpenAI) -> None:
    pieces: list[str] = []
    design = Architect(backend="openai").design(REQ, on_text=pieces.append)
    assert len(pieces) > 20  # many small deltas, shown as they arrive
    assert "".join(pieces) == design.text == fake_openai.sent_text[0]
    assert design.complete and design.stop_reason == "end_turn"
    assert list(design.sections) == list(SECTIONS)
    assert (design.backend, design.model) == ("openai", "gpt-5.4-mini")
    assert design.usage is not None and design.usage.requests == 1


def test_request_carries_the_persona_as_system_message_and_the_plan_figures(
    fake_openai: FakeOpenAI,
) -> None:
    arch = openai(model="gpt-5.4")
    arch.design(REQ)
    (sent,) = fake_openai.completions
    assert sent.headers["authorization"] == f"Bearer {FAKE_OPENAI_KEY}"
    body = sent.body
    assert body["model"] == "gpt-5.4"  # --model wins over PYT_ARCH_MODEL
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 16_000
    system, user = body["messages"]
    assert system == {"role": "system", "content": arch.persona.prompt}
    plan = arch.plan(REQ)
    assert user["role"] == "user" and plan.figure("in_flight").show() in user["content"]
    assert all(s in user["content"] for s in SECTIONS)


def test_a_follow_up_continues_the_same_conversation(fake_openai: FakeOpenAI) -> None:
    arch = openai()
    first = arch.design(REQ)
    arch.refine(first, "Why not Kafka?")
    roles = [m["role"] for m in fake_openai.completions[1].body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert fake_openai.completions[1].body["messages"][-1]["content"] == "Why not Kafka?"


def test_usage_and_cost_from_the_dated_price_table(fake_openai: FakeOpenAI) -> None:
    arch = openai()
    first, second = arch.design(REQ), arch.design(REQ)
    assert first.usage and second.usage
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens > 0  # the persona, cached by the server
    assert first.usage.cost_usd == pytest.approx(
        estimate_cost("gpt-5.4-mini", first.usage.input_tokens, first.usage.output_tokens)
    )
    assert second.usage.cost_usd is not None and second.usage.cost_usd < first.usage.cost_usd


def test_a_model_with_no_known_price_has_no_cost_not_a_zero_cost(
    fake_openai: FakeOpenAI,
) -> None:
    design = openai(model="llama3.3:70b").design(REQ)  # a local server's model
    assert design.usage is not None and design.usage.output_tokens > 0
    assert design.usage.cost_usd is None and "$" not in design.usage.summary()


def test_a_server_that_reports_no_usage_gives_an_unknown_cost_live_and_replayed(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.reports_usage = False  # some servers ignore stream_options
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "c.json"))
    live = Architect(backend="openai").design(REQ)
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    replayed = Architect(backend="openai").design(REQ)
    for design in (live, replayed):
        assert design.complete and design.usage is not None
        assert design.usage.cost_usd is None and design.usage.output_tokens == 0


def test_no_model_is_one_line_naming_the_settings(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PYT_ARCH_MODEL")
    assert main(OPENAI) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--model" in err and "PYT_ARCH_MODEL" in err
    assert fake_openai.requests == []


def test_no_key_names_OPENAI_API_KEY(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(BackendError, match="OPENAI_API_KEY") as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "no_key" and fake_openai.requests == []


def test_the_cli_writes_an_openai_design(
    fake_openai: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.json"
    assert main([*OPENAI, "--model", "gpt-5.5", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["backend"] == "openai" and data["model"] == "gpt-5.5" and data["complete"]


def test_the_workbench_runs_the_openai_backend(fake_openai: FakeOpenAI) -> None:
    form = RequirementsForm("io-bound-api", backend="openai")
    assert form.runner.model.value == "gpt-5.4-mini"  # PYT_ARCH_MODEL comes first
    assert form.runner.has_key
    run = form.run()
    assert run.state == "done" and run.design is not None and run.design.backend == "openai"


# -- retries and failures ---------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried_by_the_sdk(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Status(429, "slow down"), Status(503, "busy"), Stream(TEXT))
    design = Architect(backend="openai").design(REQ)
    assert design.complete and len(fake_openai.completions) == 3
    assert design.usage is not None and design.usage.requests == 3


def test_retries_run_out_in_one_line_counting_the_requests_sent(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "1")
    fake_openai.queue(Status(429, "slow down"), Status(429, "slow down"))
    with pytest.raises(BackendError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "rate_limit" and "after 2 requests" in str(info.value)
    assert len(fake_openai.completions) == 2


def test_a_rejected_key_exits_3_in_one_line_naming_the_variable(
    fake_openai: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_openai.queue(Status(401, "Incorrect API key provided"))
    assert main(OPENAI) == 3
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "API key was rejected (401): check OPENAI_API_KEY" in err
    assert len(fake_openai.completions) == 1  # a 401 is not retried


FAULTS: dict[str, tuple[Fault, str]] = {
    "cut mid-chunk": (Cut(), "cut"),
    "stall": (Stall(8.0), "timeout"),
    "malformed chunk": (Malformed(), "protocol"),
    "error mid-stream": (ErrorEvent("server_error", "The server had an error"), "server"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_every_fault_is_one_backend_error_that_keeps_the_text(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # The whole call's limit: short, yet long enough that a loaded machine still reaches the
    # fault (a cut, a bad event) before it; a stall outlasts it.
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "3")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")
    fault, cause = FAULTS[name]
    fake_openai.queue(Stream(TEXT, fault=fault, fault_after=140))
    pieces: list[str] = []
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ, on_text=pieces.append)
    error = info.value
    assert error.cause == cause and "\n" not in str(error)
    assert error.design.text == "".join(pieces) == fake_openai.sent_text[0]
    assert len(error.design.text) >= 140 and not error.design.complete


def test_an_error_mid_stream_says_what_the_api_said(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Stream(TEXT, fault=ErrorEvent("server_error", "Overloaded"), fault_after=70))
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ)
    message = str(info.value)
    assert "server_error" in message and "Overloaded" in message and "after 1 request " in message


@pytest.mark.timeout(60)
def test_a_server_trickling_keep_alives_is_stopped_by_the_whole_request_deadline(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "2")
    fake_openai.queue(Stream(TEXT, fault=Trickle(interval_s=0.2, count=100_000), fault_after=70))
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "timeout" and "whole request" in str(info.value)
    assert info.value.design.text == fake_openai.sent_text[0]


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_gets_one_deadline_for_all_attempts(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "2")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "2")
    fake_openai.queue(Hang(40), Hang(40), Hang(40))
    with pytest.raises(BackendError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "timeout"
    assert "PYT_ARCH_TIMEOUT_S=2 s" in str(info.value) and "whole request" in str(info.value)
    assert len(fake_openai.requests) == 1


def test_a_stream_closed_before_its_finish_reason_is_a_cut(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Stream(TEXT, cut_after=300))
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "cut" and info.value.design.text == TEXT[:300]
    assert info.value.design.stop_reason is None


def test_a_length_finish_is_the_token_limit_and_keeps_the_text(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Stream(TEXT[:500], stop_reason="length"))
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "max_tokens" and "PYT_ARCH_MAX_TOKENS" in str(info.value)
    assert info.value.design.text == TEXT[:500] and info.value.design.stop_reason == "max_tokens"


def test_a_content_filter_finish_says_the_model_declined(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Stream(TEXT[:200], stop_reason="content_filter"))
    with pytest.raises(IncompleteDesignError, match="declined") as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "refusal"


@pytest.mark.parametrize("reply", [NonJSON(), RawSSE(b""), RawSSE(b"data: [DONE]\n\n")])
def test_a_200_that_is_not_an_answer_is_a_protocol_error_naming_the_base_url(
    fake_openai: FakeOpenAI, reply: NonJSON | RawSSE
) -> None:
    fake_openai.queue(reply)
    with pytest.raises(BackendError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "protocol" and "OPENAI_BASE_URL" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unreachable_server_is_a_connection_error_naming_the_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")
    with pytest.raises(BackendError) as info:
        openai(model="gpt-5.4-mini").design(REQ)
    assert info.value.cause == "connection" and "OPENAI_BASE_URL" in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1:1", "http://[::1", "localhost:11434/v1"])
def test_a_malformed_base_url_is_one_line_naming_the_variable_and_exit_2(
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    assert main(OPENAI) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("pyt-arch: error: OPENAI_BASE_URL=") and "/v1" in err
    assert fake_openai.requests == []


def test_a_missing_sdk_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # as if `pip install openai` never ran
    with pytest.raises(MissingExtraError, match=r'pip install "pyt_arch_kit\[openai\]"'):
        Architect(backend="openai")
    assert main([*OPENAI, "--model", "gpt-5.4-mini"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[openai]" in err and "Traceback" not in err


# -- cassettes ---------------------------------------------------------------------------------


def test_record_then_replay_with_the_server_stopped_and_no_key(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    recorded = Architect(backend="openai").design(REQ)
    fake_openai.stop()
    monkeypatch.delenv("OPENAI_API_KEY")
    pieces: list[str] = []
    replayed = Architect(backend="openai").design(REQ, on_text=pieces.append)
    assert replayed.text == recorded.text and len(pieces) > 20 and replayed.complete
    assert replayed.usage is not None and recorded.usage is not None
    assert replayed.usage.requests == 0 and len(fake_openai.completions) == 1
    assert replayed.usage.input_tokens == recorded.usage.input_tokens
    assert replayed.usage.cost_usd == pytest.approx(recorded.usage.cost_usd)
    assert FAKE_OPENAI_KEY not in cassette.read_text()


def test_an_unrecorded_request_fails_with_its_fingerprint_and_nothing_is_sent(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "c.json"))
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    with pytest.raises(BackendError, match=r"no recorded answer for request [0-9a-f]{24}") as e:
        Architect(backend="openai").design(REQ)
    assert e.value.cause == "cassette" and "OPENAI_API_KEY" in str(e.value)
    assert fake_openai.requests == []


def test_a_changed_token_limit_is_not_served_a_stale_recording(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "c.json"))
    Architect(backend="openai").design(REQ)
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    assert Architect(backend="openai").design(REQ).complete  # the same request replays
    monkeypatch.setenv("PYT_ARCH_MAX_TOKENS", "2000")  # max_completion_tokens is in the id
    with pytest.raises(BackendError, match="no recorded answer"):
        Architect(backend="openai").design(REQ)
    assert len(fake_openai.completions) == 1


def test_a_length_finish_replays_as_the_same_incomplete_design(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(tmp_path / "c.json"))
    fake_openai.queue(Stream(TEXT[:500], stop_reason="length"))
    with pytest.raises(IncompleteDesignError):
        Architect(backend="openai").design(REQ)
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "replay")
    with pytest.raises(IncompleteDesignError) as info:
        Architect(backend="openai").design(REQ)
    assert info.value.cause == "max_tokens" and info.value.design.text == TEXT[:500]


# -- secrets -----------------------------------------------------------------------------------


def test_the_key_never_appears_in_output_reprs_cassettes_or_files(
    fake_openai: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx2's debug logs too
    key = "ollama-token-" + "0123456789abcdef" * 2  # not key-shaped: scrubbed by value
    monkeypatch.setenv("OPENAI_API_KEY", key)
    cassette = tmp_path / "c.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    monkeypatch.setenv("PYT_ARCH_CASSETTE_MODE", "record")
    fake_openai.queue(Echo(), Echo(), Status(401, "bad key", echo=True))
    assert main(OPENAI) == 0  # streamed live: the echoed key arrives split across chunks
    out = tmp_path / "d.json"
    assert main([*OPENAI, "--format", "json", "--out", str(out)]) == 0
    backend = OpenAIBackend(Settings.from_env(backend="openai"))
    with pytest.raises(BackendError) as info:
        Architect(backend=backend).design(REQ)
    assert fake_openai.completions[0].headers["authorization"] == f"Bearer {key}"
    assert MARKER in out.read_text()  # the key was really echoed, and scrubbed
    seen = [*capsys.readouterr(), cassette.read_text(), out.read_text(), str(info.value)]
    seen += [repr(info.value), repr(backend), repr(Settings.from_env(backend="openai"))]
    seen.append(caplog.text)
    for text in seen:
        assert key not in text and key[-16:] not in text and key[:16] not in text
