"""Outbox relay: publishes a service's committed events to `<service>.events` with pika.

Batches of pending rows are published on one channel in confirm mode; a row is marked
published only after the broker confirmed it. When the broker goes away the rows simply stay
pending and the relay reconnects with back-off, so nothing committed is ever lost (delivery is
at-least-once; consumers deduplicate by event id).

Run one relay per service: `python -m cc_kit.relay <service>`.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import time
from datetime import timedelta

import pika
from pika.spec import Basic
from sqlalchemy import delete, select, update

from sqlalchemy.orm import DeclarativeBase

from .config import Settings
from .db import Database
from .events import exchange_name
from .outbox import PENDING, PUBLISHED, outbox_model, utcnow

log = logging.getLogger("cc_kit.relay")


class _OwnBase(DeclarativeBase):
    """The relay reads the standard outbox table of whatever service it serves."""


RelayOutbox = outbox_model(_OwnBase)


class OutboxRelay:
    def __init__(self, db: Database, amqp_uri: str, exchanges: list[str], *, batch_size: int = 2000,
                 poll_interval: float = 0.02, prune_after: timedelta = timedelta(hours=72), outbox=RelayOutbox):
        self.db = db
        self.params = pika.URLParameters(amqp_uri)
        self.params.heartbeat = 30
        self.params.connection_attempts = 1
        self.exchanges = exchanges
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.prune_after = prune_after
        self.Outbox = outbox
        self.published_total = 0
        self._connection = None
        self._channel = None
        self._stopping = False
        self._inflight: dict[int, int] = {}  # delivery tag → outbox seq
        self._declared: set[str] = set()
        self._acked: list[int] = []
        self._nacked: list[int] = []
        self._next_tag = 0
        self._last_prune = 0.0
        self._backoff = 0.5

    # --- lifecycle -------------------------------------------------------------------------
    def run(self) -> None:
        while not self._stopping:
            self._connection = pika.SelectConnection(
                self.params, on_open_callback=self._on_open, on_open_error_callback=self._on_open_error,
                on_close_callback=self._on_closed)
            self._connection.ioloop.start()
            if self._stopping:
                break
            log.warning("broker unavailable; relay retries in %.1fs", self._backoff)
            time.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, 10.0)

    def stop(self) -> None:
        self._stopping = True
        if self._connection is not None:
            def _close():
                if self._connection.is_open:
                    self._connection.close()
                else:
                    self._connection.ioloop.stop()
            self._connection.ioloop.add_callback_threadsafe(_close)

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, connection, error) -> None:
        log.warning("relay could not connect: %s", error)
        connection.ioloop.stop()

    def _on_closed(self, connection, reason) -> None:
        self._channel = None
        self._inflight.clear()
        self._acked.clear()
        self._nacked.clear()
        connection.ioloop.stop()

    def _on_channel(self, channel) -> None:
        self._channel = channel
        self._declared = set()
        channel.add_on_close_callback(self._on_channel_closed)
        self._declare(list(self.exchanges), then=lambda: self._channel.confirm_delivery(
            self._on_confirm, callback=self._on_confirm_mode))

    def _declare(self, remaining: list[str], then) -> None:
        if not remaining:
            then()
            return
        name = remaining.pop()

        def _declared(_frame):
            self._declared.add(name)
            self._declare(remaining, then)

        # Same declaration as nameko's own event exchanges: durable topic, never auto-deleted.
        self._channel.exchange_declare(name, exchange_type="topic", durable=True, auto_delete=False,
                                       callback=_declared)

    def _on_confirm_mode(self, _frame) -> None:
        self._next_tag = 0
        self._backoff = 0.5
        log.info("relay connected; publishing to %s", ", ".join(self.exchanges))
        self._schedule(0)

    def _on_channel_closed(self, channel, reason) -> None:
        log.warning("relay channel closed: %s", reason)
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    # --- publishing ------------------------------------------------------------------------
    def _schedule(self, delay: float) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.ioloop.call_later(delay, self._pump)

    def _pump(self) -> None:
        if self._stopping or self._channel is None or not self._channel.is_open or self._inflight:
            return
        try:
            rows = self._fetch_batch()
        except Exception:  # database briefly unavailable: try again shortly, keep the connection
            log.exception("relay could not read the outbox")
            self._schedule(1.0)
            return
        if not rows:
            self._maybe_prune()
            self._schedule(self.poll_interval)
            return
        undeclared = sorted({row[1] for row in rows} - self._declared)
        if undeclared:  # e.g. notify.commands: declare, then come back for the same batch
            self._declare(undeclared, then=lambda: self._schedule(0))
            return
        for seq, exchange, routing_key, envelope in rows:
            body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            props = pika.BasicProperties(
                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                message_id=envelope["id"], type=envelope.get("type"),
                headers={"ce_specversion": envelope.get("specversion"), "ce_type": envelope.get("type"),
                         "ce_source": envelope.get("source")})
            self._next_tag += 1
            self._inflight[self._next_tag] = seq
            self._channel.basic_publish(exchange, routing_key, body, props)

    def _fetch_batch(self):
        O = self.Outbox
        with self.db.read() as session:
            return session.execute(
                select(O.seq, O.exchange, O.routing_key, O.envelope)
                .where(O.state == PENDING).order_by(O.seq).limit(self.batch_size)).all()

    def _on_confirm(self, frame) -> None:
        method = frame.method
        acked = isinstance(method, Basic.Ack)
        tags = [t for t in self._inflight if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        for tag in tags:
            seq = self._inflight.pop(tag, None)
            if seq is not None:
                (self._acked if acked else self._nacked).append(seq)
        if not self._inflight:
            self._settle()

    def _settle(self) -> None:
        acked, nacked = self._acked[:], self._nacked[:]
        self._acked.clear()
        self._nacked.clear()
        O = self.Outbox
        try:
            with self.db.write() as session:
                now = utcnow()
                for chunk in _chunks(acked, 500):
                    session.execute(update(O).where(O.seq.in_(chunk))
                                    .values(state=PUBLISHED, published_at=now, attempts=O.attempts + 1))
                for chunk in _chunks(nacked, 500):
                    session.execute(update(O).where(O.seq.in_(chunk))
                                    .values(attempts=O.attempts + 1, last_error="nacked by broker"))
        except Exception:
            # The broker has them; they will be published again and deduplicated by consumers.
            log.exception("relay could not mark %d events published", len(acked))
        self.published_total += len(acked)
        self._schedule(0.5 if nacked else 0)

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 60:
            return
        self._last_prune = now
        O = self.Outbox
        try:
            with self.db.write() as session:
                session.execute(delete(O).where(O.state == PUBLISHED, O.published_at < utcnow() - self.prune_after))
        except Exception:
            log.exception("relay could not prune the outbox")


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def main(argv=None) -> None:
    from .logs import setup_logging

    parser = argparse.ArgumentParser(description="Publish a service's outbox to RabbitMQ")
    parser.add_argument("service")
    args = parser.parse_args(argv)
    setup_logging(f"{args.service}-relay")
    settings = Settings.from_env(args.service)
    _wait_for_outbox(settings)
    relay = OutboxRelay(Database(settings.database_url), settings.amqp_uri, [exchange_name(args.service)])
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    signal.signal(signal.SIGINT, lambda *_: relay.stop())
    relay.run()


def _wait_for_outbox(settings: Settings) -> None:
    """The api runs the migrations; the relay waits until the outbox table exists."""
    from sqlalchemy import inspect

    db = Database(settings.database_url)
    for _ in range(600):
        try:
            if inspect(db.engine).has_table("outbox"):
                break
        except Exception:
            pass
        time.sleep(0.5)
    db.dispose()


if __name__ == "__main__":
    main()
