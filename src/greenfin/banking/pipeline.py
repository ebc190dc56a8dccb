"""The loan-book pipeline: one Polars plan from a validated loan book to a per-loan result.

validated book (:func:`greenfin.banking.loanbook.validate`)
  → screening with the taxonomy engine (distinct purpose × industry code screened once)
  → ``green_code`` / ``green_edition`` as :func:`greenfin.banking.statistics.with_screening`
  → comparison with the bank's own tag (``tag_comparison``)
  → CERF eligibility and loan-level annual reduction, where the book carries the data
  → PCAF financed emissions, where borrower data are supplied
  → statistics: the result frame *is* the input of :mod:`greenfin.banking.statistics`.

Screening is the one step that leaves Polars (the engine scores texts in NumPy); it runs on the
distinct ``(purpose, industry_code)`` pairs of the frame and is joined back, so a loan's result
depends only on its own row: the same loan gets the same result whichever partition it is in
(the Dask engine, :mod:`greenfin.engine.dask_engine`, relies on that). Everything else is one lazy
plan (:func:`plan`) of column expressions and small joins.

Result columns (the contract)
-----------------------------
Carried unchanged from the validated book (see ``reference/data/banking/loanbook_schema.csv``):

=============================== ========= ======== ===============================================
column                          type      unit     meaning
=============================== ========= ======== ===============================================
loan_id                         String             loan (借据) identifier, unique within the bank
bank                            String             lending bank as written in the book
borrower_uscc                   String             borrower 统一社会信用代码 (normalised)
borrower_name                   String             borrower name
industry_code                   String             GB/T 4754-2017 code
industry_section                String             GB/T 4754 门类 letter A–T
purpose                         String             loan purpose text (what was screened)
outstanding_fen                 Int64     fen      outstanding balance (1 CNY = 100 fen)
original_fen                    Int64     fen      original (contract / disbursed) amount
rate_pct                        Float64   %/yr     interest rate
originated_on, matures_on       Date               origination and maturity dates
status                          String             五级分类 正常/关注/次级/可疑/损失
collateral_type                 String             抵押/质押/保证/其他, null for credit loans
credit_or_secured               String             信用 or 担保
project_id                      String             project identifier, may be null
project_total_investment_fen    Int64     fen      project total investment, may be null
bank_green_tag                  Boolean            the bank's own green tag (null: not given)
bank_catalogue_code             String             catalogue code the bank assigned, may be null
bank_catalogue_edition          String             its edition (set when a code is given)
district                        String             Beijing district, GB/T 2260 code
in_city_sub_centre              Boolean            in the city sub-centre (通州区 only)
=============================== ========= ======== ===============================================

Added by the pipeline:

=============================== ========= ======== ===============================================
column                          type      unit     meaning
=============================== ========= ======== ===============================================
as_of                           Date               reporting date (null when not given)
screen_top_code                 String             best catalogue item of the screening edition
screen_top_score                Float64   score    its screening score (unitless, 4 decimals)
screen_verdict                  Enum               eligible / needs_evidence / not_eligible /
                                                   out_of_scope (:class:`~greenfin.taxonomy.
                                                   screening.Verdict`)
green_code                      String             ``screen_top_code`` when ``screen_verdict``
                                                   is in ``accept`` (default
                                                   :data:`DEFAULT_ACCEPT`: eligible,
                                                   needs_evidence), else null — the green loan
                                                   of :mod:`~greenfin.banking.statistics`
green_edition                   String             screening edition where ``green_code`` is set
tag_comparison                  Enum               agree_green / agree_not_green / bank_only
                                                   (bank green, platform not) / platform_only /
                                                   code_differs (both green, codes disagree)
cerf_area                       String             碳减排领域 as given in the book (optional
                                                   column), else null
cerf_sub_area                   String             sub-area as given in the book, else null
cerf_eligible                   Boolean            CERF (碳减排支持工具) eligible on
                                                   ``originated_on``; null when undeterminable
cerf_status                     Enum               verified / unverified (cerf_areas.csv status);
                                                   null when ``cerf_eligible`` is null
cerf_reason                     Enum               listed / expansion_category / not_listed /
                                                   unknown_area / before_tool_start /
                                                   no_cerf_area (the book gives no area)
project_annual_reduction_tco2e  Float64   tCO2e/yr the project's annual reduction as given in
                                                   the book (optional column), else null
loan_annual_reduction_tco2e     Float64   tCO2e/yr R_project × original amount / project total
                                                   investment (PBOC CERF rule); null + reason
reduction_reason                Enum               null when computed, else no_project_reduction /
                                                   invalid_project_reduction /
                                                   no_project_investment / loan_exceeds_investment
pcaf_attribution_factor         Float64   0–1      outstanding ÷ borrower EVIC (listed) or total
                                                   equity + debt (PCAF business loans)
financed_scope1_tco2e           Float64   tCO2e    attribution × borrower scope 1
financed_scope2_tco2e           Float64   tCO2e    attribution × borrower scope 2
pcaf_dq_score                   Int8      1–5      PCAF data-quality score (business_loan row of
                                                   pcaf_data_quality.csv for the dq option)
financed_emissions_reason       Enum               null when computed, else no_borrower_emissions /
                                                   no_borrower_denominator / invalid_borrower_data
                                                   / attribution_above_one
=============================== ========= ======== ===============================================

Extra columns of the book (other than the three optional inputs below) are dropped.

Optional inputs
---------------
The loan-book schema has no CERF or emissions fields, so by default the CERF and PCAF columns are
null with their reason; nothing is invented. A book may carry three extra columns (kept by
:func:`~greenfin.banking.loanbook.validate`, text or numbers): ``cerf_area``, ``cerf_sub_area``
(the bank's CERF classification of the loan, checked against ``carbon/cerf_areas.csv`` on
``originated_on`` by :func:`greenfin.carbon.cerf.eligible_frame`) and
``project_annual_reduction_tco2e``. Borrower emissions come from a separate frame
(:data:`BORROWER_COLUMNS`) keyed by ``borrower_uscc``.

Statistics on the result: :mod:`greenfin.banking.statistics` takes the frame as it is (platform
screening decides what is green); ``statistics.with_bank_tag(result)`` gives the same tables by
the banks' own tags, since ``bank_green_tag`` / ``bank_catalogue_code`` /
``bank_catalogue_edition`` are carried. Stack several books with an ``as_of`` each for growth.

Conventions (decisions, documented here)
----------------------------------------
- Platform side green (``accept``): a loan book carries no technical parameters, so the
  taxonomy engine confirms a loan (``eligible``) or rejects it on a threshold
  (``not_eligible``) only where the purpose text itself states the figure the item's criteria
  need (``greenfin.taxonomy.parameters``: "二星级绿色建筑", "NOx 35mg/m³"); most matched
  purposes come out ``needs_evidence``. The default therefore counts ``needs_evidence`` (the
  purpose matches a catalogue item, evidence still to be seen) as green;
  ``accept=("eligible",)`` is the strict reading of ``with_screening``, under which few loans
  are green. ``screen_verdict`` keeps the difference visible per loan.
- Bank side green: ``bank_green_tag`` is true (null counts as not green).
- Codes agree when the bank's code, mapped into the screening edition through the shipped
  crosswalk when it is of another edition (any linked item), is the platform's code, one of its
  ancestors or one of its descendants. A bank tag without a code, or with a code of an edition
  that has no data, cannot disagree on the code: both green → ``agree_green``.
- Loan-level reduction uses ``original_fen`` (the loan amount the PBOC rule names, 贷款金额),
  not the outstanding balance.
- Financed emissions: PCAF business loans, scope 1 and 2 only; scope 3 is not attempted
  (no GB/T 4754 → NACE mapping for the phase-in). The attribution factor uses the outstanding
  amount.

References
----------
.. [1] /work/shared/reference/methods.md §1, §3, §10; greenfin issue 5.
.. [2] PBOC CERF Q&A 2021-11-08 (reduction by 贷款占项目总投资的比例); see carbon/CERF.md.
.. [3] PCAF (2022) Part A, 2nd ed., section 5.2 (business loans), Table 5-7.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from typing import Any

import polars as pl
from pydantic import BaseModel

from greenfin.banking.loanbook import CREDIT, NON_PERFORMING, schema
from greenfin.banking.statistics import screening_input
from greenfin.carbon import cerf, pcaf
from greenfin.taxonomy import DEFAULT_EDITION, editions, load_catalogue
from greenfin.taxonomy.batch import screen_frame
from greenfin.taxonomy.crosswalk import links_between
from greenfin.taxonomy.screening import Verdict

FEN_PER_CNY = 100
TAG_COMPARISONS: tuple[str, ...] = (
    "agree_green",
    "agree_not_green",
    "bank_only",
    "platform_only",
    "code_differs",
)
CERF_REASONS: tuple[str, ...] = (
    "listed",
    "expansion_category",
    "not_listed",
    "unknown_area",
    "before_tool_start",
    "no_cerf_area",
)
CERF_STATUSES: tuple[str, ...] = ("verified", "unverified")  # the √√ assumption is not applied
REDUCTION_REASONS: tuple[str, ...] = (
    "no_project_reduction",
    "invalid_project_reduction",
    "no_project_investment",
    "loan_exceeds_investment",
)
EMISSIONS_REASONS: tuple[str, ...] = (
    "no_borrower_emissions",
    "no_borrower_denominator",
    "invalid_borrower_data",
    "attribution_above_one",
)
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)
OPTIONAL_INPUTS: tuple[str, ...] = ("cerf_area", "cerf_sub_area", "project_annual_reduction_tco2e")
BORROWER_COLUMNS: dict[str, pl.DataType] = {
    "borrower_uscc": pl.String(),  # key
    "scope1_tco2e": pl.Float64(),  # borrower's annual scope 1 emissions
    "scope2_tco2e": pl.Float64(),  # borrower's annual scope 2 emissions
    "evic_cny": pl.Float64(),  # listed borrowers: EVIC (PCAF), CNY; else null
    "total_equity_plus_debt_cny": pl.Float64(),  # unlisted borrowers, CNY
    "dq_option": pl.String(),  # PCAF option of the emissions: 1a, 1b, 2a, 2b, 3a
}
SCREEN_COLUMNS: tuple[str, ...] = ("screen_top_code", "screen_top_score", "screen_verdict")
# Verdicts that make a loan green for the platform. A loan book carries no technical parameters,
# so the engine can confirm no loan from its text alone (``eligible`` needs the criteria checked):
# a purpose that matches a catalogue item with evidence still to be seen (``needs_evidence``)
# counts as green by default; ``screen_verdict`` says which is which.
DEFAULT_ACCEPT: tuple[str, ...] = ("eligible", "needs_evidence")

_TAG = pl.Enum(list(TAG_COMPARISONS))
_CERF_REASON = pl.Enum(list(CERF_REASONS))
_CERF_STATUS = pl.Enum(list(CERF_STATUSES))
_REDUCTION = pl.Enum(list(REDUCTION_REASONS))
_EMISSIONS = pl.Enum(list(EMISSIONS_REASONS))
_VERDICT = pl.Enum(list(VERDICTS))
_KEYS = ("purpose", "industry_code")


class PipelineInputError(ValueError):
    """The frame is not a validated loan book (run :func:`greenfin.banking.loanbook.validate`
    first); ``problems`` lists ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"{f}: {m}" for f, m in problems[:5])
        super().__init__(f"not a validated loan book: {shown}")


