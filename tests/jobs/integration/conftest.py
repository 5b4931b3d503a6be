"""jobs integration fixtures: the api in-process on a fresh SQLite / PostgreSQL database, tokens, the resume double."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from nameko.runners import ServiceRunner

from cc_kit.db import Database
from cc_kit.migrations import upgrade
from cc_kit.rpc import RpcClient
from cc_kit.testing.infra import create_vhost, delete_vhost
from cc_kit.testing.suite import free_port
from services.jobs.config import JobsSettings
from services.jobs.http import create_app

from .resume_double import ResumeDouble

REPO = Path(__file__).resolve().parents[3]
MIGRATIONS = REPO / "services" / "jobs" / "migrations"


def far_deadline() -> str:
    return (date.today() + timedelta(days=60)).isoformat()


def position_body(**overrides) -> dict:
    body = {
        "title": "高级Python开发工程师",
        "description": "负责后端服务的设计与开发，熟悉 Django、PostgreSQL 与消息队列。",
        "city": "上海",
        "salary_min": 15000,
        "salary_max": 30000,
        "degree": "本科",
        "majors": ["计算机科学与技术", "软件工程"],
        "headcount": 3,
        "job_type": "full_time",
        "industry": "互联网",
        "deadline": far_deadline(),
    }
    body.update(overrides)
    return body


class Actors:
    """Bearer headers for the people of a test (tokens signed with the test JWKS key)."""

    def __init__(self, keys):
        self.keys = keys

    def employer(self, employer_id: int = 7, user_id: int | None = None, org_name: str = "杭州云帆科技有限公司"):
        return self.keys.headers(user_id or 1000 + employer_id, "employer", employer_id=employer_id,
                                 org_name=org_name, name="招聘专员")

    def student(self, user_id: int = 20, name: str = "张三"):
        return self.keys.headers(user_id, "student", name=name, school_code="10001", student_no=f"2022{user_id:04d}",
                                 college="计算机学院")

    def admin(self, user_id: int = 1):
        return self.keys.headers(user_id, "school_admin", name="就业中心", school_code="10001")


@pytest.fixture
def actors(test_keys):
    return Actors(test_keys)


@pytest.fixture(scope="session")
def rpc_client(amqp_uri):
    """One RPC client for every app of the session, as one api process has one."""
    return RpcClient(amqp_uri, timeout=10)


@pytest.fixture(scope="session")
def amqp_uri():
    """jobs' integration tests get a vhost of their own: the session-long resume double below must not
    answer the RPC calls of the resume service's own tests, which run later in the same session."""
    name, uri = create_vhost()
    yield uri
    delete_vhost(name)


@pytest.fixture(scope="session")
def resume_double(amqp_uri):
    """The resume test double (see resume_double.py) serving RPC on the session's private vhost."""
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "serializer": "json"})
    runner.add_service(ResumeDouble)
    runner.start()
    yield ResumeDouble
    runner.stop()


@pytest.fixture
def resume(resume_double):
    resume_double.reset()
    yield resume_double
    resume_double.reset()


@pytest.fixture
def jobs_db(service_env, db_url, monkeypatch):
    """The migrated jobs database of this test (SQLite or PostgreSQL)."""
    monkeypatch.setenv("JOBS_DATABASE_URL", db_url)
    upgrade(MIGRATIONS, db_url)
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def make_client(jobs_db, rpc_client):
    """make_client(**JobsSettings overrides) → a Flask test client of a jobs api on this test's database."""

    def factory(**settings):
        app = create_app(jobs_settings=JobsSettings(**settings), database=jobs_db, rpc=rpc_client)
        return app.test_client()

    return factory


@pytest.fixture
def client(make_client):
    return make_client()


def outbox_events(database: Database, routing_key: str | None = None) -> list[dict]:
    from sqlalchemy import select

    from services.jobs.models import Outbox

    with database.read() as session:
        stmt = select(Outbox).order_by(Outbox.seq)
        if routing_key:
            stmt = stmt.where(Outbox.routing_key == routing_key)
        return [{"exchange": o.exchange, "routing_key": o.routing_key, "envelope": o.envelope}
                for o in session.scalars(stmt)]


class ApiProcess:
    """A real api process (`python -m cc_kit.serve <svc>`: gunicorn, gthread workers) on a free port."""

    def __init__(self, service: str, env: dict, log_path: Path):
        self.service = service
        self.port = free_port()
        self.env = {**os.environ, **env, f"{service.upper()}_PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "ApiProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "cc_kit.serve", self.service], cwd=REPO, env=self.env,
                                     stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} api exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.service} api did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])
