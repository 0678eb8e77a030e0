"""What the workload-specific designs must say (issue 20, benchmarks/REVIEW.md): the model
service's lifecycle and one concurrency mechanism; the WebSocket service's authentication and
fan-out; the internal tool's domain. The code they hand out runs in tests/verify."""

from __future__ import annotations

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.design import Design, main_text


def _design(name: str) -> Design:
    return Architect().design(preset(name))


def test_the_model_service_states_one_concurrency_mechanism() -> None:
    d = _design("cpu-inference")
    # one sync worker per core: no process pool in the stack, no pickling risk, no pickling
    # trade-off; the push-back may still name the pool as the alternative for asyncio
    assert "ProcessPoolExecutor" not in d.section("Technology Stack")
    assert "Pickling" not in d.section("Risks and Mitigations")
    assert "pickled across process boundaries" not in d.text
    assert "one per core, no process pool" in main_text(d.text)


def test_the_model_service_states_the_models_lifecycle() -> None:
    d = _design("cpu-inference")
    text = main_text(d.text)
    guide, ops = d.section("Implementation Guidelines"), d.section("Operational Considerations")
    assert "# app/model.py" in guide and "model.load(settings.model_path" in guide
    assert "`/readyz`" in ops and "503 until the worker's model is loaded" in ops
    assert "APP_MODEL_VERSION" in text and "X-Model-Version" in text
    assert "canary" in ops and "Roll back" in ops
    assert "**fails closed**" in guide and "held for review" in text
    assert "A slow or bad model on the payment path" in d.section("Risks and Mitigations")


def test_an_io_bound_service_gets_no_model_text() -> None:
    d = _design("io-bound-api")
    assert "app/model.py" not in d.text and "/readyz" not in d.text


def test_the_websocket_route_authenticates_before_it_accepts() -> None:
    guide = _design("realtime-websocket").section("Implementation Guidelines")
    route = guide[guide.index("async def live(") :]
    assert route.index("await ws.close(code=1008)") < route.index("await ws.accept()")
    assert "closed with 1008 before `accept()`" in guide


def test_the_broadcast_bus_is_not_the_cache_and_survives_a_failover() -> None:
    d = _design("realtime-websocket")
    guide = d.section("Implementation Guidelines")
    assert "pubsub_url: str" in guide and "not the cache's client" in guide
    assert "app.state.bus = Redis.from_url(settings.pubsub_url)" in guide
    assert "listen(app.state.bus)" in guide
    assert "settings.redis_url" not in guide.split("# app/ws.py")[1].split("```")[0]
    assert "resubscribes and sends its sockets a resync notice" in guide


def test_the_internal_tool_states_its_approval_domain() -> None:
    d = _design("internal-tool-pushback")
    guide = d.section("Implementation Guidelines")
    assert "# app/approvals.py" in guide
    assert "CONSTRAINT four_eyes CHECK (decided_by <> submitter)" in guide
    assert "*submitted*, then *approved* or *rejected*" in guide and "*paid*" in guide
    assert "expense_audit" in guide and "refuses UPDATE and DELETE" in guide
    assert "object storage" in guide and "10 MB" in guide


def test_a_low_traffic_tool_opens_tickets_not_pages_and_drops_the_load_padding() -> None:
    d = _design("internal-tool-pushback")
    ops = d.section("Operational Considerations")
    assert "**tickets only**" in ops and "Low-traffic services" in ops
    assert "page at" not in ops
    assert "# app/retries.py" not in d.text and "Retry storms" not in d.text
    assert "expand/contract" not in d.text and "PgBouncer" not in ops
    # a busy service keeps its pages and its retry budget
    busy = _design("io-bound-api")
    assert "page at" in busy.section("Operational Considerations")
    assert "# app/retries.py" in busy.text
