"""The notebook workbench: a requirements form generated from the models, and the run view.

Importing this package imports ipywidgets; ``import pyt_arch_kit`` does not. Without the ``lab``
extra it raises one line naming it (an ``ImportError``), never a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

from pyt_arch_kit._optional import require

require("ipywidgets", for_="the workbench (RequirementsForm)")

from pyt_arch_kit.widgets.form import RequirementsForm  # noqa: E402
from pyt_arch_kit.widgets.runner import DesignRunner, Run  # noqa: E402
from pyt_arch_kit.widgets.view import StreamingMarkdown  # noqa: E402

__all__ = ["DesignRunner", "RequirementsForm", "Run", "StreamingMarkdown"]
