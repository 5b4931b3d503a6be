"""Event backbone benchmark (`python -m bench.events`): raw pika vs the outbox relay, and commit-to-consumer latency.

Everything runs on this machine against the local RabbitMQ (a private vhost, deleted at the end) and
PostgreSQL (a scratch database, dropped at the end); every loop is bounded in count and time.

1. raw pika, persistent messages into a durable queue: a confirm per message (what a naive publisher
   does), and no confirms at all (the ceiling: nothing is known to be safe);
2. the relay (`python -m cc_kit.relay`, a real process) on SQLite and on PostgreSQL:
   - backlog: N events already committed, rate between the first and last `published_at`;
   - live: the relay running while N events are committed in transactions of 500, time from the
     first commit until the last one is confirmed;
3. latency from commit to a pika consumer receiving the event, single-event transactions at a steady
   rate, with the relay's wake-up and with polling only.

Options: --events N (default 20000), --rate R and --seconds S for the latency runs (default 200/s for 5 s).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import pika
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from cc_kit.testing.infra import create_pg_database, create_vhost, delete_vhost, drop_pg_database  # noqa: E402
from cc_kit.outbox import record_many  # noqa: E402
from tests.events import producer  # noqa: E402

QUEUE = "bench-sink"
BATCH = 500  # the relay's default RELAY_BATCH_SIZE


def _channel(uri: str):
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    return connection, connection.channel()


def _sink_queue(uri: str) -> None:
    """A durable queue bound to everything, so every persistent message is really written to disk."""
    connection, channel = _channel(uri)
    channel.exchange_declare(producer.EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_bind(QUEUE, producer.EXCHANGE, routing_key="#")
    channel.queue_purge(QUEUE)
    connection.close()


def _purge(uri: str) -> None:
    connection, channel = _channel(uri)
    channel.queue_purge(QUEUE)
    connection.close()


def raw_pika(uri: str, count: int, confirm: bool, limit_s: float = 20.0) -> tuple[int, float]:
    _sink_queue(uri)
    connection, channel = _channel(uri)
    if confirm:
        channel.confirm_delivery()
    body = json.dumps({"specversion": "1.0", "id": "x" * 36, "data": {"n": 1, "label": "事件"}}).encode()
    props = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    sent, started = 0, time.perf_counter()
    while sent < count and time.perf_counter() - started < limit_s:
        channel.basic_publish(producer.EXCHANGE, "thing_happened", body, props)
        sent += 1
    if not confirm:  # the ceiling still has to wait until the broker has everything
        connection.process_data_events(0)
        while channel.queue_declare(QUEUE, passive=True).method.message_count < sent:
            time.sleep(0.01)
    elapsed = time.perf_counter() - started
    connection.close()
    _purge(uri)
    return sent, elapsed


class Relay:
    def __init__(self, url: str, uri: str, workdir: Path, **env):
        self.log = workdir / f"relay-{time.monotonic_ns()}.log"
        full_env = dict(os.environ, EVTEST_DATABASE_URL=url, AMQP_URI=uri, LOG_LEVEL="INFO",
                        DATA_DIR=str(workdir), PYTHONUNBUFFERED="1", **env)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "cc_kit.relay", "evtest"], cwd=REPO, env=full_env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_connected(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "relay connected" in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"relay did not connect:\n{self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _wait_published(db, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if producer.counts(db)["published"] >= count:
            return
        time.sleep(0.02)
    raise RuntimeError(f"only {producer.counts(db)} after {timeout}s")


def _commit(db, count: int, per_transaction: int = 500) -> float:
    """record_many (one INSERT per transaction), as an import would: the relay, not the ORM, is measured."""
    started = time.perf_counter()
    for first in range(0, count, per_transaction):
        with db.write() as session:
            record_many(session, producer.Outbox, producer.thing_happened,
                        [({"n": n, "label": f"事件 {n}"}, n) for n in range(first, min(first + per_transaction, count))])
    return time.perf_counter() - started


def relay_backlog(url: str, uri: str, workdir: Path, count: int) -> tuple[float, float]:
    """(commit rate, relay rate between the first and the last published_at)."""
    _sink_queue(uri)
    db = producer.create(url)
    commit_s = _commit(db, count)
    relay = Relay(url, uri, workdir)
    try:
        _wait_published(db, count, 120)
    finally:
        relay.stop()
    with db.read() as session:
        first, last = session.execute(select(func.min(producer.Outbox.published_at),
                                             func.max(producer.Outbox.published_at))).one()
    _clear(db)
    _purge(uri)
    span = (_as_datetime(last) - _as_datetime(first)).total_seconds()
    # published_at is stamped once per settled chunk (RELAY_BATCH_SIZE rows): the span covers all but the first.
    return count / commit_s, (count - BATCH) / max(span, 1e-6)


def relay_live(url: str, uri: str, workdir: Path, count: int) -> float:
    """Events/s from the first commit until the last event is confirmed, relay running throughout."""
    _sink_queue(uri)
    db = producer.create(url)
    relay = Relay(url, uri, workdir)
    try:
        relay.wait_connected()
        started = time.perf_counter()
        _commit(db, count)
        _wait_published(db, count, 120)
        elapsed = time.perf_counter() - started
    finally:
        relay.stop()
    _clear(db)
    _purge(uri)
    return count / elapsed


def latency(url: str, uri: str, workdir: Path, rate: float, seconds: float, wakeup: bool) -> dict:
    _sink_queue(uri)
    db = producer.create(url)
    relay = Relay(url, uri, workdir, RELAY_WAKEUP="1" if wakeup else "0")
    committed_at: dict[str, float] = {}
    received_at: dict[str, float] = {}
    total = int(rate * seconds)
    stop = threading.Event()

    def consume():
        connection, channel = _channel(uri)
        channel.basic_qos(prefetch_count=100)
        for method, _props, body in channel.consume(QUEUE, inactivity_timeout=0.2):
            if method is not None:
                received_at[json.loads(body)["id"]] = time.perf_counter()
                channel.basic_ack(method.delivery_tag)
            if stop.is_set() or len(received_at) >= total:
                break
        channel.cancel()
        connection.close()

    try:
        relay.wait_connected()
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        time.sleep(0.3)
        started = time.perf_counter()
        for i in range(total):
            target = started + i / rate
            pause = target - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            [event_id] = producer.commit_batch(db, [i])
            committed_at[event_id] = time.perf_counter()
        deadline = time.monotonic() + 30
        while len(received_at) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        consumer.join(5)
    finally:
        relay.stop()
    _clear(db)
    _purge(uri)
    delays = sorted((received_at[i] - committed_at[i]) * 1000 for i in committed_at if i in received_at)
    if not delays:
        return {"received": 0, "sent": total}
    return {"sent": total, "received": len(delays), "p50": statistics.median(delays),
            "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))], "max": delays[-1]}


def _clear(db) -> None:
    producer.Base.metadata.drop_all(db.engine)
    db.dispose()


def _as_datetime(value):
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Event backbone benchmark")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    vhost, uri = create_vhost()
    pg_url = create_pg_database()
    workdir = Path(tempfile.mkdtemp(prefix="bench-events-"))
    databases = {"SQLite": f"sqlite:///{workdir / 'outbox.sqlite3'}", "PostgreSQL": pg_url}
    rows = []
    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load} at start; broker and databases on loopback; "
              f"{args.events} events per run")
        print("persistent messages into a durable queue in every row\n")
        n = min(args.events, 5_000)
        sent, elapsed = raw_pika(uri, n, confirm=True)
        rows.append(("raw pika, confirm per message", f"{sent / elapsed:,.0f}/s", f"{sent} msgs in {elapsed:.1f}s"))
        sent, elapsed = raw_pika(uri, args.events, confirm=False)
        rows.append(("raw pika, no confirms (ceiling)", f"{sent / elapsed:,.0f}/s", f"{sent} msgs in {elapsed:.1f}s"))
        for name, url in databases.items():
            commit_rate, rate = relay_backlog(url, uri, workdir, args.events)
            rows.append((f"relay, {name}, backlog", f"{rate:,.0f}/s",
                         f"batched confirms; committing them took {commit_rate:,.0f}/s (500 per transaction)"))
            rate = relay_live(url, uri, workdir, args.events)
            rows.append((f"relay, {name}, live", f"{rate:,.0f}/s", "first commit → last confirm, relay running"))
        width = max(len(r[0]) for r in rows)
        print(f"{'throughput':<{width}}  {'events/s':>10}  notes")
        for label, value, note in rows:
            print(f"{label:<{width}}  {value:>10}  {note}")
        print(f"\ncommit → consumer latency, one event per transaction at {args.rate:.0f}/s for {args.seconds:.0f}s")
        print(f"{'':<{width}}  {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  received")
        for name, url in databases.items():
            for wakeup in (True, False):
                result = latency(url, uri, workdir, args.rate, args.seconds, wakeup)
                label = f"{name}, {'wake-up' if wakeup else 'polling 0.25 s'}"
                if result["received"]:
                    print(f"{label:<{width}}  {result['p50']:8.1f} {result['p99']:8.1f} {result['max']:8.1f}  "
                          f"{result['received']}/{result['sent']}")
                else:
                    print(f"{label:<{width}}  nothing received")
    finally:
        delete_vhost(vhost)
        drop_pg_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
