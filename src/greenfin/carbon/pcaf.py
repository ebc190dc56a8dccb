"""PCAF financed emissions: PCAF Part A, 2nd edition (December 2022).

One vectorised Polars pass over a book of positions (listed equity, corporate bonds, business
loans, unlisted equity, project finance, commercial real estate, mortgages, motor vehicle loans,
sovereign debt) computes each position's attribution factor, its financed scope 1, 2 and 3
emissions and its PCAF data-quality score; :func:`summarise` aggregates per asset class and per
sector (absolute emissions, outstanding-weighted data quality, economic intensity, WACI).

Every rule here is read from the standard's text (PCAF 2022, chapters 4-6 and Annex 10.1); the
asset-class numbers and parameters (data-quality scores, scope-3 phase-in by NACE division) are
data files under ``reference/data/carbon`` with their source and edition on each row. Points the
standard leaves open (attribution above 100 %, a data-quality change after a fallback) are
:class:`PcafConfig` settings with conservative defaults; ``reference/data/carbon/PCAF.md`` lists
them.

Input problems are never turned into zeros: :func:`financed_emissions` checks every row first and
raises :class:`PcafInputError` with every problem (1-based row and field) when any is found. The
fallbacks the standard prescribes are applied and reported per row (``fallback_applied`` and
``fallback_dq_effect``).

References
----------
PCAF (2022). The Global GHG Accounting and Reporting Standard Part A: Financed Emissions.
Second Edition. Partnership for Carbon Accounting Financials.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import polars as pl

from greenfin.reference import data_rows

EDITION = "PCAF Part A 2nd edition (December 2022)"
DQ_FILE = "pcaf_data_quality.csv"
PHASE_IN_FILE = "pcaf_scope3_phase_in.csv"

LISTED_EQUITY = "listed_equity"
CORPORATE_BOND = "corporate_bond"
BUSINESS_LOAN = "business_loan"
UNLISTED_EQUITY = "unlisted_equity"
PROJECT_FINANCE = "project_finance"
COMMERCIAL_REAL_ESTATE = "commercial_real_estate"
MORTGAGE = "mortgage"
MOTOR_VEHICLE_LOAN = "motor_vehicle_loan"
SOVEREIGN_DEBT = "sovereign_debt"

ASSET_CLASSES: tuple[str, ...] = (
    LISTED_EQUITY,
    CORPORATE_BOND,
    BUSINESS_LOAN,
    UNLISTED_EQUITY,
    PROJECT_FINANCE,
    COMMERCIAL_REAL_ESTATE,
    MORTGAGE,
    MOTOR_VEHICLE_LOAN,
    SOVEREIGN_DEBT,
)
DQ_OPTIONS: tuple[str, ...] = ("1a", "1b", "2a", "2b", "3", "3a", "3b", "3c")

# Corporate and project classes: options 1a-3c (Tables 5-3, 5-7, 5-10). Option 2a covers scope 1
# and 2 only (footnotes 69, 102, 128); options 3b and 3c know only the outstanding amount.
COMPANY_CLASSES: tuple[str, ...] = (
    LISTED_EQUITY,
    CORPORATE_BOND,
    BUSINESS_LOAN,
    UNLISTED_EQUITY,
    PROJECT_FINANCE,
)
# Balance-sheet denominators (total equity + debt) with the negative-equity rule and the
# total-assets fallback (footnotes 57/59, 90/92, 121/123).
BALANCE_SHEET_CLASSES: tuple[str, ...] = (
    CORPORATE_BOND,
    BUSINESS_LOAN,
    UNLISTED_EQUITY,
    PROJECT_FINANCE,
)
# Buildings: scope 1 and 2 of the building's energy use only (sections 5.4, 5.5).
BUILDING_CLASSES: tuple[str, ...] = (COMMERCIAL_REAL_ESTATE, MORTGAGE)

CONTRACT_COLUMNS: tuple[str, ...] = (
    "position_id",
    "asset_class",
    "sector",
    "outstanding",
    "evic",
    "total_equity_plus_debt",
    "property_value_at_origination",
    "vehicle_value_at_origination",
    "ppp_gdp",
    "scope1_tco2e",
    "scope2_tco2e",
    "scope3_tco2e",
    "revenue",
    "dq_option",
)
NUMERIC_COLUMNS: tuple[str, ...] = (
    "outstanding",
    "evic",
    "total_equity_plus_debt",
    "property_value_at_origination",
    "vehicle_value_at_origination",
    "ppp_gdp",
    "scope1_tco2e",
    "scope2_tco2e",
    "scope3_tco2e",
    "revenue",
)
OPTIONAL_NUMERIC_COLUMNS: tuple[str, ...] = (
    "total_equity",
    "total_debt",
    "total_assets",
    "scope1_excl_lulucf_tco2e",
)
OPTIONAL_TEXT_COLUMNS: tuple[str, ...] = (
    "issuer_listed",
    "position_type",
    "scope3_dq_option",
    "emissions_basis",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "attribution_factor",
    "financed_scope1_tco2e",
    "financed_scope2_tco2e",
    "financed_scope3_tco2e",
    "dq_score",
)
EXTRA_COLUMNS: tuple[str, ...] = (
    "financed_scope1_excl_lulucf_tco2e",
    "denominator_used",
    "fallback_applied",
    "fallback_dq_effect",
    "scope3_required",
    "scope3_reported",
    "scope3_dq_score",
)

DENOMINATORS: tuple[str, ...] = (
    "evic",
    "total_equity_plus_debt",
    "total_assets",
    "property_value_at_origination",
    "vehicle_value_at_origination",
    "ppp_gdp",
    "none_vehicle_value_unknown",
    "none_emissions_on_outstanding",
)

FALLBACK_NEGATIVE_EQUITY = "negative_equity_set_to_zero"
FALLBACK_EQUITY_HOLDER = "negative_equity_no_attribution_to_equity"
FALLBACK_TOTAL_ASSETS = "total_assets_denominator"
FALLBACK_VEHICLE = "vehicle_value_unknown_full_attribution"
FALLBACK_CAPPED = "attribution_capped_at_one"
BASE_FALLBACKS: tuple[str, ...] = (
    FALLBACK_NEGATIVE_EQUITY,
    FALLBACK_EQUITY_HOLDER,
    FALLBACK_TOTAL_ASSETS,
    FALLBACK_VEHICLE,
)
# Fallbacks after which PCAF names no data-quality consequence; a score may be set by config.
CONFIGURABLE_DQ_FALLBACKS: tuple[str, ...] = (FALLBACK_TOTAL_ASSETS, FALLBACK_VEHICLE)

_AC = pl.Enum(list(ASSET_CLASSES))
_OPT = pl.Enum(list(DQ_OPTIONS))
_DEN = pl.Enum(list(DENOMINATORS))
_BASE_FB = pl.Enum(list(BASE_FALLBACKS))
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_NACE_DIVISION = r"^\s*(?:[A-Ua-u]\s*\.?\s*)?(\d{2})"
AF_TOLERANCE = 1e-9
DUPLICATE_ID = "duplicate position id / 编号重复"
PER_MILLION = 1e6


# --------------------------------------------------------------------------- errors and config


@dataclass(frozen=True)
class PcafProblem:
    """One input problem: ``row`` is the 1-based data row (None for a whole column)."""

    row: int | None
    field: str
    message: str


class PcafInputError(ValueError):
    """Input that the PCAF engine refuses; ``problems`` lists them (row and field).

    ``total`` counts every failing (row, check) pair; ``problems`` holds at most
    :attr:`PcafConfig.max_problems` of them.
    """

    def __init__(self, problems: list[PcafProblem], total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        shown = "; ".join(
            (f"row {p.row} " if p.row is not None else "") + f"{p.field}: {p.message}"
            for p in problems[:5]
        )
        more = f" (+{self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"{self.total} PCAF input problem(s): {shown}{more}")


@dataclass(frozen=True)
class PcafConfig:
    """Choices the PCAF 2nd edition leaves open; defaults are the conservative reading.

    Parameters
    ----------
    attribution_above_one : {"error", "cap"}
        An attribution factor above 1 (outstanding larger than the denominator). PCAF 2nd ed.
        prescribes no cap for these asset classes (its EVIC rationale, Box 5, is to avoid
        attributing more than 100 %): ``"error"`` refuses the row, ``"cap"`` sets the factor to 1
        and reports ``attribution_capped_at_one`` on the row.
    fallback_dq_score : mapping
        Data-quality score to apply (as a floor: the worse of this and the option's score) after
        a fallback for which PCAF names no score: ``total_assets_denominator`` (footnotes 59, 92,
        123) and ``vehicle_value_unknown_full_attribution`` (section 5.6). Empty by default: the
        score of the data-quality option is kept and the row says so.
    require_sovereign_excl_lulucf : bool
        Section 5.7: scope 1 of sovereigns "shall" be reported including and excluding LULUCF,
        so ``scope1_excl_lulucf_tco2e`` is required on sovereign rows unless this is False.
    balance_sheet_rel_tolerance : float
        Relative tolerance when ``total_equity_plus_debt`` and ``total_equity`` + ``total_debt``
        are both given and must agree.
    max_problems : int
        Most problems listed in :class:`PcafInputError` (the total is always counted).
    """

    attribution_above_one: Literal["error", "cap"] = "error"
    fallback_dq_score: Mapping[str, int] = field(default_factory=dict)
    require_sovereign_excl_lulucf: bool = True
    balance_sheet_rel_tolerance: float = 1e-6
    max_problems: int = 1000

    def __post_init__(self) -> None:
        if self.attribution_above_one not in ("error", "cap"):
            raise ValueError("attribution_above_one must be 'error' or 'cap'")
        for key, score in self.fallback_dq_score.items():
            if key not in CONFIGURABLE_DQ_FALLBACKS:
                raise ValueError(f"fallback_dq_score: unknown fallback {key!r}")
            if not isinstance(score, int) or not 1 <= score <= 5:
                raise ValueError(f"fallback_dq_score[{key!r}] must be an integer 1-5")
        if not self.balance_sheet_rel_tolerance >= 0:
            raise ValueError("balance_sheet_rel_tolerance must be >= 0")
        if self.max_problems < 1:
            raise ValueError("max_problems must be >= 1")


DEFAULT_CONFIG = PcafConfig()


# --------------------------------------------------------------------------- reference data


def _carbon_rows(name: str) -> list[dict[str, str]]:
    return data_rows("carbon", name)


@cache
def dq_scores() -> dict[tuple[str, str], int]:
    """PCAF data-quality score (1 best … 5 worst) by (asset class, option).

    Source: ``reference/data/carbon/pcaf_data_quality.csv`` (PCAF 2022 Tables 5-3, 5-7, 5-10,
    5-14, 5-15, 5-16, 5-26 and Annex 10.1).
    """
    table: dict[tuple[str, str], int] = {}
    for r in _carbon_rows(DQ_FILE):
        if r["asset_class"] not in ASSET_CLASSES or r["dq_option"] not in DQ_OPTIONS:
            raise ValueError(f"{DQ_FILE}: unknown asset class or option in {r}")
        table[(r["asset_class"], r["dq_option"])] = int(r["score"])
    return table


@dataclass(frozen=True)
class Scope3PhaseIn:
    """Scope-3 phase-in (PCAF 2022 Tables 5-2 and 5-6): first report-publication year per NACE
    Rev. 2 division, and the asset classes it applies to."""

    division_year: Mapping[int, int]
    asset_classes: tuple[str, ...]
    all_sectors_year: int


@cache
def scope3_phase_in() -> Scope3PhaseIn:
    """Load ``pcaf_scope3_phase_in.csv`` (NACE L2 ranges → first year scope 3 is required)."""
    years: dict[int, int] = {}
    classes: set[str] = set()
    for r in _carbon_rows(PHASE_IN_FILE):
        first, last, year = int(r["nace_from"]), int(r["nace_to"]), int(r["from_year"])
        for division in range(first, last + 1):
            years[division] = min(year, years.get(division, year))
        classes.update(r["asset_classes"].split())
    unknown = classes - set(ASSET_CLASSES)
    if unknown:
        raise ValueError(f"{PHASE_IN_FILE}: unknown asset classes {sorted(unknown)}")
    all_year = max(years.values()) if len(years) == 99 else 10_000
    ordered = tuple(c for c in ASSET_CLASSES if c in classes)
    return Scope3PhaseIn(years, ordered, all_year)


def provenance(config: PcafConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Method, parameter files (with sources and editions) and settings behind a result."""
    files = []
    for name in (DQ_FILE, PHASE_IN_FILE):
        rows = _carbon_rows(name)
        files.append(
            {
                "file": f"carbon/{name}",
                "rows": len(rows),
                "sources": sorted({r["source"] for r in rows}),
                "editions": sorted({r["edition"] for r in rows}),
            }
        )
    return {
        "method": EDITION,
        "files": files,
        "config": {
            "attribution_above_one": config.attribution_above_one,
            "fallback_dq_score": dict(config.fallback_dq_score),
            "require_sovereign_excl_lulucf": config.require_sovereign_excl_lulucf,
        },
    }


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class _Check:
    name: str
    field: str
    message: str
    mask: pl.Expr


def _in(column: str, values: tuple[str, ...]) -> pl.Expr:
    return pl.col(column).is_in(list(values))


def _column_problems(schema: pl.Schema) -> list[PcafProblem]:
    problems = [
        PcafProblem(None, c, "required column is missing / 缺少必填列")
        for c in CONTRACT_COLUMNS
        if c not in schema
    ]
    problems += [
        PcafProblem(None, c, "reserved output or internal column name / 列名与输出列冲突")
        for c in schema.names()
        if c.startswith("_") or c in RESULT_COLUMNS or c in EXTRA_COLUMNS
    ]
    for c in (*NUMERIC_COLUMNS, *OPTIONAL_NUMERIC_COLUMNS):
        if c in schema and not (schema[c].is_numeric() or schema[c] in (pl.String, pl.Null)):
            problems.append(PcafProblem(None, c, f"must be numeric, got {schema[c]} / 须为数值"))
    text_like = (pl.String, pl.Categorical, pl.Null)
    for c in ("asset_class", "dq_option", "sector", "scope3_dq_option", "position_type"):
        if c in schema and not (schema[c] in text_like or isinstance(schema[c], pl.Enum)):
            problems.append(PcafProblem(None, c, f"must be text, got {schema[c]} / 须为文本"))
    for c in ("emissions_basis",):
        if c in schema and schema[c] not in (pl.String, pl.Null):
            problems.append(PcafProblem(None, c, f"must be text, got {schema[c]} / 须为文本"))
    if "issuer_listed" in schema and schema["issuer_listed"] not in (
        pl.Boolean,
        pl.String,
        pl.Null,
    ):
        problems.append(
            PcafProblem(None, "issuer_listed", "must be boolean or true/false text / 须为布尔值")
        )
    return problems


def _as_enum(column: str, dtype: pl.Enum, schema: pl.Schema) -> pl.Expr:
    expr = pl.col(column)
    if schema[column] == pl.Null:
        return pl.lit(None, dtype=dtype)
    if schema[column] != pl.String:
        expr = expr.cast(pl.String)
    return expr.cast(dtype, strict=False)


def _normalise(lf: pl.LazyFrame, schema: pl.Schema) -> tuple[pl.LazyFrame, list[_Check]]:
    """Numeric columns to Float64 (text parsed), text codes to enums; parse checks."""
    checks: list[_Check] = []
    exprs: list[pl.Expr] = []
    for c in (*NUMERIC_COLUMNS, *OPTIONAL_NUMERIC_COLUMNS):
        if c not in schema:
            exprs.append(pl.lit(None, dtype=pl.Float64).alias(f"_{c}"))
            continue
        if schema[c] == pl.String:
            text = pl.col(c).str.strip_chars()
            parsed = text.cast(pl.Float64, strict=False)
            value = pl.when(text != "").then(parsed)
            # evaluated here, while the column is still text
            exprs.append(((text != "") & parsed.is_null()).alias(f"_bad_{c}"))
            bad = pl.col(f"_bad_{c}")
            checks.append(_Check(f"parse_{c}", c, "not a number / 不是数值", bad))
        else:
            value = pl.col(c).cast(pl.Float64)
        if schema[c] != pl.Float64:
            exprs.append(value.alias(c))
        exprs.append(value.alias(f"_{c}"))
    for c, dtype in (("asset_class", _AC), ("dq_option", _OPT)):
        exprs.append(_as_enum(c, dtype, schema).alias(f"_{c}"))
    if "scope3_dq_option" in schema:
        exprs.append(_as_enum("scope3_dq_option", _OPT, schema).alias("_scope3_dq_option"))
    else:
        exprs.append(pl.lit(None, dtype=_OPT).alias("_scope3_dq_option"))
    if "issuer_listed" in schema and schema["issuer_listed"] == pl.String:
        text = pl.col("issuer_listed").str.strip_chars().str.to_lowercase()
        exprs.append(
            pl.when(text.is_in(list(_TRUE)))
            .then(True)
            .when(text.is_in(list(_FALSE)))
            .then(False)
            .otherwise(None)
            .alias("_issuer_listed")
        )
        exprs.append(((text != "") & ~text.is_in([*_TRUE, *_FALSE])).alias("_bad_issuer_listed"))
        bad = pl.col("_bad_issuer_listed")
        checks.append(_Check("parse_listed", "issuer_listed", "not true/false / 须为是或否", bad))
    elif "issuer_listed" in schema and schema["issuer_listed"] == pl.Boolean:
        exprs.append(pl.col("issuer_listed").alias("_issuer_listed"))
    else:
        exprs.append(pl.lit(None, dtype=pl.Boolean).alias("_issuer_listed"))
    for c in ("position_type", "emissions_basis"):
        if c in schema and schema[c] != pl.Null:
            value = pl.col(c).cast(pl.String).str.strip_chars().str.to_lowercase()
            exprs.append(pl.when(value != "").then(value).alias(f"_{c}"))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(f"_{c}"))
    for c in ("sector",):
        if schema[c] == pl.Null:
            exprs.append(pl.lit(None, dtype=pl.String).alias("_sector"))
        else:
            exprs.append(pl.col(c).cast(pl.String).alias("_sector"))
    return lf.with_columns(exprs), checks


