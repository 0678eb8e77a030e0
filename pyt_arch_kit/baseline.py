"""The service baseline: the practices that are the same advice for every service design.

A service design written offline names the baseline in one line (:data:`BASELINE_REFERENCE`)
and states only what is its own. The text ships in the package (``baseline.md``, printed by
``pyt-arch baseline``) and on the site (``docs/guides/baseline.md``, the same bytes).
"""

from __future__ import annotations

from importlib import resources

__all__ = ["BASELINE", "BASELINE_REFERENCE", "baseline_text"]

#: The baseline's name and version, as a design cites it.
BASELINE = "service baseline v1"
#: The line a service design applies it with: its name, version and where to read it.
BASELINE_REFERENCE = (
    f"Everything else is the **{BASELINE}** (`pyt-arch baseline`, docs/guides/baseline.md)."
)


def baseline_text() -> str:
    """The baseline as Markdown, from the installed package."""
    return (resources.files("pyt_arch_kit") / "baseline.md").read_text(encoding="utf-8")
