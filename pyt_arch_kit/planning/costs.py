"""A bill of materials for the plan, priced from a dated, overridable table of unit prices.

Quantities come from the plan (instances × cores, the database, its standby and replicas, the
cache, storage); prices from :data:`UNIT_PRICES`. A component whose quantity or price is not
known is listed with what is known and no price, never a guess.

Example:
    >>> import dataclasses
    >>> from pyt_arch_kit import plan, preset
    >>> mine = dataclasses.replace(UNIT_PRICES, vcpu_month=20.0, as_of="our 2026 contract")
    >>> lines = bill_of_materials(plan(preset("io-bound-api")), mine)
    >>> lines[0].component, lines[0].unit_price
    ('Application compute', 20.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyt_arch_kit.planning.bom import DB_CLASS_URL, GIB, HORIZON_MONTHS
from pyt_arch_kit.planning.capacity_figures import push_sends_per_s
from pyt_arch_kit.planning.connections import holds_sockets
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.pipeline import NODE_CORES
from pyt_arch_kit.requirements import DatabaseKind, Interface

__all__ = [
    "PRICES_AS_OF",
    "UNIT_PRICES",
    "CostLine",
    "UnitPrices",
    "bill_of_materials",
    "monthly_total",
    "tiered",
]

#: Memory per vCPU of the memory-optimised classes the database is priced as, in GB.
_GB_PER_VCPU = 8 * GIB
#: When the default unit prices were read.
PRICES_AS_OF = "2025-06"
_RUNS_A_MONTH = 30  # a nightly job
_HOURS_A_MONTH = 730  # on-demand hours in a month, as cloud price lists count them


@dataclass(frozen=True)
class UnitPrices:
    """Unit prices per month; ``None`` where no honest price is known.

    Attributes:
        as_of: when the prices were read.
        source: where they come from.
        currency: ISO code.
        vcpu_month: one vCPU of a general-purpose VM (≈ 4 GB RAM per vCPU), per month.
        managed_db_vcpu_month: one vCPU of a managed memory-optimised PostgreSQL/MySQL
            instance (8 GiB per vCPU; the price is linear in the class's size), per month.
        db_storage_gb_month: database storage (SSD), per GB-month, per copy.
        backup_gb_month: backup storage, per GB-month.
        cache_node_month: one managed Redis node (2 vCPU, ≈ 6 GB), per month.
        load_balancer_month: one managed L7 load balancer, per month, before its capacity
            units.
        lcu_hour: one load balancer capacity unit (ALB LCU) for an hour.
        object_storage_gb_month: object storage (standard class), per GB-month.
        vm_memory_vcpu_month: one vCPU of a memory-optimised VM (8 GiB per vCPU) for a
            database the team runs itself (TimescaleDB: no managed class offers it), per month.
        vm_disk_gb_month: a VM's SSD volume, per GB-month.
        burstable_db_gib_month: a burstable managed database class (db.t4g), per GiB of its
            memory per month (its price is linear in the memory: small 2 GiB … large 8 GiB).
        data_node_hour: one batch worker node of 16 vCPU and 128 GiB with local NVMe for
            the shuffle (EC2 i4i.4xlarge, 3,750 GB), per hour it runs.
        egress_tiers: data transfer out to the internet, per GB, by monthly tier: ``(GB up
            to, price)`` pairs, the last up to infinity.
        cross_zone_gb: data transfer between zones of one region, per GB (both directions
            billed), for callers inside the region (gRPC and event interfaces).
    """

    as_of: str
    source: str
    currency: str
    vcpu_month: float | None
    managed_db_vcpu_month: float | None
    db_storage_gb_month: float | None
    backup_gb_month: float | None
    cache_node_month: float | None
    load_balancer_month: float | None
    object_storage_gb_month: float | None
    vm_memory_vcpu_month: float | None = 39.0
    vm_disk_gb_month: float | None = 0.08
    burstable_db_gib_month: float | None = None
    data_node_hour: float | None = 1.37
    egress_tiers: tuple[tuple[float, float], ...] | None = (
        (10_240.0, 0.09),
        (51_200.0, 0.085),
        (153_600.0, 0.07),
        (math.inf, 0.05),
    )
    cross_zone_gb: float | None = 0.02
    lcu_hour: float | None = 0.008


#: Approximate on-demand list prices in one large cloud region (AWS us-east-1), rounded.
#: Replace them with your provider's prices and discounts: ``dataclasses.replace(UNIT_PRICES,
#: vcpu_month=…)`` and pass the result to :func:`bill_of_materials`.
UNIT_PRICES = UnitPrices(
    as_of=PRICES_AS_OF,
    source="approximate on-demand list prices, AWS us-east-1 (EC2 m7i, RDS for PostgreSQL "
    "db.r7g ≈ $0.24/h per 2 vCPU, db.t4g ≈ $0.016/h per GiB, ElastiCache m7g.large, ALB, "
    "S3 Standard, EC2 data transfer out), rounded; before discounts",
    currency="USD",
    vcpu_month=37.0,
    managed_db_vcpu_month=88.0,
    db_storage_gb_month=0.115,
    backup_gb_month=0.095,
    cache_node_month=115.0,
    load_balancer_month=16.5,
    object_storage_gb_month=0.023,
    burstable_db_gib_month=11.8,  # db.t4g ≈ $0.016/h per GiB
)


@dataclass(frozen=True)
class CostLine:
    """One component of the bill: how much of it, at what unit price.

    Attributes:
        component: what it is.
        quantity: how many units (``None`` when the plan cannot size it).
        unit: the unit (``"vCPU"``, ``"GB"``, ``"node"`` …).
        unit_price: price per unit per month, or ``None`` when unknown.
        note: what the quantity is made of, or why there is no price.
    """

    component: str
    quantity: float | None
    unit: str
    unit_price: float | None
    note: str

    @property
    def monthly(self) -> float | None:
        """quantity × unit price, or ``None`` when either is unknown (nothing bought costs 0)."""
        if self.quantity == 0:  # an existing, shared service: nothing new to buy
            return 0.0
        if self.quantity is None or self.unit_price is None:
            return None
        return self.quantity * self.unit_price


def monthly_total(lines: list[CostLine]) -> tuple[float, int]:
    """(sum of the priced lines, how many lines have no price)."""
    priced = [line.monthly for line in lines]
    return sum(m for m in priced if m is not None), sum(m is None for m in priced)


#: The note of a service the organisation already runs (``infrastructure.existing_services``):
#: the design adds load to it, not nodes, so it costs nothing new.
EXISTING = "existing, shared: nothing new to buy (its owners carry the extra load)"
#: RDS keeps backups up to the provisioned storage free, and bills only the rest.
RDS_PRICING_URL = "https://aws.amazon.com/rds/pricing/"
#: EC2 data transfer: out to the internet by tier, and between zones of a region.
TRANSFER_PRICING_URL = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer"
#: Interfaces whose callers are other services in the region: their bytes cross zones, not
#: the internet.
_IN_REGION = (Interface.GRPC, Interface.EVENTS)


def tiered(gb: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """The price of ``gb`` a month through ``tiers`` of ``(GB up to, price per GB)``.

    Example:
        >>> round(tiered(20_000, UNIT_PRICES.egress_tiers or ()), 2)  # 10,240 GB at 0.09
        1751.2
    """
    cost, floor = 0.0, 0.0
    for ceiling, price in tiers:
        cost += max(0.0, min(gb, ceiling) - floor) * price
        floor = ceiling
    return cost


#: What one ALB capacity unit carries an hour: 1 GB processed (EC2 targets) or 3,000 active
#: connections (the unit billed is the larger need).
_LCU_GB_PER_HOUR = 1.0
_LCU_ACTIVE_CONNECTIONS = 3000
_ALB_PRICING_URL = "https://aws.amazon.com/elasticloadbalancing/pricing/"


def _lcu_line(plan: Plan, prices: UnitPrices) -> CostLine:
    """The load balancer's capacity units at the average rate: the larger of the bytes it
    processes an hour (requests and responses, and pushed sends) and the connections it holds
    (a WebSocket or keep-alive client's, at the average-to-peak ratio)."""
    s = plan.resolved.scale
    ratio = s.avg_rps / s.peak_rps if s.peak_rps else 0.0
    sends = push_sends_per_s(plan.resolved) * ratio
    gb_h = (s.avg_rps + sends) * s.payload_kb * 3600 / 1e6
    held = ratio * (
        float(s.concurrent_users)
        if holds_sockets(plan.resolved)
        else next((f.value for f in plan.figures if f.key == "client_connections"), 0.0)
    )
    lcus = max(gb_h / _LCU_GB_PER_HOUR, held / _LCU_ACTIVE_CONNECTIONS)
    return CostLine(
        "Load balancer capacity units",
        round(lcus * _HOURS_A_MONTH, 1),
        "LCU-h",
        prices.lcu_hour,
        f"≈ {fmt_number(lcus)} LCUs an hour at the average rate: {fmt_number(gb_h)} GB "
        f"processed (1 GB an LCU) or {fmt_number(held)} connections held (3,000 an LCU), the "
        f"larger billed ([ALB pricing]({_ALB_PRICING_URL}))",
    )


def _transfer_line(plan: Plan, prices: UnitPrices) -> CostLine:
    """The bytes sent to clients a month (the bill's ``bom_transfer_gb_month``), priced as data
    transfer out to the internet, or between zones for callers inside the region."""
    gb = plan.figure("bom_transfer_gb_month").value
    if plan.resolved.interface in _IN_REGION:
        return CostLine(
            "Data transfer between zones",
            gb,
            "GB",
            prices.cross_zone_gb,
            "the responses to callers in the region, as in the figures, all assumed to cross a "
            f"zone: $0.01/GB each way ([EC2 data transfer]({TRANSFER_PRICING_URL}))",
        )
    tiers = prices.egress_tiers
    return CostLine(
        "Data transfer out",
        gb,
        "GB",
        tiered(gb, tiers) / gb if tiers and gb else None if not tiers else tiers[0][1],
        "the responses and pushes to clients, as in the figures, at the internet tiers: "
        f"$0.09/GB for the first 10 TB a month, less above ([EC2 data transfer]"
        f"({TRANSFER_PRICING_URL}))",
    )


def bill_of_materials(plan: Plan, prices: UnitPrices = UNIT_PRICES) -> list[CostLine]:
    """One cost line per component of the plan, at these unit prices."""
    cap, db, data = plan.capacity, plan.database, plan.data
    comps = set(plan.components)
    req = plan.resolved
    lines: list[CostLine] = []
    if "app" in comps:
        lines.append(
            CostLine(
                "Application compute",
                float(cap.instances * cap.cores_per_instance),
                "vCPU",
                prices.vcpu_month,
                f"{cap.instances} instance(s) × {cap.cores_per_instance} vCPU, sized for the peak",
            )
        )
    if "load_balancer" in comps:
        lines += [
            CostLine("Load balancer", 1.0, "LB", prices.load_balancer_month, "the hourly charge"),
            _lcu_line(plan, prices),
        ]
    if "pgbouncer" in comps:
        lines.append(
            CostLine("PgBouncer", 2.0, "vCPU", prices.vcpu_month, "two 1-vCPU VMs (one per zone)")
        )
    existing = {s.strip().lower() for s in req.infrastructure.existing_services}
    if "redis" in comps:
        lines.append(
            CostLine("Redis cache", 0.0, "node", prices.cache_node_month, EXISTING)
            if "redis" in existing
            else CostLine(
                "Redis cache",
                2.0,
                "node",
                prices.cache_node_month,
                "primary + replica in another zone",
            )
        )
    if db is not None:
        lines += _database_lines(plan, prices)
    if "broker" in comps and plan.broker is not None:
        lines.append(
            CostLine(plan.broker.name, 0.0, "", None, EXISTING)
            if plan.broker.key in existing
            else CostLine(
                plan.broker.name,
                None,
                "",
                None,
                "priced by brokers or requests: size it with the provider",
            )
        )
    if data is not None:
        in_bill = [line for line in plan.materials if "object storage" in line.part]
        stored = (
            sum(line.storage_gb for line in in_bill)
            if in_bill
            else req.scale.data_gb or data.data_gb
        )
        stream = [line for line in plan.materials if line.part.endswith("(checkpoint)")]
        lines.append(
            CostLine(
                "Object storage (checkpoint)" if stream else "Object storage (Parquet)",
                stored,
                "GB",
                prices.object_storage_gb_month,
                f"at {HORIZON_MONTHS} months, as in the bill of materials"
                if in_bill
                else "the data set as stored today",
            )
        )
        pipe = plan.pipeline
        if pipe is not None and stream:  # a Spark stream runs all month; its sessions table
            vcpus = stream[0].cores
            lines.append(
                CostLine(
                    f"Data job ({data.tool_name})",
                    vcpus,
                    "vCPU",
                    prices.vcpu_month,
                    f"{pipe.nodes} node(s) × {pipe.executor_cores} vCPU and the driver, as in "
                    "the bill of materials, all month",
                )
            )
            if any(line.part.startswith("Sessions table") for line in plan.materials):
                lines.append(
                    CostLine(
                        "Sessions table (PostgreSQL)",
                        4.0,
                        "vCPU",
                        prices.managed_db_vcpu_month,
                        f"primary + standby (Multi-AZ), [db.r7g.large]({DB_CLASS_URL}): 2 vCPU and "
                        "16 GiB each",
                    )
                )
                lines.append(
                    CostLine(
                        "Sessions table storage",
                        2 * pipe.sessions_gb,
                        "GB",
                        prices.db_storage_gb_month,
                        f"the sessions kept (≤ {fmt_number(pipe.sessions_gb)} GB), on both "
                        "copies, as in the bill of materials",
                    )
                )
        elif pipe is not None and pipe.distributed and pipe.nodes and pipe.run_time_h:
            size = max(req.infrastructure.cores_per_instance, NODE_CORES) / NODE_CORES
            lines.append(
                CostLine(
                    f"Data job ({data.tool_name})",
                    pipe.nodes * size * pipe.run_time_h * _RUNS_A_MONTH,
                    "node-h",
                    prices.data_node_hour,
                    f"{pipe.nodes} node(s) of {NODE_CORES * size:g} vCPU, 128 GiB and local "
                    f"NVMe for the shuffle (i4i.4xlarge) for the {fmt_number(pipe.run_time_h)} h "
                    f"of a run, {_RUNS_A_MONTH} runs a month, released between runs",
                )
            )
        else:
            lines.append(
                CostLine(
                    f"Data job ({data.tool_name})",
                    None,
                    "vCPU-h",
                    None,
                    f"{data.data_gb:,.0f} GB per run: size the cluster from a timed test run",
                )
            )
    if "app" in comps:
        lines.append(_transfer_line(plan, prices))
    lines.append(
        CostLine(
            "Observability", None, "", None, "priced by ingested GB and series: vendor-specific"
        )
    )
    return lines


def _database_lines(plan: Plan, prices: UnitPrices) -> list[CostLine]:
    """The database priced from its lines of the bill of materials: one source for both.

    Each node is priced as its instance class (the bill's cores *and* RAM: a memory-optimised
    class has 8 GiB per vCPU), its storage and backups at the bill's horizon.
    """
    db = plan.database
    assert db is not None
    parts = [line for line in plan.materials if line.part.startswith(("Database", "Redis store"))]
    vcpus = sum(
        line.count
        * max(line.cores / line.count, math.ceil(line.ram_gb / line.count / _GB_PER_VCPU - 1e-9))
        for line in parts
        if line.count
    )
    what = "primary" + (f" + {db.standbys} standby" if db.standbys else "")
    what += f" + {db.read_replicas} replica(s)" if db.read_replicas else ""
    primary = parts[0] if parts else None
    per_node = ""
    if primary is not None and primary.count:
        cores = primary.cores / primary.count
        per_node = (
            f": {primary.instance}, {cores:g} vCPU and {primary.ram_gb / primary.count / GIB:,.0f}"
            f" GiB each ([RDS instance classes]({DB_CLASS_URL}))"
            if primary.instance
            else f": {cores:g} cores and {primary.ram_gb / primary.count:,.0f} GB RAM each, "
            f"{max(cores, math.ceil(primary.ram_gb / primary.count / _GB_PER_VCPU)):g} vCPU "
            "each at 8 GiB per vCPU"
        )
    burstable = primary is not None and primary.instance.startswith("db.t4g")
    storage = sum(line.storage_gb for line in parts)
    results_only = plan.data is not None and "app" not in plan.components
    backups = next((f.value for f in plan.figures if f.key == "bom_backup_gb"), None)
    if db.engine is DatabaseKind.TIMESCALEDB:  # self-run: RDS does not offer the extension
        return _self_run_lines(plan, prices, float(vcpus), what, storage, backups)
    backup_note = f"base backup plus the logs over the retention window, at {HORIZON_MONTHS} months"
    rds = db.engine in (DatabaseKind.POSTGRESQL, DatabaseKind.MYSQL)
    if backups is not None and rds and not results_only:
        # RDS bills backup storage beyond the primary's provisioned storage only
        free = primary.storage_gb / primary.count if primary is not None and primary.count else 0.0
        backup_note = (
            f"{fmt_number(backups)} GB of base backup and logs at {HORIZON_MONTHS} months, less "
            f"the {fmt_number(free)} GB provisioned, which RDS keeps free "
            f"([RDS pricing]({RDS_PRICING_URL}))"
        )
        backups = max(0.0, backups - free)
    return [
        CostLine(
            f"Database ({db.engine})",
            round(sum(line.ram_gb for line in parts) / GIB),
            "GiB",
            prices.burstable_db_gib_month,
            f"{what}, as in the bill of materials{per_node}",
        )
        if burstable
        else CostLine(
            f"Database ({db.engine})",
            float(vcpus),
            "vCPU",
            prices.managed_db_vcpu_month,
            f"{what}, as in the bill of materials{per_node}",
        ),
        CostLine(
            "Database storage",
            None if results_only else storage,
            "GB",
            prices.db_storage_gb_month,
            "the job's results: rows a day × ~100 B (a 56-byte row and its key) × "
            f"{HORIZON_MONTHS * 30} days; price it from the first runs' rows"
            if results_only
            else f"every copy at {HORIZON_MONTHS} months, as in the bill of materials",
        ),
        CostLine(
            "Backups (PITR window)",
            None if results_only else backups,
            "GB",
            prices.backup_gb_month,
            backup_note,
        ),
    ]


#: EC2 memory-optimised instances (the r7g family: 8 GiB per vCPU).
_EC2_R7G_URL = "https://aws.amazon.com/ec2/instance-types/r7g/"


def _self_run_lines(
    plan: Plan,
    prices: UnitPrices,
    vcpus: float,
    what: str,
    storage: float,
    backups: float | None,
) -> list[CostLine]:
    """TimescaleDB run by the team on EC2 (Amazon RDS does not offer the extension): the VMs,
    their volumes, pgBackRest's repository in object storage, and etcd for Patroni."""
    db = plan.database
    assert db is not None
    primary = next(line for line in plan.materials if line.part == "Database primary")
    return [
        CostLine(
            f"Database ({db.engine})",
            vcpus,
            "vCPU",
            prices.vm_memory_vcpu_month,
            f"{what}, as in the bill of materials: EC2 {primary.instance} (≈ $0.107/h per 2 "
            f"vCPU, [r7g]({_EC2_R7G_URL})), self-run with Patroni: RDS does not offer the "
            "extension",
        ),
        CostLine(
            "Database storage",
            storage,
            "GB",
            prices.vm_disk_gb_month,
            f"EBS gp3 volumes, every copy at {HORIZON_MONTHS} months, as in the bill of materials",
        ),
        CostLine(
            "Backups (pgBackRest repository)",
            backups,
            "GB",
            prices.object_storage_gb_month,
            f"S3: base backup plus the WAL over the retention window, at {HORIZON_MONTHS} months",
        ),
        CostLine(
            "etcd (Patroni's consensus store)",
            3.0,
            "vCPU",
            prices.vcpu_month,
            "three 1-vCPU VMs, one per zone: a failover needs a majority",
        ),
    ]
