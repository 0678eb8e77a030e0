"""The offline writer: the six-section design written from the plan, deterministically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyt_arch_kit.baseline import BASELINE_REFERENCE
from pyt_arch_kit.design import APPENDIX
from pyt_arch_kit.markup import inline
from pyt_arch_kit.planning.choices import Cache, DataTool, FindingKind, QueueScope, framework_text
from pyt_arch_kit.planning.costs import UNIT_PRICES, UnitPrices
from pyt_arch_kit.planning.database import limit_for
from pyt_arch_kit.planning.model import DatabasePlan, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, DataMode, Interface, WorkloadKind
from pyt_arch_kit.writer.diagram import WORKER_NOUN, mermaid
from pyt_arch_kit.writer.guidelines import implementation_guidelines
from pyt_arch_kit.writer.operations import appendix, operational_considerations
from pyt_arch_kit.writer.pins import RANGES
from pyt_arch_kit.writer.pipeline import pipeline_summary
from pyt_arch_kit.writer.risks import risks_and_mitigations
from pyt_arch_kit.writer.sockets import socket_summary, sockets_held
from pyt_arch_kit.writer.stack import PINS_ROW, stack

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


#: Decisions a service design leaves to the baseline or states in its numbers: retries and
#: data safety are the baseline's, redundancy and the pool are the numbers' lines (every one of
#: them stays in the appendix with its reasons).
IN_THE_BASELINE = frozenset(
    {"retries", "data safety", "database hosting", "redundancy", "connection pool"}
)


#: Decisions whose choice a service's summary states, their reasons (a citation, the
#: engine's default) in the appendix.
REASONS_IN_THE_APPENDIX = frozenset({"consistency", "isolation"})


def _departs(plan: Plan, topic: str) -> bool:
    """Whether a decision departs from the baseline's default (row locks, not plain READ
    COMMITTED): its reason is then this design's own, and stays in the summary."""
    db = plan.database
    return topic == "isolation" and db is not None and db.isolation.locks_rows


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
            f"**Recommendation:** **{framework_text(conc.framework, plan.broker)}** on "
            f"{conc.server}, running **{cap.instances} instance(s) × {cap.cores_per_instance} "
            f"cores**"
            + (f" across {cap.zones} availability zones" if cap.zones > 1 else "")
            + f", **{conc.model.value}**"
            + (f", on **{db.engine}** ({db.driver})" if db else "")
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
            f"× {fmt_number(cap.service_ms)} ms (Little's law).",
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
    service = "app" in plan.components
    lines += [
        f"- **{d.topic.capitalize()}:** {d.choice}"
        + (
            "."
            if d.topic in STANDARD_PRACTICE
            or (service and d.topic in REASONS_IN_THE_APPENDIX and not _departs(plan, d.topic))
            else f" — {d.why}."
        )
        for d in plan.decisions
        if not (service and d.topic in IN_THE_RECOMMENDATION | IN_THE_BASELINE)
    ]
    lines.append(
        f"\nEvery decision's reasons, trade-off and alternatives: the appendix ({APPENDIX})."
        if not service
        else f"\nReasons and alternatives: the appendix. {BASELINE_REFERENCE}"
    )
    lines += _assumptions(plan, questions, brief="app" in plan.components)
    return "\n".join(lines)


def _assumptions(
    plan: Plan, questions: Sequence[Question] | None, *, brief: bool = False
) -> list[str]:
    """The assumptions, ranked by what their answer would change; ``brief`` (a service) names
    each field and value, its reason in the appendix."""
    if not plan.assumptions:
        return []
    if brief and questions:
        by_field = {a.field: a for a in plan.assumptions}
        ranked = [q for q in questions if q.field in by_field]
        asked = {q.field for q in ranked}
        steady = [by_field[q.field] for q in ranked if not q.changes_design]
        steady += [a for a in plan.assumptions if a.field not in asked]
        return [
            "",
            "**Assumptions** (reasons: the appendix)",
            "",
            *(
                f"- {str(by_field[q.field]).split(' — ')[0]}. *Would change:* {q.impact()}."
                for q in ranked
                if q.changes_design
            ),
            *(
                [
                    "- *Does not change this design*: "
                    + ", ".join(str(a).split(" — ")[0] for a in steady)
                    + "."
                ]
                if steady
                else []
            ),
        ]
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
    misses = _other_misses(plan)
    levers = cap.levers
    if levers is not None and levers.instances is None and levers.floor_ms > target:
        verdict = "**not met**, and no fleet can meet it"
        misses.insert(
            0,
            f"The request's own work, with no queueing, has a p99 of "
            f"{fmt_number(levers.floor_ms)} ms: the {cap.cores} cores carry the load, not the "
            f"latency. {_less_work(plan)}.",
        )
    elif cap.meets_p99 and cap.p99_ms > _MARGINAL * target:
        verdict = (
            f"**met**, within {1 - _MARGINAL:.0%} at an assumed service cv: measure it before "
            "launch"
        )
    line = (
        f"- Estimated p99 {fmt_number(cap.p99_ms)} ms (p50 {fmt_number(cap.p50_ms)} ms) "
        f"against a target of {fmt_number(target)} ms: {verdict}; {where} "
        f"(M/G/{cap.queue_servers}, cv {fmt_number(cap.service_cv)})."
    )
    return (
        line
        + "".join(f" {miss}" for miss in misses)
        + _percentile_line(plan)
        + _closed_loop_line(plan)
    )


