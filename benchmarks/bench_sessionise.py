"""The streaming design's own state function, timed on one core: events/s per core.

``python benchmarks/bench_sessionise.py --python PATH`` takes the ``sessionise`` that the
streaming-pipeline preset's design hands out (``app/job.py``), and calls it the way
``applyInPandasWithState`` does, once per customer per trigger, on a pandas frame of that
customer's events, with an in-memory ``GroupState``. It prints the median events/s of one core
for 1, 2 and 5 events per customer per trigger (a click every few seconds is 1–2 in a 5 s
trigger). Spark's Arrow hand-off and the Kafka source come on top, so a full trigger is slower:
the figure is an upper bound for ``workload.consumer_mb_s`` (events/s × event KB / 1000).

``PATH`` is a Python with pandas (the design's stack; the project's dev venv has none).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, statistics, sys, time
import pandas as pd
src = open(sys.argv[1]).read()
start = src.index("def _row(")
end = src.index("def sessions(")
ns = {"GroupState": object}  # pyspark is not needed to call the function
head = "from collections.abc import Iterator\nfrom typing import Any\nimport pandas as pd\n"
gap = [line for line in src.splitlines() if line.startswith("GAP_S =")][0]
exec(compile(head + gap + "\n" + src[start:end], "app/job.py", "exec"), ns)
sessionise = ns["sessionise"]


class State:
    def __init__(self):
        self.value = None
        self.hasTimedOut = False

    @property
    def exists(self):
        return self.value is not None

    @property
    def get(self):
        return self.value

    def update(self, value):
        self.value = value

    def remove(self):
        self.value = None

    def setTimeoutTimestamp(self, ms):
        pass


def run(per_customer, customers, triggers=3):
    states = {c: State() for c in range(customers)}
    t0 = pd.Timestamp("2026-01-05 08:00:00")
    frames = {
        c: pd.DataFrame(
            {
                "customer_id": [str(c)] * per_customer,
                "page": [f"/p{(c + i) % 50}" for i in range(per_customer)],
                "ts": [t0 + pd.Timedelta(seconds=i + c % 5) for i in range(per_customer)],
            }
        )
        for c in range(customers)
    }
    times = []
    for trigger in range(triggers):
        shift = pd.Timedelta(seconds=5 * trigger)
        batch = {c: f.assign(ts=f["ts"] + shift) for c, f in frames.items()}
        began = time.process_time()
        for c, frame in batch.items():
            for _ in sessionise((str(c),), iter([frame]), states[c]):
                pass
        times.append(time.process_time() - began)
    return per_customer * customers / statistics.median(times)


out = {k: run(k, max(200, 4000 // k)) for k in (1, 2, 5)}
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="a Python with pandas")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pyt_arch_kit import plan, preset
    from pyt_arch_kit.writer.code import snippets

    code = dict((c.split("\n", 1)[0], c) for _, c in snippets(plan(preset("streaming-pipeline"))))
    job = code["# app/job.py"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "job.py"
        path.write_text(job)
        done = subprocess.run([args.python, "-c", CHILD, str(path)], capture_output=True, text=True)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    rates = json.loads(done.stdout.strip().splitlines()[-1])
    for k, rate in rates.items():
        print(f"{k} event(s) per customer per trigger: {rate:,.0f} events/s per core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
