"""Every code block the offline writer hands out runs, against real services.

For each design in :mod:`tests.verify.designs` (together they take every branch of the writer):
the blocks are laid out as the files their first lines name, the design's own Technology Stack
is installed in a venv, and each block is imported, type-checked (mypy --strict with the
pydantic plugin) and exercised by the behaviours a user relies on, against throwaway
PostgreSQL, Redis and MariaDB. MongoDB is not packaged in Debian: MongoDB blocks are imported
and type-checked only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code import Profile, snippets
from pyt_arch_kit.writer.code import profile as profile_of
from tests.verify.designs import uncovered
from tests.verify.harness import Project

from .conftest import PLANS

pytestmark = [pytest.mark.verify, pytest.mark.timeout(1800)]

Make = Callable[[str], tuple[Project, dict[str, str]]]


def _designs(
    when: Callable[[Profile], bool], and_plan: Callable[[Plan], bool] = lambda plan: True
) -> list[object]:
    """The designs whose code takes a branch: chosen up front, so that no test skips."""
    return [
        pytest.param(name, marks=pytest.mark.xdist_group(name))
        for name, plan in PLANS.items()
        if when(profile_of(plan)) and and_plan(plan)
    ]


def test_every_branch_of_the_writer_has_a_design() -> None:
    assert uncovered() == []


@pytest.mark.parametrize("name", _designs(lambda p: True))
def test_every_block_imports(name: str, project: Make) -> None:
    proj, env = project(name)
    script = (
        "import importlib, runpy\n"
        + "".join(
            f"runpy.run_path({b.path!r})\n"
            if not b.path.startswith("app/")
            else f"importlib.import_module({b.path[:-3].replace('/', '.')!r})\n"
            for b in proj.blocks
        )
        + "print('imported', len("
        + repr([b.path for b in proj.blocks])
        + "))\n"
    )
    done = proj.run([proj.python, "-c", script], env)
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.parametrize("name", _designs(lambda p: True))
def test_every_block_type_checks(name: str, project: Make) -> None:
    proj, env = project(name)
    files = [b.path for b in proj.blocks if b.path.startswith("app/")]
    if proj.has("gunicorn.conf.py"):  # not a valid module name: check a copy
        (proj.root / "gunicorn_conf.py").write_text((proj.root / "gunicorn.conf.py").read_text())
        files.append("gunicorn_conf.py")
    # mypy's cache stays with the project (a temp dir), not in the venv cache: ~25 MB per stack
    cache = ["--cache-dir", str(proj.root / ".mypy_cache")]
    done = proj.run([proj.python, "-m", "mypy", "--config-file", "mypy.ini", *cache, *files], env)
    shutil.rmtree(proj.root / ".mypy_cache", ignore_errors=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize("name", _designs(lambda p: p.ledger))
def test_money_is_conserved(name: str, project: Make) -> None:
    """Transfers, overdrafts, replays, reused keys, expiry and concurrency: no money is created
    or lost, no balance goes negative, one outbox event per committed transfer."""
    proj, env = project(name)
    # one process runs the concurrent requests of many workers: give its pool room for them
    roomy = {"APP_POOL_SIZE": "12", "APP_MAX_OVERFLOW": "0", "APP_POOL_TIMEOUT_S": "10"}
    proj.check("ledger", {**env, **roomy})


@pytest.mark.parametrize(
    "name", _designs(lambda p: p.ledger, lambda plan: bool(plan.database and plan.database.outbox))
)
def test_outbox_relay_publishes_each_event_once(name: str, project: Make) -> None:
    proj, env = project(name)
    assert proj.has("app/relay.py"), "a ledger with an outbox hands out its relay"
    # two relays in one process (two threads or tasks): give its pool room for both
    roomy = {"APP_POOL_SIZE": "4", "APP_MAX_OVERFLOW": "0", "APP_POOL_TIMEOUT_S": "10"}
    proj.check("relay", {**env, **roomy})


# MongoDB is not packaged in Debian: its designs are imported and type-checked only.
@pytest.mark.parametrize("name", _designs(lambda p: bool(p.cache) and p.dialect != "mongodb"))
def test_cache_degrades_to_the_database_and_invalidates_on_write(name: str, project: Make) -> None:
    proj, env = project(name)
    proj.check("cache", env)


@pytest.mark.parametrize(
    "name", _designs(lambda p: (p.serve and not p.low_traffic) or p.web == "grpc")
)
def test_retries_catch_the_stacks_errors_and_stay_in_budget(name: str, project: Make) -> None:
    proj, env = project(name)
    proj.check("retries", env)


@pytest.mark.parametrize(
    "name",
    _designs(lambda p: p.sql, lambda plan: "app/db.py" in "".join(c for _, c in snippets(plan))),
)
def test_settings_drive_the_pool_and_connections_stay_under_the_total(
    name: str, project: Make
) -> None:
    proj, env = project(name)
    proj.check("pool", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.dialect == "redis"))
def test_redis_store_pool_is_the_plans_and_bounded(name: str, project: Make) -> None:
    proj, env = project(name)
    proj.check("store", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.serve))
def test_server_starts_its_workers_and_serves(name: str, project: Make) -> None:
    proj, env = project(name)
    proj.check("server", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.model))
def test_model_is_ready_only_when_loaded_pinned_and_timed_out(name: str, project: Make) -> None:
    proj, env = project(name)
    assert proj.has("app/model.py"), "a model service hands out its lifecycle"
    proj.check("model", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.approvals))
def test_approvals_keep_four_eyes_and_an_append_only_audit(name: str, project: Make) -> None:
    proj, env = project(name)
    assert proj.has("app/approvals.py"), "an approval workflow hands out its domain code"
    proj.check("approvals", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.websocket))
def test_websockets_fan_out_through_redis_and_drop_slow_readers(name: str, project: Make) -> None:
    proj, env = project(name)
    assert proj.has("app/ws.py"), "a WebSocket design hands out its route"
    proj.check("ws", env)


@pytest.mark.parametrize("name", _designs(lambda p: p.web == "grpc"))
def test_grpc_serves_health_and_the_callers_deadline_from_one_process(
    name: str, project: Make
) -> None:
    proj, env = project(name)
    proj.check("grpc", env)


@pytest.mark.parametrize(
    "name",
    _designs(
        lambda p: p.data in ("pandas", "polars", "Dask", "PySpark", "Kafka", "Spark streaming")
    ),
)
def test_data_job_writes_what_it_says(name: str, project: Make) -> None:
    proj, env = project(name)
    proj.check("job", env)
