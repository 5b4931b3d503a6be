"""统一社会信用代码 (unified social credit code) per GB 32100-2015: 18 characters, the last a check character."""
from __future__ import annotations

import re

# GB 32100-2015 alphabet: digits and capitals without I, O, S, V, Z (31 characters, values 0–30).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize(raw: str) -> str:
    """Upper-case and drop the spaces/hyphens people paste from licences."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (C18 = 31 - Σ(Ci·Wi) mod 31, where 31 maps to 0)."""
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS))
    value = 31 - total % 31
    return ALPHABET[0 if value == 31 else value]


def is_valid(code: str) -> bool:
    """True for a well-formed code whose check character matches (positions 3–8 are the region code)."""
    code = normalize(code)
    if len(code) != 18 or not _SHAPE.match(code):
        return False
    return check_character(code[:17]) == code[17]
