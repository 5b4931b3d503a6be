"""A stand-in publishing service `evtest`: its own database with the standard outbox, one declared event."""
from __future__ import annotations

import marshmallow as ma
from sqlalchemy import func, select
from sqlalchemy.orm import DeclarativeBase

from cc_kit.db import Database
from cc_kit.events import EventCatalog
from cc_kit.outbox import PENDING, PUBLISHED, outbox_model, record

SERVICE = "evtest"
EXCHANGE = f"{SERVICE}.events"


class Base(DeclarativeBase):
    pass


Outbox = outbox_model(Base)
catalog = EventCatalog(SERVICE, "测试用的发布方 (test publisher)")


class ThingHappenedSchema(ma.Schema):
    n = ma.fields.Integer(required=True, metadata={"description": "sequence number given by the test"})
    label = ma.fields.String(required=True, metadata={"description": "free text, Chinese included"})


thing_happened = catalog.declare("thing_happened", ThingHappenedSchema, "测试事件 (a test event happened)")


def create(url: str) -> Database:
    db = Database(url)
    Base.metadata.create_all(db.engine)
    return db


def commit_batch(db: Database, numbers) -> list[str]:
    """One transaction recording one event per number (as a service would); returns the event ids."""
    with db.write() as session:
        return [record(session, Outbox, thing_happened, {"n": n, "label": f"事件 {n}"}, subject=n)["id"]
                for n in numbers]


def counts(db: Database) -> dict:
    with db.read() as session:
        rows = dict(session.execute(select(Outbox.state, func.count()).group_by(Outbox.state)).all())
    return {"pending": rows.get(PENDING, 0), "published": rows.get(PUBLISHED, 0)}


def all_event_ids(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(Outbox.event_id)))
