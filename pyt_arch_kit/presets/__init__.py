"""The shipped scenarios: requirement files that span the persona's expertise."""

from __future__ import annotations

import difflib
import functools
from importlib import resources

from pyt_arch_kit.errors import RequirementsError
from pyt_arch_kit.requirements import Requirements

__all__ = ["list_presets", "preset", "preset_names"]


def preset_names() -> list[str]:
    """The names of the shipped presets, sorted."""
    return list(_names())


@functools.cache
def _names() -> tuple[str, ...]:
    folder = resources.files("pyt_arch_kit.presets")
    return tuple(
        sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


@functools.cache
def _load(name: str) -> Requirements:
    # Read and validated once per process: the files ship with the package, and requirements
    # are frozen, so every caller can share one (the workbench compares the form with each
    # preset after every edit).
    text = (resources.files("pyt_arch_kit.presets") / f"{name}.yaml").read_text(encoding="utf-8")
    return Requirements.from_yaml(text, source=f"preset:{name}")


def preset(name: str) -> Requirements:
    """Load a shipped preset by name.

    Raises:
        RequirementsError: for an unknown name (with the closest names and the full list).

    Example:
        >>> preset("io-bound-api").scale.peak_rps
        2000.0
    """
    names = preset_names()
    if name not in names:
        near = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise RequirementsError(
            [("--preset", f"unknown preset '{name}'; {hint}choose one of: {', '.join(names)}")]
        )
    return _load(name)


def list_presets() -> list[tuple[str, str]]:
    """``(name, one-line summary)`` for every shipped preset."""
    return [(n, preset(n).summary) for n in preset_names()]
