"""The model's lifecycle as the design hands it out: readiness is false before the model is
loaded and true after, the pinned version is reported (readiness, /healthz, a header), a file
holding another version is refused, and a model slower than the inference timeout gets the
fail-closed decision instead of an answer."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import app.model as lifecycle
import pytest
from app.settings import settings
from flask import Flask
from verify_support import PLAN

_ids = iter(range(1, 1_000_000))
SQL = PLAN["dialect"] in ("postgresql", "mysql")  # each decision is the request's one query


@pytest.fixture(autouse=True, scope="module")
def _decisions_table() -> None:
    """The table an Alembic revision creates from app.model.SCHEMA."""
    if SQL:
        import app.main
        from sqlalchemy import text

        with app.main.Session.begin() as session:
            session.execute(text(lifecycle.SCHEMA))


def _payment() -> dict[str, Any]:
    return {"payment_id": f"pay-{next(_ids)}", "amount": 10}


def client_for(model: lifecycle.Model) -> Flask:
    lifecycle.model = model  # the routes read the module's model, as app.main's load sets it
    app = Flask(__name__)
    app.register_blueprint(lifecycle.routes)
    return app


def test_readiness_waits_for_the_model_and_reports_its_version() -> None:
    model = lifecycle.Model()
    client = client_for(model).test_client()
    before = client.get("/readyz")
    assert before.status_code == 503 and before.get_json()["ready"] is False
    assert client.post("/score", json=_payment()).status_code == 503
    model.load(settings.model_path, settings.model_version)
    after = client.get("/readyz")
    assert after.status_code == 200
    assert after.get_json() == {"ready": True, "model_version": settings.model_version}
    scored = client.post("/score", json=_payment())
    assert scored.status_code == 200
    assert scored.headers["X-Model-Version"] == settings.model_version
    assert scored.get_json()["fallback"] is None
    assert scored.get_json()["decision"] in ("allow", "review")


def test_the_booster_scores_with_one_thread() -> None:
    """The stack's LightGBM booster, loaded from the manifest: a large payment from a new
    device is held, a small one allowed; one OpenMP thread per worker."""
    model = lifecycle.Model()
    model.load(settings.model_path, settings.model_version)
    assert model.booster is not None and model.booster.params["num_threads"] == 1
    assert model.names == ["amount", "new_device"]
    assert model.decide({"amount": 4000, "new_device": 1})["decision"] == "review"
    assert model.decide({"amount": 20, "new_device": 1})["decision"] == "allow"


def test_the_app_loads_the_pinned_model_before_it_serves() -> None:
    from app.main import app, model

    assert model.ready
    assert app.test_client().get("/healthz").get_json() == {
        "status": "ok",
        "model_version": os.environ["APP_MODEL_VERSION"],
    }


def test_a_file_with_another_version_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": "v0-old", "booster": "v0-old.txt"}))
    model = lifecycle.Model()
    with pytest.raises(RuntimeError, match="v0-old"):
        model.load(str(other), settings.model_version)
    assert not model.ready


class SlowModel(lifecycle.Model):
    """A model whose feature code blocks in native code (a lock wait, as a native predict
    holds no GIL) until the test releases it: SIGALRM could not stop it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.finished = threading.Event()

    def features(self, payment: Mapping[str, Any]) -> Any:
        if payment:  # not the warm-up call at load
            self.release.wait()
            self.finished.set()
        return super().features(payment)


def test_slow_features_are_cut_at_the_limit_and_fail_closed() -> None:
    """The limit covers features + predict, is not a signal, and the next score is served."""
    model = SlowModel()
    client = client_for(model).test_client()
    model.load(settings.model_path, settings.model_version)
    try:
        response = client.post("/score", json=_payment())
        assert not model.finished.is_set(), "the request waited for the slow score"
        assert response.status_code == 200
        body = response.get_json()
        assert (body["decision"], body["score"], body["fallback"]) == ("review", None, "timeout")
        assert settings.on_timeout == "review"
        assert response.headers["X-Model-Version"] == settings.model_version
    finally:
        model.release.set()  # the abandoned score finishes on its own thread
    assert model.finished.wait(10)
    # the next score runs on a fresh thread, not queued behind the late one
    again = client.post("/score", json=_payment())
    assert again.get_json()["fallback"] is None and again.get_json()["score"] is not None


