"""Cache-aware database load: the hit ratio of a TTL cache, and what reaches the database.

A read cache (cache-aside, TTL set when a miss fills the key) sends the database only its
misses. The hit ratio comes from the TTL-cache model of Jung, Berger and Balakrishnan over a
Zipf-like key popularity (Breslau et al.); a measured ratio (``workload.cache_hit_ratio``)
replaces the model. Database load = writes + read misses, and the connections busy at peak,
the pools and the read replicas are sized from that load.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.model import Figure
from pyt_arch_kit.planning.queueing import LITTLE
from pyt_arch_kit.requirements import ConsistencyPriority, Interface
from pyt_arch_kit.requirements.enums import CACHE_READ_SHARE
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "COLD_CACHE",
    "JUNG",
    "LOW_HIT_RATIO",
    "ZIPF_ALPHA",
    "CacheLoad",
    "cache_figures",
    "cache_load",
    "choose_cache",
    "hit_summary",
    "replica_figures",
    "too_rare",
    "ttl_hit_ratio",
]

JUNG = (
    "TTL cache, TTL set on a miss: a key read at rate λᵢ hits with probability "
    "λᵢT / (1 + λᵢT) (J. Jung, A. Berger, H. Balakrishnan, “Modeling TTL-based Internet "
    "Caches”, IEEE INFOCOM 2003)"
)
BRESLAU = (
    "Zipf-like popularity pᵢ ∝ 1/iᵅ, α ≈ 0.64–0.83 measured on web traces (L. Breslau, P. Cao, "
    "L. Fan, G. Phillips, S. Shenker, “Web Caching and Zipf-like Distributions”, INFOCOM 1999)"
)
#: The Zipf exponent assumed for key popularity (Breslau et al. measured 0.64–0.83).
ZIPF_ALPHA = 0.8
#: Ranks summed one by one; past them, keys are summed in buckets 2 % wide (bounded work).
_EXACT = 2000
#: What a sizing for a warm cache leaves out, said wherever a cache is planned.
COLD_CACHE = (
    "the database is sized for a warm cache: after a cache restart or flush every read "
    "misses until the keys refill, so warm the hot keys first and coalesce concurrent misses "
    "of one key (one fill, the others wait)"
)
#: Under this modelled hit ratio a read cache takes too little load off the database to be
#: worth its invalidation work and failure mode: the plan leaves it out until a measured
#: ratio (``workload.cache_hit_ratio``) says otherwise.
LOW_HIT_RATIO = 0.3
_BUCKET = 1.02
_MAX_KEYS = 10**12


def choose_cache(req: ResolvedRequirements) -> tuple[Cache, float]:
    """The read cache and its TTL (s): Redis when reads dominate at scale and staleness is
    allowed, an in-process cache below 200 req/s, none for strong consistency or a batch."""
    peak, read_ratio = req.scale.peak_rps, req.scale.read_ratio
    stale = req.consistency.stale_read_tolerance_s
    if req.interface is Interface.BATCH:
        return Cache.NONE, 0.0
    if req.consistency.priority is ConsistencyPriority.STRONG:
        return Cache.NONE_STRONG, 0.0
    given = req.workload.cache_ttl_s  # 0: not given
    if stale >= 1 and read_ratio >= CACHE_READ_SHARE and peak >= 200:
        return Cache.REDIS, float(min(stale, given or 300.0))
    if stale >= 1 and read_ratio >= CACHE_READ_SHARE and peak > 0:
        return Cache.LOCAL, float(min(stale, given or 60.0))
    return Cache.NONE, 0.0


def too_rare(cache: Cache, load: CacheLoad) -> bool:
    """Whether a planned read cache is modelled (not measured) to hit too rarely to pay."""
    return (
        cache in (Cache.REDIS, Cache.LOCAL)
        and not load.measured
        and (load.hit_ratio < LOW_HIT_RATIO)
    )


def hit_summary(load: CacheLoad) -> str:
    """One clause: the hit ratio and the database load it leaves."""
    how = "measured" if load.measured else "modelled"
    return (
        f"a {how} hit ratio of {load.hit_ratio:.0%} leaves the database "
        f"{load.queries_per_s:,.0f} of {load.queries_per_s_without:,.0f} queries/s at peak"
    )


def replica_figures(
    replicas: int, without: int, read_rps: float, per_replica: float
) -> list[Figure]:
    """The read replicas the cache's misses need, and the replicas the cache saves."""
    figures = []
    if replicas:
        figures.append(
            Figure(
                "read_replicas",
                "Read replicas",
                replicas,
                "replicas",
                "⌈read req/s / reads per replica⌉ − 1 (the primary serves reads too)",
                (
                    ("read req/s reaching the database", read_rps),
                    ("reads per replica (assumed)", per_replica),
                ),
                "capacity planning rule of thumb; measure one replica's read throughput",
            )
        )
    if without > replicas:
        figures.append(
            Figure(
                "read_replicas_saved",
                "Read replicas the cache saves",
                without - replicas,
                "replicas",
                "replicas without the cache − replicas with it",
                (("without the cache", without), ("with the cache", replicas)),
                "database load = writes + read misses; " + JUNG,
            )
        )
    return figures


