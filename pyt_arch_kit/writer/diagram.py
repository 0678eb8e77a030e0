"""A mermaid flowchart of exactly the components the plan chose."""

from __future__ import annotations

from pyt_arch_kit.markup import mermaid_label
from pyt_arch_kit.planning.choices import Cache, DataTool, framework_text
from pyt_arch_kit.planning.model import ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.requirements import DatabaseKind, Interface
from pyt_arch_kit.writer.pipeline import pipeline_label

__all__ = ["LONGEST_ROW", "WORKER_NOUN", "direction", "mermaid"]

#: The most components a left-to-right diagram puts in one row. Mermaid draws each component
#: of a row about 280 px wide (box and arrow) at a 16 px font; a notebook column at 1280 px is
#: about 830 px, where a diagram keeps its text at 10 px or more only if drawn at most
#: 830 x 16 / 10 = 1,330 px wide: 4 components (1,090-1,150 px). A longer chain is drawn top
#: to bottom, where its width is that of its widest row.
LONGEST_ROW = 4

#: How to call one instance's workers under each concurrency model.
WORKER_NOUN = {
    ConcurrencyModel.SYNC: "sync workers",
    ConcurrencyModel.THREADS: "threaded workers",
    ConcurrencyModel.ASYNCIO: "event-loop workers",
    ConcurrencyModel.PROCESSES: "worker processes",
    ConcurrencyModel.HYBRID: "event-loop workers + process pools",
}


def direction(edges: list[str]) -> str:
    """``"LR"``, or ``"TB"`` when a chain of edges is longer than :data:`LONGEST_ROW` components.

    Example:
        ```pycon
        >>> direction(["    a --> b", "    b -->|x| c"])
        'LR'
        >>> direction([f"    n{i} --> n{i + 1}" for i in range(5)])
        'TB'

        ```
    """
    after: dict[str, set[str]] = {}
    for edge in edges:
        parts = edge.split()
        after.setdefault(parts[0], set()).add(parts[-1])

    def longest(node: str, seen: frozenset[str]) -> int:
        return 1 + max(
            (longest(n, seen | {n}) for n in after.get(node, ()) if n not in seen), default=0
        )

    chain = max((longest(n, frozenset({n})) for n in after), default=0)
    return "TB" if chain > LONGEST_ROW else "LR"


