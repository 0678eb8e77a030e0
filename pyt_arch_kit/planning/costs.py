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
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.pipeline import NODE_CORES
from pyt_arch_kit.requirements import DatabaseKind

__all__ = [
    "PRICES_AS_OF",
    "UNIT_PRICES",
    "CostLine",
    "UnitPrices",
    "bill_of_materials",
    "monthly_total",
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
        load_balancer_month: one managed L7 load balancer, per month, before traffic charges.
        object_storage_gb_month: object storage (standard class), per GB-month.
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


#: Approximate on-demand list prices in one large cloud region (AWS us-east-1), rounded.
#: Replace them with your provider's prices and discounts: ``dataclasses.replace(UNIT_PRICES,
#: vcpu_month=…)`` and pass the result to :func:`bill_of_materials`.
UNIT_PRICES = UnitPrices(
    as_of=PRICES_AS_OF,
    source="approximate on-demand list prices, AWS us-east-1 (EC2 m7i, RDS for PostgreSQL "
    "db.r7g ≈ $0.24/h per 2 vCPU, ElastiCache m7g.large, ALB, S3 Standard), rounded; before "
    "discounts and traffic",
    currency="USD",
    vcpu_month=37.0,
    managed_db_vcpu_month=88.0,
    db_storage_gb_month=0.115,
    backup_gb_month=0.095,
    cache_node_month=115.0,
    load_balancer_month=16.5,
    object_storage_gb_month=0.023,
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
        """quantity × unit price, or ``None`` when either is unknown."""
        if self.quantity is None or self.unit_price is None:
            return None
        return self.quantity * self.unit_price


def monthly_total(lines: list[CostLine]) -> tuple[float, int]:
    """(sum of the priced lines, how many lines have no price)."""
    priced = [line.monthly for line in lines]
    return sum(m for m in priced if m is not None), sum(m is None for m in priced)


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
        lines.append(
            CostLine(
                "Load balancer", 1.0, "LB", prices.load_balancer_month, "plus per-traffic units"
            )
        )
    if "pgbouncer" in comps:
        lines.append(
            CostLine("PgBouncer", 2.0, "vCPU", prices.vcpu_month, "two 1-vCPU VMs (one per zone)")
        )
    if "redis" in comps:
        lines.append(
            CostLine(
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
        runs = plan.broker.key in {s.strip().lower() for s in req.infrastructure.existing_services}
        lines.append(
            CostLine(
                plan.broker.name,
                None,
                "",
                None,
                "already run by the organisation: only its extra topics and storage"
                if runs
                else "priced by brokers or requests: size it with the provider",
            )
        )
    if data is not None:
        in_bill = [line for line in plan.materials if "object storage" in line.part]
        stored = (
            sum(line.storage_gb for line in in_bill)
            if in_bill
            else req.scale.data_gb or data.data_gb
        )
        lines.append(
            CostLine(
                "Object storage (Parquet)",
                stored,
                "GB",
                prices.object_storage_gb_month,
                f"at {HORIZON_MONTHS} months, as in the bill of materials"
                if in_bill
                else "the data set as stored today",
            )
        )
        pipe = plan.pipeline
        if pipe is not None and pipe.distributed and pipe.nodes and pipe.run_time_h:
            vcpus = pipe.nodes * max(req.infrastructure.cores_per_instance, NODE_CORES)
            lines.append(
                CostLine(
                    f"Data job ({data.tool_name})",
                    vcpus * pipe.run_time_h * _RUNS_A_MONTH,
                    "vCPU-h",
                    None if prices.vcpu_month is None else prices.vcpu_month / _HOURS_A_MONTH,
                    f"{pipe.nodes} node(s) × {vcpus // pipe.nodes} vCPU for the "
                    f"{fmt_number(pipe.run_time_h)} h of a run, {_RUNS_A_MONTH} runs a month, "
                    "released between runs; a memory-optimised node costs ~30 % more",
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
    if db.engine is DatabaseKind.TIMESCALEDB:  # no RDS class runs it: the class is a stand-in
        per_node += (
            "; TimescaleDB runs on Timescale Cloud or self-run PostgreSQL (RDS does not offer "
            "the extension): priced at the RDS rate of that size, replace it with your offer"
        )
    storage = sum(line.storage_gb for line in parts)
    results_only = plan.data is not None and "app" not in plan.components
    backups = next((f.value for f in plan.figures if f.key == "bom_backup_gb"), None)
    return [
        CostLine(
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
            "the job's results only: size them"
            if results_only
            else f"every copy at {HORIZON_MONTHS} months, as in the bill of materials",
        ),
        CostLine(
            "Backups (PITR window)",
            None if results_only else backups,
            "GB",
            prices.backup_gb_month,
            f"base backup plus the logs over the retention window, at {HORIZON_MONTHS} months",
        ),
    ]
