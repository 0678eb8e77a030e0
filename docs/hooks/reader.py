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

_GREEK = {
    "λ": r"\lambda",
    "μ": r"\mu",
    "ρ": r"\rho",
    "σ": r"\sigma",
    "α": r"\alpha",
    "θ": r"\theta",
}
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉ᵢ", "0123456789i")
_SUP = str.maketrans("ᴺ²³", "N23")
_TOKEN = re.compile(
    r"(?P<word>p(?:50|95|99|999)\b|[A-Za-z][A-Za-z_]*)"  # p99 is a word, not p times 99
    r"|(?P<greek>[λμρσαθ])"
    r"|(?P<sub>[₀-₉ᵢ]+|_[A-Za-z]+)"
    r"|(?P<sup>[ᴺ²³]+|\^-?(?:[A-Za-z]|[λμρσαθ]|\d+))"
    r"|(?P<space>\s+)|(?P<other>.)"
)


def _prose(tokens: list[tuple[str, str]], i: int) -> bool:
    """Whether word ``i`` is prose rather than a variable.

    Prose: a word of two letters or more (``busy``, ``p99``, ``pool_size``); a unit
    (``req/s``, ``86,400 s``, ``CPU s``) or a letter in a word (``zone's``); a lone letter after
    a word (``consumer a partition``, ``over N keys``, ``Erlang C``), or opening a sentence
    (``a core of the stream engine``). Otherwise a lone letter is a variable.
    """
    kind, value = tokens[i]
    if kind != "word":
        return False
    head, _, sub = value.partition("_")
    if len(head) > 1:
        return True
    if sub:
        return False  # L_db, U_target: a variable with a subscript

    def at(j: int) -> tuple[str, str]:
        return tokens[j] if 0 <= j < len(tokens) else ("", "")

    def word(j: int) -> bool:
        return at(j)[0] == "word" and len(at(j)[1]) > 1

    before = at(i - 1)
    if before[1] == "'" or (before[1] == "/" and word(i - 2)):
        return True  # zone's, req/s
    if before[0] == "space":
        return word(i - 2) or at(i - 2)[1].isdigit()  # over N keys, 86,400 s
    return i == 0 and at(1)[0] == "space" and word(2)


def _tex_word(kind: str, value: str) -> str:
    if kind == "greek":
        return _GREEK[value]
    head, _, sub = value.partition("_")
    if kind == "word" and len(head) == 1:
        return head + ("_{\\text{" + sub + "}}" if sub else "")
    return r"\text{" + value.replace("_", r"\_") + "}"


def _tex_script(value: str) -> str:
    if value.startswith("_"):
        return "_{\\text{" + value[1:] + "}}"
    if value.startswith("^"):
        inner = "".join(_GREEK.get(c, c) for c in value[1:])
        return "^{" + inner + "}"
    if value[0] in "₀₁₂₃₄₅₆₇₈₉ᵢ":
        return "_{" + value.translate(_SUB) + "}"
    return "^{" + value.translate(_SUP) + "}"


def formula_segments(formula: str) -> list[tuple[str, str]]:
    """A formula as the planner writes it, cut into prose and math: ``("text", …)`` is shown as
    typed (its spaces kept, free to wrap) and ``("math", …)`` is TeX for KaTeX: a variable
    (``t₉₉`` → ``t_{99}``, ``U_target`` → ``U_{\text{target}}``), a Greek letter, or anything
    with a sub- or superscript (``0.99ᴺ`` → ``0.99^{N}``).

    Example:
        ``0.01 on the survivors`` keeps its spaces: ``[("text", "0.01 on the survivors")]``;
        ``L = λ · W`` is ``L``, ``" = "``, ``\\lambda``, ``" · "``, ``W``.
    """
    tokens = [(m.lastgroup or "other", m.group(0)) for m in _TOKEN.finditer(formula)]
    out: list[tuple[str, str]] = []

    def add(kind: str, value: str) -> None:
        if out and out[-1][0] == kind == "text":
            out[-1] = ("text", out[-1][1] + value)
        else:
            out.append((kind, value))

    for i, (kind, value) in enumerate(tokens):
        if kind in ("sub", "sup"):
            script = _tex_script(value)
            if out and out[-1][0] == "math":
                out[-1] = ("math", out[-1][1] + script)
            elif out and out[-1][0] == "text" and re.search(r"[\w.]+$", out[-1][1]):
                text = out[-1][1]
                base = re.search(r"[\w.]+$", text)
                assert base is not None
                out[-1] = ("text", text[: base.start()])
                word = base.group(0)
                tex = word if re.fullmatch(r"[\d.]+", word) else _tex_word("word", word)
                out.append(("math", tex + script))
            else:
                out.append(("math", "{}" + script))
        elif kind == "greek" or (kind == "word" and not _prose(tokens, i)):
            out.append(("math", _tex_word(kind, value)))
        else:
            add("text", value)
    return [(k, v) for k, v in out if v]


