"""The ``%%architect`` cell magic: requirements in the cell, the design below it.

Load it with ``%load_ext pyt_arch_kit``, then ``%architect --preset io-bound-api`` on one line,
or a cell::

    %%architect --preset io-bound-api --as design
    scale: {peak_rps: 8000}
    latency: {p99_ms: 150}

The body is YAML requirements (laid over the preset's, if one is named). The design streams in
as it is written. Mistakes give one line naming the field or option and the fix, never a
traceback.
"""

from __future__ import annotations

import argparse
import builtins
import keyword
import re
import shlex
import sys
import time
from typing import Any, NoReturn

from pyt_arch_kit._optional import require
from pyt_arch_kit.backends import registry
from pyt_arch_kit.errors import PytArchError, RequirementsError, SettingsError
from pyt_arch_kit.exports import redact
from pyt_arch_kit.markup import inert_markdown
from pyt_arch_kit.messages import shown_key
from pyt_arch_kit.requirements import Requirements, yaml_data

__all__ = ["architect_magic", "register"]

_REFRESH_S = 0.25


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise SettingsError(f"%%architect: {message}; see %%architect --help")


def _parser() -> _Parser:
    p = _Parser(
        prog="%%architect",
        description="Design a system from the YAML requirements in the cell body.",
        add_help=False,
    )
    p.add_argument("--preset", help="start from a shipped preset (the body overrides it)")
    p.add_argument(
        "--backend",
        default="offline",
        help="who writes: " + "; ".join(f"{s.name}: {s.summary}" for s in registry.BACKENDS),
    )
    p.add_argument("--model", help="model id or alias (Claude: sonnet, opus, haiku)")
    p.add_argument("--as", dest="name", help="also store the result in this variable")
    p.add_argument("--plan", action="store_true", help="show only the plan (no backend runs)")
    p.add_argument("--help", action="store_true", help="show this help")
    return p


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:  # e.g. "No closing quotation"
        raise SettingsError(f"%%architect: {exc} in the options; balance the quotes") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _requirements(preset_name: str | None, body: str) -> Requirements:
    from pyt_arch_kit.presets import preset

    base: dict[str, Any] = {}
    if preset_name:
        base = preset(preset_name).model_dump(mode="json", exclude_none=True)
    if not body.strip():
        if not preset_name:
            raise SettingsError(
                "%%architect: the cell is empty; write YAML requirements in it or add "
                "--preset NAME (see pyt_arch_kit.preset_names())"
            )
        return Requirements.parse(base, source=f"preset {preset_name}")
    data = yaml_data(body, source="%%architect")
    if not isinstance(data, dict):
        return Requirements.parse(data, source="%%architect")  # says a mapping is expected
    return Requirements.parse(_merge(base, data), source="%%architect")


def architect_magic(line: str, cell: str, *, namespace: dict[str, Any] | None = None) -> None:
    """Run the ``%%architect`` magic: parse options, build requirements, display the result.

    Args:
        line: the options after ``%%architect``.
        cell: the cell body (YAML requirements).
        namespace: where ``--as NAME`` stores the result (the user's namespace).
    """
    try:
        args = _parser().parse_args(_words(line))
        if args.help:
            print(_parser().format_help())
            return
        if args.name is not None:
            _check_name(args.name)
        requirements = _requirements(args.preset, cell)
        result: Any
        if args.plan:
            from pyt_arch_kit.planning import plan

            result = plan(requirements)
            _display({"text/markdown": result._repr_markdown_()})
        else:
            result = _design(requirements, args.backend, args.model)
    except PytArchError as exc:
        _say(exc)
        return
    if args.name and namespace is not None:
        namespace[args.name] = result


#: Names IPython keeps in the user's namespace (outputs, inputs, the shell): never overwritten.
_IPYTHON_NAMES = re.compile(r"_+|_i+|_i?\d+|_[iod]h|In|Out|get_ipython|exit|quit")


def _check_name(name: str) -> None:
    """Refuse an ``--as`` name that is no variable or would shadow Python's or IPython's own."""
    shown = shown_key(name)
    why = (
        "is not a Python name"
        if not name.isidentifier()
        else "is one of IPython's own names"
        if _IPYTHON_NAMES.fullmatch(name)
        else "is a Python keyword"
        if keyword.iskeyword(name) or keyword.issoftkeyword(name)
        else "is a special (dunder) name"
        if name.startswith("__") and name.endswith("__")
        else "is a Python builtin"
        if hasattr(builtins, name)
        else None
    )
    if why:
        raise SettingsError(
            f"%%architect: --as '{shown}' {why}, which the result would replace; "
            "use a plain name, e.g. --as design"
        )


def _say(exc: PytArchError) -> None:
    """One line per problem on stderr (the key scrubbed), never a traceback."""
    lines = [str(exc)]
    if isinstance(exc, RequirementsError) and len(exc.problems) > 1:
        where = f"{exc.source}: " if exc.source else ""
        lines = [f"{where}{loc}: {msg}" if loc else f"{where}{msg}" for loc, msg in exc.problems]
    for line in lines:
        print(f"pyt-arch: {' '.join(redact(line).splitlines())}", file=sys.stderr)


def _display(bundle: dict[str, str], *, display_id: bool = False) -> Any:
    require("IPython", for_="the %%architect magic")
    from IPython.display import display

    return display(bundle, raw=True, display_id=display_id)  # type: ignore[no-untyped-call]


def _design(requirements: Requirements, backend: str, model: str | None) -> Any:
    from pyt_arch_kit.architect import Architect
    from pyt_arch_kit.design import Design
    from pyt_arch_kit.errors import IncompleteDesignError

    architect = Architect(backend=backend, model=model)
    handle = _display({"text/markdown": "*designing…*"}, display_id=True)
    parts: list[str] = []
    last = time.monotonic()

    def on_text(piece: str) -> None:
        nonlocal last
        parts.append(piece)
        if time.monotonic() - last >= _REFRESH_S:
            handle.update({"text/markdown": inert_markdown("".join(parts))}, raw=True)
            last = time.monotonic()

    try:
        design = architect.design(requirements, on_text=on_text)
    except IncompleteDesignError as exc:
        if not isinstance(exc.design, Design):
            _keep(handle, parts)
            raise
        design = exc.design
        print(f"pyt-arch: {redact(str(exc))}", file=sys.stderr)
    except PytArchError:
        _keep(handle, parts)
        raise
    handle.update({"text/markdown": design._repr_markdown_()}, raw=True)
    return design


def _keep(handle: Any, parts: list[str]) -> None:
    """Show every piece that arrived before a failure (the last refresh may be behind), or,
    if nothing did, that no design came: "designing…" never stays above an error."""
    text = inert_markdown("".join(parts)) if parts else "*no design — the error is below*"
    handle.update({"text/markdown": text}, raw=True)


def register(ipython: Any) -> None:
    """Register ``%%architect`` (and the one-line ``%architect --preset NAME``) with IPython."""

    def magic(line: str, cell: str | None = None) -> None:
        architect_magic(line, cell or "", namespace=ipython.user_ns)

    magic.__doc__ = _parser().format_help()
    ipython.register_magic_function(magic, magic_kind="line_cell", magic_name="architect")
