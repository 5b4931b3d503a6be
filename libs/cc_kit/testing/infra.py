"""Real infrastructure for tests: a private RabbitMQ vhost, a fresh PostgreSQL database, signing keys."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..config import JWT_AUDIENCE, JWT_ISSUER

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
RABBIT_HOST = os.environ.get("TEST_RABBIT_HOST", "127.0.0.1:5672")
RABBIT_USER = os.environ.get("TEST_RABBIT_USER", "guest")


def _rabbitmqctl(*args: str) -> None:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    for attempt in range(5):
        result = subprocess.run([exe, "-q", *args], capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            return
        time.sleep(1 + attempt)
    raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")


def create_vhost() -> tuple[str, str]:
    """A private vhost so parallel test runs and `make run` never consume each other's messages."""
    name = f"cct_{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, RABBIT_USER, ".*", ".*", ".*")
    return name, f"amqp://{RABBIT_USER}:{RABBIT_USER}@{RABBIT_HOST}/{name}"


def delete_vhost(name: str) -> None:
    try:
        _rabbitmqctl("delete_vhost", name)
    except Exception:
        pass


def create_pg_database() -> str:
    from sqlalchemy import create_engine, text

    name = f"cct_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class TestKeys:
    """An Ed25519 key and its JWKS file, so a service's tests can mint tokens without auth running."""

    def __init__(self, directory: Path):
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = Ed25519PrivateKey.generate()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        self.jwks_path = Path(directory) / "jwks.json"
        self.jwks_path.write_text(json.dumps({"keys": [jwk]}))
        self.jwks_url = self.jwks_path.as_uri()

    def token(self, user_id: int, role: str, *, ttl: int = 900, **claims) -> str:
        now = datetime.now(timezone.utc)
        payload = {"sub": str(user_id), "role": role, "typ": "access", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE,
                   "iat": now, "exp": now + timedelta(seconds=ttl), **claims}
        return jwt.encode(payload, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, user_id: int, role: str, **claims) -> dict:
        return {"Authorization": f"Bearer {self.token(user_id, role, **claims)}"}
