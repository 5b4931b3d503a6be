"""One-click applications: delivery with a frozen resume snapshot, status changes, the employer's side."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.errors import Conflict, NotFound
from cc_kit.notifications import request_notification
from cc_kit.outbox import record
from cc_kit.security import Principal

from .. import events
from ..models import (APP_REJECTED, DELIVERED, INVITED, ACCEPTED, CANCELLED, OFFER, VIEWED, WITHDRAWN, Application,
                      ApplicationHistory, Interview, Outbox, Position, utcnow)
from . import rules
from .positions import employer_id_of

# Outcomes the student is told about by mail (interviews have their own invitation).
NOTIFIED_OUTCOMES = frozenset({OFFER, APP_REJECTED})


def _already_applied() -> Conflict:
    return Conflict("你已申请过该职位 (already applied to this position)", code="already_applied")


def _open_position(session: Session, position_id: int, today: date) -> Position:
    position = session.get(Position, position_id)
    if position is None or position.status not in ("published", "closed"):
        raise NotFound("职位不存在 (position not found)")
    rules.check_accepting(position.status, position.deadline, today)
    return position


def check_can_apply(session: Session, position_id: int, student_id: int, today: date) -> Position:
    """Cheap checks before asking resume for the snapshot (the insert re-checks under its constraint)."""
    position = _open_position(session, position_id, today)
    if session.scalar(select(Application.id).where(Application.position_id == position_id,
                                                   Application.student_id == student_id)) is not None:
        raise _already_applied()
    return position


def submit_application(session: Session, position_id: int, principal: Principal, delivery: dict, today: date,
                       *, now: datetime | None = None) -> Application:
    """Store the application with the resume as delivered. The unique constraint settles concurrent clicks."""
    now = now or utcnow()
    rules.check_deliverable(delivery)
    position = _open_position(session, position_id, today)
    application = Application(
        position_id=position.id, employer_id=position.employer_id, student_id=principal.user_id,
        student_name=principal.name or (delivery.get("snapshot") or {}).get("basic_info", {}).get("name"),
        status=DELIVERED, resume_id=int(delivery["resume_id"]), resume_kind=delivery.get("kind"),
        resume_title=delivery.get("title"), completeness=int(delivery.get("completeness") or 0),
        snapshot=delivery["snapshot"], created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(application)
    except IntegrityError:
        raise _already_applied() from None
    session.add(ApplicationHistory(application_id=application.id, from_status=None, to_status=DELIVERED,
                                   actor_role="student", actor_id=principal.user_id, at=now))
    record(session, Outbox, events.application_submitted, {
        "application_id": application.id, "position_id": position.id, "employer_id": position.employer_id,
        "student_id": principal.user_id, "resume_id": application.resume_id,
        "completeness": application.completeness, "submitted_at": now.isoformat()}, subject=application.id)
    return application


def _change_status(session: Session, application: Application, target: str, principal: Principal,
                   now: datetime, *, position: Position | None = None) -> None:
    """Move an application to `target` if allowed; a concurrent change makes the conditional update miss."""
    current = application.status
    rules.check_transition(current, target)
    values = {"status": target, "updated_at": now}
    if target == VIEWED:
        values["viewed_at"] = now
    done = session.execute(update(Application).where(Application.id == application.id,
                                                     Application.status == current).values(**values))
    if done.rowcount != 1:
        session.refresh(application)
        rules.check_transition(application.status, target)
        raise Conflict("申请状态已被修改，请刷新 (the application changed meanwhile)", code="invalid_transition")
    for key, value in values.items():
        setattr(application, key, value)
    session.add(ApplicationHistory(application_id=application.id, from_status=current, to_status=target,
                                   actor_role=principal.role, actor_id=principal.user_id, at=now))
    record(session, Outbox, events.application_status_changed, {
        "application_id": application.id, "position_id": application.position_id,
        "employer_id": application.employer_id, "student_id": application.student_id, "old_status": current,
        "status": target, "changed_by_role": principal.role, "changed_at": now.isoformat()},
        subject=application.id)
    if target in (WITHDRAWN, APP_REJECTED):
        session.execute(update(Interview).where(Interview.application_id == application.id,
                                                Interview.status.in_((INVITED, ACCEPTED)))
                        .values(status=CANCELLED, updated_at=now, sequence=Interview.sequence + 1))
    if target in NOTIFIED_OUTCOMES:
        position = position or session.get(Position, application.position_id)
        request_notification(session, Outbox, source="jobs", template="application_status_changed",
                             params={"position": position.title, "status": target},
                             category="application", user_id=application.student_id, channels=("email",))


def employer_application(session: Session, application_id: int, principal: Principal) -> Application:
    """An application to one of this employer's positions; anyone else's is 404."""
    application = session.get(Application, application_id)
    if application is None or application.employer_id != employer_id_of(principal):
        raise NotFound("申请不存在 (application not found)")
    return application


def student_application(session: Session, application_id: int, principal: Principal) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.student_id != principal.user_id:
        raise NotFound("申请不存在 (application not found)")
    return application


def read_resume(session: Session, application_id: int, principal: Principal, *,
                now: datetime | None = None) -> Application:
    """The employer opens the delivered resume: the first reading marks the application viewed."""
    application = employer_application(session, application_id, principal)
    if application.status == DELIVERED:
        try:
            _change_status(session, application, VIEWED, principal, now or utcnow())
        except Conflict:
            session.refresh(application)  # someone moved it on meanwhile; the snapshot is still readable
    return application


def set_status(session: Session, application_id: int, principal: Principal, target: str, *,
               now: datetime | None = None) -> Application:
    """The employer's status change (viewed, interview, offer, rejected)."""
    if target not in rules.EMPLOYER_TARGETS:
        raise Conflict(f"用人单位不能把申请设为 {target} (employers cannot set {target})", code="invalid_transition")
    application = employer_application(session, application_id, principal)
    _change_status(session, application, target, principal, now or utcnow())
    return application


