"""Operational Considerations: deployment, probes, scaling, observability, security, data
safety, cost and the capacity figures — every number read from the plan."""

from __future__ import annotations

from pyt_arch_kit.design import APPENDIX
from pyt_arch_kit.planning.bom import HORIZON_MONTHS
from pyt_arch_kit.planning.capacity import FAILOVER_CEILING
from pyt_arch_kit.planning.choices import DataTool, Driver
from pyt_arch_kit.planning.costs import UNIT_PRICES, UnitPrices, bill_of_materials, monthly_total
from pyt_arch_kit.planning.database import prepared_statements_fix
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.practices import LB_IDLE_TIMEOUT_S
from pyt_arch_kit.render import figures_table, materials_table
from pyt_arch_kit.requirements import DatabaseKind, DataMode, Interface
from pyt_arch_kit.writer.code.profile import profile
from pyt_arch_kit.writer.inference import model_operations, model_probes
from pyt_arch_kit.writer.pipeline import pipeline_deployment, pipeline_observability
from pyt_arch_kit.writer.sockets import (
    autoscaling_lines,
    failover_line,
    socket_operations,
)
from pyt_arch_kit.writer.tool import low_traffic_alerts

__all__ = ["BURN_RATE_WINDOWS", "appendix", "operational_considerations"]
#: (burn rate, long window, short window, share of a 30-day budget, action): the SRE Workbook's
#: multiwindow, multi-burn-rate alerts (ch. 5, "Alerting on SLOs").
BURN_RATE_WINDOWS = (
    (14.4, "1 h", "5 min", 0.02, "page"),
    (6.0, "6 h", "30 min", 0.05, "page"),
    (1.0, "3 days", "6 h", 0.10, "ticket"),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _online(plan: Plan) -> bool:
    return "app" in plan.components


def _deployment(plan: Plan) -> list[str]:
    cap, req = plan.capacity, plan.resolved
    slo = req.latency.availability_pct
    if not _online(plan):
        if plan.pipeline is not None and pipeline_deployment(plan):
            return pipeline_deployment(plan)
        return [
            "- A scheduled job (Airflow, cron or a Kubernetes CronJob) with its own service "
            "account; a failed run is retried whole, and a rerun overwrites only the "
            "partitions it writes.",
            "- Health is the run itself: alert when a run fails or outlasts its window.",
        ]
    if cap.zones > 1:
        place = (
            f"- {cap.instances} instance(s) of {cap.cores_per_instance} cores across {cap.zones} "
            f"availability zones: losing a zone leaves {cap.instances_after_failure} instance(s) "
            f"with their cores {cap.utilisation_after_failure:.0%} busy (ceiling "
            f"{FAILOVER_CEILING:.0%}), p99 ≈ {fmt_number(cap.p99_after_failure_ms)} ms"
        )
    else:
        place = (
            f"- {cap.instances} instance(s) of {cap.cores_per_instance} cores in one zone "
            f"(the {slo:g} % SLO allows it: see Redundancy)"
        )
    # rollout, probes and HTTP keep-alive are the baseline's; gRPC, sockets and a model's
    # readiness keep their own
    keepalive, probes = _keepalive(plan), model_probes(plan)
    if probes is None and plan.resolved.interface is Interface.GRPC:
        probes = (
            "- Probes speak grpc.health.v1 (Kubernetes' gRPC probes): liveness asks whether the "
            "process answers; readiness whether it is saturated, never the shared database."
        )
    return [
        f"{place}.",
        *model_operations(plan),
        *([probes] if probes else []),
        *([keepalive] if keepalive else []),
    ]


def _keepalive(plan: Plan) -> str | None:
    iface = plan.resolved.interface
    if iface is Interface.GRPC:
        return (
            "- Keep-alive: pings every 30 s (`grpc.keepalive_time_ms`), permitted by "
            "the server (`grpc.keepalive_permit_without_calls`, "
            "`grpc.http2.min_recv_ping_interval_without_data_ms` ≤ 30 s, else it answers "
            "GOAWAY too_many_pings), and `grpc.max_connection_age_ms` ≈ 5 min so clients "
            "rebalance onto new instances."
        )
    if iface is Interface.WEBSOCKET:
        return (
            "- Keep-alive: ping every 20 s (uvicorn `--ws-ping-interval 20`), under the load "
            f"balancer's idle timeout ({LB_IDLE_TIMEOUT_S} s on common cloud load balancers), "
            "so idle sockets are not cut; clients reconnect with jittered backoff."
        )
    return None  # HTTP keep-alive (and sync workers' none) is the baseline's


def _scaling(plan: Plan) -> list[str]:
    req, cap, db = plan.resolved, plan.capacity, plan.database
    lines: list[str] = []
    if _online(plan) and cap.instances == 1 and cap.utilisation < 0.1:  # a small tool
        lines.append(
            f"- One instance, {cap.utilisation:.0%} busy at peak: no autoscaling; about "
            f"{fmt_number(cap.headroom_rps)} req/s of headroom before it needs a second."
        )
    elif _online(plan):
        lines += [
            f"- Scale out above {cap.target_utilisation:.0%} busy ({cap.queue_server}s "
            f"{cap.queue_utilisation:.0%} at peak) or p99 over "
            f"{fmt_number(req.latency.p99_ms * 0.8)} ms; headroom ≈ "
            f"{fmt_number(cap.headroom_rps)} req/s above peak.",
            *autoscaling_lines(plan),
            *socket_operations(plan),
        ]
    if db is not None and _online(plan):
        usable = db.connection_limit - db.reserved_connections
        if not db.engine.postgres and not db.pgbouncer:
            over = db.total_connections > usable
            lines.append(
                "- Database connections: the pools may open "
                f"{db.total_connections:,} of {usable:,} usable"
                + (
                    " (more than the limit: raise it first, see the connection pool decision)"
                    if over
                    else ""
                )
                + f"; {fmt_number(db.db_busy_connections)} are busy at peak, and the "
                f"database serves about {db.useful_connections} active connections well. Watch "
                "pool wait time; cut round trips per request before adding connections."
            )
        elif db.pgbouncer:
            lines.append(
                f"- PgBouncer (transaction mode) holds the pools' {db.total_connections:,} "
                f"client connections (`max_client_conn`) on about {db.server_connections} "
                f"server connections (`default_pool_size`), what the database serves well; "
                f"{prepared_statements_fix(db.driver)}."
            )
        else:
            lines.append(
                f"- Database connections: {fmt_number(db.db_busy_connections)} busy at peak of "
                f"about {db.useful_connections} active connections the database serves well; "
                f"the pools may open {db.total_connections:,} of {usable:,} usable"
                + (
                    f". Put PgBouncer (transaction mode, `default_pool_size` ≈ "
                    f"{db.server_connections}) in front when active connections approach "
                    f"{db.server_connections}, with the driver's server-side prepared "
                    "statements off."
                    if db.total_connections > db.server_connections
                    and not profile(plan).low_traffic  # 5 connections: no pooler to run
                    else "."
                )
            )
    return lines


def _observability(plan: Plan) -> list[str]:
    avail = plan.resolved.latency.availability_pct
    budget = 100 - avail
    minutes = budget / 100 * 30 * 24 * 60
    if not _online(plan) and plan.pipeline is not None:  # a job: its runs, not requests
        return [
            "- Traces and structured logs per run (OpenTelemetry), each line with the run id.",
            *pipeline_observability(plan),
        ]
    extra = pipeline_observability(plan)  # a service with a data job besides
    if _online(plan):  # the metrics, traces and the alerts' windows are the baseline's
        at = [f"{min(100.0, rate * budget):.3g} % ({rate:g}×)" for rate, *_ in BURN_RATE_WINDOWS]
        return [
            *(
                low_traffic_alerts(plan, minutes)  # a low-traffic service: tickets only
                or [
                    f"- SLO {avail:g} % ({minutes:,.0f} min a month): page at {at[0]} or "
                    f"{at[1]} errors, ticket at {at[2]}."
                ]
            ),
            *extra,
        ]
    alerts = "; ".join(
        f"{action} at {min(100.0, rate * budget):.3g} % errors ({rate:g}×) over both "
        f"{long} and {short}"
        for rate, long, short, _share, action in BURN_RATE_WINDOWS
    )
    return [
        "- RED metrics per endpoint, USE per resource, traces across every hop (OpenTelemetry).",
        *(
            low_traffic_alerts(plan, minutes)
            or [
                f"- SLO {avail:g} %: {minutes:,.0f} min of error budget a month. Burn-rate "
                f"alerts (SRE Workbook, ch. 5): {alerts}."
            ]
        ),
        *extra,
    ]


#: How each non-PostgreSQL store's driver verifies the server's certificate.
_TLS = {
    DatabaseKind.MONGODB: "`tls=true` and certificate validation (PyMongo)",
    DatabaseKind.MYSQL: "a verifying `ssl` context (asyncmy / PyMySQL `ssl=`)",
    DatabaseKind.REDIS: '`rediss://` and `ssl_cert_reqs="required"`, an ACL user per service',
}


def _security(plan: Plan) -> list[str]:
    req, cap, db = plan.resolved, plan.capacity, plan.database
    iface = req.interface
    if iface is Interface.GRPC:
        auth = "- Authentication: mTLS between services; authorisation per method."
    elif iface is Interface.BATCH:
        auth = "- Identity: its own service account, reading its input and writing its output only."
    else:
        auth = (
            "- Authentication: OpenID Connect bearer tokens (JWKS signature, issuer, audience, "
            "expiry); authorisation per object in the domain layer."
        )
    lines = [auth]
    if db is not None:
        tls = _TLS.get(
            db.engine,
            "a verifying `ssl` context (asyncpg)"
            if db.driver is Driver.ASYNCPG
            else "`sslmode=verify-full` (psycopg)",
        )
        lines.append(
            f"- Database: TLS with {tls}; a least-privilege role, migrations under their own."
        )
    lines.append("- Secrets: from a secret manager at start-up, rotated, never in images or logs.")
    if _online(plan):
        lines.append(
            "- Rate limits: a token bucket per client at the edge ("
            + (
                "RESOURCE_EXHAUSTED"
                if plan.resolved.interface is Interface.GRPC
                else "429 + Retry-After"
            )
            + "), so no "
            f"client takes the {fmt_number(cap.headroom_rps)} req/s of headroom."
        )
    return lines


def _data_safety(plan: Plan) -> list[str]:
    db, data = plan.database, plan.data
    lines: list[str] = []
    if db is not None:
        lines.append(f"- RPO {db.rpo}; RTO {db.rto}.")
        if db.standbys and db.engine is not DatabaseKind.MONGODB and not _online(plan):
            lines.append(failover_line(plan))  # a service's failover is the baseline's
        if not _online(plan):  # a service's restore drill is the baseline's
            lines.append(
                "- A point-in-time restore into a scratch instance every quarter, timed and "
                "checked."
            )
    if data is not None and plan.pipeline is not None and plan.pipeline.mode is DataMode.STREAMING:
        lines.append(
            "- The checkpoint (offsets and session state) on durable storage: losing it "
            "restarts the stream from `startingOffsets`, with its open sessions lost."
        )
    elif data is not None and data.tool is DataTool.PYSPARK and db is None:
        lines.append(
            "- Object storage: each run's facts a new version; keep 7 days of them to roll "
            "back with the same swap."
        )
    elif data is not None:
        lines.append(
            "- Object storage: versioning on, a lifecycle rule for old versions; a rerun "
            "replaces only the partitions it writes."
        )
    if "redis" in plan.components and not _online(plan):
        lines.append("- Redis holds no data of record: losing it costs a cold cache, not data.")
    return lines


def _cost(plan: Plan, prices: UnitPrices) -> list[str]:
    lines = bill_of_materials(plan, prices)
    rows = [
        f"| Component | Quantity | Unit price ({prices.currency}/month) | Monthly | Basis |",
        "|---|---:|---:|---:|---|",
    ]
    for line in lines:
        qty = "—" if line.quantity is None else f"{fmt_number(line.quantity)} {line.unit}".strip()
        price = "—" if line.unit_price is None else f"{line.unit_price:,.3g}"
        monthly = (
            "—"
            if line.monthly is None
            else "< 1"
            if 0 < line.monthly < 1
            else f"{line.monthly:,.0f}"
        )
        rows.append(
            f"| {_cell(line.component)} | {qty} | {price} | {monthly} | {_cell(line.note)} |"
        )
    total, unpriced = monthly_total(lines)
    rows.append(
        f"| **Total (priced lines)** | | | **{total:,.0f}** | "
        + (f"plus {unpriced} line(s) without a price |" if unpriced else "|")
    )
    return [
        *rows,
        "",
        f"Unit prices: {prices.source}, as of {prices.as_of}. Replace them with yours "
        "(`pyt_arch_kit.planning.costs.UNIT_PRICES` is a dataclass: `dataclasses.replace` it and "
        "pass it to `bill_of_materials`). The fleet is priced at its peak size; autoscaling "
        "off-peak lowers it.",
    ]


def operational_considerations(plan: Plan, prices: UnitPrices = UNIT_PRICES) -> str:
    """Deployment, health, scaling, observability, security, data safety and the cost's total
    (its lines, the bill of materials and the capacity figures are in :func:`appendix`)."""
    deployment = _deployment(plan)
    out = ["**Deployment**", "", *deployment] if deployment else []
    scaling = _scaling(plan)
    if scaling:
        out += [*([""] if out else []), "**Scaling triggers**", "", *scaling]
    out += ["", "**Observability**", "", *_observability(plan)]
    if not _online(plan):  # a service's security is the baseline's
        out += ["", "**Security**", "", *_security(plan)]
    safety = _data_safety(plan)
    if safety:
        out += ["", "**Data safety**", "", *safety]
    total, unpriced = monthly_total(bill_of_materials(plan, prices))
    if _online(plan):  # its prices' date and basis: the appendix
        out += [
            "",
            f"**Cost**: about {total:,.0f} {prices.currency} a month"
            + (f", {unpriced} line(s) unpriced" if unpriced else "")
            + f" ({APPENDIX}).",
        ]
        return "\n".join(out)
    out += [
        "",
        f"**Cost**: about {total:,.0f} {prices.currency} a month at {prices.as_of} list prices"
        + (f" ({unpriced} line(s) unpriced)" if unpriced else "")
        + f", the fleet at peak size; every line, the bill of materials and the figures with "
        f"their formulas: the appendix ({APPENDIX}).",
    ]
    return "\n".join(out)


def appendix(plan: Plan, prices: UnitPrices = UNIT_PRICES) -> str:
    """The reference after the six sections: the bill of materials, the cost per line and
    the capacity figures, each with its formula, inputs and source."""
    out = [
        "**Decisions: trade-offs and alternatives**",
        "",
        *(
            f"- **{d.topic.capitalize()}:** {d.why}. *Trade-off:* {d.trade_off}."
            + (f" *Alternatives weighed:* {', '.join(d.alternatives)}." if d.alternatives else "")
            for d in plan.decisions
        ),
        "",
    ]
    if plan.assumptions:
        out += ["**Assumptions, and why each was assumed**", ""]
        out += [f"- {a}." for a in plan.assumptions]
        out.append("")
    if plan.materials:
        out += [
            f"**Bill of materials** (cores, RAM and storage per part, storage at "
            f"{HORIZON_MONTHS} months)",
            "",
            materials_table(plan.materials),
            "",
        ]
    out += ["**Cost** (a line per component; blanks where no honest price is known)", ""]
    out += _cost(plan, prices)
    out += [
        "",
        "**Capacity plan** (every figure with its formula and source)",
        "",
        figures_table(plan.figures),
    ]
    return "\n".join(out)
