"""Charts of a plan: the p99 latency curve and the capacity a growing load needs.

Each chart is computed from the planner itself, never from a separate formula: the latency
curve is the planner's own queueing model at other loads
(:func:`~pyt_arch_kit.planning.capacity.p99_at_utilisation`), so the plan's operating point lies
on it;
the growth chart re-runs :func:`~pyt_arch_kit.planning.plan` on scaled requirements.

matplotlib is imported only when a chart is drawn, and only its object API is used (no pyplot
global state), so charts are safe to draw from threads and on machines with no display. The
figures show themselves as PNG in Jupyter with no ``%matplotlib`` setup.

Example:
    >>> from pyt_arch_kit import plan, preset
    >>> from pyt_arch_kit.charts import p99_vs_utilisation, png
    >>> png(p99_vs_utilisation(plan(preset("io-bound-api"))))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyt_arch_kit._optional import require
from pyt_arch_kit.planning import plan as make_plan
from pyt_arch_kit.planning.bom import HORIZON_MONTHS
from pyt_arch_kit.planning.capacity import p99_at_utilisation, service_times
from pyt_arch_kit.planning.choices import QueueScope
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.requirements import Requirements

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "GrowthPoint",
    "capacity_vs_growth",
    "growth_points",
    "p99_curve",
    "p99_vs_utilisation",
    "png",
]

_RHO_LOW, _RHO_HIGH, _RHO_STEPS = 0.05, 0.97, 185
_KNEE = 0.8
#: Drawn at the size they are shown (640 × 420 px: a notebook's output column, the workbench's
#: Charts tab, the site's column), with no text under 9 pt (12.5 px at 100 dpi, still over 10 px
#: when a narrower column shows the image at 80 %).
_SIZE = (6.4, 4.2)
_DPI = 100
_SMALL = 9
_MAX_RATE = 10_000_000.0  # the bound Requirements puts on rates and sizes


# -- the numbers -----------------------------------------------------------------------------


def _service(plan: Plan) -> tuple[float, float, int]:
    """(service ms, CPU ms, cores per instance) exactly as the capacity planner reads them."""
    cpu_ms, io_ms = service_times(plan.resolved)
    return cpu_ms + io_ms, cpu_ms, plan.capacity.cores_per_instance


def p99_curve(plan: Plan, utilisations: list[float]) -> list[tuple[float, float]]:
    """Estimated p99 latency at each utilisation of what queues, with the plan's own model.

    The p99 of the response time (the wait for what queues — an event loop, a sync worker, a
    process pool — plus CPU + IO as a distribution) at the load that keeps those servers
    ρ busy (:func:`~pyt_arch_kit.planning.capacity.p99_at_utilisation`). At the plan's own
    ``capacity.queue_utilisation`` it equals ``plan.capacity.p99_ms``.

    Args:
        plan: a computed plan.
        utilisations: values of ρ in ``[0, 1)``.

    Returns:
        ``(ρ, p99 ms)`` pairs; the p99 is ``inf`` where what queues saturates.
    """
    return [(rho, p99_at_utilisation(plan, rho)) for rho in utilisations]


@dataclass(frozen=True)
class GrowthPoint:
    """What the planner asks for at one point of the growth horizon.

    Attributes:
        month: months from now.
        load_factor: peak load relative to today's.
        peak_rps: the peak rate planned for.
        data_gb: data stored.
        cores: cores to provision.
        instances: application instances.
        concurrency: the concurrency model (``asyncio``, ``processes`` …).
        pgbouncer: whether the plan puts PgBouncer in front of the database.
        read_replicas: read replicas planned.
        data_tool: the bulk-data tool, or ``""`` when there is no bulk processing.
        data_per_run_gb: data one bulk run processes (0 when there is none).
        p99_ms: the estimated p99 latency.
    """

    month: int
    load_factor: float
    peak_rps: float
    data_gb: float
    cores: int
    instances: int
    concurrency: str
    pgbouncer: bool
    read_replicas: int
    data_tool: str
    p99_ms: float
    data_per_run_gb: float = 0.0


def _scaled(req: Requirements, factor: float, data_gb: float) -> Requirements:
    data = req.model_dump()
    scale, work = data["scale"], data["workload"]
    for key in ("peak_rps", "avg_rps"):
        if scale[key] is not None:
            scale[key] = min(_MAX_RATE, scale[key] * factor)
    if scale["concurrent_users"] is not None:
        scale["concurrent_users"] = round(min(1e9, scale["concurrent_users"] * factor))
    scale["data_gb"] = min(_MAX_RATE, data_gb)
    if work["batch_data_gb"] is not None:
        work["batch_data_gb"] = min(_MAX_RATE, work["batch_data_gb"] * factor)
    return Requirements.model_validate(data)


def growth_points(
    plan: Plan, *, months: int = HORIZON_MONTHS, load_growth_per_month: float | None = None
) -> list[GrowthPoint]:
    """Re-run the planner month by month as data and load grow.

    Stored data grows linearly by ``scale.growth_gb_per_month``. Unless a load growth rate is
    given, the peak rate, average rate, concurrent users and data per batch run grow in step with
    the stored data (twice the data, twice the load): the requirements state no separate load
    growth, so this is the assumption the chart makes and says it makes.

    Args:
        plan: today's plan (its resolved requirements are the starting point).
        months: the horizon, in months (≥ 1).
        load_growth_per_month: compound monthly load growth (``0.05`` = 5 % a month) instead
            of growing with the data.

    Returns:
        One :class:`GrowthPoint` per month, from month 0 (today's plan) to ``months``.

    Raises:
        ValueError: if ``months`` < 1 or the growth rate is negative.
    """
    if months < 1:
        raise ValueError(f"months={months}; the horizon must be at least 1 month")
    if load_growth_per_month is not None and load_growth_per_month < 0:
        raise ValueError(
            f"load_growth_per_month={load_growth_per_month}; give a rate ≥ 0 (0.05 = 5 % a month)"
        )
    req = plan.requirements
    data0 = plan.resolved.scale.data_gb
    growth = plan.resolved.scale.growth_gb_per_month
    points: list[GrowthPoint] = []
    for month in range(months + 1):
        data_gb = data0 + growth * month
        if load_growth_per_month is not None:
            factor = (1 + load_growth_per_month) ** month
        else:
            factor = data_gb / data0 if data0 > 0 else 1.0
        p = plan if month == 0 else make_plan(_scaled(req, factor, data_gb))
        db = p.database
        points.append(
            GrowthPoint(
                month=month,
                load_factor=factor,
                peak_rps=p.resolved.scale.peak_rps,
                data_gb=p.resolved.scale.data_gb,
                cores=p.capacity.cores,
                instances=p.capacity.instances,
                concurrency=p.concurrency.model.value,
                pgbouncer=bool(db and db.pgbouncer),
                read_replicas=db.read_replicas if db else 0,
                data_tool=p.data.tool.value if p.data else "",
                p99_ms=p.capacity.p99_ms,
                data_per_run_gb=p.data.data_gb if p.data else 0.0,
            )
        )
    return points


# -- drawing ---------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@functools.cache
def _chart_class() -> type[Figure]:
    require("matplotlib", for_="charts")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    class Chart(Figure):
        """A matplotlib figure that shows itself as a PNG in Jupyter (no pyplot involved)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            FigureCanvasAgg(self)

        def _repr_png_(self) -> bytes:
            return png(self)

        def __repr__(self) -> str:
            # What the chart shows, in words: the notebook's text/plain, and the site's alt text.
            return str(getattr(self, "description", "")) or super().__repr__()

    return Chart


def _figure() -> Figure:
    return _chart_class()(figsize=_SIZE, dpi=_DPI, layout="constrained")


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, identical for identical figures (no timestamp, no version).

    Args:
        fig: a matplotlib figure, e.g. from :func:`p99_vs_utilisation`.

    Returns:
        The PNG file's bytes.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _grid(rho_op: float) -> list[float]:
    step = (_RHO_HIGH - _RHO_LOW) / (_RHO_STEPS - 1)
    grid = {round(_RHO_LOW + i * step, 6) for i in range(_RHO_STEPS)}
    if 0.0 <= rho_op < 1.0:
        grid.add(rho_op)  # the operating point is a sample of the curve, not an interpolation
        if rho_op > _RHO_HIGH:
            grid.update(rho_op + (1 - rho_op) * k / 10 for k in range(1, 8))
    return sorted(grid)


def p99_vs_utilisation(plan: Plan) -> Figure:
    """p99 latency against the utilisation of what queues, with the SLA and the plan's point.

    What queues is the plan's ``capacity.queue_server`` (an event loop per worker, the sync
    workers of an instance, a worker's process pool). The curve is :func:`p99_curve` for ρ
    from 0.05 to 0.97 (and the plan's own ρ); the dashed line is the SLA
    (``requirements.latency.p99_ms``); the dot is the plan (``capacity.queue_utilisation``,
    ``capacity.p99_ms``).

    Args:
        plan: a computed plan.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure` (shows itself as PNG in Jupyter).
    """
    fig = _figure()
    ax: Axes = fig.add_subplot()
    cap = plan.capacity
    req = plan.resolved
    service_ms, _cpu_ms, cores = _service(plan)
    sla = req.latency.p99_ms
    rho_op, p99_op = cap.queue_utilisation, cap.p99_ms
    curve = p99_curve(plan, _grid(rho_op))
    xs = [x for x, _ in curve]
    ys = [y for _, y in curve]
    if cap.queue is not QueueScope.NONE:
        label = (
            f"p99 = wait per {cap.queue} + {fmt_number(service_ms)} ms CPU + IO "
            f"(M/G/{cap.queue_servers}, cv {fmt_number(cap.service_cv)})"
        )
    else:
        label = f"p99 = {fmt_number(service_ms)} ms service (nothing queues)"
    ax.plot(xs, ys, color="#1f5fa8", linewidth=2, label=label)
    ax.axvspan(_KNEE, 1.0, color="#d9534f", alpha=0.08, label=f"ρ > {_KNEE}: queueing climbs")
    ax.axvline(cap.target_utilisation, color="#777777", linestyle=":", linewidth=1)
    ax.text(
        cap.target_utilisation,
        0.02,
        f" sized for ρ ≤ {cap.target_utilisation:g}",
        transform=ax.get_xaxis_transform(),
        color="#555555",
        fontsize=_SMALL,
    )
    if math.isfinite(sla):
        ax.axhline(
            sla, color="#d9534f", linestyle="--", linewidth=1.5, label=f"SLA p99 = {sla:g} ms"
        )
    ax.plot(
        [rho_op],
        [p99_op],
        "o",
        color="#f0ad4e",
        markeredgecolor="black",
        markersize=9,
        zorder=5,
        label="the plan's operating point",
    )
    where = f"{_plural(cap.instances, 'instance')} × {_plural(cores, 'core')}"
    if not req.scale.peak_rps:
        where += "\nno online requests: nothing queues"
    ax.annotate(
        f"ρ = {rho_op:.2f}, p99 ≈ {fmt_number(p99_op)} ms\n{where}",
        xy=(rho_op, p99_op),
        xytext=(0.30, 0.56),  # under the legend
        textcoords="axes fraction",
        arrowprops={"arrowstyle": "->", "color": "black"},
        fontsize=_SMALL,
    )
    finite = [y for y in ys if math.isfinite(y)]
    reference = max(sla if math.isfinite(sla) else 0.0, p99_op, service_ms, 1.0)
    top = min(max(finite), 3 * reference)
    ax.set_ylim(0, max(top, reference) * 1.15)
    ax.set_xlim(0, 1)
    server = cap.queue_server if cap.queue is not QueueScope.NONE else "server"
    ax.set_xlabel(f"utilisation ρ at peak of the {server}s requests queue for")
    ax.set_ylabel("p99 latency (ms)")
    title = f"{req.name}: p99 latency vs utilisation (M/G/c, Allen–Cunneen)"
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=_SMALL)
    sla_text = f" against an SLA of {sla:g} ms" if math.isfinite(sla) else ""
    fig.description = (  # type: ignore[attr-defined]
        f"Chart: {title}. {label}. The plan runs at ρ = {rho_op:.2f} with p99 ≈ "
        f"{fmt_number(p99_op)} ms{sla_text} ({where.splitlines()[0]}); above ρ = {_KNEE} the "
        "wait climbs steeply."
    )
    return fig


