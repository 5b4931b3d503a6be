"""Helpers for notify's tests: commands built by the kit's own request_notification, recording senders."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cc_kit.notifications import request_notification
from services.notify.models import Outbox
from services.notify.senders import SendError
from services.notify.config import NotifySettings


class _CapturingSession:
    def __init__(self):
        self.rows = []
        self.info = {}

    def add(self, row):
        self.rows.append(row)


def make_command(**kwargs) -> dict:
    """The exact envelope a caller's outbox holds (and the relay publishes) for this request."""
    session = _CapturingSession()
    kwargs.setdefault("source", "tests")
    request_notification(session, Outbox, **kwargs)
    return session.rows[0].envelope


def shanghai(year, month, day, hour, minute=0) -> datetime:
    """A Beijing-time moment as the UTC datetime the code works with."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc) - timedelta(hours=8)


def settings_for(data_dir: Path, **overrides) -> NotifySettings:
    values = dict(data_dir=data_dir, smtp_url=None, sms_webhook_url=None, max_attempts=3, retry_base_seconds=10,
                  retry_factor=2, retry_max_seconds=3600, send_lease_seconds=60, default_push_daily_cap=3,
                  default_quiet_start="22:00", default_quiet_end="08:00", digest_hour=20)
    values.update(overrides)
    return NotifySettings(**values)


class RecordingSender:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


class FailingSender:
    def __init__(self, error="SMTP 554 5.7.1 rejected"):
        self.error = error
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise SendError(self.error)




def read_sms_lines(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
