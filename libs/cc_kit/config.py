"""Configuration from the environment: the table of API.md, with its local defaults in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("auth", "resume", "jobs", "signing", "counseling", "notify")
DEFAULT_PORTS = {
    "gateway": 8000,
    "auth": 8101,
    "resume": 8102,
    "jobs": 8103,
    "signing": 8104,
    "counseling": 8105,
    "notify": 8106,
}
DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"
# The documented development pair; `make run` prints it. Never used when the variables are set.
DEV_ADMIN_EMAIL = "admin@campus.example"
DEV_ADMIN_PASSWORD = "Admin#2026-dev"

JWT_ISSUER = "campus-careers-auth"
JWT_AUDIENCE = "campus-careers"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def service_port(name: str) -> int:
    return int(_env(f"{name.upper()}_PORT", str(DEFAULT_PORTS[name])))


def data_dir() -> Path:
    path = Path(_env("DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def normalize_db_url(url: str) -> str:
    """We ship psycopg2 (cooperative under eventlet); accept the psycopg-3 spelling of API.md too."""
    for prefix in ("postgresql+psycopg://", "postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def database_url(service: str) -> str:
    url = _env(f"{service.upper()}_DATABASE_URL")
    if url:
        return normalize_db_url(url)
    return f"sqlite:///{data_dir() / (service + '.sqlite3')}"


@dataclass(frozen=True)
class Settings:
    """Everything one process of a service reads from its environment."""

    service: str
    database_url: str
    amqp_uri: str
    data_dir: Path
    port: int
    jwks_url: str
    jwt_issuer: str = JWT_ISSUER
    jwt_audience: str = JWT_AUDIENCE
    redis_url: str | None = None
    smtp_url: str | None = None
    sms_webhook_url: str | None = None
    captcha_bypass_code: str | None = None
    max_upload_bytes: int = 10 * 1024 * 1024
    rpc_timeout: float = 10.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str) -> "Settings":
        auth_port = service_port("auth")
        return cls(
            service=service,
            database_url=database_url(service),
            amqp_uri=_env("AMQP_URI", DEFAULT_AMQP_URI),
            data_dir=data_dir(),
            port=service_port(service) if service in DEFAULT_PORTS else 0,
            jwks_url=_env("AUTH_JWKS_URL", f"http://127.0.0.1:{auth_port}/api/v1/auth/jwks.json"),
            redis_url=_env("REDIS_URL"),
            smtp_url=_env("SMTP_URL"),
            sms_webhook_url=_env("SMS_WEBHOOK_URL"),
            captcha_bypass_code=_env("CAPTCHA_BYPASS_CODE"),
            max_upload_bytes=int(_env("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
            rpc_timeout=float(_env("RPC_TIMEOUT", "10")),
        )


def env(name: str, default: str | None = None) -> str | None:
    """A service-specific setting (e.g. JOBS_REQUIRE_APPROVAL); empty counts as unset."""
    return _env(name, default)
