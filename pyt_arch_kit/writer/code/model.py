"""A CPU-bound service's model: loaded before readiness, a pinned version, a timeout per call."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code._template import fill

__all__ = ["model_module"]

_MODEL = '''
    # app/model.py
    """The model's lifecycle in each sync worker (one per core).

    * Loaded and warmed when gunicorn imports the app in the worker, before it accepts a
      request; /readyz answers 503 until then, so no request reaches a cold model.
    * Pinned: the file must hold settings.model_version (no default: set per release). The
      version is in /healthz, the X-Model-Version header and every log line. Roll out by
      setting a new APP_MODEL_VERSION and APP_MODEL_PATH on one canary instance, compare its
      scores and p99, then the rest; roll back by deploying the previous pair.
    * Each inference runs under settings.inference_timeout_s (a SIGALRM timer: a sync worker
      serves on its main thread). Past it the call fails closed: the decision is
      settings.on_timeout, "review" (the payment is held for review, never allowed unscored).
    """

    import json
    import math
    import signal
    from collections.abc import Iterator, Mapping
    from contextlib import contextmanager
    from pathlib import Path
    from types import FrameType
    from typing import Any

    import structlog
    from flask import Blueprint, Response, jsonify, request

    from app.settings import settings

    log = structlog.get_logger("app.model")


    class InferenceTimeout(Exception):
        """The model ran past settings.inference_timeout_s."""


    def _expire(signum: int, frame: FrameType | None) -> None:
        raise InferenceTimeout


    @contextmanager
    def time_limit(seconds: float) -> Iterator[None]:
        """Interrupt the Python code in this (main) thread after ``seconds``."""
        previous = signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


    class Model:
        """A logistic model over named features, read from JSON: stand-in for your model's
        loader and predict (a gradient-boosted booster's); the lifecycle stays the same."""

        def __init__(self) -> None:
            self.version: str | None = None
            self.ready = False
            self.weights: dict[str, float] = {}
            self.bias = 0.0

        def load(self, path: str, version: str) -> None:
            """Read the pinned version, warm it up, then report ready."""
            data = json.loads(Path(path).read_text())
            if data["version"] != version:
                raise RuntimeError(f"{path} holds model {data['version']!r}, not {version!r}")
            self.weights = {name: float(w) for name, w in data["weights"].items()}
            self.bias = float(data["bias"])
            self.version = version
            self.predict({})  # warm-up: the first call's costs are paid before traffic
            self.ready = True
            log.info("model loaded", model_version=version)

        def predict(self, features: Mapping[str, float]) -> float:
            z = self.bias + sum(w * float(features.get(k, 0.0)) for k, w in self.weights.items())
            return 1 / (1 + math.exp(-z))

        def decide(self, features: Mapping[str, float]) -> dict[str, Any]:
            """The score and decision, or the fail-closed fallback when the model is slow."""
            try:
                with time_limit(settings.inference_timeout_s):
                    score = self.predict(features)
            except InferenceTimeout:
                log.warning("inference timed out", model_version=self.version)
                return {"decision": settings.on_timeout, "score": None, "fallback": "timeout"}
            decision = "review" if score >= settings.review_above else "allow"
            return {"decision": decision, "score": score, "fallback": None}


    model = Model()  # one per worker process
    routes = Blueprint("model", __name__)


    @routes.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        """Readiness: 503 until this worker's model is loaded and warmed."""
        body = {"ready": model.ready, "model_version": model.version}
        return body, 200 if model.ready else 503


    @routes.post("/score")
    def score() -> Response | tuple[dict[str, Any], int]:
        if not model.ready:
            return {"error": "model not loaded"}, 503
        response = jsonify(model.decide(request.get_json(force=True)))
        response.headers["X-Model-Version"] = model.version or ""
        return response
'''


def model_module(plan: Plan) -> str:
    """``app/model.py``: load before readiness, a pinned version, a fail-closed timeout."""
    del plan  # the numbers live in app/settings.py
    return fill(_MODEL)
