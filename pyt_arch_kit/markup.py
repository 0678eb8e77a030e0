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

import bisect
import html as _html
import re

__all__ = ["cell", "html", "inert_markdown", "inline", "mermaid_label"]

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


# -- Markdown someone else wrote (a model's answer) ------------------------------------------

# A fence opens with 3+ backticks or tildes after at most 3 spaces (a backtick fence's info
# string holds no backtick); any line of the same character, at least as long, closes it.
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
_FENCE_CLOSE = re.compile(r"^\s*(`{3,}|~{3,})\s*$")
# ``<`` that could start a tag, a comment, a declaration or an autolink.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# The start of a link destination, ``](…`` or ``]: …`` (a reference definition).
_DESTINATION = re.compile(r"\](\(|:)(\s*<?)([^\s()<>\[\]]*)")
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|data|file):", re.IGNORECASE)


# A tag in a mermaid label that the browser would fetch something for (mermaid renders HTML
# labels): removed, the label keeps its text.
_FETCHING_TAG = re.compile(
    r"<\s*/?\s*(?:img|image|picture|source|video|audio|track|iframe|frame|object|embed|link"
    r"|input|svg|use|style|script)\b[^>]*>",
    re.IGNORECASE,
)


def _unsafe_url(url: str) -> bool:
    # CommonMark decodes entities in a destination, and browsers drop controls and spaces.
    plain = _html.unescape(url)
    plain = "".join(c for c in plain if c.isprintable() and not c.isspace()).lstrip("<")
    plain = plain.replace("\\", "")  # ``javascript\:`` is still javascript: to some renderers
    return _UNSAFE_SCHEME.match(plain) is not None


def _inert_text(text: str) -> str:
    """One stretch of a line outside code: no tags, no image, no link to an unsafe URL."""
    text = _TAG_START.sub("&lt;", text).replace("{", "&#123;")  # no attr_list ``{: onclick}``
    # ``![alt](https://…)`` would be fetched as the notebook renders it (a tracking pixel):
    # shown as ``!`` and a link, it loads nothing until the reader follows it.
    text = text.replace("![", "&#33;[")

    def link(m: re.Match[str]) -> str:
        # An empty destination here may continue on the next line, out of sight: not a link.
        if m.group(3) and not _unsafe_url(m.group(3)):
            return m.group(0)
        return "]&#" + str(ord(m.group(1))) + ";" + m.group(2) + m.group(3)

    return _DESTINATION.sub(link, text)


# A renderer may not read a code span as code on a line with a table's ``|`` (cells are split
# first) or a link (its destination or title can swallow the opening backtick): there a span
# whose text would be live outside code is written as escaped HTML instead.
_MISREAD_LINE = re.compile(r"\||\]\(|\]:")
_LIVE_OUTSIDE_CODE = re.compile(r"<[A-Za-z/!?]|\{|\]\(|\]:")
_CODE_ESCAPES = str.maketrans({c: f"&#{ord(c)};" for c in "|{}[]()`\\*_~!:"})


def _code_span(text: str, misread: bool) -> str:
    """A code span, kept as written unless a renderer could misread it as live text."""
    ticks = len(text) - len(text.lstrip("`"))
    inner = text[ticks:-ticks]
    if not (misread and _LIVE_OUTSIDE_CODE.search(inner)):
        return text
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]  # CommonMark strips one space each side
    return "<code>" + _html.escape(inner, quote=False).translate(_CODE_ESCAPES) + "</code>"


def _runs_by_length(line: str) -> dict[int, list[int]]:
    """The start of every maximal backtick run on a line, by run length (sorted)."""
    runs: dict[int, list[int]] = {}
    for m in re.finditer(r"`+", line):
        runs.setdefault(m.end() - m.start(), []).append(m.start())
    return runs


def _inert_line(line: str) -> str:
    """A line outside fences: text made inert, inline code spans kept as written."""
    out: list[str] = []
    i, start, n = 0, 0, len(line)
    runs: dict[int, list[int]] | None = None  # built on the first backtick: linear in the line
    misread = False
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2  # a backslash escape: the next character starts nothing
            continue
        if c != "`":
            i += 1
            continue
        run = i
        while i < n and line[i] == "`":
            i += 1
        ticks = i - run
        if runs is None:
            runs = _runs_by_length(line)
            misread = _MISREAD_LINE.search(line) is not None
        starts = runs.get(ticks, [])
        k = bisect.bisect_left(starts, i)  # the first run of this length after the opener
        if k == len(starts):  # no closing run on this line: shown as text, so that no code span
            out.append(_inert_text(line[start:run]) + "&#96;" * ticks)  # spans lines
            start = i
            continue
        end = starts[k] + ticks
        out.append(_inert_text(line[start:run]))
        out.append(_code_span(line[run:end], misread))  # a code span: shown as code, never HTML
        i = start = end
    out.append(_inert_text(line[start:]))
    return "".join(out)


