"""The notify api on both databases: my log, staff filters, preferences, the template catalog, errors."""
from __future__ import annotations

import json

import pytest

from services.notify.domain.commands import accept_command

from ..helpers import make_command, settings_for, shanghai


@pytest.fixture
def app(notify_db, service_env):
    from services.notify.http import create_app

    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


def seed(notify_db, data_dir):
    settings = settings_for(data_dir)
    contacts = {7: {"email": "zhangsan@stu.example.cn", "phone": "13800000007"},
                8: {"email": "lisi@stu.example.cn", "phone": None}}
    commands = [
        make_command(template="interview_invited", category="interview", user_id=7, channels=("email", "sms"),
                     params={"company": "某公司", "position": "会计", "starts_at": "2026-03-09T10:00:00+08:00",
                             "mode": "onsite"}),
        make_command(template="registration_welcome", category="account", user_id=7, params={"name": "张三"}),
        make_command(template="signing_invitation", category="signing", user_id=8, channels=("email", "sms"),
                     params={"company": "某公司", "position": "会计"}),
    ]
    for command in commands:
        accept_command(notify_db, command, settings=settings, resolve_contact=contacts.get,
                       now=shanghai(2026, 3, 5, 12))


def test_a_user_sees_only_their_own_log(client, notify_db, data_dir, test_keys):
    seed(notify_db, data_dir)
    response = client.get("/api/v1/notify/notifications", headers=test_keys.headers(7, "student"))
    assert response.status_code == 200
    items = response.get_json()
    assert {i["user_id"] for i in items} == {7} and len(items) == 3
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    first = items[-1]
    assert set(first) >= {"channel", "category", "template", "status", "attempts", "last_error", "created_at",
                          "sent_at", "subject"}
    assert first["created_at"].endswith("+00:00")
    assert "body" not in first
    sms_only = client.get("/api/v1/notify/notifications?channel=sms", headers=test_keys.headers(7, "student"))
    assert [i["channel"] for i in sms_only.get_json()] == ["sms"]
    peek = client.get("/api/v1/notify/notifications?user_id=8", headers=test_keys.headers(7, "student"))
    assert peek.status_code == 403 and peek.get_json()["code"] == "forbidden"


def test_staff_filter_anyone_and_page(client, notify_db, data_dir, test_keys):
    seed(notify_db, data_dir)
    staff = test_keys.headers(1, "school_admin", school_code="10001")
    failed = client.get("/api/v1/notify/notifications?user_id=8&status=failed", headers=staff).get_json()
    assert [(i["user_id"], i["channel"], i["reason"]) for i in failed] == [(8, "sms", "no_recipient")]
    assert "手机号" in failed[0]["last_error"]
    page = client.get("/api/v1/notify/notifications?page=2&page_size=2", headers=staff)
    assert len(page.get_json()) == 2
    assert json.loads(page.headers["X-Pagination"])["total"] == 5
    by_category = client.get("/api/v1/notify/notifications?category=account", headers=staff).get_json()
    assert [i["template"] for i in by_category] == ["registration_welcome"]
    bad = client.get("/api/v1/notify/notifications?status=lost", headers=staff)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]
    assert client.get("/api/v1/notify/notifications").status_code == 401


def test_preferences_default_then_replace(client, test_keys):
    me = test_keys.headers(7, "student")
    prefs = client.get("/api/v1/notify/preferences", headers=me).get_json()
    assert prefs["categories"]["interview"] == ["email", "sms"] and prefs["categories"]["push"] == ["email"]
    assert prefs["sms_quiet_hours"] == {"start": "22:00", "end": "08:00"}
    assert prefs["push_daily_cap"] == 3 and prefs["timezone"] == "Asia/Shanghai"
    assert prefs["category_labels"]["interview"] == "面试邀请"
    response = client.put("/api/v1/notify/preferences", headers=me, json={
        "categories": {"push": ["email", "sms"], "review": []},
        "sms_quiet_hours": {"start": "21:30", "end": "07:30"}, "push_daily_cap": 5})
    assert response.status_code == 200
    saved = client.get("/api/v1/notify/preferences", headers=me).get_json()
    assert saved["categories"]["push"] == ["email", "sms"] and saved["categories"]["review"] == []
    assert saved["categories"]["interview"] == ["email", "sms"]
    assert saved["sms_quiet_hours"] == {"start": "21:30", "end": "07:30"} and saved["push_daily_cap"] == 5
    other = client.get("/api/v1/notify/preferences", headers=test_keys.headers(8, "student")).get_json()
    assert other["push_daily_cap"] == 3
    off = client.put("/api/v1/notify/preferences", headers=me, json={"sms_quiet_hours": None}).get_json()
    assert off["sms_quiet_hours"] is None and off["push_daily_cap"] == 5


BAD_PREFERENCES = [
    ({"categories": {"account": []}}, "categories"),
    ({"categories": {"weather": ["email"]}}, "categories"),
    ({"categories": {"push": ["wechat"]}}, "categories"),
    ({"sms_quiet_hours": {"start": "25:00", "end": "07:00"}}, "sms_quiet_hours"),
    ({"sms_quiet_hours": {"start": "22:00", "end": "22:00"}}, "sms_quiet_hours"),
    ({"push_daily_cap": 1000}, "push_daily_cap"),
    ({"push_daily_cap": "many"}, "push_daily_cap"),
]


def test_bad_preferences_are_422_with_the_field_and_change_nothing(client, test_keys):
    me = test_keys.headers(7, "student")
    before = client.get("/api/v1/notify/preferences", headers=me).get_json()
    for body, field in BAD_PREFERENCES:
        response = client.put("/api/v1/notify/preferences", headers=me, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], body
    assert client.get("/api/v1/notify/preferences", headers=me).get_json() == before


def test_non_json_preferences_are_400(client, test_keys):
    response = client.put("/api/v1/notify/preferences", data="{not json", content_type="application/json",
                          headers=test_keys.headers(7, "student"))
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_json"


def test_the_template_catalog_is_for_school_staff(client, test_keys):
    assert client.get("/api/v1/notify/templates", headers=test_keys.headers(7, "student")).status_code == 403
    response = client.get("/api/v1/notify/templates", headers=test_keys.headers(1, "school_admin"))
    assert response.status_code == 200
    catalog = {t["name"]: t for t in response.get_json()}
    assert "interview_invited" in catalog and catalog["password_reset_code"]["secret"] is True
    assert catalog["interview_invited"]["example"]["subject"].startswith("面试邀请")


def test_openapi_and_event_catalog_are_served(client):
    spec = client.get("/api/v1/notify/openapi.json").get_json()
    assert {"/api/v1/notify/notifications", "/api/v1/notify/preferences", "/api/v1/notify/templates"} <= set(
        spec["paths"])
    events = client.get("/api/v1/notify/asyncapi.json").get_json()
    assert {"notify.notification_sent", "notify.notification_failed"} <= set(events["channels"])