def _value_checks(config: PcafConfig, schema: pl.Schema) -> list[_Check]:
    """Checks on single values (before attribution)."""
    ac = pl.col("_asset_class")
    checks = [
        _Check("id_null", "position_id", "required / 必填", pl.col("position_id").is_null()),
        # Filled after collection by _duplicate_ids (a hash screen, exact check on a hit).
        _Check("id_dup", "position_id", DUPLICATE_ID, pl.lit(False)),
        _Check(
            "ac_unknown",
            "asset_class",
            f"unknown or missing asset class; one of {', '.join(ASSET_CLASSES)} / 资产类别无效",
            ac.is_null(),
        ),
        _Check(
            "opt_unknown",
            "dq_option",
            "unknown or missing data-quality option for this asset class / 数据质量选项无效",
            ac.is_not_null() & pl.col("_dq_score_base").is_null(),
        ),
        _Check(
            "opt3_unknown",
            "scope3_dq_option",
            "unknown data-quality option for this asset class / 范围三数据质量选项无效",
            ac.is_not_null()
            & pl.col("_scope3_dq_option").is_not_null()
            & pl.col("_scope3_score_given").is_null(),
        ),
        _Check(
            "opt3_text",
            "scope3_dq_option",
            "unknown data-quality option / 数据质量选项无效",
            (
                pl.col("scope3_dq_option").cast(pl.String).str.strip_chars().ne("")
                & pl.col("_scope3_dq_option").is_null()
            )
            if "scope3_dq_option" in schema and schema["scope3_dq_option"] != pl.Null
            else pl.lit(False),
        ),
        _Check("out_null", "outstanding", "required / 必填", pl.col("_outstanding").is_null()),
        _Check(
            "out_neg",
            "outstanding",
            "negative outstanding amount / 余额不能为负",
            pl.col("_outstanding") < 0,
        ),
        _Check("s1_null", "scope1_tco2e", "required / 必填", pl.col("_scope1_tco2e").is_null()),
        _Check(
            "s2_null",
            "scope2_tco2e",
            "required (scope 1 and 2 shall be reported) / 必填",
            pl.col("_scope2_tco2e").is_null() & ac.is_not_null() & (ac != SOVEREIGN_DEBT),
        ),
        _Check(
            "s3_building",
            "scope3_tco2e",
            "scope 3 is not part of the PCAF building methods (sections 5.4, 5.5) / "
            "建筑类资产不核算范围三",
            _in("_asset_class", BUILDING_CLASSES) & (pl.col("_scope3_tco2e") != 0),
        ),
        _Check(
            "lulucf_other",
            "scope1_excl_lulucf_tco2e",
            "only for sovereign debt / 仅适用于主权债",
            ac.is_not_null()
            & (ac != SOVEREIGN_DEBT)
            & pl.col("_scope1_excl_lulucf_tco2e").is_not_null(),
        ),
        _Check(
            "rev_other",
            "revenue",
            "revenue applies to companies and projects only / 营业收入仅适用于企业和项目",
            ac.is_not_null()
            & ~_in("_asset_class", COMPANY_CLASSES)
            & pl.col("_revenue").is_not_null(),
        ),
        _Check(
            "rev_nonpos",
            "revenue",
            "must be positive when given / 须为正数",
            pl.col("_revenue") <= 0,
        ),
        _Check(
            "scope12_only",
            "scope3_dq_option",
            "option 2a covers scope 1 and 2 only (PCAF fn 69, 102, 128): give the scope-3 "
            "option in scope3_dq_option / 选项2a不适用于范围三",
            _in("_asset_class", COMPANY_CLASSES)
            & pl.col("_scope3_tco2e").is_not_null()
            & (pl.coalesce("_scope3_dq_option", "_dq_option") == "2a"),
        ),
        _Check(
            "ptype",
            "position_type",
            "must be 'debt' or 'equity' / 须为debt或equity",
            pl.col("_position_type").is_not_null()
            & ~pl.col("_position_type").is_in(["debt", "equity"]),
        ),
        _Check(
            "basis_value",
            "emissions_basis",
            "must be 'counterparty' or 'outstanding' / 取值无效",
            pl.col("_emissions_basis").is_not_null()
            & ~pl.col("_emissions_basis").is_in(["counterparty", "outstanding"]),
        ),
        _Check(
            "basis_scope",
            "emissions_basis",
            "'outstanding' only with options 3b/3c of companies and projects (Annex 10.1) / "
            "仅适用于选项3b/3c",
            (pl.col("_emissions_basis") == "outstanding")
            & ~(_in("_asset_class", COMPANY_CLASSES) & pl.col("_dq_option").is_in(["3b", "3c"])),
        ),
    ]
    for c in (*NUMERIC_COLUMNS, *OPTIONAL_NUMERIC_COLUMNS):
        v = pl.col(f"_{c}")
        checks.append(
            _Check(
                f"finite_{c}",
                c,
                "not a finite number / 须为有限数值",
                v.is_not_null() & ~v.is_finite(),
            )
        )
    for c in ("scope1_tco2e", "scope2_tco2e", "scope3_tco2e", "scope1_excl_lulucf_tco2e"):
        checks.append(
            _Check(
                f"neg_{c}",
                c,
                "negative emissions (report removals separately, PCAF ch. 6) / 排放量不能为负",
                pl.col(f"_{c}") < 0,
            )
        )
    if config.require_sovereign_excl_lulucf:
        checks.append(
            _Check(
                "lulucf_missing",
                "scope1_excl_lulucf_tco2e",
                "sovereign scope 1 shall be reported including and excluding LULUCF "
                "(section 5.7) / 主权债须同时报告含与不含LULUCF的范围一",
                (ac == SOVEREIGN_DEBT) & pl.col("_scope1_excl_lulucf_tco2e").is_null(),
            )
        )
    return checks