# ---------------------------------------------------------------------------------------------
# The contract


@cache
def book_schema() -> dict[str, pl.DataType]:
    """Columns and types of a validated book (the output of ``loanbook.validate``)."""
    money = {"outstanding_cny", "original_cny", "project_total_investment_cny"}
    types: dict[str, pl.DataType] = {}
    for spec in schema():
        if spec.column in money:
            continue
        if spec.type == "date":
            types[spec.column] = pl.Date()
        elif spec.type == "bool":
            types[spec.column] = pl.Boolean()
        elif spec.type == "number":
            types[spec.column] = pl.Float64()
        else:
            types[spec.column] = pl.String()
    for fen in ("outstanding_fen", "original_fen", "project_total_investment_fen"):
        types[fen] = pl.Int64()
    types["industry_section"] = pl.String()
    return types


@cache
def result_schema() -> dict[str, pl.DataType]:
    """Every result column with its type, in order (see the module docstring)."""
    book = book_schema()
    ordered: dict[str, pl.DataType] = {}
    for name in (
        "loan_id", "bank", "borrower_uscc", "borrower_name", "industry_code", "industry_section",
        "purpose", "outstanding_fen", "original_fen", "rate_pct", "originated_on", "matures_on",
        "status", "collateral_type", "credit_or_secured", "project_id",
        "project_total_investment_fen", "bank_green_tag", "bank_catalogue_code",
        "bank_catalogue_edition", "district", "in_city_sub_centre",
    ):  # fmt: skip
        ordered[name] = book[name]
    ordered.update(
        {
            "as_of": pl.Date(),
            "screen_top_code": pl.String(),
            "screen_top_score": pl.Float64(),
            "screen_verdict": _VERDICT,
            "green_code": pl.String(),
            "green_edition": pl.String(),
            "tag_comparison": _TAG,
            "cerf_area": pl.String(),
            "cerf_sub_area": pl.String(),
            "cerf_eligible": pl.Boolean(),
            "cerf_status": _CERF_STATUS,
            "cerf_reason": _CERF_REASON,
            "project_annual_reduction_tco2e": pl.Float64(),
            "loan_annual_reduction_tco2e": pl.Float64(),
            "reduction_reason": _REDUCTION,
            "pcaf_attribution_factor": pl.Float64(),
            "financed_scope1_tco2e": pl.Float64(),
            "financed_scope2_tco2e": pl.Float64(),
            "pcaf_dq_score": pl.Int8(),
            "financed_emissions_reason": _EMISSIONS,
        }
    )
    return ordered


