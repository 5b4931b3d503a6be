"""The kit's database layer on SQLite and PostgreSQL: writers queue instead of failing."""
import threading

from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.db import Database


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(Integer, default=0)


def test_concurrent_read_modify_write_loses_no_update(db_url):
    db = Database(db_url)
    Base.metadata.create_all(db.engine)
    with db.write() as s:
        s.add(Counter(id=1, name="计数器", value=0))

    errors = []

    def bump(times):
        for _ in range(times):
            try:
                with db.write() as s:
                    # read-then-write inside one write transaction: on SQLite BEGIN IMMEDIATE serialises it
                    row = s.execute(select(Counter).where(Counter.id == 1).with_for_update()).scalar_one()
                    row.value = row.value + 1
            except Exception as exc:  # any "database is locked" would land here
                errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as s:
        value = s.execute(select(Counter.value).where(Counter.id == 1)).scalar_one()
        name = s.execute(select(Counter.name).where(Counter.id == 1)).scalar_one()
    db.dispose()
    assert errors == []
    assert value == 200
    assert name == "计数器"


def test_write_rolls_back_on_error(db_url):
    db = Database(db_url)
    Base.metadata.create_all(db.engine)
    try:
        with db.write() as s:
            s.add(Counter(id=7, name="x", value=1))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.read() as s:
        assert s.get(Counter, 7) is None
    with db.write() as s:
        s.execute(update(Counter).where(Counter.id == 7).values(value=2))
    db.dispose()
