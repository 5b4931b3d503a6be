"""Login: find the account, check the password, per-account back-off after repeated failures, issue tokens.

Back-off: after `lockout_threshold` consecutive failures the account is locked for
base·2^(failures−threshold) seconds (60 s, 120 s, 240 s … capped at 30 min); failures older than the
window are forgotten, a success or a password reset clears them. While locked, the password is not
even checked (429 `account_locked` with Retry-After). Per-IP limits belong to the gateway and are generous,
because a whole campus shares a few NAT addresses.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError

from ..config import AuthConfig
from ..models import STUDENT, RosterEntry, User
from .common import now, seconds_until
from .keys import KeyRing
from .passwords import hash_password, needs_rehash, verify_password
from .tokens import load_identity, login_refusal, start_session

INVALID_CREDENTIALS = "账号或密码错误 (invalid username or password)"


def lock_seconds(config: AuthConfig, failures: int) -> int | None:
    """How long the account locks after this many consecutive failures (None: not locked)."""
    if failures < config.lockout_threshold:
        return None
    exponent = min(failures - config.lockout_threshold, 20)
    return min(config.lockout_base_seconds * 2 ** exponent, config.lockout_max_seconds)


def locked_error(seconds: int) -> ApiError:
    return ApiError(f"密码错误次数过多，账号已临时锁定，请 {seconds} 秒后重试，或通过“找回密码”重置 "
                    f"(too many failed logins; account locked)", status=429, code="account_locked",
                    headers={"Retry-After": str(seconds)}, retry_after=seconds)


def find_login_user(session: Session, username: str, school_code: str | None) -> User | None:
    """Students: student number + school code; everyone else: email (students may use it too)."""
    username = (username or "").strip()
    if not username:
        return None
    if "@" in username:  # 学号 never contain "@"; a form that always sends school_code still works for staff
        return session.scalar(select(User).where(func.lower(User.email) == username.lower()))
    if school_code:
        return session.scalar(select(User).join(RosterEntry, User.roster_entry_id == RosterEntry.id).where(
            RosterEntry.school_code == school_code.strip(), RosterEntry.student_no == username))
    # A student number without a school: unambiguous only when one registered student has it.
    matches = session.scalars(select(User).join(RosterEntry, User.roster_entry_id == RosterEntry.id).where(
        RosterEntry.student_no == username, User.role == STUDENT).limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def record_failure(session: Session, config: AuthConfig, user_id: int) -> int | None:
    """Count a failed password atomically; returns the lock seconds if this failure locked the account."""
    moment = now()
    cutoff = moment - timedelta(seconds=config.failure_window_seconds)
    failures = session.execute(update(User).where(User.id == user_id).values(
        failed_logins=case((or_(User.last_failed_at.is_(None), User.last_failed_at < cutoff), 1),
                           else_=User.failed_logins + 1),
        last_failed_at=moment).returning(User.failed_logins)).scalar_one()
    seconds = lock_seconds(config, failures)
    if seconds:
        session.execute(update(User).where(User.id == user_id).values(
            locked_until=moment + timedelta(seconds=seconds)))
    return seconds


def authenticate(db: Database, keyring: KeyRing, config: AuthConfig, *, username: str, password: str,
                 school_code: str | None = None) -> dict:
    """Check the credentials (the captcha was checked before) and start a session → token pair."""
    with db.read() as session:
        user = find_login_user(session, username, school_code)
        user_id = user.id if user else None
        password_hash = user.password_hash if user else None
        locked_until = user.locked_until if user else None
    moment = now()
    if locked_until is not None and locked_until > moment:
        raise locked_error(seconds_until(locked_until, moment))
    if not verify_password(password_hash, password) or user_id is None:
        if user_id is not None:
            with db.write() as session:
                seconds = record_failure(session, config, user_id)
            if seconds:
                raise locked_error(seconds)
        raise ApiError(INVALID_CREDENTIALS, status=401, code="invalid_credentials")
    with db.write() as session:
        moment = now()
        # Conditional: a lock set by a concurrent failed guess also stops this (correct) one.
        cleared = session.execute(update(User).where(
            User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= moment)).values(
            failed_logins=0, last_failed_at=None, locked_until=None, last_login_at=moment)).rowcount
        if not cleared:
            locked = session.scalar(select(User.locked_until).where(User.id == user_id))
            raise locked_error(seconds_until(locked, moment))
        user = session.get(User, user_id)
        identity = load_identity(session, user)
        refusal = login_refusal(identity)
        if refusal is not None:
            raise refusal
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return start_session(session, keyring, config, identity)
