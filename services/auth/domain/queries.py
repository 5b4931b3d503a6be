"""Read-only answers for other services (the RPC contracts of the common brief)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ACTIVE, STUDENT, Employer, RosterEntry, User
from .accounts import get_privacy


def _id(value) -> int | None:
    """A database id from a caller's argument; anything else (text, out of range) finds nothing."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2 ** 31 else None


def _user(session: Session, user_id) -> User | None:
    number = _id(user_id)
    return session.get(User, number) if number else None


def contact(session: Session, user_id: int) -> dict | None:
    user = _user(session, user_id)
    if user is None:
        return None
    name = user.name
    if user.roster_entry_id:
        name = session.get(RosterEntry, user.roster_entry_id).name
    return {"user_id": user.id, "role": user.role, "name": name, "email": user.email, "phone": user.phone}


def _student_view(user: User, entry: RosterEntry) -> dict:
    return {"user_id": user.id, "school_code": entry.school_code, "student_no": entry.student_no,
            "name": entry.name, "college": entry.college, "major": entry.major, "degree": entry.degree,
            "graduation_year": entry.graduation_year, "gender": entry.gender, "email": user.email,
            "phone": user.phone}


def student(session: Session, user_id: int) -> dict | None:
    user = _user(session, user_id)
    if user is None or user.role != STUDENT or not user.roster_entry_id:
        return None
    return _student_view(user, session.get(RosterEntry, user.roster_entry_id))


def student_by_number(session: Session, school_code: str, student_no: str) -> dict | None:
    row = session.execute(select(User, RosterEntry).join(RosterEntry, User.roster_entry_id == RosterEntry.id).where(
        RosterEntry.school_code == school_code, RosterEntry.student_no == student_no)).first()
    return _student_view(*row) if row else None


def privacy(session: Session, user_id: int) -> dict:
    return get_privacy(session, _id(user_id) or 0)


def find_students(session: Session, *, colleges=None, majors=None, graduation_years=None,
                  school_code=None) -> list[int]:
    """Ids of registered, active students matching every given filter (a None filter matches all)."""
    query = select(User.id).join(RosterEntry, User.roster_entry_id == RosterEntry.id).where(
        User.role == STUDENT, User.status == ACTIVE)
    if colleges:
        query = query.where(RosterEntry.college.in_(list(colleges)))
    if majors:
        query = query.where(RosterEntry.major.in_(list(majors)))
    if graduation_years:
        query = query.where(RosterEntry.graduation_year.in_([int(y) for y in graduation_years]))
    if school_code:
        query = query.where(RosterEntry.school_code == school_code)
    return list(session.scalars(query.order_by(User.id)))


def employer(session: Session, employer_id: int) -> dict | None:
    number = _id(employer_id)
    row = session.get(Employer, number) if number else None
    if row is None:
        return None
    return {"id": row.id, "company_name": row.company_name, "credit_code": row.credit_code, "status": row.status,
            "contact_name": row.contact_name, "email": row.email, "phone": row.phone}
