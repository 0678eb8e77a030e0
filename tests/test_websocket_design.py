"""The realtime-websocket design, review of issue 20 round 4 (/work/review3/RESULT.md,
realtime-websocket 1-4): a reconnect storm is not a database storm, a draining worker leaves
the balancer, broadcasts are not compressed per socket (and the cores are sized for it), and
the summary's drivers are messages and sockets, in bullets a reader can take in. The code runs
against real services in tests/verify (check_snapshot.py, check_ws.py)."""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import Architect, plan, preset
from pyt_arch_kit.design import Design, main_text
from pyt_arch_kit.planning.capacity_figures import SEND_S
from pyt_arch_kit.writer.code import snippets


def _design() -> Design:
    return Architect().design(preset("realtime-websocket"))


def _code() -> dict[str, str]:
    blocks = [code for _title, code in snippets(plan(preset("realtime-websocket")))]
    return {code.split("\n", 1)[0].split()[1]: code for code in blocks}


def test_snapshots_come_from_a_per_channel_cache_refilled_by_one_query() -> None:
    """Review item 1: 2,500 reconnects/s each fetching a snapshot from a 2-vCPU database."""
    ws = _code()["app/ws.py"]
    assert '@router.get("/snapshot/{channel}")' in ws
    assert "time.monotonic() - cached[0] < settings.snapshot_ttl_s" in ws
    assert "_refills[channel] = asyncio.create_task(_refill(channel, load))" in ws
    assert "return await asyncio.shield(_refills[channel])" in ws
    assert "snapshot_ttl_s: float = 1.0" in _code()["app/settings.py"]
    text = main_text(_design().text)
    # 2 survivors × 4 workers × 20 channels (200,000 users / 10,000 per channel) per 1 s TTL
    assert "the database sees at most 160 queries/s (8 workers × 20 channels)" in text
    assert "`GET /snapshot/{channel}`" in text
    assert "**Caching:** channel snapshots only, in each worker for 1 s" in text


def test_readiness_fails_while_draining_after_the_balancer_deregisters() -> None:
    """Review item 2: /healthz always answered ok, so a draining worker kept getting
    handshakes it refused with 1012."""
    ws = _code()["app/ws.py"]
    assert '@router.get("/readyz")' in ws
    assert "return Response(status_code=503 if _draining.is_set() else 200)" in ws
    text = main_text(_design().text)
    assert "deregisters the instance at the load balancer first" in text
    assert "deregistration delay 30 s > the 20 s drain), then sends SIGTERM" in text
    assert "`/readyz` answers 503" in text


def test_broadcasts_are_not_compressed_and_the_cores_are_sized_for_it() -> None:
    """Review item 3: 250 µs a send with permessage-deflate made 12.5 of 15.5 busy cores."""
    conf = _code()["gunicorn.conf.py"]
    assert '"ws_per_message_deflate": False' in conf and "worker_class = Worker" in conf
    p = plan(preset("realtime-websocket"))
    assert p.capacity.busy_cores == pytest.approx(3000 * 0.001 + 5 * 10_000 * SEND_S)
    assert SEND_S == 40e-6
    busy = p.figure("busy_cores")
    assert "bench_ws_send.py" in busy.source and "permessage-deflate off" in busy.source
    assert (p.capacity.instances, p.capacity.cores) == (3, 12)  # was 8 × 4 cores
    assert "14 KiB" in p.figure("socket_memory_gib_per_instance").source


def test_the_summary_drivers_are_messages_and_sockets_not_http_queueing() -> None:
    """Review item 4: "3,000 req/s × 11 ms", "p99 46 ms" sized a WebSocket fleet."""
    summary = _design().section("Executive Summary")
    numbers = summary.split("**The numbers that drive it**")[1].split("**Key decisions**")[0]
    assert "in flight" not in numbers and "Estimated p99" not in numbers
    assert "5 messages/s × 10,000 sockets each × 40 µs a send (permessage-deflate off)" in numbers
    assert "25,000 per worker" in numbers


def test_the_summary_bullets_are_short() -> None:
    """The reviewer: summary bullets of 150–200 words each, hard to read."""
    summary = _design().section("Executive Summary")
    bullets = [line for line in summary.splitlines() if line.startswith("- ")]
    longest = max(len(re.sub(r"[`*]", "", b).split()) for b in bullets)
    assert longest <= 80, longest
