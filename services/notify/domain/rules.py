"""Pure rules: categories and their default channels, SMS quiet hours, the local day, the retry back-off."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from ..models import CHANNELS
from ..templates import LOCAL_TZ

# Categories a user may configure, with the label shown to them.
CATEGORIES = {
    "interview": "面试邀请",
    "application": "投递进度",
    "signing": "签约邀请",
    "review": "审核结果",
    "appointment": "咨询预约",
    "push": "职位推送",
    "system": "系统通知",
}
# Always delivered on the channels the caller asked for: account security (codes, registration,
# approval) and the digest, whose items already passed the push preferences.
MANDATORY_CATEGORIES = {"account": "账号与安全", "digest": "推送汇总"}
PUSH_CATEGORY = "push"
# SMS costs money and interrupts: recommendations go by mail unless the user opts in.
DEFAULT_CHANNELS = {category: set(CHANNELS) for category in CATEGORIES}
DEFAULT_CHANNELS[PUSH_CATEGORY] = {"email"}
MAX_PUSH_DAILY_CAP = 100


@dataclass(frozen=True)
class Preferences:
    """A user's effective preferences (their row, or the defaults)."""

    categories: dict = field(default_factory=lambda: {k: set(v) for k, v in DEFAULT_CHANNELS.items()})
    quiet_start: str | None = "22:00"
    quiet_end: str | None = "08:00"
    push_daily_cap: int = 3

    def allows(self, category: str, channel: str, *, secret: bool = False) -> bool:
        if secret or category in MANDATORY_CATEGORIES:
            return True
        return channel in self.categories.get(category, set(CHANNELS))


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LOCAL_TZ)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def local_day(moment: datetime) -> str:
    return local(moment).date().isoformat()


def in_quiet_hours(moment: datetime, start: str | None, end: str | None) -> bool:
    """Whether `moment` falls in [start, end) local time; a window may wrap midnight (22:00–08:00)."""
    if not start or not end or start == end:
        return False
    t = local(moment).time()
    s, e = parse_hhmm(start), parse_hhmm(end)
    if s < e:
        return s <= t < e
    return t >= s or t < e


def quiet_hours_end(moment: datetime, start: str | None, end: str | None) -> datetime:
    """The first moment after `moment` when quiet hours are over (UTC); `moment` itself if not in them."""
    if not in_quiet_hours(moment, start, end):
        return as_utc(moment)
    here = local(moment)
    e = parse_hhmm(end)
    candidate = datetime.combine(here.date(), e, tzinfo=LOCAL_TZ)
    if candidate <= here:
        candidate = datetime.combine(here.date() + timedelta(days=1), e, tzinfo=LOCAL_TZ)
    return candidate.astimezone(timezone.utc)


def retry_delay(attempts: int, *, base: float, factor: float, maximum: float) -> timedelta:
    """Wait before the next try after `attempts` failed tries: base, base·factor, base·factor², … capped."""
    attempts = max(1, attempts)
    return timedelta(seconds=min(base * factor ** (attempts - 1), maximum))


def backoff_schedule(max_attempts: int, *, base: float, factor: float, maximum: float) -> list[float]:
    """Seconds waited before each retry (max_attempts - 1 of them): for docs and tests."""
    return [retry_delay(n, base=base, factor=factor, maximum=maximum).total_seconds()
            for n in range(1, max_attempts)]


def digest_due(moment: datetime, digest_hour: int) -> tuple[bool, str]:
    """(whether today's digest may go out now, today's local date)."""
    here = local(moment)
    return here.hour >= digest_hour, here.date().isoformat()
