"""A design as one self-contained HTML file: what an architect mails to a team.

The six sections are rendered with Python-Markdown (the renderer the docs site uses), the system
diagram is drawn by mermaid embedded in the file (the copy the package ships, from the version
``package-lock.json`` pins), the charts are inlined PNGs, and the plan's figures, decisions,
findings and assumptions are tables. Opening the file makes no request: a Content-Security-Policy
allows only the file's own inline scripts (by hash), inline styles and ``data:`` images.

Everything that came from a user or a model is data: raw HTML in the Markdown is shown as text,
links keep only ``http``, ``https`` and ``mailto`` targets, an image that would be fetched from
elsewhere becomes its alt text, and every table cell and title is escaped.

Example:
    ```pycon
    >>> from pyt_arch_kit import Architect, preset
    >>> page = Architect().design(preset("io-bound-api")).to_html(charts=False)
    >>> page.startswith("<!DOCTYPE html>") and '<pre class="mermaid">' in page
    True
    ```
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.design import APPENDIX, SECTIONS, Design
from pyt_arch_kit.errors import MissingExtraError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from pyt_arch_kit.planning.model import Plan

__all__ = ["design_html", "export_html", "markdown_html"]

_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_MERMAID_FENCE = re.compile(
    r'<pre><code class="language-mermaid">(?P<code>.*?)</code></pre>', re.DOTALL
)
_MERMAID_INIT = (
    "mermaid.initialize({startOnLoad: true, securityLevel: 'strict', theme: 'default',"
    " flowchart: {useMaxWidth: false}});"
)


# -- Markdown, with everything a user wrote kept as data --------------------------------------


def _safe_url(url: str) -> bool:
    lowered = "".join(url.split()).lower()  # "java\nscript:" is still javascript:
    if lowered.startswith(("#", "/", "./", "../")) or ":" not in lowered.split("/", 1)[0]:
        return True
    return lowered.startswith(_SAFE_SCHEMES)


@functools.cache
def _markdown_class() -> Any:
    import markdown
    from markdown.extensions import Extension
    from markdown.treeprocessors import Treeprocessor

    class _Defuse(Treeprocessor):
        """Links keep safe targets only; an image from elsewhere becomes its alt text."""

        def run(self, root: Element) -> None:
            for parent in root.iter():
                for i, child in enumerate(list(parent)):
                    if child.tag == "a" and not _safe_url(child.get("href", "")):
                        child.attrib.pop("href", None)
                    elif child.tag == "img":
                        src = child.get("src", "")
                        if not src.startswith("data:image/"):
                            span = type(child)("span")
                            span.text = f"[image: {child.get('alt', '')}]"
                            span.tail = child.tail
                            parent.remove(child)
                            parent.insert(i, span)

    class _Escape(Extension):
        """No raw HTML: a ``<script>`` in the text is shown as text, never run."""

        def extendMarkdown(self, md: Any) -> None:  # noqa: N802 (Python-Markdown's name)
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
            md.treeprocessors.register(_Defuse(md), "defuse", 0)

    def make() -> Any:
        return markdown.Markdown(
            extensions=["tables", "fenced_code", "sane_lists", _Escape()],
            output_format="html",
        )

    return make


def markdown_html(text: str) -> str:
    """Markdown to HTML with raw HTML escaped, unsafe links dropped and remote images removed.

    A ````` ```mermaid ````` fence becomes ``<pre class="mermaid">`` (escaped source), which the
    embedded mermaid draws.

    Example:
        ```pycon
        >>> markdown_html("**hi** <script>alert(1)</script>")
        '<p><strong>hi</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>'
        ```
    """
    out = str(_markdown_class()().convert(text))
    return _MERMAID_FENCE.sub(
        lambda m: f'<div class="diagram"><pre class="mermaid">{m.group("code")}</pre></div>', out
    )


# -- the plan as tables -----------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]], *, numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table><thead><tr>{th}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _plan_html(plan: Plan) -> str:
    parts = ["<h3>Figures</h3>"]
    parts.append(
        _table(
            ["Figure", "Value", "Formula", "Inputs", "Source"],
            [[f.label, f.show(), f.formula, f.inputs_text(), f.source] for f in plan.figures],
            numeric={1},
        )
    )
    parts.append("<h3>Decisions</h3>")
    parts.append(
        _table(
            ["Decision", "Choice", "Why", "Trade-off"],
            [[d.topic, d.choice, d.why, d.trade_off] for d in plan.decisions],
        )
    )
    if plan.findings:
        parts.append("<h3>Findings</h3>")
        parts.append(
            _table(
                ["Kind", "Finding", "Evidence", "Recommendation"],
                [[f.kind, f.title, f.detail, f.recommendation] for f in plan.findings],
            )
        )
    if plan.assumptions:
        parts.append("<h3>Assumptions</h3>")
        parts.append(
            _table(
                ["Field", "Assumed", "Because"],
                [[a.field, _plain(a.value), a.because] for a in plan.assumptions],
            )
        )
    return "\n".join(parts)


def _plain(value: Any) -> str:
    from pyt_arch_kit.requirements import _fmt

    return _fmt(value)


def _charts_html(plan: Plan) -> str:
    try:
        from pyt_arch_kit.charts import capacity_vs_growth, p99_vs_utilisation, png

        images = [
            ("p99 latency against core utilisation", png(p99_vs_utilisation(plan))),
            ("capacity over the growth horizon", png(capacity_vs_growth(plan))),
        ]
    except MissingExtraError as exc:
        return f'<p class="note">Charts left out: {html.escape(str(exc))}</p>'
    return "\n".join(
        f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"><figcaption>{html.escape(alt)}'
        "</figcaption></figure>"
        for alt, data in images
    )


# -- the page ---------------------------------------------------------------------------------


@functools.cache
def _mermaid_js() -> str:
    packaged = resources.files("pyt_arch_kit") / "_vendor" / "mermaid.min.js.gz"
    return gzip.decompress(packaged.read_bytes()).decode("utf-8")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif;
  margin: 0 auto; max-width: 62rem; padding: 1.5rem; color: #1b1b1f; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ddd;
  padding-bottom: .2rem; margin-top: 2.2rem; }
.meta { color: #555; margin-top: 0; } .note { background: #fff4e5; border-left: 4px solid #f0ad4e;
  padding: .5rem .8rem; }
code { font: .88em/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace;
  background: #f3f3f6; padding: .05em .3em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f6f6f9; padding: .8rem 1rem; overflow-x: auto; border-radius: 4px; }
pre code { background: none; padding: 0; overflow-wrap: normal; white-space: pre; }
.scroll { overflow-x: auto; margin: .8rem 0; box-shadow: inset -10px 0 8px -8px #0002; }
table { border-collapse: collapse; font-size: .86rem; min-width: 100%; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f1f6; } td.num { text-align: right; white-space: nowrap; }
.diagram { overflow: auto; border: 1px solid #e3e3ea; border-radius: 4px; padding: .5rem; }
pre.mermaid { background: none; margin: 0; text-align: center; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .85rem; }
"""


def design_html(design: Design, *, charts: bool = True) -> str:
    """The design as one self-contained HTML page (diagram drawn, charts and plan included).

    Args:
        design: the design to share; an incomplete one says so at the top.
        charts: inline the two charts (needs matplotlib, the ``lab`` extra; without it the page
            says so instead of failing).

    Returns:
        The HTML text. Opening it makes no network request.
    """
    title = html.escape(design.title)
    meta = [f"written by the {html.escape(design.backend)} backend"]
    if design.model:
        meta.append(f"model {html.escape(design.model)}")
    if design.usage is not None:
        meta.append(html.escape(design.usage.summary()))
    body = [f"<h1>{title}</h1>", f'<p class="meta">{" · ".join(meta)}</p>']
    if not design.complete:
        missing = ", ".join(design.missing_sections) or "none"
        body.append(
            f'<p class="note"><b>Incomplete design</b> '
            f"({html.escape(design.stop_reason or 'the connection ended early')}): everything "
            f"that arrived is kept below. Missing sections: {html.escape(missing)}.</p>"
        )
    sections = design.sections
    for name in SECTIONS:
        if name not in sections:
            continue
        body.append(
            f'<section id="{_anchor(name)}"><h2>{html.escape(name)}</h2>\n'
            f"{markdown_html(sections[name])}</section>"
        )
    if design.appendix:
        body.append(
            f'<section id="appendix"><h2>{html.escape(APPENDIX)}</h2>\n'
            f"{markdown_html(design.appendix)}</section>"
        )
    if design.plan is not None:
        body.append('<section id="plan"><h2>The plan behind it</h2>')
        body.append(_plan_html(design.plan))
        if charts:
            body.append("<h3>Charts</h3>")
            body.append(_charts_html(design.plan))
        body.append("</section>")
    scripts = [_mermaid_js(), _MERMAID_INIT]
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {' '.join(_csp_hash(s) for s in scripts)}"
    )
    script_tags = "\n".join(f"<script>{s}</script>" for s in scripts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="pyt_arch_kit">\n<title>{title}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n{script_tags}\n</body>\n</html>\n"
    )


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def export_html(design: Design, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write :func:`design_html` to a file, atomically, never overwriting unasked.

    Raises:
        ExportError: if the file exists and ``overwrite`` is false.
    """
    from pyt_arch_kit.exports import write_atomically

    return write_atomically(Path(path), design_html(design), overwrite=overwrite)
