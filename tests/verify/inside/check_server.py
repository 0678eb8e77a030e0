"""gunicorn starts the workers the config states, and the app serves a request."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CONFIG = runpy.run_path("gunicorn.conf.py")


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_stated_workers_start_and_serve_a_request(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{port}",
                "app.main:app",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    try:
        body = None
        for _ in range(300):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                body = response.json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok", log.read_text()[-3000:]
        if os.environ.get("APP_MODEL_VERSION"):  # a model service reports the version it serves
            assert body["model_version"] == os.environ["APP_MODEL_VERSION"]
        workers = CONFIG["workers"]
        for _ in range(300):  # every worker has booted
            booted = log.read_text().count("Booting worker")
            if len(children(server.pid)) == workers and booted >= workers:
                break
            time.sleep(0.1)
        assert len(children(server.pid)) == workers, log.read_text()[-3000:]
        assert log.read_text().count("Booting worker") == workers
        if CONFIG.get("worker_class") == "gthread":
            assert CONFIG["threads"] >= 2
        assert "keepalive" not in CONFIG or CONFIG["keepalive"] > 60
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_cpu_bound_workers_run_numeric_libraries_on_one_thread() -> None:
    """N processes per N cores: gunicorn gives every worker OMP/BLAS/MKL = 1 thread."""
    import json

    from gunicorn.config import Config

    if json.loads(os.environ["VERIFY_PLAN"]).get("model") != "processes":
        return
    config = Config()
    config.set("raw_env", CONFIG.get("raw_env", []))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert config.env.get(name) == "1", f"{name} is not 1 in the workers"
