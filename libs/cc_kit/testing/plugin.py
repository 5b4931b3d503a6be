"""pytest plugin: eventlet first (nameko's fixtures hang without it), then the shared fixtures."""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402

import pytest  # noqa: E402

from .infra import TestKeys, create_pg_database, create_vhost, delete_vhost, drop_pg_database  # noqa: E402


@pytest.fixture(scope="session")
def cc_rabbit_vhost():
    """(vhost name, AMQP URI) of a private vhost on the machine's RabbitMQ, deleted at the end.

    nameko's own pytest plugin defines `amqp_uri`/`rabbit_config` (needing the management API);
    tests/conftest.py overrides those names with this vhost, since conftest fixtures beat plugins.
    """
    name, uri = create_vhost()
    yield name, uri
    delete_vhost(name)


@pytest.fixture(scope="session")
def test_keys(tmp_path_factory):
    return TestKeys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    (tmp_path / "var").mkdir()
    return tmp_path / "var"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def service_env(monkeypatch, data_dir, amqp_uri, test_keys):
    """Environment for building a service's app or worker in-process against real infrastructure."""
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    monkeypatch.setenv("AUTH_JWKS_URL", test_keys.jwks_url)
    monkeypatch.setenv("CAPTCHA_BYPASS_CODE", "pass-1234")
    return os.environ
