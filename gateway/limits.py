"""Rate limits (Flask-Limiter over the `limits` library): generous per client IP, strict per account on
the auth routes that guess passwords or send codes. Redis storage when REDIS_URL is set (shared by
every worker and replica), else memory (per worker process)."""
from __future__ import annotations

import json
import logging
import math
import threading
import time

from flask import Flask, g, jsonify, request
from flask_limiter import Limiter, RequestLimit
from limits import parse_many
from limits.storage import MemoryStorage

from cc_kit.errors import envelope

from .settings import GatewaySettings

log = logging.getLogger("gateway.limits")

RATE_LIMITED_MESSAGE = "请求过于频繁，请稍后再试 (too many requests)"


class SweepingMemoryStorage(MemoryStorage):
    """limits' memory storage, sweeping expired keys every few seconds instead of starting a new timer
    thread every 10 ms under load (measured: ~100 thread starts a second, a quarter of the gateway's
    CPU). Expiry stays exact: keys are checked when read; the sweep only frees memory."""

    STORAGE_SCHEME = ["gateway-memory"]
    SWEEP_SECONDS = 5.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the name-mangled private method
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def client_ip(environ: dict | None = None) -> str:
    # ProxyFix (GATEWAY_TRUSTED_PROXIES) has already put the real client into REMOTE_ADDR.
    if environ is None:
        environ = request.environ
    return environ.get("REMOTE_ADDR") or "unknown"


def json_body() -> dict:
    """The request's JSON object, read once and kept on `g` so the proxy forwards the same bytes."""
    if "body" not in g:
        g.body = request.get_data(cache=True)
        try:
            parsed = json.loads(g.body) if g.body else None
        except ValueError:
            parsed = None
        g.json_body = parsed if isinstance(parsed, dict) else {}
    return g.json_body


def account_key(*fields: str):
    """Key by the account named in the body (e.g. school_code + username), as a person would type it."""

    def key() -> str:
        data = json_body()
        parts = [str(data.get(name) or "").strip().lower() for name in fields]
        if not any(parts):
            return "account:?"  # malformed bodies share one bucket; auth refuses them anyway
        return "account:" + "|".join(parts)

    key.__name__ = "account_key_" + "_".join(fields)
    return key


def failed(response) -> bool:
    """Only refused attempts count against an account: a student who logs in fine is never limited."""
    return 400 <= response.status_code < 500


def rate_limited_body(retry_after: int) -> dict:
    return envelope(429, "rate_limited", RATE_LIMITED_MESSAGE, retry_after=retry_after)


def too_many_requests(limit: RequestLimit):
    retry_after = max(1, math.ceil(limit.window[0] - time.time()))  # reset_at adds a second of its own
    response = jsonify(rate_limited_body(retry_after))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def create_limiter(app: Flask, settings: GatewaySettings) -> Limiter:
    return Limiter(
        client_ip,
        app=app,
        application_limits=[settings.limits["ip"]],
        storage_uri=settings.redis_url or "gateway-memory://",
        storage_options={"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if settings.redis_url else {},
        strategy="fixed-window",
        key_prefix="gateway",
        headers_enabled=False,  # they cost a second storage round trip per request; 429s carry Retry-After
        swallow_errors=True,  # Redis down must not take the gateway down …
        in_memory_fallback_enabled=True,  # … it falls back to per-worker memory instead
        on_breach=too_many_requests,
    )


class IpLimit:
    """The per-IP limit of the proxied routes, checked with the Flask-Limiter instance's own strategy
    and storage (so Redis is shared the same way) without a Flask request context."""

    def __init__(self, limiter: Limiter, limit: str):
        self.limiter = limiter
        self.items = parse_many(limit)
        self._warned = 0.0

    def check(self, ip: str) -> int | None:
        """None when allowed, else the seconds until the window resets (the Retry-After)."""
        try:
            strategy = self.limiter.limiter
            for item in self.items:
                if not strategy.hit(item, "gateway-ip", ip):
                    reset_at, _remaining = strategy.get_window_stats(item, "gateway-ip", ip)
                    return max(1, math.ceil(reset_at - time.time()))
        except Exception:  # storage down: fail open, as Flask-Limiter's swallow_errors does
            now = time.monotonic()
            if now - self._warned > 60:
                self._warned = now
                log.exception("rate-limit storage unavailable; per-IP limit not enforced")
        return None


# (method, path, account fields or None, only failures count, settings.limits key)
AUTH_ROUTES = (
    ("GET", "/api/v1/auth/captcha", None, False, None),
    ("POST", "/api/v1/auth/login", ("school_code", "username"), True, "login_account"),
    ("POST", "/api/v1/auth/register/verify", ("school_code", "student_no"), True, "register_account"),
    ("POST", "/api/v1/auth/password/forgot", ("school_code", "student_no"), False, "reset_account"),
    ("POST", "/api/v1/auth/password/forgot/send-code", ("reset_ticket",), False, "reset_code"),
    ("POST", "/api/v1/auth/password/reset", ("reset_ticket",), True, "reset_submit"),
)


def limited_auth_view(limiter: Limiter, settings: GatewaySettings, view, path: str, fields,
                      failures_only: bool, limit_name: str | None):
    """A distinct view function per route (Flask-Limiter keys decorated limits by function name)."""

    def auth_route():
        if fields:
            json_body()  # before forwarding, so the key functions and the proxy see the same body
        return view()

    auth_route.__name__ = "auth_" + path.rsplit("/api/v1/auth/", 1)[1].replace("/", "_").replace("-", "_")
    decorated = limiter.shared_limit(settings.limits["auth_ip"], scope="auth-ip", key_func=client_ip)(auth_route)
    if fields:
        decorated = limiter.limit(settings.limits[limit_name], key_func=account_key(*fields),
                                  deduct_when=failed if failures_only else None,
                                  scope=limit_name)(decorated)
    return decorated
