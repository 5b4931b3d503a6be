"""notify worker fixtures: the real NotifyService (and an auth test double) in nameko containers on a
private RabbitMQ vhost, commands published the way the relay publishes them."""
from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pika
import pytest
from kombu import Connection

from cc_kit.db import Database
from cc_kit.migrations import upgrade
from cc_kit.notifications import NOTIFY_EXCHANGE, SEND_ROUTING_KEY
from cc_kit.worker import nameko_config

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "notify" / "migrations"

FAST_RETRIES = {
    "NOTIFY_RETRY_BASE_SECONDS": "0.3",
    "NOTIFY_RETRY_FACTOR": "2",
    "NOTIFY_MAX_ATTEMPTS": "3",
    "NOTIFY_RETRY_POLL_SECONDS": "0.1",
    "NOTIFY_SEND_TIMEOUT": "3",
    "NOTIFY_CONTACT_TIMEOUT": "3",
    # tests must not depend on the hour they run at; quiet hours have their own tests
    "NOTIFY_DEFAULT_QUIET_HOURS": "off",
}


def publish_command(amqp_uri: str, envelope: dict) -> None:
    """Exactly as cc_kit.relay publishes: durable topic exchange, routing key `send`, persistent JSON."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(NOTIFY_EXCHANGE, exchange_type="topic", durable=True, auto_delete=False)
        channel.confirm_delivery()
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        channel.basic_publish(NOTIFY_EXCHANGE, SEND_ROUTING_KEY, body, pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=envelope["id"], type=envelope.get("type")))
    finally:
        connection.close()


@pytest.fixture
def notify_db(db_url, data_dir, monkeypatch):
    monkeypatch.setenv("NOTIFY_DATABASE_URL", db_url)
    upgrade(MIGRATIONS, db_url)
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def start_notify(notify_db, service_env, amqp_uri, monkeypatch):
    """start_notify(with_auth=True, **env) → a running ServiceRunner; all are stopped at the end."""
    from nameko.runners import ServiceRunner

    from services.notify.messaging import send_queue
    from services.notify.service import NotifyService

    from .fake_auth import FakeAuth

    with Connection(amqp_uri) as connection:  # leftovers of an earlier test must not leak in
        bound = send_queue(connection.default_channel)
        bound.declare()
        bound.purge()
    runners = []

    def start(with_auth: bool = True, **env):
        for key, value in {**FAST_RETRIES, **env}.items():
            monkeypatch.setenv(key, value)
        runner = ServiceRunner(nameko_config(amqp_uri))
        runner.add_service(NotifyService)
        if with_auth:
            runner.add_service(FakeAuth)
        runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.kill()  # stop() spends ~3 s draining nameko's consumer; nothing here needs a graceful end


@pytest.fixture
def publish(amqp_uri):
    return lambda envelope: publish_command(amqp_uri, envelope)


class RefusingSmtpServer:
    """Answers every connection with `554 …` and hangs up: an SMTP server that is there but refuses."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._stop:
                conn.close()
                return
            self.connections += 1
            try:
                conn.sendall(b"554 5.3.2 campus relay refuses service\r\n")
            finally:
                conn.close()

    def close(self):
        # Wake the accepting thread and let it finish before closing: under eventlet a socket closed
        # while another green thread waits on it leaves a stale listener on a recycled fd.
        self._stop = True
        socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def refusing_smtp():
    server = RefusingSmtpServer()
    yield server
    server.close()


@pytest.fixture
def sms_webhook():
    """A provider webhook: 500 for 13800000500, 200 (and recorded) for every other phone."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
            if payload.get("phone") == "13800000500":
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"provider down")
                return
            received.append(payload)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    yield server
    server.shutdown()
    server.server_close()
