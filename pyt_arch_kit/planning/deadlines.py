"""The request deadline and the attempt timeout, from the plan's own latency model.

A deadline cuts the requests that take longer: each one cut is an error, spent from the
availability SLO's error budget ``b = 1 − availability``. So the deadline is the p99 target only
when the model's response time ``T`` passes the target rarely enough, ``P(T > target) ≤
0.1 · b`` (a tenth of the budget, the rest left for real failures); otherwise the target
cannot be held as a deadline with this budget, and the deadline is the ``t`` with
``P(T > t) = 0.1 · b``.

One attempt of an outbound call is cut at that call's p99.9 (a gamma of the call's mean and
cv), so 0.1 % of calls are retried for slowness; a retry fits only if two attempts fit in the
deadline (``2 · A ≤ D``), else the design has no retry layer. The share of requests retried,
``1 − (1 − P(X > A))ᵏ`` for ``k`` calls a request, is checked against the baseline's 10 %
retry budget (Google SRE book, ch. 22).

Pure functions of numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyt_arch_kit.planning.choices import Framework
from pyt_arch_kit.planning.fanout import SlowestCall
from pyt_arch_kit.planning.latency import queue_for, response_time, service_times
from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
    Figure,
)
from pyt_arch_kit.requirements import Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["BUDGET_SHARE", "RETRY_BUDGET", "Deadlines", "deadline_figures", "deadlines"]

#: The share of the error budget that requests cut at the deadline may spend.
BUDGET_SHARE = 0.1
#: The baseline's retry budget: retries at most this share of calls (SRE book, ch. 22).
RETRY_BUDGET = 0.1
#: Below this average rate a service has no retry layer: its 5-min alert window holds under
#: 300 requests, so a retry budget never matters (SRE Workbook, ch. 5, "Low-traffic services").
LOW_RPS = 1.0
#: An attempt is cut at this quantile of one call's time.
ATTEMPT_QUANTILE = 0.999
_SRE = (
    "Google SRE book, ch. 22 “Addressing Cascading Failures” (deadlines, retry budgets); "
    "SRE Workbook, ch. 2 (error budgets)"
)
_TAIL = "the p99 estimate's T = W + S (its tail, P(T > t), at the peak)"


@dataclass(frozen=True)
class Deadlines:
    """A request's deadline and its calls' attempt timeout, from the latency model.

    Attributes:
        deadline_s: the request deadline.
        past_deadline: ``P(T > deadline)``, the share of requests the deadline cuts.
        at_target: ``P(T > p99 target)``: what a deadline at the target would cut.
        budget: the error budget, ``1 − availability``.
        target_holds: whether the deadline is the p99 target (``at_target ≤ 0.1 · budget``).
        attempt_s: one call's p99.9, the attempt timeout.
        call_ms: the mean of the call an attempt makes (a database call, or one of the
            parallel calls).
        calls: outbound calls a request makes (``k``).
        retry_fits: ``2 · attempt ≤ deadline``, at a rate where retries matter (a
            low-traffic service has no retry layer): without it the design has none.
        no_retry_why: why there is no retry layer, or ``""``.
        retried_share: ``1 − (1 − P(X > attempt))ᵏ``, the requests retried for slowness.
    """

    deadline_s: float
    past_deadline: float
    at_target: float
    budget: float
    target_holds: bool
    attempt_s: float
    call_ms: float
    calls: int
    retry_fits: bool
    retried_share: float
    no_retry_why: str = ""


def _ceil_ms(seconds: float) -> float:
    """Up to a whole millisecond (a tenth below 10 ms), in seconds."""
    step = 0.0001 if seconds < 0.01 else 0.001
    return math.ceil(seconds / step - 1e-9) * step


def _call(req: ResolvedRequirements, db: DatabasePlan | None) -> tuple[float, int]:
    """(mean ms, count) of the outbound calls a request makes: its parallel calls, else its
    database calls, else its IO wait as one call."""
    w = req.workload
    _cpu, io_ms = service_times(req)
    if w.fanout_calls >= 2 and io_ms > 0:
        return io_ms, w.fanout_calls
    if db is not None and w.db_calls_per_request > 0 and w.db_ms_per_call > 0:
        return w.db_ms_per_call, max(1, math.ceil(w.db_calls_per_request))
    return io_ms, 1


def deadlines(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
) -> Deadlines | None:
    """The deadlines of a service's requests, or ``None`` for a job (no requests)."""
    if req.interface is Interface.BATCH or req.scale.peak_rps <= 0 or cap.instances <= 0:
        return None
    cpu_ms, io_ms = service_times(req)
    if cpu_ms + io_ms <= 0:
        return None
    if (  # a model service: its one query is bounded by the inference timeout instead
        req.interface is Interface.REST
        and conc.model is ConcurrencyModel.PROCESSES
        and conc.framework is Framework.FLASK
        and not conc.process_pool_workers
    ):
        return None
    rt = response_time(
        req.scale.peak_rps,
        cpu_ms,
        io_ms,
        cap.service_cv,
        queue_for(req, conc),
        cap.instances,
        req.workload.fanout_calls,
    )
    budget = max(1e-6, 1 - req.latency.availability_pct / 100)
    allowed = BUDGET_SHARE * budget
    target_s = req.latency.p99_ms / 1000
    at_target = rt.survival(target_s)
    holds = at_target <= allowed
    deadline = target_s if holds else _ceil_ms(rt.quantile(1 - allowed))
    call_ms, calls = _call(req, db)
    one = SlowestCall(1, call_ms / 1000, cap.service_cv)
    attempt = _ceil_ms(one.quantile(ATTEMPT_QUANTILE)) if call_ms > 0 else deadline
    slow = one.survival(attempt) if call_ms > 0 else 0.0
    fits = call_ms > 0 and 2 * attempt <= deadline + 1e-12
    low = req.interface in (Interface.REST, Interface.GRAPHQL) and req.scale.avg_rps < LOW_RPS
    why = (
        f"under {LOW_RPS:g} req/s on average a retry budget never matters"
        if low
        else ""
        if fits
        else "no retry fits in the deadline: 2 · A > deadline"
    )
    return Deadlines(
        deadline_s=deadline,
        past_deadline=rt.survival(deadline),
        at_target=at_target,
        budget=budget,
        target_holds=holds,
        attempt_s=attempt,
        call_ms=call_ms,
        calls=calls,
        retry_fits=fits and not low,
        retried_share=-math.expm1(calls * math.log1p(-slow)) if slow < 1 else 1.0,
        no_retry_why=why,
    )


