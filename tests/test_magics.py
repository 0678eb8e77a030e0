"""The %%architect cell magic in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output

from pyt_arch_kit import Design, Plan, preset
from tests.fake_api import FakeAnthropic, Status


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "pyt_arch_kit")
    yield ip


def _run(shell: InteractiveShell, line: str, body: str = "") -> CapturedIO:
    with capture_output() as captured:
        if body:
            shell.run_cell_magic("architect", line, body)
        else:  # IPython refuses an empty cell body: the one-line form serves then
            shell.run_line_magic("architect", line)
    return captured


def _markdown(captured: CapturedIO) -> str:
    found: list[Any] = [
        o.data["text/markdown"] for o in captured.outputs if "text/markdown" in o.data
    ]
    return found[-1] if found else ""


def test_a_preset_cell_shows_the_whole_design(shell: InteractiveShell) -> None:
    captured = _run(shell, "--preset io-bound-api --as design")
    design = shell.user_ns["design"]
    assert isinstance(design, Design) and design.complete
    shown = _markdown(captured)
    assert shown == design.to_markdown()
    assert "```mermaid" in shown and "## Risks and Mitigations" in shown
    assert captured.stderr == ""


def test_the_body_overrides_the_preset(shell: InteractiveShell) -> None:
    _run(shell, "--preset io-bound-api --as bigger", "scale: {peak_rps: 8000}\n")
    design = shell.user_ns["bigger"]
    assert design.plan.requirements.scale.peak_rps == 8000
    assert design.plan.requirements.latency == preset("io-bound-api").latency


def test_a_yaml_body_alone_is_enough(shell: InteractiveShell) -> None:
    body = "name: tiny-api\nscale: {peak_rps: 30}\nlatency: {p99_ms: 300}\n"
    _run(shell, "--plan --as p", body)
    assert isinstance(shell.user_ns["p"], Plan)
    assert shell.user_ns["p"].requirements.name == "tiny-api"


@pytest.mark.parametrize(
    ("line", "body", "says"),
    [
        ("", "", "the cell is empty"),
        ("--preset no-such-thing", "", "no-such-thing"),
        ("--backend carrier-pigeon --preset io-bound-api", "", "carrier-pigeon"),
        ("--bogus", "", "unrecognized arguments: --bogus"),
        ("", "scale: {peak_rps: [", "line 1, column"),
        ("", "- just\n- a list\n", "expected a mapping of sections"),
        ("", "latency: {p50_ms: 300, p99_ms: 100}", "latency.p99_ms"),
        ("", "scale: {peak_rsp: 10}", "peak_rsp"),
        ("--preset 'io-bound-api", "", "No closing quotation in the options"),
        ("--preset io-bound-api --as 'a b'", "", "is not a Python name"),
    ],
)
def test_mistakes_give_one_line_and_no_traceback(
    shell: InteractiveShell, line: str, body: str, says: str
) -> None:
    captured = _run(shell, line, body)
    assert says in captured.stderr
    assert "Traceback" not in captured.stderr + captured.stdout
    assert captured.stderr.startswith("pyt-arch: ")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("__builtins__", "is a special (dunder) name"),
        ("__name__", "is a special (dunder) name"),
        ("print", "is a Python builtin"),
        ("len", "is a Python builtin"),
        ("class", "is a Python keyword"),
        ("match", "is a Python keyword"),
        ("_", "is one of IPython's own names"),
        ("Out", "is one of IPython's own names"),
        ("get_ipython", "is one of IPython's own names"),
        ("_i3", "is one of IPython's own names"),
        ("a-b", "is not a Python name"),
    ],
)
def test_as_refuses_names_that_would_replace_pythons_or_ipythons_own(
    shell: InteractiveShell, name: str, says: str
) -> None:
    before = {k: shell.user_ns.get(k) for k in (name, "__builtins__")}
    captured = _run(shell, f"--preset io-bound-api --plan --as {name}")
    assert captured.stderr.count("\n") == 1 and says in captured.stderr
    assert "Traceback" not in captured.stderr
    assert {k: shell.user_ns.get(k) for k in before} == before
    assert not isinstance(shell.user_ns.get(name), Plan)


def test_as_takes_a_plain_private_name(shell: InteractiveShell) -> None:
    _run(shell, "--preset io-bound-api --plan --as _plan2")
    assert isinstance(shell.user_ns["_plan2"], Plan)


def test_help_lists_the_options(shell: InteractiveShell) -> None:
    captured = _run(shell, "--help")
    for option in ("--preset", "--backend", "--model", "--as", "--plan"):
        assert option in captured.stdout


def test_claude_backend_streams_through_the_magic(
    shell: InteractiveShell, fake_api: FakeAnthropic
) -> None:
    captured = _run(shell, "--preset io-bound-api --backend claude --as answer")
    design = shell.user_ns["answer"]
    assert design.backend == "claude" and design.complete
    assert _markdown(captured) == design.to_markdown()
    assert len(fake_api.messages) == 1


def test_a_failed_design_replaces_designing_with_the_outcome(
    shell: InteractiveShell, fake_api: FakeAnthropic
) -> None:
    fake_api.queue(Status(400, "bad request"))
    captured = _run(shell, "--preset io-bound-api --backend claude --as failed_answer")
    assert "400" in captured.stderr
    shown = _markdown(captured)
    assert "designing" not in shown and "no design" in shown
