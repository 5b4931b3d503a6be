"""Captchas (hashed, single try, expiring, bypass code) and the signing keys (file mode, race, rotation)."""
import os
import stat
import threading
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from cc_kit.errors import ApiError
from services.auth.domain import captcha
from services.auth.domain.common import now
from services.auth.domain.keys import KeyRing
from services.auth.models import Captcha


def _issue(db, answer="AC347"):
    with db.write() as session:
        captcha_id, image, ttl = captcha.issue_captcha(session, 300, answer=answer)
    return captcha_id, image


def test_image_is_a_png_data_url_and_the_answer_is_not_stored(sqlite_db):
    captcha_id, image = _issue(sqlite_db)
    assert image.startswith("data:image/png;base64,iVBORw0KGgo")
    with sqlite_db.read() as session:
        row = session.get(Captcha, captcha_id)
        assert "AC347" not in row.answer_hash and len(row.answer_hash) == 64 and row.expires_at > now()


def test_right_answer_passes_once_case_insensitively(sqlite_db):
    captcha_id, _ = _issue(sqlite_db)
    captcha.check_captcha(sqlite_db, captcha_id, " ac347 ")
    with pytest.raises(ApiError) as err:
        captcha.check_captcha(sqlite_db, captcha_id, "AC347")
    assert err.value.status == 400 and err.value.code == "invalid_captcha"


def test_a_wrong_answer_spends_the_captcha(sqlite_db):
    captcha_id, _ = _issue(sqlite_db)
    with pytest.raises(ApiError):
        captcha.check_captcha(sqlite_db, captcha_id, "XXXXX")
    with pytest.raises(ApiError):
        captcha.check_captcha(sqlite_db, captcha_id, "AC347")


def test_expired_and_unknown_captchas_fail(sqlite_db):
    captcha_id, _ = _issue(sqlite_db)
    with sqlite_db.write() as session:
        session.execute(update(Captcha).values(expires_at=now() - timedelta(seconds=1)))
    for cid, code in ((captcha_id, "AC347"), ("unknown", "AC347"), (None, "AC347"), (captcha_id, "")):
        with pytest.raises(ApiError) as err:
            captcha.check_captcha(sqlite_db, cid, code)
        assert err.value.code == "invalid_captcha"


def test_bypass_code_only_when_configured(sqlite_db):
    captcha.check_captcha(sqlite_db, "anything", "pass-1234", bypass_code="pass-1234")
    with pytest.raises(ApiError):
        captcha.check_captcha(sqlite_db, "anything", "pass-1234", bypass_code=None)
    with pytest.raises(ApiError):
        captcha.check_captcha(sqlite_db, "anything", "pass-123", bypass_code="pass-1234")


def test_prune_removes_long_expired_captchas(sqlite_db):
    _issue(sqlite_db)
    old, _ = _issue(sqlite_db)
    with sqlite_db.write() as session:
        session.execute(update(Captcha).where(Captcha.id == old).values(expires_at=now() - timedelta(hours=2)))
        assert captcha.prune_captchas(session) == 1
    with sqlite_db.read() as session:
        assert len(session.scalars(select(Captcha.id)).all()) == 1


def test_key_file_is_private_and_shared_by_racing_workers(tmp_path):
    keys_dir = tmp_path / "keys"
    kids, errors = [], []

    def load():
        try:
            kids.append(KeyRing.load(keys_dir).kid)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(kids)) == 1
    assert stat.S_IMODE(os.stat(keys_dir / "signing.pem").st_mode) == 0o600
    assert [p.name for p in keys_dir.iterdir()] == ["signing.pem"]


def test_rotation_keeps_the_old_key_verifying(tmp_path):
    keys_dir = tmp_path / "keys"
    old = KeyRing.load(keys_dir)
    token = old.encode({"iss": "campus-careers-auth", "aud": "campus-careers", "sub": "1", "typ": "access",
                        "iat": int(now().timestamp()), "exp": int(now().timestamp()) + 60})
    new_kid = KeyRing.rotate(keys_dir)
    new = KeyRing.load(keys_dir)
    assert new.kid == new_kid != old.kid
    assert {k["kid"] for k in new.jwks()["keys"]} == {old.kid, new.kid}
    assert new.decode(token)["sub"] == "1"


def test_env_key_overrides_the_file(tmp_path):
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    ring = KeyRing.load(tmp_path / "unused", pem=pem.replace("\n", "\\n"))
    assert not (tmp_path / "unused").exists()
    token = ring.encode({"sub": "1"})
    assert jwt.decode(token, private.public_key(), algorithms=["EdDSA"])["sub"] == "1"
    assert jwt.get_unverified_header(token)["kid"] == ring.kid == ring.jwks()["keys"][0]["kid"]


def test_tokens_of_other_keys_or_algorithms_are_refused(tmp_path):
    ring = KeyRing.load(tmp_path / "keys")
    stranger = KeyRing(Ed25519PrivateKey.generate())
    claims = {"iss": "campus-careers-auth", "aud": "campus-careers", "sub": "1", "typ": "access",
              "iat": int(now().timestamp()), "exp": int(now().timestamp()) + 60}
    forged = jwt.encode(claims, stranger.active, algorithm="EdDSA", headers={"kid": ring.kid})
    hs = jwt.encode(claims, "secret", algorithm="HS256", headers={"kid": ring.kid})
    for token in (forged, hs, "not.a.token"):
        with pytest.raises(ApiError) as err:
            ring.decode(token)
        assert err.value.status == 401
