"""MkDocs hook: a site that works with no network beyond its own host.

Out of the box, a notebook page from mkdocs-jupyter (nbconvert's lab template) would fetch
MathJax, mermaid and the ipywidgets HTML manager from CDNs, and draw no mermaid diagram
without them. This hook makes every page static and self-contained:

1. ``on_files``: every notebook is read from a cleaned copy (in a temporary directory, the
   executed notebook itself is left alone): widget views give way to the output's other
   representations (their ``text/plain``, or nothing), the saved widget state is dropped (it
   is what makes nbconvert add the CDN widget manager), and so are Javascript outputs.
2. ``on_post_page``: nbconvert's mermaid blocks (markdown cells and ``text/markdown`` /
   ``text/vnd.mermaid`` outputs alike) become the ``<pre class="mermaid">`` blocks that
   Material renders with the vendored ``mermaid.min.js``; nbconvert's CDN loaders (mermaid
   module, MathJax) are removed.
3. Every page is then checked: a ``script``, ``link``, ``img``, ``iframe``, ``source`` or
   ``embed`` that points to another host is a warning, which fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.static_site")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DROPPED = (WIDGET_VIEW, "application/vnd.jupyter.widget-state+json", "application/javascript")
WIDGET_NOTE = "*An interactive widget shows here when the notebook runs in JupyterLab.*"
#: The form's output on a static page: the real workbench, as the JupyterLab browser test
#: captured it (tests/browser/test_jupyterlab.py keeps docs/assets/workbench.png current).
FORM_SCREENSHOT = (
    '<figure class="screenshot"><img src="../../assets/workbench.png" alt="The requirements '
    "form in JupyterLab: fields by section, the open questions, the live preview, Design and "
    'the result tabs"><figcaption>The form as it shows in JupyterLab (a screenshot taken by '
    "the test suite; on this static page it does not run).</figcaption></figure>"
)
# ipywidgets' own text/plain, e.g. "VBox(children=(HBox(children=(Dropdown(…": noise, not a result.
_WIDGET_REPR = re.compile(r"^\w+\((?:children=|layout=|description=|value=)")

_tmp: Path | None = None


def static_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of a notebook with nothing that needs a kernel or a CDN to show.

    Widget views, widget state and Javascript outputs are removed; an output keeps its other
    representations (a widget's own ``text/plain`` if it is meaningful, else a short note that
    the widget shows in JupyterLab), and one left with nothing is dropped.
    """
    nb = json.loads(json.dumps(nb))
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if isinstance(data, dict):
                widget = WIDGET_VIEW in data
                for mime in DROPPED:
                    data.pop(mime, None)
                plain = "".join(data.get("text/plain", ""))
                if widget and plain.startswith("RequirementsForm("):
                    data.clear()
                    data.update({"text/html": FORM_SCREENSHOT, "text/plain": plain})
                elif (
                    widget
                    and set(data) <= {"text/plain"}
                    and (not plain or _WIDGET_REPR.match(plain))
                ):
                    data.clear()
                    data.update({"text/markdown": WIDGET_NOTE, "text/plain": WIDGET_NOTE})
                if not data:
                    continue
                described = "".join(data.get("text/plain", ""))
                if "image/png" in data and described.startswith("Chart: "):
                    # A chart's own description becomes its alt text (nbconvert would write
                    # "No description has been provided for this image").
                    image = "".join(data["image/png"]).replace("\n", "")
                    data["text/html"] = (
                        f'<img src="data:image/png;base64,{image}" alt="{html.escape(described)}"'
                        ' style="max-width: 100%">'
                    )
                    del data["image/png"]
            kept.append(output)
        cell["outputs"] = kept
    return nb


def on_files(files: Any, config: Any) -> Any:
    """Point every notebook page at a cleaned copy of its notebook."""
    global _tmp
    _tmp = Path(tempfile.mkdtemp(prefix="pyt-arch-site-"))
    for file in files:
        if not file.src_uri.endswith(".ipynb") or file.abs_src_path is None:
            continue
        source = Path(file.abs_src_path)
        clean = _tmp / file.src_uri
        clean.parent.mkdir(parents=True, exist_ok=True)
        nb = static_notebook(json.loads(source.read_text(encoding="utf-8")))
        clean.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        file.abs_src_path = str(clean)
    return files


def on_post_build(config: Any) -> None:
    """Remove the cleaned copies."""
    if _tmp is not None:
        shutil.rmtree(_tmp, ignore_errors=True)


def on_build_error(error: Exception) -> None:
    """Remove the cleaned copies when the build fails, too."""
    on_post_build(None)


_NB_MERMAID = re.compile(
    r'<div class="jp-Mermaid">\s*<pre class="mermaid">\n?(?P<code>.*?)\n?</pre>\s*</div>', re.S
)
_NB_MERMAID_LOADER = re.compile(
    r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => '
    r'\{\s*const diagrams = document\.querySelectorAll\("\.jp-Mermaid > pre\.mermaid"\);.*?'
    r"</script>\s*<style>.*?</style>\s*<!-- End of mermaid configuration -->",
    re.S,
)
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)
_MATHJAX_CONFIG = re.compile(
    r'<!-- Load mathjax -->.*?<script type="text/x-mathjax-config">.*?</script>', re.S
)
_FETCHING_TAG = re.compile(
    r"<(?P<tag>script|link|img|iframe|source|embed|audio|video)\b(?P<attrs>[^>]*)>", re.I
)
_URL_ATTR = re.compile(r"\b(?:src|href|srcset|data)\s*=\s*[\"']?(?P<url>(?:https?:)?//[^\"'\s>]+)")
_LOCAL_HOSTS = ("//127.0.0.1", "//localhost")


def _mermaid_block(match: re.Match[str]) -> str:
    # Escape the diagram source exactly once (nbconvert's Markdown renderer has escaped it, its
    # text/vnd.mermaid output has not), so that `-->` and `<br/>` reach mermaid intact.
    code = html.escape(html.unescape(match.group("code").strip()))
    return f'<pre class="mermaid"><code>{code}</code></pre>'


def external_references(page_html: str) -> list[str]:
    """The URLs on another host that a browser would fetch for this page."""
    found = []
    for tag in _FETCHING_TAG.finditer(page_html):
        attrs = tag.group("attrs")
        if tag.group("tag").lower() == "link" and re.search(
            r"\brel=[\"']?(?:canonical|alternate|author|license)\b", attrs
        ):
            continue  # a browser does not fetch these
        for url in _URL_ATTR.finditer(attrs):
            value = url.group("url")
            if not any(value.split(":", 1)[-1].startswith(h) for h in _LOCAL_HOSTS):
                found.append(value)
    return found


def on_post_page(output: str, page: Any, config: Any) -> str:
    """Make notebook pages static, then check that no page fetches from another host."""
    if page.file.src_uri.endswith(".ipynb"):
        output = _NB_MERMAID_LOADER.sub("", output)
        output = _MATHJAX_CONFIG.sub("", output)
        output = _EXTERNAL_SCRIPT.sub("", output)
        output = _NB_MERMAID.sub(_mermaid_block, output)
    for url in external_references(output):
        log.warning("%s would fetch %s from another host", page.file.src_uri, url)
    return output
