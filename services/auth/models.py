"""SQLAlchemy models of the auth database: roster, users, employers, tokens, codes, captchas, privacy."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.db import UTCDateTime, utcnow
from cc_kit.outbox import outbox_model, processed_event_model

# Roles of API.md.
STUDENT, EMPLOYER, COLLEGE_ADMIN, SCHOOL_ADMIN, COUNSELOR = (
    "student", "employer", "college_admin", "school_admin", "counselor")
STAFF_ROLES = (COLLEGE_ADMIN, SCHOOL_ADMIN, COUNSELOR)
DEGREES = ("专科", "本科", "硕士", "博士")
ACTIVE, DISABLED = "active", "disabled"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
VISIBILITIES = ("public", "applied_only", "hidden")


class Base(DeclarativeBase):
    pass


Outbox = outbox_model(Base)
ProcessedEvent = processed_event_model(Base)


class RosterEntry(Base):
    """A student of the school's roster (学生名单); registration is only possible for these."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("school_code", "student_no", name="uq_roster_school_student"),
        Index("ix_roster_school_college", "school_code", "college"),
        Index("ix_roster_graduation_year", "graduation_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_code: Mapped[str] = mapped_column(String(20), nullable=False)
    student_no: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    graduation_year: Mapped[int] = mapped_column(Integer, nullable=False)
    college: Mapped[str] = mapped_column(String(100), nullable=False)
    major: Mapped[str] = mapped_column(String(100), nullable=False)
    degree: Mapped[str] = mapped_column(String(8), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    id_number: Mapped[str | None] = mapped_column(String(18))
    gender: Mapped[str | None] = mapped_column(String(4))
    imported_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Employer(Base):
    """A company account (用人单位); it may recruit once the school approved it."""

    __tablename__ = "employers"
    __table_args__ = (Index("ix_employers_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    contact_name: Mapped[str] = mapped_column(String(64), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class User(Base):
    """A login. Students point at their roster entry (one account per entry), employers at their company."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_role", "role", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    # Stored lower-cased: addresses are compared case-insensitively and must be unique (login, recovery).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ACTIVE)
    roster_entry_id: Mapped[int | None] = mapped_column(ForeignKey("roster_entries.id"), unique=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), unique=True)
    school_code: Mapped[str | None] = mapped_column(String(20))
    college: Mapped[str | None] = mapped_column(String(100))
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class RefreshToken(Base):
    """An opaque refresh token, stored as its SHA-256. One family per login; each refresh rotates it."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_family", "family_id"), Index("ix_refresh_user", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    family_id: Mapped[str] = mapped_column(String(36), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class PasswordResetTicket(Base):
    """One password-recovery attempt: ticket → email check → emailed code → new password."""

    __tablename__ = "password_reset_tickets"
    __table_args__ = (Index("ix_reset_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    ticket_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    email_mismatches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_sends: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactVerification(Base):
    """A pending change of phone or email, applied once the code sent to the new address is confirmed."""

    __tablename__ = "contact_verifications"
    __table_args__ = (Index("ix_contact_user_channel", "user_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)  # email | phone
    new_value: Mapped[str] = mapped_column(String(254), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Captcha(Base):
    """An image captcha: the answer is kept only as a hash, and it can be tried once."""

    __tablename__ = "captchas"
    __table_args__ = (Index("ix_captchas_expires", "expires_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    answer_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PrivacySetting(Base):
    """Whether a student's resume and contact details are open to employers."""

    __tablename__ = "privacy_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    resume_visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="applied_only")
    show_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
