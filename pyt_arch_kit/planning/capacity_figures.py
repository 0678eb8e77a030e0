"""The capacity plan's figures: every number with its formula, inputs and source."""

from __future__ import annotations

from pyt_arch_kit.planning.choices import QueueScope
from pyt_arch_kit.planning.connections import holds_sockets, socket_instances
from pyt_arch_kit.planning.latency import Queue, service_times, slowest_call, spread
from pyt_arch_kit.planning.model import CapacityPlan, Figure
from pyt_arch_kit.planning.queueing import ALLEN_CUNNEEN, DEAN_BARROSO, ERLANG, LITTLE
from pyt_arch_kit.requirements import Balancer
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["SEND_S", "capacity_figures", "push_cores", "push_sends_per_s"]

_DENNING_BUZEN = "utilisation law, U = X · S (Denning & Buzen, 1978)"
_TAIL = (
    "T = W + S: W from Allen–Cunneen (Erlang C, conditional wait exponential), S = CPU + IO "
    "as a gamma fitted to mean and cv; P(T > t) by numerical convolution (regularized "
    "incomplete gamma, Press et al., Numerical Recipes, 2007, §6.2)"
)


#: CPU per WebSocket send of one message to one socket, sized at the upper end of the 25–250 µs
#: measured on this stack (uvicorn, websockets, permessage-deflate on: each socket compresses
#: its own copy): replace it with a measurement of yours.
SEND_S = 250e-6
SEND_SOURCE = (
    "0.4–4.2 s per broadcast to 16,667 sockets measured on this stack (uvicorn, websockets), "
    "25–250 µs per send; sized at 250 µs (permessage-deflate compresses per socket: websockets "
    "docs, “Compression”)"
)


def push_sends_per_s(req: ResolvedRequirements) -> float:
    """Socket sends a second at peak: pushed messages × the sockets each reaches (every
    connected user when ``workload.sockets_per_message`` is not given, and never more than
    are connected); 0 without sockets."""
    if not holds_sockets(req):
        return 0.0
    w, users = req.workload, req.scale.concurrent_users
    return w.messages_per_s * min(w.sockets_per_message or users, users)


def push_cores(req: ResolvedRequirements) -> float:
    """Cores busy sending pushed messages at peak: sends/s × CPU per send (:data:`SEND_S`)."""
    return push_sends_per_s(req) * SEND_S


