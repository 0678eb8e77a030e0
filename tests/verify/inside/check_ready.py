"""Readiness is not liveness: /readyz answers 503 while a worker drains (from SIGTERM until
the server stops) and while its pool is exhausted; /healthz stays 200 through both."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from verify_support import PLAN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_fails_readiness_while_the_worker_still_serves_then_it_exits(
    tmp_path: Path,
) -> None:
    """gunicorn with the design's config: after SIGTERM the workers keep answering, /readyz
    with 503 (the balancer's probes stop routing here), /healthz with 200, for unready_s."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "APP_UNREADY_S": "4"}
    args = ["-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "app.main:app"]
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        ready = None
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"{url}/readyz", timeout=2)
                break
            time.sleep(0.1)
        assert ready is not None and ready.status_code == 200, log.read_text()[-3000:]
        assert ready.json() == {"status": "ok"}
        time.sleep(1)  # every worker has booted and installed its handler
        server.send_signal(signal.SIGTERM)
        draining = None
        for _ in range(20):
            draining = httpx.get(f"{url}/readyz", timeout=2)
            if draining.status_code == 503:
                break
            time.sleep(0.1)
        assert draining is not None and draining.status_code == 503, log.read_text()[-3000:]
        assert draining.json() == {"status": "draining"}
        assert httpx.get(f"{url}/healthz", timeout=2).status_code == 200  # still alive
        assert server.poll() is None  # still serving: the stop comes after unready_s
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, log.read_text()[-3000:]


def test_an_exhausted_pool_fails_readiness_not_liveness() -> None:
    """Every connection of the worker's pool held: /readyz 503 "saturated", /healthz 200;
    one released: ready again. The probes never query the database themselves."""
    import app.main as main

    if PLAN["dialect"] not in ("postgresql", "mysql") or not hasattr(main, "lifespan"):
        return  # a sync worker a probe reaches is free: its readiness is the drain alone

    async def run() -> None:
        transport = httpx.ASGITransport(app=main.app)
        async with (
            main.lifespan(main.app),
            httpx.AsyncClient(transport=transport, base_url="http://app") as client,
        ):
            engine: Any = main.app.state.engine
            assert (await client.get("/readyz")).status_code == 200
            held: list[Any] = []
            for _ in range(PLAN["pool_size"] + PLAN["max_overflow"]):
                conn = engine.connect()
                held.append(await conn.start() if hasattr(conn, "start") else conn)
            ready = await client.get("/readyz")
            assert (ready.status_code, ready.json()) == (503, {"status": "saturated"})
            assert (await client.get("/healthz")).status_code == 200
            last = held.pop()
            closed = last.close()
            if inspect.isawaitable(closed):
                await closed
            assert (await client.get("/readyz")).status_code == 200
            for conn in held:
                closed = conn.close()
                if inspect.isawaitable(closed):
                    await closed

    asyncio.run(run())
