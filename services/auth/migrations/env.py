"""Alembic environment of the auth database: the shared body from cc_kit with auth's metadata."""
from cc_kit.migrations import run_env
from services.auth.models import Base

run_env(Base.metadata)
