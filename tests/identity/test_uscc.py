from hypothesis import given
from hypothesis import strategies as st

from greenfin.identity import uscc

# Codes published on the national enterprise credit information system for well-known companies.
PUBLISHED = [
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
]


def test_published_codes_validate_and_their_check_characters_are_reproduced():
    for code in PUBLISHED:
        assert uscc.validate(code) == code
        assert uscc.check_character(code[:17]) == code[17]
        # the embedded 组织机构代码 also carries a valid GB 11714 check digit
        assert uscc.organisation_code_check_digit(code[8:16]) == code[16]


def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)
    assert uscc.WEIGHTS[-1] == 28


def test_wrong_check_character_is_reported():
    try:
        uscc.validate("914403001922038217")
    except uscc.UsccError as exc:
        assert "check character should be '6'" in exc.reason
    else:
        raise AssertionError("accepted a wrong check character")


def test_length_and_alphabet_errors_are_named():
    for bad, fragment in [
        ("9144030019220382", "18 characters"),
        ("91440300192203821I", "not allowed"),
    ]:
        try:
            uscc.validate(bad)
        except uscc.UsccError as exc:
            assert fragment in exc.reason
        else:
            raise AssertionError(bad)


def test_normalise_folds_full_width_and_case():
    assert uscc.validate(" ９１３３０１００７９９６５５０５８b ") == "91330100799655058B"


body = st.text(alphabet="0123456789", min_size=8, max_size=8)
division = st.sampled_from(["110101", "110105", "110108", "110112", "440300"])


@given(body, division)
def test_composed_codes_are_valid(org_body, div):
    assert uscc.is_valid(uscc.compose("9", "1", div, org_body))


@given(body, division, st.integers(0, 17), st.sampled_from(uscc.ALPHABET))
def test_any_single_substitution_is_detected(org_body, div, position, replacement):
    """Weights 3^i mod 31 are never 0 mod 31 (31 is prime), so changing one character always
    changes the checksum: every single-character error is caught."""
    code = uscc.compose("9", "1", div, org_body)
    if code[position] == replacement:
        return
    altered = code[:position] + replacement + code[position + 1 :]
    if position < 17 and not altered[2:8].isdigit():
        return  # rejected earlier, for the division code; also fine
    assert not uscc.is_valid(altered)
