"""Exports: Markdown/JSON by suffix, atomic, never clobbering, keeping incomplete work, no keys."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, Design, PytArchError, SettingsError, preset
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cli import main
from pyt_arch_kit.errors import ExportError, IncompleteDesignError
from pyt_arch_kit.exports import export_design, export_runs
from pyt_arch_kit.planning import plan
from pyt_arch_kit.redaction import MARKER
from pyt_arch_kit.settings import Settings
from pyt_arch_kit.widgets.runner import Run
from tests.fake_api import FAKE_KEY, FakeAnthropic, Stream, design_text

REQ = preset("payments-ledger")


@pytest.fixture(scope="module")
def design() -> Design:
    return Architect().design(REQ)


def cut_design(after_pieces: int = 12) -> Design:
    """An offline design stopped part-way (the user pressed Stop)."""
    stop = threading.Event()
    seen: list[str] = []

    def on_text(piece: str) -> None:
        seen.append(piece)
        if len(seen) >= after_pieces:
            stop.set()

    result = Architect().design(REQ, on_text=on_text, cancel=stop)
    assert not result.complete and result.text
    return result


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_markdown_export_is_the_designs_markdown(design: Design, tmp_path: Path) -> None:
    path = export_design(design, tmp_path / "ledger.md")
    assert path == tmp_path / "ledger.md"
    assert path.read_text(encoding="utf-8") == design.to_markdown()
    assert files_in(tmp_path) == {"ledger.md"}  # no temporary file left behind


def test_json_export_round_trips_through_from_json(design: Design, tmp_path: Path) -> None:
    path = export_design(design, tmp_path / "ledger.JSON")  # suffix matched case-insensitively
    loaded = Design.from_json(path.read_text(encoding="utf-8"))
    assert loaded == design  # title, text, assumptions, backend, usage, completeness
    assert loaded.sections == design.sections and loaded.diagram == design.diagram
    assert json.loads(path.read_text())["plan"]["figures"]  # the numbers travel too


def test_existing_file_is_not_overwritten_unless_asked(design: Design, tmp_path: Path) -> None:
    target = tmp_path / "design.md"
    target.write_text("my notes", encoding="utf-8")
    with pytest.raises(ExportError) as info:
        export_design(design, target)
    err = info.value
    assert isinstance(err, PytArchError) and isinstance(err, FileExistsError)
    message = str(err)
    assert str(target) in message and "overwrite=True" in message and "\n" not in message
    assert target.read_text(encoding="utf-8") == "my notes"
    assert files_in(tmp_path) == {"design.md"}

    export_design(design, target, overwrite=True)
    assert target.read_text(encoding="utf-8") == design.to_markdown()
    assert files_in(tmp_path) == {"design.md"}


@pytest.mark.parametrize("name", ["design.txt", "design", "design.yaml"])
def test_unknown_suffix_names_the_path_and_the_choices(
    design: Design, tmp_path: Path, name: str
) -> None:
    with pytest.raises(SettingsError) as info:
        export_design(design, tmp_path / name)
    message = str(info.value)
    assert name in message and ".md" in message and ".json" in message
    assert files_in(tmp_path) == set()


def test_missing_folder_is_named_not_created(design: Design, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        export_design(design, tmp_path / "nope" / "design.md")
    assert files_in(tmp_path) == set()


def assert_cannot_write_here(err: SettingsError, shown: str) -> None:
    """One line that names the path, says why and what to do."""
    message = str(err)
    assert message.startswith(f"{shown}: cannot write here ("), message
    assert message.endswith("; choose another path") and "\n" not in message
    assert err.__suppress_context__  # no chained OSError in the traceback


def test_export_runs_under_a_file_or_into_proc_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    targets = [tmp_path / "notes.txt" / "session"]
    if Path("/proc/self").is_dir():
        targets.append(Path("/proc/nope"))
    for target in targets:
        with pytest.raises(SettingsError) as info:
            export_runs(session()[:1], target)
        assert_cannot_write_here(info.value, str(target))
    assert files_in(tmp_path) == {"notes.txt"}


def test_a_path_with_a_nul_byte_is_a_settings_error(design: Design, tmp_path: Path) -> None:
    shown = f"{tmp_path}/bad\\x00name"  # the NUL is shown escaped: the message stays one line
    with pytest.raises(SettingsError) as info:
        export_runs(session()[:1], tmp_path / "bad\x00name")
    assert_cannot_write_here(info.value, shown)
    with pytest.raises(SettingsError) as info:
        export_design(design, tmp_path / "bad\x00name.md")
    assert_cannot_write_here(info.value, shown + ".md")
    assert "null byte" in str(info.value)
    assert files_in(tmp_path) == set()


def test_long_file_names(design: Design, tmp_path: Path) -> None:
    too_long = tmp_path / ("x" * 300 + ".md")
    with pytest.raises(SettingsError) as info:
        export_design(design, too_long)
    assert_cannot_write_here(info.value, str(too_long))
    longest = tmp_path / ("y" * 252 + ".md")  # 255 bytes: allowed, so the temporary name is too
    assert export_design(design, longest).read_text(encoding="utf-8") == design.to_markdown()
    assert files_in(tmp_path) == {longest.name}


def test_a_file_in_place_of_the_folder_is_named(design: Design, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"notes\.txt is a file, not a folder"):
        export_design(design, tmp_path / "notes.txt" / "design.md")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_exported_files_follow_the_umask(
    design: Design, tmp_path: Path, umask: int, mode: int
) -> None:
    (tmp_path / "old.md").write_text("old", encoding="utf-8")
    old = os.umask(umask)
    try:
        written = [
            export_design(design, tmp_path / "d.md"),
            export_design(design, tmp_path / "old.md", overwrite=True),
            *export_runs(session()[:1], tmp_path / "runs"),
        ]
    finally:
        os.umask(old)
    for path in written:
        assert path.stat().st_mode & 0o777 == mode, path


def test_concurrent_exports_to_one_path_publish_exactly_one_whole_file(
    tmp_path: Path,
) -> None:
    designs = [Architect().design(preset(name)) for name in ("io-bound-api", "cpu-inference")]
    texts = {d.to_markdown() for d in designs}
    for round_ in range(15):
        target = tmp_path / f"race-{round_}.md"
        barrier = threading.Barrier(6)
        outcomes: list[str] = []

        def export(
            d: Design,
            target: Path = target,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                export_design(d, target)
                outcomes.append("written")
            except ExportError:
                outcomes.append("refused")

        threads = [threading.Thread(target=export, args=(designs[i % 2],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["refused"] * 5 + ["written"]
        assert target.read_text(encoding="utf-8") in texts
    assert all(not name.endswith(".tmp") for name in files_in(tmp_path))


FAIL_MID_WRITE = """
import resource, signal, sys
from pathlib import Path
from pyt_arch_kit import Architect, PytArchError, preset
from pyt_arch_kit.exports import export_design

