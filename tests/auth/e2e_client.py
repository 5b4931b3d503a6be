"""A small client of the auth API through the gateway, for tests/e2e/test_auth_*.py."""
from __future__ import annotations

import email
import email.policy
import io
import random
import re
import time
import uuid
from pathlib import Path

import requests

from services.auth.domain.credit_code import ALPHABET, check_character

PREFIX = "/api/v1/auth"
ROSTER_HEADER = "学校代码,学号,姓名,毕业年份,学院,专业,学历,手机,邮箱,性别\n"


def unique_student_no() -> str:
    return str(random.randint(3_000_000_000, 9_999_999_999))


def unique_credit_code() -> str:
    body = "91440300MA" + "".join(random.choice(ALPHABET) for _ in range(7))
    return body + check_character(body)


class AuthClient:
    """requests against the gateway, with the captcha bypass of the suite and the e2e admin."""

    def __init__(self, suite):
        self.suite = suite
        self.base = suite.url + PREFIX
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def post(self, path, json=None, token=None, **kwargs):
        return self.call("POST", path, token, json=json, **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def captcha(self) -> dict:
        return {"captcha_id": "e2e", "captcha_code": self.suite.captcha_bypass}

    def login(self, username: str, password: str, school_code: str | None = None) -> requests.Response:
        body = {"username": username, "password": password, **self.captcha()}
        if school_code:
            body["school_code"] = school_code
        return self.post("/login", body)

    def token(self, username: str, password: str, school_code: str | None = None) -> str:
        response = self.login(username, password, school_code)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def admin_token(self) -> str:
        return self.token(self.suite.admin_email, self.suite.admin_password)

    def import_roster(self, rows: list[str], token: str | None = None, encoding="utf-8",
                      filename="名单.csv") -> requests.Response:
        content = (ROSTER_HEADER + "\n".join(rows) + "\n").encode(encoding)
        return self.call("POST", "/admin/roster", token or self.admin_token(),
                         files={"file": (filename, io.BytesIO(content), "text/csv")})

    def new_student(self, name="测试学生", college="计算机学院", major="软件工程", password="Campus#2026",
                    register=True, phone="13812345678") -> dict:
        """A fresh roster entry (unique 学号), registered unless told otherwise."""
        student_no = unique_student_no()
        mail = f"s{student_no}.{uuid.uuid4().hex[:6]}@e2e.example"
        response = self.import_roster([f"10001,{student_no},{name},2026,{college},{major},本科,13900000000,,男"])
        assert response.status_code == 200 and response.json()["errors"] == [], response.text
        student = {"student_no": student_no, "name": name, "email": mail, "password": password,
                   "school_code": "10001", "phone": phone}
        if register:
            verify = self.post("/register/verify", {"school_code": "10001", "graduation_year": 2026,
                                                    "student_no": student_no, "name": name, "accept_terms": True,
                                                    **self.captcha()})
            assert verify.status_code == 200, verify.text
            done = self.post("/register/complete", {"registration_token": verify.json()["registration_token"],
                                                    "password": password, "phone": phone, "email": mail})
            assert done.status_code == 201, done.text
            student["user_id"] = done.json()["user_id"]
        return student

    def new_employer(self, company_name: str, password="Employer#2026-e2e", approve=True) -> dict:
        """A company account with a valid 统一社会信用代码, approved by the school unless told otherwise."""
        tag = uuid.uuid4().hex[:8]
        company = {"company_name": company_name, "credit_code": unique_credit_code(), "contact_name": "王经理",
                   "email": f"hr.{tag}@company.e2e.example", "phone": "13712345678", "password": password}
        registered = self.post("/employers/register", company)
        assert registered.status_code == 201 and registered.json()["status"] == "pending", registered.text
        company["id"] = registered.json()["id"]
        if approve:
            approved = self.post(f"/admin/employers/{company['id']}/approve", token=self.admin_token())
            assert approved.status_code == 200, approved.text
        return company

    def student_login(self, student: dict, password: str | None = None) -> requests.Response:
        return self.login(student["student_no"], password or student["password"], "10001")

    # --- the suite's mail sink (notify writes DATA_DIR/outbox/mail/*.eml when SMTP_URL is unset) ----------
    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        folder = Path(self.suite.data_dir) / "outbox" / "mail"
        found = []
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address.lower() in str(message["To"]).lower():
                found.append(message)
        return found

    def wait_for_code(self, address: str, subject: str = "验证码", after: int = 0, timeout: float = 60) -> str:
        """The 6-digit code in the (after+1)-th mail to this address whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = [m for m in self.mails_to(address) if subject in str(m["Subject"])]
            if len(mails) > after:
                body = mails[after].get_body(preferencelist=("plain", "html")).get_content()
                match = re.search(r"(?<!\d)(\d{6})(?!\d)", body)
                assert match, body
                return match.group(1)
            time.sleep(0.3)
        raise AssertionError(f"no mail to {address} in {timeout}s (is notify-worker running?)")
