"""Sending a recorded notification, recording the outcome, retrying with back-off and the daily push digest.

Sending never happens inside a database transaction: a row is read, handed to its sender, and the
outcome is written in a short transaction of its own. Rows due for a (re)try are claimed with a
lease (a conditional UPDATE), so two workers never send the same row at the same time.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.outbox import record, utcnow

from ..events import notification_failed, notification_sent
from ..models import DIGESTED, FAILED, QUEUED, SENT, Notification, Outbox
from ..senders import OutgoingMessage, SendError, Sender
from ..config import NotifySettings
from ..templates import TemplateError, get_template, render
from . import preferences
from .rules import digest_due, in_quiet_hours, quiet_hours_end, retry_delay

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1000


class ContactUnavailable(Exception):
    """auth could not be asked right now (down, timed out): try again later."""


# `resolve_contact(user_id)` → auth.get_contact's dict, None for an unknown user; ContactUnavailable if unreachable.
ContactResolver = Callable[[int], "dict | None"]


def contact_address(contact: dict | None, channel: str) -> str | None:
    value = (contact or {}).get("email" if channel == "email" else "phone")
    return (str(value).strip() or None) if value else None


def _is_secret(template: str) -> bool:
    try:
        return get_template(template).secret
    except TemplateError:
        return False


def _event_base(row: Notification) -> dict:
    return {"notification_id": row.id, "command_id": row.command_id, "source": row.source, "user_id": row.user_id,
            "channel": row.channel, "template": row.template, "category": row.category, "attempts": row.attempts}


def record_final_failure(session: Session, row: Notification, now: datetime) -> None:
    """notification_failed, in the transaction that made the row final. Never the text."""
    record(session, Outbox, notification_failed,
           {**_event_base(row), "reason": row.reason, "last_error": row.last_error, "failed_at": now.isoformat()},
           subject=row.user_id)


def _record_sent(session: Session, row: Notification, now: datetime) -> None:
    record(session, Outbox, notification_sent, {**_event_base(row), "sent_at": now.isoformat()}, subject=row.user_id)


def _retry_policy(settings: NotifySettings):
    return dict(base=settings.retry_base_seconds, factor=settings.retry_factor, maximum=settings.retry_max_seconds)


def record_outcome(db: Database, notification_id: int, *, error: str | None, settings: NotifySettings,
                   now: datetime | None = None, recipient: str | None = None, reason: str = "retrying") -> str:
    """One try is over: sent, or failed (retry later with back-off, or `failed` after the last try)."""
    now = now or utcnow()
    with db.write() as session:
        row = session.execute(select(Notification).where(Notification.id == notification_id)
                              .with_for_update()).scalar_one_or_none()
        if row is None or row.status != QUEUED:
            return row.status if row else "missing"
        row.attempts += 1
        row.lease_until = None
        row.updated_at = now
        if recipient:
            row.recipient = recipient
        if error is None:
            row.status, row.reason, row.sent_at, row.next_attempt_at = SENT, None, now, None
            _record_sent(session, row, now)
        else:
            row.last_error = error[:MAX_ERROR_CHARS]
            if row.attempts >= settings.max_attempts:
                row.status, row.reason, row.next_attempt_at = FAILED, "retries_exhausted", None
                record_final_failure(session, row, now)
            else:
                row.reason = reason
                row.next_attempt_at = now + retry_delay(row.attempts, **_retry_policy(settings))
        if row.status in (SENT, FAILED) and _is_secret(row.template):
            row.body = None  # a one-time code has no business staying in the log
        return row.status


def fail_now(db: Database, notification_id: int, *, reason: str, error: str, now: datetime | None = None) -> None:
    """A failure no retry can fix (e.g. the user has no phone number)."""
    now = now or utcnow()
    with db.write() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.status != QUEUED:
            return
        row.status, row.reason, row.last_error = FAILED, reason, error
        row.next_attempt_at = row.lease_until = None
        row.body = None
        row.updated_at = now
        record_final_failure(session, row, now)


def _defer(db: Database, notification_id: int, *, until: datetime, reason: str, recipient: str | None,
           now: datetime) -> None:
    with db.write() as session:
        values = {"next_attempt_at": until, "lease_until": None, "reason": reason, "updated_at": now}
        if recipient:
            values["recipient"] = recipient
        session.execute(update(Notification).where(Notification.id == notification_id,
                                                   Notification.status == QUEUED).values(**values))


def claim_due(db: Database, settings: NotifySettings, now: datetime | None = None) -> list[int]:
    """Lease the rows whose (re)try is due; the caller sends them with `deliver`."""
    now = now or utcnow()
    not_leased = or_(Notification.lease_until.is_(None), Notification.lease_until < now)
    with db.read() as session:
        candidates = session.execute(
            select(Notification.id).where(Notification.status == QUEUED, Notification.next_attempt_at <= now,
                                          not_leased)
            .order_by(Notification.next_attempt_at).limit(settings.retry_batch)).scalars().all()
    if not candidates:
        return []
    claimed = []
    lease = now + timedelta(seconds=settings.send_lease_seconds)
    with db.write() as session:
        for notification_id in candidates:
            result = session.execute(update(Notification).where(
                Notification.id == notification_id, Notification.status == QUEUED, not_leased)
                .values(lease_until=lease))
            if result.rowcount == 1:
                claimed.append(notification_id)
    return claimed


def deliver(db: Database, notification_id: int, *, senders: dict[str, Sender], settings: NotifySettings,
            resolve_contact: ContactResolver, clock: Callable[[], datetime] = utcnow) -> str:
    """Send one leased row now (resolving the contact or waiting out quiet hours first if needed)."""
    with db.read() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.status != QUEUED:
            return row.status if row else "missing"
        prefs = preferences.load(session, row.user_id, settings)
        channel, recipient, user_id = row.channel, row.recipient, row.user_id
        message_fields = dict(notification_id=row.id, channel=row.channel, subject=row.subject, body=row.body)
        exempt = row.exempt_quiet_hours
    now = clock()
    resolved = None
    if not recipient:
        if user_id is None:
            fail_now(db, notification_id, reason="no_recipient", error="没有收件人 (no recipient)", now=now)
            return FAILED
        try:
            resolved = contact_address(resolve_contact(user_id), channel)
        except ContactUnavailable as exc:
            return record_outcome(db, notification_id, error=f"查询联系方式失败: {exc}", settings=settings, now=now,
                                  reason="contact_pending")
        if not resolved:
            fail_now(db, notification_id, reason="no_recipient",
                     error="没有可用的邮箱地址 (no email address)" if channel == "email"
                     else "没有可用的手机号 (no phone number)", now=now)
            return FAILED
        recipient = resolved
    if channel == "sms" and not exempt and in_quiet_hours(now, prefs.quiet_start, prefs.quiet_end):
        _defer(db, notification_id, until=quiet_hours_end(now, prefs.quiet_start, prefs.quiet_end),
               reason="quiet_hours", recipient=resolved, now=now)
        return QUEUED
    if message_fields["body"] is None:
        fail_now(db, notification_id, reason="no_content", error="消息内容缺失 (no content)", now=now)
        return FAILED
    error = None
    try:
        senders[channel].send(OutgoingMessage(recipient=recipient, **message_fields))
    except SendError as exc:
        error = str(exc) or type(exc).__name__
        log.warning("notification %s (%s) not sent: %s", notification_id, channel, error)
    except Exception as exc:  # a sender bug must not lose the row: it is retried like any failure
        log.exception("sender for %s crashed on notification %s", channel, notification_id)
        error = f"{type(exc).__name__}: {exc}"
    return record_outcome(db, notification_id, error=error, settings=settings, now=clock(), recipient=resolved)


def build_digests(db: Database, settings: NotifySettings, now: datetime | None = None) -> list[int]:
    """Once a day (after NOTIFY_DIGEST_HOUR local), one digest per user and channel of the push
    messages held back by the daily cap; the digest rows are then sent by the retry timer."""
    now = now or utcnow()
    due, day = digest_due(now, settings.digest_hour)
    if not due:
        return []
    created = []
    try:
        with db.write() as session:
            held = session.execute(
                select(Notification).where(Notification.status == DIGESTED, Notification.digest_id.is_(None))
                .order_by(Notification.user_id, Notification.channel, Notification.created_at)).scalars().all()
            groups: dict[tuple, list[Notification]] = defaultdict(list)
            for row in held:
                groups[(row.user_id, row.channel)].append(row)
            for (user_id, channel), rows in groups.items():
                command_id = f"digest:{user_id}:{channel}:{day}"
                if session.execute(select(Notification.id).where(Notification.command_id == command_id,
                                                                 Notification.channel == channel)).first():
                    continue  # today's digest already went; these wait for tomorrow's
                rendered = render("push_digest", {"count": len(rows), "items": [r.subject for r in rows]})
                digest = Notification(
                    command_id=command_id, source="notify", user_id=user_id, channel=channel,
                    template="push_digest", category="digest", recipient=rows[-1].recipient,
                    subject=rendered.subject, body=rendered.body_for(channel), status=QUEUED, attempts=0,
                    exempt_quiet_hours=False, next_attempt_at=now, created_at=now, updated_at=now)
                session.add(digest)
                session.flush()
                for row in rows:
                    row.digest_id = digest.id
                    row.updated_at = now
                created.append(digest.id)
    except IntegrityError:
        log.info("another worker built today's digests")
        return []
    return created
