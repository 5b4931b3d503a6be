"""Tables of the resume database: resumes, one owner row per student (holds the default), outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.outbox import outbox_model, processed_event_model, utcnow

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Resume(Base):
    """One resume of one student. `content` holds the sections (see schemas.SectionsSchema)."""

    __tablename__ = "resumes"
    __table_args__ = (Index("ix_resumes_student_id", "student_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    student_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    content: Mapped[dict] = mapped_column(JSON, nullable=False)
    # The uploaded file of an attachment resume; the uploaded name is metadata only.
    attachment_key: Mapped[str | None] = mapped_column(String(200))
    attachment_mime: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once a delivery snapshot referenced the file: an employer may still need it, so it is kept
    # when the student replaces the file or deletes the resume.
    attachment_delivered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ResumeOwner(Base):
    """One row per student who has resumes: the single default resume, and the row every change of a
    student's set of resumes locks first, so concurrent switches, creations and deletions queue."""

    __tablename__ = "resume_owners"

    student_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    default_resume_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("resumes.id", ondelete="SET NULL", name="fk_resume_owners_default"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


Outbox = outbox_model(Base)
ProcessedEvent = processed_event_model(Base)
