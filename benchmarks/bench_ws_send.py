"""CPU per WebSocket send, with and without permessage-deflate: the planner's ``SEND_S``
(``pyt_arch_kit.planning.capacity_figures``), measured on this machine.

    python benchmarks/bench_ws_send.py   # with uvicorn and websockets installed

A uvicorn server (its default WebSocket implementation, websockets) holds ``SOCKETS`` client
sockets; each socket has a bounded queue and its own sender task, as the design's ``app/ws.py``
does. A broadcast enqueues a ~1 KB JSON score update (the realtime-websocket preset's payload)
for every socket; the server's process time from the first enqueue to the last frame written,
divided by the sends, is the CPU per send. The clients run in this process, on the other core,
and negotiate compression when the server offers it (the websockets client offers it by
default, as browsers do). Prints the median over the repeats for each setting, and the ratio.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time

SOCKETS = 1000
MESSAGES = 20
REPEATS = 5

SERVER = r"""
import asyncio, json, sys, time
import uvicorn

sockets = []

async def app(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        queue = asyncio.Queue(maxsize=64)
        sockets.append(queue)
        while True:
            message = await queue.get()
            await send({"type": "websocket.send", "text": message})
            queue.task_done()
    elif scope["type"] == "http":
        await receive()
        messages = int(scope["query_string"].decode() or "1")
        start = time.process_time()
        for i in range(messages):
            update = json.dumps({"match": 4711, "seq": i, "minute": 60 + i,
                "score": [2, i % 5], "events": [{"minute": m, "kind": "shot", "team": m % 2,
                "player": f"player {m}", "xg": round(0.01 * m, 2)} for m in range(12)]})
            for queue in sockets:
                queue.put_nowait(update)
            await asyncio.gather(*(queue.join() for queue in sockets))
        spent = time.process_time() - start
        body = json.dumps({"cpu_s": spent, "sends": messages * len(sockets),
                           "bytes": len(update)}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "lifespan":
        while True:
            event = await receive()
            kind = event["type"].split(".")[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return

uvicorn.run(app, port=int(sys.argv[1]), log_level="warning",
            ws_per_message_deflate=sys.argv[2] == "on")
"""


async def _clients(port: int) -> tuple[list[object], list[asyncio.Task[None]], str]:
    from websockets.asyncio.client import connect

    clients = [await connect(f"ws://127.0.0.1:{port}/ws", max_size=None) for _ in range(SOCKETS)]

    async def read(client: object) -> None:
        async for _ in client:  # type: ignore[attr-defined]
            pass

    readers = [asyncio.create_task(read(c)) for c in clients]
    extensions = clients[0].response.headers.get("Sec-WebSocket-Extensions", "")  # type: ignore[attr-defined]
    return clients, readers, extensions


async def _measure(port: int) -> tuple[list[float], str, int]:
    import urllib.request

    clients, readers, extensions = await _clients(port)
    per_send = []
    size = 0
    url = f"http://127.0.0.1:{port}/?{MESSAGES}"
    for _ in range(REPEATS):
        raw = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=600).read())
        result = json.loads(raw)
        per_send.append(result["cpu_s"] / result["sends"])
        size = result["bytes"]
    for task in readers:
        task.cancel()
    for client in clients:
        await client.close()  # type: ignore[attr-defined]
    return per_send, extensions, size


def run(deflate: str) -> tuple[float, str, int]:
    """Median CPU seconds per send with permessage-deflate ``on`` or ``off``."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), deflate])
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        per_send, extensions, size = asyncio.run(_measure(port))
    finally:
        server.kill()  # its handler tasks never end: no graceful shutdown to wait for
        server.wait(timeout=30)
    return statistics.median(per_send), extensions, size


def main() -> int:
    off, ext_off, size = run("off")
    on, ext_on, _ = run("on")
    print(f"{SOCKETS} sockets × {MESSAGES} messages of {size} bytes, median of {REPEATS}")
    print(f"deflate on : {on * 1e6:7.1f} µs CPU per send  (negotiated: {ext_on or 'none'})")
    print(f"deflate off: {off * 1e6:7.1f} µs CPU per send  (negotiated: {ext_off or 'none'})")
    print(f"ratio on/off: {on / off:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
