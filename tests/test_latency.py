"""The p99 model: what queues, service-time variability, IO as a distribution, checked against
closed forms and against a discrete-event simulation (ciw), never against our own numbers."""

from __future__ import annotations

import math

import pytest

from pyt_arch_kit import Requirements, plan, preset
from pyt_arch_kit.planning.queueing import erlang_c, mgc_wait
from pyt_arch_kit.planning.tail import ResponseTime, regularized_gamma
from tests.planning.test_queueing import erlang_c_in_logs


def req(**sections: object) -> Requirements:
    return Requirements.parse(dict(sections))


# -- the building blocks --------------------------------------------------------------------


@pytest.mark.parametrize(("a", "x"), [(1.0, 0.3), (1.0, 4.0), (3.0, 1.0), (3.0, 9.0)])
def test_regularized_gamma_matches_the_erlang_cdf(a: float, x: float) -> None:
    # Integer shape: Q(n, x) = e^{−x} Σ_{k<n} x^k / k!
    expected_q = math.exp(-x) * sum(x**k / math.factorial(k) for k in range(int(a)))
    p, q = regularized_gamma(a, x)
    assert q == pytest.approx(expected_q, rel=1e-10)
    assert p + q == pytest.approx(1.0)


def test_mm1_response_time_is_exponential_with_rate_mu_minus_lambda() -> None:
    # M/M/1: T ~ Exp(μ − λ) exactly, so p99 = ln(100) / (μ − λ).
    prob, _mean, theta = mgc_wait(125.0, 0.004, 1, 1.0)
    rt = ResponseTime(prob, theta, 0.004, 1.0)
    assert rt.quantile(0.99) == pytest.approx(math.log(100) / (250 - 125), rel=1e-6)
    assert rt.quantile(0.5) == pytest.approx(math.log(2) / (250 - 125), rel=1e-6)


def test_md1_mean_wait_is_pollaczek_khinchine() -> None:
    # M/D/1 at ρ = 0.6, S = 10 ms: Wq = ρ S / (2 (1 − ρ)) = 7.5 ms
    _prob, mean, _theta = mgc_wait(60.0, 0.010, 1, 0.0)
    assert mean == pytest.approx(0.0075)


def test_mm8_at_rho_half_with_40_ms_mean_has_a_p99_near_185_ms() -> None:
    """The issue's worked check: the tail of exponential service dominates, not the wait."""
    prob, _mean, theta = mgc_wait(100.0, 0.040, 8, 1.0)
    p99 = ResponseTime(prob, theta, 0.040, 1.0).quantile(0.99) * 1000
    assert 180 < p99 < 190


@pytest.mark.parametrize(("c", "a"), [(1500, 1400.0), (4000, 3990.0), (20_000, 19_500.0)])
def test_erlang_c_past_the_recursion_matches_the_textbook_formula(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(erlang_c_in_logs(c, a), rel=1e-8)


def test_erlang_c_stays_bounded_for_huge_server_counts() -> None:
    assert 0.0 <= erlang_c(10**12, 0.999_999 * 10**12) <= 1.0
    assert erlang_c(10**9, 10.0) == 0.0


# -- against a discrete-event simulation ----------------------------------------------------


def _simulated_p99(
    lam: float, servers: int, held_s: float, held_cv: float, extra_s: float, cv: float
) -> float:
    """p99 of wait + service at an M/G/c FCFS queue (ciw), plus IO that holds no server."""
    ciw = pytest.importorskip("ciw")
    np = pytest.importorskip("numpy")
    shape = 1 / held_cv**2
    ciw.seed(7)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Gamma(shape, held_s / shape)],
        number_of_servers=[servers],
    )
    sim = ciw.Simulation(network)
    horizon = 60_000 / lam
    sim.simulate_until_max_time(horizon)
    records = [r for r in sim.get_all_records() if r.arrival_date > horizon * 0.05]
    times = np.array([r.waiting_time + r.service_time for r in records])
    if extra_s:
        rng = np.random.default_rng(7)
        times = times + rng.gamma(1 / cv**2, extra_s * cv**2, len(times))
    return float(np.quantile(times, 0.99))


