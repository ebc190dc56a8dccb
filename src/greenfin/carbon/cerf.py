"""PBOC 碳减排支持工具 (carbon emission reduction facility, CERF): eligibility, loan-level
reduction, PBOC funding and the banks' quarterly disclosure table.

Pure domain code over Polars frames. The only I/O is reading the shipped configuration
``reference/data/carbon/cerf_areas.csv`` and ``cerf_rates.csv`` (documented in ``CERF.md`` next to
them); no rate, share or sub-area is spelled in this module.

Loans frame (the CLI contract): ``loan_id, project_id, area, sub_area, disbursed_on,
amount_10k_cny, rate_pct, project_total_investment_10k_cny, project_annual_reduction_tco2e``.
Amounts are in 万元 (10,000 CNY) and carried internally as integer fen (1 万元 = 1,000,000 fen),
so sums are exact; rates are in percent per year; reductions in tonnes CO2e per year.

Every input problem is collected with its 1-based data row (the first loan is row 1, the header is
row 0) and its field, and raised together as :class:`CerfInputError`; nothing is silently zeroed.

References
----------
.. [1] 人民银行创设推出碳减排支持工具 and 人民银行有关负责人答记者问, 2021-11-08 (reprints listed in
   ``CERF.md``): 60 % of principal at 1.75 %, areas 清洁能源 / 节能环保 / 碳减排技术, the
   reduction attributed by 贷款占项目总投资的比例, quarterly disclosure.
.. [2] /work/shared/reference/methods.md §3; cerf_and_reduction_methods.md §1–2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import polars as pl

from greenfin.reference import data_rows

AREAS: tuple[str, ...] = ("清洁能源", "节能环保", "碳减排技术")
TOTAL = "合计"
PERIODS: tuple[str, ...] = ("quarter", "ytd", "since_start")
PERIOD_LABELS_ZH: dict[str, str] = {
    "quarter": "本季度",
    "ytd": "本年度累计",
    "since_start": "获得工具以来累计",
}
LOAN_COLUMNS: tuple[str, ...] = (
    "loan_id",
    "project_id",
    "area",
    "sub_area",
    "disbursed_on",
    "amount_10k_cny",
    "rate_pct",
    "project_total_investment_10k_cny",
    "project_annual_reduction_tco2e",
)
DISCLOSURE_COLUMNS: tuple[str, ...] = (
    "period",
    "area",
    "projects",
    "amount_10k_cny",
    "weighted_rate_pct",
    "annual_reduction_tco2e",
)
COLUMN_LABELS_ZH: dict[str, str] = {
    "period": "期间",
    "area": "碳减排领域",
    "projects": "支持的项目数量（个）",
    "amount_10k_cny": "贷款金额（万元）",
    "weighted_rate_pct": "加权平均利率（%）",
    "annual_reduction_tco2e": "带动的年度碳减排量（吨二氧化碳当量）",
}

FEN_PER_10K_CNY = 1_000_000
_FEN_PER_CENT_OF_10K = 10_000  # 0.01 万元 = 100 CNY = 10,000 fen
_STRING_FIELDS = ("loan_id", "project_id", "area", "sub_area")
_POSITIVE_FIELDS = ("amount_10k_cny", "project_total_investment_10k_cny")
_NON_NEGATIVE_FIELDS = ("rate_pct", "project_annual_reduction_tco2e")
_FIELD_ORDER = {name: i for i, name in enumerate((*LOAN_COLUMNS, "catalogue_item"))}
_QUARTER = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    """One input problem. ``row`` is the 1-based data row (header = row 0), ``None`` for a
    problem with a whole column or with an argument (``quarter``, ``since``)."""

    row: int | None
    field: str
    message: str


class CerfInputError(ValueError):
    """Invalid CERF input; ``problems`` lists every problem found, each with row and field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "; ".join(
            (f"row {p.row} " if p.row is not None else "") + f"{p.field}: {p.message}"
            for p in self.problems[:5]
        )
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")


# ---------------------------------------------------------------------------------------------
# Configuration (reference data)


def _data_rows(name: str) -> list[dict[str, str]]:
    return data_rows("carbon", name)


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class AreaRule:
    """One row of ``cerf_areas.csv``.

    ``kind`` is ``named`` (a sub-area named in the source), ``open`` (the ``等`` placeholder,
    ``sub_area = "*"``) or ``expansion`` (a category of the January 2026 scope expansion whose
    碳减排领域 is our assumption). ``status`` is ``verified`` or ``unverified``.
    """

    area: str
    sub_area: str
    kind: str
    listed_in: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    edition: str
    note: str

    def in_force(self, on_date: date) -> bool:
        return self.effective_from <= on_date and (
            self.effective_to is None or on_date < self.effective_to
        )


@dataclass(frozen=True)
class ToolTerm:
    """One row of ``cerf_rates.csv``: a tool parameter in force on
    ``[effective_from, effective_to)`` (open-ended when ``effective_to`` is ``None``).
    ``status`` is ``verified`` or ``uncertain``."""

    parameter: str
    value: float
    unit: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    edition: str
    note: str

    def in_force(self, on_date: date) -> bool:
        return self.effective_from <= on_date and (
            self.effective_to is None or on_date < self.effective_to
        )


