"""What the architect needs to know before designing: validated requirement models.

The models mirror the persona's clarifying questions: scale, latency, consistency, workload,
infrastructure, and the approach the team proposes. Every field is optional: what is left unset
becomes a clarifying question (:meth:`Requirements.gaps`) and an explicit assumption
(:meth:`Requirements.resolved`), never a silent default.

Field descriptions, bounds and the clarifying question live on the model itself
(``json_schema_extra={"question": ...}``) so that the notebook form is generated from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pyt_arch_kit.errors import RequirementsError
from pyt_arch_kit.files import FileRefusedError, read_bounded, shown_path
from pyt_arch_kit.messages import explain, shown_key, unreadable
from pyt_arch_kit.yamlload import DuplicateKeyError

__all__ = [
    "CPU_BOUND_SHARE",
    "IO_BOUND_SHARE",
    "Architecture",
    "Assumption",
    "Consistency",
    "ConsistencyPriority",
    "DataMode",
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

#: The largest requirements file read (a real one is a few kilobytes).
MAX_REQUIREMENTS_BYTES = 1024 * 1024


class ConsistencyPriority(StrEnum):
    """Which side of CAP/PACELC the system leans to."""

    STRONG = "strong"
    BALANCED = "balanced"
    AVAILABILITY = "availability"


class WorkloadKind(StrEnum):
    """Where a request spends its time (by :data:`CPU_BOUND_SHARE` and :data:`IO_BOUND_SHARE`)."""

    IO = "io"
    CPU = "cpu"
    MIXED = "mixed"


#: A request is CPU-bound from this share of its time on CPU (processes, not an event loop).
CPU_BOUND_SHARE = 0.6
#: A request is IO-bound up to this share of its time on CPU (an event loop, no process pool).
IO_BOUND_SHARE = 0.2


class DataMode(StrEnum):
    """Whether the system also processes data in bulk."""

    NONE = "none"
    BATCH = "batch"
    STREAMING = "streaming"


class Hosting(StrEnum):
    """Where the system runs."""

    CLOUD = "cloud"
    ON_PREM = "on_prem"
    HYBRID = "hybrid"


class Interface(StrEnum):
    """How clients talk to the system."""

    REST = "rest"
    GRPC = "grpc"
    GRAPHQL = "graphql"
    WEBSOCKET = "websocket"
    EVENTS = "events"
    BATCH = "batch"


class DatabaseKind(StrEnum):
    """The primary data store."""

    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    MONGODB = "mongodb"
    NONE = "none"


class Architecture(StrEnum):
    """The overall shape the team proposes."""

    MONOLITH = "monolith"
    MODULAR_MONOLITH = "modular_monolith"
    MICROSERVICES = "microservices"
    SERVERLESS = "serverless"


def _q(question: str, **extra: Any) -> dict[str, Any]:
    return {"question": question, **extra}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Scale(_Section):
    """Load and data volume."""

    peak_rps: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Peak requests per second the system must serve.",
        json_schema_extra=_q("What peak request rate (requests/s) must it sustain?", widget="log"),
    )
    avg_rps: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Average requests per second over a day.",
        json_schema_extra=_q("What is the average request rate over a day?", widget="log"),
    )
    concurrent_users: int | None = Field(
        None,
        ge=0,
        le=1_000_000_000,
        description="Users connected at the same time at peak.",
        json_schema_extra=_q(
            "How many users are connected at the same time at peak?", widget="log"
        ),
    )
    data_gb: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="Data stored today, in GB.",
        json_schema_extra=_q("How much data is stored today (GB)?", widget="log"),
    )
    growth_gb_per_month: float | None = Field(
        None,
        ge=0,
        le=10_000_000,
        description="How fast stored data grows, in GB per month.",
        json_schema_extra=_q("How fast does the data grow (GB per month)?", widget="log"),
    )
    read_ratio: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Fraction of requests that only read (0.9 = 90 % reads).",
        json_schema_extra=_q("What fraction of requests only read data?"),
    )
    payload_kb: float | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="Typical request + response size, in KB.",
        json_schema_extra=_q("How large is a typical request and response (KB)?", widget="log"),
    )


class Latency(_Section):
    """Latency targets and the availability SLO."""

    p50_ms: float | None = Field(
        None,
        gt=0,
        le=3_600_000,
        description="Median latency target, in milliseconds.",
        json_schema_extra=_q("What median (p50) latency is acceptable (ms)?", widget="log"),
    )
    p99_ms: float | None = Field(
        None,
        gt=0,
        le=3_600_000,
        description="99th-percentile latency target (the SLA), in ms.",
        json_schema_extra=_q("What p99 latency does the SLA promise (ms)?", widget="log"),
    )
    availability_pct: float | None = Field(
        None,
        ge=90,
        lt=100,
        description="Availability SLO in percent, e.g. 99.9.",
        json_schema_extra=_q("What availability SLO applies (e.g. 99.9 %)?"),
    )


class Consistency(_Section):
    """Consistency versus availability."""

    priority: ConsistencyPriority | None = Field(
        None,
        description="strong: never show stale or lost writes (ledgers); "
        "availability: stay up and fast, reconcile later; balanced: in between.",
        json_schema_extra=_q(
            "Under a partition or failover, is correctness (strong) or "
            "staying available more important?"
        ),
    )
    stale_read_tolerance_s: float | None = Field(
        None,
        ge=0,
        le=86_400,
        description="How old a read may be, in seconds (0 = never stale).",
        json_schema_extra=_q(
            "How stale may a read be (seconds)? This decides replicas and caching."
        ),
    )


class Workload(_Section):
    """Where the time of a request goes, and any bulk data processing."""

    kind: WorkloadKind | None = Field(
        None,
        description="io: waits on databases/services; cpu: computes; mixed: both.",
        json_schema_extra=_q("Is a request mostly waiting on IO, computing, or both?"),
    )
    cpu_ms_per_request: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="CPU time one request burns in Python, in ms.",
        json_schema_extra=_q(
            "How much CPU time does one request take (ms, profiled)?", widget="log"
        ),
    )
    io_wait_ms_per_request: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="Time one request waits on databases and other services, in ms.",
        json_schema_extra=_q("How long does one request wait on IO (ms)?", widget="log"),
    )
    db_calls_per_request: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="Database round trips per request.",
        json_schema_extra=_q("How many database round trips does a request make?"),
    )
    db_ms_per_call: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="Time one database call holds a connection, in ms.",
        json_schema_extra=_q(
            "How long does one database call hold a connection (ms)?", widget="log"
        ),
    )
    service_cv: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Coefficient of variation (standard deviation / mean) of a request's CPU "
        "time and of its IO wait: 0 = always the same, 1 = exponential, above 1 = heavy tails.",
        json_schema_extra=_q(
            "How variable is a request's time: what is the standard deviation of its CPU and "
            "IO time over the mean (1 = exponential; measure p99 / p50)?"
        ),
    )
    fanout_calls: int = Field(
        0,
        ge=0,
        le=10_000,
        description="Parallel downstream calls a request waits on (tail amplification).",
    )
    data_mode: DataMode = Field(
        DataMode.NONE,
        description="Bulk data processing besides requests: none, batch, streaming.",
    )
    batch_data_gb: float | None = Field(
        None,
        ge=0,
        le=100_000_000,
        description="Data one batch run or window processes, in GB.",
        json_schema_extra=_q("How much data does one batch run process (GB)?", widget="log"),
    )
    freshness_s: float | None = Field(
        None,
        ge=0,
        le=31_536_000,
        description="How fresh processed data must be, in seconds.",
        json_schema_extra=_q("How fresh must processed data be (seconds)?", widget="log"),
    )


class Infrastructure(_Section):
    """Where it runs and what it must fit into."""

    hosting: Hosting | None = Field(
        None,
        description="cloud, on_prem or hybrid.",
        json_schema_extra=_q("Does it run in a cloud, on premises, or both?"),
    )
    database: DatabaseKind | None = Field(
        None,
        description="The primary data store (none if the service keeps no state).",
        json_schema_extra=_q("Which primary database is available or preferred?"),
    )
    db_max_connections: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="The database server's connection limit (PostgreSQL max_connections).",
        json_schema_extra=_q("What is the database's connection limit (max_connections)?"),
    )
    cores_per_instance: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="CPU cores of one application instance (VM or pod).",
        json_schema_extra=_q("How many cores does one application instance have?"),
    )
    team_size: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Engineers who build and run the system.",
        json_schema_extra=_q("How many engineers will build and operate it?"),
    )
    existing_services: list[str] = Field(
        default_factory=list,
        description="Systems it must integrate with (e.g. Redis, Kafka).",
    )
    must_use: list[str] = Field(
        default_factory=list,
        description="Technologies that are mandated.",
    )
    must_avoid: list[str] = Field(
        default_factory=list,
        description="Technologies that are ruled out.",
    )


class ProposedApproach(_Section):
    """What the team already has in mind (the architect pushes back where it does not fit)."""

    architecture: Architecture | None = Field(
        None,
        description="monolith, modular_monolith, microservices or serverless.",
    )
    service_count: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="How many deployable services the proposal has.",
    )
    technologies: list[str] = Field(
        default_factory=list,
        description="Technologies the proposal relies on (e.g. kafka, kubernetes, asyncio).",
    )
    notes: str = Field("", max_length=4000, description="Anything else about the proposal.")


@dataclass(frozen=True)
class Gap:
    """A clarifying question still open, and what the design assumes meanwhile.

    Attributes:
        field: dotted field path, e.g. ``"latency.p99_ms"``.
        question: the question the architect would ask.
        assumed: the value the design uses until it is answered.
        because: why that value is a reasonable assumption.
    """

    field: str
    question: str
    assumed: Any
    because: str

    def __str__(self) -> str:
        return f"{self.question} (assuming {_fmt(self.assumed)}: {self.because})"


@dataclass(frozen=True)
class Assumption:
    """A value the design assumed for a field the requirements left unset."""

    field: str
    value: Any
    because: str

    def __str__(self) -> str:
        return f"`{self.field}` = {_fmt(self.value)} — {self.because}"


def _fmt(value: Any) -> str:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


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
        if w.kind is WorkloadKind.CPU and w.cpu_ms_per_request == 0:
            problems.append(
                "workload.cpu_ms_per_request is 0 but workload.kind is 'cpu'; give the profiled "
                "CPU time per request or choose kind 'io'"
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
        problems = _booleans_for_numbers(data)
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
        p = Path(path)
        source = shown_path(p)
        try:
            text = read_bounded(p, limit=MAX_REQUIREMENTS_BYTES).decode("utf-8")
        except FileNotFoundError:
            raise RequirementsError(
                [
                    (
                        "",
                        "file not found; check the path, or use --preset NAME "
                        "(see `pyt-arch presets`)",
                    )
                ],
                source=source,
            ) from None
        except FileRefusedError as exc:
            raise RequirementsError(
                [("", f"{exc}; give a YAML or JSON requirements file")], source=source
            ) from None
        except IsADirectoryError:
            raise RequirementsError(
                [("", "is a directory, not a requirements file")], source=source
            ) from None
        except UnicodeDecodeError as exc:
            raise RequirementsError(
                [("", f"cannot be read as UTF-8 text (byte {exc.start}); save it as UTF-8")],
                source=source,
            ) from None
        except OSError as exc:
            raise RequirementsError(
                [("", f"cannot be read: {exc.strerror or exc.__class__.__name__}")], source=source
            ) from None
        except ValueError:  # e.g. a NUL character in the path
            raise RequirementsError(
                [("", "is not a usable file path; check the name")], source=repr(str(p))
            ) from None
        if p.suffix.lower() == ".json":
            try:
                data = json.loads(text, object_pairs_hook=_unique_keys)
            except DuplicateKeyError as exc:
                raise RequirementsError([(exc.path, _TWICE)], source=source) from None
            except json.JSONDecodeError as exc:
                raise RequirementsError(
                    [("", f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})")],
                    source=source,
                ) from None
            except (RecursionError, ValueError) as exc:
                raise RequirementsError([("", unreadable("JSON", exc))], source=source) from None
            return cls.parse(data, source=source)
        return cls.from_yaml(text, source=source)

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
        from pyt_arch_kit.assumptions import RULES

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


_TWICE = "given twice; keep one value (YAML and JSON would silently keep the last)"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(shown_key(key), 0)
        out[key] = value
    return out


def _numeric(annotation: Any) -> bool:
    kinds = get_args(annotation) or (annotation,)
    return any(k in (int, float) for k in kinds)


def _booleans_for_numbers(data: dict[str, Any]) -> list[tuple[str, str]]:
    """``true``/``false`` given where a number belongs (pydantic would read them as 1 and 0)."""
    problems: list[tuple[str, str]] = []

    def check(where: str, value: Any, annotation: Any) -> None:
        if isinstance(value, bool) and _numeric(annotation):
            problems.append(
                (where, f"is {str(value).lower()} (a yes/no value); it must be a number")
            )

    for name, info in Requirements.model_fields.items():
        value = data.get(name)
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            if isinstance(value, dict):
                for key, sub in section.model_fields.items():
                    check(f"{name}.{key}", value.get(key), sub.annotation)
        else:
            check(name, value, section)
    return problems


def yaml_data(text: str, *, source: str | None = None) -> Any:
    """The data in a YAML text, or one line saying where and why it cannot be read.

    The text is read as YAML 1.2 (see :mod:`pyt_arch_kit.yamlload`): ``yes``, ``on``, ``1:30``
    and dates stay text rather than turning into other values, and a key given twice is an error.

    Raises:
        RequirementsError: for a YAML syntax error (with its line and column), a duplicate key
            (with its path and line), nesting too deep, or a value YAML cannot turn into data.
    """
    import yaml

    from pyt_arch_kit import yamlload

    try:
        return yamlload.load(text)
    except yamlload.DuplicateKeyError as exc:
        raise RequirementsError([(exc.path, f"line {exc.line}: {_TWICE}")], source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RequirementsError(
            [("", f"{where}not valid YAML ({problem}); check indentation and quoting")],
            source=source,
        ) from None
    except (RecursionError, ValueError) as exc:  # deep nesting, 5,000-digit ints, bad dates
        raise RequirementsError([("", unreadable("YAML", exc))], source=source) from None


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
