"""Junk requests get a 4xx with a code, never a 5xx: not JSON, wrong types, huge strings, injection, NUL."""
import pytest

from ..conftest import BYPASS, ROSTER_CSV

JSON_POSTS = ["/register/verify", "/register/complete", "/login", "/token/refresh", "/logout", "/password/forgot",
              "/password/forgot/send-code", "/password/reset", "/employers/register"]
HUGE = "张" * (1024 * 1024 // 3)
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE users; --", "\" OR 1=1 --", "admin@campus.example'--",
              "%' UNION SELECT password_hash FROM users --"]


@pytest.fixture
def api(make_api, db_url):
    api = make_api(db_url)
    api.import_roster(ROSTER_CSV.encode())
    api.register()
    return api


def _assert_4xx(response, path):
    assert 400 <= response.status_code < 500, (path, response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["code"], path


def test_junk_bodies(api):
    for path in JSON_POSTS:
        for raw, content_type in (("not json", "application/json"), ("{\"a\": ", "application/json"),
                                  ("", "application/json"), ("username=x", "application/x-www-form-urlencoded"),
                                  ("[1, 2]", "application/json"), ("123", "application/json"),
                                  ("null", "application/json")):
            response = api.client.post("/api/v1/auth" + path, data=raw, content_type=content_type)
            _assert_4xx(response, path)
    invalid = api.client.post("/api/v1/auth/login", data="not json", content_type="application/json")
    assert invalid.status_code == 400 and invalid.get_json()["code"] == "invalid_json"


def test_wrong_types_and_huge_strings(api):
    bodies = [
        {"username": 123, "password": True, "captcha_id": [], "captcha_code": {}},
        {"username": {"$ne": None}, "password": {"$gt": ""}},
        {"username": HUGE, "password": HUGE, "captcha_id": HUGE, "captcha_code": BYPASS},
        {"school_code": HUGE, "graduation_year": "二〇二六", "student_no": HUGE, "name": HUGE, "accept_terms": "maybe"},
        {"registration_token": HUGE, "password": HUGE, "phone": HUGE, "email": HUGE},
        {"reset_ticket": HUGE, "email": HUGE, "code": HUGE, "new_password": HUGE},
        {"company_name": HUGE, "credit_code": 91440300, "contact_name": None, "email": 1, "phone": [], "password": 1},
        {"graduation_year": 10 ** 30, "accept_terms": True, "school_code": "10001", "student_no": "1", "name": "x"},
        {"username": "2022010101\x00", "password": "Campus#2026", "school_code": "10001\x00",
         "captcha_id": "x", "captcha_code": BYPASS},
    ]
    for path in JSON_POSTS:
        for body in bodies:
            _assert_4xx(api.post(path, body), path)


def test_injection_strings_are_just_strings(api):
    for text in INJECTIONS:
        login = api.post("/login", {"username": text, "password": text, "school_code": text, "captcha_id": text,
                                    "captcha_code": BYPASS})
        assert login.status_code in (401, 422), login.get_json()
        verify = api.post("/register/verify", {"school_code": text[:20], "graduation_year": 2026,
                                               "student_no": text[:32], "name": text[:64], "captcha_id": "x",
                                               "captcha_code": BYPASS, "accept_terms": True})
        assert verify.status_code == 404 and verify.get_json()["code"] == "not_on_roster"
        forgot = api.post("/password/forgot", {"school_code": text[:20], "student_no": text[:32],
                                               "captcha_id": "x", "captcha_code": BYPASS})
        assert forgot.status_code == 404
    admin = api.admin_token()
    listed = api.get("/admin/employers?q=' OR 1=1 --&status=pending", token=admin)
    assert listed.status_code == 200 and listed.get_json() == []
    assert api.login("2022010101", "Campus#2026", "10001")["role"] == "student"  # the table is still there


def test_bad_tokens_and_paths(api):
    for header in ("Bearer", "Bearer ", "Bearer x.y.z", "Basic abc", "Bearer " + "a" * 5000):
        response = api.client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert response.status_code == 401, header
    admin = api.admin_token()
    assert api.post("/admin/employers/abc/approve", token=admin).status_code == 404
    assert api.post("/admin/employers/99999999999999999999/approve", token=admin).status_code == 404
    assert api.client.delete("/api/v1/auth/login").status_code == 405
    roster = api.client.post("/api/v1/auth/admin/roster", headers={"Authorization": f"Bearer {admin}"},
                             data="not multipart", content_type="text/plain")
    _assert_4xx(roster, "/admin/roster")
