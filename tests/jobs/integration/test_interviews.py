"""Interview invitations on both databases: rules, the SMS + email command, answers, the .ics file."""
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from .conftest import outbox_events, position_body
from .resume_double import snapshot_answer

API = "/api/v1/jobs"
BEIJING = timezone(timedelta(hours=8))


def in_days(days: int) -> str:
    moment = (datetime.now(BEIJING) + timedelta(days=days)).replace(hour=14, minute=30, second=0, microsecond=0)
    return moment.isoformat()


@pytest.fixture
def application(client, actors, resume):
    """An application of student 20 to employer 7's position, not read yet: (application id, position id)."""
    pid = client.post(f"{API}/positions", json=position_body(), headers=actors.employer(7)).json["id"]
    resume.answer(20, snapshot_answer(80))
    response = client.post(f"{API}/positions/{pid}/applications", headers=actors.student(20))
    assert response.status_code == 201
    return response.json["id"], pid


def invite(client, app_id, headers, **body):
    return client.post(f"{API}/applications/{app_id}/interviews", json=body, headers=headers)


def test_online_invitation_notifies_the_student_and_is_accepted(make_client, actors, application, jobs_db):
    client = make_client(video_room_base="https://video.example.edu/rooms")
    app_id, pid = application
    employer = actors.employer(7)
    response = invite(client, app_id, employer, starts_at=in_days(3), mode="online")
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"  # resume not read yet

    client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    response = invite(client, app_id, employer, starts_at=in_days(3), mode="online", note="请提前10分钟进入")
    assert response.status_code == 201, response.json
    interview = response.json
    assert interview["room_url"].startswith("https://video.example.edu/rooms/cc-")
    assert interview["status"] == "invited" and interview["mode"] == "online"
    assert interview["starts_at"] == in_days(3)
    assert client.get(f"{API}/applications/{app_id}", headers=actors.student(20)).json["status"] == "interview"

    (command,) = [e for e in outbox_events(jobs_db) if e["exchange"] == "notify.commands"]
    data = command["envelope"]["data"]
    assert command["routing_key"] == "send"
    assert data["template"] == "interview_invited" and data["user_id"] == 20
    assert data["channels"] == ["email", "sms"]
    assert data["params"]["room_url"] == interview["room_url"]
    assert data["params"]["company"] == "杭州云帆科技有限公司"
    assert data["params"]["position"] == "高级Python开发工程师"
    assert data["params"]["mode"] == "online"
    assert datetime.fromisoformat(data["params"]["starts_at"]) == datetime.fromisoformat(in_days(3))
    (event,) = outbox_events(jobs_db, "interview_invited")
    assert event["envelope"]["data"]["interview_id"] == interview["id"]

    student = actors.student(20)
    listed = client.get(f"{API}/interviews", headers=student).json
    assert [i["id"] for i in listed] == [interview["id"]]
    assert client.get(f"{API}/interviews", headers=actors.student(21)).json == []
    assert client.get(f"{API}/interviews", headers=employer).json[0]["id"] == interview["id"]
    assert client.get(f"{API}/interviews/{interview['id']}", headers=actors.student(21)).status_code == 404
    assert client.get(f"{API}/interviews/{interview['id']}", headers=actors.employer(8)).status_code == 404

    assert client.post(f"{API}/interviews/{interview['id']}/accept", headers=employer).status_code == 403
    assert client.post(f"{API}/interviews/{interview['id']}/accept", headers=actors.student(21)).status_code == 404
    response = client.post(f"{API}/interviews/{interview['id']}/accept", headers=student)
    assert response.status_code == 200 and response.json["status"] == "accepted"
    response = client.post(f"{API}/interviews/{interview['id']}/decline", headers=student)
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"
    (answered,) = outbox_events(jobs_db, "interview_answered")
    assert answered["envelope"]["data"]["answer"] == "accepted"


def test_onsite_needs_a_place_and_a_future_time_with_offset(client, actors, application):
    app_id, _ = application
    employer = actors.employer(7)
    client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    cases = [
        ({"starts_at": in_days(2), "mode": "onsite"}, "location"),
        ({"starts_at": in_days(-1), "mode": "online"}, "starts_at"),
        ({"starts_at": "2030-06-01T14:00:00", "mode": "online"}, "starts_at"),  # no offset
        ({"starts_at": "next tuesday", "mode": "online"}, "starts_at"),
        ({"starts_at": in_days(2), "mode": "phone"}, "mode"),
        ({"mode": "online"}, "starts_at"),
    ]
    for body, field in cases:
        response = invite(client, app_id, employer, **body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (body, response.json)
    assert invite(client, app_id, actors.employer(8), starts_at=in_days(2), mode="online").status_code == 404
    assert invite(client, app_id, actors.student(20), starts_at=in_days(2), mode="online").status_code == 403

    response = invite(client, app_id, employer, starts_at=in_days(2), mode="onsite", location="上海市浦东新区世纪大道100号 3楼")
    assert response.status_code == 201
    assert response.json["room_url"] is None
    assert response.json["location"] == "上海市浦东新区世纪大道100号 3楼"
    # a second round while in `interview` is fine
    second = invite(client, app_id, employer, starts_at=in_days(5), mode="online")
    assert second.status_code == 201
    assert second.json["room_url"] != response.json["room_url"]


def test_decline_and_the_calendar_file(client, actors, application):
    app_id, _ = application
    employer = actors.employer(7)
    client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    interview = invite(client, app_id, employer, starts_at=in_days(4), mode="online", duration_minutes=45).json

    ics = client.get(f"{API}/interviews/{interview['id']}.ics", headers=actors.student(20))
    assert ics.status_code == 200
    assert ics.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in ics.headers["Content-Disposition"]
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime.fromisoformat(in_days(4))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert str(event["URL"]) == interview["room_url"]
    assert "高级Python开发工程师" in str(event["SUMMARY"])
    assert client.get(f"{API}/interviews/{interview['id']}.ics", headers=actors.student(21)).status_code == 404
    assert client.get(f"{API}/interviews/{interview['id']}.ics", headers=employer).status_code == 200

    response = client.post(f"{API}/interviews/{interview['id']}/decline", json={"note": "时间冲突"},
                           headers=actors.student(20))
    assert response.status_code == 200
    assert response.json["status"] == "declined" and response.json["answer_note"] == "时间冲突"
    (event,) = Calendar.from_ical(client.get(f"{API}/interviews/{interview['id']}.ics",
                                             headers=actors.student(20)).data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_withdrawing_cancels_pending_interviews(client, actors, application):
    app_id, _ = application
    employer = actors.employer(7)
    client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    interview = invite(client, app_id, employer, starts_at=in_days(4), mode="online").json
    client.post(f"{API}/applications/{app_id}/withdraw", headers=actors.student(20))
    assert client.get(f"{API}/interviews/{interview['id']}", headers=actors.student(20)).json["status"] == "cancelled"
    response = client.post(f"{API}/interviews/{interview['id']}/accept", headers=actors.student(20))
    assert response.status_code == 409
    response = invite(client, app_id, employer, starts_at=in_days(6), mode="online")
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"
