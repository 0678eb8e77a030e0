"""A missing optional package is one line naming the extra to install, never a bare traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pyt_arch_kit import Architect, preset
from pyt_arch_kit._optional import require
from pyt_arch_kit.cli import main
from pyt_arch_kit.errors import BackendError, MissingExtraError


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_claude_backend_without_the_sdk_names_the_claude_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # what an uninstalled package looks like
    with pytest.raises(ImportError) as caught:
        Architect(backend="claude").design(preset("io-bound-api"))
    message = str(caught.value)
    assert isinstance(caught.value, MissingExtraError) and isinstance(caught.value, BackendError)
    assert "\n" not in message
    assert 'pip install "pyt_arch_kit[claude]"' in message and '".[claude]"' in message


def test_the_cli_without_the_sdk_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)
    code = main(["design", "--preset", "io-bound-api", "--backend", "claude"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pyt-arch: error: the Claude backend needs anthropic")
    assert "[claude]" in err


def test_the_form_without_ipywidgets_is_an_import_error_naming_the_lab_extra() -> None:
    done = _python(
        "import sys; sys.modules['ipywidgets'] = None\n"
        "try:\n"
        "    from pyt_arch_kit import RequirementsForm\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, '|', exc)\n"
    )
    assert done.returncode == 0, done.stderr
    kind, message = done.stdout.strip().split(" | ")
    assert kind == "MissingExtraError"
    assert "needs ipywidgets" in message and 'pip install "pyt_arch_kit[lab]"' in message


def test_charts_without_matplotlib_name_the_lab_extra() -> None:
    done = _python(
        "import sys; sys.modules['matplotlib'] = None\n"
        "from pyt_arch_kit import plan, preset\n"
        "from pyt_arch_kit.charts import p99_vs_utilisation\n"
        "try:\n"
        "    p99_vs_utilisation(plan(preset('io-bound-api')))\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("charts need") or "needs matplotlib" in done.stdout
    assert "[lab]" in done.stdout


def test_a_broken_installed_package_keeps_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the optional package itself missing is "install the extra"; anything else is a bug.
    monkeypatch.setitem(sys.modules, "json", None)
    with pytest.raises(ModuleNotFoundError):
        require("json", for_="a test")