def _denominator_checks(config: PcafConfig) -> list[_Check]:
    ac = pl.col("_asset_class")
    basis_out = pl.col("_basis_out")
    out = pl.col("_outstanding")
    evic = pl.col("_evic")
    tepd = pl.col("_total_equity_plus_debt")
    ta = pl.col("_total_assets")
    eq, debt = pl.col("_total_equity"), pl.col("_total_debt")
    has_comp = pl.col("_has_components")
    uses_evic, uses_bs = pl.col("_uses_evic"), pl.col("_uses_bs")
    rel = config.balance_sheet_rel_tolerance
    checks = [
        _Check(
            "evic_missing",
            "evic",
            "EVIC required for listed companies (sections 5.1, 5.2) / 上市公司须提供EVIC",
            uses_evic & ~basis_out & evic.is_null(),
        ),
        _Check("evic_nonpos", "evic", "must be positive / 须为正数", uses_evic & (evic <= 0)),
        _Check(
            "bs_missing",
            "total_equity_plus_debt",
            "missing: give total_equity_plus_debt, or total_equity and total_debt, or "
            "total_assets (PCAF fallback) / 缺少权益加负债",
            uses_bs & ~basis_out & pl.col("_bs_den").is_null(),
        ),
        _Check(
            "tepd_nonpos",
            "total_equity_plus_debt",
            "must be positive; with negative book equity give total_equity and total_debt so "
            "equity can be set to 0 (PCAF fn 57, 90, 121) / 须为正数",
            uses_bs & ~has_comp & (tepd <= 0),
        ),
        _Check(
            "ta_nonpos",
            "total_assets",
            "must be positive / 须为正数",
            uses_bs & ~has_comp & tepd.is_null() & (ta <= 0),
        ),
        _Check("debt_neg", "total_debt", "negative debt / 负债不能为负", uses_bs & (debt < 0)),
        _Check(
            "comp_zero",
            "total_debt",
            "book equity <= 0 and no debt: nothing to attribute the outstanding amount to / "
            "权益不为正且无负债",
            uses_bs
            & ~basis_out
            & has_comp
            & (pl.col("_bs_den") <= 0)
            & (out > 0)
            & ~pl.col("_equity_holder_neg"),
        ),
        _Check(
            "comp_mismatch",
            "total_equity_plus_debt",
            "does not match total_equity + total_debt / 与权益加负债不一致",
            uses_bs
            & has_comp
            & tepd.is_not_null()
            & ((tepd - (eq + debt)).abs() > rel * tepd.abs().clip(lower_bound=1.0))
            & ((tepd - pl.col("_bs_den")).abs() > rel * tepd.abs().clip(lower_bound=1.0)),
        ),
        _Check(
            "ptype_needed",
            "position_type",
            "negative project equity: say whether the position is debt or equity "
            "(PCAF fn 121) / 项目权益为负，须注明债权或股权",
            (ac == PROJECT_FINANCE) & has_comp & (eq < 0) & pl.col("_position_type").is_null(),
        ),
        _Check(
            "property_missing",
            "property_value_at_origination",
            "required; when the value at origination is unavailable use the latest value and "
            "keep it fixed (sections 5.4, 5.5) / 须提供发放时物业价值",
            _in("_asset_class", BUILDING_CLASSES)
            & pl.col("_property_value_at_origination").is_null(),
        ),
        _Check(
            "property_nonpos",
            "property_value_at_origination",
            "must be positive / 须为正数",
            _in("_asset_class", BUILDING_CLASSES) & (pl.col("_property_value_at_origination") <= 0),
        ),
        _Check(
            "vehicle_nonpos",
            "vehicle_value_at_origination",
            "must be positive when given (leave blank if unknown: 100 % attribution) / 须为正数",
            (ac == MOTOR_VEHICLE_LOAN) & (pl.col("_vehicle_value_at_origination") <= 0),
        ),
        _Check(
            "gdp_missing",
            "ppp_gdp",
            "PPP-adjusted GDP required for sovereign debt (section 5.7) / 须提供购买力平价GDP",
            (ac == SOVEREIGN_DEBT) & pl.col("_ppp_gdp").is_null(),
        ),
        _Check(
            "gdp_nonpos",
            "ppp_gdp",
            "must be positive / 须为正数",
            (ac == SOVEREIGN_DEBT) & (pl.col("_ppp_gdp") <= 0),
        ),
    ]
    if config.attribution_above_one == "error":
        checks.append(
            _Check(
                "af_above_one",
                "outstanding",
                "outstanding exceeds the denominator (attribution factor > 1); check the data "
                "or set attribution_above_one='cap' / 余额大于分母",
                pl.col("_af_raw") > 1.0 + AF_TOLERANCE,
            )
        )
    return checks