def check_validated(frame_schema: pl.Schema | dict[str, pl.DataType]) -> None:
    """Refuse a frame that is not the output of ``loanbook.validate``: every schema column must
    be there with its validated type (raw ``*_cny`` text, untyped dates … are refused)."""
    problems: list[tuple[str, str]] = []
    for name, dtype in book_schema().items():
        if name not in frame_schema:
            problems.append((name, "missing column of a validated book / 缺少已校验列"))
        elif frame_schema[name] != dtype and frame_schema[name] != pl.Null:
            problems.append((name, f"type {frame_schema[name]} where {dtype} is expected"))
    if problems:
        raise PipelineInputError(problems)


# ---------------------------------------------------------------------------------------------
# Screening (distinct purposes only)


def screen_purposes(
    book: pl.DataFrame | pl.LazyFrame, edition: str = DEFAULT_EDITION
) -> pl.DataFrame:
    """Screen the distinct ``(purpose, industry_code)`` pairs of ``book`` with the taxonomy engine.

    Returns one row per distinct pair: ``purpose, industry_code, screen_top_code,
    screen_top_score, screen_verdict``. Each pair's result depends on that pair alone."""
    distinct = book.lazy().select(*_KEYS).unique().collect()
    if distinct.is_empty():
        return distinct.with_columns(
            pl.lit(None, pl.String).alias("screen_top_code"),
            pl.lit(None, pl.Float64).alias("screen_top_score"),
            pl.lit(None, _VERDICT).alias("screen_verdict"),
        )
    screened = screen_frame(screening_input(distinct), edition, top_k=1)
    return distinct.with_columns(
        screened.get_column("code_1").alias("screen_top_code"),
        screened.get_column("score_1").cast(pl.Float64).alias("screen_top_score"),
        screened.get_column("verdict").cast(_VERDICT).alias("screen_verdict"),
    )