def mermaid(plan: Plan) -> str:
    """The system diagram as mermaid ``flowchart`` source (no fence).

    Left to right, or top to bottom when a chain of components would make a row too wide to
    read in a notebook column (see :func:`direction`).
    """
    c = set(plan.components)
    conc = plan.concurrency
    cap = plan.capacity
    db = plan.database
    nodes: list[str] = []
    edges: list[str] = []
    ws = any(f.key == "sockets_per_instance" for f in plan.figures)  # long-lived sockets

    def node(key: str, label: str, shape: str = "rect") -> None:
        text = "<br/>".join(mermaid_label(part) for part in label.split("<br/>"))
        opened, closed = {
            "rect": ("[", "]"),
            "db": ("[(", ")]"),
            "round": ("(", ")"),
            "queue": ("[[", "]]"),
        }[shape]
        nodes.append(f'    {key}{opened}"{text}"{closed}')

    if "clients" in c:
        node("clients", "Clients", "round")
        grpc = plan.resolved.interface is Interface.GRPC
        node(
            "lb",
            "L7 gRPC proxy<br/>per-call balancing"
            if grpc
            else "Load balancer<br/>least connections"
            if ws
            else "Load balancer",
        )
        node(
            "app",
            f"{framework_text(conc.framework, plan.broker)}<br/>{cap.instances} × "
            f"{conc.workers_per_instance} "
            f"{WORKER_NOUN[conc.model]}" + (f"<br/>{cap.zones} zones" if cap.zones > 1 else ""),
        )
        edges += [
            "    clients -->|gRPC| lb"
            if grpc
            else "    clients -->|WSS| lb"
            if ws
            else "    clients -->|HTTPS| lb",
            "    lb --> app",
        ]
    if "process_pool" in c and "app" in c:
        node("pool", f"ProcessPoolExecutor<br/>{conc.process_pool_workers} per worker")
        edges.append("    app -->|CPU-bound calls| pool")
    cached = db is not None and db.cache is Cache.REDIS
    bus = plan.resolved.interface is Interface.WEBSOCKET  # Redis pub/sub reaches every worker
    if "redis" in c and "app" in c and (cached or bus):
        if cached and db is not None:
            node("cache", f"Redis cache<br/>TTL {db.cache_ttl_s:g} s", "db")
            edges.append("    app -->|cache-aside| cache")
        else:  # a WebSocket service's bus alone
            node("bus", "Redis<br/>pub/sub", "db")
        if bus:
            edges.append(f"    {'cache' if cached else 'bus'} -.->|pub/sub broadcast| app")
    if "local_cache" in c and "app" in c and db is not None:
        node("cache", f"in-process TTL cache<br/>{db.cache_ttl_s:g} s")
        edges.append("    app --> cache")
    if db is not None:
        target = "app" if "app" in c else "job"
        node(
            "db",
            f"{db.engine} primary"
            + ("<br/>PostgreSQL + extension" if db.engine is DatabaseKind.TIMESCALEDB else ""),
            "db",
        )
        if "pgbouncer" in c:
            node("bouncer", "PgBouncer<br/>transaction mode")
            edges += [
                f"    {target} -->|pool {db.pool_size}+{db.max_overflow}| bouncer",
                "    bouncer --> db",
            ]
        elif "app" in c:
            edges.append(f"    app -->|pool {db.pool_size}+{db.max_overflow} per worker| db")
        if "replicas" in c:
            node("replicas", f"{db.read_replicas} read replica(s)", "db")
            edges.append("    db -.->|async replication| replicas")
            edges.append(f"    {target} -->|stale-ok reads| replicas")
    if "broker" in c:
        node("broker", plan.broker.name if plan.broker else "Message broker", "queue")
        if "consumers" in c:
            node("consumers", "Consumers<br/>idempotent handlers")
        if "outbox_relay" in c and db is not None:
            node("relay", "Outbox relay")
            edges += ["    db -->|outbox rows| relay", "    relay --> broker"]
        elif "app" in c:
            edges.append("    app -->|events| broker")
        if "consumers" in c:
            edges.append("    broker --> consumers")
            if db is not None:
                edges.append("    consumers -->|idempotent writes| db")
    if "data_job" in c and plan.data is not None:
        node("job", plan.data.tool_name + pipeline_label(plan))
        sessions = plan.data.tool is DataTool.SPARK_STREAMING
        node(
            "lake",
            "Sessions table<br/>upsert by customer_id, session_start"
            if sessions
            else "Object storage<br/>Parquet",
            "db",
        )
        if "stream" in c:  # what the stream is read from: the plan's broker, else the database
            if "broker" in c:
                edges.append("    broker -->|events| job")
            elif db is not None:
                every = plan.data.freshness_s
                label = f"new rows every {fmt_number(every)} s" if every > 0 else "new rows"
                edges.append(f"    db -->|{label}| job")
            else:
                node("stream", "incoming events", "queue")
                edges.append("    stream --> job")
                if "app" in c:
                    edges.append("    app -->|events| stream")
        if sessions:
            node("ckpt", "Object storage<br/>checkpoint", "db")
            edges += [
                "    job -->|sessions, every trigger| lake",
                "    job -->|offsets, state| ckpt",
            ]
        else:
            edges.append("    job -->|columnar output| lake")
        if db is not None and "app" not in c:
            edges.append("    job -->|results| db")
    node("obs", "OpenTelemetry<br/>traces · metrics · logs")
    src = "app" if "app" in c else "job"
    edges.append(f"    {src} -.-> obs")
    return "\n".join([f"flowchart {direction(edges)}", *nodes, *edges])
