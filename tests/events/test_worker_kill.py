"""A consumer worker killed with SIGKILL twice while it drains its queue: nothing lost, nothing done twice."""
from __future__ import annotations

import time

import pytest

from . import consumer_app, producer
from .conftest import wait_for_consumers, wait_until

N = 2_000
TARGET = "tests.events.consumer_app:Consumer"


@pytest.mark.slow
def test_killed_consumer_loses_nothing_and_repeats_nothing(vhost_uri, sqlite_url, pg_url, procs, events_report):
    # Producer outbox on SQLite, consumer's own database on PostgreSQL (the restart test does the reverse).
    source = producer.create(sqlite_url)
    sink = consumer_app.create(pg_url)
    queue = consumer_app.queue_name("evsink")
    env = {"EVSINK_DATABASE_URL": pg_url}

    worker = procs.worker(TARGET, vhost_uri, "consumer-1", **env)
    wait_for_consumers(vhost_uri, queue, 1, procs)
    procs.relay("evtest", sqlite_url, vhost_uri)
    committed = []
    started = time.monotonic()
    for first in range(0, N, 100):
        committed.extend(producer.commit_batch(source, range(first, first + 100)))

    def effects():
        return consumer_app.tally(sink, "evsink")["effects"]

    kills = []
    for number, fraction in ((1, 0.2), (2, 0.5)):
        wait_until(lambda: effects() >= N * fraction, 90, f"{fraction:.0%} handled", interval=0.05,
                   on_timeout=procs.tails)
        procs.kill9(worker)
        kills.append(effects())
        assert kills[-1] < N, "the worker finished before it could be killed mid-drain"
        worker = procs.worker(TARGET, vhost_uri, f"consumer-{number + 1}", **env)

    wait_until(lambda: effects() >= N, 120, "every event handled after two kills", interval=0.3,
               on_timeout=lambda: f"{consumer_app.tally(sink, 'evsink')}\n{procs.tails()}")
    elapsed = time.monotonic() - started
    time.sleep(1.0)  # late redeliveries, if any, land before counting
    tally = consumer_app.tally(sink, "evsink")
    events_report(f"kill -9 twice: committed {N}, published {producer.counts(source)['published']}, killed at "
                  f"{kills[0]} and {kills[1]} effects, effects {tally['effects']} ({tally['distinct']} distinct, "
                  f"{tally['doubles']} doubles), redeliveries skipped {tally['redeliveries']}, "
                  f"effects per worker pid {sorted(tally['per_pid'].values())}; all handled {elapsed:.1f}s after the first "
                  f"commit (three worker starts included)")
    assert consumer_app.event_ids(sink, "evsink") == set(committed)
    assert tally["effects"] == N and tally["doubles"] == 0
    assert len(tally["per_pid"]) == 3  # all three workers did part of the work
