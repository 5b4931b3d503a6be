"""notify's own database: the delivery log, per-user preferences, push quotas, outbox and processed ids."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cc_kit.outbox import outbox_model, processed_event_model, utcnow

_BigId = BigInteger().with_variant(Integer(), "sqlite")

QUEUED, SENT, FAILED, SUPPRESSED, DIGESTED = "queued", "sent", "failed", "suppressed", "digested"
STATUSES = (QUEUED, SENT, FAILED, SUPPRESSED, DIGESTED)
CHANNELS = ("email", "sms")


class Base(DeclarativeBase):
    pass


Outbox = outbox_model(Base)
ProcessedEvent = processed_event_model(Base)


class Notification(Base):
    """One message on one channel to one recipient, and where its delivery stands.

    `command_id` is the id of the command envelope that asked for it; (command_id, channel) is unique,
    so a redelivered command never makes a second row. Daily digests use `digest:<user>:<channel>:<day>`.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("command_id", "channel", name="uq_notifications_command_channel"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_digest", "status", "digest_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    command_id: Mapped[str] = mapped_column(String(100), nullable=False)
    source: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    recipient: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # The rendered text for this channel, kept for retries; cleared once a one-time code is done with.
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # Why a row is not (yet) sent: preference, quiet_hours, daily_cap, contact_pending, no_recipient, …
    reason: Mapped[str | None] = mapped_column(String(32))
    exempt_quiet_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digest_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Preference(Base):
    """A user's choices; a user without a row gets the defaults (domain.preferences.DEFAULTS)."""

    __tablename__ = "preferences"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    categories: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # SMS quiet hours "HH:MM" in Asia/Shanghai; both None = no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    push_daily_cap: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class PushQuota(Base):
    """Push messages already let through today (Asia/Shanghai day), per user and channel.

    Counted with a conditional UPDATE (`used < cap`), so concurrent consumers never exceed the cap.
    """

    __tablename__ = "push_quotas"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
