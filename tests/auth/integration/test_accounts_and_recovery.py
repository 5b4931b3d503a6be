"""Password recovery, account settings (contact re-verification, privacy, password change) over HTTP."""
import pytest

from ..conftest import BYPASS, ROSTER_CSV, last_code, outbox_rows

EMAIL = "zhang.wei@mail.example"


@pytest.fixture
def api(make_api, db_url):
    api = make_api(db_url)
    api.import_roster(ROSTER_CSV.encode())
    api.register(email=EMAIL)
    return api


def _forgot(api, **body):
    return api.post("/password/forgot", {"captcha_id": "x", "captcha_code": BYPASS, **body})


def test_password_recovery_end_to_end(api):
    unknown = _forgot(api, school_code="10001", student_no="2022010102")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "account_not_found"
    assert _forgot(api, school_code="10001", student_no="2022010101", captcha_code="no").get_json()["code"] == \
        "invalid_captcha"
    assert _forgot(api, captcha_code=BYPASS).status_code == 422
    pair = api.login("2022010101", "Campus#2026", "10001")
    ticket = _forgot(api, school_code="10001", student_no="2022010101").get_json()["reset_ticket"]
    mismatch = api.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": "zhang.wei@mail.exampl"})
    assert mismatch.status_code == 422 and mismatch.get_json()["code"] == "email_mismatch"
    sent = api.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": EMAIL})
    assert sent.status_code == 200 and sent.get_json() == {"sent_to": "z***@mail.example", "expires_in": 600,
                                                            "resend_after": 60}
    code = last_code(api.db)
    wrong = api.post("/password/reset", {"reset_ticket": ticket, "code": "000000" if code != "000000" else "111111",
                                          "new_password": "Fresh#2026x"})
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "invalid_code"
    assert wrong.get_json()["attempts_left"] == 4
    done = api.post("/password/reset", {"reset_ticket": ticket, "code": code, "new_password": "Fresh#2026x"})
    assert done.status_code == 200 and done.get_json()["status"] == "password_reset"
    second_use = api.post("/password/reset", {"reset_ticket": ticket, "code": code, "new_password": "Other#2026x"})
    assert second_use.status_code == 400 and second_use.get_json()["code"] == "code_used"
    assert api.login("2022010101", "Campus#2026", "10001", expect=401)["code"] == "invalid_credentials"
    assert api.login("2022010101", "Fresh#2026x", "10001")["role"] == "student"
    # Every session that existed before the reset is over.
    assert api.post("/token/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    changed = [env["data"] for key, env in outbox_rows(api.db, "password_changed")]
    assert changed[-1]["reason"] == "reset"


def test_reset_clears_a_lockout(api):
    for _ in range(5):
        api.post("/login", {"username": "2022010101", "school_code": "10001", "password": "Wrong#2026",
                            "captcha_id": "x", "captcha_code": BYPASS})
    assert api.login("2022010101", "Campus#2026", "10001", expect=429)["code"] == "account_locked"
    ticket = _forgot(api, school_code="10001", student_no="2022010101").get_json()["reset_ticket"]
    api.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": EMAIL})
    api.post("/password/reset", {"reset_ticket": ticket, "code": last_code(api.db), "new_password": "Fresh#2026x"})
    assert api.login("2022010101", "Fresh#2026x", "10001")["role"] == "student"


def test_me_and_contact_reverification(api):
    token = api.login("2022010101", "Campus#2026", "10001")["access_token"]
    me = api.get("/me", token=token).get_json()
    assert me["student_no"] == "2022010101" and me["major"] == "软件工程" and me["email"] == EMAIL
    assert api.get("/me").status_code == 401
    name = api.patch("/me", {"name": "张三"}, token=token)
    assert name.status_code == 422 and name.get_json()["code"] == "field_not_editable"
    patched = api.patch("/me", {"email": "new.mail@mail.example", "phone": "13987654321"}, token=token)
    body = patched.get_json()
    assert patched.status_code == 200 and body["email"] == EMAIL and body["phone"] == "13812345678"
    assert {v["channel"] for v in body["verification"]} == {"email", "phone"}
    assert body["pending_contact"] == {"email": "n***@mail.example", "phone": "139****4321"}
    spam = api.patch("/me", {"email": "victim@mail.example"}, token=token)
    assert spam.status_code == 429 and spam.get_json()["code"] == "code_recently_sent"
    sms = [env["data"] for key, env in outbox_rows(api.db, "send")
           if env["data"]["template"] == "phone_verification_code"][-1]
    assert sms["phone"] == "13987654321" and sms["channels"] == ["sms"]
    wrong = api.post("/me/verify-contact", {"channel": "phone", "code": "000000" if sms["params"]["code"] != "000000"
                                            else "111111"}, token=token)
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "invalid_code"
    ok = api.post("/me/verify-contact", {"channel": "phone", "code": sms["params"]["code"]}, token=token)
    assert ok.status_code == 200 and ok.get_json()["phone"] == "13987654321"
    email_code = last_code(api.db, "generic")
    ok = api.post("/me/verify-contact", {"channel": "email", "code": email_code}, token=token)
    assert ok.status_code == 200 and ok.get_json()["email"] == "new.mail@mail.example"
    again = api.post("/me/verify-contact", {"channel": "email", "code": email_code}, token=token)
    assert again.status_code == 400 and again.get_json()["code"] == "no_pending_change"
    assert [env["data"]["channel"] for key, env in outbox_rows(api.db, "contact_changed")] == ["phone", "email"]


def test_privacy_settings(api):
    token = api.login("2022010101", "Campus#2026", "10001")["access_token"]
    assert api.get("/me/privacy", token=token).get_json() == {"resume_visibility": "applied_only",
                                                              "show_contact": True}
    put = api.put("/me/privacy", {"resume_visibility": "hidden", "show_contact": False}, token=token)
    assert put.status_code == 200 and put.get_json() == {"resume_visibility": "hidden", "show_contact": False}
    assert api.get("/me/privacy", token=token).get_json()["resume_visibility"] == "hidden"
    bad = api.put("/me/privacy", {"resume_visibility": "everyone", "show_contact": "maybe"}, token=token)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"resume_visibility", "show_contact"}
    assert api.get("/me/privacy", token=api.admin_token()).status_code == 403


def test_change_password(api):
    pair = api.login("2022010101", "Campus#2026", "10001")
    token = pair["access_token"]
    wrong = api.post("/me/password", {"old_password": "Nope#2026", "new_password": "Next#2026x"}, token=token)
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "wrong_password"
    same = api.post("/me/password", {"old_password": "Campus#2026", "new_password": "Campus#2026"}, token=token)
    assert same.status_code == 422 and same.get_json()["code"] == "password_reused"
    weak = api.post("/me/password", {"old_password": "Campus#2026", "new_password": "abc"}, token=token)
    assert weak.status_code == 422 and weak.get_json()["code"] == "weak_password"
    ok = api.post("/me/password", {"old_password": "Campus#2026", "new_password": "Next#2026x"}, token=token)
    assert ok.status_code == 200
    assert api.post("/token/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    api.login("2022010101", "Campus#2026", "10001", expect=401)
    api.login("2022010101", "Next#2026x", "10001")
