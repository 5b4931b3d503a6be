"""Demo data for `make run`: `python -m scripts.seed_demo --gateway http://127.0.0.1:8000`.

Waits for the gateway's /api/v1/health, then seeds (idempotently: safe to run twice) a small Chinese
roster of school 10001 (20 students, 2 colleges), one registered student, one approved employer, one
college_admin and one counselor, and prints the logins.

Logging in and registering need a captcha. With CAPTCHA_BYPASS_CODE set (automation), everything goes
through the public API like a user would. Without it (`make run` never sets it), the same steps run
directly against the auth database with `services.auth.demo.seed_demo` — what
`python -m services.auth.cli seed-demo` does — using the same environment as the suite
(DATA_DIR, AUTH_DATABASE_URL).
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time

import requests

from cc_kit.config import env
from services.auth.config import AuthConfig
from services.auth.demo import DEMO_EMPLOYER, DEMO_STAFF, DEMO_STUDENT, demo_logins, roster_csv

AUTH = "/api/v1/auth"


def wait_for_gateway(gateway: str, timeout: float = 120) -> bool:
    """True once /api/v1/health says ok; False if it did not within the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(gateway + "/api/v1/health", timeout=3).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(1)
    return False


class _Api:
    def __init__(self, gateway: str, bypass: str):
        self.base = gateway + AUTH
        self.bypass = bypass
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, expect: tuple[int, ...], **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path} → {response.status_code}: {response.text[:300]}")
        return response

    def captcha(self) -> dict:
        return {"captcha_id": "seed", "captcha_code": self.bypass}


def seed_over_http(gateway: str, bypass: str, config: AuthConfig) -> None:
    api = _Api(gateway, bypass)
    login = api.call("POST", "/login", (200,), json={"username": config.bootstrap_admin_email,
                                                      "password": config.bootstrap_admin_password, **api.captcha()})
    api.token = login.json()["access_token"]
    imported = api.call("POST", "/admin/roster", (200,),
                        files={"file": ("demo-roster.csv", io.BytesIO(roster_csv().encode()), "text/csv")}).json()
    print(f"roster: {imported['created']} created, {imported['updated']} updated, {imported['unchanged']} unchanged")
    verify = api.call("POST", "/register/verify", (200, 409), json={
        "school_code": DEMO_STUDENT["school_code"], "graduation_year": DEMO_STUDENT["graduation_year"],
        "student_no": DEMO_STUDENT["student_no"], "name": DEMO_STUDENT["name"], "accept_terms": True,
        **api.captcha()})
    if verify.status_code == 200:
        api.call("POST", "/register/complete", (201, 409), json={
            "registration_token": verify.json()["registration_token"], "password": DEMO_STUDENT["password"],
            "phone": DEMO_STUDENT["phone"], "email": DEMO_STUDENT["email"]})
    api.call("POST", "/employers/register", (201, 409), json=DEMO_EMPLOYER)
    found = api.call("GET", "/admin/employers", (200,), params={"q": DEMO_EMPLOYER["credit_code"]}).json()
    employer_id = next(e["id"] for e in found if e["credit_code"] == DEMO_EMPLOYER["credit_code"])
    api.call("POST", f"/admin/employers/{employer_id}/approve", (200,))
    for item in DEMO_STAFF:
        body = {k: v for k, v in item.items() if v is not None}
        api.call("POST", "/admin/users", (201, 409), json=body)


def seed_directly(config: AuthConfig) -> None:
    from cc_kit.config import Settings
    from services.auth.cli import _database
    from services.auth.demo import seed_demo

    summary = seed_demo(_database(Settings.from_env("auth")), config)
    roster = summary["roster"]
    print(f"roster: {roster['created']} created, {roster['updated']} updated, {roster['unchanged']} unchanged "
          "(seeded directly in the auth database: CAPTCHA_BYPASS_CODE is not set)")


DEMO_POSITIONS = [
    {"title": "高级Python开发工程师", "description": "负责校园招聘平台后端服务的设计与开发，熟悉 Flask、PostgreSQL 与消息队列。",
     "city": "深圳", "salary_min": 15000, "salary_max": 25000, "degree": "本科", "majors": ["软件工程", "计算机科学与技术"],
     "headcount": 3, "job_type": "full_time", "industry": "互联网"},
    {"title": "前端开发实习生", "description": "参与 Web 门户开发，使用 TypeScript 与 React。Frontend internship.",
     "city": "深圳", "salary_min": 4000, "salary_max": 6000, "degree": "本科", "majors": ["软件工程"],
     "headcount": 2, "job_type": "intern", "industry": "互联网"},
    {"title": "数据分析师", "description": "负责招聘与就业数据的统计分析，熟练使用 SQL 与 Python。",
     "city": "广州", "salary_min": 10000, "salary_max": 16000, "degree": "硕士", "majors": ["统计学"],
     "headcount": 1, "job_type": "full_time", "industry": "互联网"},
]

