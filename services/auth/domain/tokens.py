"""Access tokens (EdDSA JWT, 15 min) and opaque refresh tokens (hashed, rotated, reuse revokes the family)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cc_kit.config import JWT_AUDIENCE, JWT_ISSUER
from cc_kit.db import Database
from cc_kit.errors import ApiError

from ..config import AuthConfig
from ..models import (ACTIVE, APPROVED, COLLEGE_ADMIN, EMPLOYER, STUDENT, Employer, RefreshToken, RosterEntry,
                      User)
from .common import digest, later, new_secret, now
from .keys import KeyRing


@dataclass
class Identity:
    """What a token says about a user, assembled from the user row and its roster entry or employer."""

    user: User
    roster: RosterEntry | None = None
    employer: Employer | None = None


def load_identity(session: Session, user: User) -> Identity:
    roster = session.get(RosterEntry, user.roster_entry_id) if user.roster_entry_id else None
    employer = session.get(Employer, user.employer_id) if user.employer_id else None
    return Identity(user, roster, employer)


def access_claims(identity: Identity, ttl: int) -> dict:
    user = identity.user
    issued = now()
    claims = {
        "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "sub": str(user.id), "typ": "access", "role": user.role,
        "iat": int(issued.timestamp()), "exp": int(issued.timestamp()) + ttl, "jti": uuid.uuid4().hex,
        "name": user.name,
    }
    if user.role == STUDENT and identity.roster is not None:
        claims.update(school_code=identity.roster.school_code, student_no=identity.roster.student_no,
                      college=identity.roster.college, name=identity.roster.name)
    elif user.role == COLLEGE_ADMIN:
        claims.update(school_code=user.school_code, college=user.college)
    elif user.role == EMPLOYER and identity.employer is not None:
        claims.update(employer_id=identity.employer.id, org_name=identity.employer.company_name)
    else:
        claims.update(school_code=user.school_code)
    return claims


def login_refusal(identity: Identity) -> ApiError | None:
    """Why this (correctly authenticated) user may not hold tokens now, or None."""
    if identity.user.status != ACTIVE:
        return ApiError("账号已停用，请联系学校管理员 (account disabled)", status=403, code="account_disabled")
    if identity.user.role == EMPLOYER:
        employer = identity.employer
        if employer is None or employer.status != APPROVED:
            status = employer.status if employer else "missing"
            message = ("单位注册未通过审核：" + (employer.review_note or "") + " (employer registration rejected)"
                       if status == "rejected" else "单位注册尚在审核中，审核通过后方可登录 (employer not approved yet)")
            return ApiError(message, status=403, code="employer_not_approved", employer_status=status)
    return None


def _new_refresh(session: Session, config: AuthConfig, user_id: int, family_id: str) -> str:
    raw = new_secret(32)
    session.add(RefreshToken(user_id=user_id, family_id=family_id, token_hash=digest(raw), created_at=now(),
                             expires_at=later(config.refresh_ttl)))
    return raw


def token_pair(keyring: KeyRing, config: AuthConfig, identity: Identity, refresh_token: str) -> dict:
    return {
        "access_token": keyring.encode(access_claims(identity, config.access_ttl)),
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": config.access_ttl,
        "refresh_expires_in": config.refresh_ttl,
        "role": identity.user.role,
        "user_id": identity.user.id,
    }


def start_session(session: Session, keyring: KeyRing, config: AuthConfig, identity: Identity) -> dict:
    """A new refresh-token family (one per login) and its first access token."""
    raw = _new_refresh(session, config, identity.user.id, str(uuid.uuid4()))
    return token_pair(keyring, config, identity, raw)


def revoke_family(session: Session, family_id: str, reason: str) -> int:
    return session.execute(update(RefreshToken).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)).rowcount or 0


def revoke_all(session: Session, user_id: int, reason: str) -> int:
    """End every session of a user (password changed or reset, account disabled)."""
    return session.execute(update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)).rowcount or 0


_INVALID = ("登录状态无效，请重新登录 (invalid refresh token)", "invalid_refresh_token")


def refresh_session(db: Database, keyring: KeyRing, config: AuthConfig, raw_token: str) -> dict:
    """Rotate a refresh token. Presenting a token that was already rotated means it leaked (or a client
    replays it): the whole family is revoked and both holders must log in again."""
    token_hash = digest(raw_token or "")
    problem: ApiError | None = None
    with db.write() as session:
        token = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
        moment = now()
        if token is None:
            problem = ApiError(_INVALID[0], status=401, code=_INVALID[1])
        elif token.revoked_at is not None and token.revoked_reason != "rotated":
            problem = ApiError(_INVALID[0], status=401, code=_INVALID[1])
        elif token.expires_at <= moment:
            problem = ApiError("登录已过期，请重新登录 (refresh token expired)", status=401, code="refresh_token_expired")
        else:
            # The conditional update is the rotation: of two concurrent refreshes with one token, one wins.
            claimed = session.execute(update(RefreshToken).where(
                RefreshToken.id == token.id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=moment, rotated_at=moment, revoked_reason="rotated")).rowcount
            if not claimed:
                revoke_family(session, token.family_id, "reuse_detected")
                problem = ApiError("检测到登录凭证被重复使用，已强制下线，请重新登录 (refresh token reuse detected)",
                                   status=401, code="refresh_token_reused")
            else:
                user = session.get(User, token.user_id)
                identity = load_identity(session, user)
                refusal = login_refusal(identity)
                if refusal is not None:
                    revoke_family(session, token.family_id, "account_state")
                    problem = refusal
                else:
                    raw = _new_refresh(session, config, user.id, token.family_id)
                    return token_pair(keyring, config, identity, raw)
    raise problem


def logout(session: Session, raw_token: str) -> bool:
    """Revoke the session (token family) this refresh token belongs to; unknown tokens are ignored."""
    token = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(raw_token or "")))
    if token is None:
        return False
    revoke_family(session, token.family_id, "logout")
    return True
