"""Outbox relay: publishes a service's committed events to `<service>.events` with pika and publisher confirms.

How it keeps the promise "committed means delivered, at least once":
- rows are read in `seq` order and published persistent (delivery_mode 2) on a channel in confirm
  mode; a row is marked published only after the broker confirmed it (nacked rows stay pending
  and are sent again after a pause);
- up to `max_inflight` messages are unconfirmed at a time (a few batches), so the broker works on
  one batch while the relay reads and sends the next;
- when the broker goes away the unconfirmed rows simply stay pending; the relay reconnects with
  capped, jittered back-off and resumes by itself;
- it wakes up when a transaction with outbox rows commits (pg_notify on PostgreSQL, a datagram on
  SQLite; see outbox.announce) and otherwise polls every `poll_interval`;
- only one relay per database publishes (a PostgreSQL advisory lock, or the SQLite wake-up socket
  name); a second one waits on standby and takes over when the first goes away;
- published rows older than `prune_after` (and processed-event ids older than
  `processed_retention`) are deleted in small chunks while idle.

Run one per service: `python -m cc_kit.relay <service>`. Tuning by environment: RELAY_BATCH_SIZE,
RELAY_MAX_INFLIGHT, RELAY_POLL_INTERVAL (seconds), RELAY_PRUNE_AFTER_HOURS, RELAY_PROCESSED_RETENTION_DAYS,
RELAY_MAX_BACKOFF (seconds), RELAY_WAKEUP (0 = poll only, and no single-relay guard).
"""
from __future__ import annotations

import argparse
import logging
import random
import signal
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import pika
from pika.adapters.select_connection import IOLoop
from pika.spec import Basic
from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import DeclarativeBase

from .config import Settings, env
from .db import Database
from .events import exchange_name
from .notifications import NOTIFY_EXCHANGE, NOTIFY_QUEUE, SEND_ROUTING_KEY
from .outbox import PENDING, PG_WAKE_CHANNEL, PUBLISHED, outbox_model, processed_event_model, sqlite_wake_address, utcnow

log = logging.getLogger("cc_kit.relay")

# pg_try_advisory_lock key: one active relay per database (each service owns its database).
_LEADER_LOCK_KEY = 0x63636F7574  # "ccout"
_STANDBY_RETRY = 2.0
_STOP_GRACE = 5.0


class _OwnBase(DeclarativeBase):
    """The relay reads the standard outbox table of whatever service it serves."""


RelayOutbox = outbox_model(_OwnBase)
RelayProcessedEvent = processed_event_model(_OwnBase)


@dataclass(frozen=True)
class RelayConfig:
    batch_size: int = 500
    max_inflight: int = 2000
    poll_interval: float = 0.25
    prune_after: timedelta = timedelta(hours=72)
    processed_retention: timedelta = timedelta(days=30)
    max_backoff: float = 5.0
    wakeup: bool = True

    @classmethod
    def from_env(cls) -> "RelayConfig":
        default = cls()
        batch = int(env("RELAY_BATCH_SIZE", str(default.batch_size)))
        return cls(
            batch_size=batch,
            max_inflight=int(env("RELAY_MAX_INFLIGHT", str(max(default.max_inflight, batch)))),
            poll_interval=float(env("RELAY_POLL_INTERVAL", str(default.poll_interval))),
            prune_after=timedelta(hours=float(env("RELAY_PRUNE_AFTER_HOURS", "72"))),
            processed_retention=timedelta(days=float(env("RELAY_PROCESSED_RETENTION_DAYS", "30"))),
            max_backoff=float(env("RELAY_MAX_BACKOFF", str(default.max_backoff))),
            wakeup=env("RELAY_WAKEUP", "1").lower() not in ("0", "false", "no"),
        )


class _Connection(pika.SelectConnection):
    """One socket write per message instead of one per AMQP frame (method, header, body)."""

    def _output_marshaled_frames(self, marshaled_frames):
        data = b"".join(marshaled_frames)
        self.bytes_sent += len(data)
        self.frames_sent += len(marshaled_frames)
        self._adapter_emit_data(data)