def capacity_figures(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    queue: Queue,
    base: int,
    theta_s: float,
    ceilings: tuple[float, float, float],
) -> list[Figure]:
    """The figures of a capacity plan; ``ceilings`` = (U_target, U_failover, SLO % for N+1)."""
    target_u, failover, slo_pct = ceilings
    peak = req.scale.peak_rps
    cpu_ms, io_ms = service_times(req)
    sends = push_sends_per_s(req)
    cpi = cap.cores_per_instance
    target = req.latency.p99_ms
    queues = cap.instances * queue.queues_per_instance
    fanout = req.workload.fanout_calls
    slowest = slowest_call(io_ms, cap.service_cv, fanout)
    waited_ms = io_ms if slowest is None else slowest.expected_s * 1000
    held_ms = cpu_ms + waited_ms if queue.holds_io else cpu_ms
    split_queues, split_servers, ca2 = spread(queue, cap.instances)
    balancer = queue.balancer.value.replace("_", " ")
    t_is = "W + S" if slowest is None else f"W + CPU + slowest of {fanout} calls"
    per = (
        f"per {queue.per}"
        if cap.queue is not QueueScope.NONE
        else "no queue (no CPU time or no requests)"
    )
    floor = socket_instances(req, req.scale.concurrent_users, cap.redundancy_required)
    sockets: tuple[tuple[str, float | str], ...] = (
        (("instances for open sockets (memory, N+1)", floor),) if floor else ()
    )
    figures = [
        Figure(
            "in_flight",
            "Requests in flight at peak",
            cap.in_flight,
            "requests",
            "L = λ · W",
            (("λ (peak req/s)", peak), ("W (s in system)", cap.service_ms / 1000)),
            LITTLE,
        ),
        Figure(
            "busy_cores",
            "CPU cores busy at peak",
            cap.busy_cores,
            "cores",
            "busy = λ · CPU s per request"
            + (" + messages/s · sockets per message · s per send" if sends else ""),
            (("λ (peak req/s)", peak), ("CPU s per request", cpu_ms / 1000))
            + (
                (
                    ("messages/s (workload.messages_per_s)", req.workload.messages_per_s),
                    ("sockets per message", sends / req.workload.messages_per_s),
                    ("s per send", SEND_S),
                )
                if sends
                else ()
            ),
            _DENNING_BUZEN + (f"; {SEND_SOURCE}" if sends else ""),
        ),
        Figure(
            "cores",
            "Cores to provision",
            cap.cores,
            "cores",
            "instances · cores per instance",
            (("instances", cap.instances), ("cores per instance", cpi)),
            "headroom below ρ ≈ 0.8, where M/M/c waits climb (" + ERLANG + ")",
        ),
        Figure(
            "instances",
            "Application instances",
            cap.instances,
            "instances",
            "max(⌈busy / (c · U_target)⌉, N+1: survivors of a zone loss ≤ U_failover"
            + (", survivors hold every socket: ⌈users / sockets per instance⌉" if floor else "")
            + "), + more (bisection) while the p99 misses, up to 4× + 4",
            (
                ("busy cores", cap.busy_cores),
                ("cores per instance", cpi),
                ("U_target", target_u),
                ("U_failover", failover if cap.redundancy_required else "n/a"),
                ("base (utilisation and N+1)", base),
                *sockets,
            ),
            "N+1 redundancy across zones; " + ERLANG,
        ),
        Figure(
            "utilisation",
            "Core utilisation at peak",
            cap.utilisation,
            "",
            "ρ = busy / cores",
            (("busy cores", cap.busy_cores), ("cores", cap.cores)),
            ERLANG,
        ),
        Figure(
            "utilisation_after_failure",
            "Core utilisation after losing " + ("a zone" if cap.zones > 1 else "the instance"),
            cap.utilisation_after_failure,
            "",
            "busy / (survivors · cores per instance), survivors = N − ⌈N / zones⌉",
            (
                ("busy cores", cap.busy_cores),
                ("instances", cap.instances),
                ("zones", cap.zones),
                ("survivors", cap.instances_after_failure),
            ),
            "N+1 at the SLO: survivors stay below "
            + f"{failover:g} when the SLO is ≥ {slo_pct:g} %",
        ),
        Figure(
            "queue_utilisation",
            f"Utilisation of the {queue.server}s requests queue for",
            cap.queue_utilisation,
            "",
            "λ · s held / (queues · c)",
            (
                ("λ (peak req/s)", peak),
                ("s held (ms)", held_ms),
                ("queues", queues),
                ("c per queue", queue.servers),
            ),
            _DENNING_BUZEN + "; " + queue.why,
        ),
        Figure(
            "arrival_cv2",
            f"Arrival variability at each queue ({balancer} balancer)",
            ca2,
            "",
            {
                Balancer.RANDOM: "Ca² = 1: a random split leaves each queue Poisson arrivals",
                Balancer.ROUND_ROBIN: "Ca² = (1/w)(1/n) + (1 − 1/w): round robin over n "
                "instances (Erlang-n), then a random 1/w to each of w worker queues",
                Balancer.LEAST_OUTSTANDING: "one shared queue over every server of the fleet "
                "(join the shortest queue ≈ a central queue), Poisson arrivals",
            }[queue.balancer],
            (
                ("instances n", cap.instances),
                ("queues per instance w", queue.queues_per_instance),
                ("queues", split_queues),
                ("servers per queue", split_servers),
            ),
            "infrastructure.balancer; M. Harchol-Balter, “Performance Modeling and Design of "
            "Computer Systems”, 2013, ch. 24 (task assignment in server farms); " + ALLEN_CUNNEEN,
        ),
        Figure(
            "wait_probability",
            "Probability a request queues",
            cap.wait_probability,
            "",
            f"C(c, a) (Erlang C), {per}",
            (
                ("c", split_servers),
                (
                    "a = λ · s held per queue",
                    peak / split_queues * held_ms / 1000 if split_queues else 0.0,
                ),
            ),
            ERLANG,
        ),
        Figure(
            "queue_wait_p99_ms",
            f"p99 wait in the queue ({queue.server})",
            cap.queue_wait_p99_ms,
            "ms",
            "t₉₉ = θ · ln(C / 0.01), θ = (Ca² + Cs²) / 2 / (c/s − λ)",
            (
                ("C", cap.wait_probability),
                ("Ca²", ca2),
                ("θ (ms)", theta_s * 1000),
                ("Cs (service cv)", cap.service_cv),
            ),
            ALLEN_CUNNEEN,
        ),
        Figure(
            "p50_estimate_ms",
            "Estimated p50 latency",
            cap.p50_ms,
            "ms",
            f"P(T > t) = 0.5, T = {t_is}",
            (("CPU ms", cpu_ms), ("IO wait ms", io_ms), ("cv", cap.service_cv)),
            _TAIL,
        ),
        Figure(
            "p99_estimate_ms",
            "Estimated p99 latency",
            cap.p99_ms,
            "ms",
            f"P(T > t) = 0.01, T = {t_is} ({per})",
            (
                ("CPU ms", cpu_ms),
                ("IO wait ms" if slowest is None else "IO ms per parallel call", io_ms),
                *((("parallel calls", fanout),) if slowest is not None else ()),
                ("cv of CPU and IO", cap.service_cv),
                ("P(wait)", cap.wait_probability),
                ("θ (ms)", theta_s * 1000),
                ("target p99 ms", target),
            ),
            _TAIL + "; " + ALLEN_CUNNEEN,
        ),
        Figure(
            "p99_after_failure_ms",
            "Estimated p99 after losing " + ("a zone" if cap.zones > 1 else "the instance"),
            cap.p99_after_failure_ms,
            "ms",
            "P(T > t) = 0.01 on the survivors",
            (("survivors", cap.instances_after_failure), ("target p99 ms", target)),
            _TAIL,
        ),
        Figure(
            "headroom_rps",
            "Extra req/s before cores or queue servers pass 80 % busy",
            cap.headroom_rps,
            "req/s",
            "min(0.8 · cores / CPU s, 0.8 · servers / s held) − λ",
            (("cores", cap.cores), ("CPU s per request", cpu_ms / 1000), ("λ", peak)),
            ERLANG,
        ),
    ]
    if slowest is not None:
        figures.append(
            Figure(
                "slowest_call_p99_ms",
                f"p99 of the slowest of {fanout} parallel calls",
                slowest.quantile(0.99) * 1000,
                "ms",
                "F_X⁻¹(0.99^{1/N}): P(max of N ≤ t) = F_X(t)ᴺ, X a gamma of the call's mean "
                "and cv (it is in the p99 above, convolved with the wait and the CPU)",
                (
                    ("N (parallel calls)", fanout),
                    ("ms per call", io_ms),
                    ("cv", cap.service_cv),
                    ("mean of the slowest ms", waited_ms),
                ),
                "order statistics of independent calls; " + DEAN_BARROSO,
            )
        )
    if fanout > 0:
        figures.append(
            Figure(
                "fanout_slow_probability",
                "Chance a request waits on a backend's p99 tail",
                cap.fanout_slow_probability,
                "",
                "1 − 0.99ᴺ",
                (("N (parallel calls)", fanout),),
                DEAN_BARROSO,
            )
        )
    return figures
