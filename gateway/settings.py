"""The gateway's configuration from the environment, with every default in one place."""
from __future__ import annotations

from dataclasses import dataclass, field

from cc_kit.config import DEFAULT_PORTS, JWT_AUDIENCE, JWT_ISSUER, env, service_port

DEFAULT_SERVICES = "auth,resume,jobs,notify"


@dataclass(frozen=True)
class Upstream:
    """One service api the gateway forwards `/api/v1/<name>/…` to."""

    name: str
    url: str  # scheme://host:port, no path: the gateway never rewrites paths

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].rstrip("/")


def upstream_url(name: str) -> str:
    """`<SERVICE>_URL` when set (containers, k8s), else localhost on `<SERVICE>_PORT`."""
    override = env(f"{name.upper()}_URL")
    if override:
        return override.rstrip("/")
    host = env("GATEWAY_UPSTREAM_HOST", "127.0.0.1")
    port = service_port(name) if name in DEFAULT_PORTS else int(env(f"{name.upper()}_PORT", "0"))
    return f"http://{host}:{port}"


def _limit(name: str, default: str) -> str:
    return env(name, default)


@dataclass(frozen=True)
class GatewaySettings:
    port: int
    upstreams: dict[str, Upstream]
    jwks_url: str
    jwt_issuer: str = JWT_ISSUER
    jwt_audience: str = JWT_AUDIENCE
    connect_timeout: float = 3.0
    read_timeout: float = 30.0
    health_timeout: float = 2.0
    max_body_bytes: int = 12 * 1024 * 1024
    pool_size: int = 16
    redis_url: str | None = None
    trusted_proxies: int = 0
    access_log: bool = False
    limits: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "GatewaySettings":
        names = [n.strip() for n in (env("GATEWAY_SERVICES", DEFAULT_SERVICES) or "").split(",") if n.strip()]
        upstreams = {name: Upstream(name, upstream_url(name)) for name in dict.fromkeys(names)}
        auth_url = upstream_url("auth")
        return cls(
            port=service_port("gateway"),
            upstreams=upstreams,
            jwks_url=env("AUTH_JWKS_URL", f"{auth_url}/api/v1/auth/jwks.json"),
            connect_timeout=float(env("GATEWAY_CONNECT_TIMEOUT", "3")),
            read_timeout=float(env("GATEWAY_UPSTREAM_TIMEOUT", "30")),
            health_timeout=float(env("GATEWAY_HEALTH_TIMEOUT", "2")),
            max_body_bytes=int(env("GATEWAY_MAX_BODY_BYTES", str(12 * 1024 * 1024))),
            pool_size=int(env("GATEWAY_POOL_SIZE", "16")),
            redis_url=env("REDIS_URL"),
            trusted_proxies=int(env("GATEWAY_TRUSTED_PROXIES", "0")),
            access_log=env("GATEWAY_ACCESS_LOG", "0") not in ("0", "false", "no"),
            limits={
                # Hundreds of students behind one campus NAT: per-IP limits only stop floods.
                "ip": _limit("GATEWAY_IP_LIMIT", "30000/minute"),
                "auth_ip": _limit("GATEWAY_AUTH_IP_LIMIT", "3000/minute"),
                # Per account: a handful of failures, then 429 (auth adds its own lockout behind it).
                "login_account": _limit("GATEWAY_LOGIN_ACCOUNT_LIMIT", "10/minute;50/hour"),
                "register_account": _limit("GATEWAY_REGISTER_ACCOUNT_LIMIT", "10/minute;50/hour"),
                "reset_account": _limit("GATEWAY_RESET_ACCOUNT_LIMIT", "5/minute;20/hour"),
                "reset_code": _limit("GATEWAY_RESET_CODE_LIMIT", "3/minute;10/hour"),
                "reset_submit": _limit("GATEWAY_RESET_SUBMIT_LIMIT", "10/minute;30/hour"),
            },
        )
