"""grpc-internal (issue 20, second review): the fan-out, the pods and the cache's timeout."""

from __future__ import annotations

import functools

from pyt_arch_kit import Architect, Design, preset


@functools.cache
def _design() -> Design:
    return Architect().design(preset("grpc-internal"))


def test_the_three_downstream_calls_run_at_once_under_the_callers_deadline() -> None:
    """`fanout_calls: 3` was in the p50 ("slowest of 3 calls") and nowhere in text or code."""
    d = _design()
    guide = d.section("Implementation Guidelines")
    assert "Issue the 3 downstream calls at once (`fan_out`, each with the time left" in guide
    assert "async def fan_out(" in guide and "asyncio.TaskGroup()" in guide
    assert "left = time_left(context, ceiling_s)" in guide
    assert "asyncio.timeout(left)" in guide
    # the p99 is within 10 % of its target: hedging is named, with its source
    assert "The Tail at Scale" in guide


def test_the_fleet_is_stated_in_pods() -> None:
    """5 instances × 4 one-core containers are 20 one-CPU pods on Kubernetes."""
    guide = _design().section("Implementation Guidelines")
    assert "Deploy 20 one-core pods" in guide
    assert "losing a zone leaves 12 pods" in guide
    assert "autoscale 8–20 pods" in guide
    assert "PodDisruptionBudget" in guide


def test_the_redis_client_is_made_in_serve_not_at_import() -> None:
    """A client made at import is shared by every process forked after it (baseline: pools
    and clients belong to the process, made where it starts)."""
    guide = _design().section("Implementation Guidelines")
    assert "\nredis = Redis.from_url(" not in guide
    assert "redis: Redis | None = None" in guide
    serve = guide[guide.index("async def serve(") :]
    assert "cache = open_cache()" in serve and "await cache.aclose()" in serve
