"""Throwaway PostgreSQL, Redis and MariaDB for the verification suite.

Each runs from Debian's binaries in a temporary directory, listens on 127.0.0.1 on a free port,
and is stopped (and its directory removed) at the end. PostgreSQL and MariaDB refuse to run as
root, so under root they run as an unprivileged system user created for the purpose.

    python -m tests.verify.services start   # prints the URLs as environment assignments
    python -m tests.verify.services stop
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Services", "running", "start", "stop"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERVICE_USER = "pytarch-verify"
STATE = Path(tempfile.gettempdir()) / "pyt-arch-verify-services.json"


@dataclass
class Services:
    """Where the services listen, and what to stop."""

    root: str
    postgres_port: int = 0
    redis_port: int = 0
    mariadb_port: int = 0
    pids: dict[str, int] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def postgres_url(self, scheme: str = "postgresql", db: str = "postgres") -> str:
        return f"{scheme}://postgres@127.0.0.1:{self.postgres_port}/{db}"

    def mariadb_url(self, scheme: str = "mysql+pymysql", db: str = "verify") -> str:
        return f"{scheme}://root@127.0.0.1:{self.mariadb_port}/{db}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"


def free_port() -> int:
    """A port nothing listens on now (the service binds it right after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, what: str, log: Path, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not start on 127.0.0.1:{port}\n{tail}")


def _as_user() -> list[str]:
    """A prefix that runs a command as the unprivileged service user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
    return ["runuser", "-u", SERVICE_USER, "--"]


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, SERVICE_USER, SERVICE_USER)


def _start_postgres(svc: Services, root: Path) -> None:
    if not (PG_BIN / "pg_ctl").exists():
        svc.missing["postgresql"] = f"{PG_BIN}/pg_ctl not found (apt-get install postgresql-15)"
        return
    data, log = root / "pg", root / "pg.log"
    data.mkdir()
    _chown(data)
    log.touch()
    _chown(log)
    prefix = _as_user()
    subprocess.run(
        [
            *prefix,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=400 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [
            *prefix,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    svc.postgres_port = port
    svc.pids["postgresql"] = int((data / "postmaster.pid").read_text().split()[0])


def _start_redis(svc: Services, root: Path) -> None:
    exe = shutil.which("redis-server")
    if exe is None:
        svc.missing["redis"] = "redis-server not found (apt-get install redis-server)"
        return
    port = free_port()
    log = root / "redis.log"
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--logfile",
            str(log),
            "--daemonize",
            "no",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_port(port, "redis", log)
    svc.redis_port = port
    svc.pids["redis"] = proc.pid


def _start_mariadb(svc: Services, root: Path) -> None:
    exe, install = shutil.which("mariadbd"), shutil.which("mariadb-install-db")
    if exe is None or install is None:
        svc.missing["mariadb"] = "mariadbd not found (apt-get install mariadb-server)"
        return
    data, log, tmp = root / "mariadb", root / "mariadb.log", root / "mariadb-tmp"
    data.mkdir()
    _chown(data)
    tmp.mkdir()  # its own: the service user may not write to the caller's TMPDIR
    _chown(tmp)
    env = {**os.environ, "TMPDIR": str(tmp)}
    user = ["--user=" + SERVICE_USER] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        _as_user()
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--no-defaults",
            f"--datadir={data}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={data}/mysqld.sock",
            f"--pid-file={data}/mysqld.pid",
            f"--log-error={log}",
            "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin",
            "--max-connections=400",
            *user,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_port(port, "mariadb", log)
    svc.mariadb_port = port
    svc.pids["mariadb"] = proc.pid
    client = shutil.which("mariadb") or "mysql"
    for _ in range(50):  # the port opens a moment before root may log in
        done = subprocess.run(
            [
                client,
                "--no-defaults",
                "-h",
                "127.0.0.1",
                "-P",
                str(port),
                "-u",
                "root",
                "-e",
                "CREATE DATABASE IF NOT EXISTS verify",
            ],
            capture_output=True,
        )
        if done.returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"mariadb: cannot create the database: {done.stderr.decode()}")


def start() -> Services:
    """Start every service that is installed; note the ones that are not."""
    root = Path(tempfile.mkdtemp(prefix="pyt-arch-verify-"))
    root.chmod(0o755)
    svc = Services(root=str(root))
    _as_user()  # creates the unprivileged user first, when we are root
    try:
        _start_postgres(svc, root)
        _start_redis(svc, root)
        _start_mariadb(svc, root)
    except BaseException:
        stop(svc)
        raise
    STATE.write_text(json.dumps(asdict(svc)))
    return svc


def stop(svc: Services | None = None) -> None:
    """Stop what :func:`start` started and remove its directory."""
    if svc is None:
        if not STATE.exists():
            return
        svc = Services(**json.loads(STATE.read_text()))
    root = Path(svc.root)
    if svc.postgres_port and (root / "pg").exists():
        subprocess.run(
            [
                *_as_user(),
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(root / "pg"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
        )
    for name in ("redis", "mariadb"):
        pid = svc.pids.get(name)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 15)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.1)
    shutil.rmtree(root, ignore_errors=True)
    STATE.unlink(missing_ok=True)


@contextlib.contextmanager
def running() -> Iterator[Services]:
    """The services for the length of a ``with`` block."""
    svc = start()
    try:
        yield svc
    finally:
        stop(svc)


if __name__ == "__main__":
    if sys.argv[1:] == ["start"]:
        s = start()
        print(json.dumps(asdict(s), indent=2))
    elif sys.argv[1:] == ["stop"]:
        stop()
    else:
        sys.exit("usage: python -m tests.verify.services start|stop")
