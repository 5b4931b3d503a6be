"""Password hashing (argon2id at OWASP's parameters) and the password policy."""
from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cc_kit.errors import ApiError

# OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1 (≈35 ms here).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
MIN_LENGTH, MAX_LENGTH = 8, 128

# The most common leaked passwords that still pass the letters-and-digits rule.
COMMON = frozenset({
    "password1", "password123", "passw0rd", "p@ssw0rd", "abc12345", "abcd1234", "a1234567", "a12345678",
    "qwerty123", "qwer1234", "1qaz2wsx", "1q2w3e4r", "zaq12wsx", "asdf1234", "aa123456", "abc123456",
    "woaini1314", "iloveyou1", "admin123", "admin888", "123456abc", "123456aa", "12345678a", "1234qwer",
    "qq123456", "123qwe123", "test1234", "welcome1",
})


def hash_password(password: str) -> str:
    return HASHER.hash(password)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash("timing-equaliser-not-a-password-1")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (a missing hash verifies against a dummy)."""
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def policy_problems(password: str, identifiers: tuple[str | None, ...] = ()) -> list[str]:
    """What is wrong with a new password (empty list when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 位 (at least {MIN_LENGTH} characters)")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码最多 {MAX_LENGTH} 位 (at most {MAX_LENGTH} characters)")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("密码须同时包含字母和数字 (must contain letters and digits)")
    if password.strip() != password:
        problems.append("密码首尾不能是空格 (no leading or trailing spaces)")
    if len(set(password)) < 4:
        problems.append("密码过于简单 (too few distinct characters)")
    if password.lower() in COMMON:
        problems.append("密码过于常见 (too common)")
    lowered = password.lower()
    for ident in identifiers:
        ident = (ident or "").lower().split("@")[0]
        if len(ident) >= 4 and ident in lowered:
            problems.append("密码不能包含学号、邮箱或手机号 (must not contain your account identifiers)")
            break
    return problems


def check_policy(password: str, identifiers: tuple[str | None, ...] = (), field: str = "password") -> None:
    problems = policy_problems(password, identifiers)
    if problems:
        raise ApiError("密码不符合安全要求：" + "；".join(problems), status=422, code="weak_password",
                       errors={field: problems})
