"""The offline writer: the six-section design written from the plan, deterministically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyt_arch_kit.design import APPENDIX
from pyt_arch_kit.markup import inline
from pyt_arch_kit.planning.choices import Cache, DataTool, FindingKind, QueueScope, framework_text
from pyt_arch_kit.planning.costs import UNIT_PRICES, UnitPrices
from pyt_arch_kit.planning.database import limit_for
from pyt_arch_kit.planning.model import DatabasePlan, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, DataMode, Interface
from pyt_arch_kit.writer.diagram import WORKER_NOUN, mermaid
from pyt_arch_kit.writer.guidelines import implementation_guidelines
from pyt_arch_kit.writer.operations import appendix, operational_considerations
from pyt_arch_kit.writer.pipeline import pipeline_summary
from pyt_arch_kit.writer.risks import risks_and_mitigations
from pyt_arch_kit.writer.sockets import socket_summary, sockets_held
from pyt_arch_kit.writer.stack import stack

if TYPE_CHECKING:
    from pyt_arch_kit.questions import Question

__all__ = [
    "executive_summary",
    "implementation_guidelines",
    "operational_considerations",
    "risks_and_mitigations",
    "system_diagram",
    "technology_stack",
    "write_design",
]


#: Decisions whose reasons are the same advice in every design that has them: the summary
#: states the choice, the appendix the reasons (the main text stays this design's own).
STANDARD_PRACTICE = frozenset(
    {"retries", "idempotency", "outbox", "data safety", "database hosting"}
)


#: Decisions the recommendation's sentence already states (the concurrency model and its
#: reason, framework and server, database and driver): their rows are in the appendix.
IN_THE_RECOMMENDATION = frozenset({"concurrency", "framework", "database"})


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def executive_summary(plan: Plan, questions: Sequence[Question] | None = None) -> str:
    """What to build, the key numbers, the push-back, and what was assumed.

    With ``questions`` (:func:`~pyt_arch_kit.questions.rank_questions` of the same
    requirements) the assumptions are listed in that order, each with what a plausible other
    answer would change; without, in schema order.
    """
    req, cap, conc, db = plan.resolved, plan.capacity, plan.concurrency, plan.database
    peak = req.scale.peak_rps
    lines = []
    if req.summary:
        lines += [inline(req.summary), ""]  # data, not markup: it cannot open a fence or a section
    batch = plan.data is not None and "app" not in plan.components
    if batch and plan.data is not None:
        lines.append(
            (
                "**Recommendation:** a long-running stream job on "
                if plan.data.mode is DataMode.STREAMING
                else "**Recommendation:** a scheduled batch job on "
            )
            + f"**{plan.data.tool}**"
            + (f", writing results to **{db.engine}**" if db else "")
            + ". "
            + plan.data.why[0].upper()
            + plan.data.why[1:]
            + "."
        )
    else:
        lines.append(
            "**Recommendation:** one deployable service built with "
            f"**{framework_text(conc.framework, plan.broker)}** on "
            f"{conc.server}, running **{cap.instances} instance(s) × {cap.cores_per_instance} "
            f"cores**"
            + (f" across {cap.zones} availability zones" if cap.zones > 1 else "")
            + f" with the **{conc.model.value}** concurrency model"
            + (f", backed by **{db.engine}** ({db.driver})" if db else "")
            + (f" and **{plan.data.tool}** for data processing" if plan.data else "")
            + ". "
            + conc.why[0].upper()
            + conc.why[1:]
            + "."
        )
    lines += ["", "**The numbers that drive it**", ""]
    if plan.data is not None and plan.data.mode is DataMode.STREAMING:
        lines.append(
            f"- {fmt_number(plan.data.data_gb)} GB per run (one window of events), processed "
            "as they arrive."
        )
        lines += pipeline_summary(plan)
    elif plan.data is not None:
        lines.append(
            f"- {fmt_number(plan.data.data_gb)} GB per run would need ≈ "
            f"{fmt_number(plan.data.ram_needed_gb)} GB of RAM in pandas (5–10× the data)."
        )
        lines += pipeline_summary(plan)
    if not batch:
        lines += [
            f"- {fmt_number(cap.in_flight)} requests in flight at {fmt_number(peak)} req/s peak "
            f"(Little's law, L = λ·W with W = {fmt_number(cap.service_ms)} ms).",
            f"- {fmt_number(cap.busy_cores)} cores busy → {cap.cores} provisioned at "
            f"{cap.utilisation:.0%} utilisation (target ≤ {cap.target_utilisation:.0%}); "
            + _after_failure(plan),
            _latency_line(plan),
            *socket_summary(plan),
        ]
    if db is not None and not batch:
        lines.append(_pools_line(db))
    pushback = [f for f in plan.findings if f.kind is FindingKind.PUSH_BACK]
    if pushback:
        lines += ["", "**Push-back on the proposal**", ""]
        lines += [f"- **{f.title}.** {f.detail} *Instead:* {f.recommendation}" for f in pushback]
    lines += ["", "**Key decisions**", ""]
    lines += [
        f"- **{d.topic.capitalize()}:** {d.choice}"
        + ("." if d.topic in STANDARD_PRACTICE else f" — {d.why}.")
        for d in plan.decisions
        if not (d.topic in IN_THE_RECOMMENDATION and "app" in plan.components)
    ]
    lines.append(
        f"\nEvery decision's reasons, trade-off and alternatives: the appendix ({APPENDIX})."
    )
    lines += _assumptions(plan, questions)
    return "\n".join(lines)


def _assumptions(plan: Plan, questions: Sequence[Question] | None) -> list[str]:
    if not plan.assumptions:
        return []
    by_field = {a.field: a for a in plan.assumptions}
    ranked = [q for q in questions or () if q.field in by_field]
    if not ranked:
        return [
            "",
            "**Assumptions** (open questions; answer them to sharpen the plan)",
            "",
            *(f"- {a}" for a in plan.assumptions),
        ]
    lines = [
        "",
        "**Assumptions** (open questions, the ones whose answer would change this design "
        "first; each re-planned with plausible other answers)",
        "",
    ]
    lines += [
        f"- {by_field[q.field]}. *Would change:* {q.impact()}." for q in ranked if q.changes_design
    ]
    asked = {q.field for q in ranked}
    steady = [by_field[q.field] for q in ranked if not q.changes_design]
    steady += [a for a in plan.assumptions if a.field not in asked]
    if steady:
        lines.append(
            "- *Does not change this design* (within the answers tried): "
            + ", ".join(str(a).split(" — ")[0] for a in steady)
            + " (reasons: the appendix)."
        )
    return lines


def _after_failure(plan: Plan) -> str:
    cap = plan.capacity
    if cap.zones > 1:
        return (
            f"after losing a zone, {cap.instances_after_failure} instance(s) carry the peak, "
            f"their cores {cap.utilisation_after_failure:.0%} busy (N+1: ceiling 80 %)."
        )
    slo = plan.resolved.latency.availability_pct
    return f"one instance: the {slo:g} % SLO does not call for N+1."


def _pools_line(db: DatabasePlan) -> str:
    """The database figure: busy connections, and whether every pool fits under the limit."""
    usable = db.connection_limit - db.reserved_connections
    pools = (
        f"- Database: {fmt_number(db.db_busy_connections)} connection(s) busy at peak; pools "
        f"of {db.pool_size} + {db.max_overflow} overflow per process"
    )
    if db.total_connections <= usable:
        return f"{pools} keep all workers at {db.total_connections} ≤ {usable} usable connections."
    over = f"{pools} open up to {db.total_connections} connections, more than the {usable} usable"
    if db.pgbouncer:
        return (
            f"{over}: PgBouncer multiplexes them onto ~{db.server_connections} server connections."
        )
    setting = (
        "net.maxIncomingConnections" if db.engine is DatabaseKind.MONGODB else "max_connections"
    )
    need = limit_for(db.total_connections)
    return f"{over}: raise {setting} to at least {need:,} (see the connection pool decision)."


def _latency_line(plan: Plan) -> str:
    cap, req = plan.capacity, plan.resolved
    target = req.latency.p99_ms
    where = {
        QueueScope.WORKER: f"each worker's {cap.queue_server} is its own queue",
        QueueScope.INSTANCE: f"the {cap.queue_server}s of an instance share one queue",
    }.get(cap.queue, "nothing queues")
    verdict = "**met**" if cap.meets_p99 else "**not met** — see Risks for what would meet it"
    return (
        f"- Estimated p99 {fmt_number(cap.p99_ms)} ms (p50 {fmt_number(cap.p50_ms)} ms) "
        f"against a target of {fmt_number(target)} ms: {verdict}; {where} "
        f"(M/G/{cap.queue_servers}, service cv {fmt_number(cap.service_cv)})."
    )


def system_diagram(plan: Plan) -> str:
    """The mermaid diagram and the request's path through it."""
    conc, db = plan.concurrency, plan.database
    grpc = plan.resolved.interface is Interface.GRPC
    steps = (
        [
            (
                "A client's calls go through an L7 gRPC proxy (or client-side round_robin), "
                "which balances each call, not each connection, across "
                if grpc
                else "A client opens a WebSocket through the load balancer, which gives it to "
                "the instance with the fewest open sockets, across "
                if sockets_held(plan)
                else "A client request reaches the load balancer, which spreads it across "
            )
            + f"{plan.capacity.instances} instance(s)"
            + (f" in {plan.capacity.zones} zones." if plan.capacity.zones > 1 else ".")
        ]
        if "clients" in plan.components
        else [
            (
                "The job runs continuously under its supervisor, restarting from its checkpoint; "
                "it reads the stream as events arrive."
                if plan.data is not None and plan.data.mode is DataMode.STREAMING
                else "A scheduler starts the job; it reads its input from storage."
            )
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
    cached = db is not None and db.cache in (Cache.REDIS, Cache.LOCAL)
    if db is not None and cached:
        steps.append(
            f"Reads try the cache first ({db.cache}, TTL {db.cache_ttl_s:g} s); a write "
            "deletes its keys after the commit, and a user's reads right after their own write "
            "go to the primary."
        )
    if plan.data is not None:
        steps.append(
            f"{plan.data.tool} keeps each customer's open session in its checkpointed state "
            "and upserts it into the sessions table every trigger."
            if plan.data.tool is DataTool.SPARK_STREAMING
            else f"{plan.data.tool} processes the data and writes Parquet to object storage."
        )
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


def write_design(
    plan: Plan,
    prices: UnitPrices = UNIT_PRICES,
    questions: Sequence[Question] | None = None,
) -> str:
    """The whole design as Markdown: the six ``##`` sections in order, then the appendix
    (bill of materials, cost per line, the capacity figures with formulas and sources).

    ``prices`` are the unit prices the cost lines use (a dated table; pass your own).
    ``questions`` (:func:`~pyt_arch_kit.questions.rank_questions`) order the assumptions by
    how much their answer would change the design, each with what it would change.
    """
    parts = [
        ("Executive Summary", executive_summary(plan, questions)),
        ("System Diagram", system_diagram(plan)),
        ("Technology Stack", technology_stack(plan)),
        ("Implementation Guidelines", implementation_guidelines(plan)),
        ("Operational Considerations", operational_considerations(plan, prices)),
        ("Risks and Mitigations", risks_and_mitigations(plan)),
    ]
    parts.append((APPENDIX, appendix(plan, prices)))
    return "\n\n".join(f"## {title}\n\n{body}" for title, body in parts) + "\n"
