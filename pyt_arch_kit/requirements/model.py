"""The requirements model: every section, checked for consistency, with its gaps and assumptions.

Every field is optional: what is left unset becomes a clarifying question
(:meth:`Requirements.gaps`) and an explicit assumption (:meth:`Requirements.resolved`, from
:data:`~pyt_arch_kit.requirements.assumptions.RULES`), never a silent default.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pyt_arch_kit.errors import RequirementsError
from pyt_arch_kit.messages import explain
from pyt_arch_kit.requirements.assumptions import MIN_WINDOW_H, RULES
from pyt_arch_kit.requirements.enums import Interface, WorkloadKind
from pyt_arch_kit.requirements.gaps import Assumption, Gap, _fmt
from pyt_arch_kit.requirements.loading import booleans_for_numbers, file_data, yaml_data
from pyt_arch_kit.requirements.sections import (
    Consistency,
    Infrastructure,
    Latency,
    ProposedApproach,
    Scale,
    Workload,
    _q,
)

__all__ = ["Requirements", "load_requirements"]


class Requirements(BaseModel):
    """Everything the architect knows about the system to design.

    Example:
        >>> from pyt_arch_kit import Requirements
        >>> req = Requirements(name="orders", scale={"peak_rps": 2000}, latency={"p99_ms": 200})
        >>> req.scale.peak_rps
        2000.0
        >>> any(g.field == "workload.kind" for g in req.gaps())
        True
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        "untitled system",
        min_length=1,
        max_length=120,
        pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$",  # one line: no breaks or controls
        description="A short name for the system.",
    )
    summary: str = Field("", max_length=4000, description="What the system does, in a sentence.")
    interface: Interface | None = Field(
        None,
        description="How clients talk to it: rest, grpc, graphql, websocket, events, batch.",
        json_schema_extra=_q("How do clients talk to it (REST, gRPC, events, …)?"),
    )
    scale: Scale = Field(default_factory=Scale, description="Load and data volume.")
    latency: Latency = Field(default_factory=Latency, description="Latency and availability.")
    consistency: Consistency = Field(
        default_factory=Consistency, description="Consistency versus availability."
    )
    workload: Workload = Field(default_factory=Workload, description="Where request time goes.")
    infrastructure: Infrastructure = Field(
        default_factory=Infrastructure, description="Hosting and constraints."
    )
    proposed: ProposedApproach = Field(
        default_factory=ProposedApproach, description="The approach the team proposes."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        s, lat, w = self.scale, self.latency, self.workload
        if s.peak_rps is not None and s.avg_rps is not None and s.avg_rps > s.peak_rps:
            problems.append(
                f"scale.avg_rps ({_fmt(s.avg_rps)}) is above scale.peak_rps "
                f"({_fmt(s.peak_rps)}); the average cannot exceed the peak — lower avg_rps or "
                "raise peak_rps"
            )
        if lat.p50_ms is not None and lat.p99_ms is not None and lat.p99_ms < lat.p50_ms:
            problems.append(
                f"latency.p99_ms ({_fmt(lat.p99_ms)}) is below latency.p50_ms "
                f"({_fmt(lat.p50_ms)}); a 99th percentile cannot be faster than the median — "
                "raise p99_ms or lower p50_ms"
            )
        if s.think_time_ms is not None and s.clients is None:
            problems.append(
                "scale.think_time_ms is set but scale.clients is not; a think time belongs to "
                "closed-loop clients — add clients (e.g. 200 for a load test of 200 users) or "
                "remove think_time_ms"
            )
        if (lat.target_percentile is None) != (lat.target_ms is None):
            given, missing = (
                ("target_percentile", "target_ms")
                if lat.target_ms is None
                else ("target_ms", "target_percentile")
            )
            problems.append(
                f"latency.{given} is set but latency.{missing} is not; a percentile target "
                f'needs both (e.g. target_percentile: 80 with target_ms: 20000 for "80 % of '
                f'requests within 20 s") — add {missing} or remove {given}'
            )
        if w.kind is WorkloadKind.CPU and w.cpu_ms_per_request == 0:
            problems.append(
                "workload.cpu_ms_per_request is 0 but workload.kind is 'cpu'; give the profiled "
                "CPU time per request or choose kind 'io'"
            )
        if (
            w.window_h is not None
            and w.freshness_s is not None
            and w.freshness_s > 0
            and w.window_h * 3600 > w.freshness_s
            # The shortest window a file may give (0.1 h) is what fresher data is assumed to
            # get: the plan then says such data is a stream's job.
            and w.window_h > MIN_WINDOW_H
        ):
            problems.append(
                f"workload.window_h ({_fmt(w.window_h)} h) is longer than workload.freshness_s "
                f"({_fmt(w.freshness_s)} s = {_fmt(w.freshness_s / 3600)} h); a run that "
                "outlasts the freshness can never keep the data that fresh — shorten window_h "
                "or raise freshness_s"
            )
        overlap = {t.lower() for t in self.infrastructure.must_use} & {
            t.lower() for t in self.infrastructure.must_avoid
        }
        if overlap:
            problems.append(
                f"infrastructure.must_use and must_avoid both name {sorted(overlap)}; "
                "remove it from one of them"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def parse(cls, data: Any, *, source: str | None = None) -> Requirements:
        """Validate a mapping into :class:`Requirements`, with errors that name the field.

        Args:
            data: a mapping, as loaded from YAML or JSON.
            source: where it came from, for the error message.

        Raises:
            RequirementsError: naming each wrong field and how to fix it.
        """
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise RequirementsError(
                [
                    (
                        "",
                        f"expected a mapping of sections (scale:, latency:, …), got "
                        f"{type(data).__name__}",
                    )
                ],
                source=source,
            )
        problems = booleans_for_numbers(Requirements, data)
        try:
            checked = cls.model_validate(data)
        except ValidationError as exc:
            named = {loc for loc, _ in problems}
            problems += [p for p in explain(exc, cls) if p[0] not in named]
            raise RequirementsError(problems, source=source) from None
        if problems:  # pydantic would have read true as 1 and false as 0
            raise RequirementsError(problems, source=source)
        return checked

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> Requirements:
        """Parse requirements from YAML (JSON is YAML too).

        Raises:
            RequirementsError: for a YAML syntax error (with its line) or invalid content.
        """
        return cls.parse(yaml_data(text, source=source), source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> Requirements:
        """Load requirements from a ``.yaml``, ``.yml`` or ``.json`` file.

        Raises:
            RequirementsError: if the file is missing, unreadable or invalid.
        """
        data, source = file_data(path)
        return cls.parse(data, source=source)

    def to_yaml(self) -> str:
        """The requirements as YAML, leaving out unset fields (round-trips through from_yaml)."""
        import yaml

        data = self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    # -- gaps and assumptions ----------------------------------------------------------------

    def gaps(self) -> list[Gap]:
        """The clarifying questions still open, each with the assumption the design makes.

        Returns:
            One :class:`Gap` per relevant unset field, in the persona's order (scale, latency,
            consistency, workload, infrastructure).
        """
        return [
            Gap(path, question, value, because)
            for path, question, value, because in self._assumptions()
        ]

    def resolved(self) -> tuple[Requirements, list[Assumption]]:
        """Fill every open gap with its stated assumption.

        Returns:
            ``(requirements with no relevant field unset, the assumptions made)``.
        """
        current: Requirements = self
        made: list[Assumption] = []
        for path, _question, value, because in self._assumptions():
            current = current._with(path, value)
            made.append(Assumption(path, value, because))
        return current, made

    def _with(self, path: str, value: Any) -> Requirements:
        if "." not in path:
            return self.model_copy(update={path: value})
        section, key = path.split(".", 1)
        sub = getattr(self, section)
        return self.model_copy(update={section: sub.model_copy(update={key: value})})

    def _assumptions(self) -> Iterator[tuple[str, str, Any, str]]:
        """Yield (field, question, assumed value, because) for each relevant unset field.

        Later assumptions see earlier ones (e.g. avg_rps derives from the assumed peak_rps).
        """
        req: Requirements = self
        for path, rule in RULES:
            section, _, key = path.rpartition(".")
            holder = getattr(req, section) if section else req
            if getattr(holder, key) is not None:
                continue
            answer = rule(req)
            if answer is None:
                continue
            value, because = answer
            yield path, _question(path), value, because
            req = req._with(path, value)

    # -- display -----------------------------------------------------------------------------

    def _repr_markdown_(self) -> str:
        from pyt_arch_kit.render import requirements_markdown

        return requirements_markdown(self)


def _question(path: str) -> str:
    section, _, key = path.rpartition(".")
    model: type[BaseModel] = Requirements
    if section:
        annotation = Requirements.model_fields[section].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation
    extra = model.model_fields[key].json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("question"), str):
        return str(extra["question"])
    return f"What is {path}?"


def load_requirements(source: str | Path | dict[str, Any] | Requirements) -> Requirements:
    """Requirements from a file path, a mapping, or a :class:`Requirements` (returned as is).

    Raises:
        RequirementsError: if the source is missing or invalid.
    """
    if isinstance(source, Requirements):
        return source
    if isinstance(source, dict):
        return Requirements.parse(source)
    return Requirements.from_file(source)