def _sector_check(reporting_year: int) -> list[_Check]:
    phase = scope3_phase_in()
    if reporting_year >= phase.all_sectors_year:
        return []
    return [
        _Check(
            "sector_nace",
            "sector",
            "NACE Rev. 2 division (e.g. 06, B06, 24.10) needed for the scope-3 phase-in "
            "(PCAF Tables 5-2, 5-6) / 须为NACE行业代码",
            _in("_asset_class", phase.asset_classes) & pl.col("_division").is_null(),
        )
    ]


# --------------------------------------------------------------------------- engine


def _nace_division(sector: pl.Expr) -> pl.Expr:
    """NACE Rev. 2 division (1-99) from codes like ``06``, ``06.10``, ``0610``, ``B06``, ``B.06``.

    The common form (two leading digits) takes a cheap slice; other text goes through the regex.
    """
    fast = sector.str.slice(0, 2).cast(pl.Int16, strict=False)
    fast = pl.when(fast.is_between(0, 99)).then(fast)
    slow = sector.str.extract(_NACE_DIVISION, 1).cast(pl.Int16)
    return pl.when(fast.is_null() & sector.is_not_null()).then(slow).otherwise(fast)


def _duplicate_ids(frame: pl.DataFrame) -> pl.Series | None:
    """Rows whose ``position_id`` repeats, or None when there are none.

    A sort over 64-bit hashes screens the column (``is_duplicated`` on ten million strings costs
    seconds); only when two hashes collide is the exact check run.
    """
    ids = pl.col("position_id")
    hashes = ids.hash().sort()
    if not frame.select((hashes == hashes.shift(1)).any()).item():
        return None
    exact = frame.select((ids.is_duplicated() & ids.is_not_null()).alias("d")).to_series()
    return exact if exact.any() else None


