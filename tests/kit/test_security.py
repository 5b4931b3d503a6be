"""Token verification: only EdDSA tokens signed by a JWKS key, for our issuer and audience, unexpired."""
import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cc_kit.config import JWT_AUDIENCE, JWT_ISSUER
from cc_kit.errors import ApiError
from cc_kit.security import TokenVerifier


@pytest.fixture
def verifier(test_keys):
    return TokenVerifier(test_keys.jwks_url, JWT_ISSUER, JWT_AUDIENCE)


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_valid_token_yields_claims(verifier, test_keys):
    claims = verifier.verify(test_keys.token(42, "student", name="张三"))
    assert claims["sub"] == "42" and claims["role"] == "student" and claims["name"] == "张三"


@pytest.mark.parametrize("case", ["expired", "forged", "tampered", "alg_none", "wrong_aud", "garbage"])
def test_bad_tokens_are_refused_with_401(verifier, test_keys, case):
    if case == "expired":
        token = test_keys.token(1, "student", ttl=-10)
    elif case == "forged":
        other = Ed25519PrivateKey.generate()
        now = datetime.now(timezone.utc)
        token = jwt.encode({"sub": "1", "role": "school_admin", "typ": "access", "iss": JWT_ISSUER,
                            "aud": JWT_AUDIENCE, "iat": now, "exp": now + timedelta(minutes=5)},
                           other, algorithm="EdDSA", headers={"kid": test_keys.kid})
    elif case == "tampered":
        header, payload, sig = test_keys.token(1, "student").split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["role"] = "school_admin"
        token = ".".join([header, _b64(claims), sig])
    elif case == "alg_none":
        token = _b64({"alg": "none", "kid": test_keys.kid}) + "." + _b64({"sub": "1", "role": "school_admin"}) + "."
    elif case == "wrong_aud":
        token = test_keys.token(1, "student", aud="someone-else")
    else:
        token = "not.a.token"
    with pytest.raises(ApiError) as err:
        verifier.verify(token)
    assert err.value.status == 401
    assert err.value.code in ("invalid_token", "token_expired")
