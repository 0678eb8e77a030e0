"""Where the database runs: a provider's managed service in a cloud, or run by the team.

The answer to ``infrastructure.hosting`` decides who takes backups, who fails over, and where
connection limits and settings come from; :func:`database_hosting` states it as a decision and
:func:`managed` tells the writer which operations text applies.
"""

from __future__ import annotations

from pyt_arch_kit.planning.model import DatabasePlan, Decision
from pyt_arch_kit.requirements import DatabaseKind, Hosting
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["RDS_MAX_CONNECTIONS", "database_hosting", "managed"]

#: Amazon RDS for PostgreSQL's default ``max_connections``, per instance class (AWS RDS docs,
#: "Maximum number of database connections").
RDS_MAX_CONNECTIONS = "LEAST(DBInstanceClassMemory / 9531392, 5000)"

_MANAGED = {
    DatabaseKind.POSTGRESQL: "Amazon RDS / Aurora PostgreSQL, Cloud SQL or Azure Database for "
    "PostgreSQL",
    DatabaseKind.MYSQL: "Amazon RDS / Aurora MySQL, Cloud SQL or Azure Database for MySQL",
    DatabaseKind.MONGODB: "MongoDB Atlas (or Amazon DocumentDB where its API subset suffices)",
    DatabaseKind.TIMESCALEDB: "Timescale Cloud (Amazon RDS and Cloud SQL do not offer the "
    "TimescaleDB extension)",
    DatabaseKind.REDIS: "Amazon MemoryDB (a durable transaction log; ElastiCache is a cache), "
    "Redis Cloud or Memorystore for Redis",
}
_FAILOVER = {
    DatabaseKind.POSTGRESQL: "Patroni (with etcd or Consul) promoting the standby, behind a "
    "virtual IP or HAProxy",
    DatabaseKind.MYSQL: "MySQL InnoDB Cluster (Group Replication + MySQL Router) or Orchestrator",
    DatabaseKind.MONGODB: "the replica set's own elections (three members, one per zone or rack)",
    DatabaseKind.TIMESCALEDB: "Patroni (with etcd or Consul) promoting the standby, behind a "
    "virtual IP or HAProxy",
    DatabaseKind.REDIS: "Redis Sentinel (three sentinels, one per zone) promoting the replica",
}
_BACKUPS = {
    DatabaseKind.POSTGRESQL: "pgBackRest (or WAL-G): base backups plus WAL archiving",
    DatabaseKind.MYSQL: "Percona XtraBackup plus binlog archiving",
    DatabaseKind.MONGODB: "filesystem snapshots plus the oplog (or Percona Backup for MongoDB)",
    DatabaseKind.TIMESCALEDB: "pgBackRest (or WAL-G): base backups plus WAL archiving",
    DatabaseKind.REDIS: "RDB snapshots and the AOF, copied off the host",
}


def managed(req: ResolvedRequirements) -> bool:
    """Whether the database is a provider's managed service (cloud or hybrid hosting)."""
    return req.infrastructure.hosting is not Hosting.ON_PREM


def database_hosting(req: ResolvedRequirements, db: DatabasePlan) -> Decision:
    """Managed database in a cloud (or a hybrid's cloud side), self-run on premises."""
    engine = db.engine
    hosting = req.infrastructure.hosting
    if managed(req):
        limits = (
            f"max_connections follows the instance class ({RDS_MAX_CONNECTIONS} on RDS)"
            if engine in (DatabaseKind.POSTGRESQL, DatabaseKind.MYSQL)
            else "connection limits follow the service's tier"
        )
        link = (
            "; on-premises callers reach it over a private link (Direct Connect, Cloud "
            "Interconnect, ExpressRoute), one round trip per call"
            if hosting is Hosting.HYBRID
            else ""
        )
        return Decision(
            "database hosting",
            f"a managed service: {_MANAGED[engine]}",
            f"the system runs {'partly ' if hosting is Hosting.HYBRID else ''}in a cloud: the "
            "provider takes automated backups with point-in-time recovery, fails over to a "
            f"standby in another zone (Multi-AZ), and patches minor versions; {limits}, and "
            "settings change through its parameter group, not a config file" + link,
            "a higher price per vCPU than a VM, no superuser, and only the extensions and "
            "settings the provider allows",
            ("a self-run database on VMs (cheaper per vCPU; you run backups and failover)",),
        )
    return Decision(
        "database hosting",
        f"self-run on the organisation's servers, with {_FAILOVER[engine]}",
        "the system runs on premises, so the team owns what a provider would do: backups "
        f"({_BACKUPS[engine]}), restore drills, failover, minor-version patching and "
        "capacity; the connection limit is what you configure, sized to the server's memory",
        "the team's time: someone on call must know the failover and restore runbooks",
        ("a database team's shared cluster", "a managed service in a cloud region"),
    )
