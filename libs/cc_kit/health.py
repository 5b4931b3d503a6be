"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: its database and broker answer)."""
from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

from flask import Flask, jsonify

_BROKER_CACHE_SECONDS = 2.0


def broker_reachable(amqp_uri: str, timeout: float = 1.0) -> bool:
    """A TCP connect to the broker: cheap enough for a probe, and what a dead broker fails."""
    parsed = urlparse(amqp_uri)
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout=timeout):
            return True
    except OSError:
        return False


def register_health(app: Flask, *, database=None, amqp_uri: str | None = None) -> None:
    state = {"checked": 0.0, "broker": False}

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=app.name)

    @app.get("/readyz")
    def readyz():
        checks = {}
        if database is not None:
            try:
                database.ping()
                checks["database"] = "ok"
            except Exception as exc:  # readiness reports, it does not raise
                checks["database"] = f"error: {type(exc).__name__}"
        if amqp_uri:
            now = time.monotonic()
            if now - state["checked"] > _BROKER_CACHE_SECONDS:
                state["broker"], state["checked"] = broker_reachable(amqp_uri), now
            checks["broker"] = "ok" if state["broker"] else "error: unreachable"
        ready = all(v == "ok" for v in checks.values())
        response = jsonify(status="ready" if ready else "not_ready", service=app.name, checks=checks)
        response.status_code = 200 if ready else 503
        return response
