"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

Structure (18 characters):
    1     登记管理部门代码 (registration authority, e.g. 9 = 工商/市场监管)
    2     机构类别代码 (organisation type, e.g. 1 = 企业)
    3-8   登记管理机关行政区划码 (GB/T 2260 division code)
    9-17  主体标识码 (organisation code, GB 11714)
    18    校验码 (check character)

Check character (GB 32100-2015 §5 and Annex): characters map to values 0-30 over the alphabet
``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V); weights W_i = 3^(i-1) mod 31 for positions
1-17; C18 = 31 - (Σ C_i·W_i mod 31), with 31 → 0.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

# GB 11714-1997 organisation code check digit: weights and modulus.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class UsccError(ValueError):
    """A code that is not a valid 统一社会信用代码; ``reason`` says why, in English and Chinese."""

    code: str
    reason: str

    def __str__(self) -> str:
        return f"invalid 统一社会信用代码 {self.code!r}: {self.reason}"


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise UsccError(first17, "need exactly 17 characters to compute the check character")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise UsccError(first17, f"character {exc.args[0]!r} is not allowed") from None
    return ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_digit(first8: str) -> str:
    """GB 11714 check digit for an 8-character 组织机构代码 body (digits or capital letters)."""

    def value(ch: str) -> int:
        return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10

    remainder = 11 - sum(value(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def normalise(code: str) -> str:
    """Strip blanks and upper-case; full-width letters and digits are folded to ASCII."""
    folded = "".join(
        chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in code.strip()
    )
    return folded.replace(" ", "").upper()


def validate(code: str) -> str:
    """Return the normalised code, or raise :class:`UsccError` naming what is wrong."""
    value = normalise(code)
    if len(value) != 18:
        raise UsccError(code, f"must have 18 characters, got {len(value)} / 应为18位")
    bad = [ch for ch in value if ch not in _VALUE]
    if bad:
        raise UsccError(code, f"character {bad[0]!r} is not allowed / 含非法字符")
    if not value[2:8].isdigit():
        raise UsccError(
            code, "characters 3-8 must be a GB/T 2260 division code / 行政区划码应为数字"
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise UsccError(code, f"check character should be {expected!r} / 校验码错误")
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except UsccError:
        return False
    return True


def compose(authority: str, org_type: str, division: str, org_body8: str) -> str:
    """Build a full code from its parts, computing both check characters (used by demo data)."""
    org_code = org_body8 + organisation_code_check_digit(org_body8)
    first17 = f"{authority}{org_type}{division}{org_code}"
    return first17 + check_character(first17)
