"""The workbench in a real JupyterLab, driven by Debian's Chromium like a user would.

JupyterLab runs on 127.0.0.1 with a token, in a temporary folder holding a copy of the quick-start
notebook, with no API key in its environment. The test opens the notebook (which must not show as
modified), runs every cell from the Run menu, changes the peak request rate in the form, sees the
live preview follow and the design marked out of date, clicks Design, and waits for the new design.

It also keeps the site's screenshot of the workbench current: it writes
``docs/assets/workbench.png`` and, beside it, ``workbench.json`` — the texts the form shows
(sections, labels, buttons, tabs). If those texts differ from the committed ``workbench.json``,
the test fails: the screenshot on the site is stale, and the fresh one it just wrote is to be
committed with the change that altered the form.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Traffic

pytestmark = pytest.mark.browser

NOTEBOOK = ROOT / "notebooks" / "01-quick-start.ipynb"
SCREENSHOT = ROOT / "docs" / "assets" / "workbench.png"
FINGERPRINT = SCREENSHOT.with_suffix(".json")
# Runs in the page: the texts that define how the form looks (not numbers, not timings).
FORM_TEXTS_JS = """form => ({
  preset: Array.from(form.querySelectorAll('.widget-dropdown select'))
    .map(e => e.selectedIndex >= 0 ? e.options[e.selectedIndex].textContent.trim() : '')[0],
  sections: Array.from(form.querySelectorAll('.jupyter-widget-Collapse-header'))
    .map(e => e.textContent.trim()),
  labels: Array.from(form.querySelectorAll('.widget-label, .widget-label-basic'))
    .map(e => e.textContent.replace(/\\u200b/g, '').trim()).filter(Boolean),
  buttons: Array.from(form.querySelectorAll('button'))
    .map(e => e.textContent.trim()).filter(Boolean),
  tabs: Array.from(form.querySelectorAll('.lm-TabBar-tabLabel'))
    .map(e => e.textContent.trim()),
})"""
# User settings for this JupyterLab only: keep every cell in the page (no virtual scrolling), and
# never ask for news or updates.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not start in 90 s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def jupyter_lab(base: Path, notebook: dict[str, Any], name: str) -> Iterator[str]:
    """A JupyterLab on 127.0.0.1 serving ``notebook`` as ``name`` in a folder under ``base``.

    No API key in its environment, its own settings (every cell kept in the page); yields the
    notebook's URL, with the token. The server and its kernels are stopped on the way out.
    """
    root = base / "root"
    root.mkdir()
    (root / name).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    settings = base / "settings"
    for setting, value in SETTINGS.items():
        path = settings / setting
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "PYT_ARCH_")) and k != "MPLBACKEND"
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = base / "jupyter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                "--allow-root",  # CI runs as root
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={base / 'workspaces'}",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(f"{url}api/status?token={token}", proc, log)
        yield f"{url}lab/tree/{name}?token={token}"
    finally:
        proc.send_signal(signal.SIGINT)  # jupyter's clean shutdown: kernels are stopped too
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab on 127.0.0.1 serving a temporary copy of the quick-start notebook."""
    if not NOTEBOOK.is_file():
        pytest.fail(f"{NOTEBOOK} is missing", pytrace=False)
    # The notebook as committed, with the Python version this kernel reports: the one field
    # JupyterLab updates on every machine whose Python differs (see scripts/normalise-notebooks.py).
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    nb["metadata"]["language_info"]["version"] = sys.version.split()[0]
    with jupyter_lab(tmp_path_factory.mktemp("lab"), nb, NOTEBOOK.name) as url:
        yield url


def _menu(page: Any, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def open_notebook(page: Any, url: str) -> None:
    """Open the notebook and wait until its kernel is idle."""
    page.goto(url)
    page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=120_000)
    page.wait_for_timeout(1_000)  # let JupyterLab settle the kernel's metadata


