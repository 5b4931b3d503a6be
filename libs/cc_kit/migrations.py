"""Alembic per service: `upgrade(service_dir, url)` at start, and the shared body of every env.py."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from .config import data_dir, normalize_db_url
from .db import make_engine


def alembic_config(migrations_dir: Path | str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", normalize_db_url(url).replace("%", "%%"))
    return cfg


@contextlib.contextmanager
def _migration_lock(url: str):
    """api and worker of a service start together; only one of them may migrate at a time."""
    url = normalize_db_url(url)
    if url.startswith("postgresql"):
        engine = make_engine(url)
        key = int(hashlib.sha1(url.encode()).hexdigest()[:15], 16)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        engine.dispose()
    else:
        lock_path = data_dir() / ("migrate-" + hashlib.sha1(url.encode()).hexdigest()[:12] + ".lock")
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def upgrade(migrations_dir: Path | str, url: str, revision: str = "head") -> None:
    with _migration_lock(url):
        command.upgrade(alembic_config(migrations_dir, url), revision)


def run_env(target_metadata) -> None:
    """The whole body of a service's migrations/env.py: online migrations on the configured URL."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
