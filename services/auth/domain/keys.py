"""Ed25519 signing keys: the active key signs tokens, the JWKS publishes it (and retired keys still in use).

Where the key comes from, in order: AUTH_SIGNING_KEY_PEM (production: a secret), else the file
`<keys_dir>/signing.pem` (mode 600), created on first start. Every gunicorn worker and replica that
shares the directory must sign with the same key, so creation is race-safe: the key is written to a
private temporary file and hard-linked into place; a loser of the race reads the winner's file.
Rotation (`python -m services.auth.cli rotate-key`) renames it to `retired-<kid>.pem`; retired
public keys stay in the JWKS until removed, so tokens signed just before a rotation still verify.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cc_kit.config import JWT_AUDIENCE, JWT_ISSUER
from cc_kit.errors import ApiError

ALGORITHM = "EdDSA"
ACTIVE_FILE = "signing.pem"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: every process derives the same kid from the same key."""
    jwk = public_jwk(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())[:22]


def _pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def _load_private(pem: bytes | str) -> Ed25519PrivateKey:
    if isinstance(pem, str):
        pem = pem.replace("\\n", "\n").encode()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the auth signing key must be an Ed25519 private key (PEM, PKCS#8)")
    return key


def _write_exclusive(directory: Path, name: str, data: bytes) -> bool:
    """Create directory/name with mode 600 unless it exists; True if this call created it."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    tmp = directory / f".tmp-{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, directory / name)
            return True
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)


class KeyRing:
    """The active signing key plus the public keys that verify (active + retired)."""

    def __init__(self, active: Ed25519PrivateKey, retired: list[Ed25519PublicKey] | None = None):
        self.active = active
        self.kid = key_id(active.public_key())
        self.public: dict[str, Ed25519PublicKey] = {self.kid: active.public_key()}
        for public_key in retired or []:
            self.public.setdefault(key_id(public_key), public_key)

    @classmethod
    def load(cls, keys_dir: Path, pem: str | None = None) -> "KeyRing":
        if pem:
            return cls(_load_private(pem))
        keys_dir = Path(keys_dir)
        path = keys_dir / ACTIVE_FILE
        if not path.exists():
            _write_exclusive(keys_dir, ACTIVE_FILE, _pem(Ed25519PrivateKey.generate()))
        active = _load_private(path.read_bytes())
        retired = [_load_private(p.read_bytes()).public_key() for p in sorted(keys_dir.glob("retired-*.pem"))]
        return cls(active, retired)

    @staticmethod
    def rotate(keys_dir: Path) -> str:
        """Retire the active key file and create a new one; returns the new kid."""
        keys_dir = Path(keys_dir)
        path = keys_dir / ACTIVE_FILE
        if path.exists():
            old = _load_private(path.read_bytes())
            os.replace(path, keys_dir / f"retired-{key_id(old.public_key())}.pem")
        _write_exclusive(keys_dir, ACTIVE_FILE, _pem(Ed25519PrivateKey.generate()))
        return key_id(_load_private(path.read_bytes()).public_key())

    def jwks(self) -> dict:
        keys = []
        for kid, public_key in self.public.items():
            jwk = public_jwk(public_key)
            jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
            keys.append(jwk)
        return {"keys": keys}

    def encode(self, claims: dict) -> str:
        return jwt.encode(claims, self.active, algorithm=ALGORITHM, headers={"kid": self.kid})

    def decode(self, token: str, *, audience: str = JWT_AUDIENCE, typ: str = "access") -> dict:
        """Verify a token this service signed; ApiError 401 when it is not valid for `typ`."""
        try:
            header = jwt.get_unverified_header(token)
            key = self.public.get(header.get("kid", ""))
            if header.get("alg") != ALGORITHM or key is None:
                raise jwt.InvalidTokenError("unknown key or algorithm")
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience, issuer=JWT_ISSUER,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError as exc:
            raise ApiError("令牌已过期 (token expired)", status=401, code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise ApiError("令牌无效 (invalid token)", status=401, code="invalid_token") from exc
        if claims.get("typ") != typ:
            raise ApiError("令牌无效 (invalid token)", status=401, code="invalid_token")
        return claims


class LocalVerifier:
    """The kit's TokenVerifier interface, answered from auth's own keys instead of fetching its JWKS."""

    def __init__(self, keyring: KeyRing):
        self.keyring = keyring

    def verify(self, token: str) -> dict:
        return self.keyring.decode(token)
