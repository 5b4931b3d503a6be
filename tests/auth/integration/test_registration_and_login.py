"""Roster import → two-step registration → login, through the api on SQLite and PostgreSQL."""
import io

import pytest
from openpyxl import Workbook

from services.auth.domain.captcha import issue_captcha

from ..conftest import ADMIN_EMAIL, BYPASS, ROSTER_CSV, outbox_rows


@pytest.fixture
def api(make_api, db_url):
    return make_api(db_url)


def test_roster_import_is_an_idempotent_upsert(api):
    token = api.admin_token()
    first = api.import_roster(ROSTER_CSV.encode("gbk"), token=token)
    assert first.status_code == 200
    assert first.get_json() == {"created": 5, "updated": 0, "unchanged": 0, "total_rows": 5, "errors": []}
    again = api.import_roster(ROSTER_CSV.encode("utf-8-sig"), token=token)
    assert again.get_json() == {"created": 0, "updated": 0, "unchanged": 5, "total_rows": 5, "errors": []}
    changed = ROSTER_CSV.replace("软件工程,本科,13900000002", "数据科学,本科,13900000002") + \
        "10001,2022030101,新同学,2026,外语学院,英语,本科,,,男\n10001,2022030102,,2026,外语学院,英语,大学,,,男\n"
    third = api.import_roster(changed.encode(), token=token).get_json()
    assert (third["created"], third["updated"], third["unchanged"]) == (1, 1, 4)
    assert third["errors"] == [{"row": 8, "student_no": "2022030102", "message": third["errors"][0]["message"]}]
    assert "姓名不能为空" in third["errors"][0]["message"] and "学历无效" in third["errors"][0]["message"]
    imported = [env for key, env in outbox_rows(api.db, "roster_imported")]
    assert [(e["data"]["created"], e["data"]["updated"]) for e in imported] == [(5, 0), (1, 1)]