def _score_key(option: str) -> pl.Expr:
    return pl.col("_asset_class").to_physical().cast(pl.Int16) * len(DQ_OPTIONS) + pl.col(
        option
    ).to_physical().cast(pl.Int16)


def _score_lookup() -> dict[int, int]:
    return {
        ASSET_CLASSES.index(ac) * len(DQ_OPTIONS) + DQ_OPTIONS.index(opt): score
        for (ac, opt), score in dq_scores().items()
    }


def _fallback_effect(code: str, config: PcafConfig) -> str:
    if code in (FALLBACK_NEGATIVE_EQUITY, FALLBACK_EQUITY_HOLDER):
        return "PCAF rule (fn 57, 90, 121), not a data gap: score unchanged"
    if code == FALLBACK_CAPPED:
        return "configuration cap (not in PCAF 2nd ed.): score unchanged"
    score = config.fallback_dq_score.get(code)
    if score is None:
        return "PCAF prescribes no score change: score unchanged"
    return f"score floored at {score} by configuration"


def _fallback_columns(config: PcafConfig) -> list[pl.Expr]:
    base = pl.col("_fallback_base")
    capped = pl.col("_capped")
    labels: list[str] = []
    effects: list[str] = []
    applied = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    effect = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    for code in BASE_FALLBACKS:
        for cap in (False, True):
            label = f"{code}+{FALLBACK_CAPPED}" if cap else code
            text = _fallback_effect(code, config)
            if cap:
                text = f"{text}; {_fallback_effect(FALLBACK_CAPPED, config)}"
            labels.append(label)
            if text not in effects:
                effects.append(text)
            cond = (base == code) & (capped if cap else ~capped)
            applied = applied.when(cond).then(pl.lit(label))
            effect = effect.when(cond).then(pl.lit(text))
    cap_text = _fallback_effect(FALLBACK_CAPPED, config)
    labels.append(FALLBACK_CAPPED)
    if cap_text not in effects:
        effects.append(cap_text)
    applied = applied.when(base.is_null() & capped).then(pl.lit(FALLBACK_CAPPED))
    effect = effect.when(base.is_null() & capped).then(pl.lit(cap_text))
    return [
        applied.otherwise(None).cast(pl.Enum(labels)).alias("fallback_applied"),
        effect.otherwise(None).cast(pl.Enum(effects)).alias("fallback_dq_effect"),
    ]


def _floored(score: pl.Expr, config: PcafConfig) -> pl.Expr:
    out = score
    for code, floor in config.fallback_dq_score.items():
        out = (
            pl.when(pl.col("_fallback_base") == code)
            .then(pl.max_horizontal(score, pl.lit(floor, dtype=pl.Int8)))
            .otherwise(out)
        )
    return out.cast(pl.Int8)


