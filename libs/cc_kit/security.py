"""Access-token verification shared by the gateway and every service: JWKS from auth, keys cached,
algorithms pinned, iss/aud/exp checked. Authorization on data stays in each service's domain code."""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import jwt
from flask import g, request

from .errors import ApiError

ALGORITHMS = ["EdDSA"]  # pinned: a token naming any other alg (none, HS256 with the public key, …) is refused
ROLES = ("student", "employer", "college_admin", "school_admin", "counselor")
STAFF_ROLES = ("college_admin", "school_admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    user_id: int
    role: str
    school_code: str | None = None
    student_no: str | None = None
    college: str | None = None
    employer_id: int | None = None
    name: str | None = None
    org_name: str | None = None  # employers: the company's name (claim org_name)

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        return cls(
            user_id=int(claims["sub"]),
            role=claims["role"],
            school_code=claims.get("school_code"),
            student_no=claims.get("student_no"),
            college=claims.get("college"),
            employer_id=claims.get("employer_id"),
            name=claims.get("name"),
            org_name=claims.get("org_name"),
        )

    def is_(self, *roles: str) -> bool:
        return self.role in roles


class TokenVerifier:
    """Verifies access tokens against auth's JWKS; one instance per process, keys cached by kid."""

    def __init__(self, jwks_url: str, issuer: str, audience: str, *, lifespan: int = 300):
        self.issuer = issuer
        self.audience = audience
        self._static: dict | None = None
        if jwks_url.startswith("file://"):
            # Tests and offline tools: a JWKS file instead of auth's endpoint (PyJWKClient is http only).
            from urllib.parse import unquote, urlparse

            with open(unquote(urlparse(jwks_url).path), encoding="utf-8") as fh:
                keyset = jwt.PyJWKSet.from_json(fh.read())
            self._static = {key.key_id: key.key for key in keyset.keys}
            self._client = None
        else:
            self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=lifespan, timeout=5)
        self._lock = threading.Lock()

    def _key_for(self, token: str):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise ApiError("令牌格式错误 (malformed token)", status=401, code="invalid_token") from exc
        if header.get("alg") not in ALGORITHMS or not header.get("kid"):
            raise ApiError("令牌算法不被接受 (token algorithm refused)", status=401, code="invalid_token")
        if self._static is not None:
            if header["kid"] not in self._static:
                raise ApiError("令牌签名密钥未知 (unknown signing key)", status=401, code="invalid_token")
            return self._static[header["kid"]]
        try:
            with self._lock:
                return self._client.get_signing_key(header["kid"]).key
        except jwt.PyJWKClientConnectionError as exc:
            raise ApiError("认证服务暂不可用 (auth keys unavailable)", status=503, code="auth_unavailable") from exc
        except jwt.PyJWKClientError as exc:
            raise ApiError("令牌签名密钥未知 (unknown signing key)", status=401, code="invalid_token") from exc

    def verify(self, token: str) -> dict:
        key = self._key_for(token)
        try:
            return jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiError("登录已过期，请重新登录 (token expired)", status=401, code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise ApiError("令牌无效 (invalid token)", status=401, code="invalid_token") from exc


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_principal(optional: bool = False) -> Principal | None:
    """The caller of this request (verified once per request, cached on flask.g)."""
    if "principal" in g:
        return g.principal
    token = bearer_token()
    if token is None:
        if optional:
            return None
        raise ApiError("需要登录 (authentication required)", status=401, code="unauthorized")
    from flask import current_app

    claims = current_app.extensions["cc_verifier"].verify(token)
    if claims.get("typ") != "access" or claims.get("role") not in ROLES:
        raise ApiError("令牌无效 (invalid token)", status=401, code="invalid_token")
    g.principal = Principal.from_claims(claims)
    return g.principal


def require(*roles: str):
    """View decorator: a valid token, and (if given) one of these roles → else 401/403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if roles and principal.role not in roles:
                raise ApiError("无权访问 (forbidden for your role)", status=403, code="forbidden")
            return view(*args, **kwargs)

        return wrapper

    return decorator
