"""Builders for the domain-rule tests: a roster entry and its student account, an approved employer."""
from __future__ import annotations

from services.auth.demo import DEMO_EMPLOYER
from services.auth.domain import employers, roster
from services.auth.domain.registration import create_student_account, find_roster_entry

from ..conftest import ROSTER_CSV

STUDENT_PASSWORD = "Campus#2026"


def seed_roster(db, admin_id=None):
    parsed = roster.parse_roster(ROSTER_CSV.encode(), default_school="10001", allowed_school="10001")
    with db.write() as session:
        return roster.upsert_roster(session, parsed, imported_by=admin_id)


def student(db, student_no="2022010101", email=None, password=STUDENT_PASSWORD):
    """A registered student (the roster is imported first when needed); returns the user id."""
    def entry_id():
        with db.read() as session:
            entry = find_roster_entry(session, "10001", student_no)
            return entry.id if entry else None

    if entry_id() is None:
        seed_roster(db)
    return create_student_account(db, entry_id(), password=password, phone="13812345678",
                                  email=email or f"s{student_no}@mail.example")["user_id"]


def employer(db, approve_by=None, **overrides):
    result = employers.register_employer(db, **{**DEMO_EMPLOYER, **overrides})
    if approve_by is not None:
        with db.write() as session:
            employers.approve_employer(session, result["id"], approve_by)
    return result
