"""Migration 0001 builds exactly the tables the models describe, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.notify.models import Base


def test_migrations_match_the_models(notify_db):
    with notify_db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    tables = set(inspect(notify_db.engine).get_table_names())
    assert {"notifications", "preferences", "push_quotas", "outbox", "processed_events"} <= tables
