"""Employer sign-up and review, staff accounts, the bootstrap admin and the CLI."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.auth.domain import staff
from services.auth.models import User

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, migrated, outbox_rows

REPO = Path(__file__).resolve().parents[3]
EMPLOYER = {"company_name": "深圳市腾讯计算机系统有限公司", "credit_code": "9144030071526726XG",
            "contact_name": "马经理", "email": "hr@tencent.example", "phone": "13900001111", "password": "Hire#2026x"}


@pytest.fixture
def api(make_api, db_url):
    return make_api(db_url)


def test_employer_sign_up_and_approval(api):
    bad = api.post("/employers/register", {**EMPLOYER, "credit_code": "9144030071526726XH"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_credit_code"
    created = api.post("/employers/register", {**EMPLOYER, "credit_code": "9144 0300 7152 6726 xg"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["status"] == "pending" and body["credit_code"] == "9144030071526726XG"
    duplicate = api.post("/employers/register", {**EMPLOYER, "email": "other@tencent.example"})
    assert duplicate.status_code == 409 and duplicate.get_json()["code"] == "employer_exists"
    email_taken = api.post("/employers/register", {**EMPLOYER, "credit_code": "914403001922038216"})
    assert email_taken.status_code == 409 and email_taken.get_json()["code"] == "email_taken"
    pending = api.login("hr@tencent.example", "Hire#2026x", expect=403)
    assert pending["code"] == "employer_not_approved"
    admin = api.admin_token()
    listed = api.get("/admin/employers?status=pending", token=admin)
    assert listed.status_code == 200 and [e["id"] for e in listed.get_json()] == [body["id"]]
    assert '"total": 1' in listed.headers["X-Pagination"]
    assert api.get("/admin/employers?status=approved", token=admin).get_json() == []
    assert api.get("/admin/employers?status=weird", token=admin).status_code == 422
    approved = api.post(f"/admin/employers/{body['id']}/approve", token=admin)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert api.post(f"/admin/employers/{body['id']}/approve", token=admin).status_code == 200  # idempotent
    assert api.post("/admin/employers/999999/approve", token=admin).status_code == 404
    pair = api.login("hr@tencent.example", "Hire#2026x")
    assert pair["role"] == "employer"
    assert api.post(f"/admin/employers/{body['id']}/approve", token=pair["access_token"]).status_code == 403
    rejected = api.post(f"/admin/employers/{body['id']}/reject", {"reason": "资质不符"}, token=admin)
    assert rejected.status_code == 409
    assert [k for k, e in outbox_rows(api.db) if k.startswith("employer_")] == ["employer_registered",
                                                                               "employer_approved"]
    mail = [e["data"] for k, e in outbox_rows(api.db, "send") if e["data"]["template"] == "employer_approved"]
    assert mail == [{**mail[0], "params": {"company_name": "深圳市腾讯计算机系统有限公司"}}]


def test_employer_rejection_needs_a_reason(api):
    employer_id = api.post("/employers/register", EMPLOYER).get_json()["id"]
    admin = api.admin_token()
    assert api.post(f"/admin/employers/{employer_id}/reject", {"reason": ""}, token=admin).status_code == 422
    rejected = api.post(f"/admin/employers/{employer_id}/reject", {"reason": "营业执照不清晰"}, token=admin)
    assert rejected.status_code == 200 and rejected.get_json()["review_note"] == "营业执照不清晰"
    refused = api.login("hr@tencent.example", "Hire#2026x", expect=403)
    assert refused["code"] == "employer_not_approved" and refused["employer_status"] == "rejected"
    assert "营业执照不清晰" in refused["message"]
    event = [e["data"] for k, e in outbox_rows(api.db, "employer_rejected")][0]
    assert event["reason"] == "营业执照不清晰"


def test_staff_accounts(api):
    admin = api.admin_token()
    college = api.post("/admin/users", {"role": "college_admin", "email": "cs@campus.example", "name": "王老师",
                                        "password": "College#2026", "college": "计算机学院"}, token=admin)
    assert college.status_code == 201 and college.get_json()["school_code"] == "10001"
    no_college = api.post("/admin/users", {"role": "college_admin", "email": "x@campus.example", "name": "某",
                                           "password": "College#2026"}, token=admin)
    assert no_college.status_code == 422
    counselor = api.post("/admin/users", {"role": "counselor", "email": "co@campus.example", "name": "陈老师"},
                         token=admin)
    initial = counselor.get_json()["initial_password"]
    assert counselor.status_code == 201 and len(initial) >= 12
    assert api.login("co@campus.example", initial)["role"] == "counselor"
    student_role = api.post("/admin/users", {"role": "student", "email": "s@campus.example", "name": "学生"},
                            token=admin)
    assert student_role.status_code == 422
    dup = api.post("/admin/users", {"role": "counselor", "email": "CO@campus.example", "name": "重复"}, token=admin)
    assert dup.status_code == 409 and dup.get_json()["code"] == "email_taken"
    listed = api.get("/admin/users?role=counselor", token=admin).get_json()
    assert [u["email"] for u in listed] == ["co@campus.example"]
    cs_token = api.login("cs@campus.example", "College#2026")["access_token"]
    assert api.post("/admin/users", {"role": "counselor", "email": "z@campus.example", "name": "z"},
                    token=cs_token).status_code == 403
    disabled = api.patch(f"/admin/users/{college.get_json()['id']}", {"status": "disabled"}, token=admin)
    assert disabled.status_code == 200
    assert api.login("cs@campus.example", "College#2026", expect=403)["code"] == "account_disabled"
    assert [e["data"]["role"] for k, e in outbox_rows(api.db, "user_created")] == ["school_admin", "college_admin",
                                                                                  "counselor"]


def test_bootstrap_admin_is_idempotent_and_race_safe(db_url, data_dir):
    db = migrated(db_url)
    results = []

    def bootstrap():
        results.append(staff.ensure_admin(db, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, name="管理员",
                                          school_code="10001", only_if_none=True))

    threads = [threading.Thread(target=bootstrap) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
    assert len({user_id for user_id, _ in results}) == 1 and sum(created for _, created in results) == 1
    # A different bootstrap email later does not add a second admin when one exists.
    assert staff.ensure_admin(db, email="other@x.example", password=ADMIN_PASSWORD, name="x", school_code="10001",
                              only_if_none=True)[1] is False
    db.dispose()


def test_cli_create_admin(db_url, data_dir):
    env = {**os.environ, "AUTH_DATABASE_URL": db_url, "DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "services.auth.cli", "create-admin", "--email", "Root@Campus.example",
               "--password", "Campus#Admin-2026", "--school-code", "10001"]
    first = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert '"created": true' in first.stdout
    second = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and '"created": false' in second.stdout
    weak = subprocess.run(command[:-4] + ["--password", "weak", "--school-code", "10001"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert weak.returncode == 1 and "weak_password" in weak.stderr
    db = migrated(db_url)
    with db.read() as session:
        assert session.scalar(select(User.role).where(User.email == "root@campus.example")) == "school_admin"
    db.dispose()
