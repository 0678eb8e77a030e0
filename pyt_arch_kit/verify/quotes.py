"""Where a design quotes one of its plan's figures, and whether the number matches.

A number counts as *quoting a figure* only in one of the patterns below: a setting named in
code or prose (``pool_size=5``, ``workers = 4``, ``max_overflow: int = 1``), or a number bound to
the figure's own noun phrase (``4 instance(s) × 4 cores``, ``18 connections busy at peak``,
``Estimated p99 45.71 ms``, ``pool 3+1``, ``64 ≤ 180 usable``), or the value cell of a table row
whose first cell is a plan figure's label. Every other number (a timeout, a year, a retry count,
a threshold such as "80 % busy", "3 instances after losing one") is left alone, and so is a
number the same line calls a default ("SQLAlchemy's default pool_size=5"), so the check flags a
wrong figure without flagging unrelated numbers.

A quoted number matches when it equals the plan's value within the precision it is written
with: ``45.71`` matches 45.712, ``0.1`` matches 0.125, ``20`` matches 20.4. After *about*, *≈*
or *~*, trailing zeros are rounding too (``about 1,200`` matches 1,234).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = ["FIGURES", "Quote", "find_quotes", "plan_values"]

#: What each figure key is, for people (used in messages).
FIGURES: dict[str, str] = {
    "instances": "application instances",
    "cores_per_instance": "cores per instance",
    "cores": "cores provisioned",
    "busy_cores": "cores busy at peak",
    "in_flight": "requests in flight at peak",
    "in_flight_per_instance": "requests in flight per instance",
    "in_flight_per_worker": "requests in flight per worker",
    "p99_ms": "estimated p99 (ms)",
    "p99_target_ms": "p99 target (ms)",
    "utilisation_pct": "core utilisation at peak (%)",
    "target_utilisation_pct": "target utilisation (%)",
    "headroom_rps": "headroom above peak (req/s)",
    "peak_rps": "peak load (req/s)",
    "workers_per_instance": "worker processes per instance",
    "processes": "worker processes in all",
    "threads": "threads per worker",
    "process_pool_workers": "process-pool workers",
    "pool_size": "pool size per process",
    "max_overflow": "pool overflow per process",
    "per_process": "connections per process (pool + overflow)",
    "total_connections": "connections all workers may open",
    "usable_connections": "usable database connections",
    "reserved_connections": "reserved database connections",
    "db_busy_connections": "database connections busy at peak",
    "useful_connections": "connections the database serves well",
    "read_replicas": "read replicas",
    "cache_ttl_s": "cache TTL (s)",
    "data_gb": "data per run (GB)",
    "ram_gb": "RAM pandas would need (GB)",
}

#: A number as written: ``5``, ``1,200``, ``45.71``, ``1.55e-258`` (never the tail of another).
_NUM = r"(?<![\w.,])(?<!\de[-+])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?"
_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_TENS |= {"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
#: Every number word up to 99 (``fifty``, ``forty-two``, ``forty two``).
_WORDS |= _TENS
_WORDS |= {
    f"{tens}{sep}{unit}": value + _WORDS[unit]
    for tens, value in _TENS.items()
    for unit in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    for sep in ("-", " ")
}
_INST = r"instances?(?:\(s\))?"
_NOT_IN_NAME = r"(?<![\w.])"

#: The patterns that quote figures; ``{key}`` is a number, ``{key:w}`` also a number word.
_PATTERNS: tuple[str, ...] = (
    # instances and their size
    rf"{{instances:w}} {_INST} (?:×|x|of|with) {{cores_per_instance:w}}[ -]cores?",
    r"{instances:w} × {cores_per_instance}[ -]core (?:instances|machines|VMs|pods|nodes)",
    r"(?:across|running|deploy(?:s|ing)?|fits) {instances:w} (?:app(?:lication)? )?" + _INST,
    rf"{{instances:w}} {_INST} across \d+ (?:availability )?zones",
    rf"{{instances:w}} {_INST} at peak",
    r"{busy_cores} cores? busy",
    r"{cores} (?:cores )?provisioned",
    r"provision(?:ing)? {cores} cores",
    # load and latency
    r"{in_flight} requests? (?:are )?in flight(?!\s+per\b)",
    r"{in_flight_per_instance} requests? (?:are )?in flight per instance",
    r"{in_flight_per_worker} requests? (?:are )?in flight per worker",
    r"estimated (?:response[- ]time )?p99(?: latency)?(?: of| is|:)? ?(?:≈|~|=)? ?{p99_ms} ?ms",
    r"p99 estimate(?: of| is|:)? ?(?:≈|~|=)? ?{p99_ms} ?ms",
    r"target (?:of |is |= ?)?{p99_target_ms} ?ms",
    r"target p99(?: ms)? = {p99_target_ms}",
    r"at {utilisation_pct} ?% (?:core )?utili[sz]ation",
    r"target ≤ {target_utilisation_pct} ?%",
    r"utili[sz]ation stays above {target_utilisation_pct} ?%",
    r"{headroom_rps} req/s above peak",
    r"{peak_rps} req/s peak",
    r"peak of {peak_rps} req/s",
    # workers
    r"{workers_per_instance:w} (?:[\w-]+ )?(?:workers|processes) per instance",
    r"instance's {workers_per_instance:w} (?:[\w-]+ )?(?:workers|processes)",
    r"{instances:w} × {workers_per_instance:w} (?:[\w-]+ )?(?:workers|processes)",
    rf"{_NOT_IN_NAME}workers\s*=\s*{{workers_per_instance}}",
    r"--workers[= ]{workers_per_instance}",
    r"run {workers_per_instance:w} (?:[\w-]+ )?processes",
    rf"{_NOT_IN_NAME}threads\s*=\s*{{threads}}",
    r"--threads[= ]{threads}",
    r"ProcessPoolExecutor\(\s*(?:max_workers\s*=\s*)?{process_pool_workers}",
    r"ProcessPoolExecutor\W+{process_pool_workers} per worker",
    # the connection pool and the database
    rf"{_NOT_IN_NAME}pool_size\s*(?::\s*int\s*)?=\s*{{pool_size}}",
    rf"{_NOT_IN_NAME}max_overflow\s*(?::\s*int\s*)?=\s*{{max_overflow}}",
    r"pools? (?:of )?{pool_size} ?\+ ?{max_overflow}",
    r"pool size (?:of |is |= ?)?{pool_size}(?! ?%)",
    r"connections \({per_process} per process\)",
    rf"{_NOT_IN_NAME}max_pool_size\s*(?::\s*int\s*)?=\s*{{per_process}}",
    r"maxPoolSize\s*=\s*{per_process}\b",
    r"{processes} processes × {per_process} ≤ {usable_connections}",
    r"{processes} × {per_process} = {total_connections} ≤ {usable_connections}",
    r"at {total_connections} ≤ {usable_connections} usable",
    r"(?:past|≤|>|under|below|of) {usable_connections} usable",
    r"open up to {total_connections} connections, more than the {usable_connections} usable",
    r"{db_busy_connections} connections?(?:\(s\))? (?:are )?busy",
    r"keep {reserved_connections} connections reserved",
    rf"{_NOT_IN_NAME}reserved\s*=\s*{{reserved_connections}}",
    r"near {useful_connections} active connections",
    r"{read_replicas:w} read replicas?(?:\(s\))?",
    # the cache and the data
    r"cache[^.\n|]{{0,40}}?\bTTL {cache_ttl_s} ?s\b",
    r"^\s*TTL_S\s*=\s*{cache_ttl_s}",
    r"TTLCache\([^)]*\bttl\s*=\s*{cache_ttl_s}",
    r"{data_gb} GB per run",
    r"≈ {ram_gb} GB of RAM",
    r"needs ≈ {ram_gb} GB",
)


def _compile(pattern: str) -> re.Pattern[str]:
    words = r"\b(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b"

    def group(m: re.Match[str]) -> str:
        key, _, kind = m.group(1).partition(":")
        if key not in FIGURES:
            raise ValueError(f"unknown figure {key!r} in a quote pattern")
        alternatives = f"{_NUM}|{words}" if kind == "w" else _NUM
        return f"(?P<{key}>{alternatives})"

    # ``{{0,40}}`` is a literal quantifier; ``{key}`` a figure.
    body = re.sub(r"(?<!\{)\{([a-z_0-9]+(?::w)?)\}(?!\})", group, pattern)
    return re.compile(body.replace("{{", "{").replace("}}", "}"), re.I | re.M)


_COMPILED: tuple[re.Pattern[str], ...] = tuple(_compile(p) for p in _PATTERNS)
#: A number called a default ("SQLAlchemy's default pool_size=5") is not the design's figure.
_DEFAULT = re.compile(r"\bdefaults?\b", re.I)
_HAS_NUMBER = re.compile(r"\d|\b(?:" + "|".join(_WORDS) + r")\b", re.I)
_APPROX = re.compile(r"(?:≈|~|about|roughly|around|approximately)\s*$", re.I)


@dataclass(frozen=True)
class Quote:
    """One place a design quotes a plan figure.

    Attributes:
        figure: what the figure is, for people (``"pool size per process"``).
        section: the section the quote is in.
        text: the words that quote it, as written.
        quoted: the number written.
        expected: the plan's value, or ``None`` if the plan has no such figure.
        tolerance: how far the written number may be from the plan's (its rounding).
    """

    figure: str
    section: str
    text: str
    quoted: float
    expected: float | None
    tolerance: float

    @property
    def ok(self) -> bool:
        """Whether the quoted number is the plan's, within its rounding."""
        return self.expected is not None and abs(self.quoted - self.expected) <= self.tolerance


