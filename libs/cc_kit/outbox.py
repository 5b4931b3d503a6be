"""Transactional outbox (events saved with the state change) and the consumer's processed-ids table.

Every service's models.py adds both tables to its own metadata:

    Outbox = outbox_model(Base)
    ProcessedEvent = processed_event_model(Base)

Writing an outbox row also wakes the relay up as soon as the transaction commits, so it does not
have to poll fast: on PostgreSQL with `pg_notify` (transactional: delivered at commit, dropped at
rollback), on SQLite with a datagram to an abstract unix socket named after the database file
(sent from the session's after_commit hook). Both are hints only; the relay still polls.
"""
from __future__ import annotations

import hashlib
import os
import socket
import sys
from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text, event, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .events import EventType, exchange_name, make_envelope

PENDING, PUBLISHED, FAILED = "pending", "published", "failed"
PG_WAKE_CHANNEL = "cc_outbox"

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a busy outbox.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def outbox_model(Base):
    class Outbox(Base):
        """One event waiting for (or done with) the relay. State: pending → published (or failed)."""

        __tablename__ = "outbox"
        __table_args__ = (Index("ix_outbox_state_seq", "state", "seq"),)

        seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
        event_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
        exchange: Mapped[str] = mapped_column(String(100), nullable=False)
        routing_key: Mapped[str] = mapped_column(String(100), nullable=False)
        envelope: Mapped[dict] = mapped_column(JSON, nullable=False)
        state: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
        attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
        last_error: Mapped[str | None] = mapped_column(Text)
        created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
        published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    return Outbox


def processed_event_model(Base):
    class ProcessedEvent(Base):
        """Ids of events this service has already acted on, one row per (event, handler)."""

        __tablename__ = "processed_events"

        event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
        handler: Mapped[str] = mapped_column(String(120), primary_key=True)
        processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    return ProcessedEvent


def record(session: Session, Outbox, event: EventType, data: dict, subject=None) -> dict:
    """Add the event to the outbox inside the caller's transaction; returns the envelope."""
    envelope = make_envelope(event, data, subject)
    session.add(Outbox(event_id=envelope["id"], exchange=exchange_name(event.service), routing_key=event.name,
                       envelope=envelope, state=PENDING, attempts=0, created_at=utcnow()))
    announce(session)
    return envelope


def record_many(session: Session, Outbox, event: EventType, items: list[tuple[dict, object]]) -> int:
    """Bulk form of `record` for imports and benchmarks: one INSERT for many events."""
    now = utcnow()
    rows = []
    for data, subject in items:
        envelope = make_envelope(event, data, subject)
        rows.append({"event_id": envelope["id"], "exchange": exchange_name(event.service),
                     "routing_key": event.name, "envelope": envelope, "state": PENDING, "attempts": 0,
                     "created_at": now})
    if rows:
        session.execute(insert(Outbox), rows)
        announce(session)
    return len(rows)


def first_time(session: Session, ProcessedEvent, event_id: str, handler: str) -> bool:
    """Claim (event, handler) inside the consumer's transaction: False if it was handled before.

    The claim commits or rolls back together with the handler's effect, so a redelivery after a
    crash either finds the claim (effect done) or not (effect not done) — never half. One
    `INSERT … ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent claim of the same id waits for
    the other transaction and then sees it, so two workers never both get True.
    """
    table = ProcessedEvent.__table__
    values = {"event_id": event_id, "handler": handler, "processed_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        result = session.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())
        return result.rowcount == 1
    if session.execute(select(table.c.event_id).where(
            table.c.event_id == event_id, table.c.handler == handler)).first():
        return False
    try:
        with session.begin_nested():
            session.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True


# --- waking the relay up -------------------------------------------------------------------------

_INFO_KEY = "cc_outbox_wake"
_sender: tuple[int, socket.socket] | None = None


def sqlite_wake_address(database_path: str | None) -> bytes | None:
    """Abstract unix socket (Linux) the relay of this SQLite file listens on; None where unsupported."""
    if not database_path or database_path == ":memory:" or not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha1(os.path.realpath(database_path).encode()).hexdigest()[:24]
    return b"\0cc-outbox-" + digest.encode()


def announce(session: Session) -> None:
    """Ask for a relay wake-up once this transaction commits (once per transaction)."""
    info = session.info
    if info.get(_INFO_KEY):
        return
    try:
        bind = session.get_bind()
        dialect = bind.dialect.name
        if dialect == "postgresql":
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": PG_WAKE_CHANNEL})
            info[_INFO_KEY] = "pg"
        elif dialect == "sqlite":
            address = sqlite_wake_address(bind.url.database)
            if address is None:
                return
            info[_INFO_KEY] = address
        else:
            return
    except Exception:  # a wake-up is a hint: never let it fail the business transaction
        return
    if not info.get("cc_outbox_hooks"):
        info["cc_outbox_hooks"] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _forget)
        event.listen(session, "after_soft_rollback", lambda s, _previous: _forget(s))


def _forget(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


def _after_commit(session: Session) -> None:
    address = session.info.pop(_INFO_KEY, None)
    if isinstance(address, bytes):
        poke(address)


def poke(address: bytes) -> None:
    global _sender
    try:
        if _sender is None or _sender[0] != os.getpid():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            _sender = (os.getpid(), sock)
        _sender[1].sendto(b"1", address)
    except OSError:  # no relay listening (or its buffer is full, so it is awake anyway)
        pass
