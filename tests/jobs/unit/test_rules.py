"""Application transitions, deadlines, salary overlap, interview times, the delivery threshold."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cc_kit.errors import ApiError
from services.jobs.domain import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("current,target", [
    ("delivered", "viewed"), ("delivered", "rejected"), ("delivered", "withdrawn"),
    ("viewed", "interview"), ("viewed", "offer"), ("viewed", "rejected"), ("viewed", "withdrawn"),
    ("interview", "offer"), ("interview", "rejected"), ("interview", "withdrawn"),
])
def test_allowed_transitions(current, target):
    rules.check_transition(current, target)


@pytest.mark.parametrize("current,target", [
    ("delivered", "offer"), ("delivered", "interview"), ("delivered", "delivered"),
    ("viewed", "delivered"), ("viewed", "viewed"), ("interview", "viewed"),
    ("offer", "rejected"), ("offer", "withdrawn"), ("rejected", "offer"), ("withdrawn", "viewed"),
])
def test_refused_transitions_are_409_invalid_transition(current, target):
    with pytest.raises(ApiError) as caught:
        rules.check_transition(current, target)
    assert caught.value.status == 409
    assert caught.value.code == "invalid_transition"
    assert caught.value.to_dict()["status_from"] == current


def test_outcomes_are_final():
    for final in ("offer", "rejected", "withdrawn"):
        assert not any(rules.can_transition(final, t) for t in rules.APPLICATION_TRANSITIONS)


def test_deadline_day_is_inclusive_in_school_time():
    deadline = date(2026, 6, 30)
    # 23:30 in Shanghai on the deadline is still 15:30 UTC the same day: open.
    late_evening = datetime(2026, 6, 30, 15, 30, tzinfo=timezone.utc)
    assert rules.today_in(SHANGHAI, late_evening) == deadline
    assert rules.accepting_applications("published", deadline, rules.today_in(SHANGHAI, late_evening))
    # 00:30 the next day in Shanghai is still June 30 in UTC, but the deadline has passed for the school.
    after_midnight = datetime(2026, 6, 30, 16, 30, tzinfo=timezone.utc)
    today = rules.today_in(SHANGHAI, after_midnight)
    assert today == date(2026, 7, 1)
    assert not rules.accepting_applications("published", deadline, today)
    with pytest.raises(ApiError) as caught:
        rules.check_accepting("published", deadline, today)
    assert (caught.value.status, caught.value.code) == (409, "position_closed")


@pytest.mark.parametrize("status", ["closed", "pending_review", "rejected"])
def test_unpublished_positions_take_no_applications(status):
    with pytest.raises(ApiError) as caught:
        rules.check_accepting(status, date(2099, 1, 1), date(2026, 1, 1))
    assert caught.value.code == "position_closed"


def test_deadline_in_the_past_is_refused_on_publish():
    with pytest.raises(ApiError) as caught:
        rules.check_deadline_ahead(date(2026, 1, 1), date(2026, 1, 2))
    assert caught.value.status == 422
    assert "deadline" in caught.value.errors
    rules.check_deadline_ahead(date(2026, 1, 2), date(2026, 1, 2))


@pytest.mark.parametrize("want_min,want_max,expected", [
    (None, None, True),
    (10000, None, True),     # the position reaches 15000
    (15000, None, True),     # touching ends overlap
    (15001, None, False),
    (None, 8000, True),
    (None, 7999, False),
    (9000, 12000, True),     # inside
    (5000, 20000, True),     # around
    (16000, 30000, False),
    (1000, 7000, False),
])
def test_salary_overlap(want_min, want_max, expected):
    assert rules.salary_overlaps(8000, 15000, want_min, want_max) is expected


def test_salary_range_order():
    rules.check_salary_range(5000, 5000)
    with pytest.raises(ApiError) as caught:
        rules.check_salary_range(9000, 5000)
    assert caught.value.status == 422


def test_interview_must_be_future_and_aware():
    now = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)
    rules.check_interview_time(now + timedelta(minutes=1), now)
    for bad in (now, now - timedelta(hours=1), datetime(2026, 6, 1, 10, 0)):
        with pytest.raises(ApiError) as caught:
            rules.check_interview_time(bad, now)
        assert caught.value.status == 422
        assert "starts_at" in caught.value.errors


def test_no_default_resume_is_resume_incomplete():
    answer = {"resume_id": None, "kind": None, "title": None, "completeness": 0, "missing": ["default_resume"],
              "snapshot": None}
    with pytest.raises(ApiError) as caught:
        rules.check_deliverable(answer)
    body = caught.value.to_dict()
    assert caught.value.status == 422
    assert body["code"] == "resume_incomplete"
    assert body["missing"] == ["default_resume"]


def test_below_sixty_percent_is_refused_with_what_is_missing():
    answer = {"resume_id": 3, "kind": "zh", "title": "我的简历", "completeness": 59,
              "missing": ["internships", "projects"], "snapshot": {"basic_info": {"name": "张三"}}}
    with pytest.raises(ApiError) as caught:
        rules.check_deliverable(answer)
    body = caught.value.to_dict()
    assert body["code"] == "resume_incomplete"
    assert body["missing"] == ["internships", "projects"]
    assert body["completeness"] == 59 and body["required"] == 60


def test_sixty_percent_is_enough():
    rules.check_deliverable({"resume_id": 3, "kind": "zh", "title": "t", "completeness": 60, "missing": [],
                             "snapshot": {}})
