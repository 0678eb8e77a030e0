"""Readiness distinct from liveness in every served design (review 3, cross-cutting 6): the
verify suite (check_ready, check_grpc) runs these against gunicorn and the real database."""

from __future__ import annotations

import pytest

from pyt_arch_kit import preset
from pyt_arch_kit.planning import plan
from pyt_arch_kit.writer.code import snippets


def _main(name: str) -> str:
    return dict(snippets(plan(preset(name))))["The app and its lifespan"]


@pytest.mark.parametrize("name", ["io-bound-api", "payments-ledger", "timeseries-ingest"])
def test_fastapi_readiness_fails_while_draining_or_when_the_pool_is_exhausted(name: str) -> None:
    code = _main(name)
    assert '@app.get("/readyz")' in code and '@app.get("/healthz")' in code
    assert "app.state.draining = False" in code
    assert "loop.add_signal_handler(signal.SIGTERM, drain)" in code
    assert "engine.pool.checkedout() >= settings.pool_size + settings.max_overflow" in code


def test_the_websocket_drain_has_a_readiness_flag_to_set() -> None:
    code = _main("realtime-websocket")
    assert "app.state.draining = False" in code and '@app.get("/readyz")' in code
    assert "loop.add_signal_handler" not in code  # the socket drain owns SIGTERM


def test_flask_readiness_fails_while_draining() -> None:
    code = _main("internal-tool-pushback")
    assert '@app.get("/readyz")' in code
    assert "server_stop = signal.signal(signal.SIGTERM, _drain)" in code
    assert '({"status": "draining"}, 503) if draining' in code
