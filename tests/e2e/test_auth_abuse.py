"""Hostile traffic through the gateway: password guessing ends in 429, junk bodies in 4xx, never a 5xx."""
import pytest

from tests.auth.e2e_client import AuthClient

pytestmark = pytest.mark.e2e

HUGE = "密" * (1024 * 1024 // 3)
PUBLIC_POSTS = ["/login", "/register/verify", "/register/complete", "/token/refresh", "/logout", "/password/forgot",
                "/password/forgot/send-code", "/password/reset", "/employers/register"]


@pytest.fixture
def auth(suite):
    return AuthClient(suite)


def test_repeated_wrong_passwords_lock_the_account(auth):
    student = auth.new_student()
    statuses = [auth.student_login(student, f"Guess#{i}abc").status_code for i in range(8)]
    assert statuses == [401] * 4 + [429] * 4
    locked = auth.student_login(student)
    assert locked.status_code == 429 and locked.json()["code"] == "account_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    # Another student behind the same address is not affected.
    other = auth.new_student()
    assert auth.student_login(other).status_code == 200


def test_junk_bodies_are_4xx(auth):
    junk = [
        dict(data="not json", headers={"Content-Type": "application/json"}),
        dict(data=b"\xff\xfe\x00garbage", headers={"Content-Type": "application/json"}),
        dict(data="[1,2,3]", headers={"Content-Type": "application/json"}),
        dict(json={"username": 1, "password": [], "school_code": {}, "captcha_code": None}),
        dict(json={"username": HUGE, "password": HUGE, "email": HUGE, "reset_ticket": HUGE, "name": HUGE}),
        dict(json={"username": "' OR 1=1 --", "password": "x'; DROP TABLE users; --", "school_code": "1' OR '1'='1",
                   "student_no": "'; DELETE FROM roster_entries; --", "captcha_id": "x", "captcha_code": "x"}),
        dict(json={"username": "a\u0000b", "password": "p\u0000", "student_no": "\u0000"}),
    ]
    for path in PUBLIC_POSTS:
        for kwargs in junk:
            response = auth.call("POST", path, **kwargs)
            assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
            assert response.json()["code"], (path, response.text[:200])
    injected = auth.login("' OR 1=1 --", "x' OR '1'='1", "10001' OR '1'='1")
    assert injected.status_code in (401, 422)
    assert auth.admin_token()  # accounts are intact
