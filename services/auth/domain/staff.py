"""Staff accounts: school_admin creates college_admin / school_admin / counselor; the first admin is bootstrapped."""
from __future__ import annotations

import logging
import secrets
import string

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.notifications import request_notification
from cc_kit.outbox import record

from .. import events
from ..models import ACTIVE, COLLEGE_ADMIN, DISABLED, SCHOOL_ADMIN, STAFF_ROLES, Outbox, User
from .common import normalize_email, normalize_phone, now
from .passwords import check_policy, hash_password
from .tokens import revoke_all

log = logging.getLogger(__name__)


def generate_password() -> str:
    """An initial password that satisfies the policy (letters, digits, a symbol; 14 characters)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12)) + secrets.choice("#@%+") + \
            secrets.choice(string.digits)
        if any(c.isalpha() for c in candidate):
            return candidate


def user_view(user: User) -> dict:
    return {"id": user.id, "role": user.role, "name": user.name, "email": user.email, "phone": user.phone,
            "school_code": user.school_code, "college": user.college, "status": user.status,
            "created_at": user.created_at, "last_login_at": user.last_login_at}


def create_staff(db: Database, *, role: str, email: str, name: str, password: str | None, phone: str | None,
                 school_code: str, college: str | None, created_by: int | None) -> dict:
    """A staff or counselor account. Without a password, one is generated, returned once and emailed."""
    if role not in STAFF_ROLES:
        raise ApiError("只能创建 college_admin、school_admin 或 counselor 账号 (invalid role)", status=422,
                       code="validation_error", errors={"role": [f"应为 {'/'.join(STAFF_ROLES)}"]})
    if role == COLLEGE_ADMIN and not (college or "").strip():
        raise ApiError("学院管理员必须指定学院 (college required for college_admin)", status=422,
                       code="validation_error", errors={"college": ["必填 (required)"]})
    email = normalize_email(email)
    phone = normalize_phone(phone) if phone else None
    generated = password is None
    password = password or generate_password()
    check_policy(password, (email, phone))
    password_hash = hash_password(password)
    try:
        with db.write() as session:
            if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
                raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken")
            moment = now()
            user = User(role=role, email=email, phone=phone, name=name.strip(), password_hash=password_hash,
                        school_code=school_code, college=(college or "").strip() or None,
                        password_changed_at=moment, created_by=created_by, created_at=moment, updated_at=moment)
            session.add(user)
            session.flush()
            record(session, Outbox, events.user_created, {
                "user_id": user.id, "role": role, "name": user.name, "school_code": school_code,
                "college": user.college, "created_by": created_by, "created_at": moment}, subject=user.id)
            if generated:
                request_notification(session, Outbox, source="auth", template="generic", category="account",
                                     params={"subject": "就业网账号已开通 (your account)",
                                             "text": f"{user.name}，您好：学校已为您开通就业网账号，登录邮箱 {email}，"
                                                     f"初始密码 {password}。请登录后立即修改密码。"},
                                     user_id=user.id, email=email, channels=("email",))
            result = user_view(user)
            if generated:
                result["initial_password"] = password
            return result
    except IntegrityError as exc:
        raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken") from exc


def list_users(session: Session, *, role: str | None, school_code: str | None, q: str | None = None):
    query = select(User).where(User.role.in_(STAFF_ROLES))
    if role:
        query = query.where(User.role == role)
    if school_code:
        query = query.where(User.school_code == school_code)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(User.name.like(like) | User.email.like(like.lower()))
    return query.order_by(User.id)


def set_user_status(session: Session, user_id: int, status: str, admin_id: int, school_code: str | None) -> dict:
    """Enable or disable a staff account of the admin's school; disabling ends its sessions."""
    user = session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES or (school_code and user.school_code != school_code):
        raise ApiError("账号不存在 (user not found)", status=404, code="not_found")
    if user.id == admin_id and status == DISABLED:
        raise ApiError("不能停用自己的账号 (cannot disable yourself)", status=409, code="invalid_state")
    if user.status != status:
        user.status = status
        user.updated_at = now()
        if status == DISABLED:
            revoke_all(session, user.id, "disabled")
    return user_view(user)


def ensure_admin(db: Database, *, email: str, password: str, name: str, school_code: str,
                 only_if_none: bool) -> tuple[int, bool]:
    """Create a school_admin unless the email exists (or, with only_if_none, unless any school_admin exists).

    Idempotent and safe when several gunicorn workers run it at once: the unique email decides, the
    losers find the winner's row. An existing account's password is never overwritten.
    Returns (user id or 0, created?).
    """
    email = normalize_email(email)
    with db.read() as session:
        existing = session.scalar(select(User.id).where(func.lower(User.email) == email))
        if existing is not None:
            return existing, False
        if only_if_none:
            any_admin = session.scalar(select(User.id).where(User.role == SCHOOL_ADMIN, User.status == ACTIVE)
                                       .limit(1))
            if any_admin is not None:
                return any_admin, False
    password_hash = hash_password(password)
    try:
        with db.write() as session:
            existing = session.scalar(select(User.id).where(func.lower(User.email) == email))
            if existing is not None:
                return existing, False
            moment = now()
            user = User(role=SCHOOL_ADMIN, email=email, name=name, password_hash=password_hash,
                        school_code=school_code, password_changed_at=moment, created_at=moment, updated_at=moment)
            session.add(user)
            session.flush()
            record(session, Outbox, events.user_created, {
                "user_id": user.id, "role": SCHOOL_ADMIN, "name": name, "school_code": school_code, "college": None,
                "created_by": None, "created_at": moment}, subject=user.id)
            log.info("bootstrap school_admin created", extra={"user_id": user.id})
            return user.id, True
    except IntegrityError:
        with db.read() as session:
            return session.scalar(select(User.id).where(func.lower(User.email) == email)) or 0, False