def withdraw(session: Session, application_id: int, principal: Principal, *,
             now: datetime | None = None) -> Application:
    application = student_application(session, application_id, principal)
    _change_status(session, application, WITHDRAWN, principal, now or utcnow())
    return application


def list_applications(session: Session, principal: Principal, *, position_id: int | None, status: str | None,
                      offset: int, limit: int) -> tuple[list[tuple[Application, Position]], int]:
    """Students: their own; employers: those to their positions."""
    if principal.role == "employer":
        conditions = [Application.employer_id == employer_id_of(principal)]
    else:
        conditions = [Application.student_id == principal.user_id]
    if position_id is not None:
        conditions.append(Application.position_id == position_id)
    if status:
        conditions.append(Application.status == status)
    rows = session.execute(select(Application, Position).join(Position, Position.id == Application.position_id)
                           .where(*conditions).order_by(Application.created_at.desc(), Application.id.desc())
                           .offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Application).where(*conditions))
    return [(a, p) for a, p in rows], int(total or 0)


def history(session: Session, application_ids: list[int]) -> dict[int, list[dict]]:
    result: dict[int, list[dict]] = {i: [] for i in application_ids}
    if not application_ids:
        return result
    for row in session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id.in_(application_ids))
                               .order_by(ApplicationHistory.id)):
        result[row.application_id].append({"from_status": row.from_status, "status": row.to_status,
                                           "by": row.actor_role, "at": row.at})
    return result


def application_dict(application: Application, position: Position, *, timeline: list[dict] | None = None) -> dict:
    data = {
        "id": application.id,
        "position_id": application.position_id,
        "position": {"id": position.id, "title": position.title, "company_name": position.company_name,
                     "city": position.city, "status": position.status, "deadline": position.deadline},
        "employer_id": application.employer_id,
        "student_id": application.student_id,
        "student_name": application.student_name,
        "status": application.status,
        "status_label": rules.STATUS_LABELS.get(application.status, application.status),
        "resume_id": application.resume_id,
        "resume_kind": application.resume_kind,
        "resume_title": application.resume_title,
        "completeness": application.completeness,
        "viewed_at": application.viewed_at,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }
    if timeline is not None:
        data["history"] = timeline
    return data


def resume_dict(application: Application) -> dict:
    return {
        "application_id": application.id,
        "student_id": application.student_id,
        "student_name": application.student_name,
        "status": application.status,
        "resume_id": application.resume_id,
        "kind": application.resume_kind,
        "title": application.resume_title,
        "completeness": application.completeness,
        "delivered_at": application.created_at,
        "snapshot": application.snapshot,
    }
