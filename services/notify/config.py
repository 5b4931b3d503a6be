"""notify's own settings (retry schedule, caps, sender options), read from the environment in one place (config.py in every service)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cc_kit.config import Settings, env


@dataclass(frozen=True)
class NotifySettings:
    data_dir: Path
    smtp_url: str | None
    sms_webhook_url: str | None
    mail_from: str = "校园就业服务 <noreply@campus-careers.local>"
    send_timeout: float = 10.0
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_factor: float = 2.0
    retry_max_seconds: float = 3600.0
    # A row being sent is leased to its sender for this long; after it, the retry timer takes over
    # (the sender crashed). Longer than any send can take with the timeouts above.
    send_lease_seconds: float = 300.0
    retry_batch: int = 50
    send_concurrency: int = 5
    contact_timeout: float = 5.0
    default_push_daily_cap: int = 3
    default_quiet_start: str | None = "22:00"
    default_quiet_end: str | None = "08:00"
    digest_hour: int = 20

    @classmethod
    def from_env(cls) -> "NotifySettings":
        base = Settings.from_env("notify")
        quiet = env("NOTIFY_DEFAULT_QUIET_HOURS", "22:00-08:00")
        quiet_start, quiet_end = (quiet.split("-", 1) if quiet and quiet.lower() != "off" else (None, None))
        return cls(
            data_dir=base.data_dir,
            smtp_url=base.smtp_url,
            sms_webhook_url=base.sms_webhook_url,
            mail_from=env("NOTIFY_MAIL_FROM", cls.mail_from),
            send_timeout=float(env("NOTIFY_SEND_TIMEOUT", "10")),
            max_attempts=max(1, int(env("NOTIFY_MAX_ATTEMPTS", "5"))),
            retry_base_seconds=float(env("NOTIFY_RETRY_BASE_SECONDS", "30")),
            retry_factor=float(env("NOTIFY_RETRY_FACTOR", "2")),
            retry_max_seconds=float(env("NOTIFY_RETRY_MAX_SECONDS", "3600")),
            send_lease_seconds=float(env("NOTIFY_SEND_LEASE_SECONDS", "300")),
            retry_batch=int(env("NOTIFY_RETRY_BATCH", "50")),
            send_concurrency=max(1, int(env("NOTIFY_SEND_CONCURRENCY", "5"))),
            contact_timeout=float(env("NOTIFY_CONTACT_TIMEOUT", "5")),
            default_push_daily_cap=int(env("NOTIFY_DEFAULT_PUSH_DAILY_CAP", "3")),
            default_quiet_start=quiet_start,
            default_quiet_end=quiet_end,
            digest_hour=int(env("NOTIFY_DIGEST_HOUR", "20")),
        )


def poll_interval(name: str, default: float) -> float:
    """Timer intervals (NOTIFY_RETRY_POLL_SECONDS, NOTIFY_DIGEST_POLL_SECONDS)."""
    return float(env(name, str(default)))