def _zipf_groups(keys: int, alpha: float) -> list[tuple[float, int]]:
    """(weight of one key, keys with that weight) over ranks 1..keys, unnormalised.

    Ranks up to :data:`_EXACT` are exact; past them each bucket of ranks [a, b) is
    ``b − a`` keys of the bucket's mean weight ∫ x^-α dx / (b − a) (midpoint rule, < 1 %
    error at 2 % wide buckets). At most ~1,400 groups for 10¹² keys.
    """
    keys = max(1, min(keys, _MAX_KEYS))
    groups = [(float(i) ** -alpha, 1) for i in range(1, min(keys, _EXACT) + 1)]
    start = _EXACT + 1
    while start <= keys:
        end = min(keys + 1, max(start + 1, math.ceil(start * _BUCKET)))
        lo, hi = start - 0.5, end - 0.5
        if alpha == 1.0:
            area = math.log(hi / lo)
        else:
            area = (hi ** (1 - alpha) - lo ** (1 - alpha)) / (1 - alpha)
        count = end - start
        groups.append((area / count, count))
        start = end
    return groups


@functools.lru_cache(maxsize=1024)  # pure; the ranking of open questions asks again
def ttl_hit_ratio(
    lookups_per_s: float, ttl_s: float, keys: int, alpha: float = ZIPF_ALPHA
) -> tuple[float, float]:
    """Hit ratio and mean keys cached of a TTL cache over Zipf-like popularity.

    H = Σ pᵢ · λpᵢT / (1 + λpᵢT); keys cached = Σ λpᵢT / (1 + λpᵢT) (a key stays cached
    for T after a miss, then waits 1/(λpᵢ) on average for the next miss).

    Args:
        lookups_per_s: λ, cache reads per second (one cache's own, per process for an
            in-process cache).
        ttl_s: T, the time to live.
        keys: N, the distinct keys reads ask for.
        alpha: the Zipf exponent.

    Returns:
        ``(hit ratio in [0, 1), mean keys cached)``.

    Example:
        >>> round(ttl_hit_ratio(100.0, 10.0, 1)[0], 4)  # one key, 1,000 reads per TTL
        0.999
    """
    if lookups_per_s <= 0 or ttl_s <= 0:
        return 0.0, 0.0
    groups = _zipf_groups(keys, alpha)
    total = math.fsum(w * n for w, n in groups)
    hit = cached = 0.0
    for weight, count in groups:
        p = weight / total
        x = lookups_per_s * p * ttl_s
        share = x / (1 + x)
        hit += count * p * share
        cached += count * share
    return min(hit, 1.0), cached


@dataclass(frozen=True)
class CacheLoad:
    """What reaches the database with and without the cache, at peak.

    Attributes:
        hit_ratio: the share of cache reads that hit (0 without a cache).
        measured: whether the hit ratio was given (``workload.cache_hit_ratio``), not modelled.
        lookups_per_s: λ, reads per second one cache sees (per process for an in-process cache).
        keys: the distinct keys reads ask for.
        cached_keys: mean keys the cache holds (per process for an in-process cache).
        memory_mb: the memory those keys take, at one payload each.
        queries_per_s: database queries per second with the cache (writes + read misses).
        queries_per_s_without: the same with no cache (every read reaches the database).
        read_rps: read requests per second reaching the database with the cache.
        read_rps_without: the same with no cache.
        peak_rps: requests per second at peak (reads + writes).
        payload_kb: the size of one cached value.
    """

    hit_ratio: float
    measured: bool
    lookups_per_s: float
    keys: int
    cached_keys: float
    memory_mb: float
    queries_per_s: float
    queries_per_s_without: float
    read_rps: float
    read_rps_without: float
    peak_rps: float = 0.0
    payload_kb: float = 0.0
    alpha: float = ZIPF_ALPHA
    alpha_given: bool = False


