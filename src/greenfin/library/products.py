"""Green financial products as data: product types, financing types and eligibility rules.

Product types (能效贷款, 碳排放权质押贷款, 环境污染责任保险 …) live in
``reference/data/library/product_types.csv`` with their kind (loan / bond / lease / insurance /
guarantee), who may publish them (bank / insurer / guarantor), which financing types they serve and
a source per row. A product's eligibility rules are a small JSON document validated here
(:func:`validate_rules`); every problem names its field, e.g. ``rules.items[1]``.

Pure: no store, services or faces. Money in fen (integer), terms in months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from greenfin import reference
from greenfin.library.workflow import GRADE_ORDER
from greenfin.taxonomy import load_catalogue

EDITION = "green-finance-2025"
# Grades of the green project library, weakest first (非绿 < 浅绿 < 中绿 < 深绿).
GRADES: tuple[str, ...] = tuple(g.value for g in reversed(GRADE_ORDER))
GRADE_RANK: dict[str, int] = {g: i for i, g in enumerate(GRADES)}
KINDS = ("loan", "bond", "lease", "insurance", "guarantee")
ANY = "*"
RULE_KEYS = (
    "items", "categories", "min_grade", "amount_min_fen", "amount_max_fen", "term_min_months",
    "term_max_months", "districts", "sub_centre_only", "financing_types",
)  # fmt: skip
MAX_LIST = 400
MAX_FEN = 10**15  # 10 万亿元: anything larger is a typing error
MAX_TERM_MONTHS = 600


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class RulesError(ValueError):
    """Invalid product input; ``problems`` name each offending field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


@dataclass(frozen=True)
class ProductType:
    code: str
    name_zh: str
    name_en: str
    kind: str
    publisher_kinds: tuple[str, ...]
    serves_financing_types: tuple[str, ...]  # ("*",) = any
    rate_meaning: str  # interest | coupon | premium | fee
    description_zh: str
    source: str
    edition: str
    status: str

    def label(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class FinancingType:
    code: str
    name_zh: str
    name_en: str


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


@cache
def product_types() -> dict[str, ProductType]:
    """Product types keyed by code (``reference/data/library/product_types.csv``)."""
    out = {}
    for r in reference.data_rows("library", "product_types.csv"):
        if r["kind"] not in KINDS:
            raise ValueError(f"product_types.csv: {r['code']} has unknown kind {r['kind']!r}")
        out[r["code"]] = ProductType(
            code=r["code"], name_zh=r["name_zh"], name_en=r["name_en"], kind=r["kind"],
            publisher_kinds=_split(r["publisher_kinds"]),
            serves_financing_types=_split(r["serves_financing_types"]),
            rate_meaning=r["rate_meaning"], description_zh=r["description_zh"],
            source=r["source"], edition=r["edition"], status=r["status"],
        )  # fmt: skip
    return out


@cache
def financing_types() -> dict[str, FinancingType]:
    """Financing forms a project asks for (``financing_types.csv``, shared with the project
    library: project_loan, working_capital, green_bond, green_leasing …)."""
    return {
        r["code"]: FinancingType(r["code"], r["label_zh"], r["label_en"])
        for r in reference.data_rows("library", "financing_types.csv")
    }


@cache
def financing_aliases() -> dict[str, str]:
    """Code, Chinese and English label (lower case) → code."""
    index: dict[str, str] = {}
    for t in financing_types().values():
        for key in (t.code, t.name_zh, t.name_en.lower()):
            index[key] = t.code
    return index


def normalise_financing_type(value: str | None) -> str | None:
    """A financing type as a code (``项目贷款`` → ``project_loan``); unknown text → None."""
    if value is None:
        return None
    text = value.strip()
    return financing_aliases().get(text) or financing_aliases().get(text.lower())


@cache
def parameters() -> dict[str, float]:
    """Market parameters (``market_parameters.csv``): max_interested_default, rate_max_pct …"""
    return {
        r["key"]: float(r["value"]) for r in reference.data_rows("library", "market_parameters.csv")
    }


@cache
def _catalogue_codes() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """2025 catalogue codes by level (1, 2, 3)."""
    items = load_catalogue(EDITION).items.values()
    by_level: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}
    for item in items:
        by_level.setdefault(item.level, set()).add(item.code)
    return frozenset(by_level[1]), frozenset(by_level[2]), frozenset(by_level[3])


