"""Publishing, editing and reviewing positions on both databases; who may do what."""
from datetime import date, timedelta

from .conftest import outbox_events, position_body

POSITIONS = "/api/v1/jobs/positions"


def test_employer_publishes_and_the_event_is_recorded(client, actors, jobs_db):
    response = client.post(POSITIONS, json=position_body(), headers=actors.employer(7))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "published" and body["accepting_applications"] is True
    assert body["company_name"] == "杭州云帆科技有限公司" and body["employer_id"] == 7
    assert body["majors"] == ["计算机科学与技术", "软件工程"]
    (event,) = outbox_events(jobs_db, "position_published")
    assert event["exchange"] == "jobs.events"
    assert event["envelope"]["type"] == "cn.campus-careers.jobs.position_published"
    assert event["envelope"]["data"]["position_id"] == body["id"]
    assert event["envelope"]["data"]["title"] == "高级Python开发工程师"

    detail = client.get(f"{POSITIONS}/{body['id']}")
    assert detail.status_code == 200
    assert detail.json["title"] == "高级Python开发工程师"
    assert "favorited" not in detail.json  # only for a student


def test_only_employers_publish(client, actors):
    assert client.post(POSITIONS, json=position_body(), headers=actors.student()).status_code == 403
    assert client.post(POSITIONS, json=position_body(), headers=actors.admin()).status_code == 403
    response = client.post(POSITIONS, json=position_body())
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_invalid_positions_are_422_with_the_field(client, actors):
    cases = [
        ({"degree": "小学"}, "degree"),
        ({"job_type": "part_time"}, "job_type"),
        ({"salary_min": 30000, "salary_max": 1000}, "salary_max"),
        ({"salary_min": "很多"}, "salary_min"),
        ({"deadline": "2026/06/30"}, "deadline"),
        ({"deadline": (date.today() - timedelta(days=2)).isoformat()}, "deadline"),
        ({"title": "   "}, "title"),
        ({"headcount": 0}, "headcount"),
        ({"owner": "someone"}, "owner"),
    ]
    for overrides, field in cases:
        response = client.post(POSITIONS, json=position_body(**overrides), headers=actors.employer())
        assert response.status_code == 422, (overrides, response.json)
        assert field in response.json["errors"], (overrides, response.json)
    body = position_body()
    del body["city"]
    response = client.post(POSITIONS, json=body, headers=actors.employer())
    assert response.status_code == 422 and "city" in response.json["errors"]
    response = client.post(POSITIONS, data="not json", headers={**actors.employer(), "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["code"] == "invalid_json"


def test_employer_edits_only_their_own(client, actors):
    pid = client.post(POSITIONS, json=position_body(), headers=actors.employer(7)).json["id"]
    response = client.patch(f"{POSITIONS}/{pid}", json={"salary_max": 35000, "city": "苏州"},
                            headers=actors.employer(7, user_id=2001))  # a colleague of the same company
    assert response.status_code == 200, response.json
    assert (response.json["salary_max"], response.json["city"]) == (35000, "苏州")
    assert client.patch(f"{POSITIONS}/{pid}", json={"city": "北京"}, headers=actors.employer(8)).status_code == 404
    response = client.patch(f"{POSITIONS}/{pid}", json={"salary_min": 40000}, headers=actors.employer(7))
    assert response.status_code == 422 and "salary_min" in response.json["errors"]
    assert client.patch(f"{POSITIONS}/{pid}", json={"city": "北京"}, headers=actors.student()).status_code == 403

    mine = client.get("/api/v1/jobs/employer/positions", headers=actors.employer(7))
    assert [p["id"] for p in mine.json] == [pid]
    assert client.get("/api/v1/jobs/employer/positions", headers=actors.employer(8)).json == []


def test_closed_position_cannot_be_edited(client, actors, jobs_db):
    pid = client.post(POSITIONS, json=position_body(), headers=actors.employer(7)).json["id"]
    assert client.post(f"{POSITIONS}/{pid}/close", headers=actors.employer(8)).status_code == 404
    response = client.post(f"{POSITIONS}/{pid}/close", headers=actors.employer(7))
    assert response.json["status"] == "closed" and response.json["accepting_applications"] is False
    response = client.patch(f"{POSITIONS}/{pid}", json={"city": "北京"}, headers=actors.employer(7))
    assert response.status_code == 409 and response.json["code"] == "position_closed"
    assert outbox_events(jobs_db, "position_closed")[0]["envelope"]["data"]["status"] == "closed"


def test_school_review_when_approval_is_required(make_client, actors, jobs_db):
    client = make_client(require_approval=True)
    pid = client.post(POSITIONS, json=position_body(), headers=actors.employer(7)).json["id"]
    assert client.get(f"{POSITIONS}/{pid}").status_code == 404  # not public yet
    assert client.get(f"{POSITIONS}/{pid}", headers=actors.student()).status_code == 404
    assert client.get(f"{POSITIONS}/{pid}", headers=actors.employer(8)).status_code == 404
    assert client.get(f"{POSITIONS}/{pid}", headers=actors.employer(7)).json["status"] == "pending_review"
    assert client.get(POSITIONS, query_string={"q": "Python"}).json == []
    assert outbox_events(jobs_db, "position_published") == []
    assert client.post(f"/api/v1/jobs/positions/{pid}/applications", headers=actors.student()).status_code == 404

    queue = client.get("/api/v1/jobs/admin/positions", query_string={"status": "pending_review"},
                       headers=actors.admin())
    assert [p["id"] for p in queue.json] == [pid]
    approve = f"/api/v1/jobs/admin/positions/{pid}/approve"
    assert client.post(approve, headers=actors.employer(7)).status_code == 403
    assert client.post(approve, headers=actors.student()).status_code == 403
    response = client.post(approve, headers=actors.admin())
    assert response.status_code == 200 and response.json["status"] == "published"
    assert client.post(approve, headers=actors.admin()).json["code"] == "invalid_transition"
    assert [p["id"] for p in client.get(POSITIONS, query_string={"q": "Python"}).json] == [pid]
    assert len(outbox_events(jobs_db, "position_published")) == 1

    # an edit of a public posting goes back to review
    response = client.patch(f"{POSITIONS}/{pid}", json={"title": "资深Python开发工程师"}, headers=actors.employer(7))
    assert response.json["status"] == "pending_review"
    assert client.get(POSITIONS).json == []

    response = client.post(f"/api/v1/jobs/admin/positions/{pid}/reject", json={"note": "薪资描述不清"},
                           headers=actors.admin())
    assert response.json["status"] == "rejected" and response.json["review_note"] == "薪资描述不清"
    assert client.get(f"{POSITIONS}/{pid}", headers=actors.employer(7)).json["review_note"] == "薪资描述不清"
    response = client.patch(f"{POSITIONS}/{pid}", json={"description": "月薪 2万-3万，五险一金。"},
                            headers=actors.employer(7))
    assert response.json["status"] == "pending_review"
    assert client.post(f"/api/v1/jobs/admin/positions/{pid}/close", headers=actors.admin()).json["status"] == "closed"
    assert client.post("/api/v1/jobs/admin/positions/999999/approve", headers=actors.admin()).status_code == 404


def test_without_approval_the_school_can_still_take_a_posting_down(client, actors):
    pid = client.post(POSITIONS, json=position_body(), headers=actors.employer(7)).json["id"]
    response = client.post(f"/api/v1/jobs/admin/positions/{pid}/reject", json={"note": "虚假招聘"},
                           headers=actors.admin())
    assert response.json["status"] == "rejected"
    assert client.get(f"{POSITIONS}/{pid}").status_code == 404
    assert client.get(POSITIONS).json == []


def test_unknown_position_is_404_with_the_envelope(client):
    response = client.get(f"{POSITIONS}/424242")
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
