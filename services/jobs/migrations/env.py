"""Alembic environment of jobs' own database."""
from cc_kit.migrations import run_env

from services.jobs.models import Base

run_env(Base.metadata)
