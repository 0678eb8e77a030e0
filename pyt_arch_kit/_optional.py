"""Optional packages: imported where they are used, with one clear line when one is missing.

``import pyt_arch_kit`` needs only pydantic and PyYAML. The Claude backend needs the anthropic
SDK (the ``claude`` extra); the workbench needs ipywidgets, IPython and matplotlib (the ``lab``
extra); :mod:`pyt_arch_kit.simulate` needs ciw (the ``simulate`` extra). Every place that
imports one of them goes through :func:`require`, so a missing package is a
:class:`~pyt_arch_kit.errors.MissingExtraError` that names the extra to install, never a bare
``ModuleNotFoundError`` with a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from pyt_arch_kit.errors import MissingExtraError

__all__ = ["EXTRAS", "extras", "install_hint", "require"]

#: Top-level module → (the distribution that provides it, the extra that installs it). A model
#: backend's SDK is named by its entry in the backend registry (:func:`extras` adds them).
EXTRAS: dict[str, tuple[str, str]] = {
    "ipywidgets": ("ipywidgets", "lab"),
    "IPython": ("ipython", "lab"),
    "matplotlib": ("matplotlib", "lab"),
    "ciw": ("ciw", "simulate"),
}


def extras() -> dict[str, tuple[str, str]]:
    """:data:`EXTRAS` and every registered backend's SDK, with the extra that installs it."""
    from pyt_arch_kit.backends.registry import BACKENDS

    sdks = {s.sdk: (s.sdk, s.extra) for s in BACKENDS if s.sdk and s.extra}
    return {**EXTRAS, **sdks}


def install_hint(extra: str) -> str:
    """The install command for an extra, for an installed package and for a clone."""
    return f'pip install "pyt_arch_kit[{extra}]" (in a clone of the repository: ' + (
        f'pip install ".[{extra}]")'
    )


def require(module: str, *, for_: str) -> ModuleType:
    """Import an optional module, or raise one line naming the extra that installs it.

    Args:
        module: the module to import, e.g. ``"anthropic"`` or ``"matplotlib.figure"``.
        for_: what needs it, for the message, e.g. ``"the Claude backend"``.

    Returns:
        The imported module.

    Raises:
        MissingExtraError: if the module's package is not installed (an ``ImportError`` whose
            message names the extra, e.g. ``pip install "pyt_arch_kit[lab]"``).

    Example:
        ```pycon
        >>> require("json", for_="a test").__name__
        'json'
        ```
    """
    top = module.split(".", 1)[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".", 1)[0]
        known = extras()
        if missing != top or top not in known:
            raise  # a bug in an installed package, not a missing extra: keep its traceback
        dist, extra = known[top]
        raise MissingExtraError(
            f"{for_} needs {dist}, which is not installed; install the {extra!r} extra: "
            f"{install_hint(extra)}"
        ) from None
