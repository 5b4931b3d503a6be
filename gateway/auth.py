"""Access-token checks at the gateway: cc_kit's TokenVerifier (keys cached, EdDSA pinned, iss/aud/exp),
`typ` must be "access", and a small cache of tokens already verified so a busy client does not pay
for a signature check on every request."""
from __future__ import annotations

import threading
import time

from cc_kit.errors import ApiError
from cc_kit.security import ROLES, TokenVerifier

from .routes import Rule


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class GatewayAuth:
    """Verifies a bearer token once, then remembers its claims until it expires (at most `cache_ttl` s,
    so a key withdrawn from the JWKS stops being honoured within that time)."""

    def __init__(self, verifier: TokenVerifier, *, cache_size: int = 8192, cache_ttl: float = 60.0):
        self.verifier = verifier
        self.cache_size = cache_size
        self.cache_ttl = cache_ttl
        self._cache: dict[str, tuple[dict, float]] = {}
        self._lock = threading.Lock()

    def claims(self, authorization: str | None) -> dict:
        token = bearer(authorization)
        if token is None:
            raise ApiError("需要登录 (authentication required)", status=401, code="unauthorized",
                           headers={"WWW-Authenticate": "Bearer"})
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None:
            claims, valid_until = hit
            if now < valid_until:
                return claims
            if now >= claims["exp"]:
                self._forget(token)
                raise ApiError("登录已过期，请重新登录 (token expired)", status=401, code="token_expired",
                               headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = self.verifier.verify(token)
        except ApiError as err:
            if err.status == 401:
                err.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
            raise
        if claims.get("typ") != "access" or claims.get("role") not in ROLES:
            raise ApiError("令牌无效 (invalid token)", status=401, code="invalid_token",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        self._remember(token, claims, min(float(claims["exp"]), now + self.cache_ttl))
        return claims

    def check(self, rule: Rule, authorization: str | None) -> dict | None:
        """None for a public route; the claims when the token is valid and the role fits; else 401/403."""
        if rule.public:
            return None
        claims = self.claims(authorization)
        if rule.roles and claims["role"] not in rule.roles:
            raise ApiError("无权访问 (forbidden for your role)", status=403, code="forbidden")
        return claims

    def _remember(self, token: str, claims: dict, valid_until: float) -> None:
        with self._lock:
            if len(self._cache) >= self.cache_size:
                # Oldest first (dicts keep insertion order): drop a tenth at once, not one per insert.
                for stale in list(self._cache)[: max(1, self.cache_size // 10)]:
                    self._cache.pop(stale, None)
            self._cache[token] = (claims, valid_until)

    def _forget(self, token: str) -> None:
        with self._lock:
            self._cache.pop(token, None)
