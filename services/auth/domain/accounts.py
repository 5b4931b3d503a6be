"""Account settings: my profile, re-verified phone/email changes, privacy, password change.

Changing phone or email is two steps: PATCH /me with the new value stores it as pending and sends a
6-digit code to the NEW address (email for email, SMS for phone); POST /me/verify-contact with
{channel, code} applies it. The old value stays in force until then.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.notifications import request_notification
from cc_kit.outbox import record

from .. import events
from ..config import AuthConfig
from ..models import (ACTIVE, STUDENT, ContactVerification, Employer, Outbox, PrivacySetting, RosterEntry, User,
                      VISIBILITIES)
from .common import code_digest, later, mask_email, mask_phone, new_code, normalize_email, normalize_phone, now, same, \
    seconds_until
from .login import locked_error, record_failure
from .passwords import check_policy, hash_password, verify_password
from .tokens import revoke_all

DEFAULT_PRIVACY = {"resume_visibility": "applied_only", "show_contact": True}


def get_active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.status != ACTIVE:
        raise ApiError("账号不存在或已停用，请重新登录 (account not found or disabled)", status=401, code="unauthorized")
    return user


def profile(session: Session, user: User) -> dict:
    """GET /me: the account, its roster data (students) or company (employers), and pending changes."""
    data = {
        "id": user.id, "role": user.role, "name": user.name, "email": user.email, "phone": user.phone,
        "status": user.status, "school_code": user.school_code, "college": user.college,
        "created_at": user.created_at, "last_login_at": user.last_login_at,
        "password_changed_at": user.password_changed_at,
    }
    if user.roster_entry_id:
        entry = session.get(RosterEntry, user.roster_entry_id)
        data.update(student_no=entry.student_no, school_code=entry.school_code, college=entry.college,
                    major=entry.major, degree=entry.degree, graduation_year=entry.graduation_year,
                    gender=entry.gender, name=entry.name)
    if user.employer_id:
        employer = session.get(Employer, user.employer_id)
        data["employer"] = {"id": employer.id, "company_name": employer.company_name,
                            "credit_code": employer.credit_code, "status": employer.status,
                            "contact_name": employer.contact_name, "review_note": employer.review_note}
    pending = session.scalars(select(ContactVerification).where(
        ContactVerification.user_id == user.id, ContactVerification.used_at.is_(None),
        ContactVerification.expires_at > now())).all()
    data["pending_contact"] = {p.channel: (mask_email(p.new_value) if p.channel == "email" else mask_phone(p.new_value))
                               for p in pending}
    return data


def _start_contact_change(session: Session, config: AuthConfig, user: User, channel: str, value: str) -> dict:
    last = session.scalar(select(func.max(ContactVerification.created_at)).where(
        ContactVerification.user_id == user.id, ContactVerification.channel == channel))
    if last is not None and last > later(-config.code_resend_seconds):
        wait = seconds_until(later(config.code_resend_seconds, last))
        # Each request mails or texts an address the user typed: throttled so it cannot be used to spam.
        raise ApiError(f"验证码已发送，请 {wait} 秒后再试 (code sent recently)", status=429, code="code_recently_sent",
                       headers={"Retry-After": str(wait)}, retry_after=wait)
    session.execute(delete(ContactVerification).where(ContactVerification.user_id == user.id,
                                                      ContactVerification.channel == channel,
                                                      ContactVerification.used_at.is_(None)))
    code = new_code()
    verification = ContactVerification(user_id=user.id, channel=channel, new_value=value, code_hash="",
                                       created_at=now(), expires_at=later(config.contact_code_ttl))
    session.add(verification)
    session.flush()
    verification.code_hash = code_digest(f"contact:{verification.id}", code)
    minutes = config.contact_code_ttl // 60
    if channel == "email":
        request_notification(session, Outbox, source="auth", template="generic", category="account",
                             params={"subject": "邮箱变更验证码 (email change code)",
                                     "text": f"{user.name}，您好：您正在修改就业网账号的邮箱，验证码为 {code}，"
                                             f"{minutes} 分钟内有效。如非本人操作请忽略。"},
                             email=value, channels=("email",), exempt_quiet_hours=True)
    else:
        request_notification(session, Outbox, source="auth", template="phone_verification_code",
                             category="account", params={"code": code, "minutes": minutes}, phone=value,
                             channels=("sms",), exempt_quiet_hours=True)
    return {"channel": channel, "sent_to": mask_email(value) if channel == "email" else mask_phone(value),
            "expires_in": config.contact_code_ttl}


def update_profile(session: Session, config: AuthConfig, user: User, changes: dict) -> dict:
    """PATCH /me: names apply at once (not for students: the roster is authoritative); phone/email go pending."""
    verifications = []
    if "name" in changes and changes["name"] is not None:
        if user.role == STUDENT:
            raise ApiError("学生姓名以学校名单为准，如有错误请联系学院 (students' names come from the roster)",
                           status=422, code="field_not_editable", errors={"name": ["不可修改 (read-only)"]})
        user.name = changes["name"].strip()
        if user.employer_id:
            session.get(Employer, user.employer_id).contact_name = user.name
    if changes.get("email"):
        email = normalize_email(changes["email"])
        if email != (user.email or ""):
            taken = session.scalar(select(User.id).where(func.lower(User.email) == email, User.id != user.id))
            if taken is not None:
                raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken")
            verifications.append(_start_contact_change(session, config, user, "email", email))
    if changes.get("phone"):
        phone = normalize_phone(changes["phone"])
        if phone != (user.phone or ""):
            verifications.append(_start_contact_change(session, config, user, "phone", phone))
    user.updated_at = now()
    data = profile(session, user)
    data["verification"] = verifications
    return data


def verify_contact(db: Database, config: AuthConfig, user_id: int, channel: str, code: str) -> dict:
    """POST /me/verify-contact: the code sent to the new address applies the pending change."""
    problem: ApiError | None = None
    with db.write() as session:
        user = get_active_user(session, user_id)
        pending = session.scalar(select(ContactVerification).where(
            ContactVerification.user_id == user.id, ContactVerification.channel == channel,
            ContactVerification.used_at.is_(None)).order_by(ContactVerification.id.desc()).with_for_update())
        if pending is None:
            raise ApiError("没有待验证的修改 (no pending change)", status=400, code="no_pending_change")
        if pending.attempts >= config.code_max_attempts:
            raise ApiError("验证码错误次数过多，请重新提交修改 (too many wrong codes)", status=429,
                           code="too_many_attempts", headers={"Retry-After": "60"}, retry_after=60)
        if pending.expires_at <= now():
            raise ApiError("验证码已过期，请重新提交修改 (code expired)", status=400, code="code_expired")
        if not same(code_digest(f"contact:{pending.id}", code or ""), pending.code_hash):
            pending.attempts += 1
            left = config.code_max_attempts - pending.attempts
            problem = ApiError(f"验证码错误，还可尝试 {left} 次 (wrong code)", status=400, code="invalid_code",
                               attempts_left=left)
        else:
            moment = now()
            if channel == "email":
                taken = session.scalar(select(User.id).where(func.lower(User.email) == pending.new_value,
                                                             User.id != user.id))
                if taken is not None:
                    raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken")
                user.email = pending.new_value
            else:
                user.phone = pending.new_value
            if user.employer_id:
                employer = session.get(Employer, user.employer_id)
                setattr(employer, channel, pending.new_value)
            pending.used_at = moment
            user.updated_at = moment
            record(session, Outbox, events.contact_changed,
                   {"user_id": user.id, "role": user.role, "channel": channel, "changed_at": moment}, subject=user.id)
            result = profile(session, user)
    if problem is not None:
        raise problem
    return result


def get_privacy(session: Session, user_id: int) -> dict:
    row = session.get(PrivacySetting, user_id)
    if row is None:
        return dict(DEFAULT_PRIVACY)
    return {"resume_visibility": row.resume_visibility, "show_contact": row.show_contact}


def set_privacy(session: Session, user: User, resume_visibility: str, show_contact: bool) -> dict:
    if user.role != STUDENT:
        raise ApiError("仅学生可设置隐私 (students only)", status=403, code="forbidden")
    if resume_visibility not in VISIBILITIES:
        raise ApiError("resume_visibility 无效", status=422, code="validation_error",
                       errors={"resume_visibility": [f"应为 {'/'.join(VISIBILITIES)}"]})
    moment = now()
    row = session.get(PrivacySetting, user.id)
    if row is None:
        row = PrivacySetting(user_id=user.id)
        session.add(row)
    changed = (row.resume_visibility, row.show_contact) != (resume_visibility, show_contact)
    row.resume_visibility, row.show_contact, row.updated_at = resume_visibility, show_contact, moment
    if changed:
        record(session, Outbox, events.privacy_changed, {
            "user_id": user.id, "resume_visibility": resume_visibility, "show_contact": show_contact,
            "changed_at": moment}, subject=user.id)
    return {"resume_visibility": resume_visibility, "show_contact": show_contact}


def change_password(db: Database, config: AuthConfig, user_id: int, old_password: str, new_password: str) -> dict:
    """POST /me/password: the old password proves it is the owner; every session (refresh token) ends.
    Wrong old passwords count towards the same lockout as logins (a stolen access token must not
    become a password oracle)."""
    with db.read() as session:
        user = get_active_user(session, user_id)
        current_hash = user.password_hash
        locked_until = user.locked_until
        roster = session.get(RosterEntry, user.roster_entry_id) if user.roster_entry_id else None
        identifiers = (roster.student_no if roster else None, user.email, user.phone)
    if locked_until is not None and locked_until > now():
        raise locked_error(seconds_until(locked_until))
    if not verify_password(current_hash, old_password):
        with db.write() as session:
            seconds = record_failure(session, config, user_id)
        if seconds:
            raise locked_error(seconds)
        raise ApiError("原密码错误 (old password is wrong)", status=400, code="wrong_password",
                       errors={"old_password": ["原密码错误 (wrong)"]})
    if new_password == old_password:
        raise ApiError("新密码不能与原密码相同 (new password must differ)", status=422, code="password_reused",
                       errors={"new_password": ["与原密码相同 (same as old)"]})
    check_policy(new_password, identifiers, field="new_password")
    password_hash = hash_password(new_password)
    with db.write() as session:
        moment = now()
        changed = session.execute(update(User).where(User.id == user_id, User.password_hash == current_hash)
                                  .values(password_hash=password_hash, password_changed_at=moment,
                                          updated_at=moment)).rowcount
        if not changed:
            raise ApiError("密码刚刚已被修改，请重新登录 (password changed concurrently)", status=409,
                           code="conflict")
        role = session.scalar(select(User.role).where(User.id == user_id))
        revoke_all(session, user_id, "password_changed")
        record(session, Outbox, events.password_changed,
               {"user_id": user_id, "role": role, "reason": "changed", "changed_at": moment}, subject=user_id)
    return {"status": "password_changed", "message": "密码已修改，请使用新密码重新登录 (password changed)"}
