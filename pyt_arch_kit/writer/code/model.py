"""A CPU-bound service's model: loaded before readiness, a pinned version, a time limit per score
that a native predict cannot outrun."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.planning.tail import ResponseTime
from pyt_arch_kit.writer.code._template import fill
from pyt_arch_kit.writer.code.profile import profile

DROP = "@drop@"

__all__ = ["LATE_LIMIT", "LIMIT_QUANTILE", "inference_limit_s", "model_module"]

#: The quantile of the modelled CPU time (features + predict) a score may take before the caller
#: fails closed: 1 score in 1,000 is expected past it.
LIMIT_QUANTILE = 0.999
#: Late scores still running past which a worker recycles itself (``app/model.py``).
LATE_LIMIT = 2


def inference_limit_s(plan: Plan) -> float:
    """The time limit of one score: the modelled p99.9 of the request's CPU work (features +
    predict, a gamma of the stated CPU ms and cv), in seconds rounded to the ms.

    Example:
        >>> from pyt_arch_kit import plan, preset
        >>> inference_limit_s(plan(preset("cpu-inference")))  # 40 ms at cv 1: 40 · ln 1000
        0.276
    """
    cpu_s = plan.resolved.workload.cpu_ms_per_request / 1000
    limit = ResponseTime(0.0, 0.0, cpu_s, plan.capacity.service_cv).quantile(LIMIT_QUANTILE)
    return round(max(limit, 0.001), 3)


_MODEL = '''
    # app/model.py
    """The model's lifecycle in each sync worker (one per core).

    * Loaded and warmed when gunicorn imports the app in the worker, before it accepts a
      request; /readyz answers 503 until then, so no request reaches a cold model.
    * Pinned: the file must hold settings.model_version (no default: set per release). The
      version is in /healthz, the X-Model-Version header and every log line. Roll out by
      setting a new APP_MODEL_VERSION and APP_MODEL_PATH on one canary instance, compare its
      scores and p99, then the rest; roll back by deploying the previous pair.
    * A score (features and predict: all of the request's CPU work) runs on this worker's
      inference thread; the request waits for it at most settings.inference_timeout_s, then
      fails closed with settings.on_timeout, "review" (held for review, never allowed
      unscored). A thread, not SIGALRM: a signal handler runs only between Python bytecodes,
      so it cannot stop a native predict, while a waiting caller wakes on time (native
      predicts and NumPy release the GIL). A late score is abandoned, not killed: it finishes
      on its own daemon thread, and the next score gets a fresh one. Pure-Python feature
      code holds the GIL, so a late score slows every score after it: past LATE_LIMIT late
      scores still running, the worker goes unready and asks gunicorn to replace it (SIGTERM
      to itself: the current request finishes, the process exits with its daemon threads, and
      the master forks a fresh worker that loads the model before it accepts).
    """

    import json
    import os
    import signal
    import threading
    from collections.abc import Mapping
    from concurrent.futures import Future
    from pathlib import Path
    from typing import Any

    import lightgbm as lgb
    import numpy as np
    import structlog
    from flask import Blueprint, Response, jsonify, request
    @sql_import@

    from app.settings import settings

    log = structlog.get_logger("app.model")
    #: Late scores still running when the worker recycles itself. A score past the limit (1 in
    #: 1,000 by design) usually ends soon after; more than this many alive at once is a stuck
    #: or pathological model, and each holds a share of this worker's core.
    LATE_LIMIT = @late@


    class Model:
        """A LightGBM booster and the payment's features. settings.model_path is a manifest
        (JSON: the version, the booster's file beside it), written when the model is trained."""

        def __init__(self) -> None:
            self.version: str | None = None
            self.ready = False
            self.booster: lgb.Booster | None = None
            self.names: list[str] = []
            self.late: list[threading.Thread] = []  # abandoned scores, maybe still running

        def load(self, path: str, version: str) -> None:
            """Read the pinned version, warm it up, then report ready."""
            manifest = json.loads(Path(path).read_text())
            if manifest["version"] != version:
                raise RuntimeError(f"{path} holds model {manifest['version']!r}, not {version!r}")
            booster = str(Path(path).parent / manifest["booster"])
            # one OpenMP thread: gunicorn runs one worker per core already
            self.booster = lgb.Booster(model_file=booster, params={"num_threads": 1})
            self.names = self.booster.feature_name()
            self.version = version
            self.score({})  # warm-up: the first call's costs are paid before traffic
            self.ready = True
            log.info("model loaded", model_version=version)

        def features(self, payment: Mapping[str, Any]) -> np.ndarray[Any, Any]:
            """The booster's features in its order (your feature code goes here, vectorised)."""
            return np.array([[float(payment.get(name, 0.0)) for name in self.names]])

        def predict(self, features: np.ndarray[Any, Any]) -> float:
            assert self.booster is not None
            return float(self.booster.predict(features, num_threads=1)[0])

        def score(self, payment: Mapping[str, Any]) -> float:
            return self.predict(self.features(payment))

        def _run(self, job: Future[float], payment: Mapping[str, Any]) -> None:
            try:
                job.set_result(self.score(payment))
            except BaseException as exc:  # the waiting request re-raises it
                job.set_exception(exc)

        def decide(self, payment: Mapping[str, Any]) -> dict[str, Any]:
            """The score and decision, or the fail-closed fallback past the time limit."""
            job: Future[float] = Future()
            thread = threading.Thread(
                target=self._run, args=(job, payment), name="inference", daemon=True
            )
            thread.start()  # a thread per score (tens of µs): a late one blocks no other
            try:
                score = job.result(timeout=settings.inference_timeout_s)
            except TimeoutError:
                self.late = [t for t in self.late if t.is_alive()] + [thread]
                log.warning("inference timed out", model_version=self.version, late=len(self.late))
                if len(self.late) > LATE_LIMIT:
                    self.recycle()
                return {"decision": settings.on_timeout, "score": None, "fallback": "timeout"}
            decision = "review" if score >= settings.review_above else "allow"
            return {"decision": decision, "score": score, "fallback": None}

        def recycle(self) -> None:
            """Unready, then a graceful stop: gunicorn's master replaces this worker."""
            self.ready = False
            log.error("late scores pile up: recycling the worker", late=len(self.late))
            os.kill(os.getpid(), signal.SIGTERM)


    model = Model()  # one per worker process
    routes = Blueprint("model", __name__)
    @record@


    @routes.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        """Readiness: 503 until this worker's model is loaded and warmed."""
        body = {"ready": model.ready, "model_version": model.version}
        return body, 200 if model.ready else 503


    @routes.post("/score")
    def score() -> Response | tuple[dict[str, Any], int]:
        if not model.ready:
            return {"error": "model not loaded"}, 503
        payment = request.get_json(force=True)
        @payment_id@
        result = model.decide(payment)
        @record_call@
        response = jsonify(result)
        response.headers["X-Model-Version"] = model.version or ""
        return response
'''


_RECORD = """
#: The decisions table (an Alembic revision creates it): the review queue reads the held
#: payments (decision = 'review'), retraining joins the labels to scores and versions.
SCHEMA = \"\"\"CREATE TABLE IF NOT EXISTS decisions (
    payment_id    text PRIMARY KEY,
    model_version text NOT NULL,
    score         double precision,
    decision      text NOT NULL,
    fallback      text,
    decided_at    timestamptz NOT NULL DEFAULT now()
)\"\"\"


def record(
    session: Session, payment_id: str, version: str, result: Mapping[str, Any]
) -> dict[str, Any]:
    \"\"\"Keep the decision and return the payment's first one: a retry (say after a
    timeout's review) answers what the table, and so the review queue, holds.\"\"\"
    row = session.execute(
        text(
            "INSERT INTO decisions (payment_id, model_version, score, decision, fallback) "
            "VALUES (:payment_id, :version, :score, :decision, :fallback) "
            "ON CONFLICT (payment_id) DO NOTHING "
            "RETURNING model_version, score, decision, fallback"
        ),
        {"payment_id": payment_id, "version": version, **result},
    ).one_or_none()
    if row is None:  # decided before: the first decision stands
        row = session.execute(
            text(
                "SELECT model_version, score, decision, fallback FROM decisions "
                "WHERE payment_id = :payment_id"
            ),
            {"payment_id": payment_id},
        ).one()
    return dict(row._mapping)
"""

_RECORD_CALL = """import app.main  # the worker's pool (imported here: app.main imports this module)

with app.main.Session.begin() as session:
    result = record(session, str(payment["payment_id"]), model.version or "", result)"""

_SQL_IMPORT = "from sqlalchemy import text\nfrom sqlalchemy.orm import Session"
_PAYMENT_ID = """if "payment_id" not in payment:
    return {"error": "payment_id is required"}, 422"""


def model_module(plan: Plan) -> str:
    """``app/model.py``: load before readiness, a pinned version, a fail-closed time limit,
    and (on a SQL database) each decision kept for the review queue."""
    sql = profile(plan).sql
    return fill(
        _MODEL,
        late=LATE_LIMIT,
        sql_import=_SQL_IMPORT if sql else DROP,
        record=_RECORD.strip() if sql else DROP,
        payment_id=_indent(_PAYMENT_ID) if sql else DROP,
        record_call=_indent(_RECORD_CALL) if sql else DROP,
    )


def _indent(code: str) -> str:
    """``code`` as the body of a function at the template's first level (4 spaces)."""
    return "\n".join(f"    {line}" if line else "" for line in code.split("\n")).lstrip()