_LANGUAGE = re.compile(r"\s*[\w.+#-]*")


def _fence_line(line: str, info_at: int) -> str:
    """An opening fence keeps its language word; the rest of its info string is dropped."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    language = _LANGUAGE.match(body, info_at)
    kept = body[: language.end() if language else info_at]
    return (body if kept.rstrip() == body.rstrip() else kept.rstrip()) + ending


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _closes(line: str, fence: str) -> bool:
    close = _FENCE_CLOSE.match(line)
    return close is not None and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence)


class _Closers:
    """The closing fence lines of one fence character, asked "is there one of at least this
    length between these lines?" in O(1) (a sparse table of range maxima over them)."""

    def __init__(self, lines: list[str], char: str) -> None:
        self.at: list[int] = []  # line indices of the closing lines
        lengths: list[int] = []
        for j, line in enumerate(lines):
            close = _FENCE_CLOSE.match(line)
            if close and close.group(1)[0] == char:
                self.at.append(j)
                lengths.append(len(close.group(1)))
        self.table = [lengths]
        span = 1
        while 2 * span <= len(lengths):
            row = self.table[-1]
            self.table.append(list(map(max, row[:-span], row[span:])))
            span *= 2

    def any_between(self, low: int, high: int, length: int) -> bool:
        """Whether a line in ``[low, high)`` closes a fence of ``length``."""
        a, b = bisect.bisect_left(self.at, low), bisect.bisect_left(self.at, high)
        if a >= b:
            return False
        level = (b - a).bit_length() - 1
        row = self.table[level]
        return max(row[a], row[b - (1 << level)]) >= length


def _shallower(lines: list[str]) -> list[list[int]]:
    """``[k][j]``: the first non-blank line from ``j`` on indented by fewer than ``k`` spaces."""
    out = [[len(lines)] * (len(lines) + 1) for _ in range(4)]
    for j in range(len(lines) - 1, -1, -1):
        depth = _indent(lines[j]) if lines[j].strip() else 4
        for k in range(4):
            out[k][j] = j if depth < k else out[k][j + 1]
    return out


def inert_markdown(text: str) -> str:
    """Markdown someone else wrote (a model's answer), made safe to render: data, not markup.

    A trusted notebook renders raw HTML in Markdown as it comes, so a design that says
    ``<img src=x onerror=…>`` would run it. Outside code fences and inline code, every ``<`` that
    could open a tag, a comment or an autolink becomes ``&lt;`` (shown as ``<``), every ``{`` a
    character reference (no ``{: onclick=…}`` attribute list), and a link to a ``javascript:``,
    ``vbscript:``, ``data:`` or ``file:`` URL (or one that starts on the next line) is left as
    plain text. Nothing is fetched as the text renders: an image (``![alt](url)``) is shown as
    ``!`` and a link, and a mermaid block loses any tag that loads a resource (``<img>``,
    ``<iframe>``, …) from its labels. Other code (fenced, or in backticks on one line) is kept
    byte for byte: ``>=2.7,<3`` and ``<br/>`` in a mermaid fence stay as written (an opening
    fence keeps its language word only; a fence never closed is text); a backtick run left open
    at the end of a line is shown as text, so that no code span can hide HTML across lines.
    Every other character is unchanged.

    Example:
        >>> inert_markdown("Use `<3` and <img src=x onerror=alert(1)>")
        'Use `<3` and &lt;img src=x onerror=alert(1)>'
        >>> inert_markdown("[click](javascript:alert(1))")
        '[click]&#40;javascript:alert(1))'
    """
    lines = _LINE.findall(text)  # CommonMark's line endings only (not U+2028 and kin)
    closers = {char: _Closers(lines, char) for char in "`~"}  # no search for a fence never
    shallower = _shallower(lines)  # closed, nor for one a list item ends first: linear
    out: list[str] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if opened and not (opened.group(1)[0] == "`" and "`" in lines[i][opened.end() :]):
            fence = opened.group(1)
            # Kept as code only if it closes (parsers disagree on where an unclosed one ends)
            # before a line indented less than it: an indented fence may sit in a list item,
            # which such a line ends, and the fence with it.
            before = shallower[opened.start(1)][i + 1]
            if closers[fence[0]].any_between(i + 1, before, len(fence)):
                end = i + 1
                while not _closes(lines[end], fence):
                    end += 1
                out.append(_fence_line(lines[i], opened.end()))
                body = lines[i + 1 : end + 1]
                if lines[i][opened.end() :].strip().lower().startswith("mermaid"):
                    body = [_FETCHING_TAG.sub("", line) for line in body]
                out += body
                i = end + 1
                continue
            # Text, so it must not open a fence either: CommonMark runs one to the end.
            at = opened.start(1)
            out.append(_inert_line(lines[i][:at] + "\\" + lines[i][at:]))
            i += 1
            continue
        out.append(_inert_line(lines[i]))
        i += 1
    return "".join(out)
