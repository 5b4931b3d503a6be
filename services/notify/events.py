"""Events notify publishes on `notify.events`: a delivery succeeded or finally failed. Never the message text."""
from __future__ import annotations

import marshmallow as ma

from cc_kit.events import EventCatalog

catalog = EventCatalog("notify", "通知投递结果 (delivery outcomes of mail and SMS)")


class _Delivery(ma.Schema):
    notification_id = ma.fields.Integer(required=True)
    command_id = ma.fields.String(required=True, metadata={"description": "id of the command that asked for it"})
    source = ma.fields.String(allow_none=True, metadata={"description": "the requesting service"})
    user_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String(required=True, metadata={"description": "email | sms"})
    template = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)


class NotificationSentSchema(_Delivery):
    sent_at = ma.fields.String(required=True, metadata={"description": "ISO 8601"})


class NotificationFailedSchema(_Delivery):
    reason = ma.fields.String(allow_none=True, metadata={"description": "retries_exhausted, no_recipient, …"})
    last_error = ma.fields.String(allow_none=True, metadata={"description": "the sender's last error"})
    failed_at = ma.fields.String(required=True, metadata={"description": "ISO 8601"})


notification_sent = catalog.declare(
    "notification_sent", NotificationSentSchema, "一条通知已投递到邮件服务器或短信通道 (a notification was handed over)")
notification_failed = catalog.declare(
    "notification_failed", NotificationFailedSchema,
    "一条通知最终投递失败（重试已用尽或无联系方式） (a notification finally failed)")
