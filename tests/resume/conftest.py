"""Fixtures of the resume tests: a migrated database of each kind, the api app, student tokens."""
from __future__ import annotations

from pathlib import Path

import pytest

import services.resume
from cc_kit.db import Database
from cc_kit.migrations import upgrade

MIGRATIONS = Path(services.resume.__file__).parent / "migrations"


@pytest.fixture
def resume_db_url(db_url, data_dir):
    """A fresh SQLite or PostgreSQL database (see `db_url`) with the resume schema."""
    upgrade(MIGRATIONS, db_url)
    return db_url


@pytest.fixture
def db(resume_db_url):
    database = Database(resume_db_url)
    yield database
    database.dispose()


@pytest.fixture
def app(service_env, resume_db_url, monkeypatch):
    monkeypatch.setenv("RESUME_DATABASE_URL", resume_db_url)
    from services.resume.http import create_app

    application = create_app()
    yield application
    application.extensions["resume"].db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def student(test_keys):
    """Authorization headers of student `user_id`, as auth would mint them."""

    def headers(user_id: int) -> dict:
        return test_keys.headers(user_id, "student", school_code="10003", student_no=f"2022{user_id:05d}",
                                 college="计算机学院", name=f"学生{user_id}")

    return headers
