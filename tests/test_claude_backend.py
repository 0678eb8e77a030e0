"""The Claude backend through the unmodified SDK over real HTTP to the fake API on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pyt_arch_kit import (
    SECTIONS,
    Architect,
    BackendError,
    IncompleteDesignError,
    SettingsError,
    preset,
)
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cli import main
from pyt_arch_kit.settings import Secret, Settings
from tests.fake_api import FAKE_KEY, FakeAnthropic, Hang, Status, Stream, design_text

REQ = preset("io-bound-api")


def claude(**kwargs: object) -> Architect:
    return Architect(backend=ClaudeBackend(Settings.from_env(), **kwargs))  # type: ignore[arg-type]


def test_full_stream_becomes_a_six_section_design(fake_api: FakeAnthropic) -> None:
    pieces: list[str] = []
    design = claude().design(REQ, on_text=pieces.append)
    assert len(pieces) > 20  # many small deltas, shown as they arrive
    assert "".join(pieces) == design.text == fake_api.sent_text[0]
    assert design.complete and design.stop_reason == "end_turn"
    assert list(design.sections) == list(SECTIONS)
    assert design.backend == "claude" and design.usage is not None
    assert design.usage.requests == 1


def test_request_carries_cached_persona_resolved_model_and_plan_figures(
    fake_api: FakeAnthropic,
) -> None:
    arch = claude()
    arch.design(REQ)
    (sent,) = fake_api.messages
    system = sent.body["system"]
    assert system[0]["text"] == arch.persona.prompt
    assert system[0]["cache_control"] == {"type": "ephemeral"}
    assert sent.body["model"] == "claude-sonnet-5-5"  # persona's `sonnet` through the aliases
    assert sent.body["stream"] is True
    user = sent.body["messages"][0]["content"]
    plan = arch.plan(REQ)
    assert "L = λ · W" in user and plan.figure("in_flight").show() in user
    assert all(s in user for s in SECTIONS)


def test_model_option_overrides_the_persona_alias(fake_api: FakeAnthropic) -> None:
    claude(model="opus").design(REQ)
    assert fake_api.messages[0].body["model"] == "claude-opus-5-5"


def test_repeated_design_reads_the_persona_from_the_prompt_cache(
    fake_api: FakeAnthropic,
) -> None:
    arch = claude()
    first, second = arch.design(REQ), arch.design(REQ)
    assert first.usage and second.usage
    assert first.usage.cache_creation_input_tokens > 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cost_usd is not None and first.usage.cost_usd is not None
    assert second.usage.cost_usd < first.usage.cost_usd


def test_overloaded_then_success_is_retried_by_the_sdk(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Status(529, "Overloaded"), Stream(design_text()))
    design = claude().design(REQ)
    assert design.complete
    assert len(fake_api.messages) == 2
    assert design.usage is not None and design.usage.requests == 2
    assert fake_api.messages[1].headers["x-stainless-retry-count"] == "1"


def test_rate_limit_with_retry_after_is_retried(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Status(429, "slow down", {"retry-after": "0"}), Stream(design_text()))
    assert claude().design(REQ).complete
    assert len(fake_api.messages) == 2


def test_rate_limit_that_persists_says_so_in_one_line(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "1")
    fake_api.queue(Status(429, "slow down"), Status(429, "slow down"))
    with pytest.raises(BackendError) as exc:
        claude().design(REQ)
    assert exc.value.cause == "rate_limit" and "after 2 requests" in str(exc.value)
    assert len(fake_api.messages) == 2


@pytest.mark.parametrize(
    ("code", "cause", "words"),
    [
        (401, "auth", "API key was rejected"),
        (403, "permission", "may not use this model"),
        (400, "bad_request", "max_tokens: too large"),
    ],
)
def test_client_errors_give_one_clear_line(
    fake_api: FakeAnthropic, code: int, cause: str, words: str
) -> None:
    fake_api.queue(Status(code, "max_tokens: too large" if code == 400 else "no"))
    with pytest.raises(BackendError) as exc:
        claude().design(REQ)
    assert exc.value.cause == cause and words in str(exc.value)
    assert "\n" not in str(exc.value) and FAKE_KEY not in str(exc.value)
    assert len(fake_api.messages) == 1  # not retried


def test_timeout_names_the_setting_to_raise(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "1")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")
    fake_api.queue(Hang(2.5), Stream(design_text()))
    with pytest.raises(BackendError) as exc:
        claude().design(REQ)
    assert exc.value.cause == "timeout" and "PYT_ARCH_TIMEOUT_S" in str(exc.value)


def test_cut_stream_keeps_partial_text_and_is_marked_incomplete(
    fake_api: FakeAnthropic,
) -> None:
    fake_api.queue(Stream(design_text(), cut_after=200))
    with pytest.raises(IncompleteDesignError) as exc:
        claude().design(REQ)
    design = exc.value.design
    assert not design.complete and design.stop_reason is None
    assert design.text == fake_api.sent_text[0] and len(design.text) == 200
    assert "Incomplete design" in design.to_markdown()


def test_max_tokens_is_reported_with_the_setting_to_raise(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(design_text()[:300], stop_reason="max_tokens"))
    with pytest.raises(IncompleteDesignError, match="PYT_ARCH_MAX_TOKENS") as exc:
        claude().design(REQ)
    assert exc.value.design.stop_reason == "max_tokens"
    assert exc.value.design.missing_sections


def test_missing_sections_are_reported_not_hidden(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream("## Executive Summary\n\nShort answer.\n"))
    design = claude().design(REQ)
    assert design.complete and "System Diagram" in design.missing_sections
    assert "lacks these sections" in design.to_markdown()


def test_no_key_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendError, match="set ANTHROPIC_API_KEY") as exc:
        Architect(backend="claude").design(REQ)
    assert exc.value.cause == "no_key"


def test_refine_continues_the_conversation_with_the_cached_persona(
    fake_api: FakeAnthropic,
) -> None:
    arch = claude()
    first = arch.design(REQ)
    fake_api.queue(Stream("At 10x the load, add instances."))
    answer = arch.refine(first, "What changes at 10x the load?")
    sent = fake_api.messages[-1].body
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][1]["content"] == first.text
    assert sent["messages"][2]["content"] == "What changes at 10x the load?"
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert answer.text == "At 10x the load, add instances."
    assert answer.usage is not None and answer.usage.cache_read_input_tokens > 0


def test_non_streaming_sdk_call_works_against_the_same_server(fake_api: FakeAnthropic) -> None:
    import anthropic

    client = anthropic.Anthropic()
    message = client.messages.create(
        model="claude-haiku-5-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.stop_reason == "end_turn" and message.content[0].type == "text"


def test_cli_streams_claude_design_and_exits_3_on_a_cut(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["design", "--preset", "io-bound-api", "--backend", "claude"]) == 0
    assert "## Risks and Mitigations" in capsys.readouterr().out
    fake_api.queue(Stream(design_text(), cut_after=120))
    assert main(["design", "--preset", "io-bound-api", "--backend", "claude"]) == 3
    captured = capsys.readouterr()
    assert fake_api.sent_text[-1] in captured.out and "Incomplete design" in captured.out
    assert "Traceback" not in captured.err


def test_cli_backend_failure_exits_3_in_one_line(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.queue(Status(401, "invalid x-api-key"))
    assert main(["design", "--preset", "io-bound-api", "--backend", "claude"]) == 3
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "API key was rejected" in err


def test_key_never_appears_in_output_logs_reprs_or_files(
    fake_api: FakeAnthropic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cassette = tmp_path / "cassette.json"
    monkeypatch.setenv("PYT_ARCH_CASSETTE", str(cassette))
    backend = ClaudeBackend(Settings.from_env())
    design = Architect(backend=backend).design(REQ)
    out_file = tmp_path / "d.json"
    main(
        [
            "design",
            "--preset",
            "io-bound-api",
            "--backend",
            "claude",
            "--format",
            "json",
            "--out",
            str(out_file),
        ]
    )
    fake_api.queue(Status(401, "bad key"))
    with pytest.raises(BackendError) as exc:
        Architect(backend=ClaudeBackend(Settings.from_env(), model="haiku")).design(REQ)
    seen = [
        repr(backend),
        str(backend.settings),
        repr(Settings.from_env()),
        design.to_json(),
        cassette.read_text(),
        out_file.read_text(),
        str(exc.value),
        repr(exc.value),
        caplog.text,
        *capsys.readouterr(),
    ]
    for text in seen:
        assert FAKE_KEY not in text
        assert FAKE_KEY[-12:] not in text


def test_secret_hides_itself() -> None:
    s = Secret("sk-ant-api03-abc")
    assert "abc" not in repr(s) and "abc" not in str(s) and "abc" not in f"{s}"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(s)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PYT_ARCH_MAX_TOKENS", "lots"),
        ("PYT_ARCH_TIMEOUT_S", "-1"),
        ("PYT_ARCH_MAX_RETRIES", "99"),
        ("PYT_ARCH_CASSETTE_MODE", "sometimes"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:1:1", "http://[::1", "http://me:hunter2@[::1", "127.0.0.1:8080", "http://"],
)
def test_a_malformed_base_url_is_one_line_naming_the_variable_and_exit_2(
    fake_api: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    assert main(["design", "--preset", "io-bound-api", "--backend", "claude"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("pyt-arch: error: ANTHROPIC_BASE_URL=") and "e.g. http://" in err
    assert "hunter2" not in err and fake_api.requests == []
