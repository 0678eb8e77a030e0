"""Runnable code examples for the critical parts (see :mod:`pyt_arch_kit.writer.code`)."""

from __future__ import annotations

from pyt_arch_kit.writer.code import snippets

__all__ = ["snippets"]
