"""The writer's text for a CPU-bound service that serves a model (``Profile.model``).

The model's lifecycle, which the design's ``app/model.py`` implements: loaded and warmed before
readiness, a pinned and reported version, rollout and rollback by configuration, a time limit per
score (features and predict) and the fail-closed decision the caller gets past it; and, when the
request's own CPU work misses the p99 target, the launch blocker that fixes it.
"""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.pushback import bound_below
from pyt_arch_kit.writer.code.model import LATE_LIMIT, LIMIT_QUANTILE, inference_limit_s
from pyt_arch_kit.writer.code.profile import profile

__all__ = [
    "P99_MISSED",
    "launch_blocker",
    "model_guideline",
    "model_operations",
    "model_probes",
    "model_risks",
]

#: The planner's warning title for a missed p99: a model design states it as a launch blocker.
P99_MISSED = "the p99 target is not met by this plan"

#: Fallbacks alert at this multiple of the share the time limit expects (1 - LIMIT_QUANTILE).
_ALERT_MULTIPLE = 10


def _limit_ms(plan: Plan) -> str:
    return fmt_number(inference_limit_s(plan) * 1000)


def _expected_share() -> float:
    return 1 - LIMIT_QUANTILE


def launch_blocker(plan: Plan) -> str | None:
    """The CPU ms per score that meets the p99 target, when the request's own work misses it
    and less CPU would meet it; else ``None``."""
    if not profile(plan).model:
        return None
    lev = plan.capacity.levers
    if plan.capacity.meets_p99 or lev is None or lev.cpu_ms is None:
        return None
    return bound_below(lev.cpu_ms)


def model_guideline(plan: Plan) -> list[str]:
    """Implementation Guidelines paragraphs on the model's lifecycle and its launch blocker."""
    if not profile(plan).model:
        return []
    cpu = fmt_number(plan.resolved.workload.cpu_ms_per_request)
    cv = fmt_number(plan.capacity.service_cv)
    avg = plan.resolved.scale.avg_rps
    held = avg * 86_400 * _expected_share()
    out = [
        f"Each of the {plan.concurrency.workers_per_instance} sync workers of an instance (one "
        "per core, no process pool: nothing is pickled) loads the model when gunicorn imports "
        "the app, warms it with one score, and only then answers `/readyz` (`app/model.py`). "
        "The version is pinned by configuration (`APP_MODEL_VERSION`, no default) and reported "
        "in `/healthz`, the `X-Model-Version` header and the logs. A score (features and "
        f"predict: the request's {cpu} ms of CPU) runs on the worker's inference thread, and the "
        f"request waits for it at most {_limit_ms(plan)} ms, the modelled p99.9 of that work "
        f"(cv {cv}): past it the service **fails closed** with `decision: review` (the payment "
        "is held for review, never approved unscored), about 1 score in 1,000. Fail open "
        "(`APP_ON_TIMEOUT=allow`) only if the business prefers the fraud loss. A late score "
        "is abandoned on its thread, where pure-Python features still hold the GIL: with more "
        f"than {LATE_LIMIT} still running, the worker goes unready and gunicorn replaces it."
        + (
            f" {'PostgreSQL' if profile(plan).dialect == 'postgresql' else 'MySQL'} holds each "
            "decision (`decisions`: payment id, model version, score, outcome), which the review "
            "queue and retraining read; a retried payment gets its stored first decision back, "
            "not a fresh score."
            if profile(plan).sql
            else ""
        ),
        "",
    ]
    if profile(plan).sql:
        out += [
            f"Review queue capacity: timeouts alone hold about {held:,.0f} payments a day (1 in "
            f"1,000 of {fmt_number(avg)} req/s on average), too many for people: re-score them "
            "off the request path (a job over `decisions` rows with `fallback = 'timeout'`, no "
            "time limit) and release those under `review_above`, so people review only the "
            "high scores, whose rate the business sets with that threshold.",
            "",
        ]
    target = launch_blocker(plan)
    if target is not None:
        out += [
            "**Launch blocker** (the summary's p99 miss): vectorise the feature code "
            "(NumPy over whole arrays, not Python loops), then time features + predict "
            "(LightGBM's, one thread) on a sample of production payloads: launch when the "
            f"mean is ≤ {target} ms with cv ≤ {cv}, and set `APP_INFERENCE_TIMEOUT_S` to the "
            "measured p99.9.",
            "",
        ]
    return out


def model_probes(plan: Plan) -> str | None:
    """The probes line when the readiness probe waits for the model, else ``None``."""
    if not profile(plan).model:
        return None
    return (
        "- Probes: liveness (`/healthz`) asks whether the process answers; readiness "
        "(`/readyz`) is 503 until the worker's model is loaded and warmed, never the shared "
        "database."
    )


def model_operations(plan: Plan) -> list[str]:
    """Deployment lines on rolling a model out and back."""
    if not profile(plan).model:
        return []
    return [
        "- Model rollout: a new version ships as configuration (`APP_MODEL_VERSION`, "
        "`APP_MODEL_PATH`) to one canary instance; compare its score distribution, fallback "
        "rate and p99 (metrics labelled by model version) with the others', then roll on. "
        "Roll back by redeploying the previous pair; old model files stay in storage."
    ]


def model_risks(plan: Plan) -> list[tuple[str, str]]:
    """The risk of a slow or failing model on the caller's path."""
    if not profile(plan).model:
        return []
    expected = _expected_share()
    return [
        (
            "A slow or bad model on the payment path",
            f"a {_limit_ms(plan)} ms limit per score, failing closed to review ({expected:.1%} "
            f"of scores expected past it); alert when fallbacks pass "
            f"{_ALERT_MULTIPLE * expected:.0%} of scores over an hour; a canary per model "
            "version, rolled back by configuration",
        )
    ]
