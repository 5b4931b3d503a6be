"""Alembic environment of the resume database: the shared body from cc_kit with resume's metadata."""
from cc_kit.migrations import run_env
from services.resume.models import Base

run_env(Base.metadata)