DEMO_RESUME = {
    "kind": "zh", "title": "张伟的中文简历",
    "basic_info": {"name": "张伟", "gender": "male", "birth_date": "2004-05-01", "phone": "13800000001",
                   "email": "zhangwei@stu.campus.example", "city": "深圳"},
    "education": [{"school": "示范大学", "major": "软件工程", "degree": "本科", "start": "2022-09", "end": "2026-06"}],
    "internships": [{"company": "某互联网公司", "position": "后端开发实习生", "start": "2025-07", "end": "2025-09",
                     "description": "参与订单服务开发与测试"}],
    "projects": [{"name": "校园二手交易平台", "role": "后端负责人", "description": "Flask + PostgreSQL，支持搜索与消息通知"}],
    "skills": ["Python", "SQL", "Linux"], "certificates": ["CET-6"], "awards": ["校级一等奖学金"],
    "self_evaluation": "热爱编程，做事踏实，善于沟通。",
    "job_intention": {"cities": ["深圳", "广州"], "industries": ["互联网"], "position_types": ["后端开发"],
                      "salary_min": 12000, "salary_max": 20000},
}


def operator_tokens() -> dict[str, str]:
    """Access tokens for the demo employer and student, minted with auth's own key and database — what an
    operator on this machine can do anyway; it spares the demo a captcha that only a person can read."""
    from sqlalchemy import select

    from cc_kit.config import Settings
    from services.auth.cli import _database
    from services.auth.domain.keys import KeyRing
    from services.auth.domain.tokens import access_claims, load_identity
    from services.auth.models import RosterEntry, User

    config = AuthConfig.from_env()
    db = _database(Settings.from_env("auth"))
    keyring = KeyRing.load(config.keys_dir, config.signing_key_pem)
    with db.read() as session:
        employer = session.scalar(select(User).where(User.email == DEMO_EMPLOYER["email"]))
        student = session.scalar(select(User).join(RosterEntry, User.roster_entry_id == RosterEntry.id)
                                 .where(RosterEntry.student_no == DEMO_STUDENT["student_no"]))
        tokens = {role: keyring.encode(access_claims(load_identity(session, user), 900))
                  for role, user in (("employer", employer), ("student", student))}
    db.dispose()
    return tokens


def seed_job_center(gateway: str, tokens: dict[str, str]) -> None:
    """Three positions of the demo employer and a complete default resume of the demo student (once)."""
    http = requests.Session()

    def call(method, path, role, expect=(200, 201), **kwargs):
        response = http.request(method, gateway + path, timeout=30,
                                headers={"Authorization": f"Bearer {tokens[role]}"}, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path} → {response.status_code}: {response.text[:300]}")
        return response.json()

    mine = call("GET", "/api/v1/jobs/employer/positions", "employer")
    titles = {p["title"] for p in (mine if isinstance(mine, list) else mine.get("items", []))}
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 60 * 86400))
    created = 0
    for position in DEMO_POSITIONS:
        if position["title"] not in titles:
            call("POST", "/api/v1/jobs/positions", "employer", json={**position, "deadline": deadline})
            created += 1
    if not call("GET", "/api/v1/resume/resumes", "student"):
        call("POST", "/api/v1/resume/resumes", "student", json=DEMO_RESUME)
    print(f"job center: {created} demo positions posted, the demo student has a default resume")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{env('GATEWAY_PORT', '8000')}")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    gateway = args.gateway.rstrip("/")
    config = AuthConfig.from_env()
    if not wait_for_gateway(gateway, args.timeout):
        print(f"the gateway at {gateway} did not report healthy within {args.timeout:.0f}s", file=sys.stderr)
        try:
            requests.get(gateway + AUTH + "/jwks.json", timeout=5).raise_for_status()
        except requests.RequestException:
            return 1
        print("auth answers through the gateway: seeding anyway", file=sys.stderr)
    bypass = env("CAPTCHA_BYPASS_CODE")
    if bypass:
        seed_over_http(gateway, bypass, config)
    else:
        seed_directly(config)
    try:
        seed_job_center(gateway, operator_tokens())
    except (RuntimeError, requests.RequestException) as exc:  # accounts are what the demo needs most
        print(f"job center demo data skipped: {exc}", file=sys.stderr)
    print()
    print(f"Campus Careers is running: {gateway}  (API docs: {gateway}/api/docs)")
    print("Demo logins (captcha: GET /api/v1/auth/captcha):")
    for login in demo_logins(config):
        where = f" + school_code {login['school_code']}" if login.get("school_code") else ""
        print(f"  {login['role']:<14} {login['username']}{where}  /  {login['password']}")
    print(json.dumps({"gateway": gateway, "logins": demo_logins(config)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