def _plan(
    lf: pl.LazyFrame, schema: pl.Schema, reporting_year: int, config: PcafConfig
) -> tuple[pl.LazyFrame, list[_Check]]:
    lf, checks = _normalise(lf, schema)
    scores = _score_lookup()
    phase = scope3_phase_in()
    ac = pl.col("_asset_class")

    # Step 1: data-quality scores, NACE division, denominator components.
    eq, debt = pl.col("_total_equity"), pl.col("_total_debt")
    has_comp = eq.is_not_null() & debt.is_not_null()
    listed = pl.coalesce(pl.col("_issuer_listed"), pl.col("_evic").is_not_null())
    step1 = [
        _score_key("_dq_option")
        .replace_strict(scores, default=None, return_dtype=pl.Int8)
        .alias("_dq_score_base"),
        _score_key("_scope3_dq_option")
        .replace_strict(scores, default=None, return_dtype=pl.Int8)
        .alias("_scope3_score_given"),
        has_comp.alias("_has_components"),
        (pl.col("_emissions_basis") == "outstanding").fill_null(False).alias("_basis_out"),
        ((ac == LISTED_EQUITY) | (_in("_asset_class", (CORPORATE_BOND, BUSINESS_LOAN)) & listed))
        .fill_null(False)
        .alias("_uses_evic"),
        (
            _in("_asset_class", (UNLISTED_EQUITY, PROJECT_FINANCE))
            | (_in("_asset_class", (CORPORATE_BOND, BUSINESS_LOAN)) & ~listed)
        )
        .fill_null(False)
        .alias("_uses_bs"),
        pl.when(has_comp)
        .then(eq.clip(lower_bound=0.0) + debt)
        .otherwise(pl.coalesce("_total_equity_plus_debt", "_total_assets"))
        .alias("_bs_den"),
        (
            has_comp
            & (eq < 0)
            & (
                (ac == UNLISTED_EQUITY)
                | ((ac == PROJECT_FINANCE) & (pl.col("_position_type") == "equity"))
            )
        )
        .fill_null(False)
        .alias("_equity_holder_neg"),
    ]
    if reporting_year < phase.all_sectors_year:
        step1.append(_nace_division(pl.col("_sector")).alias("_division"))
        required = _in("_asset_class", phase.asset_classes) & (
            pl.col("_phase_year") <= reporting_year
        ).fill_null(False)
    else:
        required = _in("_asset_class", phase.asset_classes)
    lf = lf.with_columns(step1)
    if reporting_year < phase.all_sectors_year:
        lf = lf.with_columns(
            pl.col("_division")
            .replace_strict(dict(phase.division_year), default=None, return_dtype=pl.Int16)
            .alias("_phase_year")
        )

    # Step 2: denominator, its kind and the raw attribution factor.
    out = pl.col("_outstanding")
    uses_bs = pl.col("_uses_bs")
    vehicle_unknown = (ac == MOTOR_VEHICLE_LOAN) & pl.col("_vehicle_value_at_origination").is_null()
    den = (
        pl.when(pl.col("_basis_out"))
        .then(None)
        .when(pl.col("_uses_evic"))
        .then(pl.col("_evic"))
        .when(uses_bs)
        .then(pl.col("_bs_den"))
        .when(_in("_asset_class", BUILDING_CLASSES))
        .then(pl.col("_property_value_at_origination"))
        .when(ac == MOTOR_VEHICLE_LOAN)
        .then(pl.col("_vehicle_value_at_origination"))
        .when(ac == SOVEREIGN_DEBT)
        .then(pl.col("_ppp_gdp"))
    )
    den_kind = (
        pl.when(pl.col("_basis_out"))
        .then(pl.lit("none_emissions_on_outstanding", dtype=_DEN))
        .when(pl.col("_uses_evic"))
        .then(pl.lit("evic", dtype=_DEN))
        .when(
            uses_bs & (pl.col("_has_components") | pl.col("_total_equity_plus_debt").is_not_null())
        )
        .then(pl.lit("total_equity_plus_debt", dtype=_DEN))
        .when(uses_bs & pl.col("_total_assets").is_not_null())
        .then(pl.lit("total_assets", dtype=_DEN))
        .when(_in("_asset_class", BUILDING_CLASSES))
        .then(pl.lit("property_value_at_origination", dtype=_DEN))
        .when(vehicle_unknown)
        .then(pl.lit("none_vehicle_value_unknown", dtype=_DEN))
        .when(ac == MOTOR_VEHICLE_LOAN)
        .then(pl.lit("vehicle_value_at_origination", dtype=_DEN))
        .when(ac == SOVEREIGN_DEBT)
        .then(pl.lit("ppp_gdp", dtype=_DEN))
        .otherwise(pl.lit(None, dtype=_DEN))
    )
    fallback = (
        pl.when(pl.col("_basis_out"))
        .then(pl.lit(None, dtype=_BASE_FB))
        .when(pl.col("_equity_holder_neg"))
        .then(pl.lit(FALLBACK_EQUITY_HOLDER, dtype=_BASE_FB))
        .when(uses_bs & pl.col("_has_components") & (pl.col("_total_equity") < 0))
        .then(pl.lit(FALLBACK_NEGATIVE_EQUITY, dtype=_BASE_FB))
        .when(
            uses_bs
            & ~pl.col("_has_components")
            & pl.col("_total_equity_plus_debt").is_null()
            & pl.col("_total_assets").is_not_null()
        )
        .then(pl.lit(FALLBACK_TOTAL_ASSETS, dtype=_BASE_FB))
        .when(vehicle_unknown)
        .then(pl.lit(FALLBACK_VEHICLE, dtype=_BASE_FB))
        .otherwise(pl.lit(None, dtype=_BASE_FB))
    )
    lf = lf.with_columns(
        den.alias("_den"), den_kind.alias("denominator_used"), fallback.alias("_fallback_base")
    )
    af_raw = (
        pl.when(pl.col("_basis_out"))
        .then(None)
        .when(pl.col("_equity_holder_neg"))
        .then(0.0)
        .when(vehicle_unknown)
        .then(pl.when(out > 0).then(1.0).otherwise(0.0))
        .when(pl.col("_den") > 0)
        .then(out / pl.col("_den"))
        .when((pl.col("_den") == 0) & (out == 0))
        .then(0.0)
    )
    lf = lf.with_columns(af_raw.alias("_af_raw"))

    # Step 3: outputs.
    af_raw_col = pl.col("_af_raw")
    capped = (af_raw_col > 1.0 + AF_TOLERANCE).fill_null(False)
    af = af_raw_col.clip(upper_bound=1.0)
    basis_out = pl.col("_basis_out")
    scope3_allowed = ~_in("_asset_class", BUILDING_CLASSES)

    def financed(column: str) -> pl.Expr:
        value = pl.col(f"_{column}")
        return pl.when(basis_out).then(value).otherwise(af * value)

    dq = _floored(pl.col("_dq_score_base"), config)
    scope3_reported = (pl.col("_scope3_tco2e").is_not_null() & scope3_allowed).fill_null(False)
    scope3_score = _floored(pl.coalesce("_scope3_score_given", "_dq_score_base"), config)
    outputs = [
        af.alias("attribution_factor"),
        financed("scope1_tco2e").alias("financed_scope1_tco2e"),
        financed("scope2_tco2e").alias("financed_scope2_tco2e"),
        pl.when(scope3_allowed)
        .then(financed("scope3_tco2e"))
        .otherwise(None)
        .alias("financed_scope3_tco2e"),
        dq.alias("dq_score"),
        pl.when(ac == SOVEREIGN_DEBT)
        .then(financed("scope1_excl_lulucf_tco2e"))
        .otherwise(None)
        .alias("financed_scope1_excl_lulucf_tco2e"),
        required.fill_null(False).alias("scope3_required"),
        scope3_reported.alias("scope3_reported"),
        pl.when(scope3_reported).then(scope3_score).otherwise(None).alias("scope3_dq_score"),
        capped.alias("_capped")
        if config.attribution_above_one == "cap"
        else pl.lit(False).alias("_capped"),
    ]
    lf = lf.with_columns(outputs)
    lf = lf.with_columns(_fallback_columns(config))

    checks += _value_checks(config, schema)
    checks += _denominator_checks(config)
    if reporting_year < phase.all_sectors_year:
        checks += _sector_check(reporting_year)
    return lf, checks


def _collect_problems(
    frame: pl.DataFrame, checks: list[_Check], counts: dict[str, int], config: PcafConfig
) -> tuple[list[PcafProblem], int]:
    problems: list[PcafProblem] = []
    total = sum(counts.values())
    indexed = frame.with_row_index("_row", offset=1)
    for check in checks:
        if not counts[check.name] or len(problems) >= config.max_problems:
            continue
        take = config.max_problems - len(problems)
        value_col = check.field if check.field in frame.columns else None
        cols = ["_row", *([value_col] if value_col else [])]
        rows = indexed.filter(pl.col(f"_chk_{check.name}")).select(cols).head(take)
        for row in rows.iter_rows():
            value = row[1] if value_col else None
            shown = "" if value is None else f" (value: {value!r})"
            problems.append(PcafProblem(int(row[0]), check.field, check.message + shown))
    problems.sort(key=lambda p: (p.row or 0, p.field))
    return problems, total


