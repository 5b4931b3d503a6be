"""Runs the gateway under gunicorn: `python -m gateway.serve` on GATEWAY_PORT.

gthread workers (measured in bench/gateway.py): the work per request is a little CPU (Flask, token
check) and a wait on the upstream, so a few processes with many threads each keep both cores busy
while requests wait; keep-alive both towards clients and towards the services (pooled per worker).
"""
from __future__ import annotations

import os

from cc_kit.config import env
from cc_kit.logs import setup_logging
from cc_kit.serve import _App

from .settings import GatewaySettings


def gunicorn_options(port: int) -> dict:
    workers = int(env("GATEWAY_WORKERS", env("WEB_CONCURRENCY", "2")))
    threads = int(env("GATEWAY_THREADS", "16"))
    return {
        "bind": f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{port}",
        "workers": workers,
        "worker_class": env("GATEWAY_WORKER_CLASS", "gthread"),
        "threads": threads,
        "worker_connections": int(env("GATEWAY_WORKER_CONNECTIONS", "1000")),
        "backlog": 2048,
        "timeout": 120,  # uploads and PDF exports pass through; the upstream read timeout is the real bound
        "graceful_timeout": 20,
        "keepalive": 75,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


def main() -> None:
    setup_logging("gateway")
    settings = GatewaySettings.from_env()
    _App("gateway.app:create_app", gunicorn_options(settings.port)).run()


if __name__ == "__main__":
    main()
