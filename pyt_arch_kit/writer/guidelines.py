"""Implementation Guidelines: layout, the critical code, schema migrations, and testing."""

from __future__ import annotations

from pyt_arch_kit.planning.model import ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, Interface
from pyt_arch_kit.writer.snippets import snippets
from pyt_arch_kit.writer.sockets import socket_guideline

__all__ = ["implementation_guidelines"]

_LAYOUT = [
    "Structure the code in three layers, with dependencies pointing inwards:",
    "",
    "```text",
    "app/",
    "  domain/          # pure logic and types: no I/O, unit-tested with hypothesis",
    "  adapters/        # database, cache, HTTP clients, brokers (behind small protocols)",
    "  api/             # routes / servicers / consumers: parse, call domain, respond",
    "  settings.py      # pydantic-settings, read once at start-up",
    "  main.py          # composition root: wires adapters into the domain",
    "```",
    "",
]


def _migrations(plan: Plan) -> list[str]:
    db = plan.database
    if db is None:
        return []
    if db.engine is DatabaseKind.MONGODB:
        return [
            "### Schema changes",
            "",
            "Documents carry a `schema_version`; readers accept the current and the previous "
            "version, writers write the current one, and a batched backfill upgrades the rest "
            "before the old reader is removed (expand, migrate, contract).",
            "",
        ]
    return [
        "### Schema migrations (expand/contract)",
        "",
        "Alembic revisions run as their own step before a deploy (a job or release phase, "
        "under the migration role), never at start-up by every instance. Every step stays "
        "compatible with the version still running, because a rolling deploy runs both:",
        "",
        "1. **Expand**: add nullable columns or new tables; build indexes with "
        "`CREATE INDEX CONCURRENTLY` (outside a transaction).",
        "2. Deploy code that writes both the old and the new shape and still reads the old.",
        "3. **Backfill** in batches of ~1,000 rows, each its own short transaction.",
        "4. Switch reads to the new shape; then make it NOT NULL (add the constraint "
        "`NOT VALID`, then `VALIDATE CONSTRAINT`).",
        "5. **Contract**: drop the old column in a later release, once nothing reads it.",
        "",
        "Set `lock_timeout` (e.g. `SET lock_timeout = '5s'`) on every migration, so DDL waiting "
        "behind a long transaction fails and retries instead of queueing every query on the "
        "table behind it.",
        "",
    ]


def _testing(plan: Plan) -> list[str]:
    cap = plan.capacity
    load = (
        [
            "- **Load**: locust at 1×, 2× and 3× the "
            f"{fmt_number(plan.resolved.scale.peak_rps)} req/s peak; record p50 and "
            "p99 and the spread of handler time (service_cv = std / mean), and compare them "
            f"with the plan's estimates (p50 ≈ {fmt_number(cap.p50_ms)} ms, p99 ≈ "
            f"{fmt_number(cap.p99_ms)} ms at cv {fmt_number(cap.service_cv)}) before launch.",
        ]
        if "app" in plan.components
        else [
            "- **Load**: a full-size run on a copy of the data, timed, before the first "
            "scheduled one.",
        ]
    )
    return [
        "### Testing strategy",
        "",
        "- **Unit**: the domain layer with pytest and hypothesis properties (invariants such as "
        "balances never going negative).",
        "- **Integration**: adapters against real services in containers (PostgreSQL, Redis), "
        "including pool exhaustion and timeouts.",
        *load,
    ]


def implementation_guidelines(plan: Plan) -> str:
    """Layout, the critical code, schema migrations, and how to test it."""
    conc = plan.concurrency
    out = list(_LAYOUT)
    if conc.model is ConcurrencyModel.ASYNCIO or conc.model is ConcurrencyModel.HYBRID:
        out += [
            "Never block the event loop: no `requests`, no `time.sleep`, no sync drivers on "
            "the request path. Run with `PYTHONASYNCIODEBUG=1` in tests to catch slow "
            "callbacks.",
            "",
        ]
    out += socket_guideline(plan)
    if plan.resolved.interface is Interface.GRPC:
        out += [
            f"Start the {conc.workers_per_instance} server processes of an instance before any "
            "gRPC object exists (grpcio does not survive a fork after it started): a small "
            "launcher forks them, and each creates its own server bound with SO_REUSEPORT.",
            "",
        ]
    for title, code in snippets(plan):
        out += [f"### {title}", "", "```python", code.rstrip("\n"), "```", ""]
    out += _migrations(plan)
    out += _testing(plan)
    return "\n".join(out).rstrip()
