"""Griffe extension: docstrings written for the terminal read well on the site too.

Loaded by mkdocstrings (``extensions:`` in ``mkdocs.yml``) for every object of the package, it
rewrites each docstring's text before it is parsed:

1. A doctest (``>>>`` lines, their ``...`` continuations and the output after them) that is not
   already in a code fence is fenced as ``pycon``, so it renders as highlighted code instead of
   Markdown's nested quotes.
2. A Sphinx role (``:class:`~pyt_arch_kit.Requirements```, ``:meth:`to_dict```, ``:func:``,
   ``:attr:``, ``:exc:``, ``:mod:``, ``:data:``, ``:obj:``) becomes an optional mkdocs-autorefs
   cross-reference when the name resolves in the object's scope (a link if the API page
   documents it, plain code if not), or plain code when it does not resolve (a matplotlib class).

The package's docstrings stay as they are (``help()`` shows them unchanged).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|attr|exc|mod|data|obj):`(?P<tilde>~?)(?P<name>[^`]+)`")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PROMPT = re.compile(r"^(?P<indent>\s*)>>> ?")


def fence_doctests(text: str) -> str:
    """Wrap each unfenced doctest block (prompts and their output) in a ``pycon`` fence."""
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
        prompt = _PROMPT.match(line)
        if in_fence or prompt is None:
            out.append(line)
            i += 1
            continue
        indent = prompt.group("indent")
        block = []
        while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
            block.append(lines[i])
            i += 1
        out += [f"{indent}```pycon", *block, f"{indent}```"]
    return "\n".join(out)


def _resolve(obj: Any, name: str) -> str | None:
    scopes = [obj, *(getattr(obj, "parent", None),)]
    candidates = [name, name.lstrip(".")]
    for scope in scopes:
        if scope is None:
            continue
        for candidate in candidates:
            head, _, rest = candidate.partition(".")
            try:
                base = scope.resolve(head)
            except (griffe.NameResolutionError, AttributeError, KeyError):
                continue
            return f"{base}.{rest}" if rest else base
    if name.startswith("pyt_arch_kit."):
        return name
    return None


def crossrefs(text: str, obj: Any) -> str:
    """Sphinx roles to mkdocstrings cross-references (or code, when the name is not ours)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name").strip()
        shown = name.rsplit(".", 1)[-1] if match.group("tilde") else name
        shown = shown.lstrip(".")
        target = _resolve(obj, name)
        if target is None or not target.startswith("pyt_arch_kit"):
            return f"`{shown}`"
        # An optional cross-reference: a link when the API page documents the target, plain
        # code when it does not (an undocumented attribute, a helper not on the page).
        return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'

    return _ROLE.sub(replace, text)


class ReaderDocstrings(griffe.Extension):
    """Fence doctests as pycon and turn Sphinx roles into cross-references."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is None or getattr(obj, "is_alias", False):
            return
        docstring.value = crossrefs(fence_doctests(docstring.value), obj)
