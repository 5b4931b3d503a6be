"""Favorites and one-click applications on both databases, with resume answering over the real broker."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from services.jobs.models import Application, Position

from .conftest import outbox_events, position_body
from .resume_double import snapshot_answer

API = "/api/v1/jobs"


@pytest.fixture
def position_id(client, actors):
    response = client.post(f"{API}/positions", json=position_body(), headers=actors.employer(7))
    assert response.status_code == 201
    return response.json["id"]


def apply(client, position_id, headers):
    return client.post(f"{API}/positions/{position_id}/applications", headers=headers)


def test_favorites_are_idempotent_and_listed_with_the_applied_flag(client, actors, position_id, resume):
    student = actors.student(20)
    first = client.put(f"{API}/favorites/{position_id}", headers=student)
    again = client.put(f"{API}/favorites/{position_id}", headers=student)
    assert first.status_code == again.status_code == 200
    assert first.json["created_at"] == again.json["created_at"]
    listed = client.get(f"{API}/favorites", headers=student)
    assert [f["position_id"] for f in listed.json] == [position_id]
    assert listed.json[0]["position"]["title"] == "高级Python开发工程师"
    assert listed.json[0]["position"]["applied"] is False
    assert client.get(f"{API}/positions/{position_id}", headers=student).json["favorited"] is True
    assert client.get(f"{API}/favorites", headers=actors.student(21)).json == []  # mine only

    # apply from the favorites list
    resume.answer(20, snapshot_answer(80))
    assert apply(client, position_id, student).status_code == 201
    assert client.get(f"{API}/favorites", headers=student).json[0]["position"]["applied"] is True

    assert client.delete(f"{API}/favorites/{position_id}", headers=student).status_code == 204
    assert client.delete(f"{API}/favorites/{position_id}", headers=student).status_code == 204
    assert client.get(f"{API}/favorites", headers=student).json == []
    assert client.get(f"{API}/positions/{position_id}", headers=student).json["favorited"] is False
    assert client.put(f"{API}/favorites/999999", headers=student).status_code == 404
    assert client.put(f"{API}/favorites/{position_id}", headers=actors.employer()).status_code == 403


def test_apply_needs_a_default_resume_of_at_least_sixty_percent(client, actors, position_id, resume, jobs_db):
    student = actors.student(20)
    response = apply(client, position_id, student)
    assert response.status_code == 422
    assert response.json["code"] == "resume_incomplete"
    assert response.json["missing"] == ["default_resume"]

    resume.answer(20, snapshot_answer(59, missing=["internships", "projects"]))
    response = apply(client, position_id, student)
    assert response.status_code == 422
    assert response.json["code"] == "resume_incomplete"
    assert response.json["missing"] == ["internships", "projects"]
    assert response.json["completeness"] == 59

    resume.answer(20, snapshot_answer(60, name="张三"))
    response = apply(client, position_id, student)
    assert response.status_code == 201, response.json
    application = response.json
    assert application["status"] == "delivered"
    assert application["completeness"] == 60 and application["resume_id"] == 501
    assert application["position"]["title"] == "高级Python开发工程师"
    assert [h["status"] for h in application["history"]] == ["delivered"]

    again = apply(client, position_id, student)
    assert again.status_code == 409 and again.json["code"] == "already_applied"

    detail = client.get(f"{API}/positions/{position_id}", headers=student).json
    assert detail["applied"] is True and detail["application_id"] == application["id"]
    assert detail["application_status"] == "delivered"
    mine = client.get(f"{API}/applications", headers=student).json
    assert [a["id"] for a in mine] == [application["id"]]
    assert client.get(f"{API}/applications", headers=actors.student(21)).json == []

    (event,) = outbox_events(jobs_db, "application_submitted")
    assert event["envelope"]["data"]["student_id"] == 20 and event["envelope"]["data"]["resume_id"] == 501
    with jobs_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1


def test_employer_reads_the_resume_as_delivered_and_it_becomes_viewed(client, actors, position_id, resume, jobs_db):
    resume.answer(20, snapshot_answer(75, name="张三"))
    app_id = apply(client, position_id, actors.student(20)).json["id"]
    resume.answer(20, snapshot_answer(90, name="张三丰"))  # the student edits the resume afterwards

    employer = actors.employer(7)
    inbox = client.get(f"{API}/applications", headers=employer).json
    assert [(a["id"], a["status"], a["student_name"]) for a in inbox] == [(app_id, "delivered", "张三")]
    assert client.get(f"{API}/applications", headers=actors.employer(8)).json == []
    assert client.get(f"{API}/applications/{app_id}/resume", headers=actors.employer(8)).status_code == 404
    assert client.get(f"{API}/applications/{app_id}/resume", headers=actors.student(20)).status_code == 403

    delivered = client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    assert delivered.status_code == 200
    assert delivered.json["snapshot"]["basic_info"]["name"] == "张三"
    assert delivered.json["completeness"] == 75
    assert client.get(f"{API}/applications/{app_id}", headers=actors.student(20)).json["status"] == "viewed"
    # reading again changes nothing
    client.get(f"{API}/applications/{app_id}/resume", headers=employer)
    assert len(outbox_events(jobs_db, "application_status_changed")) == 1

    assert client.get(f"{API}/applications", query_string={"status": "viewed"}, headers=employer).json[0]["id"] == app_id
    assert client.get(f"{API}/applications", query_string={"status": "delivered"}, headers=employer).json == []
    assert client.get(f"{API}/applications", query_string={"position_id": position_id + 1000},
                      headers=employer).json == []
    response = client.get(f"{API}/applications", query_string={"status": "lost"}, headers=employer)
    assert response.status_code == 422


def test_status_transitions_are_validated(client, actors, position_id, resume, jobs_db):
    resume.answer(20, snapshot_answer(80))
    app_id = apply(client, position_id, actors.student(20)).json["id"]
    employer = actors.employer(7)
    url = f"{API}/applications/{app_id}"

    response = client.patch(url, json={"status": "offer"}, headers=employer)  # not viewed yet
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"
    assert client.patch(url, json={"status": "viewed"}, headers=actors.employer(8)).status_code == 404
    assert client.patch(url, json={"status": "withdrawn"}, headers=employer).status_code == 422
    assert client.patch(url, json={"status": "viewed"}, headers=actors.student(20)).status_code == 403
    assert client.patch(url, json={"status": "viewed"}, headers=employer).json["status"] == "viewed"
    assert client.patch(url, json={"status": "interview"}, headers=employer).json["status"] == "interview"
    response = client.patch(url, json={"status": "offer"}, headers=employer)
    assert response.json["status"] == "offer"
    assert [h["status"] for h in response.json["history"]] == ["delivered", "viewed", "interview", "offer"]
    response = client.patch(url, json={"status": "rejected"}, headers=employer)
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"
    response = client.post(f"{url}/withdraw", headers=actors.student(20))
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"

    commands = [e for e in outbox_events(jobs_db) if e["exchange"] == "notify.commands"]
    assert [c["envelope"]["data"]["template"] for c in commands] == ["application_status_changed"]
    assert commands[0]["envelope"]["data"]["params"]["status"] == "offer"
    changes = [e["envelope"]["data"]["status"] for e in outbox_events(jobs_db, "application_status_changed")]
    assert changes == ["viewed", "interview", "offer"]


def test_student_withdraws(client, actors, position_id, resume):
    resume.answer(20, snapshot_answer(80))
    app_id = apply(client, position_id, actors.student(20)).json["id"]
    assert client.post(f"{API}/applications/{app_id}/withdraw", headers=actors.student(21)).status_code == 404
    response = client.post(f"{API}/applications/{app_id}/withdraw", headers=actors.student(20))
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    response = client.patch(f"{API}/applications/{app_id}", json={"status": "viewed"}, headers=actors.employer(7))
    assert response.status_code == 409 and response.json["code"] == "invalid_transition"
    # one application per student and position, withdrawn or not
    assert apply(client, position_id, actors.student(20)).json["code"] == "already_applied"


def test_past_deadline_or_closed_positions_take_no_applications(client, actors, position_id, resume, jobs_db):
    resume.answer(20, snapshot_answer(80))
    with jobs_db.write() as session:
        session.execute(update(Position).where(Position.id == position_id)
                        .values(deadline=date.today() - timedelta(days=2)))
    response = apply(client, position_id, actors.student(20))
    assert response.status_code == 409 and response.json["code"] == "position_closed"
    assert client.get(f"{API}/positions/{position_id}").json["accepting_applications"] is False

    other = client.post(f"{API}/positions", json=position_body(title="测试工程师"), headers=actors.employer(7)).json
    client.post(f"{API}/positions/{other['id']}/close", headers=actors.employer(7))
    response = apply(client, other["id"], actors.student(20))
    assert response.status_code == 409 and response.json["code"] == "position_closed"
    assert resume.calls[20] == 0  # refused before asking resume
    assert apply(client, 999999, actors.student(20)).status_code == 404
    assert apply(client, position_id, actors.employer(7)).status_code == 403
