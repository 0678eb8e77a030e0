"""Filling code templates: ``@name@`` placeholders and the async/sync switch."""

from __future__ import annotations

from textwrap import dedent

__all__ = ["fill", "flavour"]

_ASYNC = {"async": "async ", "await": "await ", "sleep": "asyncio.sleep"}
_SYNC = {"async": "", "await": "", "sleep": "time.sleep"}


def flavour(is_async: bool) -> dict[str, str]:
    """The values of ``@async@``, ``@await@`` and ``@sleep@`` for async or sync code."""
    return dict(_ASYNC if is_async else _SYNC)


def fill(template: str, **values: object) -> str:
    """The template, dedented, with every ``@key@`` replaced and one trailing newline.

    Lines whose text is exactly ``@drop@`` after filling are removed, so an optional line can be
    switched off by filling its placeholder with ``"@drop@"``.
    """
    out = dedent(template).strip("\n")
    for key, value in values.items():
        out = out.replace(f"@{key}@", str(value))
    lines = [line for line in out.split("\n") if line.strip() != "@drop@"]
    return "\n".join(lines) + "\n"
