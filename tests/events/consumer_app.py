"""nameko services the event tests run as real worker processes; each counts its effects in its own database.

`python -m cc_kit.worker tests.events.consumer_app:Consumer` (service `evsink`, database EVSINK_DATABASE_URL)
and `…:Auditor` (service `evaudit`, EVAUDIT_DATABASE_URL) both handle `evtest.thing_happened`.
"""
from __future__ import annotations

import os

from nameko.events import event_handler
from nameko.rpc import rpc
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.db import Database
from cc_kit.nameko_deps import DatabaseProvider
from cc_kit.outbox import first_time, processed_event_model


class SinkBase(DeclarativeBase):
    pass


ProcessedEvent = processed_event_model(SinkBase)


class Effect(SinkBase):
    """What a handler did; deliberately no unique key, so a double effect would show up as two rows."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(40), index=True)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    n: Mapped[int] = mapped_column(Integer)
    pid: Mapped[int] = mapped_column(Integer)


class Redelivery(SinkBase):
    """A delivery of an event this service had already handled (skipped thanks to first_time)."""

    __tablename__ = "redeliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int] = mapped_column(Integer)


def handle(db: Database, service: str, envelope: dict) -> None:
    assert envelope["specversion"] == "1.0" and envelope["type"] == "cn.campus-careers.evtest.thing_happened"
    with db.write() as session:
        if first_time(session, ProcessedEvent, envelope["id"], f"{service}.on_thing_happened"):
            session.add(Effect(service=service, event_id=envelope["id"], n=envelope["data"]["n"], pid=os.getpid()))
            return
    with db.write() as session:
        session.add(Redelivery(service=service, event_id=envelope["id"], pid=os.getpid()))


class Consumer:
    name = "evsink"
    db = DatabaseProvider("evsink")

    @event_handler("evtest", "thing_happened")
    def on_thing_happened(self, envelope):
        handle(self.db, self.name, envelope)

    @rpc
    def whoami(self):
        return {"pid": os.getpid()}


class Auditor:
    name = "evaudit"
    db = DatabaseProvider("evaudit")

    @event_handler("evtest", "thing_happened")
    def on_thing_happened(self, envelope):
        handle(self.db, self.name, envelope)


def queue_name(service: str) -> str:
    """nameko's service-pool queue of the handler above."""
    return f"evt-evtest-thing_happened--{service}.on_thing_happened"


def create(url: str) -> Database:
    db = Database(url)
    SinkBase.metadata.create_all(db.engine)
    return db


def tally(db: Database, service: str) -> dict:
    """effects, distinct events, doubles (events with more than one effect), redeliveries, effects per pid."""
    with db.read() as session:
        effects = session.scalar(select(func.count()).select_from(Effect).where(Effect.service == service))
        distinct = session.scalar(select(func.count(func.distinct(Effect.event_id))).where(Effect.service == service))
        redeliveries = session.scalar(select(func.count()).select_from(Redelivery)
                                      .where(Redelivery.service == service))
        per_pid = dict(session.execute(select(Effect.pid, func.count()).where(Effect.service == service)
                                       .group_by(Effect.pid)).all())
    return {"effects": effects, "distinct": distinct, "doubles": effects - distinct,
            "redeliveries": redeliveries, "per_pid": per_pid}


def event_ids(db: Database, service: str) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(Effect.event_id).where(Effect.service == service)))
