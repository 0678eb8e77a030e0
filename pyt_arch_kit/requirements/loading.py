"""Reading requirements: a file or a YAML text into plain data, with one line per problem.

Validation into :class:`~pyt_arch_kit.requirements.Requirements` happens in its ``parse``; this
module only turns bytes into data, bounded (:data:`MAX_REQUIREMENTS_BYTES`) and strict (a key
given twice is an error in YAML and JSON alike).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from pyt_arch_kit.errors import RequirementsError
from pyt_arch_kit.files import FileRefusedError, read_bounded, shown_path
from pyt_arch_kit.messages import shown_key, unreadable
from pyt_arch_kit.yamlload import DuplicateKeyError

__all__ = ["MAX_REQUIREMENTS_BYTES", "booleans_for_numbers", "file_data", "yaml_data"]

#: The largest requirements file read (a real one is a few kilobytes).
MAX_REQUIREMENTS_BYTES = 1024 * 1024


def file_data(path: str | Path) -> tuple[Any, str]:
    """The data in a ``.yaml``, ``.yml`` or ``.json`` file, and the path as messages show it.

    Raises:
        RequirementsError: if the file is missing, unreadable, too large, or not valid YAML
            or JSON.
    """
    p = Path(path)
    source = shown_path(p)
    try:
        text = read_bounded(p, limit=MAX_REQUIREMENTS_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise RequirementsError(
            [
                (
                    "",
                    "file not found; check the path, or use --preset NAME (see `pyt-arch presets`)",
                )
            ],
            source=source,
        ) from None
    except FileRefusedError as exc:
        raise RequirementsError(
            [("", f"{exc}; give a YAML or JSON requirements file")], source=source
        ) from None
    except IsADirectoryError:
        raise RequirementsError(
            [("", "is a directory, not a requirements file")], source=source
        ) from None
    except UnicodeDecodeError as exc:
        raise RequirementsError(
            [("", f"cannot be read as UTF-8 text (byte {exc.start}); save it as UTF-8")],
            source=source,
        ) from None
    except OSError as exc:
        raise RequirementsError(
            [("", f"cannot be read: {exc.strerror or exc.__class__.__name__}")], source=source
        ) from None
    except ValueError:  # e.g. a NUL character in the path
        raise RequirementsError(
            [("", "is not a usable file path; check the name")], source=repr(str(p))
        ) from None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except DuplicateKeyError as exc:
            raise RequirementsError([(exc.path, _TWICE)], source=source) from None
        except json.JSONDecodeError as exc:
            raise RequirementsError(
                [("", f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})")],
                source=source,
            ) from None
        except (RecursionError, ValueError) as exc:
            raise RequirementsError([("", unreadable("JSON", exc))], source=source) from None
        return data, source
    return yaml_data(text, source=source), source


_TWICE = "given twice; keep one value (YAML and JSON would silently keep the last)"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(shown_key(key), 0)
        out[key] = value
    return out


def _numeric(annotation: Any) -> bool:
    kinds = get_args(annotation) or (annotation,)
    return any(k in (int, float) for k in kinds)


def booleans_for_numbers(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    """``true``/``false`` given where ``model`` (or one of its sections) wants a number (pydantic
    would read them as 1 and 0)."""
    problems: list[tuple[str, str]] = []

    def check(where: str, value: Any, annotation: Any) -> None:
        if isinstance(value, bool) and _numeric(annotation):
            problems.append(
                (where, f"is {str(value).lower()} (a yes/no value); it must be a number")
            )

    for name, info in model.model_fields.items():
        value = data.get(name)
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            if isinstance(value, dict):
                for key, sub in section.model_fields.items():
                    check(f"{name}.{key}", value.get(key), sub.annotation)
        else:
            check(name, value, section)
    return problems


def yaml_data(text: str, *, source: str | None = None) -> Any:
    """The data in a YAML text, or one line saying where and why it cannot be read.

    The text is read as YAML 1.2 (see :mod:`pyt_arch_kit.yamlload`): ``yes``, ``on``, ``1:30``
    and dates stay text rather than turning into other values, and a key given twice is an error.

    Raises:
        RequirementsError: for a YAML syntax error (with its line and column), a duplicate key
            (with its path and line), nesting too deep, or a value YAML cannot turn into data.
    """
    import yaml

    from pyt_arch_kit import yamlload

    try:
        return yamlload.load(text)
    except yamlload.DuplicateKeyError as exc:
        raise RequirementsError([(exc.path, f"line {exc.line}: {_TWICE}")], source=source) from None
    except yamlload.AliasExpansionError as exc:
        raise RequirementsError([("", str(exc))], source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RequirementsError(
            [("", f"{where}not valid YAML ({problem}); check indentation and quoting")],
            source=source,
        ) from None
    except (RecursionError, ValueError) as exc:  # deep nesting, 5,000-digit ints, bad dates
        raise RequirementsError([("", unreadable("YAML", exc))], source=source) from None
