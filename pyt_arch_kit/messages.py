"""One-line messages for requirements that cannot be read or do not validate.

Each message names the field (or the file's line) and says what to do; values and field names
are shown short and on one line, however long or odd the input.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["explain", "shown", "shown_key", "unknown_key", "unreadable"]

_SEXAGESIMAL = re.compile(r"^[-+]?[0-9]+(?::[0-5]?[0-9])+(?:\.[0-9]*)?$")


def unreadable(kind: str, exc: BaseException) -> str:
    """The message for YAML/JSON the parser accepts but cannot turn into values."""
    if isinstance(exc, RecursionError):
        return (
            f"not valid {kind} for requirements (nested too deeply); use "
            "`section: {field: value}` as in the README"
        )
    if "digits" in str(exc):
        return f"not valid {kind} for requirements (a number has too many digits); shorten it"
    reason = " ".join(str(exc).split())[:80]
    return f"not valid {kind} for requirements (a value cannot be read: {reason}); quote it"


def explain(exc: ValidationError, model: type[BaseModel]) -> list[tuple[str, str]]:
    """Turn pydantic errors on ``model`` into ``(field, message with the fix)`` pairs."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = ".".join(shown_key(p) for p in err["loc"])
        kind = err["type"]
        ctx = err.get("ctx") or {}
        value = err.get("input")
        if kind == "extra_forbidden":
            problems.append((loc, unknown_key(err["loc"], model)))
        elif isinstance(value, float) and value != value:  # NaN fails every bound
            problems.append((loc, "is NaN (not a number); give a number or leave it out"))
        elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
            bound = next(iter(ctx.values())) if ctx else "?"
            word = {
                "greater_than_equal": "at least",
                "greater_than": "above",
                "less_than_equal": "at most",
                "less_than": "below",
            }[kind]
            problems.append((loc, f"is {shown(err.get('input'))}; it must be {word} {bound}"))
        elif kind == "enum":
            problems.append(
                (loc, f"is {shown(err.get('input'))}; choose one of {ctx.get('expected', '')}")
            )
        elif kind in {"float_parsing", "float_type"}:
            hint = (
                " (YAML 1.1 would read it as a base-60 number; write the number you mean)"
                if isinstance(value, str) and _SEXAGESIMAL.match(value.strip())
                else ""
            )
            problems.append((loc, f"is {shown(value)}; it must be a number{hint}"))
        elif kind in {"int_parsing", "int_type", "int_from_float"}:
            problems.append((loc, f"is {shown(value)}; it must be a whole number"))
        elif kind in {"model_type", "model_attributes_type", "dict_type"}:
            problems.append(
                (
                    loc,
                    "must be a mapping of fields (e.g. `peak_rps: 100`), got "
                    f"{type(err.get('input')).__name__}",
                )
            )
        elif kind == "value_error":
            msg = str(ctx.get("error", err["msg"]))
            for part in msg.splitlines():
                field = part.split(" ", 1)[0]
                problems.append((field if "." in field else loc, part))
        elif kind in {"string_type", "str_type"}:
            problems.append((loc, f"is {shown(value)}; it must be text (put it in quotes)"))
        elif kind == "string_too_long":
            limit = ctx.get("max_length", "?")
            size = len(value) if isinstance(value, str) else "?"
            problems.append((loc, f"is {size} characters long; shorten it to at most {limit}"))
        elif kind == "string_too_short":
            problems.append((loc, "is empty; give a value or leave the field out"))
        elif kind == "string_pattern_mismatch":
            problems.append(
                (loc, "must be one line of text (no line breaks or control characters)")
            )
        elif kind == "list_type":
            problems.append((loc, f"is {shown(value)}; it must be a list, e.g. [redis, kafka]"))
        else:
            problems.append((loc, f"{err['msg']}; see the example in the README"))
    return problems


def _short_repr(limit: int) -> reprlib.Repr:
    """A repr that never walks more of a value than a ``limit``-character message can show.

    A plain ``repr`` of YAML with aliases (nine lists of nine, nine deep) expands hundreds of
    millions of shared items; this one looks at a few items per level, a few levels deep, and
    the first ``limit`` characters of a string or number.
    """
    r = reprlib.Repr()
    r.maxlevel = 3
    r.maxdict = r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = 4
    r.maxstring = r.maxother = r.maxlong = limit + 2
    return r


def shown(value: Any, limit: int = 60) -> str:
    """A value as a message shows it: its repr, cut to ``limit`` characters.

    Only a bounded part of the value is looked at, whatever its size or nesting.
    """
    if isinstance(value, str):
        text = repr(value[: limit + 2])  # longer than limit - 2: cut below either way
    elif isinstance(value, int | float) or value is None:
        text = repr(value)  # an int's repr is bounded by Python's 4,300-digit limit
    else:
        text = _short_repr(limit).repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_key(key: Any, limit: int = 40) -> str:
    """A field name as a message shows it: on one line, cut to ``limit`` characters."""
    text = str(key)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_key(loc: tuple[Any, ...], model: type[BaseModel]) -> str:
    """The message for an unknown field: the nearest allowed name, and all of them.

    The field is echoed cut to 24 characters (its location before the message shows 40), and
    the allowed names are listed while they fit one short line, then counted.
    """
    key = shown_key(loc[-1], 24)
    if len(loc) == 1:
        allowed = list(model.model_fields)
    else:
        annotation = model.model_fields.get(str(loc[0]))
        section = annotation.annotation if annotation else None
        allowed = (
            list(section.model_fields)
            if isinstance(section, type) and issubclass(section, BaseModel)
            else []
        )
    near = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return f"unknown field '{key}'; {hint}allowed: {_names(allowed)}"


#: The most characters of allowed names an unknown-field message lists (the line stays short).
_NAMES_BUDGET = 110


def _names(allowed: list[str]) -> str:
    """The allowed names, as many as fit the budget, then how many there are in all."""
    text = ", ".join(allowed)
    if len(text) <= _NAMES_BUDGET:
        return text
    shown: list[str] = []
    for name in allowed:
        if len(", ".join([*shown, name])) > _NAMES_BUDGET:
            break
        shown.append(name)
    return f"{', '.join(shown)}, … ({len(allowed)} in all: see the requirements guide)"
