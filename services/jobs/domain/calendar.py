"""An interview as an iCalendar (RFC 5545) file, built with the `icalendar` package.

Times are written in UTC (…Z), which every calendar client converts to local time without needing a
VTIMEZONE block. SEQUENCE grows with each change so clients replace their copy.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event

from ..models import CANCELLED, DECLINED, Interview, Position, utcnow
from .interviews import MODE_LABELS, local_time

PRODID = "-//Campus Careers//jobs interviews//ZH"
UID_DOMAIN = "jobs.campus-careers"


def _utc(moment: datetime) -> datetime:
    # icalendar writes a fixed-offset datetime as floating local time; UTC is written with its Z.
    return moment.astimezone(timezone.utc)


def interview_ics(interview: Interview, position: Position) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")

    event = Event()
    event.add("uid", f"interview-{interview.id}@{UID_DOMAIN}")
    event.add("dtstamp", _utc(utcnow()))
    event.add("dtstart", _utc(interview.starts_at))
    event.add("dtend", _utc(interview.starts_at) + timedelta(minutes=interview.duration_minutes))
    event.add("summary", f"面试：{position.title}（{position.company_name}）")
    where = interview.location or ""
    if interview.mode == "online":
        where = interview.room_url + (f"（{interview.location}）" if interview.location else "")
        event.add("url", interview.room_url)
    event.add("location", where)
    starts_local = local_time(interview.starts_at, interview.utc_offset_minutes).isoformat(timespec="minutes")
    lines = [f"职位：{position.title}", f"单位：{position.company_name}", f"形式：{MODE_LABELS[interview.mode]}",
             f"时间：{starts_local}"]
    if interview.room_url:
        lines.append(f"视频面试链接：{interview.room_url}")
    if interview.note:
        lines.append(f"备注：{interview.note}")
    event.add("description", "\n".join(lines))
    status = {CANCELLED: "CANCELLED", DECLINED: "CANCELLED", "accepted": "CONFIRMED"}.get(interview.status, "TENTATIVE")
    event.add("status", status)
    event.add("sequence", interview.sequence)
    event.add("created", _utc(interview.created_at))
    event.add("last-modified", _utc(interview.updated_at))
    calendar.add_component(event)
    return calendar.to_ical()
