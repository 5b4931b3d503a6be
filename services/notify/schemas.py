"""Request and response schemas of the notify api, one per direction."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from .domain.rules import MAX_PUSH_DAILY_CAP, as_utc
from .models import CHANNELS, STATUSES

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="时间格式应为 HH:MM (expected HH:MM)")


class UtcDateTime(ma.fields.DateTime):
    """ISO 8601 with offset, also for the naive UTC values SQLite returns."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else as_utc(value).isoformat()


class NotificationQuerySchema(ma.Schema):
    user_id = ma.fields.Integer(metadata={"description": "staff only: one user's log"})
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    channel = ma.fields.String(validate=validate.OneOf(CHANNELS))
    category = ma.fields.String(validate=validate.Length(max=32))
    template = ma.fields.String(validate=validate.Length(max=64))


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String()
    category = ma.fields.String()
    template = ma.fields.String()
    subject = ma.fields.String()
    recipient = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "queued | sent | failed | suppressed | digested"})
    reason = ma.fields.String(allow_none=True, metadata={
        "description": "why not (yet) sent: preference, quiet_hours, daily_cap, contact_pending, retrying, "
                       "retries_exhausted, no_recipient, invalid_template"})
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    digest_id = ma.fields.Integer(allow_none=True, metadata={"description": "the digest that carried it"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)


class QuietHoursSchema(ma.Schema):
    start = ma.fields.String(required=True, validate=HHMM, metadata={"example": "22:00"})
    end = ma.fields.String(required=True, validate=HHMM, metadata={"example": "08:00"})

    @ma.validates_schema
    def _distinct(self, data, **kwargs):
        if data.get("start") == data.get("end"):
            raise ma.ValidationError("开始和结束时间不能相同 (start equals end)", "end")


class PreferencesUpdateSchema(ma.Schema):
    categories = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String(validate=validate.OneOf(CHANNELS))),
        metadata={"description": "category → channels to use (email, sms); [] turns a category off"})
    sms_quiet_hours = ma.fields.Nested(QuietHoursSchema, allow_none=True, metadata={
        "description": "no SMS in this window (Asia/Shanghai); codes are exempt; null: no quiet hours"})
    push_daily_cap = ma.fields.Integer(validate=validate.Range(0, MAX_PUSH_DAILY_CAP), metadata={
        "description": "push messages per day and channel; the rest arrive in one daily digest"})


class PreferencesSchema(PreferencesUpdateSchema):
    timezone = ma.fields.String()
    category_labels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    always_delivered = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                                      metadata={"description": "categories no preference can turn off"})


class TemplateExampleSchema(ma.Schema):
    params = ma.fields.Dict()
    subject = ma.fields.String()
    text = ma.fields.String()
    sms = ma.fields.String()


class TemplateSchema(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String()
    category = ma.fields.String(metadata={"description": "default category when the caller names none"})
    required_params = ma.fields.List(ma.fields.String())
    optional_params = ma.fields.List(ma.fields.String())
    secret = ma.fields.Boolean(metadata={"description": "carries a one-time code: exempt from preferences and "
                                                        "quiet hours, never in events"})
    subject = ma.fields.String()
    text = ma.fields.String()
    sms = ma.fields.String()
    example = ma.fields.Nested(TemplateExampleSchema)
