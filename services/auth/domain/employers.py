"""Employer sign-up (统一社会信用代码 checked) and the school's approval or rejection."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.notifications import request_notification
from cc_kit.outbox import record

from .. import events
from ..models import APPROVED, EMPLOYER, PENDING, REJECTED, Employer, Outbox, User
from . import credit_code as credit
from .common import normalize_email, normalize_phone, now
from .passwords import check_policy, hash_password


def employer_view(employer: Employer, user: User | None = None) -> dict:
    data = {
        "id": employer.id, "company_name": employer.company_name, "credit_code": employer.credit_code,
        "contact_name": employer.contact_name, "email": employer.email, "phone": employer.phone,
        "status": employer.status, "review_note": employer.review_note, "reviewed_at": employer.reviewed_at,
        "created_at": employer.created_at,
    }
    if user is not None:
        data["user_id"] = user.id
    return data


def register_employer(db: Database, *, company_name: str, credit_code: str, contact_name: str, email: str,
                      phone: str, password: str) -> dict:
    """Create the company (pending) and its login; it may log in once a school_admin approved it."""
    code = credit.normalize(credit_code)
    if not credit.is_valid(code):
        raise ApiError("统一社会信用代码无效（18 位，校验位须正确） (invalid unified social credit code)",
                       status=422, code="invalid_credit_code", errors={"credit_code": ["校验失败 (check failed)"]})
    email, phone = normalize_email(email), normalize_phone(phone)
    company_name, contact_name = company_name.strip(), contact_name.strip()
    check_policy(password, (email, phone))
    password_hash = hash_password(password)
    try:
        with db.write() as session:
            if session.scalar(select(Employer.id).where(Employer.credit_code == code)) is not None:
                raise ApiError("该统一社会信用代码已注册，如需找回账号请联系学校 (credit code already registered)",
                               status=409, code="employer_exists")
            if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
                raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken")
            moment = now()
            employer = Employer(company_name=company_name, credit_code=code, contact_name=contact_name, email=email,
                                phone=phone, status=PENDING, created_at=moment, updated_at=moment)
            session.add(employer)
            session.flush()
            user = User(role=EMPLOYER, email=email, phone=phone, name=contact_name, password_hash=password_hash,
                        employer_id=employer.id, password_changed_at=moment, created_at=moment, updated_at=moment)
            session.add(user)
            session.flush()
            record(session, Outbox, events.employer_registered, {
                "employer_id": employer.id, "user_id": user.id, "company_name": company_name, "credit_code": code,
                "registered_at": moment}, subject=employer.id)
            request_notification(session, Outbox, source="auth", template="employer_registered",
                                 params={"company_name": company_name}, category="account", user_id=user.id,
                                 email=email, channels=("email",))
            return {"id": employer.id, "status": PENDING, "user_id": user.id, "company_name": company_name,
                    "credit_code": code}
    except IntegrityError as exc:
        with db.read() as session:
            if session.scalar(select(Employer.id).where(Employer.credit_code == code)) is not None:
                raise ApiError("该统一社会信用代码已注册 (credit code already registered)", status=409,
                               code="employer_exists") from exc
        raise ApiError("该邮箱已被其他账号使用 (email already in use)", status=409, code="email_taken") from exc


def list_employers(session: Session, status: str | None, q: str | None = None):
    """A query of employers for the admin list (newest first), optionally by status or name/code."""
    query = select(Employer)
    if status:
        query = query.where(Employer.status == status)
    if q:
        like = f"%{q.strip()}%"
        query = query.where((Employer.company_name.like(like)) | (Employer.credit_code.like(like.upper())))
    return query.order_by(Employer.id.desc())


def _employer_and_user(session: Session, employer_id: int) -> tuple[Employer, User]:
    employer = session.scalar(select(Employer).where(Employer.id == employer_id).with_for_update())
    if employer is None:
        raise ApiError("单位不存在 (employer not found)", status=404, code="employer_not_found")
    user = session.scalar(select(User).where(User.employer_id == employer.id))
    return employer, user


def approve_employer(session: Session, employer_id: int, admin_id: int) -> dict:
    """pending/rejected → approved; approving an approved employer again changes nothing."""
    employer, user = _employer_and_user(session, employer_id)
    if employer.status == APPROVED:
        return employer_view(employer, user)
    moment = now()
    employer.status, employer.review_note = APPROVED, None
    employer.reviewed_by, employer.reviewed_at, employer.updated_at = admin_id, moment, moment
    record(session, Outbox, events.employer_approved, {
        "employer_id": employer.id, "user_id": user.id, "company_name": employer.company_name,
        "credit_code": employer.credit_code, "approved_by": admin_id, "approved_at": moment}, subject=employer.id)
    request_notification(session, Outbox, source="auth", template="employer_approved",
                         params={"company_name": employer.company_name}, category="account", user_id=user.id,
                         email=user.email, channels=("email", "sms"))
    return employer_view(employer, user)


def reject_employer(session: Session, employer_id: int, admin_id: int, reason: str) -> dict:
    """pending → rejected with a reason the company sees; an approved employer cannot be rejected here."""
    reason = (reason or "").strip()
    if not reason:
        raise ApiError("请填写驳回原因 (reason required)", status=422, code="validation_error",
                       errors={"reason": ["必填 (required)"]})
    employer, user = _employer_and_user(session, employer_id)
    if employer.status == APPROVED:
        raise ApiError("单位已审核通过，不能驳回 (employer already approved)", status=409, code="invalid_state")
    if employer.status == REJECTED and employer.review_note == reason:
        return employer_view(employer, user)
    moment = now()
    employer.status, employer.review_note = REJECTED, reason
    employer.reviewed_by, employer.reviewed_at, employer.updated_at = admin_id, moment, moment
    record(session, Outbox, events.employer_rejected, {
        "employer_id": employer.id, "user_id": user.id, "company_name": employer.company_name, "reason": reason,
        "rejected_by": admin_id, "rejected_at": moment}, subject=employer.id)
    request_notification(session, Outbox, source="auth", template="review_outcome",
                         params={"item": f"单位注册：{employer.company_name}", "decision": "rejected", "note": reason},
                         category="account", user_id=user.id, email=user.email, channels=("email",))
    return employer_view(employer, user)