def plan_values(plan: Plan) -> dict[str, float]:
    """The plan's figures under the keys the quote patterns use (absent when not planned)."""
    cap, conc, db, data, req = (
        plan.capacity,
        plan.concurrency,
        plan.database,
        plan.data,
        plan.resolved,
    )
    values: dict[str, float] = {
        "instances": cap.instances,
        "cores_per_instance": cap.cores_per_instance,
        "cores": cap.cores,
        "busy_cores": cap.busy_cores,
        "in_flight": cap.in_flight,
        "in_flight_per_worker": conc.in_flight_per_worker,
        "p99_ms": cap.p99_ms,
        "utilisation_pct": cap.utilisation * 100,
        "target_utilisation_pct": cap.target_utilisation * 100,
        "headroom_rps": cap.headroom_rps,
        "peak_rps": req.scale.peak_rps,
        "workers_per_instance": conc.workers_per_instance,
        "processes": cap.instances * conc.workers_per_instance,
        "threads": conc.threads_per_worker,
    }
    if cap.instances:
        values["in_flight_per_instance"] = cap.in_flight / cap.instances
    if req.latency.p99_ms is not None:
        values["p99_target_ms"] = req.latency.p99_ms
    if conc.process_pool_workers:
        values["process_pool_workers"] = conc.process_pool_workers
    if db is not None:
        values.update(
            pool_size=db.pool_size,
            max_overflow=db.max_overflow,
            per_process=db.pool_size + db.max_overflow,
            total_connections=db.total_connections,
            usable_connections=db.connection_limit - db.reserved_connections,
            reserved_connections=db.reserved_connections,
            db_busy_connections=db.db_busy_connections,
            useful_connections=db.useful_connections,
            read_replicas=db.read_replicas,
        )
        if db.cache_ttl_s:
            values["cache_ttl_s"] = db.cache_ttl_s
    if data is not None:
        values.update(data_gb=data.data_gb, ram_gb=data.ram_needed_gb)
    return values