def deadline_figures(d: Deadlines, req: ResolvedRequirements, cv: float) -> list[Figure]:
    """The deadline, what it cuts, the attempt timeout and the requests retried."""
    target = req.latency.p99_ms
    figures = [
        Figure(
            "request_deadline_ms",
            "Request deadline",
            d.deadline_s * 1000,
            "ms",
            "the p99 target if P(T > target) ≤ 0.1 · b, else the t with P(T > t) = 0.1 · b "
            "(b = 1 − availability, the error budget)",
            (
                ("target p99 ms", target),
                ("P(T > target)", d.at_target),
                ("b (error budget)", d.budget),
                ("0.1 · b", BUDGET_SHARE * d.budget),
            ),
            _TAIL + "; " + _SRE,
        ),
        Figure(
            "past_deadline_share",
            "Requests past the deadline (errors)",
            d.past_deadline,
            "",
            "P(T > deadline) ≤ 0.1 · b",
            (("deadline ms", d.deadline_s * 1000), ("b (error budget)", d.budget)),
            _TAIL,
        ),
        Figure(
            "attempt_timeout_ms",
            "Attempt timeout (one call's p99.9)",
            d.attempt_s * 1000,
            "ms",
            "A = F_X⁻¹(0.999), X a gamma of the call's mean and cv; a retry fits when "
            "2 · A ≤ deadline",
            (
                ("ms per call", d.call_ms),
                ("cv", cv),
                ("deadline ms", d.deadline_s * 1000),
                ("retries", "yes" if d.retry_fits else f"none: {d.no_retry_why}"),
            ),
            "order statistics of the call's gamma; " + _SRE,
        ),
    ]
    if d.retry_fits:
        figures.append(
            Figure(
                "retried_share",
                "Requests retried (an attempt past its timeout)",
                d.retried_share,
                "",
                "1 − (1 − P(X > A))ᵏ ≤ the retry budget",
                (
                    ("P(X > A)", 1 - ATTEMPT_QUANTILE),
                    ("k (calls a request)", d.calls),
                    ("retry budget", RETRY_BUDGET),
                ),
                _SRE,
            )
        )
    return figures
