"""The payments ledger's outbox relay against real PostgreSQL: events/s when every event waits
for its broker ack (the relay before issue 20's second review round), and when a batch's sends
are in flight together (``kafka_publish`` now). The broker is a stand-in with aiokafka's
``send()`` interface whose acks come back ``ACK_MS`` after each send (an ``acks=all`` round
trip, 2–5 ms in the review); the database, the relay's transactions and its code are the
design's own.

    python benchmarks/bench_relay.py            # prints the medians and their ratio
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyt_arch_kit import plan, preset  # noqa: E402
from tests.verify import services  # noqa: E402
from tests.verify.harness import layout  # noqa: E402
from tests.verify.venvs import ensure, python312, requirements  # noqa: E402

ACK_MS = 3.0
EVENTS = 2_000
RUNS = 3

INSIDE = """
import asyncio, json, statistics, time
import app.relay as relay
import app.ledger as ledger
from app.db import make_engine, make_sessions
from sqlalchemy import text

ACK_S, EVENTS, RUNS = %(ack)s / 1000, %(events)d, %(runs)d
engine = make_engine()
sessions = make_sessions(engine)


class Producer:
    async def send(self, topic, value, key):
        ack = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(ACK_S, ack.set_result, None)
        return ack

    async def send_and_wait(self, topic, value, key):
        await (await self.send(topic, value, key))


async def one_at_a_time(batch):  # the relay before: send_and_wait per event
    producer = Producer()
    for topic, key, event in batch:
        await producer.send_and_wait(topic, json.dumps(event).encode(), key=key.encode())


async def fill():
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM outbox"))
        await conn.execute(text(
            "INSERT INTO outbox (event_id, aggregate_key, topic, payload) "
            "SELECT gen_random_uuid(), 'account:' || (i %% 500), 'postings', "
            "jsonb_build_object('event_id', i, 'cents', 100) FROM generate_series(1, :n) i"),
            {"n": EVENTS})
        await conn.execute(text("UPDATE outbox_relay SET holder = '', lease_until = '-infinity'"))


async def drain(publish):
    await fill()
    start = time.perf_counter()
    sent = 0
    while sent < EVENTS:
        sent += await relay.relay_once(sessions, publish, "bench")
    return EVENTS / (time.perf_counter() - start)


async def main():
    await ledger.create_schema(engine)
    old = statistics.median([await drain(one_at_a_time) for _ in range(RUNS)])
    new = statistics.median([await drain(relay.kafka_publish(Producer())) for _ in range(RUNS)])
    print(f"one ack at a time: {old:,.0f} events/s; a batch in flight: {new:,.0f} events/s; "
          f"ratio {new / old:.1f}x (acks after {ACK_S * 1000:g} ms, {EVENTS:,} events, "
          f"median of {RUNS})")
    await engine.dispose()


asyncio.run(main())
"""


def main() -> None:
    p = plan(preset("payments-ledger"))
    python = python312()
    if python is None:
        raise SystemExit("no CPython >= 3.12 found")
    venv = ensure(requirements(p), python)
    with services.running() as svc, tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        proj = layout("payments-ledger", p, Path(tmp), venv)
        subprocess.run(
            [
                str(services.PG_BIN / "psql"),
                *("-h", "127.0.0.1", "-p", str(svc.postgres_port), "-U", "postgres", "-q"),
                *("-c", "CREATE DATABASE bench_relay"),
            ],
            check=True,
            capture_output=True,
        )
        (Path(tmp) / "bench.py").write_text(
            INSIDE % {"ack": ACK_MS, "events": EVENTS, "runs": RUNS}
        )
        env = {"APP_DATABASE_URL": svc.postgres_url("postgresql+asyncpg", "bench_relay")}
        done = proj.run([proj.python, "bench.py"], {**env, "PYTHONUNBUFFERED": "1"}, 1200)
        print(done.stdout.strip() or done.stderr[-3000:])


if __name__ == "__main__":
    os.environ.setdefault("PYT_ARCH_VERIFY_CACHE", str(ROOT / ".verify-cache"))
    main()
