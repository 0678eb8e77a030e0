"""Files a user names: bounded reads, regular files only, names printed escaped.

No test here touches a real device file: FIFOs and sockets are made in ``tmp_path``, and the
check that refuses them is the same one that refuses device nodes (``files.not_regular``).
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyt_arch_kit import Architect, PersonaError, RequirementsError, SettingsError, preset
from pyt_arch_kit.cli import main
from pyt_arch_kit.exports import export_design, write_atomically
from pyt_arch_kit.files import not_regular
from pyt_arch_kit.persona import load_persona
from pyt_arch_kit.requirements import Requirements

pytestmark = pytest.mark.timeout(60)  # a read that waits for a FIFO's writer must fail, not hang

DESIGN = ["design", "--preset", "io-bound-api"]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to ~100 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s.md")
        yield tmp_path / "s.md"


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: 3 GB of zeros without using the disk
    return path


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("pyt-arch: error: ")
    return lines[0]


# -- --out X --force replaces regular files only -------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "unix_socket"])
def test_force_never_replaces_a_fifo_or_a_socket(
    kind: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    path: Path = request.getfixturevalue(kind)
    before = path.stat().st_mode
    assert main([*DESIGN, "--out", str(path), "--force"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "not a regular file" in line and path.name in line
    assert path.stat().st_mode == before and not stat.S_ISREG(path.stat().st_mode)


def test_force_never_replaces_what_a_symlink_points_at(
    fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.md"
    link.symlink_to(fifo)
    assert main([*DESIGN, "--out", str(link), "--force"]) == 2
    assert "FIFO" in one_error_line(capsys.readouterr().err)
    assert link.is_symlink() and stat.S_ISFIFO(fifo.stat().st_mode)


def test_force_on_a_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*DESIGN, "--out", str(tmp_path), "--force"]) == 2
    assert "folder" in one_error_line(capsys.readouterr().err)


def test_force_still_replaces_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.md"
    out.write_text("old")
    assert main([*DESIGN, "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("# ")


def test_exports_refuse_special_files_even_with_overwrite(fifo: Path, unix_socket: Path) -> None:
    design = Architect().design(preset("io-bound-api"))
    for path in (fifo, unix_socket):
        with pytest.raises(SettingsError, match="not a regular file"):
            export_design(design, path, overwrite=True)
        with pytest.raises(SettingsError, match="not a regular file"):
            write_atomically(path, "x", overwrite=True)
        assert not stat.S_ISREG(path.stat().st_mode)


def test_the_shared_predicate_names_what_a_path_is(
    fifo: Path, unix_socket: Path, tmp_path: Path
) -> None:
    regular = tmp_path / "r.md"
    regular.write_text("x")
    assert not_regular(fifo) == "a FIFO (named pipe)"
    assert not_regular(unix_socket) == "a socket"
    assert not_regular(tmp_path) == "a directory"
    assert not_regular(regular) is None and not_regular(tmp_path / "missing") is None


# -- bounded reads ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["design", "plan", "gaps"])
def test_a_fifo_as_requirements_is_refused_without_waiting(
    fifo: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, str(fifo)]) == 2
    assert "FIFO" in one_error_line(capsys.readouterr().err)


def test_a_socket_as_requirements_is_refused(
    unix_socket: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["design", str(unix_socket)]) == 2
    assert "socket" in one_error_line(capsys.readouterr().err)


def test_a_huge_requirements_file_is_refused_without_reading_it(
    huge: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["design", str(huge)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "larger than 1 MB" in line and "huge.yaml" in line
    with pytest.raises(RequirementsError, match="larger than"):
        Requirements.from_file(huge)


def test_a_fifo_or_huge_file_as_persona_is_refused(
    fifo: Path, huge: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*DESIGN, "--persona", str(fifo)]) == 2
    assert "FIFO" in one_error_line(capsys.readouterr().err)
    assert main(["persona", "--persona", str(huge)]) == 2
    assert "larger than" in one_error_line(capsys.readouterr().err)
    with pytest.raises(PersonaError, match="not a regular file"):
        load_persona(fifo)


def test_requirements_that_are_not_utf8_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert main(["design", str(path)]) == 2
    assert "as UTF-8" in one_error_line(capsys.readouterr().err)


# -- names printed escaped -------------------------------------------------------------------

ODD = "evil\n\x1b[31mred\x07.yaml"


def test_a_missing_file_with_control_characters_is_named_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["design", ODD]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "\x1b" not in line and "\x07" not in line
    assert "evil\\n\\x1b[31mred\\x07.yaml" in line


def test_an_invalid_file_with_an_odd_name_is_named_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ODD
    path.write_text("scale: {peak_rps: [\n")
    assert main(["design", str(path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "\x1b" not in line and "\\x1b" in line


def test_writing_to_an_odd_name_reports_it_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out\n\x1b[2Jd.md"
    assert main([*DESIGN, "--out", str(out), "--no-verify"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\\x1b[2Jd.md" in err
    assert out.read_text().startswith("# ")
