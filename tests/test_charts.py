"""Charts: what a reader sees in them must be the planner's own numbers."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pyt_arch_kit import Requirements, plan, preset, preset_names
from pyt_arch_kit.charts import (
    capacity_vs_growth,
    growth_points,
    p99_curve,
    p99_vs_utilisation,
    png,
)
from pyt_arch_kit.requirements import Interface

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ONLINE = [n for n in preset_names() if (preset(n).scale.peak_rps or 0) > 0]


def _line(fig: Figure, label_start: str) -> Line2D:
    for ax in fig.axes:
        for line in ax.get_lines():
            if str(line.get_label()).startswith(label_start):
                return line
    raise AssertionError(f"no line labelled {label_start!r}")


def _curve(fig: Figure) -> tuple[np.ndarray, np.ndarray]:
    line = _line(fig, "p99 =")
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def _marker(fig: Figure) -> tuple[float, float]:
    line = _line(fig, "the plan's operating point")
    return float(line.get_xdata()[0]), float(line.get_ydata()[0])


# -- p99 against utilisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [n for n in preset_names() if preset(n).interface is not Interface.BATCH]
)
def test_operating_point_is_the_plan_and_lies_on_the_curve(name: str) -> None:
    p = plan(preset(name))  # a batch job serves no requests: it has no p99 to chart
    fig = p99_vs_utilisation(p)
    x, y = _marker(fig)
    assert x == pytest.approx(p.capacity.queue_utilisation)
    assert y == pytest.approx(p.capacity.p99_ms)
    assert y == pytest.approx(p.figure("p99_estimate_ms").value)
    xs, ys = _curve(fig)
    assert float(np.interp(x, xs, ys)) == pytest.approx(y, rel=1e-9)


def test_plans_at_other_loads_land_on_the_same_curve() -> None:
    """The curve is the planner's queueing model, not a drawing: change the load, the planner
    picks another operating point, and that point is on the curve drawn for the first plan."""
    base = preset("cpu-inference")
    fig = p99_vs_utilisation(plan(base))
    xs, ys = _curve(fig)
    landed = set()
    for rps in (60, 110, 170, 260, 330, 450):
        other = plan(
            base.model_copy(update={"scale": base.scale.model_copy(update={"peak_rps": rps})})
        )
        rho, p99 = other.capacity.queue_utilisation, other.capacity.p99_ms
        assert 0.05 <= rho <= 0.97
        assert float(np.interp(rho, xs, ys)) == pytest.approx(p99, rel=0.01), rps
        landed.add(round(rho, 3))
    assert len(landed) >= 4  # the check covered different points, not one point six times


@pytest.mark.parametrize("name", ONLINE)
def test_curve_rises_steeply_past_rho_0_8(name: str) -> None:
    p = plan(preset(name))
    xs, ys = _curve(p99_vs_utilisation(p))
    assert xs[0] <= 0.05 and xs[-1] >= 0.97
    assert np.all(np.diff(ys) >= -1e-9), "p99 never falls as utilisation rises"
    # What queueing adds to the p99 the request's own time distribution has with no queue.
    floor = ys[0]
    wait_at = {r: float(np.interp(r, xs, ys)) - floor for r in (0.5, 0.8, 0.95)}
    assert wait_at[0.8] > 2.5 * wait_at[0.5]
    assert wait_at[0.95] > 4 * wait_at[0.8]


def test_sla_line_is_at_the_requirement() -> None:
    req = Requirements(
        name="sla-check",
        scale={"peak_rps": 900},
        latency={"p50_ms": 20, "p99_ms": 137},
        workload={"cpu_ms_per_request": 6, "io_wait_ms_per_request": 10},
    )
    fig = p99_vs_utilisation(plan(req))
    sla = _line(fig, "SLA")
    assert set(np.asarray(sla.get_ydata(), float)) == {137.0}
    assert "137" in str(sla.get_label())
    ax = fig.axes[0]
    assert ax.get_ylim()[1] > 137  # the line is inside the plotted area
    assert "(ms)" in ax.get_ylabel() and "utilisation" in ax.get_xlabel()
    assert "sla-check" in ax.get_title()


def test_p99_curve_matches_the_plan_at_its_own_utilisation() -> None:
    p = plan(preset("io-bound-api"))
    [(rho, p99)] = p99_curve(p, [p.capacity.queue_utilisation])
    assert (rho, p99) == (p.capacity.queue_utilisation, pytest.approx(p.capacity.p99_ms))


def test_batch_plan_is_drawn_without_queueing() -> None:
    p = plan(preset("big-data-pipeline"))
    fig = p99_vs_utilisation(p)
    assert _marker(fig) == (0.0, pytest.approx(p.capacity.p99_ms))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "no online requests" in texts


# -- capacity against growth --------------------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_more_growth_never_needs_fewer_cores(name: str) -> None:
    p = plan(preset(name))
    points = growth_points(p, months=24)
    cores = [pt.cores for pt in points]
    assert cores == sorted(cores)
    assert [pt.data_gb for pt in points] == sorted(pt.data_gb for pt in points)
    slow = growth_points(p, months=12, load_growth_per_month=0.02)
    fast = growth_points(p, months=12, load_growth_per_month=0.10)
    assert all(f.cores >= s.cores for s, f in zip(slow, fast, strict=True))


def test_growth_points_are_the_planner_rerun_on_scaled_requirements() -> None:
    today = plan(preset("io-bound-api"))  # 250 GB + 15 GB/month, 2,000 req/s peak
    points = growth_points(today, months=12)
    assert points[0].cores == today.capacity.cores
    assert points[0].instances == today.capacity.instances
    month12 = points[12]
    assert month12.data_gb == pytest.approx(250 + 12 * 15)
    factor = (250 + 12 * 15) / 250
    assert month12.peak_rps == pytest.approx(2000 * factor)
    req = today.requirements
    by_hand = plan(
        req.model_copy(
            update={
                "scale": req.scale.model_copy(
                    update={
                        "peak_rps": 2000 * factor,
                        "avg_rps": 600 * factor,
                        "concurrent_users": round(20000 * factor),
                        "data_gb": 430.0,
                    }
                )
            }
        )
    )
    assert (month12.cores, month12.instances) == (
        by_hand.capacity.cores,
        by_hand.capacity.instances,
    )
    assert month12.cores > today.capacity.cores


def test_growth_chart_plots_the_growth_points() -> None:
    p = plan(preset("grpc-internal"))
    fig = capacity_vs_growth(p, months=18)
    points = growth_points(p, months=18)
    assert list(_line(fig, "cores to provision").get_ydata()) == [pt.cores for pt in points]
    assert list(_line(fig, "application instances").get_ydata()) == [pt.instances for pt in points]
    assert list(_line(fig, "data stored").get_ydata()) == [pt.data_gb for pt in points]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "months from now"
    assert "18 months" in ax.get_title()
    assert "GB" in fig.axes[1].get_ylabel()


def test_batch_growth_shows_data_per_run() -> None:
    fig = capacity_vs_growth(plan(preset("big-data-pipeline")))
    per_run = list(_line(fig, "data per bulk run").get_ydata())
    assert per_run[0] == 2000
    assert per_run[-1] > per_run[0]


def test_bad_horizon_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="months=0"):
        growth_points(plan(preset("io-bound-api")), months=0)
    with pytest.raises(ValueError, match="load_growth_per_month"):
        growth_points(plan(preset("io-bound-api")), load_growth_per_month=-0.1)


# -- the picture itself -------------------------------------------------------------------------


def test_png_is_a_deterministic_png() -> None:
    p = plan(preset("payments-ledger"))
    first = png(p99_vs_utilisation(p))
    again = png(p99_vs_utilisation(p))
    assert first.startswith(PNG_SIGNATURE)
    assert first == again
    assert b"tIME" not in first and b"Software" not in first
    assert png(capacity_vs_growth(p)).startswith(PNG_SIGNATURE)


def test_charts_show_themselves_as_png_in_jupyter() -> None:
    from IPython.core.formatters import DisplayFormatter

    fig = p99_vs_utilisation(plan(preset("io-bound-api")))
    data, _meta = DisplayFormatter().format(fig)
    assert data["image/png"].startswith(PNG_SIGNATURE)
    assert not re.search(r"0x[0-9a-fA-F]{6,}", data["text/plain"])  # no memory address


def test_charts_can_be_drawn_from_threads() -> None:
    plans = [plan(preset(n)) for n in ONLINE]
    expected = [png(p99_vs_utilisation(p)) for p in plans]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: png(p99_vs_utilisation(p)), plans))
    assert got == expected


def test_matplotlib_is_imported_only_when_a_chart_is_drawn() -> None:
    code = textwrap.dedent(
        """
        import sys
        import pyt_arch_kit.charts as charts
        from pyt_arch_kit import plan, preset
        p = plan(preset("io-bound-api"))
        charts.growth_points(p, months=2)
        assert "matplotlib" not in sys.modules, "imported at package import"
        charts.png(charts.p99_vs_utilisation(p))
        assert "matplotlib" in sys.modules
        assert "matplotlib.pyplot" not in sys.modules, "pyplot global state used"
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_chart_reads_the_service_time_as_the_capacity_planner_does() -> None:
    from pyt_arch_kit.planning.capacity import service_times

    tiny = plan(
        Requirements.parse(
            {
                "scale": {"peak_rps": 100},
                "workload": {"cpu_ms_per_request": 1e-7, "io_wait_ms_per_request": 20},
            }
        )
    )
    assert service_times(tiny.requirements) == (0.0, 20.0)
    rho = tiny.capacity.queue_utilisation
    assert p99_curve(tiny, [rho]) == [(rho, pytest.approx(tiny.capacity.p99_ms))]


