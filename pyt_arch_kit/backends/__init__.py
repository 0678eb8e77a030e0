"""Backends write the design: the seam between the pure core and the outside world.

:mod:`~pyt_arch_kit.backends.registry` lists every backend; :mod:`~pyt_arch_kit.backends.base`
is the protocol they share. Names are imported lazily, so reading the registry (as settings and
redaction do) loads no backend.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta
    from pyt_arch_kit.backends.registry import get_backend

__all__ = ["Backend", "DesignRequest", "Finished", "TextDelta", "get_backend"]

_EXPORTS = {
    "Backend": "pyt_arch_kit.backends.base",
    "DesignRequest": "pyt_arch_kit.backends.base",
    "Finished": "pyt_arch_kit.backends.base",
    "TextDelta": "pyt_arch_kit.backends.base",
    "get_backend": "pyt_arch_kit.backends.registry",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
