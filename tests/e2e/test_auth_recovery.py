"""Password recovery through the gateway, with the code read from notify's mail sink."""
import pytest

from tests.auth.e2e_client import AuthClient

pytestmark = pytest.mark.e2e


@pytest.fixture
def auth(suite):
    return AuthClient(suite)


def _forgot(auth, student):
    response = auth.post("/password/forgot", {"school_code": "10001", "student_no": student["student_no"],
                                              **auth.captcha()})
    assert response.status_code == 200, response.text
    return response.json()["reset_ticket"]


def test_reset_code_by_mail(auth):
    student = auth.new_student()
    old_session = auth.student_login(student).json()
    unknown = auth.post("/password/forgot", {"school_code": "10001", "student_no": "1", **auth.captcha()})
    assert unknown.status_code == 404 and unknown.json()["code"] == "account_not_found"
    no_captcha = auth.post("/password/forgot", {"school_code": "10001", "student_no": student["student_no"],
                                                "captcha_id": "x", "captcha_code": "wrong"})
    assert no_captcha.status_code == 400 and no_captcha.json()["code"] == "invalid_captcha"

    ticket = _forgot(auth, student)
    different = auth.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": "other@e2e.example"})
    assert different.status_code == 422 and different.json()["code"] == "email_mismatch"
    partial = auth.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": student["email"][:-1]})
    assert partial.status_code == 422 and partial.json()["code"] == "email_mismatch"
    sent = auth.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": student["email"].upper()})
    assert sent.status_code == 200 and sent.json()["expires_in"] == 600
    too_soon = auth.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": student["email"]})
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) > 0

    code = auth.wait_for_code(student["email"], subject="密码重置")
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = auth.post("/password/reset", {"reset_ticket": ticket, "code": wrong_code, "new_password": "Reset#2026x"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code" and wrong.json()["attempts_left"] == 4
    done = auth.post("/password/reset", {"reset_ticket": ticket, "code": code, "new_password": "Reset#2026x"})
    assert done.status_code == 200
    second = auth.post("/password/reset", {"reset_ticket": ticket, "code": code, "new_password": "Again#2026x"})
    assert second.status_code == 400 and second.json()["code"] == "code_used"

    assert auth.student_login(student).status_code == 401  # the old password stops working
    assert auth.student_login(student, "Reset#2026x").status_code == 200
    assert auth.post("/token/refresh", {"refresh_token": old_session["refresh_token"]}).status_code == 401


def test_code_attempts_are_limited(auth):
    student = auth.new_student()
    ticket = _forgot(auth, student)
    assert auth.post("/password/forgot/send-code", {"reset_ticket": ticket, "email": student["email"]}).ok
    code = auth.wait_for_code(student["email"], subject="密码重置")
    wrong_code = "000000" if code != "000000" else "111111"
    statuses = [auth.post("/password/reset", {"reset_ticket": ticket, "code": wrong_code,
                                              "new_password": "Reset#2026x"}).status_code for _ in range(5)]
    assert statuses == [400] * 5
    blocked = auth.post("/password/reset", {"reset_ticket": ticket, "code": code, "new_password": "Reset#2026x"})
    assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_attempts"
    assert auth.student_login(student).status_code == 200  # the password did not change
