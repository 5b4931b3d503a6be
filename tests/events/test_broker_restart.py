"""10,000 events committed while RabbitMQ is restarted: every one takes effect exactly once at the consumer."""
from __future__ import annotations

import threading
import time

import pytest

from . import consumer_app, producer
from .conftest import wait_for_consumers, wait_until

N = 10_000
PER_TRANSACTION = 20


@pytest.mark.slow
def test_committed_events_survive_a_broker_restart(private_rabbit, sqlite_url, pg_url, procs, events_report):
    # Producer outbox on PostgreSQL, consumer's own database on SQLite (the kill test does the reverse).
    source = producer.create(pg_url)
    sink = consumer_app.create(sqlite_url)
    uri = private_rabbit.uri
    procs.worker("tests.events.consumer_app:Consumer", uri, "consumer", EVSINK_DATABASE_URL=sqlite_url)
    wait_for_consumers(uri, consumer_app.queue_name("evsink"), 1, procs)
    relay = procs.relay("evtest", pg_url, uri)

    committed: list[str] = []
    restart = {}

    def restart_broker():
        restart["stopped_at"] = len(committed)
        began = time.monotonic()
        private_rabbit.stop_app()
        time.sleep(1.0)  # commits keep arriving while the broker is down
        restart["committed_while_down"] = len(committed) - restart["stopped_at"]
        private_rabbit.start_app()
        restart["seconds"] = round(time.monotonic() - began, 1)

    restarter = threading.Thread(target=restart_broker)
    started = time.monotonic()
    for first in range(0, N, PER_TRANSACTION):
        committed.extend(producer.commit_batch(source, range(first, first + PER_TRANSACTION)))
        if first == N // 2:
            restarter.start()
        if first >= N // 2 and restarter.is_alive():
            time.sleep(0.01)  # spread the second half over the outage instead of finishing before it
    restarter.join(120)
    assert not restarter.is_alive(), "the private broker did not come back"
    assert len(committed) == N

    def drained():
        return producer.counts(source)["pending"] == 0 and consumer_app.tally(sink, "evsink")["effects"] >= N
    wait_until(drained, 150, "every committed event published and handled", interval=0.5,
               on_timeout=lambda: f"{producer.counts(source)} {consumer_app.tally(sink, 'evsink')}\n{procs.tails()}")
    elapsed = time.monotonic() - started
    time.sleep(1.0)  # let any late redelivery land before counting

    tally = consumer_app.tally(sink, "evsink")
    handled = consumer_app.event_ids(sink, "evsink")
    events_report(f"broker restart: committed {N}, {restart.get('committed_while_down')} of them while the broker "
                  f"was down ({restart.get('seconds')}s outage, start_app tries {private_rabbit.start_app_attempts}), published {producer.counts(source)['published']}, "
                  f"effects {tally['effects']} ({tally['distinct']} distinct, {tally['doubles']} doubles), "
                  f"redeliveries skipped {tally['redeliveries']}; all handled {elapsed:.1f}s after the first commit")
    assert restart["committed_while_down"] > 0
    assert handled == set(committed), "an event committed by the producer never took effect"
    assert tally["effects"] == N and tally["doubles"] == 0
    assert relay.poll() is None, procs.log("relay")
    assert "relay lost the broker" in procs.log("relay")  # it really saw the outage and resumed by itself
