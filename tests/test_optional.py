"""A missing optional package is one line naming the extra to install, never a bare traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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


# -- a real base install: no extras at all, nothing hidden --------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed (it comes with the verify extra)")
    return found


@pytest.fixture(scope="module")
def base_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding ``pip install pyt_arch_kit`` and nothing else (its ``bin`` directory).

    uv builds it from its cache (a few seconds); only when the cache lacks the base
    dependencies does it fetch them from the package index, as the verify suite does.
    """
    uv = _uv()
    venv = tmp_path_factory.mktemp("base-install") / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [uv, *args], capture_output=True, text=True, timeout=600, env=env, input=""
        )

    made = run("venv", "--quiet", "--python", sys.executable, str(venv))
    assert made.returncode == 0, made.stderr
    target = ["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(ROOT)]
    installed = run(*target[:2], "--offline", *target[2:])
    if installed.returncode != 0:  # a cold cache: fetch what is missing
        installed = run(*target)
    assert installed.returncode == 0, installed.stderr
    return venv / "bin"


def _in_base(
    base: Path, tmp: Path, *argv: str, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYT_ARCH_", "ANTHROPIC_", "OPENAI_"))
        and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env |= {
        "ANTHROPIC_API_KEY": "sk-ant-not-a-real-key-0123456789",
        "OPENAI_API_KEY": "sk-not-a-real-key-0123456789abcdefghij",
        "PYT_ARCH_STATE_DIR": str(tmp / "state"),
    }
    command = [str(base / "python"), "-c", code] if code else [str(base / "pyt-arch"), *argv]
    return subprocess.run(  # cwd: not the clone, whose package would shadow the installed one
        command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp, input=""
    )


@pytest.mark.parametrize(
    ("backend", "sdk", "label"), [("claude", "anthropic", "Claude"), ("openai", "openai", "OpenAI")]
)
def test_a_base_install_says_which_extra_a_backend_needs_in_one_line(
    base_install: Path, tmp_path: Path, backend: str, sdk: str, label: str
) -> None:
    done = _in_base(
        base_install,
        tmp_path,
        "design",
        "--preset",
        "io-bound-api",
        "--backend",
        backend,
        "--model",
        "some-model",
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"pyt-arch: error: the {label} backend needs {sdk}")
    assert f'pip install "pyt_arch_kit[{backend}]"' in done.stderr
    assert done.stdout == ""


def test_a_base_install_designs_offline(base_install: Path, tmp_path: Path) -> None:
    done = _in_base(base_install, tmp_path, "design", "--preset", "io-bound-api", "--no-verify")
    assert done.returncode == 0, done.stderr
    assert "## Executive Summary" in done.stdout and "Traceback" not in done.stderr


def test_every_public_name_of_a_base_install_needing_an_extra_names_it(
    base_install: Path, tmp_path: Path
) -> None:
    done = _in_base(
        base_install,
        tmp_path,
        code=(
            "import pyt_arch_kit as kit\n"
            "import pyt_arch_kit.backends.claude, pyt_arch_kit.backends.openai\n"
            "import pyt_arch_kit.batch, pyt_arch_kit.backends.registry\n"
            "req = kit.preset('io-bound-api')\n"
            "calls = {\n"
            "    'form': lambda: kit.RequirementsForm('io-bound-api'),\n"
            "    'claude': lambda: kit.Architect(backend='claude').design(req),\n"
            "    'openai': lambda: kit.Architect(backend='openai', model='m').design(req),\n"
            "    'replay': lambda: kit.Architect(backend='replay').design(req),\n"
            "    'batch': lambda: kit.design_many([req]),\n"
            "}\n"
            "for name, call in calls.items():\n"
            "    try:\n"
            "        call()\n"
            "    except ImportError as exc:\n"
            "        print(name, '|', type(exc).__name__, '|', exc)\n"
            "    except kit.PytArchError as exc:\n"
            "        print(name, '|', type(exc).__name__, '|', exc)\n"
        ),
    )
    assert done.returncode == 0, done.stderr
    said = dict(line.split(" | ", 1) for line in done.stdout.splitlines())
    extras = {"form": "lab", "claude": "claude", "openai": "openai", "batch": "claude"}
    for name, extra in extras.items():
        assert said[name].startswith("MissingExtraError | "), (name, said[name])
        assert f'pip install "pyt_arch_kit[{extra}]"' in said[name], (name, said[name])
    assert "PYT_ARCH_CASSETTE" in said["replay"] or "[claude]" in said["replay"]
