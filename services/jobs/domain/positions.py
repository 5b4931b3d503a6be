"""Positions: publishing and editing by their employer, the school's review, visibility, presentation."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cc_kit.errors import Conflict, Forbidden, NotFound
from cc_kit.outbox import record
from cc_kit.security import Principal

from .. import events
from ..config import JobsSettings
from ..models import (CLOSED, PENDING_REVIEW, PUBLISHED, REJECTED, Application, Favorite, Outbox, Position,
                      utcnow)
from . import rules
from .text import document_text

ADMIN_ROLES = ("school_admin",)
# Anyone may open these (a closed posting stays readable for those who applied or bookmarked it).
PUBLIC_STATUSES = (PUBLISHED, CLOSED)
# Fields an employer writes; everything else on a position is the service's.
EDITABLE = ("title", "description", "city", "salary_min", "salary_max", "degree", "majors", "headcount",
            "job_type", "industry", "deadline")


def employer_id_of(principal: Principal) -> int:
    if principal.employer_id in (None, ""):
        raise Forbidden("账号未关联用人单位 (no employer on this account)", code="forbidden")
    return int(principal.employer_id)


def _index(position: Position) -> None:
    position.search_title = document_text(position.title)
    position.search_body = document_text(position.description)


def _publish(session: Session, position: Position, now: datetime) -> None:
    position.status = PUBLISHED
    if position.published_at is None:
        position.published_at = now
    record(session, Outbox, events.position_published, {
        "position_id": position.id, "employer_id": position.employer_id, "company_name": position.company_name,
        "title": position.title, "city": position.city, "industry": position.industry,
        "job_type": position.job_type, "degree": position.degree, "majors": list(position.majors or []),
        "salary_min": position.salary_min, "salary_max": position.salary_max, "headcount": position.headcount,
        "deadline": position.deadline.isoformat(), "published_at": position.published_at.isoformat(),
    }, subject=position.id)


def create_position(session: Session, principal: Principal, data: dict, settings: JobsSettings,
                    *, now: datetime | None = None) -> Position:
    """Publish a position (or submit it for review when the school requires approval)."""
    now = now or utcnow()
    rules.check_deadline_ahead(data["deadline"], rules.today_in(settings.tz, now))
    rules.check_salary_range(data["salary_min"], data["salary_max"])
    position = Position(employer_id=employer_id_of(principal), company_name=principal.org_name or "",
                        created_by=principal.user_id, status=PENDING_REVIEW, created_at=now, updated_at=now,
                        **{k: data[k] for k in EDITABLE if k in data})
    position.majors = list(data.get("majors") or [])
    _index(position)
    session.add(position)
    session.flush()
    if not settings.require_approval:
        _publish(session, position, now)
    return position


def owned_position(session: Session, position_id: int, principal: Principal, *, for_update: bool = False) -> Position:
    """The employer's own position; another employer's is 404 (its existence is not revealed)."""
    stmt = select(Position).where(Position.id == position_id)
    if for_update:
        stmt = stmt.with_for_update()
    position = session.scalar(stmt)
    if position is None or position.employer_id != employer_id_of(principal):
        raise NotFound("职位不存在 (position not found)")
    return position


def update_position(session: Session, position_id: int, principal: Principal, changes: dict,
                    settings: JobsSettings, *, now: datetime | None = None) -> Position:
    """Edit an own position. Under review rules an edit of a public or rejected posting goes back to review."""
    now = now or utcnow()
    position = owned_position(session, position_id, principal, for_update=True)
    if position.status == CLOSED:
        raise Conflict("职位已关闭，不能修改 (the position is closed)", code="position_closed")
    if "deadline" in changes:
        rules.check_deadline_ahead(changes["deadline"], rules.today_in(settings.tz, now))
    rules.check_salary_range(changes.get("salary_min", position.salary_min),
                             changes.get("salary_max", position.salary_max),
                             "salary_max" if "salary_max" in changes else "salary_min")
    for key in EDITABLE:
        if key in changes:
            setattr(position, key, list(changes[key]) if key == "majors" else changes[key])
    if principal.org_name:
        position.company_name = principal.org_name
    if "title" in changes or "description" in changes:
        _index(position)
    position.updated_at = now
    # A rejected posting goes back to the school whatever the setting; a public one only under review rules.
    if position.status == REJECTED or (position.status == PUBLISHED and settings.require_approval):
        position.status = PENDING_REVIEW
        position.review_note = None
    session.flush()
    return position


def _close(session: Session, position: Position, status: str, now: datetime) -> None:
    was_public = position.status == PUBLISHED
    position.status = status
    position.updated_at = now
    if was_public:
        record(session, Outbox, events.position_closed, {
            "position_id": position.id, "employer_id": position.employer_id, "status": status,
            "closed_at": now.isoformat()}, subject=position.id)


def close_own_position(session: Session, position_id: int, principal: Principal,
                       *, now: datetime | None = None) -> Position:
    now = now or utcnow()
    position = owned_position(session, position_id, principal, for_update=True)
    rules.check_position_action("close", position.status)
    _close(session, position, CLOSED, now)
    return position


def review_position(session: Session, position_id: int, action: str, principal: Principal,
                    note: str | None = None, *, now: datetime | None = None) -> Position:
    """School review: approve (→ published), reject (→ rejected, also takes a public one down), close."""
    now = now or utcnow()
    position = session.scalar(select(Position).where(Position.id == position_id).with_for_update())
    if position is None:
        raise NotFound("职位不存在 (position not found)")
    rules.check_position_action(action, position.status)
    position.reviewed_by = principal.user_id
    position.review_note = note
    if action == "approve":
        position.updated_at = now
        _publish(session, position, now)
    else:
        _close(session, position, REJECTED if action == "reject" else CLOSED, now)
    session.flush()
    return position


def visible_position(session: Session, position_id: int, principal: Principal | None) -> Position:
    """Published and closed positions are public; others only for their employer and the school (else 404)."""
    position = session.get(Position, position_id)
    if position is None:
        raise NotFound("职位不存在 (position not found)")
    if position.status in PUBLIC_STATUSES:
        return position
    if principal is not None:
        if principal.role in ADMIN_ROLES:
            return position
        if principal.role == "employer" and principal.employer_id is not None \
                and int(principal.employer_id) == position.employer_id:
            return position
    raise NotFound("职位不存在 (position not found)")


def employer_positions(session: Session, employer_id: int, status: str | None, offset: int,
                       limit: int) -> tuple[list[Position], int]:
    conditions = [Position.employer_id == employer_id]
    if status:
        conditions.append(Position.status == status)
    rows = session.scalars(select(Position).where(*conditions).order_by(Position.created_at.desc(), Position.id.desc())
                           .offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Position).where(*conditions))
    return list(rows), int(total or 0)


def positions_for_review(session: Session, status: str | None, offset: int, limit: int) -> tuple[list[Position], int]:
    conditions = [Position.status == status] if status else []
    rows = session.scalars(select(Position).where(*conditions).order_by(Position.updated_at.asc(), Position.id.asc())
                           .offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Position).where(*conditions))
    return list(rows), int(total or 0)


def positions_by_ids(session: Session, ids: list[int]) -> list[Position]:
    """The positions in the order of `ids`."""
    if not ids:
        return []
    found = {p.id: p for p in session.scalars(select(Position).where(Position.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def student_flags(session: Session, student_id: int, position_ids: list[int]) -> dict[int, dict]:
    """favorited / applied (with the application's id and status) of each position, for one student."""
    flags = {pid: {"favorited": False, "applied": False, "application_id": None, "application_status": None}
             for pid in position_ids}
    if not position_ids:
        return flags
    for (pid,) in session.execute(select(Favorite.position_id).where(
            Favorite.student_id == student_id, Favorite.position_id.in_(position_ids))):
        flags[pid]["favorited"] = True
    for pid, app_id, status in session.execute(select(Application.position_id, Application.id, Application.status)
                                               .where(Application.student_id == student_id,
                                                      Application.position_id.in_(position_ids))):
        flags[pid].update(applied=True, application_id=app_id, application_status=status)
    return flags


def position_dict(position: Position, today: date, *, flags: dict | None = None, score: float | None = None,
                  staff_view: bool = False) -> dict:
    """What a client sees of a position; review notes only for its employer and the school."""
    data = {
        "id": position.id,
        "employer_id": position.employer_id,
        "company_name": position.company_name,
        "title": position.title,
        "description": position.description,
        "city": position.city,
        "salary_min": position.salary_min,
        "salary_max": position.salary_max,
        "degree": position.degree,
        "majors": list(position.majors or []),
        "headcount": position.headcount,
        "job_type": position.job_type,
        "industry": position.industry,
        "deadline": position.deadline,
        "status": position.status,
        "accepting_applications": rules.accepting_applications(position.status, position.deadline, today),
        "published_at": position.published_at,
        "created_at": position.created_at,
        "updated_at": position.updated_at,
    }
    if score is not None:
        data["score"] = round(score, 6)
    if flags is not None:
        data.update(flags)
    if staff_view:
        data["review_note"] = position.review_note
    return data