#: A p99 above this share of its target is marginal: the summary says so.
_MARGINAL = 0.9


def _less_work(plan: Plan) -> str:
    """The fix when the request's own work misses the p99: less work per request."""
    if plan.resolved.workload.kind is WorkloadKind.CPU:
        return (
            "The fix is less work per request: vectorised feature code (NumPy over whole "
            "arrays, not Python loops), the model's native predict, or a smaller model"
        )
    return "The fix is less work per request (see Risks), or a target the work allows"


def _other_misses(plan: Plan) -> list[str]:
    """Targets the summary must not bury: a missed p50, a p99 missed after a zone loss."""
    cap, req = plan.capacity, plan.resolved
    if "app" not in plan.components or req.interface is Interface.BATCH:
        return []
    out = []
    p50 = req.latency.p50_ms
    if p50 and cap.p50_ms > p50 * (1 + 1e-9):
        out.append(
            f"The p50 {fmt_number(cap.p50_ms)} ms **misses** its {fmt_number(p50)} ms target: "
            "that is the request's own work, which more instances cannot shorten."
        )
    target = req.latency.p99_ms
    if cap.meets_p99 and cap.zones > 1 and cap.p99_after_failure_ms > target * (1 + 1e-9):
        out.append(
            f"After losing a zone the p99 is {fmt_number(cap.p99_after_failure_ms)} ms: "
            "**missed** until autoscaling replaces the lost instances."
        )
    return out


def _closed_loop_line(plan: Plan) -> str:
    """The closed-loop clients' line: their throughput, response time and what binds."""
    cap, scale = plan.capacity, plan.resolved.scale
    if cap.closed_loop_rps is None or cap.closed_loop_response_ms is None:
        return ""
    think = fmt_number(scale.think_time_ms)
    stated = plan.resolved.requirements.scale.peak_rps or 0.0
    binds = (
        f"the stated peak of {fmt_number(stated)} req/s binds: the clients could send more "
        "(the interactive response-time law, Lazowska et al. 1984)"
        if cap.closed_loop_binds == "rate"
        else "the clients bind: they send no faster than N / (R + Z) (mean value analysis, "
        "Lazowska et al. 1984)"
    )
    return (
        f"\n- {scale.clients:,} closed-loop clients with {think} ms think time: "
        f"{fmt_number(cap.closed_loop_rps)} req/s at a mean response of "
        f"{fmt_number(cap.closed_loop_response_ms)} ms; {binds}."
    )


def _percentile_line(plan: Plan) -> str:
    """The percentile-threshold target's line ("80 % within 20 s"), or nothing without one."""
    cap, lat = plan.capacity, plan.resolved.latency
    if cap.target_percentile_ms is None:
        return ""
    pct = fmt_number(lat.target_percentile)
    verdict = "**met**" if cap.meets_target_percentile else "**not met**"
    return (
        f"\n- Estimated p{pct} {fmt_number(cap.target_percentile_ms)} ms against the target of "
        f"{pct} % of requests within {fmt_number(lat.target_ms)} ms: {verdict} (the same "
        "response-time distribution as the p99; the fleet is sized for both)."
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
    if "app" in plan.components and not grpc and not sockets_held(plan):
        steps = []  # a plain HTTP request's path to a worker is the diagram's, drawn above
    elif "app" in plan.components:
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
    if "app" not in plan.components:  # a service's telemetry is the baseline's
        steps.append("Every hop emits OpenTelemetry traces, metrics and structured logs.")
    return (
        "```mermaid\n"
        + mermaid(plan)
        + "\n```\n\n"
        + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    )


#: Libraries whose reason is the same in every service (the baseline's table gives it): a
#: service design pins them, and gives reasons only for the rest.
BASELINE_LIBRARIES = frozenset(
    {
        "CPython",
        "pydantic",
        "pydantic-settings",
        "fastapi",
        "uvicorn",
        "uvicorn-worker",
        "gunicorn",
        "SQLAlchemy",
        "SQLAlchemy[asyncio]",
        "alembic",
        "httpx",
        "opentelemetry-sdk",
        "structlog",
        "pytest",
        "hypothesis",
        "locust",
        PINS_ROW,
    }
)


def technology_stack(plan: Plan) -> str:
    """The stack as a table: library, version range, why.

    A service's table keeps the rows whose reason is its own; every PyPI pin, the baseline's
    libraries included, is in a ``requirements.in`` block above it.
    """
    rows = stack(plan)
    table = ["| Library | Version | Why |", "|---|---|---|"]
    if "app" not in plan.components:
        table += [f"| {_cell(lib)} | `{ver}` | {_cell(why)} |" for lib, ver, why in rows]
        return "\n".join(table)
    checked = next(ver for lib, ver, _why in rows if lib == PINS_ROW)
    python = next(ver for lib, ver, _why in rows if lib == "CPython")
    pins = list(dict.fromkeys(f"{lib}{ver}" for lib, ver, _why in rows if lib in RANGES))
    table += [
        f"| {_cell(lib)} | `{ver}` | {_cell(why)} |"
        for lib, ver, why in rows
        if lib not in BASELINE_LIBRARIES
    ]
    return "\n".join(
        [
            "```text",
            f"# requirements.in (CPython {python}); each range admits the newest PyPI release "
            f"of {checked}",
            *pins,
            "```",
            "",
            *table,
        ]
    )


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