# ---------------------------------------------------------------------------------------------
# Tag comparison


@cache
def _agreeing_pairs(edition: str) -> pl.Series:
    """``bank_edition|bank_code|platform_code`` for every pair of codes that agree (see the
    module docstring): the bank's code (mapped into ``edition`` for other editions) equal to the
    platform's, an ancestor or a descendant of it."""
    target = load_catalogue(edition)

    def lineage(code: str) -> set[str]:
        out = {code, *(a.code for a in target.ancestors(code))}
        stack = [code]
        while stack:
            for child in target.children.get(stack.pop(), []):
                out.add(child)
                stack.append(child)
        return out

    pairs: set[str] = set()
    for edition_id, ed in editions().items():
        if not ed.has_data:
            continue
        source = load_catalogue(edition_id)
        links = {} if edition_id == edition else links_between(edition_id, edition)
        for code in source.items:
            if edition_id == edition:
                mapped = {code}
            else:  # the code's own links and those of its descendants (a coarse bank code)
                family = {code}
                stack = [code]
                while stack:
                    for child in source.children.get(stack.pop(), []):
                        family.add(child)
                        stack.append(child)
                mapped = {t for c in family for t, _w in links.get(c, []) if t in target.items}
            agreeing = set().union(*(lineage(m) for m in mapped)) if mapped else set()
            pairs.update(f"{edition_id}|{code}|{p}" for p in agreeing)
    return pl.Series("pairs", sorted(pairs), dtype=pl.String)


@cache
def _comparable_editions() -> tuple[str, ...]:
    return tuple(e for e, ed in editions().items() if ed.has_data)


def tag_comparison_expr(edition: str = DEFAULT_EDITION) -> pl.Expr:
    """``tag_comparison`` from ``bank_green_tag``, ``bank_catalogue_code`` /
    ``bank_catalogue_edition`` and the platform's ``green_code``."""
    bank = pl.col("bank_green_tag").fill_null(False)
    platform = pl.col("green_code").is_not_null()
    bank_edition = pl.col("bank_catalogue_edition").fill_null(DEFAULT_EDITION)
    comparable = pl.col("bank_catalogue_code").is_not_null() & bank_edition.is_in(
        list(_comparable_editions())
    )
    key = pl.concat_str(bank_edition, pl.lit("|"), "bank_catalogue_code", pl.lit("|"), "green_code")
    differs = comparable & ~key.is_in(_agreeing_pairs(edition).implode())
    return (
        pl.when(bank & platform & differs)
        .then(pl.lit("code_differs"))
        .when(bank & platform)
        .then(pl.lit("agree_green"))
        .when(bank)
        .then(pl.lit("bank_only"))
        .when(platform)
        .then(pl.lit("platform_only"))
        .otherwise(pl.lit("agree_not_green"))
        .cast(_TAG)
        .alias("tag_comparison")
    )


