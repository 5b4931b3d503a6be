"""jobs' own database: positions (with their search text), favorites, applications, interviews, outbox.

Search columns: `search_title`/`search_body` hold the jieba-segmented, lower-cased text of the title and
description (tokens separated by spaces). SQLite indexes them in the FTS5 table `position_fts`
(rowid = position id); PostgreSQL in the generated tsvector column `positions.search_vector` (GIN).
Both are created by the migration, not by the ORM, because they exist on one dialect only.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.db import UTCDateTime, utcnow
from cc_kit.outbox import outbox_model, processed_event_model

_BigId = BigInteger().with_variant(Integer(), "sqlite")

# Position states. "Open for applications" is published AND the deadline not passed (computed).
PENDING_REVIEW, PUBLISHED, REJECTED, CLOSED = "pending_review", "published", "rejected", "closed"
POSITION_STATUSES = (PENDING_REVIEW, PUBLISHED, REJECTED, CLOSED)

DEGREES = ("专科", "本科", "硕士", "博士")
JOB_TYPES = ("full_time", "intern")

# Application states (rules in domain/rules.py).
DELIVERED, VIEWED, INTERVIEW, OFFER, APP_REJECTED, WITHDRAWN = (
    "delivered", "viewed", "interview", "offer", "rejected", "withdrawn")
APPLICATION_STATUSES = (DELIVERED, VIEWED, INTERVIEW, OFFER, APP_REJECTED, WITHDRAWN)

# Interview states.
INVITED, ACCEPTED, DECLINED, CANCELLED = "invited", "accepted", "declined", "cancelled"
INTERVIEW_STATUSES = (INVITED, ACCEPTED, DECLINED, CANCELLED)
INTERVIEW_MODES = ("onsite", "online")


class Base(DeclarativeBase):
    pass


Outbox = outbox_model(Base)
ProcessedEvent = processed_event_model(Base)


class Position(Base):
    """A job posting of one employer (公司 = employer_id of the access token)."""

    __tablename__ = "positions"
    __table_args__ = (
        Index("ix_positions_employer", "employer_id", "created_at"),
        Index("ix_positions_city", "city"),
        Index("ix_positions_industry", "industry"),
        # The migration also adds ix_positions_listing: id plus every filter column (a covering index,
        # INCLUDE columns on PostgreSQL), so search checks filters without reading the wide rows.
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    company_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    city: Mapped[str] = mapped_column(String(50), nullable=False)
    salary_min: Mapped[int] = mapped_column(Integer, nullable=False)
    salary_max: Mapped[int] = mapped_column(Integer, nullable=False)
    degree: Mapped[str] = mapped_column(String(8), nullable=False)
    majors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    headcount: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    job_type: Mapped[str] = mapped_column(String(16), nullable=False)
    industry: Mapped[str] = mapped_column(String(50), nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    search_body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Favorite(Base):
    """A student's bookmark of a position (职位收藏)."""

    __tablename__ = "favorites"
    __table_args__ = (Index("ix_favorites_student", "student_id", "created_at"),)

    student_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Application(Base):
    """One student's application to one position, with the resume frozen as it was delivered.

    The unique constraint (position_id, student_id) is what makes "one application per position"
    hold under concurrent clicks; the domain maps its violation to 409 already_applied.
    """

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("position_id", "student_id", name="uq_applications_position_student"),
        Index("ix_applications_student", "student_id", "created_at"),
        Index("ix_applications_employer", "employer_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), nullable=False)
    employer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    student_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    student_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DELIVERED)
    resume_id: Mapped[int | None] = mapped_column(BigInteger)
    resume_kind: Mapped[str | None] = mapped_column(String(16))
    resume_title: Mapped[str | None] = mapped_column(String(200))
    completeness: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    snapshot: Mapped[dict] = mapped_column(JSON, nullable=False)
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ApplicationHistory(Base):
    """Every status change of an application, so the student sees the timeline."""

    __tablename__ = "application_history"
    __table_args__ = (Index("ix_application_history_app", "application_id", "id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"),
                                                nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Interview(Base):
    """An interview invitation for an application: invited → accepted / declined (or cancelled)."""

    __tablename__ = "interviews"
    __table_args__ = (
        Index("ix_interviews_student", "student_id", "starts_at"),
        Index("ix_interviews_employer", "employer_id", "starts_at"),
        Index("ix_interviews_application", "application_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), nullable=False)
    employer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    student_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The offset the employer wrote, so the invitation reads in the employer's (and school's) local time.
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=480)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    mode: Mapped[str] = mapped_column(String(8), nullable=False)
    location: Mapped[str | None] = mapped_column(String(300))
    room_url: Mapped[str | None] = mapped_column(String(300), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=INVITED)
    answer_note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
