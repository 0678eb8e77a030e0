"""The WebSocket route serves through the stack's own server and library: a socket without a
valid ticket is refused before accept, a Redis publish reaches every socket on its channel, a
client that stops reading is dropped while the others keep receiving, and after the worker's
pub/sub connection is killed it resubscribes, tells its sockets to resync, and later messages
arrive."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from app.ws import RESYNC, ticket
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

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


async def subscribed(redis: Redis) -> None:
    for _ in range(300):  # the worker's listener has subscribed
        if await redis.execute_command("PUBSUB", "NUMPAT"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the worker never subscribed")


async def scenario(port: int) -> tuple[list[int], int, int | None]:
    redis = Redis.from_url(os.environ["VERIFY_REDIS_URL"])
    await subscribed(redis)
    channel = f"match-{uuid.uuid4()}"
    path = f"/ws/{channel}?token={ticket('fan')}"
    url = f"ws://127.0.0.1:{port}{path}"
    fast = [await connect(url, max_size=None) for _ in range(3)]
    slow = stalled_client(port, path)  # handshakes, then never reads
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


async def refused(port: int) -> list[int]:
    """The HTTP status each handshake without a valid ticket gets."""
    forged = ticket("fan")[:-4] + "0000"
    expired = ticket("fan", ttl_s=-5)
    statuses = []
    for query in ("", "?token=", f"?token={forged}", f"?token={expired}"):
        with pytest.raises(InvalidStatus) as caught:
            await connect(f"ws://127.0.0.1:{port}/ws/match{query}")
        statuses.append(caught.value.response.status_code)
    return statuses


async def survives_a_killed_subscription(port: int) -> list[str]:
    """What a socket receives around a CLIENT KILL of the worker's pub/sub connection."""
    redis = Redis.from_url(os.environ["VERIFY_REDIS_URL"])
    await subscribed(redis)
    channel = f"match-{uuid.uuid4()}"
    got: list[str] = []
    async with connect(f"ws://127.0.0.1:{port}/ws/{channel}?token={ticket('fan')}") as client:
        await asyncio.sleep(0.3)  # the socket has joined its channel
        await redis.publish("live:" + channel, "before")
        got.append(str(await asyncio.wait_for(client.recv(), 30)))
        killed = await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed >= 1
        await subscribed(redis)  # resubscribed
        got.append(str(await asyncio.wait_for(client.recv(), 30)))  # the resync notice
        await redis.publish("live:" + channel, "after")
        got.append(str(await asyncio.wait_for(client.recv(), 30)))
    await redis.aclose()
    return got


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One uvicorn worker serving the design's app, against the real Redis."""
    port = free_port()
    log = tmp_path_factory.mktemp("ws") / "uvicorn.log"
    env = {**os.environ, "APP_WS_QUEUE_MAX": "8"}
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
        yield port
        assert "No supported WebSocket library" not in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_a_socket_without_a_valid_ticket_is_refused_before_accept(port: int) -> None:
    assert asyncio.run(refused(port)) == [403, 403, 403, 403]


def test_broadcasts_reach_every_socket_and_a_slow_reader_is_dropped(port: int) -> None:
    received, slow_got, code = asyncio.run(scenario(port))
    assert received == [MESSAGES] * 3
    assert slow_got < MESSAGES, "the slow reader was buffered for, not dropped"
    assert code in (1013, None), f"closed with {code}"


def test_the_worker_resubscribes_after_its_pubsub_connection_is_killed(port: int) -> None:
    assert asyncio.run(survives_a_killed_subscription(port)) == ["before", RESYNC, "after"]
