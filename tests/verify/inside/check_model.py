"""The model's lifecycle as the design hands it out: readiness is false before the model is
loaded and true after, the pinned version is reported (readiness, /healthz, a header), a file
holding another version is refused, and a model slower than the inference timeout gets the
fail-closed decision instead of an answer."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import app.model as lifecycle
import pytest
from app.settings import settings
from flask import Flask


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
    assert client.post("/score", json={"amount": 10}).status_code == 503
    model.load(settings.model_path, settings.model_version)
    after = client.get("/readyz")
    assert after.status_code == 200
    assert after.get_json() == {"ready": True, "model_version": settings.model_version}
    scored = client.post("/score", json={"amount": 10})
    assert scored.status_code == 200
    assert scored.headers["X-Model-Version"] == settings.model_version
    assert scored.get_json()["fallback"] is None
    assert scored.get_json()["decision"] in ("allow", "review")


def test_the_app_loads_the_pinned_model_before_it_serves() -> None:
    from app.main import app, model

    assert model.ready
    assert app.test_client().get("/healthz").get_json() == {
        "status": "ok",
        "model_version": os.environ["APP_MODEL_VERSION"],
    }


def test_a_file_with_another_version_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": "v0-old", "bias": 0, "weights": {}}))
    model = lifecycle.Model()
    with pytest.raises(RuntimeError, match="v0-old"):
        model.load(str(other), settings.model_version)
    assert not model.ready


class SlowModel(lifecycle.Model):
    """A model whose predict runs until it is stopped (pure Python, as the features are)."""

    def predict(self, features: Mapping[str, float]) -> float:
        if not features:  # the warm-up call at load
            return super().predict(features)
        n = 0
        while True:
            n += 1


def test_a_slow_model_times_out_and_fails_closed() -> None:
    model = SlowModel()
    client = client_for(model).test_client()
    model.load(settings.model_path, settings.model_version)
    response = client.post("/score", json={"amount": 10})
    assert response.status_code == 200
    assert response.get_json() == {"decision": "review", "score": None, "fallback": "timeout"}
    assert settings.on_timeout == "review"
    assert response.headers["X-Model-Version"] == settings.model_version
