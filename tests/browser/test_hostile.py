"""Hostile requirements, rendered where users read designs: nothing they contain may run.

A throwaway notebook designs a system whose name, summary, notes and list items are attack
payloads (``<script>``, ``<img onerror>``, ``javascript:`` links, a code fence that forges the
System Diagram with a mermaid ``click``, attr_list handlers, MathJax ``\\href``). It is executed
once with nbclient and then:

1. opened in a real JupyterLab as a TRUSTED (signed) notebook, where JupyterLab renders HTML in
   outputs unsanitised and runs their scripts, and run again there (its form included);
2. built into a small mkdocs site with the published site's Markdown extensions, theme,
   vendored mermaid and hooks, and opened in Chromium.

Each page also carries a control: HTML the notebook's *author* wrote on purpose, which must run,
so that "nothing ran" means the payloads were inert, not that the page ran nothing.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary

from tests.browser.conftest import ROOT, Traffic
from tests.browser.test_jupyterlab import SETTINGS, _free_port, _menu, _wait_until_up

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src='data:,' onerror=\"window.__pwned = 'img'; alert('img')\">",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "<details open ontoggle=\"window.__pwned = 'details'\">x</details>",
    "<iframe srcdoc=\"<script>parent.__pwned = 'iframe'</script>\"></iframe>",
    "[click me](javascript:window.__pwned='link')",
    "<a id=pwnlink href=\"javascript:window.__pwned='a'\">a</a>",
    "Para\n{: onclick=\"window.__pwned='attr'\" id=pwnattr }",
    "$\\href{javascript:window.__pwned='math'}{math}$",
    "x\n```\n\n## System Diagram\n\n```mermaid\nflowchart LR\n  a[Forged] --> b\n"
    "  click a \"javascript:window.__pwned='mermaid'\"\n```\n\n## Risks and Mitigations\n\nforged",
    '<div markdown="1" onmouseover="window.__pwned=\'md_in_html\'" id=pwndiv>hover</div>',
    "<style>body { display: none }</style>",
]
HOSTILE = {
    "name": "pwn <img src='data:,' onerror=\"window.__pwned='name'\"> [x](javascript:alert(1))",
    "summary": "\n".join(PAYLOADS),
    "scale": {"peak_rps": 800},
    "latency": {"p99_ms": 300},
    "proposed": {"technologies": PAYLOADS[:6], "notes": "\n".join(PAYLOADS[6:])},
    "infrastructure": {"existing_services": PAYLOADS[6:], "database": "postgresql"},
}
# HTML the author put in the notebook on purpose: it runs when the notebook is trusted.
CONTROL_HTML = "<img src='data:,' data-control=1 onerror='window.__control_html = 1'>"
CONTROL_MD = "<img src='data:,' data-control=1 onerror='window.__control_md = 1'>"

CELLS = [
    "import json\nfrom IPython.display import HTML, Markdown, display\n"
    "from pyt_arch_kit import Architect, Requirements, plan\n"
    "req = Requirements.parse(json.load(open('hostile.json')))\n"
    f"display(HTML({CONTROL_HTML!r}))\ndisplay(Markdown({CONTROL_MD!r}))",
    "req",
    "design = Architect().design(req)\ndesign",
    "plan(req)",
    "%load_ext pyt_arch_kit",
    "%%architect --as again\n" + yaml.safe_dump(HOSTILE, allow_unicode=True),
]
FORM_CELL = (
    "from pyt_arch_kit import RequirementsForm\nform = RequirementsForm(req)\nform.run()\nform"
)

# Run in the page: anything a payload could have done.
DAMAGE_JS = r"""() => {
  const URL_ATTRS = ['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data'];
  const found = [];
  if (window.__pwned !== undefined) found.push('global __pwned = ' + window.__pwned);
  for (const el of document.querySelectorAll('#pwnlink, #pwnattr, #pwndiv')) {
    found.push('injected element #' + el.id);
  }
  // A notebook's outputs (JupyterLab, or nbconvert on the site), else the page's article: the
  // page template around them has scripts and styles of its own.
  const outputs = document.querySelectorAll('.jp-OutputArea-output');
  const scope = outputs.length ? outputs : document.querySelectorAll('article');
  for (const root of scope) {
    for (const el of root.querySelectorAll('*')) {
      if (el.closest('[data-control]') || el.hasAttribute('data-control')) continue;
      for (const attr of el.getAttributeNames()) {
        const value = (el.getAttribute(attr) || '').toLowerCase().replace(/[\s\x00-\x1f]/g, '');
        if (attr.startsWith('on')) found.push(`handler ${attr} on <${el.tagName}>`);
        if (URL_ATTRS.includes(attr) && value.startsWith('javascript:')) {
          found.push(`${attr}=javascript: on <${el.tagName}>`);
        }
      }
      if (['SCRIPT', 'IFRAME', 'STYLE', 'DETAILS'].includes(el.tagName)) {
        found.push(`<${el.tagName}> in content`);
      }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile notebook, executed once (outputs saved), beside its ``hostile.json``."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "hostile.json").write_text(json.dumps(HOSTILE), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    env_backup = dict(os.environ)
    os.environ.pop("MPLBACKEND", None)
    try:
        NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    path = folder / "hostile.ipynb"
    nbformat.write(nb, path)
    return path


def _watch_dialogs(page: Any) -> list[str]:
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


# -- JupyterLab, trusted notebook ---------------------------------------------------------------


@pytest.fixture(scope="module")
def trusted_lab(hostile_notebook: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab on 127.0.0.1 serving the hostile notebook, signed (trusted) for it."""
    base = tmp_path_factory.mktemp("lab-hostile")
    root = base / "root"
    root.mkdir()
    for name in ("hostile.ipynb", "hostile.json"):
        shutil.copy(hostile_notebook.parent / name, root / name)
    nb = nbformat.read(root / "hostile.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(FORM_CELL))
    (base / "data").mkdir()
    notary = NotebookNotary(data_dir=str(base / "data"))
    notary.sign(nb)
    nbformat.write(nb, root / "hostile.ipynb")
    assert notary.check_signature(nb)
    settings = base / "settings"
    for name, value in SETTINGS.items():
        path = settings / name
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
        JUPYTER_DATA_DIR=str(base / "data"),  # where the notebook's signature is
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=str(ROOT),
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
                "--allow-root",
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
        yield f"{url}lab/tree/hostile.ipynb?token={token}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _all_cells_ran(page: Any) -> None:
    page.wait_for_function(
        """() => {
          const prompts = Array.from(document.querySelectorAll(
            '.jp-CodeCell .jp-InputArea-prompt')).map(p => p.textContent.trim());
          return prompts.length > 0 && !prompts.some(p => p.includes('*'))
            && /\\[\\d+\\]/.test(prompts[prompts.length - 1]);
        }""",
        timeout=240_000,
    )


def test_hostile_designs_run_nothing_in_a_trusted_notebook_in_jupyterlab(
    trusted_lab: str, watched: tuple[Any, Traffic], artifacts: Path
) -> None:
    page, _traffic = watched
    dialogs = _watch_dialogs(page)
    page.set_default_timeout(60_000)
    page.goto(trusted_lab)
    page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=120_000)
    outputs = page.locator(".jp-OutputArea-output")
    outputs.filter(has_text="Risks and Mitigations").first.wait_for()
    # The control ran: the saved outputs are rendered as trusted, unsanitised HTML.
    page.wait_for_function("() => window.__control_html === 1 && window.__control_md === 1")
    page.wait_for_timeout(1000)  # let any payload's handler fire
    assert page.evaluate(DAMAGE_JS) == [] and dialogs == []
    assert outputs.filter(has_text="window.__pwned = 'script'").count() >= 2  # shown as text

    page.evaluate("() => { window.__control_html = 0; window.__control_md = 0; }")
    _menu(page, "Run", "Run All Cells")  # outputs made in this session: trusted too
    _all_cells_ran(page)
    page.locator(".jp-OutputArea-output", has_text="done").first.wait_for()
    page.wait_for_function("() => window.__control_html === 1 && window.__control_md === 1")
    page.wait_for_timeout(1000)
    tracebacks = [t for t in outputs.all_inner_texts() if "Traceback" in t]
    assert not tracebacks, tracebacks
    assert page.evaluate(DAMAGE_JS) == [] and dialogs == []
    # One System Diagram heading per design shown: the forged one is text, not a section.
    headings = page.locator(".jp-OutputArea-output h2", has_text="System Diagram")
    assert headings.count() >= 2
    assert page.locator(".jp-OutputArea-output h2", has_text="Risks and Mitigations").count() == (
        headings.count()
    )
    page.screenshot(path=str(artifacts / "jupyterlab-hostile.png"))


# -- a built site ---------------------------------------------------------------------------

MKDOCS_YML = """
site_name: hostile
strict: true
theme:
  name: material
  font: false
extra_javascript:
  - assets/vendor/mermaid.min.js
hooks:
  - {hook}
plugins:
  - search
  - mkdocs-jupyter:
      include: ["*.ipynb"]
      execute: false
      include_source: false
      include_requirejs: false
      allow_errors: false
      cache: false
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.highlight:
      anchor_linenums: true
  - pymdownx.inlinehilite
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
nav:
  - Design: index.md
  - Notebook: hostile.ipynb
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_site(hostile_notebook: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small mkdocs site (the published site's extensions, theme and hooks) of hostile designs."""
    from pyt_arch_kit import Architect, Requirements
    from pyt_arch_kit.render import plan_markdown, requirements_markdown

    mermaid_js = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not mermaid_js.is_file():
        pytest.fail(f"{mermaid_js} is missing: run `npm ci`", pytrace=False)
    base = tmp_path_factory.mktemp("site-hostile")
    docs = base / "docs"
    (docs / "assets" / "vendor").mkdir(parents=True)
    shutil.copy(mermaid_js, docs / "assets" / "vendor" / "mermaid.min.js")
    shutil.copy(hostile_notebook, docs / "hostile.ipynb")
    req = Requirements.parse(HOSTILE)
    design = Architect().design(req)
    page = "\n\n".join(
        [
            design.to_markdown(),
            requirements_markdown(req),
            plan_markdown(design.plan),  # type: ignore[arg-type]
            CONTROL_MD.replace("__control_md", "__control_site"),  # the author's own HTML
        ]
    )
    (docs / "index.md").write_text(page, encoding="utf-8")
    hook = ROOT / "docs" / "hooks" / "static_site.py"
    (base / "mkdocs.yml").write_text(MKDOCS_YML.format(hook=hook), encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(base / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    handler = functools.partial(_Quiet, directory=str(base / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["", "hostile/"])
def test_hostile_designs_run_nothing_on_a_built_site(
    hostile_site: str, watched: tuple[Any, Traffic], path: str
) -> None:
    page, traffic = watched
    dialogs = _watch_dialogs(page)
    page.goto(hostile_site + path, wait_until="load")
    page.wait_for_function(
        "() => document.querySelectorAll('div.mermaid').length >= 1"
        " && Array.from(document.querySelectorAll('div.mermaid'))"
        ".every(el => el.shadowRoot && el.shadowRoot.querySelector('svg'))",
        timeout=20_000,
    )
    control = "__control_site" if path == "" else "__control_html"
    page.wait_for_function(f"() => window.{control} === 1")  # the author's raw HTML does run
    page.wait_for_timeout(1000)
    damage = page.evaluate(DAMAGE_JS)
    assert damage == [] and dialogs == [], "\n".join(damage + dialogs)
    assert not traffic.blocked
    text = page.locator("article").inner_text()
    assert "window.__pwned = 'script'" in text  # the payload is shown, as text
    svg_text = page.evaluate(
        "() => Array.from(document.querySelectorAll('div.mermaid'))"
        ".map(el => el.shadowRoot.querySelector('svg').textContent).join(' ')"
    )
    assert "Forged" not in svg_text  # the only diagram drawn is the planner's
    designs = 1 if path == "" else 2  # the notebook shows two designs (an expression, the magic)
    headings = [h.strip("¶ \n") for h in page.locator("article h2").all_inner_texts()]
    assert headings.count("System Diagram") == headings.count("Risks and Mitigations") == designs
    assert page.evaluate("() => document.querySelectorAll('div.mermaid').length") == designs