# ---------------------------------------------------------------------------------------------
# CERF


def _optional_text(names: Iterable[str], column: str) -> pl.Expr:
    if column not in names:
        return pl.lit(None, pl.String).alias(column)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text).alias(column)


def _optional_number(names: Iterable[str], column: str) -> tuple[pl.Expr, pl.Expr]:
    """(parsed Float64 value, "a value was given but is not a finite number ≥ 0")."""
    if column not in names:
        return pl.lit(None, pl.Float64).alias(column), pl.lit(False)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    value = pl.when(text != "").then(text.cast(pl.Float64, strict=False))
    given = pl.col(column).is_not_null() & (text != "")
    good = value.is_finite() & (value >= 0)
    return pl.when(good).then(value).alias(column), (given & ~good.fill_null(False))


_CERF_KEYS = ("cerf_area", "cerf_sub_area", "originated_on")


def cerf_verdicts(book: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """CERF eligibility of every distinct (area, sub-area, origination date) the book gives,
    decided by :func:`greenfin.carbon.cerf.eligible_frame` (a small table; reads 3 columns)."""
    lf = book.lazy()
    names = lf.collect_schema().names()
    combos = (
        lf.select(
            _optional_text(names, "cerf_area"),
            _optional_text(names, "cerf_sub_area"),
            "originated_on",
        )
        .filter(pl.col("cerf_area").is_not_null() & pl.col("cerf_sub_area").is_not_null())
        .unique()
        .collect()
    )
    if combos.is_empty():
        return pl.DataFrame(
            schema={
                "cerf_area": pl.String, "cerf_sub_area": pl.String, "originated_on": pl.Date,
                "_eligible": pl.Boolean, "_status": _CERF_STATUS, "_reason": _CERF_REASON,
            }
        )  # fmt: skip
    judged = cerf.eligible_frame(
        combos.rename({"cerf_area": "area", "cerf_sub_area": "sub_area"}),
        date_column="originated_on",
    )
    return judged.select(
        pl.col("area").alias("cerf_area"),
        pl.col("sub_area").alias("cerf_sub_area"),
        "originated_on",
        pl.col("eligible").alias("_eligible"),
        pl.col("eligibility_status").cast(_CERF_STATUS).alias("_status"),
        pl.col("eligibility_reason").cast(_CERF_REASON).alias("_reason"),
    )


def _cerf_expressions(*, has_verdicts: bool) -> list[pl.Expr]:
    """``cerf_eligible / cerf_status / cerf_reason`` from the looked-up verdict columns."""
    given = pl.col("cerf_area").is_not_null() & pl.col("cerf_sub_area").is_not_null()
    if not has_verdicts:  # every loan lacks an area
        return [
            pl.lit(None, pl.Boolean).alias("cerf_eligible"),
            pl.lit(None, _CERF_STATUS).alias("cerf_status"),
            pl.lit("no_cerf_area", _CERF_REASON).alias("cerf_reason"),
        ]
    return [
        pl.col("_eligible").alias("cerf_eligible"),
        pl.col("_status").alias("cerf_status"),
        pl.when(given)
        .then(pl.col("_reason"))
        .otherwise(pl.lit("no_cerf_area", _CERF_REASON))
        .alias("cerf_reason"),
    ]


def _reduction_columns(bad_reduction: pl.Expr) -> list[pl.Expr]:
    """R_loan = R_project × original / project total investment (CERF rule), with a reason
    wherever the data do not allow a number."""
    r = pl.col("project_annual_reduction_tco2e")
    original, investment = pl.col("original_fen"), pl.col("project_total_investment_fen")
    reason = (
        pl.when(bad_reduction)
        .then(pl.lit("invalid_project_reduction"))
        .when(r.is_null())
        .then(pl.lit("no_project_reduction"))
        .when(investment.is_null())
        .then(pl.lit("no_project_investment"))
        .when(original > investment)
        .then(pl.lit("loan_exceeds_investment"))
        .cast(_REDUCTION)
    )
    value = pl.when(reason.is_null()).then(
        r * original.cast(pl.Float64) / investment.cast(pl.Float64)
    )
    return [value.alias("loan_annual_reduction_tco2e"), reason.alias("reduction_reason")]


# ---------------------------------------------------------------------------------------------
# PCAF (business loans, scope 1 and 2)


def _borrower_frame(borrowers: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in BORROWER_COLUMNS if c not in borrowers.columns]
    if missing:
        raise PipelineInputError([(c, "borrowers: missing column") for c in missing])
    if borrowers.get_column("borrower_uscc").is_duplicated().any():
        raise PipelineInputError([("borrower_uscc", "borrowers: one row per borrower")])
    dq = pl.col("_b_dq_option").cast(pl.String).str.strip_chars().str.to_lowercase()
    scores = {opt: s for (ac, opt), s in pcaf.dq_scores().items() if ac == pcaf.BUSINESS_LOAN}
    return borrowers.select(
        pl.col("borrower_uscc").cast(pl.String),
        *[pl.col(c).cast(pl.Float64).alias(f"_b_{c}") for c in list(BORROWER_COLUMNS)[1:5]],
        pl.col("dq_option").alias("_b_dq_option"),
    ).with_columns(
        dq.replace_strict(scores, default=None, return_dtype=pl.Int8).alias("_b_dq_score")
    )


def _emission_columns() -> list[pl.Expr]:
    s1, s2 = pl.col("_b_scope1_tco2e"), pl.col("_b_scope2_tco2e")
    den = pl.coalesce("_b_evic_cny", "_b_total_equity_plus_debt_cny")
    out_cny = pl.col("outstanding_fen").cast(pl.Float64) / FEN_PER_CNY
    af = out_cny / den
    emissions_given = s1.is_not_null() & s2.is_not_null()
    invalid = (
        (s1 < 0)
        | (s2 < 0)
        | ~s1.is_finite()
        | ~s2.is_finite()
        | (den <= 0)
        | pl.col("_b_dq_score").is_null()
    ).fill_null(False)
    reason = (
        pl.when(~emissions_given)
        .then(pl.lit("no_borrower_emissions"))
        .when(den.is_null())
        .then(pl.lit("no_borrower_denominator"))
        .when(invalid)
        .then(pl.lit("invalid_borrower_data"))
        .when(af > 1.0 + pcaf.AF_TOLERANCE)
        .then(pl.lit("attribution_above_one"))
        .cast(_EMISSIONS)
    )
    ok = reason.is_null()
    return [
        pl.when(ok).then(af).alias("pcaf_attribution_factor"),
        pl.when(ok).then(af * s1).alias("financed_scope1_tco2e"),
        pl.when(ok).then(af * s2).alias("financed_scope2_tco2e"),
        pl.when(ok).then(pl.col("_b_dq_score")).alias("pcaf_dq_score"),
        reason.alias("financed_emissions_reason"),
    ]


# ---------------------------------------------------------------------------------------------
# The plan


def plan(
    book: pl.DataFrame | pl.LazyFrame,
    screened: pl.DataFrame,
    *,
    edition: str = DEFAULT_EDITION,
    as_of: date | None = None,
    borrowers: pl.DataFrame | None = None,
    accept: Sequence[str] = DEFAULT_ACCEPT,
) -> pl.LazyFrame:
    """The per-loan plan over a validated ``book``. Lazy: nothing runs until it is collected.

    ``screened`` is either :func:`screen_purposes` output (one row per distinct ``purpose,
    industry_code``, joined on them) or the screening columns (:data:`SCREEN_COLUMNS`) already
    in the book's row order, one row per loan (what a caller with a screening cache has).

    Lookups (screening, CERF verdicts, borrower data) join only their key columns and are put
    beside the book (horizontal concatenation), so the book's other columns are not copied."""
    lf = book.lazy()
    names = lf.collect_schema().names()
    check_validated(lf.collect_schema())
    unknown = sorted(set(accept) - set(VERDICTS))
    if unknown:
        raise ValueError(f"accept: unknown verdicts {unknown}")
    reduction, bad_reduction = _optional_number(names, "project_annual_reduction_tco2e")
    keep = [c for c in result_schema() if c in book_schema()]
    base = lf.select(
        *keep,
        (pl.col("as_of") if "as_of" in names and as_of is None else pl.lit(as_of, pl.Date)).alias(
            "as_of"
        ),
        _optional_text(names, "cerf_area"),
        _optional_text(names, "cerf_sub_area"),
        reduction,
        bad_reduction.alias("_bad_reduction"),
    )
    if set(_KEYS) <= set(screened.columns):
        screening = _lookup(lf.select(*_KEYS), screened.select(*_KEYS, *SCREEN_COLUMNS), _KEYS)
    else:
        if isinstance(book, pl.DataFrame) and screened.height != book.height:
            raise ValueError("per-row screening must have one row per loan, in the book's order")
        screening = screened.lazy().select(SCREEN_COLUMNS)
    verdicts = cerf_verdicts(book)
    parts = [base, screening]
    if not verdicts.is_empty():
        keys = lf.select(
            _optional_text(names, "cerf_area"), _optional_text(names, "cerf_sub_area"),
            "originated_on",
        )  # fmt: skip
        parts.append(_lookup(keys, verdicts, _CERF_KEYS))
    if borrowers is not None:
        frame = _borrower_frame(borrowers)
        parts.append(_lookup(lf.select("borrower_uscc"), frame, ("borrower_uscc",)))
    lf = pl.concat(parts, how="horizontal")
    green = pl.col("screen_verdict").is_in(list(accept))
    lf = lf.with_columns(
        pl.when(green).then(pl.col("screen_top_code")).alias("green_code"),
        pl.when(green & pl.col("screen_top_code").is_not_null())
        .then(pl.lit(edition))
        .alias("green_edition"),
        *_reduction_columns(pl.col("_bad_reduction")),
        *_cerf_expressions(has_verdicts=not verdicts.is_empty()),
        *(
            []
            if borrowers is not None
            else [
                *[pl.lit(None, pl.Float64).alias(f"_b_{c}") for c in list(BORROWER_COLUMNS)[1:5]],
                pl.lit(None, pl.Int8).alias("_b_dq_score"),
            ]
        ),
    )
    lf = lf.with_columns(tag_comparison_expr(edition), *_emission_columns())
    return lf.select([pl.col(c).cast(t) for c, t in result_schema().items()])


def _lookup(keys: pl.LazyFrame, table: pl.DataFrame, on: Sequence[str]) -> pl.LazyFrame:
    """The columns of ``table`` (unique on ``on``) for every row of ``keys``, in its order."""
    return keys.join(
        table.lazy(), on=list(on), how="left", maintain_order="left", nulls_equal=False
    ).drop(*on)


def analyse(
    book: pl.DataFrame,
    *,
    edition: str = DEFAULT_EDITION,
    as_of: date | None = None,
    borrowers: pl.DataFrame | None = None,
    accept: Sequence[str] = DEFAULT_ACCEPT,
) -> pl.DataFrame:
    """Run the whole pipeline on a validated book; one result row per loan, same order.

    Raises
    ------
    PipelineInputError
        ``book`` is not the output of :func:`greenfin.banking.loanbook.validate`.
    """
    check_validated(book.schema)
    screened = screen_purposes(book, edition)
    return plan(
        book, screened, edition=edition, as_of=as_of, borrowers=borrowers, accept=accept
    ).collect()


# ---------------------------------------------------------------------------------------------
# Summary


class BookSummary(BaseModel):
    """Totals of one analysed book. Money in fen (integers), reductions in tCO2e per year,
    financed emissions in tCO2e."""

    loans: int
    outstanding_fen: int
    green_loans_platform: int
    green_balance_fen_platform: int
    green_loans_bank: int
    green_balance_fen_bank: int
    tag_comparison: dict[str, int]  # loans per category (every category present)
    tag_comparison_balance_fen: dict[str, int]
    disagreements: int  # bank_only + platform_only + code_differs
    verdicts: dict[str, int]
    cerf_eligible_loans: int
    cerf_eligible_balance_fen: int
    cerf_eligible_original_fen: int
    cerf_annual_reduction_tco2e: float | None  # Σ loan reduction over CERF-eligible loans
    loans_with_reduction: int
    annual_reduction_tco2e: float | None  # Σ loan reduction over every loan with one
    cerf_reasons: dict[str, int]
    reduction_reasons: dict[str, int]
    green_npl_fen: int  # platform-green loans classified 次级/可疑/损失
    green_npl_ratio: float | None
    green_credit_fen: int  # platform-green 信用 loans
    loans_with_financed_emissions: int
    financed_scope1_tco2e: float | None
    financed_scope2_tco2e: float | None
    financed_emissions_reasons: dict[str, int]


def summary(result: pl.DataFrame | pl.LazyFrame) -> BookSummary:
    """Per-book totals from a result frame (see :class:`BookSummary`); one pass for the sums."""
    lf = result.lazy()
    out = pl.col("outstanding_fen")
    green = pl.col("green_code").is_not_null()
    bank = pl.col("bank_green_tag").fill_null(False)
    eligible = pl.col("cerf_eligible").fill_null(False)
    reduction = pl.col("loan_annual_reduction_tco2e")

    def fen(cond: pl.Expr, value: pl.Expr = out) -> pl.Expr:
        return pl.when(cond).then(value).otherwise(0).sum().cast(pl.Int64)

    def tonnes(expr: pl.Expr) -> pl.Expr:
        return pl.when(expr.count() > 0).then(expr.sum())

    aggs = [
        pl.len().alias("loans"),
        out.sum().cast(pl.Int64).alias("outstanding_fen"),
        green.sum().alias("green_loans_platform"),
        fen(green).alias("green_balance_fen_platform"),
        bank.sum().alias("green_loans_bank"),
        fen(bank).alias("green_balance_fen_bank"),
        eligible.sum().alias("cerf_eligible_loans"),
        fen(eligible).alias("cerf_eligible_balance_fen"),
        fen(eligible, pl.col("original_fen")).alias("cerf_eligible_original_fen"),
        tonnes(pl.when(eligible).then(reduction)).alias("cerf_annual_reduction_tco2e"),
        reduction.count().alias("loans_with_reduction"),
        tonnes(reduction).alias("annual_reduction_tco2e"),
        fen(green & pl.col("status").is_in(list(NON_PERFORMING))).alias("green_npl_fen"),
        fen(green & (pl.col("credit_or_secured") == CREDIT)).alias("green_credit_fen"),
        pl.col("financed_scope1_tco2e").count().alias("loans_with_financed_emissions"),
        tonnes(pl.col("financed_scope1_tco2e")).alias("financed_scope1_tco2e"),
        tonnes(pl.col("financed_scope2_tco2e")).alias("financed_scope2_tco2e"),
    ]
    categories = ("tag_comparison", "screen_verdict", "cerf_reason", "reduction_reason",
                  "financed_emissions_reason")  # fmt: skip
    frames = pl.collect_all(
        [lf.select(aggs)]
        + [
            lf.group_by(c).agg(pl.len().alias("n"), out.sum().cast(pl.Int64).alias("fen"))
            for c in categories
        ]
    )
    row: dict[str, Any] = frames[0].row(0, named=True)
    counts = {
        c: {str(k): (int(n), int(f or 0)) for k, n, f in frame.iter_rows() if k is not None}
        for c, frame in zip(categories, frames[1:], strict=True)
    }

    def group(column: str, labels: tuple[str, ...]) -> dict[str, int]:
        return {label: counts[column].get(label, (0, 0))[0] for label in labels}

    tags = group("tag_comparison", TAG_COMPARISONS)
    tag_balance = {
        label: counts["tag_comparison"].get(label, (0, 0))[1] for label in TAG_COMPARISONS
    }
    green_fen = int(row["green_balance_fen_platform"] or 0)
    return BookSummary(
        **{k: (v if v is not None or k.endswith("tco2e") else 0) for k, v in row.items()},
        tag_comparison=tags,
        tag_comparison_balance_fen=tag_balance,
        disagreements=tags["bank_only"] + tags["platform_only"] + tags["code_differs"],
        verdicts=group("screen_verdict", VERDICTS),
        cerf_reasons=group("cerf_reason", CERF_REASONS),
        reduction_reasons=group("reduction_reason", REDUCTION_REASONS),
        financed_emissions_reasons=group("financed_emissions_reason", EMISSIONS_REASONS),
        green_npl_ratio=(int(row["green_npl_fen"] or 0) / green_fen) if green_fen else None,
    )


def merge_summaries(parts: Sequence[BookSummary]) -> BookSummary:
    """The summary of a book from the summaries of its partitions (every figure is a sum or a
    count, except the NPL ratio, which is recomputed)."""
    if not parts:
        return summary(pl.DataFrame(schema=result_schema()))
    merged: dict[str, Any] = {}
    for name, field in BookSummary.model_fields.items():
        values = [getattr(p, name) for p in parts]
        if name == "green_npl_ratio":
            continue
        if isinstance(values[0], dict):
            merged[name] = {k: sum(v[k] for v in values) for k in values[0]}
        elif field.annotation == float | None:
            present = [v for v in values if v is not None]
            merged[name] = sum(present) if present else None
        else:
            merged[name] = sum(values)
    green = merged["green_balance_fen_platform"]
    merged["green_npl_ratio"] = merged["green_npl_fen"] / green if green else None
    return BookSummary(**merged)
