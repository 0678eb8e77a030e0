"""User text as data: escaping for Markdown, mermaid labels and HTML (pure: strings in and out).

A requirement's name, summary, notes or list items end up in Markdown that JupyterLab, nbconvert,
mkdocs and editors render, in mermaid diagrams, and in HTML. Copied verbatim, a summary could
open a code fence that swallows the design's next sections, add a ``## System Diagram`` of its
own, inject ``<script>`` or ``<img onerror>`` (which JupyterLab runs in a trusted notebook),
``{: onclick=…}`` (mkdocs' attr_list), ``$\\href{javascript:…}$`` (MathJax) or a mermaid
``click`` directive. These functions make such text inert and keep ordinary text as it was.

Characters that could be markup are written as HTML character references (``&#96;`` for a
backtick), which CommonMark, marked (JupyterLab), mistune (nbconvert) and Python-Markdown
(mkdocs) all show as the character itself, never as syntax; a backslash escape would not do, as
Python-Markdown does not know every escape and MathJax reads ``\\\\[`` as a formula.

Example:
    >>> inline("orders <b>API</b>\\n## System Diagram")
    'orders &lt;b&gt;API&lt;/b&gt; &#35;&#35; System Diagram'
    >>> inline("order_id stays readable")
    'order_id stays readable'
    >>> mermaid_label('x"]; click x "javascript:alert(1)')
    'x#quot;]#59; click x #quot;javascript:alert(1)'
"""

from __future__ import annotations

import html as _html
import re

__all__ = ["cell", "html", "inline", "mermaid_label"]

# Characters that are markup anywhere in a line, in at least one of the renderers we feed.
_ALWAYS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    "~": "&#126;",
    "$": "&#36;",
    "#": "&#35;",
}
_TABLE = str.maketrans(_ALWAYS)
# An underscore is emphasis only at a word's edge (``_word_``), never inside ``order_id``.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What starts a list or a rule when it opens a line: ``- x``, ``+ x``, ``1. x``, ``---``.
_BLOCK_START = re.compile(r"^(?:([-+=])(?=\s|$|[-+=])|(\d{1,9})([.)])(?=\s|$))")
# Every kind of line break and other control character becomes a space.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")


def _one_line(text: str) -> str:
    return " ".join(_BREAKS.sub(" ", text).split())


def _characters(text: str) -> str:
    return _EDGE_UNDERSCORE.sub("&#95;", _one_line(str(text)).translate(_TABLE))


def inline(text: str) -> str:
    """``text`` as one line of Markdown that shows exactly these characters, and no markup.

    It is safe at the start of a line too: a leading ``-``, ``+`` or ``1.`` does not make a list.
    """
    out = _characters(text)
    start = _BLOCK_START.match(out)
    if start is not None:
        if start.group(1):
            out = f"&#{ord(start.group(1))};" + out[1:]
        else:
            digits, mark = start.group(2), start.group(3)
            out = f"{digits}&#{ord(mark)};" + out[start.end() :]
    return out


def cell(text: str) -> str:
    """``text`` for a Markdown table cell (one line, ``|`` and every other markup escaped)."""
    return _characters(text)


def html(text: str) -> str:
    """``text`` for HTML element content or a quoted attribute value."""
    return _html.escape(str(text), quote=True)


# Inside a quoted mermaid label, ``"`` ends the label (and with it the statement that a line
# break or ``;`` would end), ``#…;`` is an entity, a backtick starts a Markdown string, ``%%`` a
# directive, and ``<``/``&`` HTML. Brackets and parentheses are plain text inside the quotes.
_MERMAID = {c: f"#{ord(c)};" for c in "#;`%&<>"}
_MERMAID['"'] = "#quot;"
_MERMAID_TABLE = str.maketrans(_MERMAID)


def mermaid_label(text: str) -> str:
    """``text`` for a mermaid node label in double quotes: one line, no way out of the quotes."""
    return _one_line(str(text)).translate(_MERMAID_TABLE)
