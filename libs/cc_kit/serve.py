"""Runs one service's api under gunicorn: `python -m cc_kit.serve auth` (migrations first).

gthread workers: gunicorn ≥ 26 has no eventlet worker, and the apis are plain blocking Flask.
"""
from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from .config import Settings, service_port
from .logs import setup_logging
from .migrations import upgrade


class _App(BaseApplication):
    def __init__(self, factory: str, options: dict):
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        module_name, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module_name), attr)()


def gunicorn_options(port: int, *, workers: int | None = None, threads: int | None = None) -> dict:
    return {
        "bind": f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{port}",
        "workers": workers or int(os.environ.get("WEB_CONCURRENCY", "2")),
        "worker_class": "gthread",
        "threads": threads or int(os.environ.get("WEB_THREADS", "8")),
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 75,  # longer than the gateway pool's idle time, so reused connections are not cut
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Serve a service api with gunicorn")
    parser.add_argument("service")
    args = parser.parse_args(argv)
    setup_logging(f"{args.service}-api")
    settings = Settings.from_env(args.service)
    package = importlib.import_module(f"services.{args.service}")
    migrations = Path(package.__file__).parent / "migrations"
    if migrations.is_dir():
        upgrade(migrations, settings.database_url)
    _App(f"services.{args.service}.http:create_app", gunicorn_options(service_port(args.service))).run()


if __name__ == "__main__":
    main()
