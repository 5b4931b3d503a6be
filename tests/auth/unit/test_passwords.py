"""Password hashing parameters and the password policy."""
import pytest

from cc_kit.errors import ApiError
from services.auth.domain import passwords


def test_hash_is_argon2id_with_owasp_parameters():
    hashed = passwords.hash_password("Campus#2026")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(hashed, "Campus#2026")
    assert not passwords.verify_password(hashed, "Campus#2027")
    assert not passwords.needs_rehash(hashed)


def test_unknown_account_verifies_false_against_a_dummy():
    assert passwords.verify_password(None, "whatever1") is False
    assert passwords.verify_password("not-a-hash", "whatever1") is False


def test_weaker_hash_needs_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Campus#2026")
    assert passwords.needs_rehash(weak)
    assert passwords.verify_password(weak, "Campus#2026")


@pytest.mark.parametrize("candidate,fragment", [
    ("short1", "至少 8 位"),
    ("onlyletters", "字母和数字"),
    ("1234567890", "字母和数字"),
    ("abc12345", "过于常见"),
    ("a1a1a1a1a1", "过于简单"),
    (" Campus#2026 ", "空格"),
    ("x" * 120 + "1" * 9, "最多 128 位"),
    ("Zs2022010101!", "学号"),
])
def test_policy_rejects(candidate, fragment):
    with pytest.raises(ApiError) as err:
        passwords.check_policy(candidate, ("2022010101", "zhangsan@example.com"))
    assert err.value.status == 422 and err.value.code == "weak_password"
    assert fragment in err.value.message
    assert err.value.errors["password"]


def test_policy_accepts_a_reasonable_password():
    passwords.check_policy("Campus#2026", ("2022010101", "zhangsan@example.com", "13800138000"))
    passwords.check_policy("长城2026abcd", ())


def test_email_local_part_is_an_identifier():
    assert passwords.policy_problems("zhangsan2026", ("zhangsan@example.com",))