@pytest.mark.parametrize(
    ("name", "lam", "servers", "cpu", "io", "cv", "holds_io"),
    [
        ("event loop per worker, IO overlapped", 100.0, 1, 0.004, 0.036, 1.0, False),
        ("sync workers per instance, IO held", 200 / 3, 8, 0.040, 0.004, 1.0, True),
        ("busy event loop, low variance", 600.0, 1, 0.001, 0.004, 0.5, False),
        ("process pool of 3, heavy tails", 150.0, 3, 0.010, 0.020, 1.5, False),
    ],
)
def test_p99_model_agrees_with_a_simulation(
    name: str, lam: float, servers: int, cpu: float, io: float, cv: float, holds_io: bool
) -> None:
    total_cv = cv * math.hypot(cpu, io) / (cpu + io)
    held, held_cv = (cpu + io, total_cv) if holds_io else (cpu, cv)
    prob, _mean, theta = mgc_wait(lam, held, servers, held_cv)
    model = ResponseTime(prob, theta, cpu + io, total_cv).quantile(0.99)
    simulated = _simulated_p99(lam, servers, held, held_cv, 0.0 if holds_io else io, cv)
    assert model == pytest.approx(simulated, rel=0.08), name


# -- what the plan says ---------------------------------------------------------------------


def test_cpu_inference_no_longer_claims_met_at_150_ms() -> None:
    cap = plan(preset("cpu-inference")).capacity
    assert cap.p99_ms > 150
    assert not cap.meets_p99


def test_event_loops_queue_per_worker() -> None:
    """io-bound-api: each uvicorn worker is a G/G/1 queue on CPU (cv 1), its arrivals a random
    quarter of its instance's round-robin share (Ca² = (1/4)(1/5) + 3/4 = 0.8), so its p99 wait
    is θ · ln(ρ / 0.01), θ = (Ca² + 1) / 2 / (μ − λ_worker) — not the much smaller wait of one
    queue per instance."""
    p = plan(preset("io-bound-api"))
    cap = p.capacity
    workers = cap.instances * p.concurrency.workers_per_instance
    lam = 2000 / workers
    mu = 1000 / 4
    rho = lam / mu
    ca2 = (1 / 4) * (1 / cap.instances) + 3 / 4
    assert cap.queue == "worker"
    theta = (ca2 + 1) / 2 / (mu - lam)
    assert cap.queue_wait_p99_ms == pytest.approx(math.log(rho / 0.01) * theta * 1000)
    shared = mgc_wait(2000 / cap.instances, 0.004, p.concurrency.workers_per_instance, 1.0)
    shared_p99 = shared[2] * math.log(shared[0] / 0.01) * 1000 if shared[0] > 0.01 else 0.0
    assert cap.queue_wait_p99_ms > 3 * shared_p99


def test_sync_workers_queue_per_instance_and_are_held_by_io() -> None:
    p = plan(preset("cpu-inference"))
    assert p.capacity.queue == "instance"
    assert p.capacity.queue_servers == p.concurrency.workers_per_instance
    # the workers are busy for CPU + IO, so they are busier than the cores
    assert p.capacity.queue_utilisation > p.capacity.utilisation


def test_io_wait_is_a_distribution_not_a_constant() -> None:
    """Doubling IO with no CPU (no queue at all) moves the p99 by the IO's own tail (≈ 4.6×
    its mean at cv 1), not by the mean added to a percentile."""
    base = {"scale": {"peak_rps": 10}, "latency": {"p99_ms": 10_000}}
    short = plan(req(**base, workload={"cpu_ms_per_request": 0.0, "io_wait_ms_per_request": 20}))
    long = plan(req(**base, workload={"cpu_ms_per_request": 0.0, "io_wait_ms_per_request": 40}))
    assert short.capacity.p99_ms == pytest.approx(20 * math.log(100), rel=0.02)
    assert long.capacity.p99_ms - short.capacity.p99_ms == pytest.approx(
        20 * math.log(100), rel=0.02
    )


