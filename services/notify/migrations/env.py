"""Alembic environment of notify's own database."""
from cc_kit.migrations import run_env
from services.notify.models import Base

run_env(Base.metadata)
