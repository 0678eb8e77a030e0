"""What the architect needs to know before designing: validated requirement models.

The models mirror the persona's clarifying questions: scale, latency, consistency, workload,
infrastructure, and the approach the team proposes. Every field is optional: what is left unset
becomes a clarifying question (:meth:`Requirements.gaps`) and an explicit assumption
(:meth:`Requirements.resolved`), never a silent default.

The package is split by responsibility; every name is importable from here:

- :mod:`~pyt_arch_kit.requirements.enums`: the choices fields take;
- :mod:`~pyt_arch_kit.requirements.sections`: the six section models, with bounds and questions;
- :mod:`~pyt_arch_kit.requirements.model`: :class:`Requirements` itself and its checks;
- :mod:`~pyt_arch_kit.requirements.loading`: files and YAML into data;
- :mod:`~pyt_arch_kit.requirements.gaps` and :mod:`~pyt_arch_kit.requirements.assumptions`:
  open questions and the rule that answers each one.
"""

from __future__ import annotations

from pyt_arch_kit.requirements.enums import (
    CPU_BOUND_SHARE,
    IO_BOUND_SHARE,
    Architecture,
    Balancer,
    ConsistencyPriority,
    DatabaseKind,
    DataMode,
    DataShape,
    Hosting,
    Interface,
    WorkloadKind,
)
from pyt_arch_kit.requirements.gaps import Assumption, Gap
from pyt_arch_kit.requirements.gaps import _fmt as _fmt  # for the CLI, report and form
from pyt_arch_kit.requirements.loading import MAX_REQUIREMENTS_BYTES, yaml_data
from pyt_arch_kit.requirements.model import Requirements, load_requirements
from pyt_arch_kit.requirements.model import _question as _question  # for the docs hooks
from pyt_arch_kit.requirements.sections import (
    Consistency,
    Infrastructure,
    Latency,
    ProposedApproach,
    Scale,
    Workload,
)

__all__ = [
    "CPU_BOUND_SHARE",
    "IO_BOUND_SHARE",
    "MAX_REQUIREMENTS_BYTES",
    "Architecture",
    "Assumption",
    "Balancer",
    "Consistency",
    "ConsistencyPriority",
    "DataMode",
    "DataShape",
    "DatabaseKind",
    "Gap",
    "Hosting",
    "Infrastructure",
    "Interface",
    "Latency",
    "ProposedApproach",
    "Requirements",
    "Scale",
    "Workload",
    "WorkloadKind",
    "load_requirements",
    "yaml_data",
]
