"""auth's own settings (token lifetimes, lockout policy, bootstrap admin), read from the environment once."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cc_kit.config import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD, Settings, env


def _int(name: str, default: int) -> int:
    return int(env(name, str(default)))


@dataclass(frozen=True)
class AuthConfig:
    """Every policy number of the auth service, with its default in one place."""

    access_ttl: int = 15 * 60
    refresh_ttl: int = 14 * 24 * 3600
    registration_ttl: int = 30 * 60
    captcha_ttl: int = 5 * 60
    # Per-account login back-off: after `lockout_threshold` consecutive failures the account is locked
    # for lockout_base * 2^(extra failures) seconds, capped; failures older than the window are forgotten.
    lockout_threshold: int = 5
    lockout_base_seconds: int = 60
    lockout_max_seconds: int = 30 * 60
    failure_window_seconds: int = 60 * 60
    reset_ticket_ttl: int = 30 * 60
    reset_code_ttl: int = 10 * 60
    code_max_attempts: int = 5
    code_resend_seconds: int = 60
    code_max_sends: int = 5
    email_mismatch_limit: int = 5
    contact_code_ttl: int = 10 * 60
    roster_max_rows: int = 50_000
    bootstrap_admin_email: str = DEV_ADMIN_EMAIL
    bootstrap_admin_password: str = DEV_ADMIN_PASSWORD
    bootstrap_admin_name: str = "系统管理员"
    default_school_code: str = "10001"
    signing_key_pem: str | None = None
    keys_dir: Path = Path("var/keys")
    captcha_bypass_code: str | None = None

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> "AuthConfig":
        settings = settings or Settings.from_env("auth")
        return cls(
            access_ttl=_int("AUTH_ACCESS_TTL", cls.access_ttl),
            refresh_ttl=_int("AUTH_REFRESH_TTL", cls.refresh_ttl),
            registration_ttl=_int("AUTH_REGISTRATION_TTL", cls.registration_ttl),
            captcha_ttl=_int("AUTH_CAPTCHA_TTL", cls.captcha_ttl),
            lockout_threshold=_int("AUTH_LOCKOUT_THRESHOLD", cls.lockout_threshold),
            lockout_base_seconds=_int("AUTH_LOCKOUT_BASE_SECONDS", cls.lockout_base_seconds),
            lockout_max_seconds=_int("AUTH_LOCKOUT_MAX_SECONDS", cls.lockout_max_seconds),
            failure_window_seconds=_int("AUTH_FAILURE_WINDOW_SECONDS", cls.failure_window_seconds),
            reset_ticket_ttl=_int("AUTH_RESET_TICKET_TTL", cls.reset_ticket_ttl),
            reset_code_ttl=_int("AUTH_RESET_CODE_TTL", cls.reset_code_ttl),
            code_max_attempts=_int("AUTH_CODE_MAX_ATTEMPTS", cls.code_max_attempts),
            code_resend_seconds=_int("AUTH_CODE_RESEND_SECONDS", cls.code_resend_seconds),
            code_max_sends=_int("AUTH_CODE_MAX_SENDS", cls.code_max_sends),
            roster_max_rows=_int("AUTH_ROSTER_MAX_ROWS", cls.roster_max_rows),
            bootstrap_admin_email=env("BOOTSTRAP_ADMIN_EMAIL", DEV_ADMIN_EMAIL),
            bootstrap_admin_password=env("BOOTSTRAP_ADMIN_PASSWORD", DEV_ADMIN_PASSWORD),
            bootstrap_admin_name=env("BOOTSTRAP_ADMIN_NAME", cls.bootstrap_admin_name),
            default_school_code=env("AUTH_DEFAULT_SCHOOL_CODE", cls.default_school_code),
            signing_key_pem=env("AUTH_SIGNING_KEY_PEM"),
            keys_dir=Path(env("AUTH_KEYS_DIR", str(settings.data_dir / "keys"))),
            captcha_bypass_code=settings.captcha_bypass_code,
        )
