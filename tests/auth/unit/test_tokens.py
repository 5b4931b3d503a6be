"""Access-token claims, refresh-token rotation and reuse detection, logout, employer approval gate."""
import jwt
import pytest
from sqlalchemy import select, update

from cc_kit.config import JWT_AUDIENCE, JWT_ISSUER
from cc_kit.errors import ApiError
from services.auth.domain import login, staff, tokens
from services.auth.domain.common import now
from services.auth.models import RefreshToken

from .helpers import STUDENT_PASSWORD, employer, student


def _verify(keyring, token):
    jwks = jwt.PyJWKSet.from_dict(keyring.jwks())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return jwt.decode(token, key.key, algorithms=["EdDSA"], audience=JWT_AUDIENCE, issuer=JWT_ISSUER)


def _login_student(db, keyring, config):
    return login.authenticate(db, keyring, config, username="2022010101", password=STUDENT_PASSWORD,
                              school_code="10001")


def test_student_access_token_claims(sqlite_db, keyring, config):
    user_id = student(sqlite_db)
    pair = _login_student(sqlite_db, keyring, config)
    claims = _verify(keyring, pair["access_token"])
    assert claims["sub"] == str(user_id) and claims["typ"] == "access" and claims["role"] == "student"
    assert (claims["school_code"], claims["student_no"], claims["college"]) == ("10001", "2022010101", "计算机学院")
    assert claims["name"] == "张伟" and claims["jti"]
    assert claims["exp"] - claims["iat"] == 15 * 60 == pair["expires_in"]
    assert jwt.get_unverified_header(pair["access_token"])["alg"] == "EdDSA"


def test_staff_and_employer_claims(sqlite_db, keyring, config):
    admin_id, _ = staff.ensure_admin(sqlite_db, email="a@x.example", password="Admin#2026x", name="管理员",
                                     school_code="10001", only_if_none=False)
    staff.create_staff(sqlite_db, role="college_admin", email="c@x.example", name="院管", password="College#2026",
                       phone=None, school_code="10001", college="计算机学院", created_by=admin_id)
    claims = _verify(keyring, login.authenticate(sqlite_db, keyring, config, username="C@X.example",
                                                 password="College#2026")["access_token"])
    assert (claims["role"], claims["school_code"], claims["college"]) == ("college_admin", "10001", "计算机学院")
    created = employer(sqlite_db, approve_by=admin_id)
    claims = _verify(keyring, login.authenticate(sqlite_db, keyring, config, username="hr@xinghe-tech.example",
                                                 password="Employer#2026")["access_token"])
    assert claims["role"] == "employer" and claims["employer_id"] == created["id"]
    assert claims["org_name"] == "星河科技（深圳）有限公司"


def test_pending_employer_gets_no_tokens(sqlite_db, keyring, config):
    employer(sqlite_db)
    with pytest.raises(ApiError) as err:
        login.authenticate(sqlite_db, keyring, config, username="hr@xinghe-tech.example", password="Employer#2026")
    assert err.value.status == 403 and err.value.code == "employer_not_approved"
    assert err.value.extra["employer_status"] == "pending"


def test_rotation_and_reuse_revokes_the_family(sqlite_db, keyring, config):
    student(sqlite_db)
    first = _login_student(sqlite_db, keyring, config)
    second = tokens.refresh_session(sqlite_db, keyring, config, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    third = tokens.refresh_session(sqlite_db, keyring, config, second["refresh_token"])
    # The rotated `first` comes back: someone holds a copy → the whole family dies, `third` included.
    with pytest.raises(ApiError) as err:
        tokens.refresh_session(sqlite_db, keyring, config, first["refresh_token"])
    assert err.value.status == 401 and err.value.code == "refresh_token_reused"
    with pytest.raises(ApiError) as err:
        tokens.refresh_session(sqlite_db, keyring, config, third["refresh_token"])
    assert err.value.code == "invalid_refresh_token"
    # Another login (another family) is unaffected.
    other = _login_student(sqlite_db, keyring, config)
    assert tokens.refresh_session(sqlite_db, keyring, config, other["refresh_token"])["role"] == "student"


def test_refresh_tokens_are_stored_hashed(sqlite_db, keyring, config):
    student(sqlite_db)
    pair = _login_student(sqlite_db, keyring, config)
    with sqlite_db.read() as session:
        stored = session.scalars(select(RefreshToken.token_hash)).all()
    assert pair["refresh_token"] not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_expired_refresh_token(sqlite_db, keyring, config):
    student(sqlite_db)
    pair = _login_student(sqlite_db, keyring, config)
    with sqlite_db.write() as session:
        session.execute(update(RefreshToken).values(expires_at=now()))
    with pytest.raises(ApiError) as err:
        tokens.refresh_session(sqlite_db, keyring, config, pair["refresh_token"])
    assert err.value.code == "refresh_token_expired"


def test_logout_revokes_the_session(sqlite_db, keyring, config):
    student(sqlite_db)
    pair = _login_student(sqlite_db, keyring, config)
    rotated = tokens.refresh_session(sqlite_db, keyring, config, pair["refresh_token"])
    with sqlite_db.write() as session:
        assert tokens.logout(session, rotated["refresh_token"])
        assert not tokens.logout(session, "never-issued")
    with pytest.raises(ApiError) as err:
        tokens.refresh_session(sqlite_db, keyring, config, rotated["refresh_token"])
    assert err.value.code == "invalid_refresh_token"


def test_access_token_is_not_a_registration_token(sqlite_db, keyring, config):
    from services.auth.domain.registration import complete_registration

    student(sqlite_db)
    pair = _login_student(sqlite_db, keyring, config)
    with pytest.raises(ApiError) as err:
        complete_registration(sqlite_db, keyring, registration_token=pair["access_token"], password="Campus#2027",
                              phone="13800000000", email="x@y.example")
    assert err.value.code == "invalid_registration_token"
