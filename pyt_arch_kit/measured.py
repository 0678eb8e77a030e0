"""Measured request timings, read: a locust stats CSV, a locust history CSV, or one time a line.

The readers take text and return :class:`Measurements` (count, mean, median, p99 and, when the
source has one, the spread); :func:`pyt_arch_kit.calibration.calibrate` turns them into the
workload fields the planner runs on. Reading files is the CLI's job (``pyt-arch calibrate``).

Example:
    >>> m = read_timings("\\n".join(["40", "50", "60"] * 10))
    >>> m.count, m.mean_ms, m.p99_ms
    (30, 50.0, 60.0)
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass

from pyt_arch_kit.errors import PytArchError

__all__ = [
    "MAX_TIMINGS",
    "MIN_TIMINGS",
    "CalibrationError",
    "Measurements",
    "read_locust",
    "read_measurements",
    "read_timings",
]

#: The most timings read from one file (a long load test at a few thousand requests/s).
MAX_TIMINGS = 5_000_000
#: The fewest timings that give a mean and a spread worth planning on.
MIN_TIMINGS = 10


class CalibrationError(PytArchError, ValueError):
    """The measurements (or the numbers given with them) cannot be calibrated from.

    The message names the line, column or option and what to do.
    """


@dataclass(frozen=True)
class Measurements:
    """Response times as measured: a mean, a median, a p99 and how they were read.

    Attributes:
        count: requests measured.
        mean_ms, median_ms, p99_ms: the response time's mean, median and 99th percentile.
        cv: the response time's coefficient of variation, or ``None`` when the source has no
            spread but percentiles (a locust CSV: :func:`calibrate` fits it).
        rps: the rate the source reports (locust's Requests/s), if any.
        failures: failed requests the source reports.
        source: what was read, for people (``"locust stats, row Aggregated"``).
    """

    count: int
    mean_ms: float
    median_ms: float
    p99_ms: float
    cv: float | None
    rps: float | None = None
    failures: int = 0
    source: str = ""


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        shown = text.strip()[:40]
        raise CalibrationError(f"{where}: {shown!r} is not a number; {what}") from None
    if not math.isfinite(value) or value < 0:
        raise CalibrationError(f"{where}: {text.strip()[:40]} is not a time; {what}")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _rows(text: str) -> list[list[str]]:
    """The rows of a CSV text, or one line naming where it stops being CSV."""
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise CalibrationError(
            f"line {reader.line_num}: not readable as CSV ({exc}); give a CSV or one number a line"
        ) from None


def _summary(values: list[float], source: str) -> Measurements:
    if len(values) < MIN_TIMINGS:
        raise CalibrationError(
            f"{source}: {len(values)} timing(s); give at least {MIN_TIMINGS} (a few hundred "
            "make a p99)"
        )
    ordered = sorted(values)
    mean = statistics.fmean(ordered)
    if mean <= 0:
        raise CalibrationError(f"{source}: every timing is 0 ms; give times in milliseconds")
    rank = max(1, min(len(ordered), math.ceil(0.99 * len(ordered))))
    return Measurements(
        count=len(ordered),
        mean_ms=mean,
        median_ms=statistics.median(ordered),
        p99_ms=ordered[rank - 1],
        cv=statistics.pstdev(ordered, mean) / mean,
        source=source,
    )


def read_timings(text: str, *, column: str | None = None) -> Measurements:
    """Request timings in ms: one number a line, or a CSV with a header and ``column``.

    Blank lines and lines starting with ``#`` are skipped. A CSV with one column needs no
    ``column``.

    Raises:
        CalibrationError: a line that is not a number (its line number and the fix), a missing
            column, fewer than :data:`MIN_TIMINGS` timings or more than :data:`MAX_TIMINGS`.
    """
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    if column is None and "," not in first and _is_number(first):
        values: list[float] = []
        for n, line in enumerate(lines, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            values.append(_number(s, f"line {n}", "give one time in milliseconds per line"))
            if len(values) > MAX_TIMINGS:
                raise CalibrationError(f"more than {MAX_TIMINGS:,} timings; give a sample")
        return _summary(values, f"{len(values):,} timings")
    rows = _rows(text)
    header = [h.strip() for h in rows[0]] if rows else []
    if column is None:
        if len(header) != 1:
            raise CalibrationError(
                f"line 1: {len(header)} columns ({', '.join(header[:6])}); name the one with "
                "the times in ms (--column NAME)"
            )
        column = header[0]
    if column not in header:
        raise CalibrationError(
            f"line 1: no column {column!r} (there are: {', '.join(header[:12])}); check --column"
        )
    at = header.index(column)
    values = []
    for n, row in enumerate(rows[1:], 2):
        if not row or not any(c.strip() for c in row):
            continue
        if at >= len(row):
            raise CalibrationError(f"line {n}: no value in column {column!r}; fill it or drop it")
        values.append(_number(row[at], f"line {n}, column {column!r}", "give a time in ms"))
        if len(values) > MAX_TIMINGS:
            raise CalibrationError(f"more than {MAX_TIMINGS:,} timings; give a sample")
    return _summary(values, f"{len(values):,} timings from column {column!r}")


_LOCUST = ("Request Count", "Average Response Time", "Median Response Time", "99%")
_HISTORY = ("Total Request Count", "Total Average Response Time", "Total Median Response Time")


def read_locust(text: str, *, name: str | None = None) -> Measurements:
    """A locust ``--csv`` file: ``*_stats.csv`` (one row per request name and ``Aggregated``)
    or ``*_stats_history.csv`` (its last row for the name, cumulative totals).

    Args:
        text: the CSV's text.
        name: the row's ``Name`` (e.g. ``/orders``) or ``"Type Name"`` (``"GET /orders"``);
            default ``Aggregated``, every request together.

    Raises:
        CalibrationError: not a locust stats CSV (the columns it lacks), no such row, no
            requests in it, or a cell that is not a number.
    """
    table = _rows(text)
    header = [h.strip() for h in table[0]] if table else []
    history = all(c in header for c in _HISTORY)
    wanted = _HISTORY if history else _LOCUST
    missing = [c for c in wanted if c not in header]
    if missing:
        raise CalibrationError(
            f"line 1: not a locust stats CSV (no column {', '.join(repr(c) for c in missing)}); "
            "give locust's *_stats.csv or *_stats_history.csv (locust --csv PREFIX)"
        )
    target = name or "Aggregated"
    found: dict[str, tuple[int, dict[str, str]]] = {}  # by "Type Name"; a history's last row
    names: list[str] = []
    for n, cells in enumerate(table[1:], 2):
        row = dict(zip(header, cells, strict=False))
        row_name = (row.get("Name") or "").strip()
        typed = f"{(row.get('Type') or '').strip()} {row_name}".strip()
        names.append(typed)
        if target in (row_name, typed):
            found[typed] = (n, row)
    if not found:
        shown = ", ".join(dict.fromkeys(names[:8]))
        raise CalibrationError(f"no row named {target!r} (rows: {shown or 'none'}); check --name")
    if len(found) > 1:
        raise CalibrationError(
            f"{len(found)} rows are named {target!r} ({', '.join(found)}); give the type too, "
            f"e.g. --name {next(iter(found))!r}"
        )
    n, row = next(iter(found.values()))
    prefix = "Total " if history else ""

    def cell(col: str) -> float:
        return _number(
            row.get(col) or "", f"line {n}, column {col!r}", "re-run locust or pick another row"
        )

    count = int(cell(f"{prefix}Request Count"))
    if count == 0:
        raise CalibrationError(f"line {n}: row {target!r} has no requests; pick another row")
    mean = cell(f"{prefix}Average Response Time")
    if mean <= 0:
        raise CalibrationError(f"line {n}: row {target!r} has a mean of 0 ms; nothing to plan on")
    kind = "locust history (last row)" if history else "locust stats"
    return Measurements(
        count=count,
        mean_ms=mean,
        median_ms=cell(f"{prefix}Median Response Time"),
        p99_ms=cell("99%"),
        cv=None,
        rps=cell("Requests/s"),
        failures=int(cell(f"{prefix}Failure Count")) if f"{prefix}Failure Count" in header else 0,
        source=f"{kind}, row {target!r}, {count:,} requests",
    )


def read_measurements(
    text: str, *, column: str | None = None, name: str | None = None
) -> Measurements:
    """A locust CSV (told by its header) or request timings (:func:`read_timings`)."""
    first = text.split("\n", 1)[0]
    if "Average Response Time" in first or "Request Count" in first:
        return read_locust(text, name=name)
    if name is not None:
        raise CalibrationError("--name picks a row of a locust CSV; this file is timings")
    return read_timings(text, column=column)
