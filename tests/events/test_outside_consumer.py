"""An outside system with plain pika binds its own queue late: it gets every event published after it bound."""
from __future__ import annotations

import json
import time
import uuid

import jsonschema
import pika

from cc_kit.events import asyncapi_document

from . import producer
from .conftest import wait_until

BEFORE, AFTER = 300, 700


def test_late_outside_consumer_gets_everything_after_binding(vhost_uri, sqlite_url, procs, events_report):
    source = producer.create(sqlite_url)
    procs.relay("evtest", sqlite_url, vhost_uri)
    early = set()
    for first in range(0, BEFORE, 100):
        early.update(producer.commit_batch(source, range(first, first + 100)))
    wait_until(lambda: producer.counts(source)["pending"] == 0, 30, "the early events published",
               on_timeout=procs.tails)

    connection = pika.BlockingConnection(pika.URLParameters(vhost_uri))
    channel = connection.channel()
    # What a campus system does: its own durable queue, bound with `#` to the documented exchange.
    channel.exchange_declare(producer.EXCHANGE, exchange_type="topic", durable=True, passive=True)
    queue = f"campus-audit-{uuid.uuid4().hex[:6]}"
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, producer.EXCHANGE, routing_key="#")

    late = set()
    for first in range(BEFORE, BEFORE + AFTER, 100):
        late.update(producer.commit_batch(source, range(first, first + 100)))

    payload_schema = asyncapi_document([producer.catalog])["components"]["messages"][
        "evtest.thing_happened"]["payload"]
    validator = jsonschema.Draft7Validator(payload_schema, format_checker=jsonschema.FormatChecker())
    received, numbers = [], []
    deadline = time.monotonic() + 30
    for method, properties, body in channel.consume(queue, inactivity_timeout=1.0):
        if method is not None:
            envelope = json.loads(body)
            validator.validate(envelope)  # the documented CloudEvents envelope, data schema included
            assert properties.delivery_mode == 2 and properties.content_type == "application/json"
            assert properties.message_id == envelope["id"] and method.routing_key == "thing_happened"
            assert envelope["subject"] == str(envelope["data"]["n"]) and envelope["data"]["label"].startswith("事件")
            received.append(envelope["id"])
            numbers.append(envelope["data"]["n"])
            channel.basic_ack(method.delivery_tag)
        if len(received) >= AFTER or time.monotonic() > deadline:
            break
    channel.cancel()
    time.sleep(0.5)
    leftover = channel.queue_declare(queue, passive=True).method.message_count
    connection.close()

    events_report(f"late outside consumer: {BEFORE} published before it bound, {AFTER} after; received "
                  f"{len(received)} ({len(set(received) & early)} of the early ones), {leftover} left in its queue")
    assert set(received) == late and len(received) == AFTER and leftover == 0
    assert numbers == sorted(numbers)  # one relay publishes in commit order
