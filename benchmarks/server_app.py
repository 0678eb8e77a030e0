"""The app `bench_server.py` serves: a handler of known CPU time and IO wait, three ways.

Each request says how much work it is: ``GET /?cpu=<ms>&io=<ms>``. The client draws both from
seeded gammas, so every concurrency model sees the same arrivals and the same work. The CPU part
spins until the *process* has burned ``cpu`` ms of CPU (``time.process_time()``), so it is CPU
work whatever else the machine runs (on a shared machine its wall time stretches); the IO part
sleeps (``time.sleep`` in a sync worker, ``asyncio.sleep`` on an event loop).

- ``wsgi``: a plain WSGI app for gunicorn's ``sync`` workers (CPU then a blocking sleep);
- ``asgi``: a plain ASGI app for uvicorn (the CPU spin runs on the event loop, blocking it, as a
  pure-Python handler does; the sleep overlaps);
- ``hybrid``: the same ASGI app with the CPU spin sent to a ``ProcessPoolExecutor`` (one
  process), the sleep on the loop.

Every response carries ``x-handler-ms`` (the wall time from the handler's start to its end) and
``x-cpu-ms`` (the wall time of the CPU part: on a shared machine the spin takes longer than the
CPU it burns; the hybrid times it in the pool process, so the hand-off is not in it), so the
benchmark can tell queueing from a stretched service time; and ``x-io-ms`` (the wall time of the
sleep: on a busy machine a woken process waits for a core, and on an event loop for the loop).
No framework: the server is all that is measured.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any
from urllib.parse import parse_qs

_pool: ProcessPoolExecutor | None = None


def burn(cpu_ms: float) -> None:
    """Spin until this process has used ``cpu_ms`` ms of CPU."""
    end = time.process_time() + cpu_ms / 1000
    while time.process_time() < end:
        pass


def timed_burn(cpu_ms: float) -> float:
    """:func:`burn`, returning the wall time it took in ms (run in the pool by the hybrid)."""
    t0 = time.perf_counter()
    burn(cpu_ms)
    return (time.perf_counter() - t0) * 1000


def _work(query: str) -> tuple[float, float]:
    args = parse_qs(query)
    return float(args.get("cpu", ["0"])[0]), float(args.get("io", ["0"])[0])


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """gunicorn sync worker: burn the CPU, then block on the IO."""
    t0 = time.perf_counter()
    cpu_ms, io_ms = _work(environ.get("QUERY_STRING", ""))
    burn(cpu_ms)
    cpu_wall = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    time.sleep(io_ms / 1000)
    io_wall = (time.perf_counter() - t1) * 1000
    took = (time.perf_counter() - t0) * 1000
    start_response(
        "200 OK",
        [
            ("content-type", "text/plain"),
            ("content-length", "2"),
            ("x-handler-ms", f"{took:.3f}"),
            ("x-cpu-ms", f"{cpu_wall:.3f}"),
            ("x-io-ms", f"{io_wall:.3f}"),
        ],
    )
    return [b"ok"]


_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _respond(send: _Send, took_ms: float, cpu_ms: float, io_ms: float) -> None:
    headers = [
        (b"content-type", b"text/plain"),
        (b"content-length", b"2"),
        (b"x-handler-ms", f"{took_ms:.3f}".encode()),
        (b"x-cpu-ms", f"{cpu_ms:.3f}".encode()),
        (b"x-io-ms", f"{io_ms:.3f}".encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


async def _lifespan(receive: _Receive, send: _Send, pool: bool) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if pool:
                _pool = ProcessPoolExecutor(max_workers=int(os.environ.get("BENCH_POOL", "1")))
                await asyncio.get_running_loop().run_in_executor(_pool, burn, 0.0)  # warm
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                _pool.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def asgi(scope: dict[str, Any], receive: _Receive, send: _Send) -> None:
    """uvicorn event loop: burn the CPU on the loop (blocking it), then await the IO."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send, pool=False)
        return
    t0 = time.perf_counter()
    cpu_ms, io_ms = _work(scope.get("query_string", b"").decode())
    burn(cpu_ms)
    cpu_wall = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    await asyncio.sleep(io_ms / 1000)
    io_wall = (time.perf_counter() - t1) * 1000
    await _respond(send, (time.perf_counter() - t0) * 1000, cpu_wall, io_wall)


async def hybrid(scope: dict[str, Any], receive: _Receive, send: _Send) -> None:
    """uvicorn event loop with a process pool: the CPU in the pool, the IO on the loop."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send, pool=True)
        return
    t0 = time.perf_counter()
    cpu_ms, io_ms = _work(scope.get("query_string", b"").decode())
    assert _pool is not None
    cpu_wall = await asyncio.get_running_loop().run_in_executor(_pool, timed_burn, cpu_ms)
    t1 = time.perf_counter()
    await asyncio.sleep(io_ms / 1000)
    io_wall = (time.perf_counter() - t1) * 1000
    await _respond(send, (time.perf_counter() - t0) * 1000, cpu_wall, io_wall)