def financed_emissions(
    positions: pl.DataFrame | pl.LazyFrame,
    reporting_year: int,
    config: PcafConfig = DEFAULT_CONFIG,
) -> pl.DataFrame:
    r"""Attribution factor, financed emissions and data-quality score per position.

    .. math::

        AF_i = \frac{\text{Outstanding}_i}{D_i}, \qquad
        \text{Financed}_{i,s} = AF_i \times E_{i,s} \quad (s = 1, 2, 3)

    with the denominator :math:`D_i` by asset class (PCAF 2022 section 5; equations in
    section 5 of the standard and Annex 10.1):

    ==========================  ===========================================================
    listed_equity               EVIC (5.1)
    corporate_bond              EVIC for listed issuers; total equity + debt otherwise (5.1)
    business_loan               total equity + debt; EVIC for listed borrowers (5.2)
    unlisted_equity             total equity + debt (5.2)
    project_finance             total equity + debt of the project (5.3)
    commercial_real_estate      property value at origination (5.4)
    mortgage                    property value at origination (5.5)
    motor_vehicle_loan          total vehicle value at origination (5.6)
    sovereign_debt              PPP-adjusted GDP (5.7)
    ==========================  ===========================================================

    Prescribed fallbacks, applied and reported in ``fallback_applied``: negative book equity is
    set to 0 (denominator = debt; an equity holder is attributed 0; fn 57, 90, 121); when debt
    or equity is unavailable the total assets are used (fn 59, 92, 123); a vehicle of unknown
    value is attributed 100 % (0 once repaid; 5.6).

    Parameters
    ----------
    positions : polars.DataFrame or polars.LazyFrame
        One row per position with the contract columns :data:`CONTRACT_COLUMNS` (blank/null
        where not applicable), all monetary columns in one currency and unit. Emissions in
        tCO2e of the counterparty (company, project, building, vehicle, country) for the GHG
        accounting period matching the financial period. ``sector`` is a NACE Rev. 2 / ISIC
        Rev. 4 code (division needed for the scope-3 phase-in before the all-sector year);
        ``scope1_tco2e`` of a sovereign includes LULUCF. Optional columns: ``total_equity``,
        ``total_debt`` (book values; negative-equity rule), ``total_assets`` (fallback),
        ``issuer_listed`` (bonds and loans: EVIC or balance sheet), ``position_type``
        (``debt``/``equity``, project finance), ``scope1_excl_lulucf_tco2e`` (sovereigns),
        ``scope3_dq_option`` (scope-3 option when it differs from ``dq_option``) and
        ``emissions_basis`` (``outstanding``: options 3b/3c, emissions already estimated on the
        outstanding amount, no attribution factor).
    reporting_year : int
        Year the report is published; scope 3 is required for the sectors phased in by then
        (Tables 5-2 and 5-6 are worded "for reports published in … onwards").
    config : PcafConfig, optional
        Settings for what the standard leaves open.

    Returns
    -------
    polars.DataFrame
        The input columns (numeric ones as Float64), then ``attribution_factor`` (0-1; null for
        ``emissions_basis = outstanding``), ``financed_scope1_tco2e``,
        ``financed_scope2_tco2e``, ``financed_scope3_tco2e`` (tCO2e; null where scope 3 is not
        given or not part of the method), ``dq_score`` (1-5), then
        ``financed_scope1_excl_lulucf_tco2e`` (sovereigns), ``denominator_used``,
        ``fallback_applied``, ``fallback_dq_effect``, ``scope3_required``, ``scope3_reported``
        and ``scope3_dq_score``.

    Raises
    ------
    PcafInputError
        With every problem (1-based row, field): missing columns, negative or non-numeric
        values, unknown asset class or data-quality option, missing denominator without a
        prescribed fallback, attribution factor above 1 (unless capped by configuration).

    References
    ----------
    PCAF (2022), Part A 2nd ed., sections 4.2, 5.1-5.7, 6 and Annex 10.1.
    """
    if not isinstance(reporting_year, int) or isinstance(reporting_year, bool):
        raise TypeError("reporting_year must be an int")
    if not 1990 <= reporting_year <= 2100:
        raise ValueError("reporting_year out of range (1990-2100)")
    lf = positions.lazy()
    schema = lf.collect_schema()
    problems = _column_problems(schema)
    if problems:
        raise PcafInputError(problems)
    planned, checks = _plan(lf, schema, reporting_year, config)
    planned = planned.with_columns(
        [c.mask.fill_null(False).alias(f"_chk_{c.name}") for c in checks]
    )
    frame = planned.collect()
    duplicates = _duplicate_ids(frame)
    if duplicates is not None:
        frame = frame.with_columns(duplicates.alias("_chk_id_dup"))
    mask_names = [f"_chk_{c.name}" for c in checks]
    counts_row = frame.select([pl.col(m).sum() for m in mask_names]).row(0)
    counts = {c.name: int(n) for c, n in zip(checks, counts_row, strict=True)}
    if any(counts.values()):
        found, total = _collect_problems(frame, checks, counts, config)
        raise PcafInputError(found, total)
    given = [c for c in schema.names() if not c.startswith("_chk_")]
    return frame.select([*given, *RESULT_COLUMNS, *EXTRA_COLUMNS])


# --------------------------------------------------------------------------- summary

SUMMARY_GROUPINGS: tuple[str, ...] = ("asset_class", "asset_class_sector", "sector", "total")


