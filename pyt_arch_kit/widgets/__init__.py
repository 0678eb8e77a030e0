"""The notebook workbench: a requirements form generated from the models, and the run view.

Importing this package imports ipywidgets; ``import pyt_arch_kit`` does not.
"""

from __future__ import annotations

from pyt_arch_kit.widgets.form import RequirementsForm
from pyt_arch_kit.widgets.runner import DesignRunner, Run
from pyt_arch_kit.widgets.view import StreamingMarkdown

__all__ = ["DesignRunner", "RequirementsForm", "Run", "StreamingMarkdown"]
