"""The verdict where users meet it: a Claude design over real HTTP, the CLI, the workbench."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, RequirementsForm, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cli import main
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.verify.mermaid import NodeMermaid
from tests.fake_api import FakeAnthropic, Stream

REQ = preset("io-bound-api")  # the plan: pool_size 2, max_overflow 1; FastAPI, PostgreSQL
POOL = "pool_size: int = 2  # connections per worker"
RETRIES = "import asyncio\nimport random\n"


def model_answer() -> str:
    """A model's design for REQ with a wrong pool size and an import outside its stack."""
    text = Architect().design(REQ).text
    assert POOL in text and RETRIES in text
    text = text.replace(POOL, "pool_size: int = 12  # connections per worker")
    return text.replace(RETRIES, RETRIES + "\nimport requests\n")


EXPECTED = [
    "python: Implementation Guidelines, python block 5: imports requests, which is neither in "
    "the standard library nor in the Technology Stack",
    "figures: Implementation Guidelines: “pool_size: int = 12” quotes pool size per process as 12; "
    "the plan's is 2",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_claude_design_with_a_wrong_pool_and_a_stray_import_gets_exactly_those_problems(
    fake_api: FakeAnthropic, mermaid: NodeMermaid
) -> None:
    fake_api.queue(Stream(model_answer()))
    architect = Architect(backend=ClaudeBackend(Settings.from_env()))
    design = architect.design(REQ)
    assert design.backend == "claude" and design.plan is not None
    verdict = design.verify(diagrams=mermaid)
    assert [str(p) for p in verdict] == EXPECTED
    assert verdict.check("diagram").status == "passed"  # mermaid parsed the model's diagram


def test_the_cli_prints_the_verdict_of_a_claude_design_on_stderr(
    fake_api: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.queue(Stream(model_answer()))
    code, out, err = run(capsys, "design", "--preset", "io-bound-api", "--backend", "claude")
    assert code == 0
    assert "pool_size: int = 12" in out and "pyt-arch: verify" not in out  # stdout stays the design
    (line,) = [ln for ln in err.splitlines() if ln.startswith("pyt-arch: verify: ")]
    assert line.startswith("pyt-arch: verify: 2 problems (python 1, figures 1); first: python:")


def _cli(state: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``pyt-arch`` in a fresh process (the diagram parser remembers diagrams per process)."""
    return subprocess.run(
        [sys.executable, "-m", "pyt_arch_kit", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYT_ARCH_STATE_DIR": str(state), **env},
        timeout=120,
    )


def test_a_clean_offline_design_leaves_stderr_empty(mermaid: NodeMermaid, tmp_path: Path) -> None:
    done = _cli(tmp_path, "design", "--preset", "payments-ledger")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == Architect().design(preset("payments-ledger")).to_markdown()


def test_verbose_prints_the_passing_verdict(
    mermaid: NodeMermaid, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "design", "--preset", "payments-ledger", "--verbose")
    assert code == 0 and err == "pyt-arch: verify: ok: 5 of 5 checks passed\n"


def test_a_diagram_check_that_cannot_run_is_said_once_per_machine(tmp_path: Path) -> None:
    no_mermaid = {"PYT_ARCH_NODE_MODULES": str(tmp_path / "no-node-modules")}
    first = _cli(tmp_path, "design", "--preset", "io-bound-api", **no_mermaid)
    assert first.returncode == 0 and first.stderr.startswith(
        "pyt-arch: verify: ok: 4 of 5 checks passed; diagram syntax not checked"
    )
    assert first.stderr.endswith(
        "(said once on this machine; --verbose prints the verdict every time)\n"
    )
    again = _cli(tmp_path, "design", "--preset", "io-bound-api", **no_mermaid)
    assert again.returncode == 0 and again.stdout == first.stdout and again.stderr == ""
    verbose = _cli(tmp_path, "design", "--preset", "io-bound-api", "--verbose", **no_mermaid)
    assert verbose.stderr.startswith("pyt-arch: verify: ok: 4 of 5 checks passed; diagram syntax")


# -- pyt-arch verify ---------------------------------------------------------------------------


def test_verify_a_saved_json_design_passes_with_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "design.json"
    assert (
        main(["design", "--preset", "io-bound-api", "--format", "json", "--out", str(saved)]) == 0
    )
    capsys.readouterr()
    code, out, _ = run(capsys, "verify", str(saved))
    assert code == 0, out
    assert out.startswith(f"{saved}: verified\n")
    assert "ok   figures" in out and "ok   diagram" in out


def test_verify_a_model_design_exits_4_and_lists_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "answer.md"
    saved.write_text("# orders-api\n\n" + model_answer(), encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(saved))
    assert code == 4  # no plan in Markdown: only the import is found ...
    assert out.count("\n  - ") == 1 and "imports requests" in out
    assert "figures not checked (no plan" in out
    code, out, _ = run(capsys, "verify", str(saved), "--preset", "io-bound-api", "--format", "json")
    assert code == 4  # ... with its requirements, the pool size too
    data = json.loads(out)
    assert [f"{p['check']}: {p['where']}: {p['message']}" for p in data["problems"]] == EXPECTED


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b'{"title": "x"', "not valid JSON"),
        (b'{"title": "x"}', '"text" field'),
        (b"  \n", "empty"),
    ],
)
def test_verify_an_unreadable_file_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, named: str
) -> None:
    path = tmp_path / ("design.json" if content and content.startswith(b"{") else "design.md")
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capsys, "verify", str(path))
    assert code == 2 and out == ""
    assert err.startswith("pyt-arch: error: ") and named in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_verify_a_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "verify", str(tmp_path))
    assert code == 2 and "is a directory" in err and len(err.strip().splitlines()) == 1


@pytest.mark.timeout(60)  # a read that waited for the FIFO's writer would hang here
def test_verify_a_fifo_exits_2_without_waiting_for_a_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "design.md"
    os.mkfifo(fifo)
    code, out, err = run(capsys, "verify", str(fifo))
    assert code == 2 and out == ""
    assert "FIFO" in err and len(err.strip().splitlines()) == 1, err


def test_verify_shows_a_hostile_file_name_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil\n\x1b[31mdesign.md"
    code, _, err = run(capsys, "verify", str(path))
    assert code == 2 and "\x1b" not in err and len(err.strip().splitlines()) == 1, err


def test_strict_fails_when_mermaid_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = Architect().design(preset("io-bound-api")).to_markdown()
    saved = tmp_path / "design.md"  # a diagram no earlier test parsed (results are remembered)
    saved.write_text(text.replace("flowchart LR\n", f"flowchart LR\n%% {tmp_path}\n"), "utf-8")
    monkeypatch.setenv("PYT_ARCH_NODE_MODULES", str(tmp_path / "node_modules"))  # none there
    code, out, _ = run(capsys, "verify", str(saved), "--preset", "io-bound-api")
    assert code == 0 and "diagram syntax not checked (node/mermaid unavailable" in out
    code, out, _ = run(capsys, "verify", str(saved), "--preset", "io-bound-api", "--strict")
    assert code == 4
    # A partial verdict never says "verified" (it did, then exited 4).
    assert "verified" not in out
    assert out.startswith(f"{saved}: no problems found, 1 of 5 not checked\n")


@pytest.mark.parametrize(
    ("old", "new", "quoted"),
    [
        ("running **5 instance(s) × 4 cores**", "running **fifty instance(s) × 4 cores**", 50),
        ("running **5 instance(s) × 4 cores**", "running **forty-two instances × 4 cores**", 42),
        (
            "running **5 instance(s) × 4 cores**",
            "running **5 instance(s) × 4 cores** (fifty instance(s) at peak)",
            50,
        ),
    ],
)
def test_a_wrong_instance_count_in_words_or_beside_the_zones_is_caught(
    old: str, new: str, quoted: int
) -> None:
    design = Architect().design(preset("io-bound-api"))
    assert design.plan is not None and design.plan.capacity.instances == 5
    text = design.text.replace(old, new)
    assert text != design.text
    verdict = type(design)(title=design.title, text=text, plan=design.plan).verify()
    assert not verdict.ok
    assert [(q.figure, q.quoted) for q in verdict.quotes if not q.ok] == [
        ("application instances", quoted)
    ]


def test_the_components_verdict_says_what_it_checked() -> None:
    detail = Architect().design(preset("io-bound-api")).verify().check("components").detail
    assert "summary, diagram and stack name the plan's" in detail
    assert "rivals the summary mentions" in detail and "no others" not in detail


def test_verify_in_a_real_subprocess(tmp_path: Path) -> None:
    saved = tmp_path / "design.md"
    saved.write_text(Architect().design(preset("io-bound-api")).to_markdown(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pyt_arch_kit", "verify", str(saved), "--preset", "io-bound-api"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   diagram    1 mermaid block, parsed by mermaid" in done.stdout


# -- the workbench ---------------------------------------------------------------------------


def test_the_workbench_shows_the_verdict_after_a_run() -> None:
    form = RequirementsForm("io-bound-api")
    run_ = form.run()
    assert run_.verification is not None and run_.verification.ok
    assert run_.verification.unchecked or "verified ✓" in form.runner.status.value
    assert "✓" in form.runner.status.value


def test_the_workbench_lists_the_problems_of_a_claude_design(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Stream(model_answer()))
    form = RequirementsForm("io-bound-api", backend="claude")
    run_ = form.run()
    assert run_.state == "done", run_.error
    assert run_.verification is not None and [str(p) for p in run_.verification] == EXPECTED
    status = form.runner.status.value
    assert "verify: 2 problems" in status and "pool_size: int = 12" in status


# -- the docs --------------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "verify.md"


def test_the_guides_example_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    exec(compile(code, str(GUIDE), "exec"), {})
    assert capsys.readouterr().out == "ok: 5 of 5 checks passed\n"


def test_verify_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: pyt-arch verify" in out and "--strict" in out


def test_no_verify_leaves_stderr_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "design", "--preset", "io-bound-api", "--no-verify")
    assert code == 0 and out.startswith("# orders-api") and err == ""
