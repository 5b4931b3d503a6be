"""Student registration in two steps, gated by the roster: verify identity → set password and contacts."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.config import JWT_ISSUER
from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.outbox import record
from cc_kit.notifications import request_notification

from .. import events
from ..config import AuthConfig
from ..models import STUDENT, Outbox, PrivacySetting, RosterEntry, User
from .common import normalize_email, normalize_phone, now
from .keys import KeyRing
from .passwords import check_policy, hash_password

REGISTRATION_AUDIENCE = "campus-careers-auth-registration"
NOT_ON_ROSTER = ("学号或姓名不存在，请检查学校、毕业年份、学号和姓名是否填写正确；确认无误仍无法注册，请联系学校"
                 "就业管理员导入学生名单后再注册 (student number or name not found on the roster)")


def find_roster_entry(session: Session, school_code: str, student_no: str) -> RosterEntry | None:
    return session.scalar(select(RosterEntry).where(RosterEntry.school_code == school_code.strip(),
                                                    RosterEntry.student_no == student_no.strip()))


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def verify_student(session: Session, keyring: KeyRing, config: AuthConfig, *, school_code: str,
                   graduation_year: int, student_no: str, name: str, accept_terms: bool) -> dict:
    """Step 1 (after the captcha): the student is on the roster and has no account → a registration token."""
    if accept_terms is not True:
        raise ApiError("请阅读并同意用户协议和隐私政策 (you must accept the terms)", status=422,
                       code="terms_not_accepted", errors={"accept_terms": ["必须同意协议 (must be true)"]})
    entry = find_roster_entry(session, school_code, student_no)
    # One answer for every mismatch, so the form does not tell which field was wrong.
    if entry is None or entry.graduation_year != graduation_year or not _same_name(entry.name, name):
        raise ApiError(NOT_ON_ROSTER, status=404, code="not_on_roster")
    if session.scalar(select(User.id).where(User.roster_entry_id == entry.id)) is not None:
        raise ApiError("该学号已注册，请直接登录；忘记密码可通过“找回密码”重置 (already registered)", status=409,
                       code="already_registered")
    issued = int(now().timestamp())
    token = keyring.encode({
        "iss": JWT_ISSUER, "aud": REGISTRATION_AUDIENCE, "typ": "registration",
        "sub": str(entry.id), "iat": issued, "exp": issued + config.registration_ttl,
    })
    return {"registration_token": token, "expires_in": config.registration_ttl,
            "student": {"name": entry.name, "school_code": entry.school_code, "student_no": entry.student_no,
                        "college": entry.college, "major": entry.major, "degree": entry.degree,
                        "graduation_year": entry.graduation_year}}


def _email_taken(session: Session, email: str, except_user: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email)
    if except_user is not None:
        query = query.where(User.id != except_user)
    return session.scalar(query) is not None


def complete_registration(db: Database, keyring: KeyRing, *, registration_token: str, password: str, phone: str,
                          email: str) -> dict:
    """Step 2: create the account. One account per roster entry, also when two requests race
    (the unique users.roster_entry_id decides; the loser gets 409 `already_registered`)."""
    try:
        claims = keyring.decode(registration_token, audience=REGISTRATION_AUDIENCE, typ="registration")
    except ApiError as exc:
        expired = exc.code == "token_expired"
        raise ApiError("注册已超时，请重新验证身份 (registration token expired)" if expired else
                       "注册凭证无效，请重新验证身份 (invalid registration token)", status=400,
                       code="registration_expired" if expired else "invalid_registration_token") from exc
    return create_student_account(db, int(claims["sub"]), password=password, phone=phone, email=email)


def create_student_account(db: Database, entry_id: int, *, password: str, phone: str, email: str) -> dict:
    """The account of one roster entry (also used by the demo seeding, which has no captcha to pass)."""
    email, phone = normalize_email(email), normalize_phone(phone)
    with db.read() as session:
        entry = session.get(RosterEntry, entry_id)
        if entry is None:
            raise ApiError(NOT_ON_ROSTER, status=404, code="not_on_roster")
        student_no = entry.student_no
        if session.scalar(select(User.id).where(User.roster_entry_id == entry_id)) is not None:
            raise ApiError("该学号已注册，请直接登录 (already registered)", status=409, code="already_registered")
    check_policy(password, (student_no, email, phone))
    password_hash = hash_password(password)  # ~35 ms of CPU: outside the write transaction
    try:
        with db.write() as session:
            entry = session.get(RosterEntry, entry_id)
            if session.scalar(select(User.id).where(User.roster_entry_id == entry_id)) is not None:
                raise ApiError("该学号已注册，请直接登录 (already registered)", status=409, code="already_registered")
            if _email_taken(session, email):
                raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken")
            moment = now()
            user = User(role=STUDENT, email=email, phone=phone, name=entry.name, password_hash=password_hash,
                        roster_entry_id=entry.id, school_code=entry.school_code, college=entry.college,
                        password_changed_at=moment, created_at=moment, updated_at=moment)
            session.add(user)
            session.flush()
            session.add(PrivacySetting(user_id=user.id, updated_at=moment))
            record(session, Outbox, events.student_registered, {
                "user_id": user.id, "school_code": entry.school_code, "student_no": entry.student_no,
                "name": entry.name, "college": entry.college, "major": entry.major, "degree": entry.degree,
                "graduation_year": entry.graduation_year, "registered_at": moment}, subject=user.id)
            request_notification(session, Outbox, source="auth", template="registration_welcome",
                                 params={"name": entry.name}, category="account", user_id=user.id, email=email,
                                 channels=("email",))
            result = {"user_id": user.id, "role": STUDENT, "name": entry.name, "school_code": entry.school_code,
                      "student_no": entry.student_no}
    except IntegrityError as exc:
        # PostgreSQL: a concurrent request inserted first; tell which uniqueness it was.
        with db.read() as session:
            if session.scalar(select(User.id).where(User.roster_entry_id == entry_id)) is not None:
                raise ApiError("该学号已注册，请直接登录 (already registered)", status=409,
                               code="already_registered") from exc
        raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken") from exc
    return result
