"""The offline writer: the six-section design written from the plan, deterministically."""

from __future__ import annotations

from pyt_arch_kit.markup import inline
from pyt_arch_kit.planning.model import ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.render import figures_table
from pyt_arch_kit.writer.diagram import WORKER_NOUN, mermaid
from pyt_arch_kit.writer.snippets import snippets
from pyt_arch_kit.writer.stack import stack

__all__ = ["write_design"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def executive_summary(plan: Plan) -> str:
    """What to build, the key numbers, the push-back, and what was assumed."""
    req, cap, conc, db = plan.requirements, plan.capacity, plan.concurrency, plan.database
    peak = req.scale.peak_rps or 0.0
    lines = []
    if req.summary:
        lines += [inline(req.summary), ""]  # data, not markup: it cannot open a fence or a section
    batch = plan.data is not None and "app" not in plan.components
    if batch and plan.data is not None:
        lines.append(
            f"**Recommendation:** a scheduled batch job on **{plan.data.tool}**"
            + (f", writing results to **{db.engine}**" if db else "")
            + ". "
            + plan.data.why[0].upper()
            + plan.data.why[1:]
            + "."
        )
    else:
        lines.append(
            f"**Recommendation:** one deployable service built with **{conc.framework}** on "
            f"{conc.server}, running **{cap.instances} instance(s) × {cap.cores_per_instance} "
            f"cores** with the **{conc.model.value}** concurrency model"
            + (f", backed by **{db.engine}** ({db.driver})" if db else "")
            + (f" and **{plan.data.tool}** for data processing" if plan.data else "")
            + ". "
            + conc.why[0].upper()
            + conc.why[1:]
            + "."
        )
    lines += ["", "**The numbers that drive it**", ""]
    if plan.data is not None:
        lines.append(
            f"- {fmt_number(plan.data.data_gb)} GB per run would need ≈ "
            f"{fmt_number(plan.data.ram_needed_gb)} GB of RAM in pandas (5–10× the data)."
        )
    if not batch:
        lines += [
            f"- {fmt_number(cap.in_flight)} requests in flight at {fmt_number(peak)} req/s peak "
            f"(Little's law, L = λ·W with W = {fmt_number(cap.service_ms)} ms).",
            f"- {fmt_number(cap.busy_cores)} cores busy → {cap.cores} provisioned at "
            f"{cap.utilisation:.0%} utilisation (target ≤ {cap.target_utilisation:.0%}).",
            f"- Estimated p99 {fmt_number(cap.p99_ms)} ms against a target of "
            f"{fmt_number(req.latency.p99_ms or 0)} ms: "
            + ("**met**" if cap.meets_p99 else "**not met** — see Risks")
            + ".",
        ]
    if db is not None and not batch:
        lines.append(
            f"- Database: {fmt_number(db.db_busy_connections)} connection(s) busy at peak; pools "
            f"of {db.pool_size} + {db.max_overflow} overflow per process keep all workers at "
            f"{db.total_connections} ≤ {db.connection_limit - db.reserved_connections} usable "
            f"connections" + (" (through PgBouncer)" if db.pgbouncer else "") + "."
        )
    pushback = [f for f in plan.findings if f.kind == "push-back"]
    if pushback:
        lines += ["", "**Push-back on the proposal**", ""]
        lines += [f"- **{f.title}.** {f.detail} *Instead:* {f.recommendation}" for f in pushback]
    lines += ["", "**Key decisions**", ""]
    lines += [
        f"- **{d.topic.capitalize()}:** {d.choice} — {d.why}. *Trade-off:* {d.trade_off}."
        for d in plan.decisions
    ]
    if plan.assumptions:
        lines += ["", "**Assumptions** (open questions; answer them to sharpen the plan)", ""]
        lines += [f"- {a}" for a in plan.assumptions]
    return "\n".join(lines)


def system_diagram(plan: Plan) -> str:
    """The mermaid diagram and the request's path through it."""
    conc, db = plan.concurrency, plan.database
    steps = (
        [
            "A client request reaches the load balancer, which spreads it across "
            f"{plan.capacity.instances} instance(s)."
        ]
        if "clients" in plan.components
        else [
            "A scheduler starts the job; it reads its input from storage"
            + (" or the stream" if plan.data is not None and plan.data.mode == "streaming" else "")
            + "."
        ]
    )
    if "app" in plan.components:
        steps.append(
            f"One of the instance's {conc.workers_per_instance} "
            f"{WORKER_NOUN[conc.model]} handles it."
        )
    if conc.process_pool_workers:
        steps.append(
            "CPU-heavy steps go to the worker's process pool; the event loop keeps "
            "serving other requests meanwhile."
        )
    cached = db is not None and db.cache.startswith(("Redis", "in-process"))
    if db is not None and cached:
        steps.append(f"Reads try the cache first ({db.cache}, TTL {db.cache_ttl_s:g} s).")
    if plan.data is not None:
        steps.append(f"{plan.data.tool} processes the data and writes Parquet to object storage.")
    if db is not None:
        steps.append(
            ("Writes and cache misses go" if cached else "Queries go")
            + f" to the {db.engine} primary through the pool"
            + (" and PgBouncer" if db.pgbouncer else "")
            + "."
        )
        if db.read_replicas:
            steps.append("Reads that tolerate staleness go to the read replicas.")
        if db.outbox:
            steps.append(
                "Events are written to an outbox table in the same transaction; a relay "
                "publishes them"
                + (f" to {plan.broker.name}" if plan.broker else "")
                + ", and idempotent consumers apply them."
            )
    steps.append("Every hop emits OpenTelemetry traces, metrics and structured logs.")
    return (
        "```mermaid\n"
        + mermaid(plan)
        + "\n```\n\n"
        + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    )


def technology_stack(plan: Plan) -> str:
    """The stack as a table: library, version range, why."""
    rows = ["| Library | Version | Why |", "|---|---|---|"]
    rows += [f"| {_cell(lib)} | `{ver}` | {_cell(why)} |" for lib, ver, why in stack(plan)]
    return "\n".join(rows)


def implementation_guidelines(plan: Plan) -> str:
    """Layout, the critical code, and how to test it."""
    conc = plan.concurrency
    out = [
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
    if conc.model is ConcurrencyModel.ASYNCIO or conc.model is ConcurrencyModel.HYBRID:
        out += [
            "Never block the event loop: no `requests`, no `time.sleep`, no sync drivers on "
            "the request path. Run with `PYTHONASYNCIODEBUG=1` in tests to catch slow "
            "callbacks.",
            "",
        ]
    for title, code in snippets(plan):
        out += [f"### {title}", "", "```python", code.rstrip("\n"), "```", ""]
    out += [
        "### Testing strategy",
        "",
        "- **Unit**: the domain layer with pytest and hypothesis properties (invariants such as "
        "balances never going negative).",
        "- **Integration**: adapters against real services in containers (PostgreSQL, Redis), "
        "including pool exhaustion and timeouts.",
        "- **Load**: locust at 1×, 2× and 3× the "
        f"{fmt_number(plan.requirements.scale.peak_rps or 0)}"
        " req/s peak; record p50/p99 and compare with the plan's estimates before launch.",
    ]
    return "\n".join(out).rstrip()


def operational_considerations(plan: Plan) -> str:
    """Deployment, health, scaling triggers, observability, and the capacity figures."""
    req, cap, db = plan.requirements, plan.capacity, plan.database
    avail = req.latency.availability_pct or 99.9
    budget_min = (100 - avail) / 100 * 30 * 24 * 60
    out = [
        "**Deployment**",
        "",
        f"- {cap.instances} instance(s) of {cap.cores_per_instance} cores, spread across at "
        "least two availability zones; rolling deploys with connection draining.",
        "- Liveness probe: the process answers. Readiness probe: it can reach its database pool "
        "(a cheap `SELECT 1`) — take the instance out of rotation otherwise.",
        "",
        "**Scaling triggers**",
        "",
        f"- Add an instance when core utilisation stays above {cap.target_utilisation:.0%} for 5 "
        f"minutes, or when p99 passes {fmt_number((req.latency.p99_ms or 0) * 0.8)} ms (80 % of "
        "the target).",
        f"- Headroom today: about {fmt_number(cap.headroom_rps)} req/s above peak before cores "
        "pass 80 % busy.",
    ]
    if db is not None:
        out.append(
            f"- Watch pool wait time and `pg_stat_activity`: more instances mean more "
            f"connections ({db.pool_size + db.max_overflow} per process); past "
            f"{db.connection_limit - db.reserved_connections} usable, add PgBouncer."
        )
    out += [
        "",
        "**Observability**",
        "",
        "- RED metrics per endpoint (rate, errors, duration histograms) and USE metrics per "
        "resource (utilisation, saturation, errors) via OpenTelemetry.",
        "- Traces across every hop, with the database and cache spans; structured logs carry the "
        "trace id.",
        f"- SLO {avail:g} %: an error budget of {budget_min:,.0f} minutes a month; alert on "
        "burn rate (fast: 2 % of the budget in 1 h; slow: 5 % in 6 h).",
        "",
        "**Capacity plan** (every figure with its formula and source)",
        "",
        figures_table(plan.figures),
    ]
    return "\n".join(out)


def risks_and_mitigations(plan: Plan) -> str:
    """Risks from the findings and from the plan's choices, each with its mitigation."""
    conc, db = plan.concurrency, plan.database
    rows: list[tuple[str, str]] = [
        (f.title[0].upper() + f.title[1:], f.recommendation)
        for f in plan.findings
        if f.kind == "warning"
    ]
    if conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID):
        rows.append(
            (
                "A blocking call stalls the event loop",
                "async drivers only; asyncio debug mode in tests; offload CPU work",
            )
        )
    if conc.model in (ConcurrencyModel.PROCESSES, ConcurrencyModel.HYBRID):
        rows.append(
            (
                "Pickling cost outweighs offloaded work",
                "offload only tasks well above ~1 ms; pass ids or shared memory, not large objects",
            )
        )
    if db is not None:
        rows.append(
            (
                "Connection pool exhaustion under a burst",
                f"pool_timeout below the p99 target, shed load with 503 + Retry-After, "
                f"keep {db.reserved_connections} connections reserved for operations",
            )
        )
        rows.append(
            (
                "Database primary failure",
                "a synchronous standby with automated failover; retries with backoff "
                "across the failover window",
            )
        )
        if db.read_replicas:
            rows.append(
                (
                    "Replica lag shows users stale data",
                    "route read-your-writes paths to the primary; alert on lag above "
                    f"{plan.requirements.consistency.stale_read_tolerance_s or 0:g} s",
                )
            )
        if db.cache.startswith("Redis"):
            rows.append(
                (
                    "Cache stampede on a hot key's expiry",
                    "jitter the TTLs and let one request refresh a key (single-flight)",
                )
            )
        if db.isolation.startswith("SERIALIZABLE"):
            rows.append(
                (
                    "Serialization failures under contention",
                    "retry on SQLSTATE 40001 with jittered backoff; keep transactions short",
                )
            )
        if db.outbox:
            rows.append(
                (
                    "Duplicate or out-of-order events",
                    "idempotent consumers keyed by event id; order by aggregate key ("
                    + (plan.broker.ordering if plan.broker else "partition by it")
                    + ")",
                )
            )
    rows.append(
        (
            "Retry storms amplify an outage",
            "capped exponential backoff with full jitter, retry budgets, circuit breakers",
        )
    )
    rows.append(
        (
            "Estimates differ from production",
            "load-test before launch and re-run the plan with measured CPU and IO times",
        )
    )
    table = ["| Risk | Mitigation |", "|---|---|"]
    table += [f"| {_cell(r)} | {_cell(m)} |" for r, m in rows]
    return "\n".join(table)


def write_design(plan: Plan) -> str:
    """The whole design as Markdown, with the six ``##`` sections in order."""
    parts = [
        ("Executive Summary", executive_summary(plan)),
        ("System Diagram", system_diagram(plan)),
        ("Technology Stack", technology_stack(plan)),
        ("Implementation Guidelines", implementation_guidelines(plan)),
        ("Operational Considerations", operational_considerations(plan)),
        ("Risks and Mitigations", risks_and_mitigations(plan)),
    ]
    return "\n\n".join(f"## {title}\n\n{body}" for title, body in parts) + "\n"
