"""The pure rules of jobs: application transitions, deadlines, salary overlap, interview times."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from cc_kit.errors import ApiError, Conflict, Unprocessable

from ..models import (APP_REJECTED, CLOSED, DELIVERED, INTERVIEW, OFFER, PENDING_REVIEW, PUBLISHED, REJECTED,
                      VIEWED, WITHDRAWN)

# Minimum completeness (%) of the default resume for an online application (SPEC §2).
MIN_COMPLETENESS = 60

# delivered → viewed → interview → offer / rejected; the student may withdraw until an outcome.
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    DELIVERED: frozenset({VIEWED, APP_REJECTED, WITHDRAWN}),
    VIEWED: frozenset({INTERVIEW, OFFER, APP_REJECTED, WITHDRAWN}),
    INTERVIEW: frozenset({OFFER, APP_REJECTED, WITHDRAWN}),
    OFFER: frozenset(),
    APP_REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
}
# Who may move an application into a state.
EMPLOYER_TARGETS = frozenset({VIEWED, INTERVIEW, OFFER, APP_REJECTED})
STUDENT_TARGETS = frozenset({WITHDRAWN})
# States in which the employer may (still) schedule interviews.
INTERVIEWABLE = frozenset({VIEWED, INTERVIEW})

STATUS_LABELS = {
    DELIVERED: "已投递", VIEWED: "已查看", INTERVIEW: "面试", OFFER: "录用", APP_REJECTED: "不合适",
    WITHDRAWN: "已撤回",
}

# Position review: which admin action applies to which state.
POSITION_ACTIONS: dict[str, frozenset[str]] = {
    "approve": frozenset({PENDING_REVIEW}),
    "reject": frozenset({PENDING_REVIEW, PUBLISHED}),
    "close": frozenset({PENDING_REVIEW, PUBLISHED, REJECTED}),
}


def can_transition(current: str, target: str) -> bool:
    return target in APPLICATION_TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    """409 invalid_transition unless `current → target` is allowed."""
    if not can_transition(current, target):
        raise Conflict(
            f"申请状态不能从「{STATUS_LABELS.get(current, current)}」变为「{STATUS_LABELS.get(target, target)}」"
            f" (cannot change application from {current} to {target})",
            code="invalid_transition", status_from=current, status_to=target)


def check_position_action(action: str, status: str) -> None:
    if status not in POSITION_ACTIONS[action]:
        raise Conflict(f"职位当前状态为 {status}，不能执行 {action} (cannot {action} a {status} position)",
                       code="invalid_transition", status_from=status)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The school's calendar day (deadlines are school days, not UTC days)."""
    return (now or datetime.now(timezone.utc)).astimezone(tz).date()


def deadline_passed(deadline: date, today: date) -> bool:
    """A deadline is the last day applications are taken (inclusive)."""
    return deadline < today


def accepting_applications(status: str, deadline: date, today: date) -> bool:
    return status == PUBLISHED and not deadline_passed(deadline, today)


def check_accepting(status: str, deadline: date, today: date) -> None:
    """409 position_closed when the position does not take applications (closed or past its deadline)."""
    if accepting_applications(status, deadline, today):
        return
    if status == PUBLISHED:
        message = f"职位已于 {deadline.isoformat()} 截止申请 (the application deadline has passed)"
    elif status == CLOSED:
        message = "职位已关闭 (the position is closed)"
    else:
        message = "职位未发布，暂不接受申请 (the position is not published)"
    raise Conflict(message, code="position_closed", deadline=deadline.isoformat())


def check_deadline_ahead(deadline: date, today: date) -> None:
    if deadline_passed(deadline, today):
        raise Unprocessable("截止日期不能早于今天 (deadline is in the past)",
                            errors={"deadline": [f"截止日期不能早于今天 {today.isoformat()} (deadline is in the past)"]})


def salary_overlaps(pos_min: int, pos_max: int, want_min: int | None, want_max: int | None) -> bool:
    """A position matches a salary filter when its range overlaps the asked one (open ends allowed)."""
    if want_min is not None and pos_max < want_min:
        return False
    if want_max is not None and pos_min > want_max:
        return False
    return True


def check_salary_range(salary_min: int, salary_max: int, field: str = "salary_max") -> None:
    if salary_min > salary_max:
        raise Unprocessable("最低薪资不能高于最高薪资 (salary_min > salary_max)",
                            errors={field: ["最低薪资不能高于最高薪资 (salary_min must not exceed salary_max)"]})


def check_interview_time(starts_at: datetime, now: datetime | None = None) -> None:
    """Interview times carry an offset and lie in the future."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise Unprocessable("面试时间须带时区 (starts_at needs an offset)",
                            errors={"starts_at": ["须为带时区偏移的 ISO 8601 时间 (ISO 8601 with offset)"]})
    if starts_at <= (now or datetime.now(timezone.utc)):
        raise Unprocessable("面试时间须在将来 (starts_at must be in the future)",
                            errors={"starts_at": ["面试时间须在将来 (must be in the future)"]})


def check_deliverable(delivery: dict | None) -> None:
    """422 resume_incomplete unless the default resume exists and is at least MIN_COMPLETENESS % complete.

    The body carries resume's own account of what is missing (`missing`, and `missing_items` when given).
    """
    delivery = delivery or {}
    missing = list(delivery.get("missing") or [])
    completeness = int(delivery.get("completeness") or 0)
    extra = {"completeness": completeness, "required": MIN_COMPLETENESS}
    if delivery.get("missing_items"):
        extra["missing_items"] = delivery["missing_items"]
    if not delivery.get("resume_id") or delivery.get("snapshot") is None:
        raise ApiError("请先创建简历并设为默认投递简历 (no default delivery resume)", status=422,
                       code="resume_incomplete", missing=missing or ["default_resume"], **extra)
    if completeness < MIN_COMPLETENESS:
        labels = [item.get("label") or item.get("section") for item in delivery.get("missing_items") or []
                  if isinstance(item, dict)] or missing
        raise ApiError(f"默认简历完整度 {completeness}% 低于 {MIN_COMPLETENESS}%，请补充：{'、'.join(map(str, labels))}"
                       f" (default resume is {completeness}% complete, {MIN_COMPLETENESS}% required)",
                       status=422, code="resume_incomplete", missing=missing, **extra)
