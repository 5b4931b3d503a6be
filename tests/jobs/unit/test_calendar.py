"""The interview .ics file parses as RFC 5545 and says when, where and what."""
from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from services.jobs.config import JobsSettings
from services.jobs.domain.calendar import interview_ics
from services.jobs.domain.interviews import new_room_url
from services.jobs.models import Interview, Position

BEIJING = timezone(timedelta(hours=8))


def _interview(**overrides):
    now = datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)
    values = dict(id=42, application_id=1, position_id=1, employer_id=7, student_id=20, created_by=10,
                  starts_at=datetime(2026, 6, 1, 14, 0, tzinfo=BEIJING), utc_offset_minutes=480,
                  duration_minutes=45, mode="online", location=None,
                  room_url="https://meet.jit.si/cc-abc", note="请提前10分钟进入", status="invited", sequence=0,
                  created_at=now, updated_at=now)
    values.update(overrides)
    return Interview(**values)


def test_ics_describes_the_interview():
    position = Position(id=1, title="高级Python开发工程师", company_name="云帆科技")
    cal = Calendar.from_ical(interview_ics(_interview(), position))
    (event,) = cal.walk("VEVENT")
    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == "interview-42@jobs.campus-careers"
    assert event.decoded("DTSTART") == datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert "高级Python开发工程师" in str(event["SUMMARY"])
    assert str(event["URL"]) == "https://meet.jit.si/cc-abc"
    assert "https://meet.jit.si/cc-abc" in str(event["LOCATION"])
    assert "请提前10分钟进入" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "TENTATIVE"


def test_onsite_ics_has_the_place_and_a_declined_one_is_cancelled():
    position = Position(id=1, title="财务分析实习生", company_name="云帆科技")
    interview = _interview(mode="onsite", location="上海市浦东新区世纪大道100号", room_url=None, status="declined",
                           sequence=1)
    (event,) = Calendar.from_ical(interview_ics(interview, position)).walk("VEVENT")
    assert str(event["LOCATION"]) == "上海市浦东新区世纪大道100号"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_room_urls_are_unguessable_and_use_the_configured_provider():
    settings = JobsSettings(video_room_base="https://video.example.edu/rooms/")
    urls = {new_room_url(settings) for _ in range(200)}
    assert len(urls) == 200
    assert all(u.startswith("https://video.example.edu/rooms/cc-") for u in urls)
    # 16 random bytes, url-safe base64 (the token itself may contain "cc-", so strip the prefix, not split)
    assert all(len(u.removeprefix("https://video.example.edu/rooms/cc-")) >= 21 for u in urls)