def run_all_cells(page: Any) -> None:
    """Run every cell from the Run menu and wait until the last has run."""
    _menu(page, "Run", "Run All Cells")
    # Every code cell has run when none is queued or running ([*]) and the last has a number.
    page.wait_for_function(
        """() => {
          const prompts = Array.from(document.querySelectorAll(
            '.jp-CodeCell .jp-InputArea-prompt')).map(p => p.textContent.trim());
          return prompts.length > 0 && !prompts.some(p => p.includes('*'))
            && /\\[\\d+\\]/.test(prompts[prompts.length - 1]);
        }""",
        timeout=240_000,
    )


def test_form_in_jupyterlab_designs_after_an_edit(
    lab: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, traffic = watched
    page.set_default_timeout(60_000)
    open_notebook(page, lab)
    tab = page.locator(".lm-TabBar-tab.jp-mod-current")
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "opened as modified"

    run_all_cells(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t]
    assert not tracebacks, tracebacks

    form = page.locator(".jupyter-widgets.widget-vbox").filter(
        has=page.get_by_role("button", name="Design")
    )
    form = form.first
    form.scroll_into_view_if_needed()
    # The site shows this screenshot beside the notebook's own outputs: it is taken now, of the
    # form as the notebook leaves it (the preset's design), before any edit below.
    stale = _keep_the_screenshot_fresh(page, form)
    page.set_viewport_size({"width": 1280, "height": 900})
    form.scroll_into_view_if_needed()
    form.locator(".jupyter-widget-Collapse-header", has_text="System").first.click()  # close
    form.locator(".jupyter-widget-Collapse-header", has_text="Scale").first.click()  # open it
    # A log field is a slider (for orders of magnitude) beside a number box (the exact value).
    row = form.locator(".widget-hbox", has=page.locator("label", has_text="peak (req/s)")).last
    number = row.locator("input[type='number']")
    number.fill("7000")
    number.press("Enter")
    assert number.input_value() == "7000"
    # The live preview follows the edit, and the design on screen says it is out of date.
    form.locator(".widget-html", has_text="Live preview").first.wait_for()
    form.locator(".widget-html", has_text="Out of date").first.wait_for()

    results = form.locator(".widget-tab").filter(
        has=page.get_by_role("heading", name="Executive Summary")
    )
    assert "7,000 req/s" not in results.first.inner_text()  # the earlier run's design
    form.get_by_role("button", name="Design").first.click()
    results.filter(has_text="7,000 req/s").first.wait_for(timeout=60_000)
    form.locator(".widget-html", has_text=re.compile(r"\bdone\b in [\d.]+ s")).first.wait_for()
    page.set_viewport_size({"width": 1280, "height": 1400})
    form.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / "jupyterlab-form.png"))
    failed = [p for p in traffic.problems() if p.startswith("failed request")]
    assert not failed, failed
    assert not stale, (
        "the workbench looks different from docs/assets/workbench.png: commit the fresh "
        "docs/assets/workbench.png and workbench.json this test just wrote"
    )


def _keep_the_screenshot_fresh(page: Any, form: Any) -> bool:
    """Write a fresh screenshot if the site's one no longer shows this form; whether it was stale.

    The screenshot is rewritten when the form's texts changed, when it is missing, or when
    ``PYT_ARCH_SCREENSHOT=update`` asks for it (a change of look alone); otherwise the committed
    file is left alone, so that a test run leaves the working tree clean.
    """
    form.locator(".jupyter-widget-Collapse-header", has_text="System").first.click()  # open
    page.set_viewport_size({"width": 1280, "height": 2400})  # the whole form in view
    form.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    texts = form.evaluate(FORM_TEXTS_JS)
    committed = (
        json.loads(FINGERPRINT.read_text(encoding="utf-8")) if FINGERPRINT.is_file() else None
    )
    stale = committed != texts or not SCREENSHOT.is_file()
    if stale or os.environ.get("PYT_ARCH_SCREENSHOT") == "update":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        form.screenshot(path=str(SCREENSHOT), animations="disabled")
        FINGERPRINT.write_text(json.dumps(texts, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return stale
