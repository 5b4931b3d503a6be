"""The relay process: one active per database with a standby taking over, notify commands kept, pruning, settings."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pika
from sqlalchemy import insert, select

from cc_kit.db import Database
from cc_kit.notifications import NOTIFY_QUEUE, SEND_TYPE, request_notification
from cc_kit.outbox import PENDING, PUBLISHED, utcnow
from cc_kit.relay import OutboxRelay, RelayConfig, RelayProcessedEvent

from . import producer
from .conftest import queue_state, wait_until


def _bind_queue(uri: str, name: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.exchange_declare(producer.EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(name, durable=True)
    channel.queue_bind(name, producer.EXCHANGE, routing_key="#")
    connection.close()


def _drain(uri: str, name: str) -> list[dict]:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    bodies = []
    while True:
        method, _props, body = channel.basic_get(name, auto_ack=True)
        if method is None:
            break
        bodies.append(json.loads(body))
    connection.close()
    return bodies


def test_one_relay_per_database_and_the_standby_takes_over(db_url, vhost_uri, procs, events_report):
    source = producer.create(db_url)
    _bind_queue(vhost_uri, "audit")
    first = procs.relay("evtest", db_url, vhost_uri, label="relay-a")
    wait_until(lambda: "relay connected" in procs.log("relay-a"), 30, "relay a active", on_timeout=procs.tails)
    procs.relay("evtest", db_url, vhost_uri, label="relay-b")
    wait_until(lambda: "standing by" in procs.log("relay-b"), 30, "relay b on standby", on_timeout=procs.tails)
    committed = producer.commit_batch(source, range(0, 200))
    wait_until(lambda: producer.counts(source)["pending"] == 0, 30, "published by relay a", on_timeout=procs.tails)

    procs.kill9(first)
    taken_over = time.monotonic()
    committed += producer.commit_batch(source, range(200, 400))
    wait_until(lambda: producer.counts(source)["pending"] == 0, 30, "published by relay b", on_timeout=procs.tails)
    takeover = time.monotonic() - taken_over
    received = _drain(vhost_uri, "audit")
    events_report(f"standby relay ({Database(db_url).engine.dialect.name}): 400 committed, {len(received)} "
                  f"received, relay b took over {takeover:.1f}s after relay a was killed")
    assert "relay connected" in procs.log("relay-b")
    assert [e["id"] for e in received] == committed  # once each, in commit order, none from two relays


def test_notification_commands_wait_in_notify_queue_before_notify_ever_ran(sqlite_url, vhost_uri, procs):
    source = producer.create(sqlite_url)
    with source.write() as session:
        ids = [request_notification(session, producer.Outbox, source="evtest", template="password_reset_code",
                                    params={"name": "张三", "code": "123456", "minutes": 10}, category="security",
                                    email="zhang@example.edu", channels=("email",), exempt_quiet_hours=True)
               for _ in range(3)]
    procs.relay("evtest", sqlite_url, vhost_uri)
    wait_until(lambda: (queue_state(vhost_uri, NOTIFY_QUEUE) or (0, 0))[0] == 3, 30, "3 commands queued",
               on_timeout=procs.tails)
    commands = _drain(vhost_uri, NOTIFY_QUEUE)
    assert [c["id"] for c in commands] == ids
    assert {c["type"] for c in commands} == {SEND_TYPE}
    assert commands[0]["data"]["params"]["name"] == "张三" and commands[0]["data"]["exempt_quiet_hours"] is True


def test_prune_deletes_only_old_published_rows(db_url):
    db = producer.create(db_url)
    RelayProcessedEvent.__table__.create(db.engine)
    now = utcnow()
    old, recent = now - timedelta(hours=100), now - timedelta(hours=1)

    def row(i, state, published_at):
        return {"event_id": f"e{i}", "exchange": "evtest.events", "routing_key": "thing_happened",
                "envelope": {"id": f"e{i}"}, "state": state, "attempts": 1, "created_at": old,
                "published_at": published_at}
    with db.write() as session:
        session.execute(insert(producer.Outbox), [row(i, PUBLISHED, old) for i in range(1500)]
                        + [row(1500 + i, PUBLISHED, recent) for i in range(10)]
                        + [row(1600 + i, PENDING, None) for i in range(10)])
        session.execute(insert(RelayProcessedEvent), [
            {"event_id": "p-old", "handler": "h", "processed_at": now - timedelta(days=40)},
            {"event_id": "p-new", "handler": "h", "processed_at": now - timedelta(days=1)}])
    relay = OutboxRelay(db, "amqp://guest:guest@127.0.0.1:1/", ["evtest.events"], prune_after=timedelta(hours=72))
    relay._last_prune = -1e9  # as if the last prune was long ago
    relay._maybe_prune()
    with db.read() as session:
        left = session.execute(select(producer.Outbox.state, producer.Outbox.event_id)).all()
        processed = set(session.scalars(select(RelayProcessedEvent.event_id)))
    assert sorted(state for state, _ in left) == [PENDING] * 10 + [PUBLISHED] * 10
    assert processed == {"p-new"}


def test_relay_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RELAY_BATCH_SIZE", "250")
    monkeypatch.setenv("RELAY_MAX_INFLIGHT", "1000")
    monkeypatch.setenv("RELAY_POLL_INTERVAL", "0.5")
    monkeypatch.setenv("RELAY_PRUNE_AFTER_HOURS", "24")
    monkeypatch.setenv("RELAY_MAX_BACKOFF", "3")
    config = RelayConfig.from_env()
    assert (config.batch_size, config.max_inflight, config.poll_interval, config.max_backoff) == (250, 1000, 0.5, 3.0)
    assert config.prune_after == timedelta(hours=24)
    relay = OutboxRelay(Database("sqlite://"), "amqp://guest:guest@127.0.0.1:1/", ["evtest.events"])
    assert (relay.batch_size, relay.max_inflight, relay.poll_interval) == (250, 1000, 0.5)
