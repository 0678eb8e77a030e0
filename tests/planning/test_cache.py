"""planning/cache.py: the TTL cache's hit ratio, and the database sized for writes + misses.

The properties: a cache never raises the database's load (queries/s, busy connections,
replicas), the hit ratio grows with the TTL and the read rate, and the bucketed Zipf sum agrees
with the plain sum.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Requirements, plan, preset
from pyt_arch_kit.planning.cache import ZIPF_ALPHA, cache_load, ttl_hit_ratio
from pyt_arch_kit.planning.model import Cache
from tests.planning import req
from tests.test_properties import requirements

#: The issue's read-heavy API: 20,000 req/s, 95 % reads, 30 s of staleness allowed.
READ_HEAVY = {
    "scale": {"peak_rps": 20000, "read_ratio": 0.95},
    "consistency": {"priority": "availability", "stale_read_tolerance_s": 30},
}


def _plain(lookups: float, ttl: float, keys: int, alpha: float = ZIPF_ALPHA) -> float:
    weights = [i**-alpha for i in range(1, keys + 1)]
    total = math.fsum(weights)
    return math.fsum(
        w / total * (lookups * w / total * ttl) / (1 + lookups * w / total * ttl) for w in weights
    )


# -- the model ---------------------------------------------------------------------------------


def test_one_key_hits_all_but_the_refill_of_each_ttl() -> None:
    """λT = 1,000 reads per TTL on one key: one miss refills it, H = 1000 / 1001."""
    hit, cached = ttl_hit_ratio(100.0, 10.0, 1)
    assert hit == pytest.approx(1000 / 1001)
    assert cached == pytest.approx(1000 / 1001)


@pytest.mark.parametrize(("lookups", "ttl", "keys"), [(5000, 5, 20_000), (300, 60, 9_000)])
def test_bucketed_sum_agrees_with_the_plain_sum(lookups: float, ttl: float, keys: int) -> None:
    assert ttl_hit_ratio(lookups, ttl, keys)[0] == pytest.approx(
        _plain(lookups, ttl, keys), rel=0.005
    )


@given(
    st.floats(min_value=0.1, max_value=1e6),
    st.floats(min_value=0.1, max_value=3600),
    st.integers(min_value=1, max_value=10**9),
    st.floats(min_value=1.01, max_value=10),
)
def test_hit_ratio_grows_with_ttl_and_rate_and_stays_a_ratio(
    lookups: float, ttl: float, keys: int, factor: float
) -> None:
    hit = ttl_hit_ratio(lookups, ttl, keys)[0]
    assert 0.0 <= hit <= 1.0
    assert ttl_hit_ratio(lookups, ttl * factor, keys)[0] >= hit - 1e-12
    assert ttl_hit_ratio(lookups * factor, ttl, keys)[0] >= hit - 1e-12
    assert ttl_hit_ratio(lookups, ttl, keys * 2)[0] <= hit + 1e-12  # more keys, fewer hits


#: 1,000 req/s, 90 % reads over 100,000 keys of 4 KB with a 30 s TTL.
_LOAD: dict[str, Any] = {
    "ttl_s": 30,
    "peak_rps": 1000,
    "read_ratio": 0.9,
    "keys": 100_000,
    "payload_kb": 4,
}


def test_an_in_process_cache_hits_less_than_one_shared_cache() -> None:
    """Each of 16 processes sees 1/16 of the reads: each key is refilled 16 times per TTL."""
    shared = cache_load(cache=Cache.REDIS, calls_per_request=1, processes=16, **_LOAD)
    local = cache_load(cache=Cache.LOCAL, calls_per_request=1, processes=16, **_LOAD)
    assert local.lookups_per_s == pytest.approx(900 / 16)
    assert local.hit_ratio < shared.hit_ratio
    assert local.queries_per_s > shared.queries_per_s


def test_a_measured_hit_ratio_replaces_the_model() -> None:
    load = cache_load(
        cache=Cache.REDIS, calls_per_request=2, processes=4, measured_hit_ratio=0.5, **_LOAD
    )
    # writes 100 + read misses 900 × 0.5 = 550 req/s, × 2 calls
    assert load.measured and load.queries_per_s == pytest.approx(1100.0)
    assert load.queries_per_s_without == pytest.approx(2000.0)


# -- the plan ----------------------------------------------------------------------------------


def test_the_read_heavy_api_sizes_the_database_for_misses() -> None:
    """Without the cache: 20,000 × 2 calls × 5 ms = 200 busy connections and 5 replicas.
    With it, the busy connections, replicas and queries/s are the writes + the misses."""
    p = plan(req(**READ_HEAVY))
    db = p.database
    assert db is not None and db.cache is Cache.REDIS and db.cache_ttl_s == 30
    hit = p.figure("cache_hit_ratio").value
    assert 0.3 < hit < 0.9
    assert p.figure("db_busy_connections_without_cache").value == pytest.approx(200.0)
    queries = (1000 + 19000 * (1 - hit)) * 2
    assert p.figure("db_queries_per_s").value == pytest.approx(queries)
    assert p.figure("db_queries_per_s_without_cache").value == pytest.approx(40000.0)
    assert db.db_busy_connections == pytest.approx(queries * 0.005)
    assert db.read_replicas_without_cache == 5
    assert db.read_replicas == math.ceil(19000 * (1 - hit) / 3000) - 1
    saved = p.figure("read_replicas_saved")
    assert saved.value == 5 - db.read_replicas
    assert "INFOCOM 2003" in p.figure("cache_hit_ratio").source
    assert "Zipf" in p.figure("cache_hit_ratio").source


def test_a_larger_working_set_leaves_the_database_more() -> None:
    small = plan(req(**READ_HEAVY, workload={"cache_keys": 10_000}))
    large = plan(req(**READ_HEAVY, workload={"cache_keys": 100_000_000}))
    assert small.database is not None and large.database is not None
    assert small.database.cache_hit_ratio > large.database.cache_hit_ratio
    assert small.database.db_busy_connections < large.database.db_busy_connections


def test_the_key_count_is_an_assumption_only_where_a_cache_can_be_planned() -> None:
    fields = {a.field for a in Requirements.parse(READ_HEAVY).resolved()[1]}
    assert "workload.cache_keys" in fields
    strong = Requirements.parse({"consistency": {"priority": "strong"}})
    assert "workload.cache_keys" not in {a.field for a in strong.resolved()[1]}
    measured = Requirements.parse({**READ_HEAVY, "workload": {"cache_hit_ratio": 0.9}})
    assert "workload.cache_keys" not in {a.field for a in measured.resolved()[1]}


@given(requirements(), st.one_of(st.none(), st.integers(min_value=1, max_value=10**12)))
def test_a_cache_never_raises_the_database_load(r: Requirements, keys: int | None) -> None:
    """Queries/s, busy connections and replicas with the plan's cache ≤ without it."""
    p = plan(r if keys is None else r._with("workload.cache_keys", keys))
    db = p.database
    if db is None:
        return
    assert db.db_queries_per_s <= db.db_queries_per_s_without_cache + 1e-9
    ms = p.resolved.workload.db_ms_per_call / 1000
    assert db.db_busy_connections <= db.db_queries_per_s_without_cache * ms + 1e-9
    assert db.read_replicas <= db.read_replicas_without_cache
    assert 0.0 <= db.cache_hit_ratio <= 1.0
    if db.cache not in (Cache.REDIS, Cache.LOCAL):
        assert db.db_queries_per_s == pytest.approx(db.db_queries_per_s_without_cache)