target = Path(sys.argv[1])
design = Architect().design(preset("payments-ledger"))
assert len(design.to_markdown().encode()) > 4096
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the disk "fills" after 4 KiB
try:
    export_design(design, target, overwrite=sys.argv[2] == "overwrite")
except PytArchError as exc:
    print("refused:", exc)
else:
    print("written")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE fault injection is Linux-only")
@pytest.mark.parametrize("mode", ["new", "overwrite"])
def test_failure_mid_write_leaves_no_partial_file_and_no_temp_file(
    tmp_path: Path, mode: str
) -> None:
    target = tmp_path / "design.md"
    if mode == "overwrite":
        target.write_text("the previous design", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", FAIL_MID_WRITE, str(target), mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:"), result.stdout
    assert "cannot write" in result.stdout and str(target) in result.stdout
    if mode == "overwrite":
        assert target.read_text(encoding="utf-8") == "the previous design"
        assert files_in(tmp_path) == {"design.md"}
    else:
        assert files_in(tmp_path) == set()


def test_incomplete_design_keeps_its_text_and_is_marked(tmp_path: Path) -> None:
    partial = cut_design()
    md = export_design(partial, tmp_path / "partial.md").read_text(encoding="utf-8")
    assert "**Incomplete design**" in md and partial.text.strip() in md
    data = json.loads(export_design(partial, tmp_path / "partial.json").read_text())
    assert data["complete"] is False and data["stop_reason"] == "cancelled"
    assert data["text"] == partial.text and data["missing_sections"]
    assert Design.from_json(json.dumps(data)).complete is False


def session() -> list[Run]:
    """A workbench session: a finished run, one the user stopped, one that failed."""
    done = Architect().design(REQ)
    partial = cut_design(8)
    return [
        Run(REQ, plan(REQ), "offline", design=done, text=done.text),
        Run(REQ, plan(REQ), "offline", design=partial, error="stopped by the user"),
        Run(
            REQ,
            plan(REQ),
            "claude",
            error="Claude API: rate limited (429); wait a minute and retry",
            text="## Executive Summary\n\nThe ledger keeps every",
        ),
    ]


