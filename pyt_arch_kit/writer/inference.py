"""The writer's text for a CPU-bound service that serves a model (``Profile.model``).

The model's lifecycle, which the design's ``app/model.py`` implements: loaded and warmed before
readiness, a pinned and reported version, rollout and rollback by configuration, a timeout per
inference and the fail-closed decision the caller gets past it.
"""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.writer.code.profile import profile, timeouts

__all__ = ["model_guideline", "model_operations", "model_probes", "model_risks"]


def _timeout_ms(plan: Plan) -> str:
    return fmt_number(timeouts(plan).deadline_s * 1000)


def model_guideline(plan: Plan) -> list[str]:
    """An Implementation Guidelines paragraph on the model's lifecycle."""
    if not profile(plan).model:
        return []
    return [
        f"Each of the {plan.concurrency.workers_per_instance} sync workers of an instance (one "
        "per core, no process pool: nothing is pickled) loads the model when gunicorn imports "
        "the app, warms it with one prediction, and only then accepts requests and answers "
        "`/readyz` (`app/model.py`). The version is pinned by configuration "
        "(`APP_MODEL_VERSION`, no default) and reported in `/healthz`, the `X-Model-Version` "
        f"header and the logs. Every inference runs under a {_timeout_ms(plan)} ms limit; past "
        "it the service **fails closed**: the caller gets `decision: review` (a payment is "
        "held for review, never approved unscored), trading reviewers' time for fraud losses. "
        "Fail open (`APP_ON_TIMEOUT=allow`) only if the business prefers the fraud loss.",
        "",
    ]


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
    return [
        (
            "A slow or bad model on the payment path",
            f"a {_timeout_ms(plan)} ms limit per inference, failing closed to review; alert "
            "when fallbacks pass 1 % of scores; a canary per model version, rolled back by "
            "configuration",
        )
    ]
