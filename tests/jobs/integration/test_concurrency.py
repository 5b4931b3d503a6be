"""Races against the real api process (gunicorn, 2 worker processes × 16 threads) on SQLite and PostgreSQL.

Concurrent clicks are sent at once; resume answers them after a pause, so every request passes the
cheap "already applied?" check before any of them inserts: only the unique constraint stands between
them and a second application.
"""
from collections import Counter

import eventlet
import pytest
import requests
from sqlalchemy import func, select

from services.jobs.models import Application, Favorite

from .conftest import ApiProcess, position_body
from .resume_double import snapshot_answer

CLICKS = 12


@pytest.fixture
def jobs_api(jobs_db, tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("WEB_THREADS", "16")  # one worker alone can hold every click
    api = ApiProcess("jobs", {}, tmp_path / "jobs-api.log").start()
    yield api
    api.stop()


def burst(method: str, url: str, headers: dict, n: int = CLICKS) -> list[requests.Response]:
    """n identical requests, each on its own connection, sent together."""
    def one(_):
        with requests.Session() as session:
            return session.request(method, url, headers=headers, timeout=60)

    return list(eventlet.GreenPool(n).imap(one, range(n)))


def test_concurrent_clicks_make_one_application_and_one_bookmark(jobs_api, jobs_db, resume, actors):
    # one api start per database: both races run against the same process
    created = requests.post(jobs_api.url + "/api/v1/jobs/positions", json=position_body(),
                            headers=actors.employer(7), timeout=30)
    assert created.status_code == 201, created.text
    position_id = created.json()["id"]
    resume.answer(20, snapshot_answer(80))
    resume.delay = 0.5

    responses = burst("POST", f"{jobs_api.url}/api/v1/jobs/positions/{position_id}/applications", actors.student(20))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: CLICKS - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_applied"}
    assert resume.calls[20] == CLICKS  # all of them got past the pre-check and raced at the insert
    with jobs_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1

    responses = burst("PUT", f"{jobs_api.url}/api/v1/jobs/favorites/{position_id}", actors.student(21))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    with jobs_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Favorite)) == 1
