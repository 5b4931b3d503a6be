"""Roster upsert: new, changed and equal rows; columns missing from a file keep their stored values."""
from sqlalchemy import select

from services.auth.domain import roster
from services.auth.models import RosterEntry

from ..conftest import ROSTER_CSV, outbox_rows


def _import(db, content: str):
    parsed = roster.parse_roster(content.encode(), default_school="10001", allowed_school="10001")
    with db.write() as session:
        return roster.upsert_roster(session, parsed, imported_by=7)


def _entries(db):
    with db.read() as session:
        return {e.student_no: (e.name, e.graduation_year, e.phone, e.email)
                for e in session.scalars(select(RosterEntry))}


def test_changes_of_different_columns_in_one_import(sqlite_db):
    assert _import(sqlite_db, ROSTER_CSV)["created"] == 5
    changed = ROSTER_CSV.replace("张伟,2026", "张伟,2027").replace("13900000002", "13900000009") \
        .replace("ly@roster.example", "")
    result = _import(sqlite_db, changed)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 3, 2)
    entries = _entries(sqlite_db)
    assert entries["2022010101"][1] == 2027
    assert entries["2022010102"][2] == "13900000009"
    assert entries["2022020101"][3] is None  # a blank cell clears the value


def test_absent_columns_are_kept(sqlite_db):
    _import(sqlite_db, ROSTER_CSV)
    without_contacts = "学号,姓名,毕业年份,学院,专业,学历\n2022010101,张伟,2026,计算机学院,软件工程,本科\n"
    result = _import(sqlite_db, without_contacts)
    assert (result["updated"], result["unchanged"]) == (0, 1)
    assert _entries(sqlite_db)["2022010101"] == ("张伟", 2026, "13900000001", "zw@roster.example")


def test_only_imports_that_change_something_are_events(sqlite_db):
    _import(sqlite_db, ROSTER_CSV)
    _import(sqlite_db, ROSTER_CSV)
    events = [envelope["data"] for _, envelope in outbox_rows(sqlite_db, "roster_imported")]
    assert len(events) == 1
    assert events[0]["created"] == 5 and events[0]["school_codes"] == ["10001"] and events[0]["imported_by"] == 7