def cache_load(
    *,
    cache: Cache,
    ttl_s: float,
    peak_rps: float,
    read_ratio: float,
    calls_per_request: float,
    keys: int,
    payload_kb: float,
    processes: int,
    measured_hit_ratio: float | None = None,
    alpha: float = 0.0,
) -> CacheLoad:
    """The database's load at peak behind ``cache``: writes + read misses.

    A read request's database calls all go through the cache (one key each); a write's go to
    the primary. An in-process cache is one per worker process, so each sees
    1 / ``processes`` of the reads and hits less often than one shared Redis.
    """
    reads = peak_rps * read_ratio
    writes = peak_rps - reads
    cached = cache in (Cache.REDIS, Cache.LOCAL) and ttl_s > 0
    share = max(1, processes) if cache is Cache.LOCAL else 1
    lookups = reads * calls_per_request / share if cached else 0.0
    zipf = alpha if alpha > 0 else ZIPF_ALPHA
    hit, held = ttl_hit_ratio(lookups, ttl_s, keys, zipf) if cached else (0.0, 0.0)
    if cached and measured_hit_ratio is not None:
        hit = measured_hit_ratio
    miss_reads = reads * (1 - hit)
    without = peak_rps * calls_per_request
    return CacheLoad(
        hit_ratio=hit,
        measured=cached and measured_hit_ratio is not None,
        lookups_per_s=lookups,
        keys=keys,
        cached_keys=held,
        memory_mb=held * payload_kb / 1024,
        # never above the load without a cache (writes + reads rounds differently at h = 0)
        queries_per_s=min(without, (writes + miss_reads) * calls_per_request),
        queries_per_s_without=without,
        read_rps=miss_reads,
        read_rps_without=reads,
        peak_rps=peak_rps,
        payload_kb=payload_kb,
        alpha=zipf,
        alpha_given=alpha > 0,
    )


def cache_figures(load: CacheLoad, cache: Cache, ttl_s: float, db_ms: float) -> list[Figure]:
    """The cache's figures: hit ratio, memory, database queries/s with and without it."""
    where = "per worker process" if cache is Cache.LOCAL else "one shared cache"
    if load.measured:
        hit = Figure(
            "cache_hit_ratio",
            "Cache hit ratio",
            load.hit_ratio,
            "",
            "measured (workload.cache_hit_ratio)",
            (("hit ratio (given)", load.hit_ratio),),
            "the requirements' measured hit ratio; the Zipf/TTL model is not used",
        )
    else:
        hit = Figure(
            "cache_hit_ratio",
            "Cache hit ratio",
            load.hit_ratio,
            "",
            "H = Σ pᵢ · λpᵢT / (1 + λpᵢT), pᵢ = i^-α / Σ k^-α over N keys (" + where + ")",
            (
                ("λ (cache reads/s)", load.lookups_per_s),
                ("T (TTL s)", ttl_s),
                ("N (keys)", load.keys),
                ("α (Zipf, given)" if load.alpha_given else "α (Zipf, assumed)", load.alpha),
            ),
            JUNG + "; " + BRESLAU,
        )
    figures = [hit]
    if not load.measured:
        figures.append(
            Figure(
                "cache_memory_mb",
                "Cache memory for the keys it holds",
                load.memory_mb,
                "MB",
                "Σ λpᵢT / (1 + λpᵢT) keys cached × payload (" + where + ")",
                (("keys cached", load.cached_keys), ("KB per value", load.payload_kb)),
                JUNG + "; add Redis's per-key overhead (tens of bytes) and headroom",
            )
        )
    figures += [
        Figure(
            "db_queries_per_s_without_cache",
            "Database queries/s at peak without the cache",
            load.queries_per_s_without,
            "queries/s",
            "λ · calls per request",
            (("λ (peak req/s)", load.peak_rps), ("calls per request", _calls(load))),
            LITTLE,
        ),
        Figure(
            "db_queries_per_s",
            "Database queries/s at peak with the cache",
            load.queries_per_s,
            "queries/s",
            "(writes + reads · (1 − H)) · calls per request",
            (
                ("read misses req/s", load.read_rps),
                ("H", load.hit_ratio),
                ("reads req/s", load.read_rps_without),
            ),
            "database load = writes + read misses; " + JUNG,
        ),
        Figure(
            "db_busy_connections_without_cache",
            "Connections busy at peak without the cache",
            load.queries_per_s_without * db_ms / 1000,
            "connections",
            "L_db = queries/s without the cache · s per call",
            (("queries/s", load.queries_per_s_without), ("s per call", db_ms / 1000)),
            LITTLE,
        ),
    ]
    return figures


def _calls(load: CacheLoad) -> float:
    return load.queries_per_s_without / load.peak_rps if load.peak_rps else 0.0
