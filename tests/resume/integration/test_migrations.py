"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL, and go back down."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cc_kit.migrations import alembic_config, upgrade
from services.resume.models import Base
from tests.resume.conftest import MIGRATIONS


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_downgrade_to_base_and_up_again(db, resume_db_url):
    upgrade(MIGRATIONS, resume_db_url)  # a second upgrade is a no-op
    command.downgrade(alembic_config(MIGRATIONS, resume_db_url), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(MIGRATIONS, resume_db_url)
    assert {"resumes", "resume_owners", "outbox", "processed_events"} <= set(inspect(db.engine).get_table_names())
