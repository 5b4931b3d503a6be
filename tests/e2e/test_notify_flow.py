"""Notifications end to end through the gateway: an employer registers and is approved, the mails
land in the local sink, and the log and preferences read back through /api/v1/notify."""
from __future__ import annotations

import email
import email.policy
import random
from pathlib import Path

import pytest

from cc_kit.testing.waiting import wait_until
import requests

pytestmark = pytest.mark.e2e

# GB 32100-2015 check character, so each run registers a fresh, valid 统一社会信用代码.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code() -> str:
    first17 = "91330100" + "".join(random.choice("0123456789") for _ in range(8)) + "X"
    value = 31 - sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS)) % 31
    return first17 + ALPHABET[0 if value == 31 else value]


def login(suite, username: str, password: str) -> dict:
    captcha = requests.get(f"{suite.url}/api/v1/auth/captcha", timeout=10).json()
    answer = requests.post(f"{suite.url}/api/v1/auth/login", timeout=10, json={
        "username": username, "password": password, "captcha_id": captcha["captcha_id"],
        "captcha_code": suite.captcha_bypass})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def mails_to(suite, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((Path(suite.data_dir) / "outbox" / "mail").glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if mail["To"] == address:
            found.append(mail)
    return found




def test_employer_mails_are_sent_logged_and_preferences_kept(suite):
    gw = suite.url
    address = f"hr.{random.randrange(10**8)}@yunfan-e2e.example.com"
    password = "Employer#2026-e2e"
    registered = requests.post(f"{gw}/api/v1/auth/employers/register", timeout=10, json={
        "company_name": "杭州云帆科技有限公司", "credit_code": credit_code(), "contact_name": "王经理",
        "email": address, "phone": f"137{random.randrange(10**8):08d}", "password": password})
    assert registered.status_code == 201, registered.text
    employer_id = registered.json()["id"]

    [received] = wait_until(lambda: mails_to(suite, address), timeout=30, what="the registration mail")
    assert received["Subject"] == "单位注册申请已提交"
    assert "杭州云帆科技有限公司" in received.get_content()

    admin = login(suite, suite.admin_email, suite.admin_password)
    approved = requests.post(f"{gw}/api/v1/auth/admin/employers/{employer_id}/approve", headers=admin, timeout=10)
    assert approved.status_code == 200, approved.text
    wait_until(lambda: len(mails_to(suite, address)) == 2, timeout=30, what="the approval mail")
    assert [m["Subject"] for m in mails_to(suite, address)] == ["单位注册申请已提交", "单位注册审核通过"]

    employer = login(suite, address, password)

    def my_mail_log():
        answer = requests.get(f"{gw}/api/v1/notify/notifications", headers=employer, timeout=10,
                              params={"channel": "email"})
        items = answer.json() if answer.status_code == 200 else []
        return len(items) == 2 and all(i["status"] == "sent" for i in items) and items

    mail_log = wait_until(my_mail_log, timeout=30, what="both mails logged as sent")
    assert sorted(i["template"] for i in mail_log) == ["employer_approved", "employer_registered"]
    assert all(i["attempts"] == 1 and i["sent_at"] for i in mail_log)
    user_id = mail_log[0]["user_id"]
    # auth also asks for an SMS on approval: sent by day, held until 08:00 in the night's quiet hours
    everything = requests.get(f"{gw}/api/v1/notify/notifications", headers=employer, timeout=10).json()
    for sms in (i for i in everything if i["channel"] == "sms"):
        assert sms["status"] == "sent" or (sms["status"], sms["reason"]) == ("queued", "quiet_hours"), sms

    staff_view = requests.get(f"{gw}/api/v1/notify/notifications", headers=admin, timeout=10,
                              params={"user_id": user_id, "status": "sent"})
    assert staff_view.status_code == 200
    assert {i["template"] for i in staff_view.json() if i["channel"] == "email"} == {
        "employer_approved", "employer_registered"}
    assert requests.get(f"{gw}/api/v1/notify/notifications", headers=employer, timeout=10,
                        params={"user_id": user_id + 100000}).status_code == 403

    assert requests.get(f"{gw}/api/v1/notify/templates", headers=employer, timeout=10).status_code == 403
    catalog = requests.get(f"{gw}/api/v1/notify/templates", headers=admin, timeout=10)
    assert catalog.status_code == 200 and "interview_invited" in {t["name"] for t in catalog.json()}

    saved = requests.put(f"{gw}/api/v1/notify/preferences", headers=employer, timeout=10, json={
        "categories": {"push": []}, "sms_quiet_hours": {"start": "21:00", "end": "08:30"}, "push_daily_cap": 1})
    assert saved.status_code == 200, saved.text
    prefs = requests.get(f"{gw}/api/v1/notify/preferences", headers=employer, timeout=10).json()
    assert prefs["categories"]["push"] == [] and prefs["sms_quiet_hours"] == {"start": "21:00", "end": "08:30"}
    bad = requests.put(f"{gw}/api/v1/notify/preferences", headers=employer, timeout=10,
                       json={"push_daily_cap": -1})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert requests.get(f"{gw}/api/v1/notify/preferences", timeout=10).status_code == 401
