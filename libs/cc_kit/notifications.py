"""Asking notify to send a mail/SMS, reliably and without blocking: a command row in the caller's outbox.

Commands go to the `notify.commands` exchange, not to the public `<service>.events` catalog,
because some carry secrets (one-time codes) that outside consumers of our events must not see.
Templates, channels, preferences and retries are notify's business; callers name a template.
"""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from .outbox import PENDING, announce, utcnow

NOTIFY_EXCHANGE = "notify.commands"
NOTIFY_EXCHANGE_TYPE = "topic"  # durable, like every exchange the relay declares
SEND_ROUTING_KEY = "send"
SEND_TYPE = "cn.campus-careers.notify.send_requested"
# The relay declares this durable queue and binds it before publishing the first command, so a
# command is kept even when notify has never run yet; notify consumes from exactly this queue.
NOTIFY_QUEUE = "notify.send"


def request_notification(session: Session, Outbox, *, source: str, template: str, params: dict,
                         category: str, user_id: int | None = None, email: str | None = None,
                         phone: str | None = None, channels: tuple[str, ...] = ("email",),
                         exempt_quiet_hours: bool = False) -> str:
    """Queue a notification in the caller's transaction; returns its id.

    `user_id` lets notify resolve contacts and preferences through auth; `email`/`phone`
    override (e.g. a code sent to an address that is being verified).
    """
    command_id = str(uuid.uuid4())
    envelope = {
        "specversion": "1.0",
        "id": command_id,
        "source": f"/campus-careers/{source}",
        "type": SEND_TYPE,
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "template": template,
            "category": category,
            "params": params,
            "user_id": user_id,
            "email": email,
            "phone": phone,
            "channels": list(channels),
            "exempt_quiet_hours": exempt_quiet_hours,
        },
    }
    if user_id is not None:
        envelope["subject"] = str(user_id)
    session.add(Outbox(event_id=command_id, exchange=NOTIFY_EXCHANGE, routing_key=SEND_ROUTING_KEY,
                       envelope=envelope, state=PENDING, attempts=0, created_at=utcnow()))
    announce(session)
    return command_id
