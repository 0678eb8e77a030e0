"""pyt_arch_kit: design production Python systems with the pyt-arch architect persona.

Requirements go in, a deterministic plan (Little's law, queueing, pool sizes, worker counts, each
with formula and source) is computed, and a backend writes the six-section design: offline
(default, no key, no network), Claude (streamed, prompt-cached) or replay (a recorded cassette).

Example:
    >>> from pyt_arch_kit import Architect, preset
    >>> design = Architect().design(preset("io-bound-api"))
    >>> design.complete
    True

The public names are loaded lazily, so ``import pyt_arch_kit`` stays cheap and does not import
the anthropic SDK, ipywidgets, IPython or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Architect": "pyt_arch_kit.architect",
    "Design": "pyt_arch_kit.design",
    "SECTIONS": "pyt_arch_kit.design",
    "Usage": "pyt_arch_kit.design",
    "Persona": "pyt_arch_kit.persona",
    "load_persona": "pyt_arch_kit.persona",
    "Requirements": "pyt_arch_kit.requirements",
    "load_requirements": "pyt_arch_kit.requirements",
    "Plan": "pyt_arch_kit.planning.model",
    "plan": "pyt_arch_kit.planning",
    "preset": "pyt_arch_kit.presets",
    "preset_names": "pyt_arch_kit.presets",
    "PytArchError": "pyt_arch_kit.errors",
    "RequirementsError": "pyt_arch_kit.errors",
    "design_many": "pyt_arch_kit.batch",
    "Settings": "pyt_arch_kit.settings",
    "PersonaError": "pyt_arch_kit.errors",
    "RequirementsForm": "pyt_arch_kit.widgets",
    "BackendError": "pyt_arch_kit.errors",
    "IncompleteDesignError": "pyt_arch_kit.errors",
    "SettingsError": "pyt_arch_kit.errors",
    "Verification": "pyt_arch_kit.verify",
    "ResolvedRequirements": "pyt_arch_kit.resolved",
    "Broker": "pyt_arch_kit.planning.choices",
    "Cache": "pyt_arch_kit.planning.choices",
    "DataTool": "pyt_arch_kit.planning.choices",
    "Driver": "pyt_arch_kit.planning.choices",
    "FindingKind": "pyt_arch_kit.planning.choices",
    "Framework": "pyt_arch_kit.planning.choices",
    "Isolation": "pyt_arch_kit.planning.choices",
    "QueueScope": "pyt_arch_kit.planning.choices",
    "Server": "pyt_arch_kit.planning.choices",
    "WorkerClass": "pyt_arch_kit.planning.choices",
    "Question": "pyt_arch_kit.questions",
    "rank_questions": "pyt_arch_kit.questions",
    "calibrate": "pyt_arch_kit.calibration",
    "Calibration": "pyt_arch_kit.calibration",
}

__all__ = [
    "SECTIONS",
    "Architect",
    "BackendError",
    "Broker",
    "Cache",
    "Calibration",
    "DataTool",
    "Design",
    "Driver",
    "FindingKind",
    "Framework",
    "IncompleteDesignError",
    "Isolation",
    "Persona",
    "PersonaError",
    "Plan",
    "PytArchError",
    "Question",
    "QueueScope",
    "Requirements",
    "RequirementsError",
    "RequirementsForm",
    "ResolvedRequirements",
    "Server",
    "Settings",
    "SettingsError",
    "Usage",
    "Verification",
    "WorkerClass",
    "__version__",
    "calibrate",
    "design_many",
    "load_ipython_extension",
    "load_persona",
    "load_requirements",
    "plan",
    "preset",
    "preset_names",
    "rank_questions",
]

if TYPE_CHECKING:
    from pyt_arch_kit.architect import Architect
    from pyt_arch_kit.batch import design_many
    from pyt_arch_kit.calibration import Calibration, calibrate
    from pyt_arch_kit.design import SECTIONS, Design, Usage
    from pyt_arch_kit.errors import (
        BackendError,
        IncompleteDesignError,
        PersonaError,
        PytArchError,
        RequirementsError,
        SettingsError,
    )
    from pyt_arch_kit.persona import Persona, load_persona
    from pyt_arch_kit.planning import plan
    from pyt_arch_kit.planning.choices import (
        Broker,
        Cache,
        DataTool,
        Driver,
        FindingKind,
        Framework,
        Isolation,
        QueueScope,
        Server,
        WorkerClass,
    )
    from pyt_arch_kit.planning.model import Plan
    from pyt_arch_kit.presets import preset, preset_names
    from pyt_arch_kit.questions import Question, rank_questions
    from pyt_arch_kit.requirements import Requirements, load_requirements
    from pyt_arch_kit.resolved import ResolvedRequirements
    from pyt_arch_kit.settings import Settings
    from pyt_arch_kit.verify import Verification
    from pyt_arch_kit.widgets import RequirementsForm


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%architect`` cell magic: ``%load_ext pyt_arch_kit``."""
    from pyt_arch_kit.magics import register

    register(ipython)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pyt_arch_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
