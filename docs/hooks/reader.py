"""MkDocs hook: what a reader of the site sees and clicks works, on every page.

- ``on_page_content``: the planner's formulas (the "Formula" column of a figures table) become
  math that the vendored KaTeX draws, keeping the plain formula for search and screen readers;
  on notebook pages, nbconvert's ``¶`` anchors become Material's header links and the prompts
  and copy buttons are left out of the search index (no "¶", "In [1]:" or "Copied!" in a
  search result).
- ``on_page_context``: a notebook page's edit link points at ``notebooks/NAME.ipynb`` in the
  repository (the site builds from an executed copy in ``docs/notebooks/``).
- ``on_post_page``: every in-page link (table of contents, "skip to content") points at an id
  the page has — mkdocs-jupyter's table of contents slugs a heading without its inline code —
  and a notebook's diagrams get the same pan/zoom box as the Markdown pages'.
"""

from __future__ import annotations

import html
import re
from typing import Any

# -- formulas as math ------------------------------------------------------------------------

_GREEK = {"λ": r"\lambda", "μ": r"\mu", "ρ": r"\rho", "σ": r"\sigma"}
_SYMBOLS = {
    "·": r"\cdot",
    "×": r"\times",
    "≤": r"\le",
    "≥": r"\ge",
    "≈": r"\approx",
    "−": "-",
    "⌈": r"\lceil",
    "⌉": r"\rceil",
    "→": r"\to",
}
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUP = {"ᴺ": "N", "²": "2", "³": "3"}
_OPERATORS = {"ln": r"\ln", "max": r"\max", "min": r"\min", "log": r"\log"}
_TOKEN = re.compile(
    r"(?P<word>[A-Za-z][A-Za-z_]*)|(?P<number>\d+(?:\.\d+)?)|(?P<sub>[₀-₉]+)"
    r"|(?P<space>\s+)|(?P<other>.)"
)


def _text(words: str) -> str:
    return r"\text{" + words.replace("_", r"\_") + "}"


def tex_of(formula: str) -> str:
    """A formula as the planner writes it (``L = λ · W``) in TeX for KaTeX.

    Single letters are variables, ``x_y`` a subscript, known operators stay operators, and
    runs of words are text: ``t₉₉ = ln(C / 0.01) / (cμ − λ)`` becomes
    ``t_{99} = \\ln(C / 0.01) / (c\\mu - \\lambda)``.
    """
    out: list[str] = []
    words: list[str] = []

    def flush() -> None:
        if words:
            text = "".join(words)
            stripped = text.rstrip()
            out.append(_text(stripped) + text[len(stripped) :])
            words.clear()

    for m in _TOKEN.finditer(formula):
        kind, value = m.lastgroup, m.group(0)
        if kind == "word":
            head, _, sub = value.partition("_")
            if value in _OPERATORS:
                flush()
                out.append(_OPERATORS[value])
            elif len(head) == 1 and (not sub or sub.isalpha()):
                flush()
                out.append(head + (("_{" + _text(sub) + "}") if sub else ""))
            else:
                words.append(value)
        elif kind == "space" and words:
            words.append(value)
        elif kind == "sub":
            flush()
            out.append("_{" + value.translate(_SUB) + "}")
        else:
            flush()
            if value in _GREEK or value in _SYMBOLS:
                out.append((_GREEK | _SYMBOLS)[value] + " ")
            elif value in _SUP:
                out.append("^{" + _SUP[value] + "}")
            elif value in "{}%#&$":
                out.append("\\" + value)
            else:
                out.append(value)
    flush()
    return "".join(out).strip()


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S)
_CELL = re.compile(r"<t([hd])\b[^>]*>(.*?)</t\1>", re.S)
_CODE_ONLY = re.compile(r"^\s*<code>(?P<code>[^<]*)</code>\s*$")


