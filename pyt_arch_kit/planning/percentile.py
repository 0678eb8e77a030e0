"""A percentile-threshold latency target, e.g. "80 % of requests within 20 s".

``latency.target_percentile`` and ``latency.target_ms`` give it. The planner reads it from the
same response-time distribution as the p50 and p99
(:class:`~pyt_arch_kit.planning.tail.ResponseTime`): it is met when
``P(T > target_ms) ≤ 1 − percentile / 100``, and the fleet grows until both it and the p99
target are met, as for the p99 alone.

Pure functions of numbers; no I/O.
"""

from __future__ import annotations

from pyt_arch_kit.planning.latency import meets
from pyt_arch_kit.planning.model import Figure, fmt_number
from pyt_arch_kit.planning.tail import ResponseTime
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["meets_percentile", "meets_targets", "percentile_figure", "percentile_target"]

_TAIL = "gamma service convolved with an exponential wait (numerical convolution)"


def percentile_target(req: ResolvedRequirements) -> tuple[float, float] | None:
    """``(percentile, threshold ms)`` of the requirements' percentile target, or ``None``."""
    pct, ms = req.latency.target_percentile, req.latency.target_ms
    return (pct, ms) if pct > 0 and ms > 0 else None


def meets_percentile(rt: ResponseTime, percentile: float, threshold_ms: float) -> bool:
    """Whether at least ``percentile`` % of requests finish within ``threshold_ms``.

    Example:
        >>> rt = ResponseTime(0.0, 0.0, 1.0, 1.0)  # exponential, mean 1 s, no wait
        >>> meets_percentile(rt, 80, 1610), meets_percentile(rt, 80, 1600)  # ln 5 s = 1609 ms
        (True, False)
    """
    return rt.survival(threshold_ms / 1000) <= (1 - percentile / 100) * (1 + 1e-9)


def meets_targets(rt: ResponseTime, req: ResolvedRequirements) -> bool:
    """Whether ``rt`` meets the p99 target and the percentile target (when one is given)."""
    if not meets(rt, req.latency.p99_ms):
        return False
    target = percentile_target(req)
    return target is None or meets_percentile(rt, *target)


def percentile_figure(req: ResolvedRequirements, rt: ResponseTime) -> Figure | None:
    """The figure of the percentile target (the response time at that percentile), or
    ``None`` without a target."""
    target = percentile_target(req)
    if target is None:
        return None
    pct, ms = target
    return Figure(
        "target_percentile_ms",
        f"Estimated p{fmt_number(pct)} latency (target: {fmt_number(pct)} % within "
        f"{fmt_number(ms)} ms)",
        rt.quantile(pct / 100) * 1000,
        "ms",
        f"P(T > t) = {1 - pct / 100:.4g}",
        (
            ("percentile", pct),
            ("target ms", ms),
            ("share within target", 1 - rt.survival(ms / 1000)),
        ),
        _TAIL,
    )
