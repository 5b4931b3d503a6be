"""Reading and replacing a user's notification preferences."""
from __future__ import annotations

from sqlalchemy.orm import Session

from cc_kit.errors import Unprocessable
from cc_kit.outbox import utcnow

from ..models import CHANNELS, Preference
from ..config import NotifySettings
from .rules import CATEGORIES, DEFAULT_CHANNELS, MANDATORY_CATEGORIES, MAX_PUSH_DAILY_CAP, Preferences


def defaults(settings: NotifySettings) -> Preferences:
    return Preferences(quiet_start=settings.default_quiet_start, quiet_end=settings.default_quiet_end,
                       push_daily_cap=settings.default_push_daily_cap)


def load(session: Session, user_id: int | None, settings: NotifySettings) -> Preferences:
    if user_id is None:
        return defaults(settings)
    row = session.get(Preference, user_id)
    if row is None:
        return defaults(settings)
    categories = {k: set(v) for k, v in DEFAULT_CHANNELS.items()}
    for category, channels in (row.categories or {}).items():
        if category in CATEGORIES:
            categories[category] = {c for c in channels if c in CHANNELS}
    return Preferences(categories=categories, quiet_start=row.quiet_start, quiet_end=row.quiet_end,
                       push_daily_cap=row.push_daily_cap)


def as_dict(prefs: Preferences) -> dict:
    """The public shape of GET/PUT /preferences."""
    return {
        "categories": {category: sorted(prefs.categories.get(category, set()), key=CHANNELS.index)
                       for category in CATEGORIES},
        "sms_quiet_hours": ({"start": prefs.quiet_start, "end": prefs.quiet_end}
                            if prefs.quiet_start and prefs.quiet_end else None),
        "push_daily_cap": prefs.push_daily_cap,
        "timezone": "Asia/Shanghai",
        "category_labels": dict(CATEGORIES),
        "always_delivered": dict(MANDATORY_CATEGORIES),
    }


def replace(session: Session, user_id: int, data: dict, settings: NotifySettings) -> Preferences:
    """PUT semantics: categories not named keep their defaults; `sms_quiet_hours: null` turns them off."""
    current = load(session, user_id, settings)
    categories = data.get("categories") or {}
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        fixed = sorted(set(unknown) & set(MANDATORY_CATEGORIES))
        message = ("账号与安全类通知不可关闭 (this category is always delivered)" if fixed
                   else "未知的通知类别 (unknown category)")
        raise Unprocessable(message, code="invalid_category", errors={"categories": {c: [message] for c in unknown}})
    stored = {category: sorted(set(channels), key=CHANNELS.index) for category, channels in categories.items()}
    if "sms_quiet_hours" in data:
        quiet = data["sms_quiet_hours"]
        quiet_start, quiet_end = (quiet["start"], quiet["end"]) if quiet else (None, None)
    else:
        quiet_start, quiet_end = current.quiet_start, current.quiet_end
    cap = data.get("push_daily_cap", current.push_daily_cap)
    if not 0 <= cap <= MAX_PUSH_DAILY_CAP:
        raise Unprocessable("每日推送上限超出范围 (cap out of range)",
                            errors={"push_daily_cap": [f"0–{MAX_PUSH_DAILY_CAP}"]})
    row = session.get(Preference, user_id)
    if row is None:
        row = Preference(user_id=user_id)
        session.add(row)
    row.categories = stored
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    row.push_daily_cap = cap
    row.updated_at = utcnow()
    session.flush()
    return load(session, user_id, settings)
