"""统一社会信用代码 check character (GB 32100-2015) on real, published codes."""
import pytest

from services.auth.domain import credit_code

# Published on the companies' business licences (国家企业信用信息公示系统).
REAL_CODES = {
    "华为技术有限公司": "914403001922038216",
    "深圳市腾讯计算机系统有限公司": "9144030071526726XG",
    "阿里巴巴（中国）网络技术有限公司": "91330100799655058B",
    "小米科技有限责任公司": "91110108551385082Q",
}


@pytest.mark.parametrize("company,code", REAL_CODES.items())
def test_real_codes_pass(company, code):
    assert credit_code.is_valid(code), company
    assert credit_code.check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", list(REAL_CODES.values()))
def test_any_other_check_character_fails(code):
    for ch in credit_code.ALPHABET:
        if ch != code[17]:
            assert not credit_code.is_valid(code[:17] + ch)


def test_a_changed_body_character_is_caught():
    code = REAL_CODES["华为技术有限公司"]
    assert not credit_code.is_valid(code[:5] + ("1" if code[5] != "1" else "2") + code[6:])


def test_pasted_forms_are_normalized():
    assert credit_code.is_valid("9144 0300 7152 6726 xg")
    assert credit_code.is_valid("91440300-71526726-XG")
    assert credit_code.normalize(" 9144030071526726xg ") == "9144030071526726XG"


@pytest.mark.parametrize("code", [
    "", "91440300192203821", "9144030019220382166", "91440300192203821I",  # lengths, I not in the alphabet
    "9144O3001922038216",  # a letter where the region code must be digits
    "91440300192203821O", "ABCDEFGHJKLMNPQRTU", "我们是一家公司的信用代码一二三四五六",
])
def test_malformed_codes_fail(code):
    assert not credit_code.is_valid(code)


def test_check_value_31_maps_to_zero():
    # Σ(Ci·Wi) ≡ 0 (mod 31) gives 31 − 0 = 31, which the standard writes as "0".
    assert credit_code.check_character("00000000000000000") == "0"
