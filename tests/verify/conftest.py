"""Fixtures for the verification suite: real services, one venv per stack, a project per design.

The suite is slow (it installs every stack), so it runs only when selected with ``-m verify``
(``scripts/test.sh`` does); otherwise its tests are skipped with that hint.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.verify import services as services_mod
from tests.verify.designs import plans
from tests.verify.harness import Project, layout
from tests.verify.venvs import ensure, python312, requirements

PLANS = plans()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "verify" in (config.getoption("-m") or ""):
        return
    # Deselected, not skipped: the suite runs on its own with -m verify (scripts/verify.sh).
    slow = [item for item in items if item.get_closest_marker("verify") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("verify") is None]


@pytest.fixture(scope="session")
def services() -> Iterator[services_mod.Services]:
    """The services ``scripts/test.sh`` started, or our own for this session."""
    shared = os.environ.get("PYT_ARCH_VERIFY_SERVICES")
    if shared:
        yield services_mod.Services(**json.loads(Path(shared).read_text()))
        return
    with services_mod.running() as svc:
        yield svc


def _create_database(svc: services_mod.Services, dialect: str, name: str) -> None:
    if dialect == "postgresql":
        cmd = [
            str(services_mod.PG_BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(svc.postgres_port),
            "-U",
            "postgres",
            "-q",
            "-c",
            f'DROP DATABASE IF EXISTS "{name}"',
            "-c",
            f'CREATE DATABASE "{name}"',
        ]
    else:
        sql = f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"
        cmd = [
            "mariadb",
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            str(svc.mariadb_port),
            "-u",
            "root",
            "-e",
            sql,
        ]
    subprocess.run(cmd, check=True, capture_output=True)


def app_env(project: Project, svc: services_mod.Services) -> dict[str, str]:
    """The environment a design's code runs with: its settings point at the real services."""
    p, plan = project.profile, project.plan
    db_name = project.name.replace("-", "_")
    env = {
        "APP_REDIS_URL": svc.redis_url,
        "VERIFY_REDIS_URL": svc.redis_url,
        "VERIFY_DESIGN": project.name,
    }
    if p.dialect == "postgresql":
        env["APP_DATABASE_URL"] = svc.postgres_url(p.url_scheme, db_name)
    elif p.dialect == "mysql":
        env["APP_DATABASE_URL"] = svc.mariadb_url(p.url_scheme, db_name)
    elif p.dialect == "redis":  # Redis as the store: its own logical database
        env["APP_DATABASE_URL"] = svc.redis_url.rsplit("/", 1)[0] + "/3"
    elif p.dialect == "mongodb":  # MongoDB is not packaged in Debian: nothing listens here
        env["APP_DATABASE_URL"] = "mongodb://127.0.0.1:9/verify"
    if p.websocket:  # the broadcast bus (its own Redis in production) and the ticket key
        env["APP_PUBSUB_URL"] = svc.redis_url
        env["APP_WS_TOKEN_SECRET"] = "verify-only-ticket-key"
    if p.model:  # the pinned model the app loads at start-up
        model = project.root / "models" / "model.json"
        model.parent.mkdir(exist_ok=True)
        weights = {"amount": 0.002, "new_device": 1.5}
        model.write_text(json.dumps({"version": "v7", "bias": -3, "weights": weights}))
        env["APP_MODEL_PATH"], env["APP_MODEL_VERSION"] = str(model), "v7"
    db, cap, conc = plan.database, plan.capacity, plan.concurrency
    env["VERIFY_PLAN"] = json.dumps(
        {
            "processes": cap.instances * conc.workers_per_instance,
            "workers": conc.workers_per_instance,
            "threads": conc.threads_per_worker,
            "pool_size": db.pool_size if db else 0,
            "max_overflow": db.max_overflow if db else 0,
            "total": db.total_connections if db else 0,
            "cache_ttl_s": db.cache_ttl_s if db else 0,
            "p99_s": (plan.requirements.latency.p99_ms or 1000) / 1000,
            "dialect": p.dialect,
            "is_async": p.is_async,
            "model": conc.model.value,
        }
    )
    return env


@pytest.fixture(scope="session")
def project(
    services: services_mod.Services, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[Project, dict[str, str]]]:
    """``project(name)``: the design's code laid out, its venv ready, its database empty."""
    made: dict[str, tuple[Project, dict[str, str]]] = {}
    python = python312()

    def make(name: str) -> tuple[Project, dict[str, str]]:
        if name not in made:
            if python is None:
                pytest.fail("no CPython >= 3.12 found: the stacks require it")
            plan = PLANS[name]
            venv = ensure(requirements(plan), python)
            proj = layout(name, plan, tmp_path_factory.mktemp(name), venv)
            if proj.profile.sql:
                missing = services.missing.get(
                    "postgresql" if proj.profile.dialect == "postgresql" else "mariadb"
                )
                if missing:
                    pytest.fail(missing)
                _create_database(services, proj.profile.dialect, name.replace("-", "_"))
            made[name] = (proj, app_env(proj, services))
        return made[name]

    return make
