"""Password recovery: account + captcha → reset ticket; the registered email typed in full → a 6-digit code
by email (hashed, 10 min, single use, 5 tries); ticket + code → new password, every session revoked."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.notifications import request_notification
from cc_kit.outbox import record

from .. import events
from ..config import AuthConfig
from ..models import ACTIVE, Outbox, PasswordResetTicket, RosterEntry, User
from .common import code_digest, digest, later, mask_email, new_code, new_secret, now, same, seconds_until
from .passwords import check_policy, hash_password
from .tokens import revoke_all

_BAD_TICKET = ("找回密码流程已失效，请重新开始 (reset ticket invalid or expired)", "invalid_reset_ticket")


def start_reset(session: Session, config: AuthConfig, *, school_code: str | None = None,
                student_no: str | None = None, email: str | None = None) -> dict:
    """Step 1 (after the captcha): the account exists → a reset ticket."""
    if student_no and school_code:
        user = session.scalar(select(User).join(RosterEntry, User.roster_entry_id == RosterEntry.id).where(
            RosterEntry.school_code == school_code.strip(), RosterEntry.student_no == student_no.strip()))
    elif email:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    else:
        raise ApiError("请填写学校和学号（或账号邮箱） (school_code and student_no, or email, required)", status=422,
                       code="validation_error", errors={"student_no": ["必填 (required)"]})
    if user is None:
        raise ApiError("该账号不存在或尚未注册，请检查学校和学号 (no account found)", status=404,
                       code="account_not_found")
    if user.status != ACTIVE:
        raise ApiError("账号已停用，请联系学校管理员 (account disabled)", status=403, code="account_disabled")
    raw = new_secret(32)
    session.add(PasswordResetTicket(user_id=user.id, ticket_hash=digest(raw), created_at=now(),
                                    expires_at=later(config.reset_ticket_ttl)))
    return {"reset_ticket": raw, "expires_in": config.reset_ticket_ttl}


def _load_ticket(session: Session, raw: str, *, lock: bool = False) -> PasswordResetTicket:
    query = select(PasswordResetTicket).where(PasswordResetTicket.ticket_hash == digest(raw or ""))
    if lock:
        query = query.with_for_update()
    ticket = session.scalar(query)
    if ticket is None or ticket.expires_at <= now():
        raise ApiError(*_BAD_TICKET[:1], status=400, code=_BAD_TICKET[1])
    if ticket.used_at is not None:
        raise ApiError("验证码已使用，密码已重置；如需再次修改请重新找回 (code already used)", status=400,
                       code="code_used")
    return ticket


def send_code(db: Database, config: AuthConfig, *, reset_ticket: str, email: str) -> dict:
    """Step 2: the email must equal the registered one in full; then a fresh code is emailed."""
    problem: ApiError | None = None
    with db.write() as session:
        ticket = _load_ticket(session, reset_ticket, lock=True)
        if ticket.email_mismatches >= config.email_mismatch_limit:
            raise ApiError("邮箱校验失败次数过多，请重新开始找回密码 (too many wrong emails)", status=429,
                           code="too_many_attempts", headers={"Retry-After": "60"}, retry_after=60)
        user = session.get(User, ticket.user_id)
        typed = (email or "").strip().lower()
        if not user.email or not same(typed, user.email.lower()):
            ticket.email_mismatches += 1
            problem = ApiError("邮箱与注册邮箱不一致，请输入完整的注册邮箱 (email does not match the registered one)",
                               status=422, code="email_mismatch",
                               errors={"email": ["与注册邮箱不一致 (does not match)"]})
        else:
            moment = now()
            if ticket.code_sends >= config.code_max_sends:
                raise ApiError("验证码发送次数过多，请重新开始找回密码 (too many codes requested)", status=429,
                               code="too_many_codes", headers={"Retry-After": "60"}, retry_after=60)
            if ticket.code_sent_at is not None:
                wait = seconds_until(later(config.code_resend_seconds, ticket.code_sent_at), moment)
                if ticket.code_sent_at > later(-config.code_resend_seconds, moment):
                    raise ApiError(f"验证码已发送，请 {wait} 秒后再试 (code sent recently)", status=429,
                                   code="code_recently_sent", headers={"Retry-After": str(wait)}, retry_after=wait)
            code = new_code()
            ticket.code_hash = code_digest(ticket.ticket_hash, code)
            ticket.code_sent_at = moment
            ticket.code_expires_at = later(config.reset_code_ttl, moment)
            ticket.code_sends += 1
            ticket.attempts = 0
            minutes = config.reset_code_ttl // 60
            request_notification(session, Outbox, source="auth", template="password_reset_code",
                                 params={"name": user.name, "code": code, "minutes": minutes}, category="account",
                                 user_id=user.id, email=user.email, channels=("email",), exempt_quiet_hours=True)
            record(session, Outbox, events.password_reset_requested,
                   {"user_id": user.id, "role": user.role, "requested_at": moment}, subject=user.id)
            result = {"sent_to": mask_email(user.email), "expires_in": config.reset_code_ttl,
                      "resend_after": config.code_resend_seconds}
    if problem is not None:
        raise problem
    return result


def _check_code_state(ticket: PasswordResetTicket, config: AuthConfig) -> None:
    if ticket.code_hash is None:
        raise ApiError("请先获取邮箱验证码 (request a code first)", status=400, code="code_not_sent")
    if ticket.attempts >= config.code_max_attempts:
        raise ApiError("验证码错误次数过多，请重新获取验证码 (too many wrong codes)", status=429,
                       code="too_many_attempts", headers={"Retry-After": "60"}, retry_after=60)
    if ticket.code_expires_at <= now():
        raise ApiError("验证码已过期，请重新获取 (code expired)", status=400, code="code_expired")


def reset_password(db: Database, config: AuthConfig, *, reset_ticket: str, code: str, new_password: str) -> dict:
    """Step 3: the right code (single use, attempt-limited) sets the new password and ends every session."""
    with db.read() as session:
        ticket = _load_ticket(session, reset_ticket)
        _check_code_state(ticket, config)
        user = session.get(User, ticket.user_id)
        roster = session.get(RosterEntry, user.roster_entry_id) if user.roster_entry_id else None
        check_policy(new_password, (roster.student_no if roster else None, user.email, user.phone),
                     field="new_password")
        expected, ticket_id = ticket.code_hash, ticket.id
        matches = same(code_digest(ticket.ticket_hash, code or ""), expected)
    if not matches:
        with db.write() as session:
            attempts = session.execute(update(PasswordResetTicket).where(
                PasswordResetTicket.id == ticket_id, PasswordResetTicket.used_at.is_(None),
                PasswordResetTicket.attempts < config.code_max_attempts)
                .values(attempts=PasswordResetTicket.attempts + 1)
                .returning(PasswordResetTicket.attempts)).scalar()
        if attempts is None:
            raise ApiError("验证码错误次数过多，请重新获取验证码 (too many wrong codes)", status=429,
                           code="too_many_attempts", headers={"Retry-After": "60"}, retry_after=60)
        left = config.code_max_attempts - attempts
        raise ApiError(f"验证码错误，还可尝试 {left} 次 (wrong code)", status=400, code="invalid_code",
                       attempts_left=left)
    password_hash = hash_password(new_password)
    with db.write() as session:
        ticket = _load_ticket(session, reset_ticket, lock=True)
        _check_code_state(ticket, config)
        if ticket.code_hash != expected:  # a newer code was sent meanwhile
            raise ApiError("验证码已失效，请使用最新的验证码 (code superseded)", status=400, code="invalid_code",
                           attempts_left=config.code_max_attempts - ticket.attempts)
        moment = now()
        ticket.used_at = moment
        user = session.get(User, ticket.user_id)
        user.password_hash = password_hash
        user.password_changed_at = moment
        user.updated_at = moment
        user.failed_logins, user.last_failed_at, user.locked_until = 0, None, None
        revoke_all(session, user.id, "password_reset")
        record(session, Outbox, events.password_changed,
               {"user_id": user.id, "role": user.role, "reason": "reset", "changed_at": moment}, subject=user.id)
    return {"status": "password_reset", "message": "密码已重置，请使用新密码登录 (password reset; please log in)"}
