"""Errors: one hierarchy, and in a notebook a user's mistake shows as one line, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from pyt_arch_kit.errors import (
    BackendError,
    PytArchError,
    RequirementsError,
    SettingsError,
)


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.user_ns.update(
        RequirementsError=RequirementsError, SettingsError=SettingsError, BackendError=BackendError
    )
    yield ip
    for name in ("RequirementsError", "SettingsError", "BackendError"):
        ip.user_ns.pop(name, None)


def shown(ip: InteractiveShell, cell: str) -> str:
    """What IPython prints for a cell (stdout and stderr) when it runs it."""
    with capture_output() as out:
        result = ip.run_cell(cell)
    assert result.error_in_exec is not None  # the cell did raise
    return out.stdout + out.stderr


def test_a_requirements_error_shows_as_one_line_in_ipython(shell: InteractiveShell) -> None:
    text = shown(
        shell,
        "def check():\n"
        "    raise RequirementsError([('latency.p50_ms', 'must be > 0; enter 1 or more')])\n"
        "check()\n",
    )
    assert text.strip() == "RequirementsError: latency.p50_ms: must be > 0; enter 1 or more"
    assert "Traceback" not in text and "check()" not in text


@pytest.mark.parametrize(
    "raise_it",
    [
        "raise SettingsError('PYT_ARCH_TIMEOUT: must be a number; set it to e.g. 60')",
        "raise BackendError('Claude API: rate limited (429); wait a minute', cause='rate_limit')",
    ],
)
def test_every_pytarch_error_renders_without_a_traceback(
    shell: InteractiveShell, raise_it: str
) -> None:
    text = shown(shell, raise_it)
    name = raise_it.split()[1].split("(")[0]
    assert text.strip().startswith(f"{name}: ") and len(text.strip().splitlines()) == 1
    assert "Traceback" not in text


def test_other_errors_keep_their_traceback(shell: InteractiveShell) -> None:
    text = shown(shell, "def f():\n    return 1 / 0\nf()\n")
    assert "Traceback" in text and "ZeroDivisionError" in text


def test_the_hook_is_on_the_base_class() -> None:
    err = RequirementsError([("", "first problem"), ("name", "second problem")], source="x.yaml")
    assert isinstance(err, PytArchError)
    assert err._render_traceback_() == [f"RequirementsError: {err}"]