def test_roster_xlsx_upload_and_its_errors(api):
    book = Workbook()
    book.active.append(["学号", "姓名", "毕业年份", "学院", "专业", "学历"])
    book.active.append([2022010101, "张伟", 2026, "计算机学院", "软件工程", "本科"])
    buffer = io.BytesIO()
    book.save(buffer)
    token = api.admin_token()
    response = api.import_roster(buffer.getvalue(), filename="名单.xlsx", token=token)
    assert response.status_code == 200 and response.get_json()["created"] == 1
    assert api.import_roster(b"\x89PNG\r\n\x1a\nxxxx", "r.csv", token=token).status_code == 415
    bad = api.import_roster("姓名,学院\n张伟,计算机学院\n".encode(), token=token)
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_roster"
    missing = api.client.post("/api/v1/auth/admin/roster", headers={"Authorization": f"Bearer {token}"}, data={},
                              content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["code"] == "file_required"


def test_roster_import_needs_a_school_admin(api):
    api.import_roster(ROSTER_CSV.encode())
    api.register()
    student = api.login("2022010101", "Campus#2026", "10001")["access_token"]
    assert api.import_roster(ROSTER_CSV.encode(), token=student).status_code == 403
    anonymous = api.client.post("/api/v1/auth/admin/roster", data={"file": (io.BytesIO(b"x"), "r.csv")},
                                content_type="multipart/form-data")
    assert anonymous.status_code == 401


def test_registration_rules(api):
    api.import_roster(ROSTER_CSV.encode())
    base = {"school_code": "10001", "graduation_year": 2026, "student_no": "2022010101", "name": "张伟",
            "captcha_id": "any", "captcha_code": BYPASS, "accept_terms": True}
    for changes in ({"student_no": "2099999999"}, {"name": "张三"}, {"graduation_year": 2025},
                    {"school_code": "10002"}):
        response = api.post("/register/verify", {**base, **changes})
        body = response.get_json()
        assert response.status_code == 404 and body["code"] == "not_on_roster"
        assert body["message"].startswith("学号或姓名不存在")
    terms = api.post("/register/verify", {**base, "accept_terms": False})
    assert terms.status_code == 422 and terms.get_json()["code"] == "terms_not_accepted"
    wrong_captcha = api.post("/register/verify", {**base, "captcha_code": "nope"})
    assert wrong_captcha.status_code == 400 and wrong_captcha.get_json()["code"] == "invalid_captcha"
    token = api.post("/register/verify", base).get_json()["registration_token"]
    complete = {"registration_token": token, "password": "Campus#2026", "phone": "13812345678",
                "email": "zw@mail.example"}
    for field, value in (("phone", "12345"), ("email", "not-an-email")):
        response = api.post("/register/complete", {**complete, field: value})
        assert response.status_code == 422 and field in response.get_json()["errors"]
    weak = api.post("/register/complete", {**complete, "password": "12345678"})
    assert weak.status_code == 422 and weak.get_json()["code"] == "weak_password"
    bogus = api.post("/register/complete", {**complete, "registration_token": "x.y.z"})
    assert bogus.status_code == 400 and bogus.get_json()["code"] == "invalid_registration_token"
    created = api.post("/register/complete", {**complete, "phone": "+86 138-1234-5678"})
    assert created.status_code == 201
    assert created.get_json()["student_no"] == "2022010101" and created.get_json()["role"] == "student"
    again = api.post("/register/complete", complete)
    assert again.status_code == 409 and again.get_json()["code"] == "already_registered"
    verify_again = api.post("/register/verify", base)
    assert verify_again.status_code == 409 and verify_again.get_json()["code"] == "already_registered"
    other = api.post("/register/verify", {**base, "student_no": "2022010102", "name": "王芳"}).get_json()
    taken = api.post("/register/complete", {**complete, "registration_token": other["registration_token"],
                                            "email": "ZW@mail.example"})
    assert taken.status_code == 409 and taken.get_json()["code"] == "email_taken"
    registered = [env["data"] for key, env in outbox_rows(api.db, "student_registered")]
    assert registered == [{**registered[0], "student_no": "2022010101", "college": "计算机学院", "degree": "本科",
                           "graduation_year": 2026, "name": "张伟"}]
    welcome = [env["data"] for key, env in outbox_rows(api.db, "send")
               if env["data"]["template"] == "registration_welcome"]
    assert welcome[0]["params"] == {"name": "张伟"} and welcome[0]["email"] == "zw@mail.example"


def test_real_captcha_round_trip(api):
    api.import_roster(ROSTER_CSV.encode())
    issued = api.get("/captcha")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    assert issued.get_json()["image"].startswith("data:image/png;base64,")
    with api.db.write() as session:
        captcha_id, _, _ = issue_captcha(session, 300, answer="HK7MN")
    body = {"school_code": "10001", "graduation_year": 2026, "student_no": "2022010101", "name": "张伟",
            "captcha_id": captcha_id, "captcha_code": "hk7mn", "accept_terms": True}
    assert api.post("/register/verify", body).status_code == 200
    assert api.post("/register/verify", body).get_json()["code"] == "invalid_captcha"  # one try only


def test_login_responses(api):
    api.import_roster(ROSTER_CSV.encode())
    api.register()
    pair = api.login("2022010101", "Campus#2026", "10001")
    assert pair["role"] == "student" and pair["expires_in"] == 900 and pair["token_type"] == "Bearer"
    wrong = api.post("/login", {"username": "2022010101", "school_code": "10001", "password": "Wrong#2026",
                                "captcha_id": "x", "captcha_code": BYPASS})
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "invalid_credentials"
    no_captcha = api.post("/login", {"username": "2022010101", "school_code": "10001", "password": "Campus#2026"})
    assert no_captcha.status_code == 400 and no_captcha.get_json()["code"] == "invalid_captcha"
    admin = api.login(ADMIN_EMAIL.upper(), "Admin#Test-2026")
    assert admin["role"] == "school_admin"


def test_lockout_is_429_with_retry_after_never_5xx(api):
    api.import_roster(ROSTER_CSV.encode())
    api.register()
    statuses = []
    for _ in range(8):
        response = api.post("/login", {"username": "2022010101", "school_code": "10001", "password": "Wrong#2026",
                                       "captcha_id": "x", "captcha_code": BYPASS})
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 401, 429, 429, 429, 429]
    assert 1 <= int(response.headers["Retry-After"]) <= 60 and response.get_json()["code"] == "account_locked"
    right = api.post("/login", {"username": "2022010101", "school_code": "10001", "password": "Campus#2026",
                                "captcha_id": "x", "captcha_code": BYPASS})
    assert right.status_code == 429


def test_refresh_rotation_and_logout(api):
    api.import_roster(ROSTER_CSV.encode())
    api.register()
    pair = api.login("2022010101", "Campus#2026", "10001")
    rotated = api.post("/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    reused = api.post("/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401 and reused.get_json()["code"] == "refresh_token_reused"
    family_dead = api.post("/token/refresh", {"refresh_token": rotated.get_json()["refresh_token"]})
    assert family_dead.status_code == 401
    second = api.login("2022010101", "Campus#2026", "10001")
    assert api.post("/logout", {"refresh_token": second["refresh_token"]}).status_code == 204
    assert api.post("/logout", {"refresh_token": "unknown"}).status_code == 204
    assert api.post("/token/refresh", {"refresh_token": second["refresh_token"]}).status_code == 401
    assert api.post("/token/refresh", {}).status_code == 422


def test_jwks_verifies_issued_tokens(api):
    import jwt

    jwks = api.get("/jwks.json")
    assert jwks.status_code == 200 and "max-age" in jwks.headers["Cache-Control"]
    token = api.admin_token()
    keys = jwt.PyJWKSet.from_dict(jwks.get_json())
    key = next(k for k in keys.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="campus-careers", issuer="campus-careers-auth")
    assert claims["role"] == "school_admin" and claims["school_code"] == "10001"
