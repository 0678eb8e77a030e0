"""Isolation: two forms in one kernel share nothing, and concurrent designs never mix.

A notebook can hold several forms, and a user can start a design in one while another streams.
Each form keeps its own fields, problems, backend, key and runs; two designs running at the same
time (offline, or Claude through the real SDK to the fake API) keep their own text and usage.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pyt_arch_kit import Architect, Design, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.widgets import RequirementsForm
from tests.fake_api import FakeAnthropic, Stream, _tokens, design_text

FAKE_KEY_TYPED = "sk-ant-fake03-typed-into-form-a-0123456789abcdef"


def run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Start every job at the same moment in its own thread; return results in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def work(i: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # reported below, with the job's index
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


# -- two forms ------------------------------------------------------------------------------


def test_editing_one_form_leaves_the_other_unchanged() -> None:
    a, b = RequirementsForm("io-bound-api"), RequirementsForm("io-bound-api")
    a.fields["scale.peak_rps"].widget.value = 5000
    a.fields["infrastructure.must_use"].widget.value = ["redis"]
    b.fields["infrastructure.existing_services"].widget.value = ["kafka"]
    assert a.requirements.scale.peak_rps == 5000
    assert b.requirements.scale.peak_rps == 2000
    assert a.requirements.infrastructure.must_use == ["redis"]
    assert b.requirements.infrastructure.must_use == []
    assert "kafka" not in a.requirements.infrastructure.existing_services
    assert b.requirements.infrastructure.existing_services == ["kafka"]
    assert RequirementsForm().requirements.infrastructure.must_use == []  # no shared default


def test_a_problem_in_one_form_is_not_shown_in_the_other() -> None:
    a, b = RequirementsForm("io-bound-api"), RequirementsForm("io-bound-api")
    a.fields["latency.p99_ms"].widget.value = 1.0  # below p50: invalid
    assert any(path == "latency.p99_ms" for path, _ in a.problems)
    assert b.problems == [] and b.requirements.latency.p99_ms == 200
    assert not b.runner.design_button.disabled and a.runner.design_button.disabled


def test_backend_and_key_belong_to_one_form() -> None:
    a, b = RequirementsForm(), RequirementsForm()
    a.runner.backend.value = "claude"
    a.runner.key.value = FAKE_KEY_TYPED
    assert a.runner.has_key and not b.runner.has_key
    assert b.runner.backend.value == "offline"
    assert a.runner.key.value == "" and FAKE_KEY_TYPED not in repr(a) + repr(b)


def test_runs_are_kept_per_form() -> None:
    a, b = RequirementsForm("io-bound-api"), RequirementsForm("cpu-inference")
    first = a.run()
    b.run()
    a.fields["scale.peak_rps"].widget.value = 20_000
    second = a.run()
    assert len(a.runs) == 2 and len(b.runs) == 1
    assert a.runs is not b.runs
    assert [r.requirements.scale.peak_rps for r in a.runs] == [2000, 20_000]
    assert first.design is not None and second.design is not None
    assert first.design.text != second.design.text
    assert b.runs[0].requirements == preset("cpu-inference")


def test_two_forms_running_at_once_show_their_own_design() -> None:
    a, b = RequirementsForm("payments-ledger"), RequirementsForm("big-data-pipeline")
    run_a, run_b = run_together(a.run, b.run)
    expected_a = Architect().design(preset("payments-ledger")).text
    expected_b = Architect().design(preset("big-data-pipeline")).text
    assert run_a.design.text == expected_a and run_b.design.text == expected_b
    assert a.runner.stream.text == expected_a and b.runner.stream.text == expected_b
    assert a.runs == [run_a] and b.runs == [run_b]


# -- concurrent designs ---------------------------------------------------------------------

PRESETS = ["io-bound-api", "payments-ledger", "grpc-internal", "big-data-pipeline"]


def streamed_design(architect: Architect, name: str) -> tuple[Design, str]:
    pieces: list[str] = []
    design = architect.design(preset(name), on_text=pieces.append)
    return design, "".join(pieces)


@pytest.mark.parametrize("shared", [True, False], ids=["one-architect", "one-each"])
def test_concurrent_offline_designs_keep_their_own_text(shared: bool) -> None:
    expected = {name: Architect().design(preset(name)).text for name in PRESETS}
    one = Architect()
    for _ in range(3):
        results = run_together(
            *[
                (lambda n=name: streamed_design(one if shared else Architect(), n))
                for name in PRESETS
            ]
        )
        for name, (design, streamed) in zip(PRESETS, results, strict=True):
            assert design.text == expected[name] == streamed, name
            assert design.title == preset(name).name


def answer(name: str, words: int) -> str:
    """A distinct, complete answer whose length (and so output tokens) differs per design."""
    return design_text(name) + f"\nThis design is for {name}. " + "detail " * words


@pytest.mark.parametrize("shared", [True, False], ids=["one-architect", "one-each"])
def test_concurrent_claude_designs_keep_their_own_text_and_usage(
    fake_api: FakeAnthropic, shared: bool
) -> None:
    names = ["io-bound-api", "payments-ledger", "cpu-inference"]
    replies = [answer(f"reply-{i}", 300 * (i + 1)) for i in range(len(names))]
    fake_api.queue(*[Stream(text, chunk=3) for text in replies])  # ~1,000+ events each
    one = Architect(backend=ClaudeBackend(Settings.from_env()))

    def job(name: str) -> tuple[Design, str]:
        arch = one if shared else Architect(backend=ClaudeBackend(Settings.from_env()))
        return streamed_design(arch, name)

    results = run_together(*[(lambda n=name: job(n)) for name in names])

    # The server answered request i with replies[i]; pair each design with its request.
    assert len(fake_api.messages) == len(names)
    for received, reply in zip(fake_api.messages, replies, strict=True):
        design, streamed = next((d, s) for d, s in results if d.text == reply)
        assert streamed == reply  # what the user watched is that design's own text
        user_turn = json.dumps(received.body["messages"])
        assert design.title in user_turn  # the answer went back to the thread that asked
        usage = design.usage
        assert usage is not None
        assert usage.output_tokens == _tokens(reply)
        system = received.body["system"]
        plain = "".join(b["text"] for b in system if not b.get("cache_control"))
        assert usage.input_tokens == _tokens(plain + user_turn)
    assert sorted(d.title for d, _ in results) == sorted(preset(n).name for n in names)


def test_concurrent_designs_on_one_architect_count_only_their_own_requests(
    fake_api: FakeAnthropic,
) -> None:
    names = ["io-bound-api", "payments-ledger", "cpu-inference"]
    fake_api.queue(*[Stream(answer(n, 600), chunk=3) for n in names])
    one = Architect(backend=ClaudeBackend(Settings.from_env()))
    results = run_together(*[(lambda n=name: streamed_design(one, n)) for name in names])
    assert len(fake_api.messages) == len(names)  # one request each, no retries
    assert [d.usage.requests for d, _ in results if d.usage] == [1, 1, 1]
