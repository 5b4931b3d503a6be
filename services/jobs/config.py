"""jobs' own settings, read from the environment in one place."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cc_kit.config import env

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class JobsSettings:
    # JOBS_REQUIRE_APPROVAL: the school reviews every posting (and every edit of one) before it is public.
    require_approval: bool = False
    # Online interviews get a room under this base (a Jitsi-compatible provider by default).
    video_room_base: str = "https://meet.jit.si/"
    # Deadlines are calendar days of the school; a position takes applications until the end of that day.
    timezone: str = "Asia/Shanghai"
    default_interview_minutes: int = 60
    # A search ranks the N newest matches and counts up to N (see domain/search.py).
    search_max_results: int = 1000
    # Interview invitations are time-critical; by default their SMS ignores the student's quiet hours.
    interview_sms_exempt_quiet_hours: bool = True

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls) -> "JobsSettings":
        return cls(
            require_approval=(env("JOBS_REQUIRE_APPROVAL", "false") or "").strip().lower() in _TRUE,
            video_room_base=env("JOBS_VIDEO_ROOM_BASE", cls.video_room_base),
            timezone=env("JOBS_TIMEZONE", cls.timezone),
            default_interview_minutes=int(env("JOBS_INTERVIEW_MINUTES", str(cls.default_interview_minutes))),
            search_max_results=max(1, int(env("JOBS_SEARCH_MAX_RESULTS", str(cls.search_max_results)))),
            interview_sms_exempt_quiet_hours=(env("JOBS_INTERVIEW_SMS_EXEMPT_QUIET_HOURS", "true") or "")
            .strip().lower() in _TRUE,
        )