def formula_html(formula: str) -> str:
    """A formula's HTML: prose as text, each variable as a KaTeX span (``\\( … \\)``).

    Every piece is left out of the search index on its own (Material's search stops excluding
    at the first nested element of the same tag); the plain formula beside it is indexed.
    """
    return "".join(
        f'<span class="arithmatex" data-search-exclude>\\({html.escape(value)}\\)</span>'
        if kind == "math"
        else f"<span data-search-exclude>{html.escape(value)}</span>"
        for kind, value in formula_segments(formula)
    )


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
            f'<span class="formula">{formula_html(formula)}</span>'
            f'<span class="formula-text">{html.escape(formula)}</span>'
        )
        start, end = cell.start(2), cell.end(2)
        text = match.group(0)
        return text[:start] + math + text[end:]

    return _ROW.sub(row, table)


_PIECE = re.compile(r"(<[^>]+>)")


def breakable_identifiers(table: str) -> str:
    """A table whose prose may wrap after the ``_`` of a long identifier
    (``superuser_reserved_connections``), so that its columns fit the page; code is untouched."""
    out, code, script = [], 0, 0
    for piece in _PIECE.split(table):
        if piece.startswith("<"):
            name = piece[1:].split(None, 1)[0].rstrip(">/").lower() if len(piece) > 2 else ""
            if name in ("code", "pre"):
                code += 1
            elif name in ("/code", "/pre"):
                code = max(0, code - 1)
            elif name in ("script", "annotation", "math"):
                script += 1
            elif name in ("/script", "/annotation", "/math"):
                script = max(0, script - 1)
            out.append(piece)
        elif code or script:
            out.append(piece)
        else:
            out.append(re.sub(r"(?<=\w)_(?=\w)", "_<wbr>", piece))
    return "".join(out)


def formulas_as_math(page_html: str) -> str:
    """Every figures table's Formula column as KaTeX math (plain text kept, visually hidden);
    long identifiers in tables may wrap after an underscore."""
    return _TABLE.sub(lambda m: breakable_identifiers(_math_table(m.group(0))), page_html)


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


def run_it_yourself(src_uri: str) -> str:
    """The box at the top of a worked example: download the notebook, and how to open it."""
    name = src_uri.rsplit("/", 1)[-1]
    return (
        '<div class="admonition tip notebook-source" data-search-exclude>'
        '<p class="admonition-title">Run this notebook yourself</p>'
        f'<p><a href="{html.escape(name)}" download>Download {html.escape(name)}</a> '
        "and open it in JupyterLab: "
        '<code>python3 -m venv .venv &amp;&amp; .venv/bin/pip install "pyt_arch_kit[lab]"</code>, '
        f"then <code>.venv/bin/jupyter lab {html.escape(name)}</code>. "
        "In a clone of the repository it is "
        f"<code>notebooks/{html.escape(name)}</code> (with the files it reads beside it); "
        'see <a href="../../guides/workbench/">the workbench guide</a>.</p></div>'
    )


_ONE_WORD_CODE = re.compile(r"<code>(?=[^<\s]+</code>)")


def whole_identifiers(page_html: str) -> str:
    """Inline code of one word (``big-data-pipeline``, ``>=0.115,<1``) is marked to stay on
    one line; code with spaces wraps at them (docs/assets/site.css)."""
    return _ONE_WORD_CODE.sub('<code class="nowrap">', page_html)


def on_page_content(html_text: str, page: Any, **_kwargs: Any) -> str:
    """Formulas as math on every page; quiet search text and a download on notebook pages."""
    if page.file.src_uri.endswith(".ipynb"):
        head, h1, rest = quiet_notebook(html_text).partition("</h1>")
        box = run_it_yourself(page.file.src_uri)
        html_text = head + h1 + box + rest if h1 else box + head
    return whole_identifiers(formulas_as_math(html_text))


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