class OutboxRelay:
    def __init__(self, db: Database, amqp_uri: str, exchanges: list[str], *, batch_size: int | None = None,
                 poll_interval: float | None = None, prune_after: timedelta | None = None, outbox=RelayOutbox,
                 max_inflight: int | None = None, config: RelayConfig | None = None, wakeup: bool | None = None,
                 processed=RelayProcessedEvent):
        config = config or RelayConfig.from_env()
        self.db = db
        self.params = pika.URLParameters(amqp_uri)
        self.params.heartbeat = 30
        self.params.connection_attempts = 1
        self.params.blocked_connection_timeout = 60
        self.exchanges = list(exchanges)
        self.batch_size = max(1, batch_size or config.batch_size)
        self.max_inflight = max(self.batch_size, max_inflight or config.max_inflight)
        self.poll_interval = poll_interval if poll_interval is not None else config.poll_interval
        self.prune_after = prune_after or config.prune_after
        self.processed_retention = config.processed_retention
        self.max_backoff = config.max_backoff
        self.wakeup = config.wakeup if wakeup is None else wakeup
        self.Outbox = outbox
        self.ProcessedEvent = processed
        self.published_total = 0
        self.nacked_total = 0
        self.connections_opened = 0
        self._ioloop: IOLoop | None = None
        self._connection = None
        self._channel = None
        self._ready = False
        self._declaring = False
        self._stopping = False
        self._stop_deadline = 0.0
        self._leader = False
        self._inflight: OrderedDict[int, int] = OrderedDict()  # delivery tag → outbox seq, tags ascending
        self._acked: list[int] = []
        self._nacked: list[int] = []
        self._next_tag = 0
        self._cursor = 0
        self._sweep_done = False
        self._declared: set[str] = set()
        self._pump_timer = None
        self._pump_due = 0.0
        self._backoff = 0.5
        self._nack_pause = False
        self._last_prune = time.monotonic()
        self._wake_sock: socket.socket | None = None
        self._pg_conn = None

    # --- lifecycle -------------------------------------------------------------------------
    def run(self) -> None:
        """Blocks until stop(); reconnects to the broker and the database by itself."""
        self._ioloop = IOLoop()
        try:
            if not self._stopping:
                self._ioloop.add_callback_threadsafe(self._acquire)
                self._ioloop.start()
        finally:
            self._release()
            self._ioloop.close()

    def stop(self) -> None:
        """Finish: wait a little for outstanding confirms, mark them, close. Safe from any thread."""
        self._stopping = True
        self._stop_deadline = time.monotonic() + _STOP_GRACE
        if self._ioloop is not None:
            try:
                self._ioloop.add_callback_threadsafe(self._finish)
            except Exception:  # the loop is already closed
                pass

    def _finish(self) -> None:
        connection = self._connection
        if self._inflight and connection is not None and connection.is_open \
                and time.monotonic() < self._stop_deadline:
            self._ioloop.call_later(0.05, self._finish)
            return
        self._settle()
        if connection is not None and not (connection.is_closed or connection.is_closing):
            try:
                connection.close()
                return  # _on_closed stops the loop
            except Exception:
                pass
        self._ioloop.stop()

    # --- one active relay per database ------------------------------------------------------
    def _acquire(self) -> None:
        if self._stopping:
            self._ioloop.stop()
            return
        try:
            self._leader = self._claim()
        except Exception as exc:
            log.warning("relay could not reach its database: %s", exc)
            self._leader = False
        if self._leader:
            log.info("relay active for %s", ", ".join(self.exchanges))
            self._connect()
        else:
            self._ioloop.call_later(_STANDBY_RETRY, self._acquire)

    def _claim(self) -> bool:
        if not self.wakeup:
            return True
        if self.db.is_sqlite:
            address = sqlite_wake_address(self.db.engine.url.database)
            if address is None:
                return True
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                sock.bind(address)
            except OSError:
                sock.close()
                log.info("another relay serves this database; standing by")
                return False
            sock.setblocking(False)
            self._wake_sock = sock
            self._ioloop.add_handler(sock.fileno(), self._on_datagram, self._ioloop.READ)
            return True
        if self.db.engine.dialect.name == "postgresql":
            raw = self.db.engine.raw_connection()
            conn = raw.driver_connection
            raw.detach()  # a connection of its own, outside the pool: it holds the lock and the LISTEN
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (_LEADER_LOCK_KEY,))
                if not cur.fetchone()[0]:
                    conn.close()
                    log.info("another relay serves this database; standing by")
                    return False
                cur.execute(f"LISTEN {PG_WAKE_CHANNEL}")
            self._pg_conn = conn
            self._ioloop.add_handler(conn.fileno(), self._on_pg_notify, self._ioloop.READ)
            return True
        return True

    def _release(self) -> None:
        for closeable, attr in ((self._wake_sock, "_wake_sock"), (self._pg_conn, "_pg_conn")):
            if closeable is None:
                continue
            try:
                self._ioloop.remove_handler(closeable.fileno())
            except Exception:
                pass
            try:
                closeable.close()
            except Exception:
                pass
            setattr(self, attr, None)
        self._leader = False

    def _on_datagram(self, _fd, _events) -> None:
        try:
            while True:
                self._wake_sock.recv(64)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            pass
        self._on_wake()

    def _on_pg_notify(self, _fd, _events) -> None:
        try:
            self._pg_conn.poll()
            self._pg_conn.notifies.clear()
        except Exception as exc:  # the LISTEN connection (and with it the leader lock) is gone
            log.warning("relay lost its database listen connection: %s", exc)
            self._release()
            if self._connection is not None and self._connection.is_open:
                self._connection.close()  # → _on_closed → _acquire again, after the back-off
            return
        self._on_wake()

    def _on_wake(self) -> None:
        if self._ready and not self._inflight and self._sweep_done:
            self._request_pump(0)

    # --- broker connection -----------------------------------------------------------------
    def _connect(self) -> None:
        if self._stopping:
            self._ioloop.stop()
            return
        if not self._leader:  # lost the database lock while waiting to reconnect
            self._acquire()
            return
        self._connection = _Connection(self.params, on_open_callback=self._on_open,
                                       on_open_error_callback=self._on_open_error,
                                       on_close_callback=self._on_closed, custom_ioloop=self._ioloop)

    def _retry_later(self, then) -> None:
        delay = self._backoff * random.uniform(0.8, 1.2)
        self._backoff = min(self._backoff * 2, self.max_backoff)
        self._ioloop.call_later(delay, then)
        return delay

    def _on_open_error(self, _connection, error) -> None:
        self._connection = None
        if self._stopping:
            self._ioloop.stop()
            return
        delay = self._retry_later(self._connect)
        log.warning("relay could not connect to the broker (%s); retrying in %.1fs", error, delay)

    def _on_closed(self, _connection, reason) -> None:
        self._connection = None
        self._channel = None
        self._ready = False
        self._declaring = False
        self._settle()  # what the broker confirmed stays confirmed
        dropped = len(self._inflight)
        self._inflight.clear()  # unconfirmed: still pending in the outbox, published again later
        self._cursor, self._sweep_done = 0, False
        if self._stopping:
            self._ioloop.stop()
            return
        then = self._connect if self._leader else self._acquire
        delay = self._retry_later(then)
        log.warning("relay lost the broker (%s; %d unconfirmed will be sent again); reconnecting in %.1fs",
                    reason, dropped, delay)

    def _on_open(self, connection) -> None:
        self.connections_opened += 1
        connection.channel(on_open_callback=self._on_channel)

    def _on_channel(self, channel) -> None:
        self._channel = channel
        self._declared = set()
        channel.add_on_close_callback(self._on_channel_closed)
        self._declare(list(self.exchanges), then=lambda: channel.confirm_delivery(
            ack_nack_callback=self._on_confirm, callback=self._on_confirm_mode))

    def _declare(self, remaining: list[str], then) -> None:
        if not remaining:
            then()
            return
        name = remaining.pop()
        channel = self._channel

        def _next(_frame=None):
            self._declared.add(name)
            self._declare(remaining, then)

        def _bind_notify_queue(_frame):
            channel.queue_bind(NOTIFY_QUEUE, NOTIFY_EXCHANGE, routing_key=SEND_ROUTING_KEY, callback=_next)

        def _declare_notify_queue(_frame):
            # Commands must wait for notify even if it never ran yet: its durable queue exists first.
            channel.queue_declare(NOTIFY_QUEUE, durable=True, callback=_bind_notify_queue)

        # Same declaration as nameko's own event exchanges: durable topic, not auto-deleted.
        channel.exchange_declare(name, exchange_type="topic", durable=True, auto_delete=False,
                                 callback=_declare_notify_queue if name == NOTIFY_EXCHANGE else _next)

    def _on_confirm_mode(self, _frame) -> None:
        self._next_tag = 0
        self._ready = True
        self._backoff = 0.5
        self._cursor, self._sweep_done = 0, False
        log.info("relay connected; publishing to %s", ", ".join(self.exchanges))
        self._request_pump(0)

    def _on_channel_closed(self, _channel, reason) -> None:
        level = logging.WARNING if getattr(reason, "reply_code", 200) in (200, 320) else logging.ERROR
        log.log(level, "relay channel closed: %s", reason)
        self._ready = False
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    # --- publishing ------------------------------------------------------------------------
    def _request_pump(self, delay: float) -> None:
        if self._ioloop is None:
            return
        due = time.monotonic() + delay
        if self._pump_timer is not None:
            if self._pump_due <= due:
                return
            self._ioloop.remove_timeout(self._pump_timer)
        self._pump_due = due
        self._pump_timer = self._ioloop.call_later(delay, self._pump)

    def _pump(self) -> None:
        self._pump_timer = None
        if self._stopping or not self._ready or self._declaring:
            return
        if self._sweep_done:
            if self._inflight or self._acked or self._nacked:
                return  # the settle after the last confirm starts the next sweep
            self._cursor, self._sweep_done = 0, False
        room = self.max_inflight - len(self._inflight)
        limit = min(self.batch_size, room)
        if limit < min(self.batch_size, self.max_inflight // 2):
            return  # enough in flight; a settle pumps again
        try:
            rows = self._fetch(self._cursor, limit)
        except Exception:  # database briefly unavailable: keep the broker connection, try again soon
            log.exception("relay could not read the outbox")
            self._request_pump(1.0)
            return
        undeclared = sorted({row[1] for row in rows} - self._declared)
        if undeclared:  # e.g. notify.commands: declare, then come back for the same rows
            self._declaring = True

            def _then():
                self._declaring = False
                self._request_pump(0)
            self._declare(undeclared, then=_then)
            return
        channel = self._channel
        for seq, exchange, routing_key, event_id, body in rows:
            self._next_tag += 1
            self._inflight[self._next_tag] = seq
            channel.basic_publish(exchange, routing_key, body.encode("utf-8"), pika.BasicProperties(
                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                message_id=event_id, type=routing_key))
        if rows:
            self._cursor = rows[-1][0]
        if len(rows) < limit:
            self._sweep_done = True
            if not self._inflight:
                self._maybe_prune()
                self._request_pump(self.poll_interval)
        else:
            self._request_pump(0)

    def _fetch(self, after: int, limit: int):
        O = self.Outbox
        with self.db.read() as session:
            # The stored JSON text goes out as is: no decode/encode round trip per event.
            return session.execute(
                select(O.seq, O.exchange, O.routing_key, O.event_id, cast(O.envelope, Text))
                .where(O.state == PENDING, O.seq > after).order_by(O.seq).limit(limit)).all()

    def _on_confirm(self, frame) -> None:
        method = frame.method
        target = self._acked if isinstance(method, Basic.Ack) else self._nacked
        inflight = self._inflight
        if method.multiple:
            while inflight:
                tag = next(iter(inflight))
                if tag > method.delivery_tag:
                    break
                target.append(inflight.popitem(last=False)[1])
        else:
            seq = inflight.pop(method.delivery_tag, None)
            if seq is not None:
                target.append(seq)
        if not inflight or len(self._acked) + len(self._nacked) >= self.batch_size:
            self._settle()
            if self._stopping:
                return
            if not self._sweep_done:
                self._request_pump(0)
            elif not inflight:
                self._request_pump(0.5 if self._nack_pause else 0)

    def _settle(self) -> None:
        acked, nacked = self._acked, self._nacked
        self._acked, self._nacked = [], []
        self._nack_pause = bool(nacked)
        if not acked and not nacked:
            return
        O = self.Outbox
        try:
            with self.db.write() as session:
                now = utcnow()
                for chunk in _chunks(acked, 500):
                    session.execute(update(O).where(O.seq.in_(chunk))
                                    .values(state=PUBLISHED, published_at=now, attempts=O.attempts + 1))
                for chunk in _chunks(nacked, 500):
                    session.execute(update(O).where(O.seq.in_(chunk))
                                    .values(attempts=O.attempts + 1, last_error="nacked by the broker"))
        except Exception:
            # The broker has them; they are published again later and deduplicated by consumers.
            log.exception("relay could not mark %d events published", len(acked))
        self.published_total += len(acked)
        if nacked:
            self.nacked_total += len(nacked)
            log.warning("broker nacked %d events; they are sent again", len(nacked))

    # --- housekeeping ----------------------------------------------------------------------
    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 60:
            return
        self._last_prune = now
        O, P = self.Outbox, self.ProcessedEvent
        cutoff = utcnow() - self.prune_after
        try:
            for _ in range(10):  # bounded work per idle moment; the rest waits for the next one
                with self.db.write() as session:
                    # Walk ix_outbox_state_seq from the oldest published row instead of scanning.
                    old = [seq for seq, published_at in session.execute(
                        select(O.seq, O.published_at).where(O.state == PUBLISHED).order_by(O.seq).limit(1000))
                        if published_at is not None and _aware(published_at) < cutoff]
                    if old:
                        session.execute(delete(O).where(O.seq.in_(old)))
                if len(old) < 1000:
                    break
        except Exception:
            log.exception("relay could not prune the outbox")
        try:
            with self.db.write() as session:
                session.execute(delete(P).where(P.processed_at < utcnow() - self.processed_retention))
        except Exception:
            log.debug("no processed_events to prune", exc_info=True)


def _aware(moment):
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


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
