"""Interview invitations: the employer invites after reading the resume, the student accepts or declines."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cc_kit.errors import Conflict, NotFound, Unprocessable
from cc_kit.notifications import request_notification
from cc_kit.outbox import record
from cc_kit.security import Principal

from .. import events
from ..config import JobsSettings
from ..models import ACCEPTED, DECLINED, INTERVIEW, INVITED, Interview, Outbox, Position, utcnow
from . import rules
from .applications import _change_status, employer_application
from .positions import employer_id_of

MODE_LABELS = {"onsite": "现场面试", "online": "视频面试"}
STATUS_LABELS = {INVITED: "待确认", ACCEPTED: "已接受", DECLINED: "已拒绝", "cancelled": "已取消"}


def new_room_url(settings: JobsSettings) -> str:
    """An unguessable room of the configured video provider (≈128 bits of randomness)."""
    return settings.video_room_base.rstrip("/") + "/cc-" + secrets.token_urlsafe(16)


def local_time(moment: datetime, offset_minutes: int) -> datetime:
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes)))


def invite(session: Session, application_id: int, principal: Principal, data: dict, settings: JobsSettings,
           *, now: datetime | None = None) -> Interview:
    """Schedule an interview; the application moves to `interview`; the student is told by SMS and email."""
    now = now or utcnow()
    starts_at: datetime = data["starts_at"]
    rules.check_interview_time(starts_at, now)
    mode = data["mode"]
    location = (data.get("location") or "").strip() or None
    if mode == "onsite" and not location:
        raise Unprocessable("现场面试须填写地点 (location is required for onsite interviews)",
                            errors={"location": ["现场面试须填写地点 (required for onsite interviews)"]})
    application = employer_application(session, application_id, principal)
    if application.status not in rules.INTERVIEWABLE:
        if application.status == "delivered":
            raise Conflict("请先查看简历再邀请面试 (read the resume before inviting)", code="invalid_transition",
                           status_from=application.status, status_to=INTERVIEW)
        rules.check_transition(application.status, INTERVIEW)
    position = session.get(Position, application.position_id)
    if application.status != INTERVIEW:
        _change_status(session, application, INTERVIEW, principal, now, position=position)
    offset = int(starts_at.utcoffset().total_seconds() // 60)
    interview = Interview(
        application_id=application.id, position_id=application.position_id, employer_id=application.employer_id,
        student_id=application.student_id, created_by=principal.user_id, starts_at=starts_at,
        utc_offset_minutes=offset, duration_minutes=data.get("duration_minutes") or settings.default_interview_minutes,
        mode=mode, location=location,
        room_url=new_room_url(settings) if mode == "online" else None, note=data.get("note") or None,
        status=INVITED, created_at=now, updated_at=now)
    session.add(interview)
    session.flush()
    record(session, Outbox, events.interview_invited, {
        "interview_id": interview.id, "application_id": application.id, "position_id": position.id,
        "employer_id": application.employer_id, "student_id": application.student_id,
        "starts_at": interview.starts_at.isoformat(), "duration_minutes": interview.duration_minutes,
        "mode": mode}, subject=interview.id)
    request_notification(
        session, Outbox, source="jobs", template="interview_invited", category="interview",
        user_id=application.student_id, channels=("email", "sms"),
        exempt_quiet_hours=settings.interview_sms_exempt_quiet_hours,
        params={"company": position.company_name, "position": position.title,
                "starts_at": local_time(starts_at, offset).isoformat(timespec="minutes"),
                "mode": mode, "location": interview.location or "",
                "room_url": interview.room_url or "", "note": interview.note or ""})
    return interview


def visible_interview(session: Session, interview_id: int, principal: Principal) -> Interview:
    """The student invited or the inviting employer; anyone else gets 404."""
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound("面试不存在 (interview not found)")
    if principal.role == "student" and interview.student_id == principal.user_id:
        return interview
    if principal.role == "employer" and principal.employer_id is not None \
            and int(principal.employer_id) == interview.employer_id:
        return interview
    raise NotFound("面试不存在 (interview not found)")


def answer(session: Session, interview_id: int, principal: Principal, accept: bool, note: str | None = None,
           *, now: datetime | None = None) -> Interview:
    """The student accepts or declines a pending invitation (once, and before it starts)."""
    now = now or utcnow()
    interview = visible_interview(session, interview_id, principal)
    if principal.role != "student":
        raise NotFound("面试不存在 (interview not found)")
    target = ACCEPTED if accept else DECLINED
    if interview.status != INVITED:
        raise Conflict(f"该面试邀请已是「{STATUS_LABELS.get(interview.status, interview.status)}」状态"
                       f" (the invitation is already {interview.status})", code="invalid_transition",
                       status_from=interview.status, status_to=target)
    if interview.starts_at <= now:
        raise Conflict("面试时间已过 (the interview has already started)", code="interview_past")
    done = session.execute(update(Interview).where(Interview.id == interview.id, Interview.status == INVITED)
                           .values(status=target, answer_note=note, answered_at=now, updated_at=now,
                                   sequence=Interview.sequence + 1))
    if done.rowcount != 1:
        raise Conflict("该面试邀请已被处理 (the invitation was answered meanwhile)", code="invalid_transition")
    session.refresh(interview)
    record(session, Outbox, events.interview_answered, {
        "interview_id": interview.id, "application_id": interview.application_id,
        "employer_id": interview.employer_id, "student_id": interview.student_id, "answer": target,
        "answered_at": now.isoformat()}, subject=interview.id)
    position = session.get(Position, interview.position_id)
    verb = "接受" if accept else "拒绝"
    request_notification(
        session, Outbox, source="jobs", template="generic", category="interview", user_id=interview.created_by,
        channels=("email",),
        params={"subject": f"面试邀请已{verb}：{position.title}",
                "text": f"学生已{verb}「{position.title}」的面试邀请（{local_time(interview.starts_at, interview.utc_offset_minutes).isoformat(timespec='minutes')}）。"
                        + (f"\n备注：{note}" if note else "")})
    return interview


def list_interviews(session: Session, principal: Principal, *, status: str | None, upcoming: bool,
                    offset: int, limit: int, now: datetime | None = None) -> tuple[list[tuple[Interview, Position]], int]:
    if principal.role == "employer":
        conditions = [Interview.employer_id == employer_id_of(principal)]
    else:
        conditions = [Interview.student_id == principal.user_id]
    if status:
        conditions.append(Interview.status == status)
    if upcoming:
        conditions.append(Interview.starts_at >= (now or utcnow()))
    rows = session.execute(select(Interview, Position).join(Position, Position.id == Interview.position_id)
                           .where(*conditions).order_by(Interview.starts_at.asc(), Interview.id.asc())
                           .offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Interview).where(*conditions))
    return [(i, p) for i, p in rows], int(total or 0)


def interview_dict(interview: Interview, position: Position) -> dict:
    starts = local_time(interview.starts_at, interview.utc_offset_minutes)
    return {
        "id": interview.id,
        "application_id": interview.application_id,
        "position_id": interview.position_id,
        "position_title": position.title,
        "company_name": position.company_name,
        "employer_id": interview.employer_id,
        "student_id": interview.student_id,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=interview.duration_minutes),
        "duration_minutes": interview.duration_minutes,
        "mode": interview.mode,
        "location": interview.location,
        "room_url": interview.room_url,
        "note": interview.note,
        "status": interview.status,
        "answer_note": interview.answer_note,
        "answered_at": interview.answered_at,
        "created_at": interview.created_at,
    }