def summarise(result: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    r"""Totals per asset class, per asset class and sector, per sector and for the portfolio.

    .. math::

        DQ = \frac{\sum_i O_i \, S_i}{\sum_i O_i} \qquad
        EI = \frac{\sum_i F_i}{\sum_i O_i / 10^6} \qquad
        WACI = \sum_i \frac{O_i}{\sum_j O_j} \, \frac{E_{i,1} + E_{i,2}}{R_i / 10^6}

    :math:`O` outstanding, :math:`S` data-quality score, :math:`F` financed scope 1 + 2
    emissions, :math:`E` the counterparty's scope 1 and 2 emissions and :math:`R` its revenue.

    Parameters
    ----------
    result : polars.DataFrame or polars.LazyFrame
        Output of :func:`financed_emissions`.

    Returns
    -------
    polars.DataFrame
        One row per group: ``grouping`` (``asset_class``, ``asset_class_sector``, ``sector``,
        ``total``), ``asset_class``, ``sector``, ``positions``, ``outstanding`` (currency unit
        of the input), financed scope 1, 2, 1+2, 3 and sovereign scope 1 excluding LULUCF
        (tCO2e; null when no position of the group reports it), ``dq_score_weighted`` (scope 1
        and 2, Box 8) and ``dq_score_scope3_weighted`` (reported separately, chapter 6),
        ``economic_intensity_tco2e_per_million`` (scope 1 + 2 per million of the currency
        lent or invested; chapter 6 and Box 7) and the scope-3 equivalent over positions that
        report scope 3, ``waci_tco2e_per_million_revenue`` (TCFD weighted average carbon
        intensity of positions with revenue and counterparty emissions; Box 7) with
        ``waci_coverage`` (its share of outstanding), and counts of positions where scope 3 is
        required, where it is required but missing, and with a fallback applied.

    References
    ----------
    PCAF (2022), Part A 2nd ed., chapter 6 (emission intensity, data quality, Box 7, Box 8).
    """
    lf = result.lazy()
    names = lf.collect_schema().names()
    needed = (
        "asset_class",
        "sector",
        "outstanding",
        "scope1_tco2e",
        "scope2_tco2e",
        "revenue",
        *RESULT_COLUMNS,
        *EXTRA_COLUMNS,
    )
    missing = [c for c in needed if c not in names]
    if missing:
        raise PcafInputError(
            [
                PcafProblem(None, c, "not a financed_emissions result column / 缺少列")
                for c in missing
            ]
        )
    out = pl.col("outstanding")
    s12 = pl.col("financed_scope1_tco2e") + pl.col("financed_scope2_tco2e").fill_null(0.0)
    intensity = (pl.col("scope1_tco2e") + pl.col("scope2_tco2e").fill_null(0.0)) / (
        pl.col("revenue") / PER_MILLION
    )
    base = lf.select(
        pl.col("asset_class").cast(pl.String),
        pl.col("sector").cast(pl.String),
        out,
        pl.col("financed_scope1_tco2e"),
        pl.col("financed_scope2_tco2e"),
        s12.alias("_s12"),
        pl.col("financed_scope3_tco2e"),
        pl.col("financed_scope1_excl_lulucf_tco2e"),
        (out * pl.col("dq_score")).alias("_dq_num"),
        pl.when(pl.col("scope3_reported")).then(out).otherwise(None).alias("_out3"),
        (out * pl.col("scope3_dq_score")).alias("_dq3_num"),
        pl.when((pl.col("revenue") > 0) & pl.col("attribution_factor").is_not_null())
        .then(intensity)
        .otherwise(None)
        .alias("_ci"),
        pl.col("scope3_required"),
        (pl.col("scope3_required") & ~pl.col("scope3_reported")).alias("_s3_missing"),
        pl.col("fallback_applied").is_not_null().alias("_fallback"),
    ).with_columns(
        pl.when(pl.col("_ci").is_not_null()).then(out).otherwise(None).alias("_out_ci"),
        (out * pl.col("_ci")).alias("_ci_num"),
    )

    # One pass over the positions at the finest grain (asset class x sector); every figure is
    # additive, so the coarser groupings re-aggregate that small table.
    sums = (
        "outstanding",
        "financed_scope1_tco2e",
        "financed_scope2_tco2e",
        "_s12",
        "financed_scope3_tco2e",
        "financed_scope1_excl_lulucf_tco2e",
        "_dq_num",
        "_out3",
        "_dq3_num",
        "_out_ci",
        "_ci_num",
    )
    reported = (
        "financed_scope1_tco2e",
        "financed_scope2_tco2e",
        "_s12",
        "financed_scope3_tco2e",
        "financed_scope1_excl_lulucf_tco2e",
    )
    counts = ("scope3_required", "_s3_missing", "_fallback")
    fine = (
        base.group_by("asset_class", "sector")
        .agg(
            pl.len().cast(pl.Int64).alias("positions"),
            *[pl.col(c).sum() for c in sums],
            *[pl.col(c).count().alias(f"_n{c}") for c in reported],
            *[pl.col(c).sum().cast(pl.Int64) for c in counts],
        )
        .collect()
    )
    coarse = [
        pl.col("positions").sum(),
        *[pl.col(c).sum() for c in sums],
        *[pl.col(f"_n{c}").sum() for c in reported],
        *[pl.col(c).sum() for c in counts],
    ]
    none = pl.lit(None, dtype=pl.String)
    parts = [
        fine.group_by("asset_class").agg(coarse).with_columns(none.alias("sector")),
        fine,
        fine.group_by("sector").agg(coarse).with_columns(none.alias("asset_class")),
        fine.select(coarse).with_columns(none.alias("asset_class"), none.alias("sector")),
    ]
    order = ["asset_class", "sector", "positions", *sums, *[f"_n{c}" for c in reported], *counts]
    table = pl.concat(
        [
            part.select(order).with_columns(pl.lit(g).alias("grouping"))
            for g, part in zip(SUMMARY_GROUPINGS, parts, strict=True)
        ],
        how="vertical",
    ).with_columns(
        *[pl.when(pl.col(f"_n{c}") > 0).then(pl.col(c)).alias(c) for c in reported],
        pl.col("scope3_required").alias("scope3_required_positions"),
        pl.col("_s3_missing").alias("scope3_missing_positions"),
        pl.col("_fallback").alias("fallback_positions"),
    )

    def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
        return pl.when(den > 0).then(num / den)

    positive = pl.col("outstanding")
    table = table.with_columns(pl.col("_s12").alias("financed_scope12_tco2e")).with_columns(
        ratio(pl.col("_dq_num"), positive).alias("dq_score_weighted"),
        ratio(pl.col("_dq3_num"), pl.col("_out3")).alias("dq_score_scope3_weighted"),
        ratio(pl.col("financed_scope12_tco2e"), positive / PER_MILLION).alias(
            "economic_intensity_tco2e_per_million"
        ),
        ratio(pl.col("financed_scope3_tco2e"), pl.col("_out3") / PER_MILLION).alias(
            "economic_intensity_scope3_tco2e_per_million"
        ),
        ratio(pl.col("_ci_num"), pl.col("_out_ci")).alias("waci_tco2e_per_million_revenue"),
        ratio(pl.col("_out_ci"), positive).alias("waci_coverage"),
        pl.col("grouping")
        .replace_strict({g: i for i, g in enumerate(SUMMARY_GROUPINGS)}, return_dtype=pl.Int8)
        .alias("_g"),
        pl.col("asset_class")
        .replace_strict(
            {a: i for i, a in enumerate(ASSET_CLASSES)}, default=99, return_dtype=pl.Int8
        )
        .alias("_a"),
    )
    table = table.sort(["_g", "_a", "sector"], nulls_last=True)
    return table.select(
        "grouping",
        "asset_class",
        "sector",
        "positions",
        "outstanding",
        "financed_scope1_tco2e",
        "financed_scope2_tco2e",
        "financed_scope12_tco2e",
        "financed_scope3_tco2e",
        "financed_scope1_excl_lulucf_tco2e",
        "dq_score_weighted",
        "dq_score_scope3_weighted",
        "economic_intensity_tco2e_per_million",
        "economic_intensity_scope3_tco2e_per_million",
        "waci_tco2e_per_million_revenue",
        "waci_coverage",
        "scope3_required_positions",
        "scope3_missing_positions",
        "fallback_positions",
    )


def intensity_per_gdp(emissions_mt: float, gdp_million: float) -> float:
    r"""Sovereign production-emissions intensity as printed in PCAF Table 5-23.

    .. math:: I = \frac{E_{Mt}}{GDP_{\$M}} \times 1000

    Emissions in Mt CO2e, GDP in millions (nominal USD or PPP-adjusted international dollars);
    the result is tCO2e per 1,000 of GDP. PCAF 2022 section 5.7, "Emissions intensities".
    """
    if not (math.isfinite(emissions_mt) and math.isfinite(gdp_million)) or gdp_million <= 0:
        raise ValueError("emissions must be finite and GDP positive")
    return emissions_mt / gdp_million * 1000.0