@given(requirements(), st.floats(min_value=0.0, max_value=1.0))
def test_a_higher_measured_hit_ratio_never_raises_the_load(r: Requirements, more: float) -> None:
    base = r.resolved()[0]
    low = plan(base._with("workload.cache_hit_ratio", more / 2))
    high = plan(base._with("workload.cache_hit_ratio", more))
    if low.database is None or high.database is None:
        return
    assert high.database.db_queries_per_s <= low.database.db_queries_per_s + 1e-9
    assert high.database.db_busy_connections <= low.database.db_busy_connections + 1e-9
    assert high.database.read_replicas <= low.database.read_replicas


def test_moving_to_a_shared_cache_can_lower_the_database_load() -> None:
    """At 200 req/s the plan trades one in-process cache per worker for one shared Redis,
    whose keys are refilled once per TTL instead of once per process: the database's load
    drops at that step although the request rate rose (why the monotone property compares
    plans with the same cache)."""
    stale = {"stale_read_tolerance_s": 30}
    keys = {"cache_keys": 20_000}  # enough reuse that both caches are worth building
    below = plan(
        req(scale={"peak_rps": 199, "read_ratio": 0.9}, consistency=stale, workload=keys)
    ).database
    above = plan(
        req(scale={"peak_rps": 200, "read_ratio": 0.9}, consistency=stale, workload=keys)
    ).database
    assert below is not None and above is not None
    assert (below.cache, above.cache) == (Cache.LOCAL, Cache.REDIS)
    assert above.cache_hit_ratio > below.cache_hit_ratio
    assert above.db_busy_connections < below.db_busy_connections


def test_a_cache_the_model_says_rarely_hits_is_left_out_unless_measured() -> None:
    """Issue 20: Redis was recommended at a modelled 8 % hit ratio. The plan leaves it out
    (measure first) and sizes the database for every read; a measurement or keys that
    concentrate bring it back."""
    base = preset("io-bound-api").model_dump()

    def cache(**workload: object) -> Cache:
        data = {**base, "workload": {**base["workload"], **workload}}
        db = plan(Requirements.model_validate(data)).database
        assert db is not None
        return db.cache

    assert cache() is Cache.MEASURE_FIRST  # 83 M keys at a 5 s TTL: the model gives ~8 %
    assert cache(cache_keys=5_000) is Cache.REDIS  # reads concentrate on few keys
    assert cache(cache_hit_ratio=0.1) is Cache.REDIS  # a measurement is the user's call


def test_a_plan_without_a_read_cache_gets_no_cache_warning() -> None:
    p = plan(preset("payments-ledger"))  # strong consistency: no cache for mutable data
    assert p.database is not None and p.database.cache is Cache.NONE_STRONG
    assert "the cache may take little load off the database" not in [f.title for f in p.findings]
