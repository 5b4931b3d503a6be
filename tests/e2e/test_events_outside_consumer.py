"""Issue 3 acceptance: an outside program bound to `auth.events` with `#` receives a `student_registered`
event, in the CloudEvents envelope, for each registration made through the gateway."""
import json
import time

import pika
import pytest

from tests.auth.e2e_client import AuthClient

pytestmark = pytest.mark.e2e


def test_outside_consumer_receives_student_registered_per_registration(suite):
    connection = pika.BlockingConnection(pika.URLParameters(suite.amqp_uri))
    channel = connection.channel()
    # An outside campus system: its own durable queue, bound before the registrations happen.
    channel.exchange_declare("auth.events", exchange_type="topic", durable=True)
    queue = "campus-portal.auth-events"
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "auth.events", "#")
    channel.queue_purge(queue)

    auth = AuthClient(suite)
    students = [auth.new_student(name=name) for name in ("赵一", "钱二", "孙三")]
    numbers = {s["student_no"] for s in students}

    received = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not numbers <= set(received):
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.1)
            continue
        envelope = json.loads(body)
        if method.routing_key == "student_registered":
            received[envelope["data"]["student_no"]] = (envelope, properties)
    channel.queue_delete(queue)
    connection.close()

    assert set(received) >= numbers, f"missing events for {numbers - set(received)}"
    for student in students:
        envelope, properties = received[student["student_no"]]
        assert envelope["specversion"] == "1.0"
        assert envelope["type"] == "cn.campus-careers.auth.student_registered"
        assert envelope["source"] == "/campus-careers/auth"
        assert envelope["datacontenttype"] == "application/json"
        assert envelope["id"] and envelope["time"]
        assert envelope["data"]["name"] == student["name"]
        assert properties.delivery_mode == 2 and properties.message_id == envelope["id"]
