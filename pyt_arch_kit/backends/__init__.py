"""Backends write the design: the seam between the pure core and the outside world."""

from __future__ import annotations

from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta, get_backend

__all__ = ["Backend", "DesignRequest", "Finished", "TextDelta", "get_backend"]
