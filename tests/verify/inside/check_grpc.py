"""The gRPC server: one process serves (no fork, no shared port), grpc.health.v1 answers, a
call past its deadline ends DEADLINE_EXCEEDED, and the caller's deadline reaches the handler."""

from __future__ import annotations

import inspect
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import app.grpc_server as server_mod
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

CEILING_S = 30.0  # time_left's bound when the caller set no deadline

SERVE_ASYNC = """
import asyncio, os, sys
import grpc
from app.grpc_server import serve, time_left

async def pid(request: bytes, context) -> bytes:
    return str(os.getpid()).encode()

async def left(request: bytes, context) -> bytes:
    return repr(time_left(context, %(ceiling)r)).encode()

async def slow(request: bytes, context) -> bytes:
    await asyncio.sleep(5)
    return b"late"

def register(server, *resources):
    handler = grpc.method_handlers_generic_handler("verify.Echo", {
        "Pid": grpc.unary_unary_rpc_method_handler(pid),
        "Left": grpc.unary_unary_rpc_method_handler(left),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    })
    server.add_generic_rpc_handlers((handler,))

asyncio.run(serve(register, port=int(sys.argv[1]), host="127.0.0.1"))
"""

SERVE_SYNC = """
import os, sys, time
import grpc
from app.grpc_server import serve, time_left

def pid(request: bytes, context) -> bytes:
    return str(os.getpid()).encode()

def left(request: bytes, context) -> bytes:
    return repr(time_left(context, %(ceiling)r)).encode()

def slow(request: bytes, context) -> bytes:
    for _ in range(500):  # a sync handler is not cancelled: it stops when the call ends
        if not context.is_active():
            break
        time.sleep(0.01)
    return b"late"

def register(server, *resources):
    handler = grpc.method_handlers_generic_handler("verify.Echo", {
        "Pid": grpc.unary_unary_rpc_method_handler(pid),
        "Left": grpc.unary_unary_rpc_method_handler(left),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    })
    server.add_generic_rpc_handlers((handler,))

serve(register, port=int(sys.argv[1]), host="127.0.0.1")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """(port, pid) of the server process, serving."""
    port = free_port()
    script = tmp_path_factory.mktemp("grpc") / "serve.py"
    template = SERVE_ASYNC if inspect.iscoroutinefunction(server_mod.serve) else SERVE_SYNC
    script.write_text(template % {"ceiling": CEILING_S})
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
        yield port, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def call(port: int, method: str, timeout: float | None = None) -> bytes:
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=server_mod.CLIENT_OPTIONS) as ch:
        return bytes(ch.unary_unary(f"/verify.Echo/{method}")(b"", timeout=timeout))


def listeners(port: int) -> int:
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def test_one_process_serves_on_its_own_port(server: tuple[int, int]) -> None:
    """No workers forked onto a shared port: the balancer sees every process's address."""
    port, pid = server
    assert {int(call(port, "Pid", 10)) for _ in range(6)} == {pid}
    assert listeners(port) == 1
    assert "grpc.so_reuseport" not in dict(server_mod.OPTIONS)


def test_the_health_service_answers_serving(server: tuple[int, int]) -> None:
    port, _ = server
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_call_past_its_deadline_ends_deadline_exceeded(server: tuple[int, int]) -> None:
    port, _ = server
    with pytest.raises(grpc.RpcError) as err:
        call(port, "Slow", timeout=0.2)
    assert err.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def test_the_callers_deadline_reaches_the_handler(server: tuple[int, int]) -> None:
    """time_left is the caller's remaining time, bounded by the ceiling when none was set."""
    port, _ = server
    assert 0 < float(call(port, "Left", timeout=5)) < 10  # ~5 s: the caller's, not 30
    assert float(call(port, "Left")) == CEILING_S


def test_the_server_permits_the_clients_keepalive_pings() -> None:
    """A client pinging more often than the server accepts gets GOAWAY too_many_pings (the
    server's default minimum is 5 min, and no pings without calls)."""
    server, client = dict(server_mod.OPTIONS), dict(server_mod.CLIENT_OPTIONS)
    assert server.get("grpc.keepalive_permit_without_calls") == 1
    assert client["grpc.keepalive_permit_without_calls"] == 1
    allowed = server.get("grpc.http2.min_recv_ping_interval_without_data_ms", 300_000)
    assert allowed <= client["grpc.keepalive_time_ms"]
    assert server["grpc.max_connection_age_ms"] > 0
