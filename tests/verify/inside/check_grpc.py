"""The gRPC server forks its workers before any gRPC object, each binds the same port
(SO_REUSEPORT), and a call is served."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import app.grpc_server as server_mod
import grpc

SERVE = """
import os, sys
import grpc
from app.grpc_server import serve

def pid(request: bytes, context: object) -> bytes:
    return str(os.getpid()).encode()

def register(server, *resources):
    handler = grpc.method_handlers_generic_handler(
        "verify.Echo", {"Pid": grpc.unary_unary_rpc_method_handler(pid)}
    )
    server.add_generic_rpc_handlers((handler,))

serve(register, port=int(sys.argv[1]), host="127.0.0.1")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listeners(port: int) -> int:
    """Listening sockets on the port (one per process with SO_REUSEPORT)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def test_workers_share_the_port_and_serve(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "serve.py"
    script.write_text(SERVE)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            if listeners(port) == server_mod.WORKERS:
                break
            time.sleep(0.1)
        assert listeners(port) == server_mod.WORKERS, "not every worker bound the port"
        pids = set()
        for _ in range(4 * server_mod.WORKERS):
            with grpc.insecure_channel(
                f"127.0.0.1:{port}", options=server_mod.CLIENT_OPTIONS
            ) as channel:
                call = channel.unary_unary("/verify.Echo/Pid")
                pids.add(int(call(b"", timeout=10)))
        assert pids and proc.pid not in pids, "the parent served: it created a gRPC server"
        options = dict(server_mod.OPTIONS)
        assert options["grpc.so_reuseport"] == 1
        assert options["grpc.max_connection_age_ms"] > 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_the_server_permits_the_clients_keepalive_pings() -> None:
    """A client pinging more often than the server accepts gets GOAWAY too_many_pings (the
    server's default minimum is 5 min, and no pings without calls)."""
    server, client = dict(server_mod.OPTIONS), dict(server_mod.CLIENT_OPTIONS)
    assert server.get("grpc.keepalive_permit_without_calls") == 1
    assert client["grpc.keepalive_permit_without_calls"] == 1
    allowed = server.get("grpc.http2.min_recv_ping_interval_without_data_ms", 300_000)
    assert allowed <= client["grpc.keepalive_time_ms"]