def _number(written: str) -> float:
    word = _WORDS.get(written.lower())
    return float(word) if word is not None else float(written.replace(",", ""))


def _tolerance(written: str, before: str) -> float:
    """Half a unit in the last digit written (and of trailing zeros after "about")."""
    if written.lower() in _WORDS:
        return 0.5
    digits, _, exponent = written.replace(",", "").lower().partition("e")
    power = max(-400, min(400, int(exponent or 0)))  # 1e999 is data, not an overflow
    if "." in digits:
        power -= len(digits.split(".")[1])
    elif _APPROX.search(before):
        power += min(len(digits) - len(digits.rstrip("0")), len(digits) - 1)
    return 0.5 * 10.0 ** max(-400, min(300, power)) * (1 + 1e-9)


def _around(text: str, start: int, end: int) -> str:
    """The words just before and after a match, on its own line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return text[max(line_start, start - 40) : min(line_end, end + 25)]


def _plain(text: str) -> str:
    """Text as read: emphasis and code marks dropped, mermaid line breaks as spaces."""
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    return re.sub(r"[*`]", "", text)


def _table_quotes(section: str, text: str, labels: dict[str, float]) -> list[Quote]:
    out: list[Quote] = []
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or (key := cells[0].lower()) not in labels:
            continue
        m = re.search(_NUM, cells[1])
        if m is None:
            continue
        quoted = _number(m.group(0))
        scale = 100.0 if cells[1][m.end() :].lstrip().startswith("%") else 1.0
        out.append(
            Quote(
                figure=cells[0],
                section=section,
                text=f"| {cells[0]} | {cells[1]} |",
                quoted=quoted,
                expected=labels[key] * scale,
                tolerance=_tolerance(m.group(0), ""),
            )
        )
    return out


def find_quotes(sections: dict[str, str], plan: Plan) -> list[Quote]:
    """Every quote of a plan figure in the sections, in order, each with the plan's value.

    Args:
        sections: ``{section title: body}`` (the preamble may be keyed by any name).
        plan: the plan the design was written from.
    """
    values = plan_values(plan)
    labels = {f.label.lower(): f.value for f in plan.figures}
    out: list[Quote] = []
    for section, body in sections.items():
        # Only lines with a number can quote one (and the patterns never span lines).
        text = "\n".join(ln for ln in _plain(body).splitlines() if _HAS_NUMBER.search(ln))
        seen: set[tuple[str, int]] = set()
        for pattern in _COMPILED:
            for m in pattern.finditer(text):
                for key, written in m.groupdict().items():
                    if written is None or (key, m.start(key)) in seen:
                        continue
                    seen.add((key, m.start(key)))
                    if _DEFAULT.search(_around(text, m.start(), m.end())):
                        continue
                    before = text[max(0, m.start(key) - 16) : m.start(key)]
                    expected = values.get(key)
                    out.append(
                        Quote(
                            figure=FIGURES[key],
                            section=section,
                            text=" ".join(m.group(0).split()),
                            quoted=_number(written),
                            expected=expected,
                            tolerance=_tolerance(written, before),
                        )
                    )
        out += _table_quotes(section, body, labels)
    return out
