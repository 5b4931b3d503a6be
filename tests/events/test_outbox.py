"""Outbox rows and consumer claims on SQLite and PostgreSQL: envelope, atomicity, a real race, relay wake-ups."""
from __future__ import annotations

import select
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select as sql_select

from cc_kit.db import Database
from cc_kit.notifications import NOTIFY_EXCHANGE, request_notification
from cc_kit.outbox import PENDING, PG_WAKE_CHANNEL, first_time, record, sqlite_wake_address

from . import consumer_app, producer
from .conftest import REPO


def test_record_writes_a_cloudevents_row_with_the_change_or_not_at_all(db_url):
    db = producer.create(db_url)
    with db.write() as session:
        envelope = record(session, producer.Outbox, producer.thing_happened, {"n": 1, "label": "第一"}, subject=1)
    with pytest.raises(RuntimeError):
        with db.write() as session:
            record(session, producer.Outbox, producer.thing_happened, {"n": 2, "label": "回滚"})
            raise RuntimeError("the business change failed")
    with pytest.raises(ValueError):
        with db.write() as session:
            record(session, producer.Outbox, producer.thing_happened, {"n": "three", "label": "错"})
    with db.read() as session:
        rows = session.execute(sql_select(producer.Outbox.event_id, producer.Outbox.exchange,
                                          producer.Outbox.routing_key, producer.Outbox.state,
                                          producer.Outbox.envelope)).all()
    assert len(rows) == 1
    row = rows[0]
    assert tuple(row[:4]) == (
        envelope["id"], "evtest.events", "thing_happened", PENDING)
    assert row.envelope == envelope
    assert envelope["specversion"] == "1.0" and envelope["source"] == "/campus-careers/evtest"
    assert envelope["type"] == "cn.campus-careers.evtest.thing_happened" and envelope["subject"] == "1"
    assert envelope["data"] == {"n": 1, "label": "第一"} and envelope["datacontenttype"] == "application/json"


def test_first_time_claims_commit_and_roll_back_with_the_effect(db_url):
    db = consumer_app.create(db_url)
    with pytest.raises(RuntimeError):
        with db.write() as session:
            assert first_time(session, consumer_app.ProcessedEvent, "e-1", "h")
            raise RuntimeError("the effect failed, so the claim must go too")
    with db.write() as session:
        assert first_time(session, consumer_app.ProcessedEvent, "e-1", "h")
        assert not first_time(session, consumer_app.ProcessedEvent, "e-1", "h")
        assert first_time(session, consumer_app.ProcessedEvent, "e-1", "another handler")
    with db.write() as session:
        assert not first_time(session, consumer_app.ProcessedEvent, "e-1", "h")


def test_racing_processes_claim_each_event_exactly_once(db_url, tmp_path, events_report):
    db = consumer_app.create(db_url)
    count, racers = 150, 4
    start = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-m", "tests.events.claim_race", db_url, str(count), str(start)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(racers)]
    time.sleep(1.5)  # interpreters up and waiting
    start.write_text("go")
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _out, err in results]
    wins = [int(out.strip()) for out, _err in results]
    with db.read() as session:
        effects = session.scalar(sql_select(func.count()).select_from(consumer_app.Effect))
        distinct = session.scalar(sql_select(func.count(func.distinct(consumer_app.Effect.event_id))))
    events_report(f"first_time race on {db.engine.dialect.name}: {racers} processes x {count} ids, wins {wins}, "
                  f"effects {effects} ({distinct} distinct)")
    assert sum(wins) == count == effects == distinct  # every racer tried every id; each id was won once


def test_commit_wakes_the_relay_and_rollback_does_not(db_url):
    db = producer.create(db_url)
    if db.is_sqlite:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(sqlite_wake_address(db.engine.url.database))
        listener.setblocking(False)

        def woken() -> int:
            got = 0
            while select.select([listener], [], [], 0.2)[0]:
                listener.recv(16)
                got += 1
            return got
    else:
        raw = Database(db_url).engine.raw_connection()
        listener = raw.driver_connection
        listener.autocommit = True
        listener.cursor().execute(f"LISTEN {PG_WAKE_CHANNEL}")

        def woken() -> int:
            time.sleep(0.2)
            listener.poll()
            got = len(listener.notifies)
            listener.notifies.clear()
            return got
    with db.write() as session:
        for n in range(5):  # one wake-up per transaction, however many rows
            record(session, producer.Outbox, producer.thing_happened, {"n": n, "label": "x"})
    assert woken() == 1
    with pytest.raises(RuntimeError):
        with db.write() as session:
            record(session, producer.Outbox, producer.thing_happened, {"n": 9, "label": "x"})
            raise RuntimeError("rolled back")
    assert woken() == 0
    with db.write() as session:
        request_notification(session, producer.Outbox, source="evtest", template="generic",
                             params={"subject": "主题", "text": "正文"}, category="system", user_id=5)
    assert woken() == 1
    with db.read() as session:
        routing_key, envelope = session.execute(sql_select(producer.Outbox.routing_key, producer.Outbox.envelope)
                                                .where(producer.Outbox.exchange == NOTIFY_EXCHANGE)).one()
    assert routing_key == "send" and envelope["data"]["template"] == "generic"
    listener.close()
