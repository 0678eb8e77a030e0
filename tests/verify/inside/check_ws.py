"""The WebSocket route serves through the stack's own server and library, a Redis publish
reaches every socket on its channel, and a client that stops reading is dropped while the
others keep receiving."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import connect

MESSAGES = 200
SIZE = 64 * 1024  # 200 × 64 KiB = 12.5 MiB: past what the sockets between them buffer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stalled_client(port: int, path: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then reads nothing, with a small
    fixed receive buffer (no autotuning): the server's writes back up at once."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    raw.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)  # byte by byte: leave the frames that follow in the socket
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw


def drain(raw: socket.socket) -> tuple[int, int | None]:
    """Read what the server sent the stalled client: (complete text frames, close code)."""
    raw.settimeout(30)
    data = b""
    while chunk := raw.recv(1 << 20):
        data += chunk
    frames, code, at = 0, None, 0
    while at + 2 <= len(data):
        opcode, size, at = data[at] & 0x0F, data[at + 1] & 0x7F, at + 2
        if size == 126:
            size, at = int.from_bytes(data[at : at + 2], "big"), at + 2
        elif size == 127:
            size, at = int.from_bytes(data[at : at + 8], "big"), at + 8
        if at + size > len(data):
            break
        if opcode == 0x1:
            frames += 1
        elif opcode == 0x8 and size >= 2:
            code = int.from_bytes(data[at : at + 2], "big")
        at += size
    return frames, code


async def scenario(port: int) -> tuple[list[int], int, int | None]:
    redis = Redis.from_url(os.environ["VERIFY_REDIS_URL"])
    for _ in range(100):  # the worker's listener has subscribed
        if await redis.execute_command("PUBSUB", "NUMPAT"):
            break
        await asyncio.sleep(0.1)
    channel = f"match-{uuid.uuid4()}"
    url = f"ws://127.0.0.1:{port}/ws/{channel}"
    fast = [await connect(url, max_size=None) for _ in range(3)]
    slow = stalled_client(port, f"/ws/{channel}")  # handshakes, then never reads
    await asyncio.sleep(0.3)  # every socket has joined the channel
    received = [0] * len(fast)
    try:
        for i in range(MESSAGES):
            body = f"{i:06d}".ljust(SIZE, ".")
            await redis.publish("live:" + channel, body)
            for n, client in enumerate(fast):  # each fast client reads message i
                got = await asyncio.wait_for(client.recv(), 30)
                assert got == body, f"client {n} got message {str(got)[:6]}, not {i}"
                received[n] += 1
        slow_got, code = drain(slow)
        return received, slow_got, code
    finally:
        slow.close()
        for client in fast:
            await client.close()
        await redis.aclose()


def test_broadcasts_reach_every_socket_and_a_slow_reader_is_dropped(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "uvicorn.log"
    env = {**os.environ, "APP_REDIS_URL": os.environ["VERIFY_REDIS_URL"], "APP_WS_QUEUE_MAX": "8"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        received, slow_got, code = asyncio.run(scenario(port))
        assert received == [MESSAGES] * 3, log.read_text()[-3000:]
        assert slow_got < MESSAGES, "the slow reader was buffered for, not dropped"
        assert code in (1013, None), f"closed with {code}"
        assert "No supported WebSocket library" not in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)
