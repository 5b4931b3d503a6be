"""Transactional outbox (events saved with the state change) and the consumer's processed-ids table.

Every service's models.py adds both tables to its own metadata:

    Outbox = outbox_model(Base)
    ProcessedEvent = processed_event_model(Base)
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .events import EventType, exchange_name, make_envelope

PENDING, PUBLISHED, FAILED = "pending", "published", "failed"

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
    return len(rows)


def first_time(session: Session, ProcessedEvent, event_id: str, handler: str) -> bool:
    """Claim (event, handler) inside the consumer's transaction: False if it was handled before.

    The claim commits or rolls back together with the handler's effect, so a redelivery after a
    crash either finds the claim (effect done) or not (effect not done) — never half.
    """
    if session.execute(select(ProcessedEvent.event_id).where(
            ProcessedEvent.event_id == event_id, ProcessedEvent.handler == handler)).first():
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, handler=handler, processed_at=utcnow()))
            session.flush()
    except IntegrityError:
        return False
    return True
