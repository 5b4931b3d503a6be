"""Fixtures of the auth tests: a migrated database, auth's config and keys, an in-process api client."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.migrations import upgrade
from services.auth.config import AuthConfig
from services.auth.domain.keys import KeyRing
from services.auth.models import Outbox

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "auth" / "migrations"
BYPASS = "pass-1234"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@test.example", "Admin#Test-2026"

ROSTER_CSV = (
    "学校代码,学号,姓名,毕业年份,学院,专业,学历,手机,邮箱,性别\n"
    "10001,2022010101,张伟,2026,计算机学院,软件工程,本科,13900000001,zw@roster.example,男\n"
    "10001,2022010102,王芳,2026,计算机学院,软件工程,本科,13900000002,wf@roster.example,女\n"
    "10001,2022010103,李娜,2026,计算机学院,人工智能,硕士,13900000003,ln@roster.example,女\n"
    "10001,2022020101,刘洋,2025,经济管理学院,金融学,本科,13900000004,ly@roster.example,男\n"
    "10001,2022020102,陈静,2026,经济管理学院,会计学,专科,,,女\n"
)


def migrated(url: str) -> Database:
    upgrade(MIGRATIONS, url)
    return Database(url)


@pytest.fixture
def sqlite_db(tmp_path, data_dir):
    """A migrated SQLite database of auth (domain-rule tests; integration tests use `db_url`)."""
    db = migrated(f"sqlite:///{tmp_path / 'auth.sqlite3'}")
    yield db
    db.dispose()


@pytest.fixture
def config(tmp_path):
    return AuthConfig(keys_dir=tmp_path / "keys", captcha_bypass_code=BYPASS, bootstrap_admin_email=ADMIN_EMAIL,
                      bootstrap_admin_password=ADMIN_PASSWORD)


@pytest.fixture
def keyring(config):
    return KeyRing.load(config.keys_dir)


def outbox_rows(db: Database, routing_key: str | None = None) -> list:
    """(routing_key, envelope) of every outbox row, oldest first (events and notify commands)."""
    with db.read() as session:
        query = select(Outbox.routing_key, Outbox.envelope).order_by(Outbox.seq)
        if routing_key:
            query = query.where(Outbox.routing_key == routing_key)
        return session.execute(query).all()


def last_code(db: Database, template: str = "password_reset_code") -> str:
    """The one-time code as notify would receive it (it exists in clear only in the notify command)."""
    commands = [row for row in outbox_rows(db, "send") if row.envelope["data"]["template"] == template]
    data = commands[-1].envelope["data"]
    if template == "generic":
        import re

        return re.search(r"\b(\d{6})\b", data["params"]["text"]).group(1)
    return data["params"]["code"]


@pytest.fixture
def api_env(monkeypatch, service_env, tmp_path):
    monkeypatch.setenv("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CAPTCHA_BYPASS_CODE", BYPASS)
    return service_env


class Api:
    """A Flask test client with the calls every auth test needs."""

    prefix = "/api/v1/auth"

    def __init__(self, app, db: Database):
        self.app = app
        self.client = app.test_client()
        self.db = db

    def post(self, path, json=None, token=None, **kwargs):
        return self.client.post(self.prefix + path, json=json, headers=self._headers(token), **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.client.get(self.prefix + path, headers=self._headers(token), **kwargs)

    def put(self, path, json=None, token=None):
        return self.client.put(self.prefix + path, json=json, headers=self._headers(token))

    def patch(self, path, json=None, token=None):
        return self.client.patch(self.prefix + path, json=json, headers=self._headers(token))

    @staticmethod
    def _headers(token):
        return {"Authorization": f"Bearer {token}"} if token else {}

    def login(self, username, password, school_code=None, expect=200):
        body = {"username": username, "password": password, "captcha_id": "any", "captcha_code": BYPASS}
        if school_code:
            body["school_code"] = school_code
        response = self.post("/login", body)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def admin_token(self):
        return self.login(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]

    def import_roster(self, content: bytes, filename="roster.csv", token=None):
        return self.client.post(self.prefix + "/admin/roster", headers=self._headers(token or self.admin_token()),
                                data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")

    def register(self, student_no="2022010101", name="张伟", password="Campus#2026", email=None, phone="13812345678",
                 school_code="10001", graduation_year=2026):
        verify = self.post("/register/verify", {
            "school_code": school_code, "graduation_year": graduation_year, "student_no": student_no, "name": name,
            "captcha_id": "any", "captcha_code": BYPASS, "accept_terms": True})
        assert verify.status_code == 200, verify.get_json()
        done = self.post("/register/complete", {
            "registration_token": verify.get_json()["registration_token"], "password": password, "phone": phone,
            "email": email or f"s{student_no}@mail.example"})
        assert done.status_code == 201, done.get_json()
        return done.get_json()


@pytest.fixture
def make_api(api_env, monkeypatch):
    """Build the auth api in-process on a database URL (migrated first, as cc_kit.serve does)."""
    from services.auth.http import create_app

    built = []

    def factory(url: str) -> Api:
        monkeypatch.setenv("AUTH_DATABASE_URL", url)
        db = migrated(url)
        app = create_app(Settings.from_env("auth"))
        built.append((app, db))
        return Api(app, db)

    yield factory
    for app, db in built:
        app.extensions["cc_db"].dispose()
        db.dispose()