def _math_table(table: str) -> str:
    rows = _ROW.findall(table)
    if not rows:
        return table
    header = [re.sub(r"<[^>]+>", "", c[1]).strip() for c in _CELL.findall(rows[0])]
    if "Formula" not in header:
        return table
    column = header.index("Formula")

    def row(match: re.Match[str]) -> str:
        cells = list(_CELL.finditer(match.group(0)))
        if len(cells) <= column or cells[column].group(1) != "d":
            return match.group(0)
        cell = cells[column]
        code = _CODE_ONLY.match(cell.group(2))
        if code is None:
            return match.group(0)
        formula = html.unescape(code.group("code"))
        math = (
            f'<span class="arithmatex" data-search-exclude>\\({html.escape(tex_of(formula))}\\)'
            f'</span><span class="formula-text">{html.escape(formula)}</span>'
        )
        start, end = cell.start(2), cell.end(2)
        text = match.group(0)
        return text[:start] + math + text[end:]

    return _ROW.sub(row, table)


def formulas_as_math(page_html: str) -> str:
    """Every figures table's Formula column as KaTeX math (plain text kept, visually hidden)."""
    return _TABLE.sub(lambda m: _math_table(m.group(0)), page_html)


# -- notebook pages --------------------------------------------------------------------------

_SEARCH_NOISE = re.compile(
    r'<div class="(?P<cls>zeroclipboard-container|jp-InputPrompt jp-InputArea-prompt|'
    r'jp-OutputPrompt jp-OutputArea-prompt)"'
)


def quiet_notebook(page_html: str) -> str:
    """nbconvert's anchors as Material header links; prompts and copy buttons out of search."""
    page_html = page_html.replace('<a class="anchor-link" href=', '<a class="headerlink" href=')
    return _SEARCH_NOISE.sub(
        lambda m: f'<div class="{m.group("cls")}" data-search-exclude', page_html
    )


def on_page_content(html_text: str, page: Any, **_kwargs: Any) -> str:
    """Formulas as math on every page; quiet search text on notebook pages."""
    if page.file.src_uri.endswith(".ipynb"):
        html_text = quiet_notebook(html_text)
    return formulas_as_math(html_text)


def on_page_context(context: Any, page: Any, config: Any, **_kwargs: Any) -> Any:
    """A notebook page's edit link opens the notebook in the repository, not the copy."""
    if page.file.src_uri.endswith(".ipynb") and config.get("repo_url"):
        repo = str(config["repo_url"]).rstrip("/")
        page.edit_url = f"{repo}/edit/main/{page.file.src_uri}"
    return context


# -- links that resolve, diagrams that zoom --------------------------------------------------

_ID = re.compile(r'\bid="([^"]+)"')
_LOCAL_HREF = re.compile(r'href="#([^"]+)"')


def _words_in_order(words: list[str], heading: list[str]) -> bool:
    """Whether a slug's words appear, in order, among a heading id's (code words dropped)."""
    it = iter(heading)
    return all(any(w == h for h in it) for w in words)


def resolve_anchors(page_html: str) -> str:
    """Point each in-page link at an id the page has (the heading it was meant for)."""
    ids = set(_ID.findall(page_html))
    headings = re.findall(r'<h[1-6][^>]*\bid="([^"]+)"', page_html)

    def fix(match: re.Match[str]) -> str:
        target = html.unescape(match.group(1))
        if target in ids or match.group(1) in ids:
            return match.group(0)
        near = [h for h in headings if h.startswith(target)] or [
            h for h in headings if _words_in_order(target.split("-"), h.split("-"))
        ]
        if near:
            return f'href="#{near[0]}"'
        return match.group(0)

    return _LOCAL_HREF.sub(fix, page_html)


def on_post_page(output: str, page: Any, config: Any, **_kwargs: Any) -> str:
    """In-page links that resolve; pan and zoom for a notebook's diagrams."""
    if page.file.src_uri.endswith(".ipynb"):
        panzoom = (config.get("mdx_configs") or {}).get("panzoom")
        if panzoom is not None:
            from mkdocs_panzoom_plugin.markdown_extension import PanZoomPostprocessor

            head, sep, body = output.partition('<div class="md-content"')
            output = head + sep + PanZoomPostprocessor(panzoom).run(body)
    return resolve_anchors(output)
