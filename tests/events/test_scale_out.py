"""Two worker processes of one nameko service share its RPC calls and its event queue; each service gets each event once."""
from __future__ import annotations

import time
from collections import Counter

from nameko.standalone.rpc import ClusterRpcProxy

from . import consumer_app, producer
from .conftest import wait_for_consumers, wait_until

CALLS, EVENTS = 200, 1_000


def test_two_processes_of_a_service_share_calls_and_events(vhost_uri, sqlite_url, pg_url, procs, events_report):
    source = producer.create(sqlite_url)
    sink = consumer_app.create(pg_url)  # evsink's two processes share one PostgreSQL database
    audit_url = sqlite_url.replace("producer.sqlite3", "audit.sqlite3")
    audit = consumer_app.create(audit_url)
    for label in ("evsink-a", "evsink-b"):
        procs.worker("tests.events.consumer_app:Consumer", vhost_uri, label, EVSINK_DATABASE_URL=pg_url)
    procs.worker("tests.events.consumer_app:Auditor", vhost_uri, "evaudit", EVAUDIT_DATABASE_URL=audit_url)
    wait_for_consumers(vhost_uri, consumer_app.queue_name("evsink"), 2, procs)
    wait_for_consumers(vhost_uri, "rpc-evsink", 2, procs)
    wait_for_consumers(vhost_uri, consumer_app.queue_name("evaudit"), 1, procs)

    with ClusterRpcProxy({"AMQP_URI": vhost_uri, "serializer": "json"}, timeout=30) as cluster:
        served_by = Counter(cluster.evsink.whoami()["pid"] for _ in range(CALLS))

    procs.relay("evtest", sqlite_url, vhost_uri)
    committed = []
    for first in range(0, EVENTS, 100):
        committed.extend(producer.commit_batch(source, range(first, first + 100)))

    def done():
        return (consumer_app.tally(sink, "evsink")["effects"] >= EVENTS
                and consumer_app.tally(audit, "evaudit")["effects"] >= EVENTS)
    wait_until(done, 120, "both services handled every event", interval=0.3, on_timeout=procs.tails)
    time.sleep(0.5)
    sink_tally, audit_tally = consumer_app.tally(sink, "evsink"), consumer_app.tally(audit, "evaudit")
    events_report(f"scale-out: {CALLS} RPC calls served per process {sorted(served_by.values())}; {EVENTS} events: "
                  f"evsink effects {sink_tally['effects']} split {sorted(sink_tally['per_pid'].values())} "
                  f"({sink_tally['doubles']} doubles), evaudit effects {audit_tally['effects']} "
                  f"({audit_tally['doubles']} doubles)")
    assert sum(served_by.values()) == CALLS and len(served_by) == 2 and min(served_by.values()) > 0
    assert sink_tally["effects"] == EVENTS and sink_tally["doubles"] == 0 and sink_tally["redeliveries"] == 0
    assert len(sink_tally["per_pid"]) == 2 and min(sink_tally["per_pid"].values()) > 0
    assert audit_tally["effects"] == EVENTS and audit_tally["doubles"] == 0
    assert consumer_app.event_ids(sink, "evsink") == set(committed) == consumer_app.event_ids(audit, "evaudit")