def test_lower_variability_lowers_the_p99() -> None:
    shape = {"scale": {"peak_rps": 500}, "latency": {"p99_ms": 1000}}
    p99s = [
        plan(
            req(
                **shape,
                workload={
                    "cpu_ms_per_request": 5,
                    "io_wait_ms_per_request": 30,
                    "service_cv": cv,
                },
            )
        ).capacity.p99_ms
        for cv in (0.2, 1.0, 2.0)
    ]
    assert p99s == sorted(p99s)
    assert p99s[0] < 0.5 * p99s[1]


def test_an_unreachable_target_names_each_lever_and_each_lever_works() -> None:
    p = plan(preset("cpu-inference"))
    lev = p.capacity.levers
    assert lev is not None
    assert lev.instances is None  # no count can: the request's own tail is the problem
    assert lev.floor_ms > 150
    finding = next(f for f in p.findings if "p99 target is not met" in f.title)
    assert "no instance count can meet" in finding.detail
    base = preset("cpu-inference")
    assert lev.service_cv is not None and lev.cpu_ms is not None
    calmer = base.model_copy(
        update={"workload": base.workload.model_copy(update={"service_cv": lev.service_cv})}
    )
    leaner = base.model_copy(
        update={"workload": base.workload.model_copy(update={"cpu_ms_per_request": lev.cpu_ms})}
    )
    looser = base.model_copy(
        update={"latency": base.latency.model_copy(update={"p99_ms": math.ceil(lev.target_ms)})}
    )
    for fixed in (calmer, leaner, looser):
        assert plan(fixed).capacity.meets_p99


def test_a_target_only_more_instances_meet_is_met_by_bisection() -> None:
    base = {
        "scale": {"peak_rps": 300},
        "workload": {"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0, "service_cv": 0.1},
        "infrastructure": {"cores_per_instance": 2},
        "latency": {"p50_ms": 10, "p99_ms": 14},
    }
    p = plan(Requirements.parse(base))
    assert p.capacity.meets_p99 and p.capacity.p99_ms <= 14
    fewer = p.capacity.instances - 1
    from pyt_arch_kit.planning.capacity import survivors
    from pyt_arch_kit.planning.latency import meets, queue_for, response_time

    queue = queue_for(p.requirements, p.concurrency)
    # the smallest count that meets it after a zone loss too (N+1), not just one that does
    assert meets(response_time(300, 10, 0, 0.1, queue, p.capacity.instances_after_failure), 14)
    assert not meets(response_time(300, 10, 0, 0.1, queue, survivors(fewer)), 14)


# -- N+1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["grpc-internal", "cpu-inference", "io-bound-api"])
def test_losing_a_zone_keeps_the_survivors_under_the_ceiling(name: str) -> None:
    cap = plan(preset(name)).capacity
    assert cap.redundancy_required
    assert cap.zones >= 2 and cap.instances >= 2
    assert cap.utilisation_after_failure <= 0.8
    lost = math.ceil(cap.instances / cap.zones)
    assert cap.instances_after_failure == cap.instances - lost


def test_grpc_internal_no_longer_runs_at_125_percent_after_a_loss() -> None:
    cap = plan(preset("grpc-internal")).capacity
    assert cap.busy_cores / (cap.instances_after_failure * cap.cores_per_instance) <= 0.8


def test_a_single_instance_is_not_spread_across_zones() -> None:
    cap = plan(preset("internal-tool-pushback")).capacity
    assert cap.instances == 1 and cap.zones == 1
    assert not cap.redundancy_required  # a 99.5 % SLO