def test_export_runs_writes_each_run_and_an_index(tmp_path: Path) -> None:
    folder = tmp_path / "session"  # created on demand
    paths = export_runs(session(), folder)
    assert [p.name for p in paths] == [
        "run-01-payments-ledger.md",
        "run-01-payments-ledger.json",
        "run-02-payments-ledger.md",
        "run-02-payments-ledger.json",
        "run-03-payments-ledger.md",
        "run-03-payments-ledger.json",
        "index.md",
        "index.json",
    ]
    assert files_in(folder) == {p.name for p in paths}
    first = Design.from_json((folder / "run-01-payments-ledger.json").read_text())
    assert first.complete and len(first.sections) == 6

    second = (folder / "run-02-payments-ledger.md").read_text()
    assert "**Incomplete design**" in second and "Run stopped**: stopped by the user" in second

    failed_md = (folder / "run-03-payments-ledger.md").read_text()
    assert "The ledger keeps every" in failed_md  # the text that arrived is kept
    assert "Run failed" in failed_md and "rate limited (429)" in failed_md
    failed = json.loads((folder / "run-03-payments-ledger.json").read_text())
    assert failed["complete"] is False and failed["run"]["status"] == "failed"
    assert failed["text"].endswith("The ledger keeps every")

    index = (folder / "index.md").read_text()
    rows = [ln for ln in index.splitlines() if ln.startswith("| ") and ln[2].isdigit()]
    # the workbench's own words for a run (Run.state), not a second vocabulary
    assert [r.split("|")[4].strip().split()[0] for r in rows] == ["done", "stopped", "failed"]
    statuses = [r["status"] for r in json.loads((folder / "index.json").read_text())["runs"]]
    assert statuses == ["done", "stopped", "failed"]


def test_export_runs_refuses_to_clobber_an_earlier_export(tmp_path: Path) -> None:
    runs = session()
    export_runs(runs[:1], tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ExportError, match="overwrite=True"):
        export_runs(runs, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written
    paths = export_runs(runs, tmp_path, overwrite=True)
    assert len(paths) == 8 and json.loads((tmp_path / "index.json").read_text())["runs"][2]


def claude_design(fake_api: FakeAnthropic) -> Design:
    backend = ClaudeBackend(Settings.from_env())
    return Architect(backend=backend).design(REQ)


def test_exports_never_contain_the_api_key(
    design: Design, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = "live-key-without-the-usual-shape-0123456789"  # only redact()'s live-key check sees it
    shaped = "sk-ant-" + "other03-abcdefghijklmnopqrstuvwxyz"  # any key-shaped string
    monkeypatch.setenv("ANTHROPIC_API_KEY", live)
    leaky = dataclasses.replace(
        design, title=f"ledger {live}", text=design.text.replace("ledger", f"ledger {shaped}", 1)
    )
    assert live in leaky.to_markdown() and shaped in leaky.to_markdown()
    run = Run(REQ, plan(REQ), "claude", design=leaky, error=f"failed with {live} / {shaped}")
    written = [
        export_design(leaky, tmp_path / "leaky.md"),
        export_design(leaky, tmp_path / "leaky.json"),
        *export_runs([run], tmp_path / "runs"),
    ]
    assert len(written) == 6
    for path in written:
        content = path.read_text(encoding="utf-8")
        assert live not in content and shaped not in content, path
        assert MARKER in content, path
        assert "sk-ant-" not in content, path
        assert live[:12] not in path.name and "sk-ant" not in path.name  # nor in a file name


def test_a_key_echoed_into_the_answer_is_redacted_not_written(
    fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    fake_api.queue(Stream(design_text().replace("async", f"async (key {FAKE_KEY})")))
    design = claude_design(fake_api)
    # The model echoed it: scrubbed as it arrived, so no copy of the design holds it.
    assert FAKE_KEY not in design.text and MARKER in design.text
    md = export_design(design, tmp_path / "d.md").read_text(encoding="utf-8")
    js = export_design(design, tmp_path / "d.json").read_text(encoding="utf-8")
    for content in (md, js):
        assert FAKE_KEY not in content and MARKER in content


def test_cut_claude_answer_exports_as_incomplete(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.queue(Stream(design_text(), cut_after=300))
    with pytest.raises(IncompleteDesignError) as info:
        claude_design(fake_api)
    partial = info.value.design
    assert isinstance(partial, Design)
    md = export_design(partial, tmp_path / "cut.md").read_text(encoding="utf-8")
    assert "**Incomplete design**" in md and fake_api.sent_text[0].strip() in md


def test_cli_out_json_round_trips_and_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "design.json"
    assert main(["design", "--preset", "grpc-internal", "--format", "json", "--out", str(out)]) == 0
    assert Design.from_json(out.read_text()).complete
    bad = tmp_path / "missing" / "design.md"
    code = main(["design", "--preset", "grpc-internal", "--out", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    assert textwrap.shorten(err, 400).count("pyt-arch: error") == 1
