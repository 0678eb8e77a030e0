"""Calibrate a requirements file from measured request timings: the plan starts from your service.

Reads what a load test measured — a locust stats CSV (``*_stats.csv``), a locust history CSV
(``*_stats_history.csv``) or a file of request timings in milliseconds — and estimates the three
workload fields the planner's queue model runs on: ``cpu_ms_per_request``,
``io_wait_ms_per_request`` and ``service_cv``.

How it estimates (measure at a low rate, where requests hardly queue):

- **Mean service time** = the mean response time. With the rate and the worker count given, the
  utilisation ρ = rate × mean ÷ workers is stated, and a note warns when ρ > 0.5 (queueing is then
  a large part of the times, and the estimate is high).
- **Spread**: from raw timings, the coefficient of variation of the response time is their
  standard deviation ÷ mean. A locust CSV has no standard deviation: the cv is the gamma's (the
  planner's own service-time shape) whose mean and 99th percentile are the measured ones.
- **CPU vs IO**: no response time tells CPU from waiting. Give the CPU time per request
  (``cpu_ms``, from a profiler) or the server's process CPU-seconds counter over the run
  (``cpu_seconds``, divided by the request count); the IO wait is the mean minus the CPU.
- **service_cv**: the planner takes one cv for the CPU time and for the IO wait, and sums them as
  independent, so the total's cv is ``cv × hypot(cpu, io) / (cpu + io)``; ``service_cv`` is the cv
  that reproduces the measured total.

Everything here takes text and values and returns values (the readers are in
:mod:`pyt_arch_kit.measured`); reading and writing files is the CLI's job (``pyt-arch calibrate``).

Example:
    >>> cal = calibrate(read_timings("\\n".join(["40", "50", "60"] * 10)), cpu_ms=5)
    >>> cal.cpu_ms_per_request, cal.io_wait_ms_per_request, cal.service_cv
    (5.0, 45.0, 0.18)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.measured import (
    CalibrationError,
    Measurements,
    read_locust,
    read_measurements,
    read_timings,
)

if TYPE_CHECKING:
    from pyt_arch_kit.requirements import Requirements

__all__ = [
    "Calibration",
    "CalibrationError",
    "Measurements",
    "calibrate",
    "read_locust",
    "read_measurements",
    "read_timings",
    "update_requirements_text",
    "workload_yaml",
]

#: Above this utilisation the measured times are mostly queueing, not service.
HIGH_UTILISATION = 0.5
_CV_MAX = 10.0  # the field's bound


@dataclass(frozen=True)
class Calibration:
    """The workload fields estimated from measurements, and how.

    Attributes:
        cpu_ms_per_request, io_wait_ms_per_request, service_cv: the values to plan with.
        measurements: what they were estimated from.
        total_cv: the response time's cv (measured or fitted).
        utilisation: rate × mean ÷ workers, when both were given.
        method: one line per estimate, saying how it was made.
        notes: warnings (high utilisation, few samples, failures).
    """

    cpu_ms_per_request: float
    io_wait_ms_per_request: float
    service_cv: float
    measurements: Measurements
    total_cv: float
    utilisation: float | None = None
    method: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def values(self) -> dict[str, float]:
        """The three ``workload`` fields, by name."""
        return {
            "cpu_ms_per_request": self.cpu_ms_per_request,
            "io_wait_ms_per_request": self.io_wait_ms_per_request,
            "service_cv": self.service_cv,
        }

    def apply(self, requirements: Requirements) -> Requirements:
        """``requirements`` with the three workload fields set to these values."""
        workload = requirements.workload.model_copy(update=self.values)
        return requirements.model_copy(update={"workload": workload})

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| `workload.{k}` | {_num(v)} |" for k, v in self.values.items())
        lines = "\n".join(f"- {x}" for x in (*self.method, *self.notes))
        return f"| field | value |\n|---|---:|\n{rows}\n\n{lines}\n"


# -- estimating -----------------------------------------------------------------------------


def _gamma_p99_ratio(cv: float) -> float:
    """The 99th percentile of a gamma of mean 1 and coefficient of variation ``cv``."""
    from pyt_arch_kit.planning.tail import ResponseTime

    return ResponseTime(0.0, 0.0, 1.0, cv).quantile(0.99)


def _fit_cv(mean_ms: float, p99_ms: float) -> tuple[float, bool]:
    """The cv of the gamma with this mean and p99; ``(cv, reached)``.

    The ratio p99 / mean of a gamma grows with the cv up to a peak (about 4.6 at cv 1, higher
    beyond) and falls again for extreme cvs; the search stays below the peak and within the
    field's bound. ``reached`` is false when the measured ratio is beyond it.
    """
    target = p99_ms / mean_ms
    lo, hi = 0.0, 0.05
    while hi < _CV_MAX and _gamma_p99_ratio(hi) < target:
        nxt = min(_CV_MAX, hi * 1.5)
        if _gamma_p99_ratio(nxt) < _gamma_p99_ratio(hi):  # past the peak
            return hi, False
        lo, hi = hi, nxt
    if _gamma_p99_ratio(hi) < target:
        return hi, False
    for _ in range(50):
        mid = (lo + hi) / 2
        if _gamma_p99_ratio(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi, True


def _num(x: float) -> str:
    return format(round(x, 2), "g")


def calibrate(
    measured: Measurements,
    *,
    cpu_ms: float | None = None,
    cpu_seconds: float | None = None,
    requests: int | None = None,
    rps: float | None = None,
    workers: int | None = None,
) -> Calibration:
    """Estimate ``cpu_ms_per_request``, ``io_wait_ms_per_request`` and ``service_cv``.

    Args:
        measured: what was measured (:func:`read_timings`, :func:`read_locust`).
        cpu_ms: the CPU time of one request, in ms (a profiler's figure).
        cpu_seconds: or the server's process CPU-seconds counter over the run (its delta), which
            is divided by ``requests`` (default: the measured request count).
        requests: requests the CPU counter covers.
        rps: the rate the measurements were taken at (default: the rate a locust CSV reports).
        workers: the server's concurrency (worker processes, or threads), to state ρ.

    Raises:
        CalibrationError: no CPU figure, or one larger than the mean response time.

    Example:
        >>> m = Measurements(count=1000, mean_ms=50, median_ms=35, p99_ms=230, cv=None)
        >>> cal = calibrate(m, cpu_seconds=10, requests=1000)
        >>> cal.cpu_ms_per_request, cal.io_wait_ms_per_request, cal.service_cv
        (10.0, 40.0, 1.21)
    """
    mean = measured.mean_ms
    if cpu_ms is not None and cpu_seconds is not None:
        raise CalibrationError("give --cpu-ms or --cpu-seconds, not both")
    if cpu_ms is None and cpu_seconds is None:
        raise CalibrationError(
            "response times cannot tell CPU from IO wait: give --cpu-ms (CPU per request, from a "
            "profiler) or --cpu-seconds (the server's process CPU-seconds counter over the run)"
        )
    method = [f"mean response time {_num(mean)} ms ({measured.source}) taken as the service time"]
    if cpu_seconds is not None:
        count = requests if requests is not None else measured.count
        if count <= 0:
            raise CalibrationError("--requests must be a positive count of requests")
        cpu = cpu_seconds * 1000 / count
        method.append(f"CPU {_num(cpu)} ms = {cpu_seconds:g} CPU-seconds ÷ {count:,} requests")
        option = "--cpu-seconds"
    else:
        assert cpu_ms is not None
        cpu = cpu_ms
        method.append(f"CPU {_num(cpu)} ms as given")
        option = "--cpu-ms"
    if not math.isfinite(cpu) or cpu < 0:
        raise CalibrationError(f"{option} must be a time of 0 or more")
    if cpu > mean:
        raise CalibrationError(
            f"{option}: CPU per request ({_num(cpu)} ms) is more than the mean response time "
            f"({_num(mean)} ms); check the figure, or that the counter covers only these requests"
        )
    cpu = float(round(cpu, 2))
    io_ms = round(mean - cpu, 2)
    method.append(f"IO wait {_num(io_ms)} ms = mean − CPU")
    if measured.cv is not None:
        total_cv = measured.cv
        method.append(f"response-time cv {total_cv:.2f} = standard deviation ÷ mean")
        notes: list[str] = []
    else:
        total_cv, reached = _fit_cv(mean, max(measured.p99_ms, mean))
        method.append(
            f"response-time cv {total_cv:.2f}: the gamma with mean {_num(mean)} ms and p99 "
            f"{_num(measured.p99_ms)} ms (locust gives percentiles, not a standard deviation)"
        )
        notes = []
        if not reached:
            notes.append(
                f"p99 ÷ mean = {measured.p99_ms / mean:.1f} is beyond any gamma's: the cv is "
                "the largest a gamma fits, and the planner's p99 will be below the measured one"
            )
        if measured.p99_ms < mean:
            notes.append(
                "the p99 is below the mean: a few requests far slower than the rest (timeouts?) "
                "make the mean; look at them before planning on these figures"
            )
    spread = math.hypot(cpu, io_ms) / (cpu + io_ms) if cpu + io_ms > 0 else 1.0
    service_cv = round(min(_CV_MAX, total_cv / spread), 2)
    method.append(
        f"service_cv {service_cv:g}: the cv of CPU and of IO that sums to a total cv of "
        f"{total_cv:.2f} (× (cpu + io) ÷ hypot(cpu, io) = × {1 / spread:.2f})"
    )
    rate = rps if rps is not None else measured.rps
    utilisation = None
    if rate is not None and workers:
        utilisation = rate * mean / 1000 / workers
        method.append(f"ρ ≈ {utilisation:.2f} = {rate:g} req/s × {_num(mean)} ms ÷ {workers}")
        if utilisation > HIGH_UTILISATION:
            notes.append(
                f"measured at ρ ≈ {utilisation:.2f}: queueing is in these times, so the service "
                "time is overestimated; measure at a lower rate"
            )
    if measured.count < 100:
        notes.append(f"{measured.count} requests: the p99 and the cv are rough; measure more")
    if measured.failures:
        notes.append(f"{measured.failures:,} failed requests are in locust's figures")
    return Calibration(
        cpu_ms_per_request=cpu,
        io_wait_ms_per_request=io_ms,
        service_cv=service_cv,
        measurements=measured,
        total_cv=total_cv,
        utilisation=utilisation,
        method=tuple(method),
        notes=tuple(notes),
    )


# -- writing --------------------------------------------------------------------------------

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")


def _edit_yaml(text: str, values: dict[str, float]) -> str | None:
    """``text`` with the workload fields set in place (comments and layout kept), or ``None``
    when its ``workload`` is not a plain block mapping this edit can be sure of."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        m = _TOP_KEY.match(line.rstrip("\r\n"))
        if m and m.group(1) == "workload":
            rest = m.group(2).strip()
            if rest and not rest.startswith("#"):
                return None  # flow style ({...}), an alias, or a value on the key's line
            start = i
    newline = "\r\n" if text.endswith("\r\n") else "\n"
    if start is None:
        body = "".join(f"  {k}: {_num(v)}{newline}" for k, v in values.items())
        sep = "" if not text or text.endswith("\n") else newline
        return f"{text}{sep}workload:{newline}{body}"
    end = start + 1
    indent = None
    last = start
    while end < len(lines):
        raw = lines[end].rstrip("\r\n")
        if raw.strip() and not raw.startswith((" ", "\t")) and not raw.lstrip().startswith("#"):
            break  # the next top-level key
        if raw.strip() and not raw.lstrip().startswith("#"):
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                return None
            here = len(raw) - len(raw.lstrip(" "))
            indent = here if indent is None else indent
            last = end
        end += 1
    pad = " " * (indent or 2)
    todo = dict(values)
    for i in range(start + 1, last + 1):
        raw = lines[i].rstrip("\r\n")
        ending = lines[i][len(raw) :]
        for key in list(todo):
            m = re.match(rf"^{pad}{key}\s*:\s*([^#\s][^#]*?)?(\s+#.*)?$", raw)
            if m:
                comment = m.group(2) or ""
                lines[i] = f"{pad}{key}: {_num(todo.pop(key))}{comment}{ending or newline}"
    added = [f"{pad}{k}: {_num(v)}{newline}" for k, v in todo.items()]
    if added and not lines[last].endswith("\n"):
        lines[last] += newline
    lines[last + 1 : last + 1] = added
    return "".join(lines)


def update_requirements_text(
    text: str, calibration: Calibration, *, json_file: bool = False
) -> tuple[str, list[str], bool]:
    """The requirements text with the calibrated workload fields, what was done, and whether the
    file's comments and layout were kept.

    YAML is edited in place: the three lines are replaced (a comment after a value stays) or
    added under ``workload:``, and everything else, comments included, is left as it was. A
    ``workload`` written in flow style (``workload: {...}``) cannot be edited safely: the text is
    then re-written from its values, and the notes say that its comments are not kept. JSON has
    no comments: it is re-written with its keys in their order.

    Raises:
        RequirementsError: the text (or the result) is not valid requirements.
    """
    from pyt_arch_kit.requirements import Requirements

    values = calibration.values
    old = Requirements.from_yaml(text)
    changes = [
        f"workload.{k}: {_shown(getattr(old.workload, k))} → {_num(v)}" for k, v in values.items()
    ]
    if json_file:
        data: dict[str, Any] = json.loads(text)
        workload = data.setdefault("workload", {})
        workload.update({k: float(_num(v)) for k, v in values.items()})
        notes = [*changes, "JSON has no comments; re-written with its keys in their order"]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n", notes, True
    edited = _edit_yaml(text, values)
    if edited is not None and _same(Requirements.from_yaml(edited), calibration.apply(old)):
        return edited, [*changes, "edited in place: comments and layout kept"], True
    rewritten = calibration.apply(old).to_yaml()
    notes = [
        *changes,
        "workload is not a plain block here (flow style?): the file is re-written from its "
        "values, so its comments and layout are not kept",
    ]
    return rewritten, notes, False


def _same(a: Requirements, b: Requirements) -> bool:
    return a.model_dump() == b.model_dump()


def _shown(value: float | None) -> str:
    return "unset" if value is None else _num(value)


def workload_yaml(calibration: Calibration) -> str:
    """The three fields as a ``workload:`` block, to paste into a requirements file."""
    return "workload:\n" + "".join(f"  {k}: {_num(v)}\n" for k, v in calibration.values.items())
