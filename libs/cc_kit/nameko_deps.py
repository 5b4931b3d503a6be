"""nameko dependency providers the services share: each hands the worker a small object, not a raw client."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from .config import Settings
from .db import Database
from .storage import LocalStorage


class DatabaseProvider(DependencyProvider):
    """The service's own `Database` (read()/write() sessions), one engine per worker process."""

    def __init__(self, service: str):
        self.service = service
        self.db: Database | None = None

    def setup(self):
        self.db = Database(Settings.from_env(self.service).database_url)

    def stop(self):
        if self.db is not None:
            self.db.dispose()

    def get_dependency(self, worker_ctx):
        return self.db


class SettingsProvider(DependencyProvider):
    """The service's `Settings`, read from the environment once."""

    def __init__(self, service: str):
        self.service = service
        self.settings: Settings | None = None

    def setup(self):
        self.settings = Settings.from_env(self.service)

    def get_dependency(self, worker_ctx):
        return self.settings


class StorageProvider(DependencyProvider):
    """File storage under DATA_DIR."""

    def __init__(self, service: str):
        self.service = service

    def setup(self):
        self.storage = LocalStorage(Settings.from_env(self.service).data_dir)

    def get_dependency(self, worker_ctx):
        return self.storage
