"""Runs one nameko service class as a worker process: `python -m cc_kit.worker services.auth.service:AuthService`.

Migrations of the service run first (under the shared migration lock), so a worker can start
before or after its api.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402 — must precede every other import (nameko's requirement)

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from .config import Settings  # noqa: E402
from .logs import setup_logging  # noqa: E402

log = logging.getLogger("cc_kit.worker")


def nameko_config(amqp_uri: str, **extra) -> dict:
    config = {
        "AMQP_URI": amqp_uri,
        "serializer": "json",
        "max_workers": 10,
        "parent_calls_tracked": 10,
        "HEARTBEAT": 30,
    }
    config.update(extra)
    return config


def load_service(target: str):
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return module, getattr(module, attr)


def run_migrations_for(module) -> None:
    from .migrations import upgrade

    package = importlib.import_module(module.__name__.rsplit(".", 1)[0])
    migrations = Path(package.__file__).parent / "migrations"
    service = package.__name__.rsplit(".", 1)[-1]
    if migrations.is_dir():
        upgrade(migrations, Settings.from_env(service).database_url)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Run a nameko service class")
    parser.add_argument("target", help="module:Class")
    parser.add_argument("--max-workers", type=int, default=10)
    args = parser.parse_args(argv)
    module, cls = load_service(args.target)
    setup_logging(f"{cls.name}-worker")
    run_migrations_for(module)
    settings = Settings.from_env(cls.name) if cls.name in ("auth", "resume", "jobs", "signing", "counseling",
                                                            "notify") else None
    amqp_uri = settings.amqp_uri if settings else Settings.from_env("auth").amqp_uri
    from .nameko_patches import apply as apply_nameko_patches

    apply_nameko_patches()  # a broker restart must not kill the service container (see the module)
    runner = ServiceRunner(nameko_config(amqp_uri, max_workers=args.max_workers))
    runner.add_service(cls)
    stopping = eventlet.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.ready() or stopping.send(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.ready() or stopping.send(True))
    runner.start()
    log.info("worker %s started", cls.name)
    stopping.wait()
    log.info("worker %s stopping", cls.name)
    runner.stop()


if __name__ == "__main__":
    main()