@pytest.mark.parametrize(
    "name", ["io-bound-api", "payments-ledger", "nightly-batch", "realtime-websocket"]
)
def test_charts_are_drawn_at_the_size_they_are_shown_with_legible_text(name: str) -> None:
    """640 px wide (the width a notebook, the workbench and the site show them at) and no text
    under 9 pt: shown at 80 % that is still 10 px (at 800 px shown at 476, legends were ~5 px)."""
    from matplotlib.text import Text

    from pyt_arch_kit.charts import capacity_vs_growth, p99_vs_utilisation

    the_plan = plan(preset(name))
    for fig in (p99_vs_utilisation(the_plan), capacity_vs_growth(the_plan)):
        width, _height = fig.get_size_inches() * fig.dpi
        assert width <= 660
        small = [
            (t.get_text(), t.get_fontsize())
            for t in fig.findobj(Text)
            if t.get_text().strip() and t.get_visible() and t.get_fontsize() < 9
        ]
        assert not small, small


def test_a_chart_describes_itself_in_words() -> None:
    from pyt_arch_kit.charts import capacity_vs_growth, p99_vs_utilisation

    the_plan = plan(preset("io-bound-api"))
    p99 = repr(p99_vs_utilisation(the_plan))
    assert p99.startswith("Chart: orders-api: p99 latency") and "SLA of 200 ms" in p99
    growth = repr(capacity_vs_growth(the_plan))
    assert "Cores to provision go from" in growth and "<Figure" not in growth