def test_late_scores_past_the_limit_make_the_worker_unready_and_recycle_it() -> None:
    """Each late score holds a share of the core: past LATE_LIMIT alive, the worker goes
    unready and sends itself SIGTERM, gunicorn's graceful stop (caught here, not the test's
    death)."""
    stops: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stops.append(signum))
    model = SlowModel()
    client = client_for(model).test_client()
    model.load(settings.model_path, settings.model_version)
    try:
        for _ in range(lifecycle.LATE_LIMIT):
            assert client.post("/score", json=_payment()).get_json()["fallback"] == "timeout"
        assert client.get("/readyz").status_code == 200 and not stops
        over = client.post("/score", json=_payment())  # one late score more than the limit
        assert over.get_json()["decision"] == "review"
        assert client.get("/readyz").status_code == 503
        assert stops == [signal.SIGTERM]
    finally:
        model.release.set()
        signal.signal(signal.SIGTERM, previous)
    for thread in model.late:
        thread.join(10)


def test_late_scores_that_ended_do_not_count() -> None:
    stops: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stops.append(signum))
    model = SlowModel()
    client = client_for(model).test_client()
    model.load(settings.model_path, settings.model_version)
    try:
        for _ in range(lifecycle.LATE_LIMIT):
            assert client.post("/score", json=_payment()).get_json()["fallback"] == "timeout"
        model.release.set()  # the late scores end
        for thread in model.late:
            thread.join(10)
        model.release.clear()
        assert client.post("/score", json=_payment()).get_json()["fallback"] == "timeout"
        assert client.get("/readyz").status_code == 200 and not stops
    finally:
        model.release.set()
        signal.signal(signal.SIGTERM, previous)


def test_the_limit_is_the_plans_p999_of_the_cpu_work() -> None:
    """settings.inference_timeout_s: the modelled p99.9 of features + predict, above the mean."""
    cpu_s = PLAN["cpu_ms"] / 1000
    assert cpu_s < settings.inference_timeout_s < 10 * cpu_s


if SQL:

    def test_each_decision_is_kept_once_for_the_review_queue() -> None:
        import app.main
        from sqlalchemy import text

        model = lifecycle.Model()
        client = client_for(model).test_client()
        model.load(settings.model_path, settings.model_version)
        assert client.post("/score", json={"amount": 10}).status_code == 422
        first = client.post("/score", json={"payment_id": "pay-kept", "amount": 10})
        again = client.post("/score", json={"payment_id": "pay-kept", "amount": 5000})
        assert first.status_code == again.status_code == 200
        assert again.get_json() == first.get_json()  # the retry answers the first decision
        with app.main.Session.begin() as session:
            rows = session.execute(
                text(
                    "SELECT model_version, score, decision, fallback FROM decisions "
                    "WHERE payment_id = 'pay-kept'"
                )
            ).all()
        body = first.get_json()
        assert [tuple(r) for r in rows] == [
            (settings.model_version, body["score"], body["decision"], None)
        ]

    def test_a_retry_after_a_timeout_gets_the_held_review_not_a_fresh_score() -> None:
        """The first attempt timed out and the payment went to review; the caller retries
        and the model, now fast, would allow it: the answer stays the stored review."""
        slow = SlowModel()
        slow.load(settings.model_path, settings.model_version)
        try:
            held = (
                client_for(slow)
                .test_client()
                .post("/score", json={"payment_id": "pay-held", "amount": 1})
            )
        finally:
            slow.release.set()
        assert held.get_json()["fallback"] == "timeout"
        fast = lifecycle.Model()
        fast.load(settings.model_path, settings.model_version)
        retry = (
            client_for(fast)
            .test_client()
            .post("/score", json={"payment_id": "pay-held", "amount": 1})
        )
        assert fast.decide({"amount": 1})["decision"] == "allow"  # a fresh score would allow
        assert retry.get_json() == held.get_json()
        assert retry.get_json()["decision"] == "review"