def _changes(points: list[GrowthPoint]) -> list[tuple[int, str]]:
    """(month, what changed) where the design, not just its size, changes."""
    out: list[tuple[int, str]] = []
    for before, after in itertools.pairwise(points):
        bits = []
        if after.concurrency != before.concurrency:
            bits.append(after.concurrency)
        if after.pgbouncer and not before.pgbouncer:
            bits.append("PgBouncer")
        if after.read_replicas != before.read_replicas:
            bits.append(_plural(after.read_replicas, "replica"))
        if after.data_tool != before.data_tool:
            bits.append(after.data_tool.split(" (")[0])
        if bits:
            out.append((after.month, ", ".join(bits)))
    return out


def capacity_vs_growth(
    plan: Plan, *, months: int = HORIZON_MONTHS, load_growth_per_month: float | None = None
) -> Figure:
    """Cores, instances and stored data over the growth horizon, from re-running the planner.

    See :func:`growth_points` for how load and data grow. Dotted vertical lines mark the months
    where the design itself changes (concurrency model, PgBouncer, replicas, data tool).

    Args:
        plan: today's plan.
        months: the horizon, in months.
        load_growth_per_month: compound monthly load growth instead of growing with the data.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure` (shows itself as PNG in Jupyter).
    """
    points = growth_points(plan, months=months, load_growth_per_month=load_growth_per_month)
    fig = _figure()
    ax: Axes = fig.add_subplot()
    xs = [pt.month for pt in points]
    ax.step(
        xs,
        [pt.cores for pt in points],
        where="post",
        color="#1f5fa8",
        linewidth=2,
        label="cores to provision",
    )
    ax.step(
        xs,
        [pt.instances for pt in points],
        where="post",
        color="#5cb85c",
        linewidth=2,
        label="application instances",
    )
    ax.set_ylim(0, max(pt.cores for pt in points) * 1.25 + 1)
    ax.set_xlim(0, months)
    ax.set_xlabel("months from now")
    ax.set_ylabel("cores / instances")
    handles, labels = ax.get_legend_handles_labels()
    data = ax.twinx()
    data.plot(
        xs,
        [pt.data_gb for pt in points],
        color="#8e6c8a",
        linestyle="--",
        linewidth=1.5,
        label="data stored (GB)",
    )
    if any(pt.data_per_run_gb for pt in points):
        data.plot(
            xs,
            [pt.data_per_run_gb for pt in points],
            color="#c77c2e",
            linestyle="-.",
            linewidth=1.5,
            label="data per bulk run (GB)",
        )
    data.set_ylabel("data (GB)")
    data.set_ylim(0, max(max(pt.data_gb, pt.data_per_run_gb) for pt in points) * 1.25 + 1)
    more_handles, more_labels = data.get_legend_handles_labels()
    for month, what in _changes(points)[:4]:
        ax.axvline(month, color="#999999", linestyle=":", linewidth=1)
        ax.text(
            month,
            0.97,
            f" {what}",
            transform=ax.get_xaxis_transform(),
            fontsize=_SMALL,
            va="top",
            rotation=90,
            color="#555555",
        )
    last = points[-1]
    how = (
        f"load +{load_growth_per_month:.0%}/month"
        if load_growth_per_month is not None
        else "load grows with the data"
    )
    end = (
        f"{fmt_number(last.peak_rps)} req/s peak"
        if last.peak_rps
        else f"{fmt_number(last.data_per_run_gb)} GB per run"
    )
    title = (
        f"{plan.requirements.name}: capacity over {months} months\n"
        f"({how}: ×{last.load_factor:.2g}, {end})"
    )
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.legend(
        handles + more_handles,
        labels + more_labels,
        loc="outside lower center",
        ncols=2,
        fontsize=_SMALL,
    )
    first = points[0]
    changes = "; ".join(f"month {m}: {what}" for m, what in _changes(points)[:4])
    fig.description = (  # type: ignore[attr-defined]
        f"Chart: {' '.join(title.splitlines())}. Cores to provision go from "
        f"{fmt_number(first.cores)} to {fmt_number(last.cores)}, application instances from "
        f"{fmt_number(first.instances)} to "
        f"{fmt_number(last.instances)}, data stored from {fmt_number(first.data_gb)} GB to "
        f"{fmt_number(last.data_gb)} GB. "
        + (f"The design changes at {changes}." if changes else "The design's shape holds.")
    )
    return fig