@cache
def district_codes() -> tuple[str, ...]:
    """Beijing's district codes (GB/T 2260), in reference-data order."""
    return tuple(d.code for d in reference.districts())


@cache
def _district_codes() -> frozenset[str]:
    return frozenset(district_codes())


@dataclass(frozen=True)
class EligibilityRules:
    """A product's eligibility rules. Empty lists and None bounds mean "no restriction".

    ``items``: 2025 catalogue level-3 codes (e.g. ``4.2.2``); ``categories``: level-1 or level-2
    codes (``4``, ``6.1``) — a project qualifies through either. ``min_grade``: 浅绿/中绿/深绿/非绿.
    Amount bounds in fen (inclusive), term bounds in months (inclusive). ``districts``: GB/T 2260
    codes; ``sub_centre_only``: the project must be in the city sub-centre (通州).
    ``financing_types``: codes the product serves; empty = the product type's default."""

    items: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_grade: str | None = None
    amount_min_fen: int | None = None
    amount_max_fen: int | None = None
    term_min_months: int | None = None
    term_max_months: int | None = None
    districts: tuple[str, ...] = ()
    sub_centre_only: bool = False
    financing_types: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form stored in ``products.rules_json``."""
        return {
            "items": list(self.items), "categories": list(self.categories),
            "min_grade": self.min_grade,
            "amount_min_fen": self.amount_min_fen, "amount_max_fen": self.amount_max_fen,
            "term_min_months": self.term_min_months, "term_max_months": self.term_max_months,
            "districts": list(self.districts), "sub_centre_only": self.sub_centre_only,
            "financing_types": list(self.financing_types),
        }  # fmt: skip


def _codes(raw: Any, name: str, problems: list[Problem]) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):  # "4.2.1, 4.2.2" from a form
        raw = [p for p in raw.replace("，", ",").replace(";", ",").split(",")]
    if not isinstance(raw, list | tuple):
        problems.append(Problem(name, "must be a list of codes"))
        return []
    if len(raw) > MAX_LIST:
        problems.append(Problem(name, f"at most {MAX_LIST} codes"))
        return []
    out: list[str] = []
    for i, value in enumerate(raw):
        if not isinstance(value, str):
            problems.append(Problem(f"{name}[{i}]", "must be a text code"))
            continue
        code = value.strip()
        if code and code not in out:
            out.append(code)
    return out


def _int(raw: Any, name: str, low: int, high: int, problems: list[Problem]) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        problems.append(Problem(name, "must be a whole number"))
        return None
    try:
        value = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        problems.append(Problem(name, f"{raw!r} is not a whole number"))
        return None
    if not low <= value <= high:
        problems.append(Problem(name, f"must be between {low} and {high}"))
        return None
    return value


def validate_rules(raw: dict[str, Any] | None, prefix: str = "rules") -> EligibilityRules:
    """Check a rules document; raise :class:`RulesError` naming every bad field.

    Unknown keys are refused (a typo must not silently widen a product's eligibility)."""
    raw = dict(raw or {})
    problems: list[Problem] = []
    unknown = sorted(set(raw) - set(RULE_KEYS))
    for key in unknown:
        problems.append(Problem(f"{prefix}.{key}", f"unknown rule; known: {', '.join(RULE_KEYS)}"))
    level1, level2, level3 = _catalogue_codes()

    items = _codes(raw.get("items"), f"{prefix}.items", problems)
    for i, code in enumerate(items):
        if code not in level3:
            hint = " (a category: put it under categories)" if code in level1 | level2 else ""
            problems.append(
                Problem(
                    f"{prefix}.items[{i}]", f"{code!r} is not a 2025 catalogue level-3 item{hint}"
                )
            )
    categories = _codes(raw.get("categories"), f"{prefix}.categories", problems)
    for i, code in enumerate(categories):
        if code not in level1 | level2:
            problems.append(
                Problem(f"{prefix}.categories[{i}]",
                        f"{code!r} is not a 2025 catalogue level-1 or level-2 code")
            )  # fmt: skip

    min_grade = raw.get("min_grade") or None
    if min_grade is not None and min_grade not in GRADE_RANK:
        problems.append(Problem(f"{prefix}.min_grade", f"choose one of {', '.join(GRADES)}"))
        min_grade = None

    bounds: dict[str, int | None] = {}
    for key, high in (
        ("amount_min_fen", MAX_FEN), ("amount_max_fen", MAX_FEN),
        ("term_min_months", MAX_TERM_MONTHS), ("term_max_months", MAX_TERM_MONTHS),
    ):  # fmt: skip
        bounds[key] = _int(raw.get(key), f"{prefix}.{key}", 1, high, problems)
    for low, high in (("amount_min_fen", "amount_max_fen"), ("term_min_months", "term_max_months")):
        lo, hi = bounds[low], bounds[high]
        if lo is not None and hi is not None and lo > hi:
            problems.append(Problem(f"{prefix}.{high}", f"must not be below {low} ({lo})"))

    districts = _codes(raw.get("districts"), f"{prefix}.districts", problems)
    known = _district_codes()
    for i, code in enumerate(districts):
        if code not in known:
            found = reference.find_district(code)
            if found is None:
                problems.append(
                    Problem(f"{prefix}.districts[{i}]", f"unknown Beijing district {code!r}")
                )
            else:
                districts[i] = found.code
    sub_centre = raw.get("sub_centre_only", False)
    if not isinstance(sub_centre, bool):
        problems.append(Problem(f"{prefix}.sub_centre_only", "must be true or false"))
        sub_centre = False
    tongzhou = next(d.code for d in reference.districts() if d.has_city_sub_centre)
    if sub_centre and districts and tongzhou not in districts:
        problems.append(
            Problem(f"{prefix}.sub_centre_only",
                    f"the city sub-centre lies in {tongzhou} (通州), which districts exclude")
        )  # fmt: skip

    types = _codes(raw.get("financing_types"), f"{prefix}.financing_types", problems)
    normalised: list[str] = []
    for i, value in enumerate(types):
        code = normalise_financing_type(value)
        if code is None:
            problems.append(
                Problem(f"{prefix}.financing_types[{i}]",
                        f"unknown financing type {value!r}; known: {', '.join(financing_types())}")
            )  # fmt: skip
        elif code not in normalised:
            normalised.append(code)
    if problems:
        raise RulesError(problems)
    return EligibilityRules(
        items=tuple(items), categories=tuple(categories), min_grade=min_grade,
        amount_min_fen=bounds["amount_min_fen"], amount_max_fen=bounds["amount_max_fen"],
        term_min_months=bounds["term_min_months"], term_max_months=bounds["term_max_months"],
        districts=tuple(dict.fromkeys(districts)), sub_centre_only=sub_centre,
        financing_types=tuple(normalised),
    )  # fmt: skip


def check_product(
    product_type: str,
    publisher_kind: str,
    rate_min_pct: float | None,
    rate_max_pct: float | None,
) -> ProductType:
    """The product type, if it exists and this kind of institution may publish it; rates sane."""
    problems: list[Problem] = []
    found = product_types().get(product_type)
    if found is None:
        problems.append(
            Problem("product_type", f"unknown product type; known: {', '.join(product_types())}")
        )
    elif publisher_kind not in found.publisher_kinds:
        problems.append(
            Problem("product_type",
                    f"{found.name_zh} is published by {'/'.join(found.publisher_kinds)}, "
                    f"not by a {publisher_kind}")
        )  # fmt: skip
    ceiling = parameters()["rate_max_pct"]
    for name, value in (("rate_min_pct", rate_min_pct), ("rate_max_pct", rate_max_pct)):
        if value is not None and not 0 <= value <= ceiling:
            problems.append(Problem(name, f"must be between 0 and {ceiling:g} (% per year)"))
    if (
        rate_min_pct is not None
        and rate_max_pct is not None
        and rate_min_pct > rate_max_pct
        and not problems
    ):
        problems.append(Problem("rate_max_pct", "must not be below rate_min_pct"))
    if problems:
        raise RulesError(problems)
    assert found is not None
    return found


def served_financing_types(rules: EligibilityRules, product_type: ProductType) -> tuple[str, ...]:
    """What the product serves: the rule when given, else the product type's default."""
    return rules.financing_types or product_type.serves_financing_types


def max_interested_default() -> int:
    """How many institutions may engage with one demand (``market_parameters.csv``)."""
    value = int(parameters()["max_interested_default"])
    if not 1 <= value <= int(parameters()["max_interested_limit"]):
        raise ValueError(f"market_parameters.csv: max_interested_default {value} out of range")
    return value