@cache
def area_rules() -> tuple[AreaRule, ...]:
    """The eligible areas and sub-areas with their dates and status (``cerf_areas.csv``)."""
    rules = []
    for r in _data_rows("cerf_areas.csv"):
        start = _iso(r["effective_from"])
        if start is None:
            raise ValueError(f"cerf_areas.csv: {r['sub_area']} has no effective_from")
        rules.append(
            AreaRule(
                area=r["area"],
                sub_area=r["sub_area"],
                kind=r["kind"],
                listed_in=r["listed_in"],
                effective_from=start,
                effective_to=_iso(r["effective_to"]),
                status=r["status"],
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(rules)


@cache
def tool_terms() -> tuple[ToolTerm, ...]:
    """The tool's terms with effective dates and status (``cerf_rates.csv``)."""
    terms = []
    for r in _data_rows("cerf_rates.csv"):
        start = _iso(r["effective_from"])
        if start is None:
            raise ValueError(f"cerf_rates.csv: {r['parameter']} has no effective_from")
        terms.append(
            ToolTerm(
                parameter=r["parameter"],
                value=float(r["value"]),
                unit=r["unit"],
                effective_from=start,
                effective_to=_iso(r["effective_to"]),
                status=r["status"],
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(terms)


def term_in_force(parameter: str, on_date: date | str) -> ToolTerm:
    """The value of a tool parameter (``tool_rate_pct``, ``funding_share``, …) in force on a date.

    Raises
    ------
    CerfInputError
        When no row of ``cerf_rates.csv`` covers the date (before the tool's start).
    """
    day = _as_date(on_date, "on_date")
    for term in tool_terms():
        if term.parameter == parameter and term.in_force(day):
            return term
    raise CerfInputError([Problem(None, "on_date", f"no {parameter} in force on {day}")])


def tool_start() -> date:
    """First day of the tool (earliest ``tool_rate_pct`` row): 2021-11-08."""
    return min(t.effective_from for t in tool_terms() if t.parameter == "tool_rate_pct")


def tool_start_quarter() -> str:
    """The quarter of :func:`tool_start` (``2021Q4``), the default start of ``since_start``."""
    start = tool_start()
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def expansion_start() -> date:
    """Start of the January 2026 scope expansion (earliest ``expansion`` row of the areas)."""
    return min(r.effective_from for r in area_rules() if r.kind == "expansion")


def provenance() -> list[dict[str, Any]]:
    """Which configuration files the CERF functions read, with sources, editions and statuses."""
    out = []
    for name in ("cerf_areas.csv", "cerf_rates.csv"):
        rows = _data_rows(name)
        out.append(
            {
                "file": f"carbon/{name}",
                "rows": len(rows),
                "sources": sorted({r["source"] for r in rows}),
                "editions": sorted({r["edition"] for r in rows}),
                "statuses": sorted({r["status"] for r in rows}),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# Dates and quarters


def _as_date(value: date | str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CerfInputError(
            [Problem(None, field, f"{value!r} is not a date (YYYY-MM-DD)")]
        ) from None


def parse_quarter(text: str, field: str = "quarter") -> tuple[int, int]:
    """``"2023Q2"`` → ``(2023, 2)``; raises :class:`CerfInputError` naming ``field``."""
    match = _QUARTER.match(text) if isinstance(text, str) else None
    if match is None:
        raise CerfInputError([Problem(None, field, f"{text!r} is not a quarter like 2023Q2")])
    return int(match.group(1)), int(match.group(2))


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter (both inclusive)."""
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def period_bounds(quarter: str, since: str | None = None) -> dict[str, tuple[date, date]]:
    """Inclusive date ranges of the three disclosure periods.

    ``quarter`` = the quarter; ``ytd`` = 1 January of its year to the quarter end;
    ``since_start`` = first day of ``since`` (default :func:`tool_start_quarter`) to the quarter
    end. ``since`` must not be after ``quarter`` nor before the tool's start quarter.
    """
    problems: list[Problem] = []
    q = s = None
    try:
        q = parse_quarter(quarter, "quarter")
    except CerfInputError as exc:
        problems.extend(exc.problems)
    try:
        s = parse_quarter(since if since is not None else tool_start_quarter(), "since")
    except CerfInputError as exc:
        problems.extend(exc.problems)
    start_q = parse_quarter(tool_start_quarter())
    if s is not None and s < start_q:
        problems.append(
            Problem(None, "since", f"{since} is before the tool's start ({tool_start_quarter()})")
        )
    if q is not None and s is not None and s > q:
        problems.append(Problem(None, "since", f"{since} is after the quarter {quarter}"))
    if problems:
        raise CerfInputError(problems)
    assert q is not None and s is not None
    q_first, q_last = quarter_bounds(*q)
    # Nothing before the tool itself started counts (the start quarter begins before it), and
    # 本年度累计 can never reach further back than 获得工具以来累计.
    since_first = max(quarter_bounds(*s)[0], tool_start())
    return {
        "quarter": (max(q_first, since_first), q_last),
        "ytd": (max(date(q[0], 1, 1), since_first), q_last),
        "since_start": (since_first, q_last),
    }


# ---------------------------------------------------------------------------------------------
# Validation


def _number(frame: pl.DataFrame, column: str) -> pl.Expr:
    if frame.schema[column].is_numeric():
        return pl.col(column).cast(pl.Float64)
    return pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _date_expr(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def _row_problems(frame: pl.DataFrame, bad: pl.Expr, field: str, message: pl.Expr) -> list[Problem]:
    hits = frame.filter(bad).select("_row", message.alias("_msg"))
    return [Problem(int(r), field, m) for r, m in hits.iter_rows()]


def _prepare(loans: pl.DataFrame, required: Sequence[str]) -> tuple[pl.DataFrame, list[Problem]]:
    """Normalise the ``required`` columns and collect every problem.

    Returns the frame with ``_row`` (1-based), stripped strings, ``disbursed_on`` as Date, numbers
    as Float64 and ``_amount_fen`` / ``_investment_fen`` as exact integers.
    """
    problems = [
        Problem(None, c, "required column is missing / 缺少必填列")
        for c in required
        if c not in loans.columns
    ]
    present = [c for c in required if c in loans.columns]
    frame = loans.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    raw = frame.select("_row", *[pl.col(c).alias(f"_raw_{c}") for c in present])
    casts: list[pl.Expr] = []
    for c in present:
        if c in _STRING_FIELDS:
            casts.append(pl.col(c).cast(pl.String).str.strip_chars())
        elif c == "disbursed_on":
            casts.append(_date_expr(frame, c))
        else:
            casts.append(_number(frame, c))
    frame = frame.with_columns(casts)
    checked = frame.join(raw, on="_row", how="left")

    def raw_text(c: str) -> pl.Expr:
        return pl.col(f"_raw_{c}").cast(pl.String)

    for c in present:
        missing = pl.col(f"_raw_{c}").is_null() | (raw_text(c).str.strip_chars() == "")
        problems += _row_problems(checked, missing, c, pl.lit("missing value / 缺少取值"))
        if c in _STRING_FIELDS:
            continue
        if c == "disbursed_on":
            unparsed = ~missing & pl.col(c).is_null()
            msg = pl.format("'{}' is not a date (YYYY-MM-DD)", raw_text(c))
            problems += _row_problems(checked, unparsed, c, msg)
            continue
        not_number = ~missing & (pl.col(c).is_null() | ~pl.col(c).is_finite())
        problems += _row_problems(
            checked, not_number, c, pl.format("'{}' is not a number", raw_text(c))
        )
        valid = pl.col(c).is_not_null() & pl.col(c).is_finite()
        if c in _POSITIVE_FIELDS:
            problems += _row_problems(
                checked,
                valid & (pl.col(c) < 0),
                c,
                pl.format("negative amount {}", pl.col(c)),
            )
            problems += _row_problems(
                checked, valid & (pl.col(c) == 0), c, pl.lit("must be greater than zero")
            )
        elif c in _NON_NEGATIVE_FIELDS:
            problems += _row_problems(
                checked, valid & (pl.col(c) < 0), c, pl.format("negative value {}", pl.col(c))
            )

    if "area" in present:
        unknown = pl.col("area").is_not_null() & (pl.col("area") != "")
        unknown = unknown & ~pl.col("area").is_in(list(AREAS))
        msg = pl.format("unknown area '{}'; expected one of " + " / ".join(AREAS), pl.col("area"))
        problems += _row_problems(checked, unknown, "area", msg)

    if "loan_id" in present:
        first = (
            frame.filter(pl.col("loan_id").is_not_null() & (pl.col("loan_id") != ""))
            .group_by("loan_id")
            .agg(pl.col("_row").min().alias("_first"))
        )
        dup = frame.join(first, on="loan_id", how="inner")
        problems += _row_problems(
            dup,
            pl.col("_row") != pl.col("_first"),
            "loan_id",
            pl.format("duplicate loan_id '{}' (first in row {})", pl.col("loan_id"), "_first"),
        )

    for c in ("amount_10k_cny", "project_total_investment_10k_cny"):
        if c in present:
            frame = frame.with_columns(
                (pl.col(c) * FEN_PER_10K_CNY)
                .round(0, mode="half_away_from_zero")
                .cast(pl.Int64, strict=False)
                .alias("_amount_fen" if c == "amount_10k_cny" else "_investment_fen")
            )
    if {"amount_10k_cny", "project_total_investment_10k_cny"} <= set(present):
        # only between two valid amounts: a zero or negative investment is its own problem
        over = (pl.col("_investment_fen") > 0) & (pl.col("_amount_fen") > pl.col("_investment_fen"))
        msg = pl.format(
            "loan amount {} exceeds the project's total investment {} (万元)",
            pl.col("amount_10k_cny"),
            pl.col("project_total_investment_10k_cny"),
        )
        problems += _row_problems(frame, over, "amount_10k_cny", msg)

    if "project_id" in present:
        problems += _project_problems(frame, present)

    problems.sort(key=lambda p: (p.row or 0, _FIELD_ORDER.get(p.field, 99), p.message))
    return frame, problems


def _project_problems(frame: pl.DataFrame, present: Sequence[str]) -> list[Problem]:
    """Project-level fields must agree across a project's loans (compared with the project's
    first row): total investment to the fen, annual reduction to 1e-6 t, area exactly."""
    keyed = frame.filter(pl.col("project_id").is_not_null() & (pl.col("project_id") != ""))
    keys = {
        "project_total_investment_10k_cny": pl.col("_investment_fen"),
        "project_annual_reduction_tco2e": pl.col("project_annual_reduction_tco2e").round(6),
        "area": pl.col("area"),
    }
    problems: list[Problem] = []
    for field, key in keys.items():
        if field not in present:
            continue
        part = keyed.filter(key.is_not_null()).with_columns(key.alias("_key"))
        first = (
            part.sort("_row")
            .group_by("project_id", maintain_order=True)
            .agg(
                pl.col("_row").first().alias("_first_row"),
                pl.col("_key").first().alias("_first_key"),
                pl.col(field).first().cast(pl.String).alias("_first_value"),
            )
        )
        joined = part.join(first, on="project_id", how="inner")
        msg = pl.format(
            "project '{}' has {} here but {} in row {}",
            pl.col("project_id"),
            pl.col(field).cast(pl.String),
            pl.col("_first_value"),
            pl.col("_first_row"),
        )
        problems += _row_problems(joined, pl.col("_key") != pl.col("_first_key"), field, msg)
    if {"amount_10k_cny", "project_total_investment_10k_cny"} <= set(present):
        # R_loan = R_project × A / I only holds while Σ A ≤ I: more would disclose more than the
        # project's whole reduction. Name the loan whose amount crosses the total.
        running = keyed.sort("_row").with_columns(
            pl.col("_amount_fen").cum_sum().over("project_id").alias("_cum_fen")
        )
        crossing = (
            (running["_cum_fen"] > running["_investment_fen"])
            & ((running["_cum_fen"] - running["_amount_fen"]) <= running["_investment_fen"])
            & (running["_amount_fen"] <= running["_investment_fen"])  # else reported above
        )
        msg = pl.format(
            "loans of project '{}' add up to more than its total investment {}",
            pl.col("project_id"),
            pl.col("project_total_investment_10k_cny").cast(pl.String),
        )
        problems += _row_problems(
            running, pl.Series(crossing.fill_null(False)), "amount_10k_cny", msg
        )
    return problems


def validate_loans(loans: pl.DataFrame) -> list[Problem]:
    """Every problem of a loans frame (the full :data:`LOAN_COLUMNS` contract), in row order.

    Checks: missing columns and values; unknown 碳减排领域 (``area``); unparseable
    ``disbursed_on``; non-numeric, negative or zero amounts; negative rate or reduction; loan
    amount above the project's total investment; duplicate ``loan_id``; a project whose total
    investment, annual reduction or area differs across its loans.
    """
    return _prepare(loans, LOAN_COLUMNS)[1]


def _checked(loans: pl.DataFrame, required: Sequence[str]) -> pl.DataFrame:
    frame, problems = _prepare(loans, required)
    if problems:
        raise CerfInputError(problems)
    return frame


# ---------------------------------------------------------------------------------------------
# Rounding


def round_half_up(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    """Round a Float64 expression as published figures are rounded (half away from zero).

    The value is first taken to 9 decimals (``Decimal(38, 9)``) to drop binary floating-point
    noise, then rounded in decimal arithmetic, so ``1.005`` → ``1.01`` (plain float rounding
    gives ``1.0``). Nulls stay null.
    """
    return expr.cast(pl.Decimal(38, 9)).round(decimals, mode="half_away_from_zero").cast(pl.Float64)


def _fen_to_10k_2dp(expr: pl.Expr) -> pl.Expr:
    """Exact integer fen → 万元 rounded half up to 2 decimals (0.01 万元 = 10,000 fen)."""
    half = _FEN_PER_CENT_OF_10K // 2
    return ((expr + half) // _FEN_PER_CENT_OF_10K).cast(pl.Float64) / 100


# ---------------------------------------------------------------------------------------------
# Loan-level reduction and PBOC funding


def loan_annual_reduction(
    project_annual_reduction_tco2e: float,
    loan_amount_10k_cny: float,
    project_total_investment_10k_cny: float,
) -> float:
    """Annual carbon reduction attributed to one loan.

    .. math::

        R_{loan} = R_{project} \\times \\frac{A_{loan}}{I_{project}}

    Parameters
    ----------
    project_annual_reduction_tco2e : float
        Project's annual reduction from its feasibility study, EIA or an accepted third-party
        assessment [tCO2e/yr], ``>= 0``.
    loan_amount_10k_cny : float
        Loan amount [万元], ``> 0`` and not above the project's total investment.
    project_total_investment_10k_cny : float
        Project's total investment [万元], ``> 0``.

    Returns
    -------
    float
        Loan's annual reduction [tCO2e/yr].

    Raises
    ------
    CerfInputError
        On a negative, zero or non-finite input, or a loan above the total investment.

    References
    ----------
    PBOC Q&A 2021-11-08: 「…以及贷款占项目总投资的比例，计算贷款的年度碳减排量」
    (methods.md §3.3).
    """
    frame = pl.DataFrame(
        {
            "loan_id": ["1"],
            "amount_10k_cny": [loan_amount_10k_cny],
            "project_total_investment_10k_cny": [project_total_investment_10k_cny],
            "project_annual_reduction_tco2e": [project_annual_reduction_tco2e],
        }
    )
    try:
        return float(loan_reductions(frame)["loan_annual_reduction_tco2e"][0])
    except CerfInputError as exc:
        raise CerfInputError([Problem(None, p.field, p.message) for p in exc.problems]) from None


_REDUCTION_REQUIRED = (
    "loan_id",
    "amount_10k_cny",
    "project_total_investment_10k_cny",
    "project_annual_reduction_tco2e",
)


def _loan_reduction_expr() -> pl.Expr:
    return (
        pl.col("project_annual_reduction_tco2e")
        * pl.col("_amount_fen").cast(pl.Float64)
        / pl.col("_investment_fen").cast(pl.Float64)
    )


def loan_reductions(loans: pl.DataFrame) -> pl.DataFrame:
    """Add ``loan_annual_reduction_tco2e`` = project annual reduction × loan amount / project total
    investment to every loan (see :func:`loan_annual_reduction`).

    Needs ``loan_id, amount_10k_cny, project_total_investment_10k_cny,
    project_annual_reduction_tco2e``; when ``project_id`` is present the project fields must agree
    across its loans. Amounts are compared at fen precision. Unrounded result.

    Raises
    ------
    CerfInputError
        With every problem (row, field).
    """
    required = [*_REDUCTION_REQUIRED, *(c for c in ("project_id", "area") if c in loans.columns)]
    frame = _checked(loans, required)
    out = frame.with_columns(_loan_reduction_expr().alias("loan_annual_reduction_tco2e"))
    return out.select(*loans.columns, "loan_annual_reduction_tco2e")


def _terms_frame(parameter: str) -> pl.DataFrame:
    rows = [t for t in tool_terms() if t.parameter == parameter]
    return pl.DataFrame(
        {
            "_from": [t.effective_from for t in rows],
            "_to": [t.effective_to for t in rows],
            f"_{parameter}": [t.value for t in rows],
            f"_{parameter}_status": [t.status for t in rows],
            f"_{parameter}_edition": [t.edition for t in rows],
        },
        schema_overrides={"_from": pl.Date, "_to": pl.Date},
    ).sort("_from")


def _attach_term(frame: pl.DataFrame, parameter: str) -> pl.DataFrame:
    """As-of join of the term row in force on ``disbursed_on`` (null outside every window)."""
    terms = _terms_frame(parameter)
    joined = (
        frame.sort("disbursed_on")
        .join_asof(terms, left_on="disbursed_on", right_on="_from", strategy="backward")
        .sort("_row")
    )
    outside = pl.col("_to").is_not_null() & (pl.col("disbursed_on") >= pl.col("_to"))
    cols = [f"_{parameter}", f"_{parameter}_status", f"_{parameter}_edition"]
    return joined.with_columns(
        [pl.when(outside).then(None).otherwise(pl.col(c)).alias(c) for c in cols]
    ).drop("_from", "_to")


def pboc_funding(loans: pl.DataFrame, *, accept_uncertain: bool = False) -> pl.DataFrame:
    """PBOC relending per loan: funding share × principal, at the tool rate in force on the
    disbursement date (先贷后借).

    .. math::

        F = s(d) \\times A, \\qquad r = r_{tool}(d)

    with :math:`A` the loan amount [万元], :math:`d` its ``disbursed_on``, :math:`s(d)` the funding
    share (0.60 from 2021-11-08) and :math:`r_{tool}(d)` the tool rate [% per year] (1.75 from
    2021-11-08; 1.5 from 2025-05-07, *uncertain*), both read from ``cerf_rates.csv``.

    Parameters
    ----------
    loans : pl.DataFrame
        Needs ``loan_id, disbursed_on, amount_10k_cny``; other columns are kept.
    accept_uncertain : bool, default True
        When False, a loan whose share or rate comes from an ``uncertain`` row is a problem.

    Returns
    -------
    pl.DataFrame
        The loans plus ``funding_share``, ``funding_10k_cny`` (at fen precision, 1e-6 万元),
        ``tool_rate_pct``, ``funding_share_status``, ``tool_rate_status`` (``verified`` /
        ``uncertain``) and ``tool_rate_edition``.

    Raises
    ------
    CerfInputError
        Invalid rows, and loans disbursed before the tool's start (no terms in force).

    Notes
    -----
    The PBOC actually lends against loans reported at each (monthly, from 2026 quarterly)
    operation; taking the terms in force on the disbursement date is this module's convention.
    """
    frame = _checked(loans, ("loan_id", "disbursed_on", "amount_10k_cny"))
    frame = _attach_term(_attach_term(frame, "funding_share"), "tool_rate_pct")
    problems: list[Problem] = []
    for parameter in ("funding_share", "tool_rate_pct"):
        msg = pl.format(
            "no " + parameter + " in force on {} (the tool started " + str(tool_start()) + ")",
            pl.col("disbursed_on"),
        )
        problems += _row_problems(frame, pl.col(f"_{parameter}").is_null(), "disbursed_on", msg)
        if not accept_uncertain:
            uncertain = pl.col(f"_{parameter}_status") == "uncertain"
            msg = pl.format(parameter + " in force on {} is uncertain", pl.col("disbursed_on"))
            problems += _row_problems(frame, uncertain, "disbursed_on", msg)
    if problems:
        raise CerfInputError(sorted(problems, key=lambda p: (p.row or 0, p.message)))
    funding_fen = (
        (pl.col("_amount_fen").cast(pl.Float64) * pl.col("_funding_share"))
        .round(0, mode="half_away_from_zero")
        .cast(pl.Int64)
    )
    return frame.select(
        *loans.columns,
        pl.col("_funding_share").alias("funding_share"),
        (funding_fen.cast(pl.Float64) / FEN_PER_10K_CNY).alias("funding_10k_cny"),
        pl.col("_tool_rate_pct").alias("tool_rate_pct"),
        pl.col("_funding_share_status").alias("funding_share_status"),
        pl.col("_tool_rate_pct_status").alias("tool_rate_status"),
        pl.col("_tool_rate_pct_edition").alias("tool_rate_edition"),
    )


def loans_supported(funding: float, share: float | None = None) -> float:
    """Loans implied by an amount of PBOC funding: :math:`L = F / s`.

    Parameters
    ----------
    funding : float
        Funding provided through the tool (any currency unit; the result is in the same unit).
    share : float, optional
        Funding share; default the share in force at the tool's start (0.60).

    Examples
    --------
    2022 Q1 monetary policy report: 1,386 亿 provided → about 2,310 亿 of loans
    (methods.md §3.4): ``loans_supported(1386) == 2310``.
    """
    s = term_in_force("funding_share", tool_start()).value if share is None else share
    if not 0 < s <= 1:
        raise CerfInputError([Problem(None, "share", f"{s} is not in (0, 1]")])
    return funding / s


# ---------------------------------------------------------------------------------------------
# Eligibility


@dataclass(frozen=True)
class AreaEligibility:
    """Eligibility of an (area, sub-area) on a date.

    ``eligible`` is True for a sub-area listed and in force (``reason = "listed"``), a 2026
    expansion category (``"expansion_category"``, status ``unverified``: its area is assumed) or,
    only with ``assume_direct_reduction_mark=True``, a 2025-catalogue item marked √√
    (``"direct_reduction_mark"``, status ``working_assumption``). Otherwise False with reason
    ``unknown_area``, ``before_tool_start`` or ``not_listed`` (status ``unverified``: the 2021
    list ends with 等, so an unlisted sub-area cannot be confirmed either way).
    """

    area: str
    sub_area: str
    on_date: date
    eligible: bool
    status: str
    reason: str
    basis: str
    source: str
    assumption_applied: bool
    note: str


@cache
def direct_reduction_items() -> dict[str, str]:
    """2025 catalogue item codes carrying √√ (direct reduction) → a note on the item.

    The note says whether only some of the item's GB/T 4754 activity rows carry √√ (then the
    financed activity must be checked against the row).
    """
    from greenfin.reference.taxonomy import cached_rows
    from greenfin.taxonomy import load_catalogue

    catalogue = load_catalogue("green-finance-2025")
    marks: dict[str, set[str]] = {}
    for row in cached_rows("green_finance_2025_activities.csv"):
        marks.setdefault(row["item_code"], set()).add(row["ghg_mark"])
    out = {}
    for item in catalogue.finest():
        if item.ghg_mark != "√√":
            continue
        mixed = marks.get(item.code, set()) != {"√√"}
        out[item.code] = f"《绿色金融支持项目目录（2025年版）》 {item.code} {item.name_zh} √√" + (
            "; only some of its activity rows carry √√" if mixed else ""
        )
    return out


def _rules_frame() -> pl.DataFrame:
    rules = [r for r in area_rules() if r.kind != "open"]
    return pl.DataFrame(
        {
            "_r_area": [r.area for r in rules],
            "_r_sub": [r.sub_area for r in rules],
            "_r_kind": [r.kind for r in rules],
            "_r_from": [r.effective_from for r in rules],
            "_r_to": [r.effective_to for r in rules],
            "_r_status": [r.status for r in rules],
            "_r_listed": [r.listed_in for r in rules],
            "_r_source": [r.source for r in rules],
        },
        schema_overrides={"_r_from": pl.Date, "_r_to": pl.Date},
    )


def eligible_frame(
    frame: pl.DataFrame,
    *,
    date_column: str = "disbursed_on",
    assume_direct_reduction_mark: bool = False,
    catalogue_item_column: str = "catalogue_item",
) -> pl.DataFrame:
    """Vectorised :func:`eligible_area` over a frame with ``area``, ``sub_area`` and a date.

    Parameters
    ----------
    frame : pl.DataFrame
        Needs ``area``, ``sub_area`` and ``date_column``; with the working assumption also
        ``catalogue_item_column`` (a 2025 catalogue level-3 code such as ``1.3.1``, may be null).
    assume_direct_reduction_mark : bool, default False
        **Working assumption, not a sourced rule**: from the January 2026 expansion on, treat a
        project financed under a 2025-catalogue item marked √√ (具有直接碳减排效益) as eligible,
        because the 2026 release extends the tool to 「具有直接碳减排效应的项目」 without a list.

    Returns
    -------
    pl.DataFrame
        The frame plus ``eligible`` (bool), ``eligibility_status`` (``verified`` /
        ``unverified`` / ``working_assumption``), ``eligibility_reason``, ``eligibility_basis``
        and ``assumption_applied`` (bool).

    Raises
    ------
    CerfInputError
        Missing columns or values, unparseable dates.
    """
    required = ["area", "sub_area", date_column]
    if assume_direct_reduction_mark:
        required.append(catalogue_item_column)
    problems = [
        Problem(None, c, "required column is missing / 缺少必填列")
        for c in required
        if c not in frame.columns
    ]
    if problems:
        raise CerfInputError(problems)
    work = frame.with_row_index("_row", offset=1).with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.col("area").cast(pl.String).str.strip_chars().alias("_area"),
        pl.col("sub_area").cast(pl.String).str.strip_chars().alias("_sub"),
        _date_expr(frame, date_column).alias("_date"),
        (
            pl.col(catalogue_item_column).cast(pl.String).str.strip_chars()
            if assume_direct_reduction_mark
            else pl.lit(None, pl.String)
        ).alias("_item"),
    )
    for c, expr in (("area", "_area"), ("sub_area", "_sub")):
        problems += _row_problems(
            work,
            pl.col(expr).is_null() | (pl.col(expr) == ""),
            c,
            pl.lit("missing value / 缺少取值"),
        )
    problems += _row_problems(
        work,
        pl.col("_date").is_null(),
        date_column,
        pl.format("'{}' is not a date (YYYY-MM-DD)", pl.col(date_column).cast(pl.String)),
    )
    if problems:
        raise CerfInputError(problems)

    in_force = (pl.col("_r_from") <= pl.col("_date")) & (
        pl.col("_r_to").is_null() | (pl.col("_date") < pl.col("_r_to"))
    )
    rank = pl.when(pl.col("_r_status") == "verified").then(0).otherwise(1)
    hits = (
        work.select("_row", "_area", "_sub", "_date")
        .join(_rules_frame(), left_on=["_area", "_sub"], right_on=["_r_area", "_r_sub"])
        .filter(in_force)
        .with_columns(rank.alias("_rank"))
        .sort("_row", "_rank")
        .unique("_row", keep="first", maintain_order=True)
        .select("_row", "_r_kind", "_r_status", "_r_listed")
    )
    items = direct_reduction_items()
    item_notes = pl.DataFrame(
        {"_item": list(items), "_item_note": list(items.values())},
        schema={"_item": pl.String, "_item_note": pl.String},
    )
    work = work.join(hits, on="_row", how="left").join(item_notes, on="_item", how="left")

    known_area = pl.col("_area").is_in(list(AREAS))
    before = pl.col("_date") < pl.lit(tool_start())
    hit = pl.col("_r_kind").is_not_null()
    by_mark = pl.lit(assume_direct_reduction_mark) & pl.col("_item_note").is_not_null()
    by_mark = by_mark & (pl.col("_date") >= pl.lit(expansion_start()))

    def case(*values: tuple[pl.Expr, Any]) -> pl.Expr:
        expr: Any = pl
        for cond, value in values:
            expr = expr.when(cond).then(value)
        return expr

    conditions = (~known_area, before, hit, by_mark)
    eligible = case(*zip(conditions, (False, False, True, True), strict=True)).otherwise(False)
    status = case(
        *zip(
            conditions,
            (
                pl.lit("verified"),
                pl.lit("verified"),
                pl.col("_r_status"),
                pl.lit("working_assumption"),
            ),
            strict=True,
        )
    ).otherwise(pl.lit("unverified"))
    reason = case(
        *zip(
            conditions,
            (
                pl.lit("unknown_area"),
                pl.lit("before_tool_start"),
                pl.when(pl.col("_r_kind") == "named")
                .then(pl.lit("listed"))
                .otherwise(pl.lit("expansion_category")),
                pl.lit("direct_reduction_mark"),
            ),
            strict=True,
        )
    ).otherwise(pl.lit("not_listed"))
    basis = case(
        *zip(
            conditions,
            (
                pl.lit("碳减排领域: " + " / ".join(AREAS)),
                pl.lit(f"tool in force from {tool_start()}"),
                pl.format("{}: {}", pl.col("_r_listed"), pl.col("_sub")),
                pl.format("working assumption (2026 expansion): {}", pl.col("_item_note")),
            ),
            strict=True,
        )
    ).otherwise(pl.lit("not named in any source; the 2021 list is open-ended (等)"))
    out = work.with_columns(
        eligible.cast(pl.Boolean).alias("eligible"),
        status.alias("eligibility_status"),
        reason.alias("eligibility_reason"),
        basis.alias("eligibility_basis"),
        (known_area & ~before & ~hit & by_mark).alias("assumption_applied"),
    ).sort("_row")
    return out.select(
        *frame.columns,
        "eligible",
        "eligibility_status",
        "eligibility_reason",
        "eligibility_basis",
        "assumption_applied",
    )


def eligible_area(
    area: str,
    sub_area: str,
    on_date: date | str,
    *,
    assume_direct_reduction_mark: bool = False,
    catalogue_item: str | None = None,
) -> AreaEligibility:
    """Is a 碳减排领域 / sub-area eligible for the tool on a date?

    Parameters
    ----------
    area : str
        清洁能源, 节能环保 or 碳减排技术.
    sub_area : str
        Sub-area as worded in the 2021 Q&A (e.g. 风力发电) or a 2026 expansion category
        (节能改造, 绿色升级, 能源绿色低碳转型).
    on_date : date or str
        Disbursement date (ISO).
    assume_direct_reduction_mark : bool, default False
        Apply the √√ working assumption (see :func:`eligible_frame`); needs ``catalogue_item``.
    catalogue_item : str, optional
        《绿色金融支持项目目录（2025年版）》 level-3 code of the financed activity.

    Returns
    -------
    AreaEligibility
        Verdict with ``status``, ``reason``, ``basis``, ``source`` and whether the working
        assumption decided it (``assumption_applied``).
    """
    day = _as_date(on_date, "on_date")
    frame = pl.DataFrame(
        {
            "area": [area],
            "sub_area": [sub_area],
            "disbursed_on": [day],
            "catalogue_item": [catalogue_item],
        },
        schema={
            "area": pl.String,
            "sub_area": pl.String,
            "disbursed_on": pl.Date,
            "catalogue_item": pl.String,
        },
    )
    row = eligible_frame(frame, assume_direct_reduction_mark=assume_direct_reduction_mark).row(
        0, named=True
    )
    reason = row["eligibility_reason"]
    wanted = {"listed": sub_area.strip(), "expansion_category": sub_area.strip(), "not_listed": "*"}
    rules = [r for r in area_rules() if r.area == area.strip() and r.in_force(day)]
    if reason in wanted:
        rule = next(r for r in rules if r.sub_area == wanted[reason])
    else:
        rule = next(r for r in area_rules() if r.kind == "named")
    source, note = rule.source, rule.note
    if row["assumption_applied"]:
        source = "《绿色金融支持项目目录（2025年版）》 (银发〔2025〕132号) √√ mark; PBOC 2026-01-15"
        note = (
            "working assumption: the 2026 expansion covers 具有直接碳减排效应的项目 without a "
            "published list; no source defines eligibility by the √√ mark"
        )
    return AreaEligibility(
        area=area,
        sub_area=sub_area,
        on_date=day,
        eligible=bool(row["eligible"]),
        status=row["eligibility_status"],
        reason=row["eligibility_reason"],
        basis=row["eligibility_basis"],
        source=source,
        assumption_applied=bool(row["assumption_applied"]),
        note=note,
    )


# ---------------------------------------------------------------------------------------------
# Quarterly disclosure


def disclosure(loans: pl.DataFrame, quarter: str, since: str | None = None) -> pl.DataFrame:
    """The banks' quarterly CERF disclosure table (碳减排支持工具信息披露).

    For each period — ``quarter`` (本季度), ``ytd`` (本年度累计, 1 January to the quarter end)
    and ``since_start`` (获得工具以来累计, first day of ``since`` to the quarter end) — and each
    碳减排领域 plus ``合计``:

    - ``projects`` 支持的项目数量（个）: distinct ``project_id`` among the period's loans (a project
      financed by several loans counts once);
    - ``amount_10k_cny`` 贷款金额（万元）: :math:`\\sum A_i`;
    - ``weighted_rate_pct`` 加权平均利率（%）: :math:`\\sum A_i r_i / \\sum A_i`; null when there is
      no loan (never a zero rate);
    - ``annual_reduction_tco2e`` 带动的年度碳减排量（吨二氧化碳当量）:
      :math:`\\sum R_{project,i} A_i / I_{project,i}`.

    A loan belongs to a period when ``disbursed_on`` lies in it (bounds inclusive); loans disbursed
    after the quarter end are excluded everywhere.

    Parameters
    ----------
    loans : pl.DataFrame
        :data:`LOAN_COLUMNS`; extra columns are ignored.
    quarter : str
        Reporting quarter, e.g. ``"2023Q2"``.
    since : str, optional
        First quarter of ``since_start``; default the tool's start quarter ``2021Q4``.

    Returns
    -------
    pl.DataFrame
        :data:`DISCLOSURE_COLUMNS`, 12 rows: periods in the order above, areas in the order
        清洁能源, 节能环保, 碳减排技术, 合计 (every area shown, with zeros when it had no loan).

    Raises
    ------
    CerfInputError
        Every problem of the loans (see :func:`validate_loans`) and of ``quarter`` / ``since``.

    Notes
    -----
    Rounding (as banks publish): amount half up to 0.01 万元 from exact fen sums; rate and
    reduction half up to 2 decimals (:func:`round_half_up`). ``合计`` is computed from unrounded
    values and rounded once, so it can differ from the sum of the rounded area rows by at
    most 0.02. A project has one area (loans of one project in two areas are rejected), so ``合计``
    projects equal the sum of the areas' projects.
    """
    problems: list[Problem] = []
    bounds: dict[str, tuple[date, date]] = {}
    try:
        bounds = period_bounds(quarter, since)
    except CerfInputError as exc:
        problems.extend(exc.problems)
    frame, loan_problems = _prepare(loans, LOAN_COLUMNS)
    problems = [*problems, *loan_problems]
    if problems:
        raise CerfInputError(problems)

    periods = pl.DataFrame(
        {
            "period": list(bounds),
            "_start": [b[0] for b in bounds.values()],
            "_end": [b[1] for b in bounds.values()],
        },
        schema_overrides={"_start": pl.Date, "_end": pl.Date},
    )
    members = (
        frame.select(
            "project_id",
            "area",
            "disbursed_on",
            "_amount_fen",
            (pl.col("_amount_fen").cast(pl.Float64) * pl.col("rate_pct")).alias("_rate_x"),
            _loan_reduction_expr().alias("_reduction"),
        )
        .join(periods, how="cross")
        .filter(pl.col("disbursed_on").is_between(pl.col("_start"), pl.col("_end")))
    )
    aggs = (
        pl.col("project_id").n_unique().cast(pl.Int64).alias("projects"),
        pl.col("_amount_fen").sum().alias("_fen"),
        pl.col("_rate_x").sum().alias("_rate_x"),
        pl.col("_reduction").sum().alias("_reduction"),
    )
    by_area = members.group_by("period", "area").agg(*aggs)
    total = members.group_by("period").agg(*aggs).with_columns(pl.lit(TOTAL).alias("area"))
    skeleton = pl.DataFrame(
        {
            "period": [p for p in PERIODS for _ in (*AREAS, TOTAL)],
            "area": [a for _ in PERIODS for a in (*AREAS, TOTAL)],
        }
    )
    table = skeleton.join(
        pl.concat([by_area, total.select(by_area.columns)]),
        on=["period", "area"],
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.col("projects").fill_null(0),
        pl.col("_fen").fill_null(0),
        pl.col("_rate_x").fill_null(0.0),
        pl.col("_reduction").fill_null(0.0),
    )
    return table.select(
        "period",
        "area",
        "projects",
        _fen_to_10k_2dp(pl.col("_fen")).alias("amount_10k_cny"),
        round_half_up(
            pl.when(pl.col("_fen") > 0).then(pl.col("_rate_x") / pl.col("_fen").cast(pl.Float64))
        ).alias("weighted_rate_pct"),
        round_half_up(pl.col("_reduction")).alias("annual_reduction_tco2e"),
    )


def to_template(table: pl.DataFrame) -> pl.DataFrame:
    """The disclosure table with the template's Chinese period labels and column headers."""
    return table.with_columns(pl.col("period").replace_strict(PERIOD_LABELS_ZH)).rename(
        COLUMN_LABELS_ZH
    )
