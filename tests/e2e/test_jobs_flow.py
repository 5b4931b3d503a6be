"""The job center end to end through the gateway: post, search, favorite, apply, read, interview, notify."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

import pytest

from cc_kit.testing.waiting import wait_until
import requests

from tests.auth.e2e_client import AuthClient

pytestmark = pytest.mark.e2e

BEIJING = timezone(timedelta(hours=8))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def people(suite):
    """A school admin, one approved employer and one registered student, logged in through the gateway."""
    auth = AuthClient(suite)
    tag = random.randrange(10**6)
    company = auth.new_employer(f"杭州云帆科技有限公司{tag}")
    employer = bearer(auth.token(company["email"], company["password"]))
    student = auth.new_student(name="陈小明", phone=f"139{random.randrange(10**8):08d}")
    student["headers"] = bearer(auth.token(student["student_no"], student["password"], "10001"))
    return {"admin": bearer(auth.admin_token()), "employer": employer, "company": company, "student": student}


def deadline(days: int = 30) -> str:
    return (datetime.now(BEIJING) + timedelta(days=days)).date().isoformat()


POSTINGS = {
    "python": {"title": "高级Python开发工程师", "description": "负责后端服务开发，熟悉 Django 与 PostgreSQL。",
               "city": "上海", "salary_min": 15000, "salary_max": 30000, "degree": "本科", "job_type": "full_time",
               "industry": "互联网", "majors": ["软件工程"], "headcount": 2},
    "finance": {"title": "财务分析实习生", "description": "协助编制财务报表与预算分析。", "city": "北京",
                "salary_min": 3000, "salary_max": 5000, "degree": "硕士", "job_type": "intern", "industry": "金融",
                "majors": ["会计学"], "headcount": 1},
    "java": {"title": "Java Backend Engineer", "description": "Build microservices with Spring Boot and Kafka. 英语流利。",
             "city": "杭州", "salary_min": 12000, "salary_max": 20000, "degree": "本科", "job_type": "full_time",
             "industry": "互联网", "majors": [], "headcount": 3},
}

SEARCHES = [
    ({"q": "Python 开发"}, {"python"}),
    ({"q": "财务"}, {"finance"}),
    ({"q": "microservices"}, {"java"}),
    ({"q": "ENGINEER kafka"}, {"java"}),
    ({"q": "开发", "city": "杭州"}, set()),
    ({"city": "北京"}, {"finance"}),
    ({"degree": "硕士"}, {"finance"}),
    ({"degree": "本科"}, {"python", "java"}),
    ({"job_type": "intern"}, {"finance"}),
    ({"industry": "互联网"}, {"python", "java"}),
    ({"salary_min": 20000}, {"python", "java"}),
    ({"salary_max": 4000}, {"finance"}),
    ({"salary_min": 13000, "salary_max": 14000}, {"java"}),
    ({"q": "Kafka", "job_type": "full_time", "city": "杭州"}, {"java"}),
]

RESUME_BASIC = {"name": "陈小明", "gender": "male", "phone": "13900000000", "email": "xm@stu.e2e.example",
                "city": "上海", "birth_date": "2004-03-01"}
EDUCATION = [{"school": "示例大学", "major": "软件工程", "degree": "本科", "start": "2022-09", "end": "2026-06"}]
INTERNSHIPS = [{"company": "某互联网公司", "position": "后端开发实习生", "start": "2025-07", "end": "2025-09",
                "description": "参与订单系统开发"}]
PROJECTS = [{"name": "校园二手平台", "role": "后端", "description": "Flask + PostgreSQL"}]




def test_job_center_story(suite, people):
    gw, api = suite.url, f"{suite.url}/api/v1/jobs"
    employer, student = people["employer"], people["student"]
    me = student["headers"]

    # the employer posts three positions
    ids = {}
    for name, body in POSTINGS.items():
        response = requests.post(f"{api}/positions", json={**body, "deadline": deadline()}, headers=employer, timeout=10)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "published"
        assert response.json()["company_name"] == people["company"]["company_name"]
        ids[name] = response.json()["id"]
    employer_id = requests.get(f"{api}/positions/{ids['python']}", timeout=10).json()["employer_id"]
    by_id = {v: k for k, v in ids.items()}

    # search (scoped to this company, so other tests' postings cannot interfere) returns exactly the right ones
    for params, expected in SEARCHES:
        response = requests.get(f"{api}/positions", params={**params, "employer_id": employer_id}, timeout=10)
        assert response.status_code == 200, response.text
        assert {by_id[p["id"]] for p in response.json()} == expected, params
        assert json.loads(response.headers["X-Pagination"])["total"] == len(expected)
    assert requests.get(f"{api}/positions", params={"page": -1}, timeout=10).status_code == 422
    assert requests.get(f"{api}/positions", params={"salary_min": "abc"}, timeout=10).status_code == 422

    # favorite
    assert requests.put(f"{api}/favorites/{ids['python']}", headers=me, timeout=10).status_code == 200
    favorites = requests.get(f"{api}/favorites", headers=me, timeout=10).json()
    assert [f["position_id"] for f in favorites] == [ids["python"]]
    assert requests.get(f"{api}/positions/{ids['python']}", headers=me, timeout=10).json()["favorited"] is True

    # apply: no default resume, then one under 60 %, then one above
    apply_url = f"{api}/positions/{ids['python']}/applications"
    refused = requests.post(apply_url, headers=me, timeout=30)
    assert refused.status_code == 422 and refused.json()["code"] == "resume_incomplete", refused.text
    assert "default_resume" in refused.json()["missing"]

    resumes = f"{gw}/api/v1/resume/resumes"
    resume = requests.post(resumes, json={"kind": "zh", "title": "陈小明-后端", "basic_info": RESUME_BASIC,
                                          "education": EDUCATION}, headers=me, timeout=10)
    assert resume.status_code == 201, resume.text
    rid = resume.json()["id"]
    assert requests.post(f"{resumes}/{rid}/default", headers=me, timeout=10).status_code == 200
    refused = requests.post(apply_url, headers=me, timeout=30)
    assert refused.status_code == 422 and refused.json()["code"] == "resume_incomplete", refused.text
    assert {"internships", "projects"} <= set(refused.json()["missing"])

    filled = requests.patch(f"{resumes}/{rid}", json={"internships": INTERNSHIPS, "projects": PROJECTS},
                            headers=me, timeout=10)
    assert filled.json()["completeness"] >= 60, filled.text
    applied = requests.post(apply_url, headers=me, timeout=30)
    assert applied.status_code == 201, applied.text
    app_id = applied.json()["id"]
    assert applied.json()["status"] == "delivered"
    again = requests.post(apply_url, headers=me, timeout=30)
    assert again.status_code == 409 and again.json()["code"] == "already_applied"
    assert requests.get(f"{api}/positions/{ids['python']}", headers=me, timeout=10).json()["applied"] is True

    # the student edits the resume afterwards; the employer reads it as delivered
    requests.patch(f"{resumes}/{rid}", json={"basic_info": {**RESUME_BASIC, "name": "陈大明"}}, headers=me, timeout=10)
    inbox = requests.get(f"{api}/applications", params={"position_id": ids["python"]}, headers=employer,
                         timeout=10).json()
    assert [a["id"] for a in inbox] == [app_id]
    delivered = requests.get(f"{api}/applications/{app_id}/resume", headers=employer, timeout=10)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["snapshot"]["basic_info"]["name"] == "陈小明"
    mine = requests.get(f"{api}/applications", headers=me, timeout=10).json()
    assert [(a["id"], a["status"]) for a in mine] == [(app_id, "viewed")]

    # online interview → room link, mail and SMS to the student, who accepts
    starts = (datetime.now(BEIJING) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    invited = requests.post(f"{api}/applications/{app_id}/interviews", headers=employer, timeout=10,
                            json={"starts_at": starts.isoformat(), "mode": "online", "note": "请提前10分钟进入"})
    assert invited.status_code == 201, invited.text
    room_url = invited.json()["room_url"]
    assert room_url.startswith("https://")

    mail_dir = suite.data_dir / "outbox" / "mail"

    def invitation_mail():
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            body = message.get_body(preferencelist=("plain", "html"))
            if student["email"] in str(message["To"]) and body is not None and room_url in body.get_content():
                return message
        return None

    message = wait_until(invitation_mail, timeout=90, what="the invitation mail")
    assert "高级Python开发工程师" in message.get_body(preferencelist=("plain", "html")).get_content()

    sms_file = suite.data_dir / "outbox" / "sms.jsonl"

    def invitation_sms():
        if not sms_file.exists():
            return None
        for line in sms_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry.get("phone", "").endswith(student["phone"]) and "高级Python开发工程师" in entry.get("text", ""):
                return entry
        return None

    wait_until(invitation_sms, timeout=90, what="the invitation SMS")

    interviews = requests.get(f"{api}/interviews", headers=me, timeout=10).json()
    assert [i["id"] for i in interviews] == [invited.json()["id"]]
    accepted = requests.post(f"{api}/interviews/{invited.json()['id']}/accept", headers=me, timeout=10)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    ics = requests.get(f"{api}/interviews/{invited.json()['id']}.ics", headers=me, timeout=10)
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content and room_url.encode() in ics.content.replace(b"\r\n ", b"")


def test_a_student_cannot_publish_a_position(suite, people):
    response = requests.post(f"{suite.url}/api/v1/jobs/positions", headers=people["student"]["headers"], timeout=10,
                             json={**POSTINGS["python"], "deadline": deadline()})
    assert response.status_code == 403
    assert response.json()["code"]
