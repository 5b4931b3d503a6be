"""auth through the gateway: roster, registration, login, tokens, account settings, employers, staff."""
import io

import jwt
import pytest

from tests.auth.e2e_client import AuthClient, unique_credit_code, unique_student_no

pytestmark = pytest.mark.e2e


@pytest.fixture
def auth(suite):
    return AuthClient(suite)


def test_captcha_and_jwks(auth):
    captcha = auth.get("/captcha")
    assert captcha.status_code == 200
    assert captcha.json()["image"].startswith("data:image/png;base64,") and captcha.json()["captcha_id"]
    wrong = auth.post("/login", {"username": "x@e2e.example", "password": "Whatever#1", "captcha_id":
                                 captcha.json()["captcha_id"], "captcha_code": "WRONG"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_captcha"
    jwks = auth.get("/jwks.json").json()
    token = auth.admin_token()
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="campus-careers",
                        issuer="campus-careers-auth")
    assert claims["role"] == "school_admin" and claims["typ"] == "access" and claims["exp"] - claims["iat"] == 900


def test_roster_import_through_the_gateway(auth):
    admin = auth.admin_token()
    numbers = [unique_student_no() for _ in range(3)]
    rows = [f"10001,{numbers[0]},欧阳修,2026,文学院,汉语言文学,本科,13900000001,oy@e2e.example,男",
            f"10001,{numbers[1]},李清照,2026,文学院,汉语言文学,硕士,,,女",
            f"10001,{numbers[2]},,2026,文学院,汉语言文学,小学,,,女"]
    first = auth.import_roster(rows, admin, encoding="gbk")
    assert first.status_code == 200
    body = first.json()
    assert (body["created"], body["updated"]) == (2, 0)
    assert body["errors"][0]["row"] == 4 and "姓名不能为空" in body["errors"][0]["message"]
    again = auth.import_roster(rows, admin, encoding="utf-8-sig").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert auth.call("POST", "/admin/roster", admin, files={"file": ("x.png", io.BytesIO(b"\x89PNG\r\n\x1a\n0000"),
                                                                     "image/png")}).status_code == 415
    missing = auth.call("POST", "/admin/roster", admin, files={"file": ("x.csv", io.BytesIO("姓名\n张三\n".encode()))})
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_roster"
    assert auth.call("POST", "/admin/roster", files={"file": ("x.csv", io.BytesIO(b"a"))}).status_code == 401
    student = auth.new_student()
    student_token = auth.token(student["student_no"], student["password"], "10001")
    assert auth.import_roster(rows, student_token).status_code == 403


def test_registration_and_login_codes(auth):
    student = auth.new_student(name="王小明", register=False)
    base = {"school_code": "10001", "graduation_year": 2026, "student_no": student["student_no"], "name": "王小明",
            "accept_terms": True, **auth.captcha()}
    not_on_roster = auth.post("/register/verify", {**base, "name": "王大明"})
    assert not_on_roster.status_code == 404 and not_on_roster.json()["code"] == "not_on_roster"
    assert "学号或姓名不存在" in not_on_roster.json()["message"]
    assert auth.post("/register/verify", {**base, "accept_terms": False}).json()["code"] == "terms_not_accepted"
    assert auth.post("/register/verify", {**base, "captcha_code": "nope"}).json()["code"] == "invalid_captcha"
    token = auth.post("/register/verify", base).json()["registration_token"]
    body = {"registration_token": token, "password": "Campus#2026", "phone": "13812345678",
            "email": student["email"]}
    weak = auth.post("/register/complete", {**body, "password": "password"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    assert auth.post("/register/complete", {**body, "phone": "110"}).status_code == 422
    assert auth.post("/register/complete", body).status_code == 201
    again = auth.post("/register/complete", body)
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    assert auth.post("/register/verify", base).json()["code"] == "already_registered"

    login = auth.login(student["student_no"], "Campus#2026", "10001")
    assert login.status_code == 200
    pair = login.json()
    assert pair["role"] == "student" and pair["expires_in"] == 900 and pair["refresh_token"]
    wrong = auth.login(student["student_no"], "Campus#2027", "10001")
    unknown = auth.login(unique_student_no(), "Campus#2027", "10001")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and wrong.json()["code"] == "invalid_credentials"
    me = auth.get("/me", pair["access_token"])
    assert me.status_code == 200 and me.json()["student_no"] == student["student_no"]
    assert me.json()["name"] == "王小明" and me.json()["college"] == "计算机学院"


def test_refresh_rotation_reuse_and_logout(auth):
    student = auth.new_student()
    pair = auth.student_login(student).json()
    rotated = auth.post("/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != pair["refresh_token"]
    reused = auth.post("/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_token_reused"
    assert auth.post("/token/refresh", {"refresh_token": rotated.json()["refresh_token"]}).status_code == 401
    fresh = auth.student_login(student).json()
    assert auth.post("/logout", {"refresh_token": fresh["refresh_token"]}).status_code == 204
    assert auth.post("/token/refresh", {"refresh_token": fresh["refresh_token"]}).status_code == 401


def test_account_settings(auth):
    student = auth.new_student()
    token = auth.student_login(student).json()["access_token"]
    assert auth.get("/me/privacy", token).json() == {"resume_visibility": "applied_only", "show_contact": True}
    put = auth.call("PUT", "/me/privacy", token, json={"resume_visibility": "hidden", "show_contact": False})
    assert put.status_code == 200 and auth.get("/me/privacy", token).json()["resume_visibility"] == "hidden"
    assert auth.call("PUT", "/me/privacy", token, json={"resume_visibility": "all"}).status_code == 422
    assert auth.get("/me/privacy", auth.admin_token()).status_code == 403

    new_mail = "changed." + student["email"]
    patched = auth.call("PATCH", "/me", token, json={"email": new_mail})
    assert patched.status_code == 200 and patched.json()["email"] == student["email"]  # not yet
    code = auth.wait_for_code(new_mail, subject="邮箱变更")
    confirmed = auth.post("/me/verify-contact", {"channel": "email", "code": code}, token)
    assert confirmed.status_code == 200 and confirmed.json()["email"] == new_mail
    assert auth.post("/me/verify-contact", {"channel": "email", "code": code}, token).status_code == 400

    wrong = auth.post("/me/password", {"old_password": "Nope#2026", "new_password": "Next#2026x"}, token)
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_password"
    assert auth.post("/me/password", {"old_password": student["password"], "new_password": "Next#2026x"},
                     token).status_code == 200
    assert auth.student_login(student).status_code == 401
    assert auth.student_login(student, "Next#2026x").status_code == 200


def test_employer_sign_up_and_review(auth):
    code = unique_credit_code()
    mail = f"hr.{code.lower()}@e2e.example"
    body = {"company_name": "长江数据科技有限公司", "credit_code": code, "contact_name": "赵经理", "email": mail,
            "phone": "13900002222", "password": "Hire#2026x"}
    bad = auth.post("/employers/register", {**body, "credit_code": code[:17] + ("0" if code[17] != "0" else "1")})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_credit_code"
    created = auth.post("/employers/register", body)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    employer_id = created.json()["id"]
    duplicate = auth.post("/employers/register", {**body, "email": "other." + mail})
    assert duplicate.status_code == 409
    pending = auth.login(mail, "Hire#2026x")
    assert pending.status_code == 403 and pending.json()["code"] == "employer_not_approved"
    admin = auth.admin_token()
    listed = auth.get("/admin/employers", admin, params={"status": "pending", "page_size": 100})
    assert listed.status_code == 200 and employer_id in [e["id"] for e in listed.json()]
    approved = auth.post(f"/admin/employers/{employer_id}/approve", token=admin)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    pair = auth.login(mail, "Hire#2026x")
    assert pair.status_code == 200 and pair.json()["role"] == "employer"
    claims = jwt.decode(pair.json()["access_token"], options={"verify_signature": False})
    assert claims["employer_id"] == employer_id and claims["org_name"] == "长江数据科技有限公司"
    assert auth.post(f"/admin/employers/{employer_id}/approve", token=pair.json()["access_token"]).status_code == 403

    other = auth.post("/employers/register", {**body, "credit_code": unique_credit_code(),
                                              "email": "reject." + mail}).json()
    rejected = auth.post(f"/admin/employers/{other['id']}/reject", {"reason": "材料不全"}, token=admin)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    refused = auth.login("reject." + mail, "Hire#2026x")
    assert refused.status_code == 403 and "材料不全" in refused.json()["message"]


def test_staff_accounts(auth):
    admin = auth.admin_token()
    mail = f"cs.{unique_student_no()}@e2e.example"
    created = auth.post("/admin/users", {"role": "college_admin", "email": mail, "name": "计院老师",
                                         "password": "College#2026", "college": "计算机学院"}, admin)
    assert created.status_code == 201
    assert auth.post("/admin/users", {"role": "counselor", "email": mail, "name": "重复"}, admin).status_code == 409
    college = auth.token(mail, "College#2026")
    claims = jwt.decode(college, options={"verify_signature": False})
    assert (claims["role"], claims["college"], claims["school_code"]) == ("college_admin", "计算机学院", "10001")
    assert auth.post("/admin/users", {"role": "counselor", "email": "x" + mail, "name": "x"}, college).status_code \
        == 403
