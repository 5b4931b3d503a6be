"""Migration 0001 goes up, down and up again on both databases and matches the models."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cc_kit.db import make_engine
from cc_kit.migrations import alembic_config
from services.auth.models import Base

from ..conftest import MIGRATIONS

TABLES = {"users", "roster_entries", "employers", "refresh_tokens", "password_reset_tickets", "contact_verifications",
          "captchas", "privacy_settings", "outbox", "processed_events", "alembic_version"}


def test_upgrade_downgrade_upgrade(db_url, data_dir):
    config = alembic_config(MIGRATIONS, db_url)
    command.upgrade(config, "head")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Only type spelling may differ (UTCDateTime is DateTime(timezone=True) underneath).
    assert [d for d in diff if d[0] not in ("modify_type",)] == []
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()
