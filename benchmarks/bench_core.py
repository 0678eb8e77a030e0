"""Import cost (fresh interpreters) and offline design latency (presets, a 1,000-scenario sweep)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from common import Row, median, percentile

IMPORT = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _import_once(stmt: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    out = subprocess.run(
        [sys.executable, "-c", IMPORT.format(stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_cost(samples: int, *, warm: bool = True) -> list[Row]:
    """Seconds to import in a fresh interpreter, sampled round-robin so drift hits all alike."""
    statements = {
        "pyt_arch_kit": "import pyt_arch_kit",
        "first use": "from pyt_arch_kit import Architect, preset",
        "pydantic": "import pydantic",
        # The floor for any code that defines and validates one pydantic model: pydantic's
        # lazy top-level import skips the model machinery that the first model then loads.
        "pydantic model": (
            'exec("from pydantic import BaseModel, Field\\n'
            "class M(BaseModel):\\n    x: int = Field(0, ge=0)\\n"
            'M(x=1)")'
        ),
        "anthropic": "import anthropic",
    }
    for stmt in statements.values() if warm else ():  # warm the file cache once, unmeasured
        _import_once(stmt)
    times: dict[str, list[float]] = {k: [] for k in statements}
    for _ in range(samples):
        for key, stmt in statements.items():
            times[key].append(_import_once(stmt))
    m = {k: median(v) for k, v in times.items()}
    group = "Import cost (fresh interpreter each sample)"
    return [
        Row(
            group,
            "`import pyt_arch_kit`",
            m["pyt_arch_kit"],
            "s",
            "`import pydantic`",
            m["pydantic"],
            target="≤ 2× pydantic",
        ),
        Row(
            group,
            "`import pyt_arch_kit`",
            m["pyt_arch_kit"],
            "s",
            "`import anthropic`",
            m["anthropic"],
            note="the SDK is imported only by the Claude backend",
        ),
        Row(
            group,
            "`from pyt_arch_kit import Architect, preset`",
            m["first use"],
            "s",
            "`import pydantic`",
            m["pydantic"],
            note="first real use: loads the models, planner and writer (most of it is pydantic "
            "building the requirement models)",
        ),
        Row(
            group,
            "`from pyt_arch_kit import Architect, preset`",
            m["first use"],
            "s",
            "pydantic + one validated model",
            m["pydantic model"],
            note="against the floor of any pydantic code: what our seven models, planner and "
            "writer add on top",
        ),
    ]


def _time(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def preset_latency(repeats: int) -> list[Row]:
    """Every preset end to end (name → Design), against the plan alone for the same preset."""
    from pyt_arch_kit import Architect, plan, preset, preset_names

    architect = Architect()
    group = "Offline design latency"
    rows: list[Row] = []
    every: list[float] = []
    every_plan: list[float] = []
    for name in preset_names():
        architect.design(preset(name))  # first call warms caches, unmeasured
        designs = [_time(lambda n=name: architect.design(preset(n))) for _ in range(repeats)]
        plans = [_time(lambda n=name: plan(preset(n))) for _ in range(repeats)]
        every += designs
        every_plan += plans
        rows.append(
            Row(
                group,
                f"{name}: design p50",
                median(designs),
                "s",
                "plan only p50",
                median(plans),
                note=f"p99 {percentile(designs, 99) * 1e3:.1f} ms over {repeats} runs",
            )
        )
    rows.append(
        Row(
            group,
            f"all presets: design p99 ({len(every)} runs)",
            percentile(every, 99),
            "s",
            "plan only p99",
            percentile(every_plan, 99),
            target="well under 50 ms",
        )
    )
    return rows


def scenarios(count: int) -> list[Any]:
    """``count`` valid requirements: every preset, peak rate swept 10 → 100,000 req/s."""
    from pyt_arch_kit import Requirements, preset, preset_names

    names = preset_names()
    p99_choices = (50.0, 100.0, 200.0, 500.0, 2_000.0)
    out = []
    for i in range(count):
        data = preset(names[i % len(names)]).model_dump(mode="json", exclude_none=True)
        peak = 10 * 10 ** (4 * i / max(1, count - 1))
        scale = data.setdefault("scale", {})
        scale["peak_rps"] = round(peak, 3)
        scale.pop("avg_rps", None)
        latency = data.setdefault("latency", {})
        latency["p99_ms"] = p99_choices[i % len(p99_choices)]
        if latency.get("p50_ms", 0) > latency["p99_ms"]:
            latency["p50_ms"] = latency["p99_ms"] / 4
        workload = data.setdefault("workload", {})
        workload["cpu_ms_per_request"] = round(0.5 + 20 * ((i * 37) % 100) / 100, 2)
        out.append(Requirements.parse(data))
    return out


def sweep(count: int) -> list[Row]:
    """A sweep of ``count`` scenarios, as notebook 08 does: per-design median and p99."""
    from pyt_arch_kit import Architect, plan

    cases = scenarios(count)
    architect = Architect()
    architect.design(cases[0])
    started = time.perf_counter()
    designs = [_time(architect.design, req) for req in cases]
    total = time.perf_counter() - started
    plans = [_time(plan, req) for req in cases]
    group = "Offline design latency"
    return [
        Row(
            group,
            f"{count:,}-scenario sweep: per design p50",
            median(designs),
            "s",
            "plan only p50",
            median(plans),
            target="well under 50 ms",
            note=f"p99 {percentile(designs, 99) * 1e3:.1f} ms; whole sweep {total:.2f} s",
        ),
    ]
