"""Cross-service: jobs asks the REAL resume worker over RabbitMQ (resume api + worker run as processes).

The student builds the resume through resume's own HTTP API (API.md contract); jobs' one-click
application then gets the answer from `resume.get_delivery_snapshot` over nameko RPC. The jobs worker's
own RPC (`jobs.get_position`) is checked on the same private vhost.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from nameko.exceptions import UnknownService
from nameko.runners import ServiceRunner

from cc_kit.migrations import upgrade
from cc_kit.rpc import RpcClient, RpcUnavailable
from cc_kit.testing.infra import create_vhost, delete_vhost
from services.jobs.config import JobsSettings
from services.jobs.http import create_app
from services.jobs.service import JobsService

from .conftest import MIGRATIONS, REPO, ApiProcess, Actors, position_body

API = "/api/v1/jobs"

BASIC = {"name": "李四", "gender": "male", "birth_date": "2003-05-01", "phone": "13800138001",
         "email": "lisi@example.edu.cn", "city": "上海"}
EDUCATION = [{"school": "示例大学", "major": "软件工程", "degree": "本科", "start": "2022-09", "end": "2026-06"}]
INTERNSHIPS = [{"company": "云帆科技", "position": "后端开发实习生", "start": "2025-07", "end": "2025-09",
                "description": "参与订单服务的开发与测试"}]
PROJECTS = [{"name": "校园二手交易平台", "role": "后端负责人", "description": "Flask + PostgreSQL"}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, test_keys):
    """A private vhost with the real resume worker and resume api (SQLite), torn down afterwards."""
    workdir = tmp_path_factory.mktemp("resume-stack")
    vhost, amqp_uri = create_vhost()
    env = {**os.environ, "AMQP_URI": amqp_uri, "AUTH_JWKS_URL": test_keys.jwks_url, "DATA_DIR": str(workdir / "var"),
           "RESUME_DATABASE_URL": f"sqlite:///{workdir / 'resume.sqlite3'}", "PYTHONUNBUFFERED": "1",
           "WEB_CONCURRENCY": "1"}
    (workdir / "var").mkdir()
    worker = subprocess.Popen([sys.executable, "-m", "cc_kit.worker", "services.resume.service:ResumeService"],
                              cwd=REPO, env=env, stdout=open(workdir / "resume-worker.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    api = ApiProcess("resume", env, workdir / "resume-api.log")
    rpc = RpcClient(amqp_uri, timeout=5)
    try:
        api.start()
        deadline = time.monotonic() + 60
        while True:  # the worker is ready when it answers
            try:
                rpc.call("resume", "get_delivery_snapshot", student_id=1)
                break
            except (RpcUnavailable, UnknownService):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise RuntimeError((workdir / "resume-worker.log").read_text(errors="replace")[-3000:])
                time.sleep(0.5)
        yield {"amqp_uri": amqp_uri, "resume_url": api.url, "rpc": rpc, "workdir": workdir}
    finally:
        api.stop()
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        delete_vhost(vhost)


@pytest.fixture
def jobs_client(stack, tmp_path, monkeypatch, test_keys):
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    monkeypatch.setenv("AUTH_JWKS_URL", test_keys.jwks_url)
    monkeypatch.setenv("AMQP_URI", stack["amqp_uri"])
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JOBS_DATABASE_URL", url)
    upgrade(MIGRATIONS, url)
    return create_app(jobs_settings=JobsSettings(), rpc=stack["rpc"]).test_client()


def test_application_uses_the_real_default_resume(stack, jobs_client, test_keys):
    actors = Actors(test_keys)
    student, employer = actors.student(31, name="李四"), actors.employer(7)
    resumes = stack["resume_url"] + "/api/v1/resume/resumes"
    client = jobs_client
    pid = client.post(f"{API}/positions", json=position_body(), headers=employer).json["id"]

    response = client.post(f"{API}/positions/{pid}/applications", headers=student)
    assert response.status_code == 422
    assert response.json["code"] == "resume_incomplete" and "default_resume" in response.json["missing"]

    created = requests.post(resumes, json={"kind": "zh", "title": "李四的简历"}, headers=student, timeout=30)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    response = requests.patch(f"{resumes}/{rid}", json={"basic_info": BASIC, "education": EDUCATION},
                              headers=student, timeout=30)
    assert response.status_code == 200, response.text
    assert requests.post(f"{resumes}/{rid}/default", headers=student, timeout=30).status_code == 200

    response = client.post(f"{API}/positions/{pid}/applications", headers=student)
    assert response.status_code == 422, response.json  # basic info 20 + education 20 = 40 %
    assert response.json["code"] == "resume_incomplete"
    assert response.json["completeness"] < 60
    assert {"internships", "projects"} <= set(response.json["missing"])

    response = requests.patch(f"{resumes}/{rid}", json={"internships": INTERNSHIPS, "projects": PROJECTS},
                              headers=student, timeout=30)
    assert response.json()["completeness"] >= 60
    response = client.post(f"{API}/positions/{pid}/applications", headers=student)
    assert response.status_code == 201, response.json
    app_id = response.json["id"]
    assert response.json["resume_id"] == rid

    # edited after delivery: the employer still reads the resume as it was delivered
    requests.patch(f"{resumes}/{rid}", json={"basic_info": {**BASIC, "name": "李四（已改名）"}, "projects": []},
                   headers=student, timeout=30)
    delivered = client.get(f"{API}/applications/{app_id}/resume", headers=employer).json
    assert delivered["snapshot"]["basic_info"]["name"] == "李四"
    assert delivered["snapshot"]["projects"][0]["name"] == "校园二手交易平台"
    assert delivered["status"] == "viewed"


def test_jobs_worker_answers_get_position(stack, jobs_client, test_keys, monkeypatch):
    pid = jobs_client.post(f"{API}/positions", json=position_body(title="测试开发工程师"),
                           headers=Actors(test_keys).employer(7)).json["id"]
    runner = ServiceRunner({"AMQP_URI": stack["amqp_uri"], "serializer": "json"})
    runner.add_service(JobsService)
    runner.start()
    try:
        answer = stack["rpc"].call("jobs", "get_position", position_id=pid)
        assert answer["title"] == "测试开发工程师" and answer["accepting_applications"] is True
        assert stack["rpc"].call("jobs", "get_position", position_id=pid + 100) is None
    finally:
        runner.stop()
