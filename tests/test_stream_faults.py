"""Nothing lost, nothing hangs: every way a model stream can fail, through the unmodified SDK.

Each fault is acted out by the fake Messages API on 127.0.0.1 (a connection dropped mid-chunk, a
stall, ``ping`` events trickled for ever, an event that is not JSON, ``event: error`` half-way,
text before ``message_start``, a 200 that is a web page). Whatever happens, the user gets one
:class:`BackendError` with a cause code and one line saying what to do; the text that arrived is
kept, marked incomplete, written where they asked (``--out``, the form's run, ``--as``) and shown
once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from pyt_arch_kit import Architect, BackendError, Design, IncompleteDesignError, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.backends.faults import DeadlineError, ProtocolError
from pyt_arch_kit.cli import main
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.widgets import RequirementsForm
from tests.fake_api import (
    Cut,
    DeltasFirst,
    ErrorEvent,
    FakeAnthropic,
    Fault,
    Hang,
    Hold,
    Malformed,
    NonJSON,
    RawSSE,
    Stall,
    Status,
    Stream,
    Trickle,
    design_text,
)

ROOT = Path(__file__).resolve().parents[1]
REQ = preset("io-bound-api")
TEXT = design_text("orders")
CLAUDE = ["design", "--preset", "io-bound-api", "--backend", "claude"]

# fault → the cause code the user gets
FAULTS: dict[str, tuple[Fault, str]] = {
    "cut mid-chunk": (Cut(), "cut"),
    "stall": (Stall(8.0), "timeout"),
    "malformed event": (Malformed(), "protocol"),
    "error event": (ErrorEvent(), "overloaded"),
    "deltas before message_start": (DeltasFirst(), "protocol"),
}


@pytest.fixture(autouse=True)
def _short_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole call's limit: short, yet long enough that a loaded machine still reaches the
    # fault (a cut, a bad event) before it; a stall outlasts it.
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "3")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "0")


def claude() -> Architect:
    return Architect(backend=ClaudeBackend(Settings.from_env()))


def faulty(fault: Fault) -> Stream:
    return Stream(TEXT, fault=fault, fault_after=0 if isinstance(fault, DeltasFirst) else 140)


@pytest.mark.parametrize("name", list(FAULTS))
def test_every_fault_is_one_backend_error_that_keeps_the_text(
    fake_api: FakeAnthropic, name: str
) -> None:
    fault, cause = FAULTS[name]
    fake_api.queue(faulty(fault))
    shown: list[str] = []
    with pytest.raises(BackendError) as info:
        claude().design(REQ, on_text=shown.append)
    error = info.value
    assert error.cause == cause
    assert "\n" not in str(error) and "Traceback" not in str(error)
    arrived = "".join(shown)
    assert arrived == error.partial_text
    assert TEXT.startswith(arrived)
    if arrived:
        assert isinstance(error, IncompleteDesignError)
        design = error.design
        assert isinstance(design, Design) and not design.complete
        assert design.text == arrived and "Incomplete design" in design.to_markdown()
        assert f"{len(arrived):,} characters that arrived are kept" in str(error)


def test_a_cut_mid_chunk_keeps_exactly_what_the_server_sent(fake_api: FakeAnthropic) -> None:
    fake_api.queue(faulty(Cut()))
    with pytest.raises(IncompleteDesignError) as info:
        claude().design(REQ)
    assert info.value.design.text == fake_api.sent_text[0] and len(fake_api.sent_text[0]) >= 140


def test_a_non_json_200_is_one_line_naming_the_base_url(fake_api: FakeAnthropic) -> None:
    fake_api.queue(NonJSON())
    with pytest.raises(BackendError) as info:
        claude().design(REQ)
    assert info.value.cause == "protocol"
    assert "text/html instead of an event stream" in str(info.value)
    assert "ANTHROPIC_BASE_URL" in str(info.value)


@pytest.mark.parametrize("body", [b"", b"<html>an event stream in name only</html>"])
def test_an_event_stream_with_no_message_is_a_protocol_error(
    fake_api: FakeAnthropic, body: bytes
) -> None:
    fake_api.queue(RawSSE(body))  # the SDK asserts when no message_start ever came
    with pytest.raises(BackendError) as info:
        claude().design(REQ)
    assert info.value.cause == "protocol" and "Messages protocol" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_error_event_mid_stream_is_honest_about_what_happened(
    fake_api: FakeAnthropic,
) -> None:
    fake_api.queue(faulty(ErrorEvent("overloaded_error", "Overloaded")))
    with pytest.raises(IncompleteDesignError) as info:
        claude().design(REQ)
    message = str(info.value)
    assert "overloaded_error" in message and "after 1 request " in message
    assert "(200)" not in message and "retries" not in message
    assert len(fake_api.messages) == 1


def test_retry_messages_count_the_requests_actually_sent(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "2")
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "60")  # room for the SDK's backoff
    fake_api.queue(Status(529, "Overloaded"), Status(529, "Overloaded"), Status(529, "Overloaded"))
    with pytest.raises(BackendError) as info:
        claude().design(REQ)
    assert info.value.cause == "overloaded"
    assert f"after {len(fake_api.messages)} requests" in str(info.value)
    assert len(fake_api.messages) == 3


@pytest.mark.timeout(60)
def test_a_server_trickling_pings_is_stopped_by_the_whole_request_deadline(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "2")
    fake_api.queue(Stream(TEXT, fault=Trickle(interval_s=0.2, count=100_000), fault_after=70))
    with pytest.raises(IncompleteDesignError) as info:
        claude().design(REQ)
    assert info.value.cause == "timeout"
    assert "PYT_ARCH_TIMEOUT_S=2 s" in str(info.value) and "whole request" in str(info.value)
    assert info.value.design.text == fake_api.sent_text[0]


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_gets_one_deadline_for_all_attempts(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each retry used to get the whole limit again (2 s x 3 attempts + backoff = 12 s) while
    # the message said 2 s: an attempt that would start after the deadline is not sent.
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "2")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "2")
    fake_api.queue(Hang(40), Hang(40), Hang(40))
    with pytest.raises(BackendError) as info:
        claude().design(REQ)
    assert info.value.cause == "timeout"
    assert "PYT_ARCH_TIMEOUT_S=2 s" in str(info.value) and "whole request" in str(info.value)
    assert len(fake_api.messages) == 1


def test_a_retry_after_past_the_deadline_is_the_rate_limit_now_not_a_timeout_later(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYT_ARCH_TIMEOUT_S", "2")
    monkeypatch.setenv("PYT_ARCH_MAX_RETRIES", "2")
    wait = {"retry-after-ms": "30000", "retry-after": "30"}
    fake_api.queue(Status(429, "slow down", headers=wait), Status(429, "slow down", headers=wait))
    with pytest.raises(BackendError) as info:
        claude().design(REQ)
    assert info.value.cause == "rate_limit" and "after 1 request" in str(info.value)
    assert len(fake_api.messages) == 1


@pytest.mark.parametrize(
    ("inner", "cause"),
    [
        (DeadlineError("the whole-request deadline passed"), "timeout"),
        (ProtocolError("the API sent text before message_start"), "protocol"),
        (ConnectionResetError(104, "Connection reset by peer"), "cut"),
    ],
)
def test_a_failure_is_classified_by_what_the_sdk_wrapped_not_by_the_wrapper(
    inner: Exception, cause: str
) -> None:
    # anthropic 2.17 wraps every failure to read the body in APIConnectionError; whatever the
    # next release wraps, or how deep, the cause chain says what happened.
    import anthropic
    import httpx2

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/messages")
    try:
        try:
            raise inner
        except Exception as err:
            raise anthropic.APIConnectionError(request=request) from err
    except anthropic.APIConnectionError as wrapped:
        error = ClaudeBackend(Settings.from_env()).explain(wrapped, chars=10, started=True)
    assert error.cause == cause and "\n" not in str(error)


STOP_REASONS = ("max_tokens", "refusal", "pause_turn", "tool_use", "model_context_window_exceeded")


@pytest.mark.parametrize("reason", [*STOP_REASONS, "brand_new_reason"])
def test_every_stop_reason_is_named_honestly(fake_api: FakeAnthropic, reason: str) -> None:
    fake_api.queue(Stream(TEXT[:200], stop_reason=reason))
    with pytest.raises(IncompleteDesignError) as info:
        claude().design(REQ)
    message = str(info.value)
    assert reason in message and "the connection ended" not in message
    assert info.value.cause == reason and info.value.design.stop_reason == reason


def test_a_refusal_says_the_model_declined(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream("I can't help with that.", stop_reason="refusal"))
    with pytest.raises(IncompleteDesignError, match="declined"):
        claude().design(REQ)


def test_a_negative_output_token_count_does_not_lower_the_cost(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(TEXT, output_tokens=-50_000))
    design = claude().design(REQ)
    usage = design.usage
    assert usage is not None and usage.output_tokens == 0
    floor = estimate_cost(
        design.model or "",
        usage.input_tokens,
        0,
        usage.cache_creation_input_tokens,
        usage.cache_read_input_tokens,
    )
    assert usage.cost_usd is not None and floor is not None and usage.cost_usd >= floor


def test_an_interrupt_while_streaming_keeps_the_text_and_is_still_an_interrupt(
    fake_api: FakeAnthropic,
) -> None:
    fake_api.queue(Stream(TEXT))
    shown: list[str] = []

    def on_text(piece: str) -> None:
        shown.append(piece)
        if len(shown) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        claude().design(REQ, on_text=on_text)
    error = info.value
    assert isinstance(error, IncompleteDesignError) and error.cause == "interrupted"
    assert error.design.text == "".join(shown) and not error.design.complete


# -- where the user asked for it ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(FAULTS))
def test_cli_writes_what_arrived_to_out_marked_incomplete(
    fake_api: FakeAnthropic, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    fault = FAULTS[name][0]
    fake_api.queue(faulty(fault))
    out = tmp_path / "design.md"
    assert main([*CLAUDE, "--out", str(out)]) == 3
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    errors = [ln for ln in captured.err.splitlines() if ln.startswith("pyt-arch: error")]
    assert len(errors) == 1
    if isinstance(fault, DeltasFirst):  # nothing valid arrived: no file is written
        assert not out.exists()
        return
    arrived = fake_api.sent_text[0]
    if arrived:
        written = out.read_text(encoding="utf-8")
        assert "Incomplete design" in written
        assert written.count(arrived.strip()) == 1
        assert "(incomplete)" in captured.err


@pytest.mark.parametrize("name", ["cut mid-chunk", "error event", "malformed event"])
def test_cli_shows_the_partial_text_once_when_streaming_live(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    fake_api.queue(faulty(FAULTS[name][0]))
    assert main(CLAUDE) == 3
    captured = capsys.readouterr()
    arrived = fake_api.sent_text[0]
    assert captured.out.count(arrived) == 1
    assert "Incomplete design" in captured.out
    assert "Traceback" not in captured.err and captured.err.count("pyt-arch: error") == 1


def test_cli_checks_out_before_spending_a_request(
    fake_api: FakeAnthropic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "design.md"
    out.write_text("keep me")
    assert main([*CLAUDE, "--out", str(out)]) == 2
    assert fake_api.messages == [] and out.read_text() == "keep me"
    assert "--force" in capsys.readouterr().err


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "pyt_arch_kit")
    yield ip


@pytest.mark.parametrize("name", ["cut mid-chunk", "error event", "malformed event", "stall"])
def test_the_magic_keeps_what_arrived_in_its_variable(
    fake_api: FakeAnthropic, shell: InteractiveShell, name: str
) -> None:
    fake_api.queue(faulty(FAULTS[name][0]))
    shell.user_ns.pop("partial", None)
    with capture_output() as captured:
        shell.run_line_magic("architect", "--preset io-bound-api --backend claude --as partial")
    design = shell.user_ns.get("partial")
    assert isinstance(design, Design) and not design.complete
    assert design.text == fake_api.sent_text[0]
    assert "Traceback" not in captured.stderr + captured.stdout
    assert captured.stderr.count("pyt-arch: ") == 1
    shown = [o.data["text/markdown"] for o in captured.outputs if "text/markdown" in o.data]
    assert shown[-1] == design.to_markdown()
    assert shown[-1].count(design.text.strip()) == 1


@pytest.mark.parametrize("name", ["cut mid-chunk", "error event", "malformed event"])
def test_the_form_keeps_what_arrived_in_its_run(fake_api: FakeAnthropic, name: str) -> None:
    fake_api.queue(faulty(FAULTS[name][0]))
    form = RequirementsForm("io-bound-api", backend="claude")
    run = form.run()
    assert run.state == "incomplete"
    assert run.design is not None and run.design.text == fake_api.sent_text[0]
    assert run.text == fake_api.sent_text[0]
    assert "unexpected" not in run.error and "\n" not in run.error


# -- Ctrl-C and closed pipes, in a real process ---------------------------------------------


def _child_env(fake_api: FakeAnthropic) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYT_ARCH_")}
    env.update(
        ANTHROPIC_BASE_URL=fake_api.base_url,
        ANTHROPIC_API_KEY=os.environ["ANTHROPIC_API_KEY"],
        PYT_ARCH_TIMEOUT_S="60",
        PYT_ARCH_MAX_RETRIES="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def _interruptible() -> None:
    """In the child, before exec: Ctrl-C at its default, whatever the test runner set (a child
    inherits an ignored SIGINT, and Python then never turns it into KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_until_read(pid: int, port: int) -> None:
    """Wait until the child has read every byte sent on its connection from ``port`` and sleeps
    waiting for more: the deterministic point to interrupt it at (the server holds the answer).

    Linux shows each socket's unread bytes in ``/proc/net/tcp`` and each process's state in
    ``/proc/PID/stat``; elsewhere this falls back to a pause.
    """
    tcp = Path("/proc/net/tcp")
    if not tcp.exists():
        time.sleep(2)
        return
    local = f"0100007F:{port:04X}"
    calm = 0
    for _ in range(1200):  # 60 s at most
        unread = [
            int(fields[4].split(":")[1], 16)
            for fields in (line.split() for line in tcp.read_text().splitlines()[1:])
            if fields[1] == local
        ]
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        calm = calm + 1 if unread == [0] and state == "S" else 0
        if calm == 3:
            return
        time.sleep(0.05)
    raise AssertionError("the child never read what the server sent")


@pytest.mark.timeout(120)
def test_ctrl_c_while_streaming_writes_what_arrived_to_out_and_exits_130(
    fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    fake_api.queue(Stream(TEXT, fault=Hold(90), fault_after=210))
    out = tmp_path / "design.md"
    child = subprocess.Popen(
        [sys.executable, "-m", "pyt_arch_kit", *CLAUDE, "--out", str(out)],
        env=_child_env(fake_api),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    assert fake_api.stalling.wait(60), "the answer never started"
    _wait_until_read(child.pid, fake_api.held_port)
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    written = out.read_text(encoding="utf-8")
    assert "Incomplete design" in written and fake_api.sent_text[0].strip() in written


@pytest.mark.timeout(120)
def test_a_closed_pipe_while_streaming_is_quiet(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(TEXT * 20))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte (like `| head -c 0`)
    try:
        child = subprocess.run(
            [sys.executable, "-m", "pyt_arch_kit", *CLAUDE],
            env=_child_env(fake_api),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=90,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in child.stderr and "Exception ignored" not in child.stderr
    assert child.returncode == 141, child.stderr


def test_a_full_disk_on_stdout_is_one_line(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Full:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert main(CLAUDE) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "--out" in err
