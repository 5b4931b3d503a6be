"""Turning a send command (cc_kit.notifications envelope) into Notification rows, once per command id."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import marshmallow as ma
from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.outbox import first_time, utcnow

from ..models import CHANNELS, DIGESTED, FAILED, QUEUED, SUPPRESSED, Notification, ProcessedEvent, PushQuota
from ..config import NotifySettings
from ..templates import TemplateError, get_template, render
from . import preferences
from .delivery import ContactResolver, ContactUnavailable, contact_address, record_final_failure
from .rules import PUSH_CATEGORY, in_quiet_hours, local_day, quiet_hours_end, retry_delay

log = logging.getLogger(__name__)

HANDLER = "notify.send"


class InvalidCommand(ValueError):
    """Not a send command at all (no id, no data): nothing can be recorded for it."""


class _CommandData(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    template = ma.fields.String(required=True)
    category = ma.fields.String(load_default=None, allow_none=True)
    params = ma.fields.Dict(load_default=dict, allow_none=True)
    user_id = ma.fields.Integer(load_default=None, allow_none=True, strict=False)
    email = ma.fields.String(load_default=None, allow_none=True)
    phone = ma.fields.String(load_default=None, allow_none=True)
    channels = ma.fields.List(ma.fields.String(), load_default=lambda: ["email"])
    exempt_quiet_hours = ma.fields.Boolean(load_default=False)


@dataclass(frozen=True)
class SendCommand:
    id: str
    source: str | None
    template: str
    category: str
    params: dict
    user_id: int | None
    email: str | None
    phone: str | None
    channels: tuple[str, ...]
    exempt_quiet_hours: bool


def parse_command(envelope) -> SendCommand:
    if not isinstance(envelope, dict) or not envelope.get("id") or not isinstance(envelope.get("data"), dict):
        raise InvalidCommand("not a notify command envelope")
    try:
        data = _CommandData().load(envelope["data"])
    except ma.ValidationError as exc:
        raise InvalidCommand(f"invalid command data: {exc.messages}") from exc
    channels = []
    for channel in data["channels"]:
        if channel in CHANNELS and channel not in channels:
            channels.append(channel)
        elif channel not in CHANNELS:
            log.warning("command %s asks for unknown channel %r; ignored", envelope["id"], channel)
    try:
        default_category = get_template(data["template"]).category
    except TemplateError:
        default_category = "system"
    source = str(envelope.get("source") or "").rsplit("/", 1)[-1] or None
    return SendCommand(
        id=str(envelope["id"])[:64], source=source, template=data["template"][:64],
        category=(data["category"] or default_category)[:32], params=data["params"] or {},
        user_id=data["user_id"], email=(data["email"] or "").strip() or None,
        phone=(data["phone"] or "").strip() or None, channels=tuple(channels),
        exempt_quiet_hours=data["exempt_quiet_hours"])


def already_processed(db: Database, command_id: str) -> bool:
    with db.read() as session:
        return session.execute(select(exists().where(
            ProcessedEvent.event_id == command_id, ProcessedEvent.handler == HANDLER))).scalar()


def _explicit_recipient(command: SendCommand, channel: str) -> str | None:
    return command.email if channel == "email" else command.phone


def lookup_contact(command: SendCommand, resolve_contact: ContactResolver) -> tuple[dict | None, str | None]:
    """(contact, error): asks auth only when some channel has no explicit address."""
    if command.user_id is None or all(_explicit_recipient(command, c) for c in command.channels):
        return None, None
    try:
        return resolve_contact(command.user_id) or {}, None
    except ContactUnavailable as exc:
        return None, str(exc) or "auth unavailable"


def take_push_quota(session: Session, user_id: int, channel: str, day: str, cap: int) -> bool:
    """One more push message today? Conditional UPDATE, so racing consumers never exceed the cap."""
    if cap <= 0:
        return False
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(PushQuota).values(user_id=user_id, channel=channel, day=day, used=0)
                    .on_conflict_do_nothing(index_elements=["user_id", "channel", "day"]))
    result = session.execute(update(PushQuota).where(
        PushQuota.user_id == user_id, PushQuota.channel == channel, PushQuota.day == day, PushQuota.used < cap)
        .values(used=PushQuota.used + 1))
    return result.rowcount == 1


def accept_command(db: Database, envelope, *, settings: NotifySettings, resolve_contact: ContactResolver,
                   now: datetime | None = None) -> list[int]:
    """Record the rows of one command (idempotent by its id); returns the ids to send right now.

    Rows that must wait (quiet hours, auth unreachable) get a `next_attempt_at` for the retry timer;
    the ones returned are leased to the caller, so the timer leaves them alone unless it crashes.
    """
    command = parse_command(envelope)
    if already_processed(db, command.id):
        return []
    contact, contact_error = lookup_contact(command, resolve_contact)  # outside the transaction: it's a call
    now = now or utcnow()
    try:
        with db.write() as session:
            if not first_time(session, ProcessedEvent, command.id, HANDLER):
                return []
            prefs = preferences.load(session, command.user_id, settings)
            rows = [_plan_row(session, command, channel, prefs, contact, contact_error, settings, now)
                    for channel in command.channels]
            session.add_all(rows)
            session.flush()
            for row in rows:
                if row.status == FAILED:
                    record_final_failure(session, row, now)
            return [row.id for row in rows if row.status == QUEUED and row.lease_until is not None]
    except IntegrityError:
        # Another consumer recorded the same command concurrently (redelivery race): its rows stand.
        log.info("command %s was recorded concurrently; duplicate ignored", command.id)
        return []


def _plan_row(session: Session, command: SendCommand, channel: str, prefs, contact, contact_error,
              settings: NotifySettings, now: datetime) -> Notification:
    row = Notification(command_id=command.id, source=command.source, user_id=command.user_id, channel=channel,
                       template=command.template, category=command.category, status=QUEUED, attempts=0,
                       exempt_quiet_hours=command.exempt_quiet_hours, created_at=now, updated_at=now)
    try:
        template = get_template(command.template)
        rendered = render(command.template, command.params)
    except TemplateError as exc:
        row.status, row.reason, row.last_error = FAILED, "invalid_template", str(exc)
        return row
    row.subject, row.body = rendered.subject, rendered.body_for(channel)
    if template.secret:
        row.exempt_quiet_hours = True
    if not prefs.allows(command.category, channel, secret=template.secret):
        row.status, row.reason = SUPPRESSED, "preference"
        row.body = None
        return row
    row.recipient = _explicit_recipient(command, channel) or contact_address(contact, channel)
    if not row.recipient:
        if contact_error:
            # auth is unreachable: the retry timer asks again (and counts it as a try).
            row.reason, row.attempts, row.last_error = "contact_pending", 1, f"查询联系方式失败: {contact_error}"
            row.next_attempt_at = now + retry_delay(1, base=settings.retry_base_seconds,
                                                    factor=settings.retry_factor, maximum=settings.retry_max_seconds)
            return row
        row.status, row.reason = FAILED, "no_recipient"
        row.last_error = ("没有可用的邮箱地址 (no email address)" if channel == "email"
                          else "没有可用的手机号 (no phone number)")
        row.body = None
        return row
    if command.category == PUSH_CATEGORY and command.user_id is not None and not template.secret:
        if not take_push_quota(session, command.user_id, channel, local_day(now), prefs.push_daily_cap):
            row.status, row.reason = DIGESTED, "daily_cap"
            return row
    if channel == "sms" and not row.exempt_quiet_hours and in_quiet_hours(now, prefs.quiet_start, prefs.quiet_end):
        row.reason = "quiet_hours"
        row.next_attempt_at = quiet_hours_end(now, prefs.quiet_start, prefs.quiet_end)
        return row
    row.next_attempt_at = now
    row.lease_until = now + timedelta(seconds=settings.send_lease_seconds)
    return row
