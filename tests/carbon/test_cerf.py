"""PBOC 碳减排支持工具 (CERF): loan-level reduction, funding terms, eligibility, the quarterly
disclosure table and input validation."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.carbon import cerf
from greenfin.carbon.cerf import AREAS, TOTAL, CerfInputError


def loan(
    loan_id: str,
    project_id: str,
    disbursed_on: str,
    amount: float,
    *,
    area: str = "清洁能源",
    sub_area: str = "风力发电",
    rate: float = 3.0,
    investment: float = 10_000.0,
    reduction: float = 20_000.0,
) -> dict:
    return {
        "loan_id": loan_id,
        "project_id": project_id,
        "area": area,
        "sub_area": sub_area,
        "disbursed_on": disbursed_on,
        "amount_10k_cny": amount,
        "rate_pct": rate,
        "project_total_investment_10k_cny": investment,
        "project_annual_reduction_tco2e": reduction,
    }


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA)


SCHEMA = {
    "loan_id": pl.String,
    "project_id": pl.String,
    "area": pl.String,
    "sub_area": pl.String,
    "disbursed_on": pl.String,
    "amount_10k_cny": pl.Float64,
    "rate_pct": pl.Float64,
    "project_total_investment_10k_cny": pl.Float64,
    "project_annual_reduction_tco2e": pl.Float64,
}


def cell(table: pl.DataFrame, period: str, area: str, column: str):
    row = table.filter((pl.col("period") == period) & (pl.col("area") == area))
    assert row.height == 1
    return row[column][0]


def problems_of(exc: pytest.ExceptionInfo[CerfInputError]) -> set[tuple[int | None, str]]:
    return {(p.row, p.field) for p in exc.value.problems}


# --- configuration ----------------------------------------------------------------------------


def test_configuration_rows_carry_source_edition_and_status():
    for rule in cerf.area_rules():
        assert rule.source and rule.edition and rule.status in {"verified", "unverified"}
        assert rule.area in AREAS
    for term in cerf.tool_terms():
        assert term.source and term.edition and term.status in {"verified", "uncertain"}
    named = [r for r in cerf.area_rules() if r.kind == "named"]
    assert len(named) == 17 and all(r.status == "verified" for r in named)
    assert {r.status for r in cerf.area_rules() if r.kind != "named"} == {"unverified"}
    assert [p["file"] for p in cerf.provenance()] == [
        "carbon/cerf_areas.csv",
        "carbon/cerf_rates.csv",
    ]


def test_terms_in_force_and_their_status():
    assert cerf.tool_start() == date(2021, 11, 8)
    assert cerf.tool_start_quarter() == "2021Q4"
    rate = cerf.term_in_force("tool_rate_pct", "2021-11-08")
    assert (rate.value, rate.status) == (1.75, "verified")
    assert cerf.term_in_force("tool_rate_pct", "2025-05-06").value == 1.75
    cut = cerf.term_in_force("tool_rate_pct", "2025-05-07")
    assert (cut.value, cut.status) == (1.5, "uncertain")
    share = cerf.term_in_force("funding_share", "2022-06-30")
    assert (share.value, share.status) == (0.6, "verified")
    assert cerf.term_in_force("funding_share", "2026-01-15").status == "uncertain"
    with pytest.raises(CerfInputError):
        cerf.term_in_force("tool_rate_pct", "2021-11-07")


# --- loan-level reduction ---------------------------------------------------------------------


def test_loan_level_reduction_is_project_reduction_times_loan_share_of_investment():
    # 1,000 万元 of a 5,000 万元 project cutting 10,000 t/yr → 2,000 t/yr (methods.md §3.3)
    assert cerf.loan_annual_reduction(10_000, 1_000, 5_000) == pytest.approx(2_000)
    assert cerf.loan_annual_reduction(0, 1_000, 5_000) == 0
    out = cerf.loan_reductions(
        frame(
            loan("L1", "P1", "2023-01-01", 2_500, investment=10_000, reduction=8_000),
            loan("L2", "P1", "2023-02-01", 7_500, investment=10_000, reduction=8_000),
        )
    )
    assert out["loan_annual_reduction_tco2e"].to_list() == pytest.approx([2_000, 6_000])
    assert out["loan_annual_reduction_tco2e"].sum() == pytest.approx(8_000)


def test_loan_level_reduction_rejects_bad_inputs():
    with pytest.raises(CerfInputError) as exc:
        cerf.loan_annual_reduction(10_000, 6_000, 5_000)
    assert problems_of(exc) == {(None, "amount_10k_cny")}
    with pytest.raises(CerfInputError) as exc:
        cerf.loan_annual_reduction(-1, 1_000, 0)
    assert problems_of(exc) == {
        (None, "project_annual_reduction_tco2e"),
        (None, "project_total_investment_10k_cny"),
    }


# --- PBOC funding -----------------------------------------------------------------------------


def test_funding_is_60_percent_of_principal_at_the_rate_in_force_on_disbursement():
    loans = frame(
        loan("L1", "P1", "2021-11-08", 1_000),
        loan("L2", "P2", "2025-05-06", 333.33),
        loan("L3", "P3", "2025-05-07", 500),
        loan("L4", "P4", "2026-02-01", 100),
    )
    out = cerf.pboc_funding(loans, accept_uncertain=True)  # uncertain terms only on request
    assert out["funding_share"].to_list() == [0.6] * 4
    assert out["funding_10k_cny"].to_list() == pytest.approx([600, 199.998, 300, 60])
    assert out["tool_rate_pct"].to_list() == [1.75, 1.75, 1.5, 1.5]
    assert out["tool_rate_status"].to_list() == ["verified", "verified", "uncertain", "uncertain"]
    assert out["funding_share_status"].to_list() == ["verified"] * 3 + ["uncertain"]
    assert out.columns[: len(loans.columns)] == loans.columns


def test_funding_rejects_loans_before_the_tool_and_optionally_uncertain_terms():
    loans = frame(loan("L1", "P1", "2021-11-07", 1_000), loan("L2", "P2", "2025-06-01", 10))
    with pytest.raises(CerfInputError) as exc:
        cerf.pboc_funding(loans, accept_uncertain=True)
    assert problems_of(exc) == {(1, "disbursed_on")}
    with pytest.raises(CerfInputError) as exc:  # the default refuses uncertain terms
        cerf.pboc_funding(loans.slice(1))
    assert problems_of(exc) == {(1, "disbursed_on")}
    assert "uncertain" in exc.value.problems[0].message


def test_published_aggregate_check_1386_yi_at_60_percent_is_about_2310_yi_of_loans():
    # 2022 Q1 monetary policy report (methods.md §3.4): 1,386 亿 provided → ~2,310 亿 of loans
    assert cerf.loans_supported(1_386) == pytest.approx(2_310)
    assert cerf.loans_supported(1_386, 0.6) == pytest.approx(2_310)
    # end-June 2023: balance 4,530 亿 "supporting more than 7,500 亿" of loans (methods.md §3.1)
    assert cerf.loans_supported(4_530) > 7_500
    # end-April 2023: nearly 4,000 亿 supporting ~6,700 亿
    assert cerf.loans_supported(4_000) == pytest.approx(6_700, rel=0.01)
    with pytest.raises(CerfInputError):
        cerf.loans_supported(1_386, 0)


# --- eligibility ------------------------------------------------------------------------------


def test_eligibility_of_listed_unlisted_and_unknown():
    wind = cerf.eligible_area("清洁能源", "风力发电", date(2022, 1, 1))
    assert (wind.eligible, wind.status, wind.reason) == (True, "verified", "listed")
    assert "2021" in wind.basis and wind.source
    ccus = cerf.eligible_area("碳减排技术", "碳捕集、封存与利用", "2023-05-01")
    assert ccus.eligible
    unlisted = cerf.eligible_area("清洁能源", "核电", "2022-01-01")
    assert (unlisted.eligible, unlisted.status, unlisted.reason) == (
        False,
        "unverified",
        "not_listed",
    )
    assert "等" in unlisted.note
    assert cerf.eligible_area("交通运输", "风力发电", "2022-01-01").reason == "unknown_area"
    assert cerf.eligible_area("清洁能源", "风力发电", "2021-11-07").reason == "before_tool_start"


def test_2026_expansion_categories_are_eligible_but_unverified_from_the_release_date():
    before = cerf.eligible_area("节能环保", "节能改造", "2026-01-14")
    after = cerf.eligible_area("节能环保", "节能改造", "2026-01-15")
    assert not before.eligible
    assert (after.eligible, after.status, after.reason) == (
        True,
        "unverified",
        "expansion_category",
    )


def test_direct_reduction_mark_is_an_explicit_reported_working_assumption():
    kwargs = {"catalogue_item": "1.3.1"}  # 锅炉（窑炉）节能改造和能效提升, √√
    off = cerf.eligible_area("节能环保", "锅炉节能改造", "2026-03-01", **kwargs)
    assert not off.eligible and not off.assumption_applied
    on = cerf.eligible_area(
        "节能环保", "锅炉节能改造", "2026-03-01", assume_direct_reduction_mark=True, **kwargs
    )
    assert (on.eligible, on.status, on.reason) == (
        True,
        "working_assumption",
        "direct_reduction_mark",
    )
    assert on.assumption_applied and "1.3.1" in on.basis and "assumption" in on.note
    early = cerf.eligible_area(
        "节能环保", "锅炉节能改造", "2025-12-31", assume_direct_reduction_mark=True, **kwargs
    )
    assert not early.eligible
    enabling = cerf.eligible_area(
        "节能环保", "x", "2026-03-01", assume_direct_reduction_mark=True, catalogue_item="1.1.1"
    )
    assert not enabling.eligible  # 1.1.1 is not marked √√
    assert all(code.count(".") == 2 for code in cerf.direct_reduction_items())


def test_eligible_frame_matches_the_scalar_function_and_names_bad_rows():
    df = pl.DataFrame(
        {
            "area": ["清洁能源", "清洁能源", "节能环保", "其他"],
            "sub_area": ["风力发电", "核电", "锅炉节能改造", "x"],
            "disbursed_on": ["2022-01-01", "2022-01-01", "2026-03-01", "2022-01-01"],
            "catalogue_item": [None, None, "1.3.1", None],
        }
    )
    out = cerf.eligible_frame(df, assume_direct_reduction_mark=True)
    assert out["eligible"].to_list() == [True, False, True, False]
    assert out["assumption_applied"].to_list() == [False, False, True, False]
    assert out["eligibility_reason"].to_list() == [
        "listed",
        "not_listed",
        "direct_reduction_mark",
        "unknown_area",
    ]
    for row in out.iter_rows(named=True):
        single = cerf.eligible_area(
            row["area"],
            row["sub_area"],
            row["disbursed_on"],
            assume_direct_reduction_mark=True,
            catalogue_item=row["catalogue_item"],
        )
        assert single.eligible == row["eligible"] and single.status == row["eligibility_status"]
    with pytest.raises(CerfInputError) as exc:
        cerf.eligible_frame(df.with_columns(pl.lit("2022-02-30").alias("disbursed_on")))
    assert (1, "disbursed_on") in problems_of(exc)
    with pytest.raises(CerfInputError) as exc:
        cerf.eligible_frame(df.drop("catalogue_item"), assume_direct_reduction_mark=True)
    assert problems_of(exc) == {(None, "catalogue_item")}


# --- disclosure table -------------------------------------------------------------------------


def test_disclosure_shape_columns_and_order():
    table = cerf.disclosure(frame(loan("L1", "P1", "2023-05-01", 100)), "2023Q2")
    assert table.columns == list(cerf.DISCLOSURE_COLUMNS)
    assert table["period"].to_list() == [p for p in cerf.PERIODS for _ in range(4)]
    assert table["area"].to_list() == [*AREAS, TOTAL] * 3
    assert table.schema["projects"] == pl.Int64
    # an area without loans: zero counts and amounts, but no invented rate
    assert cell(table, "quarter", "节能环保", "projects") == 0
    assert cell(table, "quarter", "节能环保", "amount_10k_cny") == 0
    assert cell(table, "quarter", "节能环保", "weighted_rate_pct") is None
    headers = cerf.to_template(table)
    assert "贷款金额（万元）" in headers.columns
    assert headers["期间"].unique(maintain_order=True).to_list() == [
        "本季度",
        "本年度累计",
        "获得工具以来累计",
    ]


def test_a_project_financed_by_several_loans_counts_once():
    table = cerf.disclosure(
        frame(
            loan("L1", "P1", "2023-04-03", 1_000),
            loan("L2", "P1", "2023-05-03", 2_000),
            loan("L3", "P1", "2023-06-03", 3_000),
            loan("L4", "P2", "2023-06-30", 500),
        ),
        "2023Q2",
    )
    assert cell(table, "quarter", "清洁能源", "projects") == 2
    assert cell(table, "quarter", TOTAL, "projects") == 2
    assert cell(table, "quarter", "清洁能源", "amount_10k_cny") == 6_500
    # reduction: 20,000 t × 6,500 / 10,000 = 13,000 t
    assert cell(table, "quarter", "清洁能源", "annual_reduction_tco2e") == pytest.approx(13_000)


def test_weighted_rate_is_amount_weighted_not_a_simple_mean():
    table = cerf.disclosure(
        frame(
            loan("L1", "P1", "2023-04-03", 1_000, rate=3.0),
            loan("L2", "P2", "2023-04-04", 500, rate=3.5),
        ),
        "2023Q2",
    )
    # (1000 × 3.0 + 500 × 3.5) / 1500 = 3.1667 → 3.17 (the simple mean would be 3.25)
    assert cell(table, "quarter", "清洁能源", "weighted_rate_pct") == 3.17
    assert cell(table, "quarter", TOTAL, "weighted_rate_pct") == 3.17


def test_period_boundaries_quarter_ytd_and_since_start():
    loans = frame(
        loan("before-since", "P0", "2021-09-30", 1),
        loan("prev-year", "P1", "2022-12-31", 10),
        loan("q1-end", "P2", "2023-03-31", 100),
        loan("q2-start", "P3", "2023-04-01", 1_000),
        loan("q2-end", "P4", "2023-06-30", 10_000),
        loan("after", "P5", "2023-07-01", 5_000),
    )
    table = cerf.disclosure(loans, "2023Q2")

    def amount(period: str) -> float:
        return cell(table, period, TOTAL, "amount_10k_cny")

    assert amount("quarter") == 11_000
    assert amount("ytd") == 11_100
    assert amount("since_start") == 11_110  # from 2021Q4: excludes 2021-09-30 and 2023-07-01
    assert cell(table, "since_start", TOTAL, "projects") == 4
    later = cerf.disclosure(loans, "2023Q2", since="2023Q1")
    assert cell(later, "since_start", TOTAL, "amount_10k_cny") == 11_100
    q4 = cerf.disclosure(loans, "2022Q4")
    assert cell(q4, "quarter", TOTAL, "amount_10k_cny") == 10
    assert cell(q4, "ytd", TOTAL, "amount_10k_cny") == 10


def test_total_rows_equal_the_sum_of_areas_and_each_project_counts_once():
    table = cerf.disclosure(
        frame(
            loan("L1", "P1", "2023-04-03", 1_000),
            loan("L2", "P1", "2023-04-05", 1_000),
            loan("L3", "P2", "2023-04-06", 300, area="节能环保", sub_area="工业领域能效提升"),
            loan("L4", "P3", "2023-04-07", 200, area="碳减排技术", sub_area="碳捕集、封存与利用"),
        ),
        "2023Q2",
    )
    for period in cerf.PERIODS:
        part = table.filter(pl.col("period") == period)
        areas, total = part.filter(pl.col("area") != TOTAL), part.filter(pl.col("area") == TOTAL)
        assert total["projects"][0] == areas["projects"].sum() == 3
        assert total["amount_10k_cny"][0] == pytest.approx(areas["amount_10k_cny"].sum())
        assert total["annual_reduction_tco2e"][0] == pytest.approx(
            areas["annual_reduction_tco2e"].sum()
        )


def test_a_project_in_two_areas_is_rejected_naming_row_and_field():
    loans = frame(
        loan("L1", "P1", "2023-04-03", 1_000),
        loan("L2", "P1", "2023-04-05", 1_000, area="节能环保", sub_area="工业领域能效提升"),
    )
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(loans, "2023Q2")
    assert problems_of(exc) == {(2, "area")}
    assert "P1" in exc.value.problems[0].message and "row 1" in exc.value.problems[0].message


def test_rounding_half_up_as_published():
    table = cerf.disclosure(
        frame(
            # 0.005 万元 = 50 CNY: half up to 0.01; reduction 1.005 t → 1.01 (float rounding: 1.0)
            loan("L1", "P1", "2023-04-03", 0.005, investment=1, reduction=1_005, rate=1.005),
        ),
        "2023Q2",
    )
    assert cell(table, "quarter", "清洁能源", "amount_10k_cny") == 0.01
    assert cell(table, "quarter", "清洁能源", "annual_reduction_tco2e") == 5.03  # 5.025 → 5.03
    assert cell(table, "quarter", "清洁能源", "weighted_rate_pct") == 1.01
    s = pl.DataFrame({"x": [1.005, 2.675, 0.285, None]})
    assert s.select(cerf.round_half_up(pl.col("x")))["x"].to_list() == [1.01, 2.68, 0.29, None]


def test_csv_strings_as_the_cli_reads_them():
    loans = frame(loan("L1", "P1", "2023-04-03", 1_234.56, rate=3.05)).with_columns(
        pl.all().cast(pl.String)
    )
    table = cerf.disclosure(loans, "2023q2")
    assert cell(table, "quarter", TOTAL, "amount_10k_cny") == 1_234.56
    assert cell(table, "quarter", TOTAL, "weighted_rate_pct") == 3.05


# --- validation -------------------------------------------------------------------------------


def test_every_problem_is_collected_with_row_and_field():
    loans = frame(
        loan("L1", "P1", "2023-04-03", 1_000),
        loan("L2", "P2", "2023-04-03", 1_000, area="交通运输"),
        loan("L3", "P3", "2023-04-03", 20_000, investment=10_000),
        loan("L4", "P4", "2023-04-03", -5),
        loan("L5", "P5", "2023-02-30", 10),
        loan("L6", "P1", "2023-04-03", 10, investment=9_000),
        loan("L7", "P1", "2023-04-03", 10, reduction=1),
        loan("L1", "P6", "2023-04-03", 10, rate=-1),
        loan("L9", "P7", "2023-04-03", 10, investment=-1),
    )
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(loans, "2023Q2")
    assert problems_of(exc) == {
        (2, "area"),
        (3, "amount_10k_cny"),
        (4, "amount_10k_cny"),
        (5, "disbursed_on"),
        (6, "project_total_investment_10k_cny"),
        (7, "project_annual_reduction_tco2e"),
        (8, "loan_id"),
        (8, "rate_pct"),
        (9, "project_total_investment_10k_cny"),
    }
    assert cerf.validate_loans(loans) == list(exc.value.problems)
    assert "2 problem" not in str(exc.value) and "9 problem(s)" in str(exc.value)


def test_missing_values_columns_and_non_numbers_are_problems_not_zeros():
    loans = frame(loan("L1", "P1", "2023-04-03", 1_000)).with_columns(pl.all().cast(pl.String))
    bad = pl.concat(
        [
            loans,
            loans.with_columns(
                pl.lit("L2").alias("loan_id"),
                pl.lit("abc").alias("amount_10k_cny"),
                pl.lit(None, pl.String).alias("rate_pct"),
                pl.lit("").alias("project_id"),
            ),
        ]
    )
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(bad.drop("sub_area"), "2023Q2")
    assert problems_of(exc) == {
        (None, "sub_area"),
        (2, "project_id"),
        (2, "amount_10k_cny"),
        (2, "rate_pct"),
    }


@pytest.mark.parametrize(
    ("quarter", "since", "fields"),
    [
        ("2023Q5", None, {"quarter"}),
        ("2023-06", None, {"quarter"}),
        ("2023Q2", "2023Q3", {"since"}),
        ("2023Q2", "2021Q3", {"since"}),
        ("2023Q2", "next", {"since"}),
        ("x", "y", {"quarter", "since"}),
    ],
)
def test_bad_quarters_are_named(quarter, since, fields):
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(frame(loan("L1", "P1", "2023-04-03", 1)), quarter, since)
    assert {p.field for p in exc.value.problems} == fields
    assert all(p.row is None for p in exc.value.problems)


def test_quarter_problems_and_row_problems_are_reported_together():
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(frame(loan("L1", "P1", "2023-04-03", -1)), "2023Q9")
    assert problems_of(exc) == {(None, "quarter"), (1, "amount_10k_cny")}


def test_empty_book_gives_zeros_and_no_rate():
    table = cerf.disclosure(pl.DataFrame(schema=SCHEMA), "2022Q1")
    assert table.height == 12
    assert table["projects"].sum() == 0 and table["amount_10k_cny"].sum() == 0
    assert table["weighted_rate_pct"].null_count() == 12


# --- invariants -------------------------------------------------------------------------------

START = date(2021, 10, 1)
DAYS = (date(2024, 12, 31) - START).days


@st.composite
def loan_books(draw: st.DrawFn) -> pl.DataFrame:
    n_projects = draw(st.integers(1, 8))
    projects = [
        (
            f"P{i}",
            draw(st.sampled_from(AREAS)),
            draw(st.integers(1, 10_000_000)),  # total investment in 0.01 万元
            draw(st.integers(0, 10_000_000)) / 100,  # annual reduction, t
        )
        for i in range(n_projects)
    ]
    rows = []
    remaining = {pid: cents for pid, _, cents, _ in projects}  # Σ loans ≤ total investment
    for j in range(draw(st.integers(0, 25))):
        pid, area, investment_cents, reduction = draw(st.sampled_from(projects))
        if remaining[pid] == 0:
            continue
        cents = draw(st.integers(1, remaining[pid]))
        remaining[pid] -= cents
        rows.append(
            loan(
                f"L{j}",
                pid,
                (START + timedelta(days=draw(st.integers(0, DAYS)))).isoformat(),
                cents / 100,
                area=area,
                sub_area="任意",
                rate=draw(st.integers(0, 600)) / 100,
                investment=investment_cents / 100,
                reduction=reduction,
            )
        )
    return frame(*rows)


QUARTERS = [f"{y}Q{q}" for y in (2021, 2022, 2023, 2024) for q in (1, 2, 3, 4)][3:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loan_books(), st.sampled_from(QUARTERS))
def test_invariants_totals_monotone_periods_and_rate_bounds(loans, quarter):
    table = cerf.disclosure(loans, quarter)
    for period in cerf.PERIODS:
        part = table.filter(pl.col("period") == period)
        areas, total = part.filter(pl.col("area") != TOTAL), part.filter(pl.col("area") == TOTAL)
        assert total["projects"][0] == areas["projects"].sum()
        assert abs(total["amount_10k_cny"][0] - areas["amount_10k_cny"].sum()) <= 0.0200001
        assert (
            abs(total["annual_reduction_tco2e"][0] - areas["annual_reduction_tco2e"].sum())
            <= 0.0200001
        )
        rates = part["weighted_rate_pct"].drop_nulls()
        if len(rates):
            assert loans["rate_pct"].min() - 0.005 <= rates.min()
            assert rates.max() <= loans["rate_pct"].max() + 0.005
    for area in (*AREAS, TOTAL):
        q, y, s = (cell(table, p, area, "amount_10k_cny") for p in cerf.PERIODS)
        assert q <= y <= s  # since 2021Q4 always starts before 1 January of the year
        q, y, s = (cell(table, p, area, "projects") for p in cerf.PERIODS)
        assert q <= y <= s


@settings(max_examples=40, deadline=None)
@given(loan_books(), st.sampled_from(QUARTERS))
def test_invariant_splitting_a_loan_changes_nothing_published(loans, quarter):
    if loans.height == 0:
        return
    first = loans.row(0, named=True)
    cents = round(first["amount_10k_cny"] * 100)
    if cents < 2:
        return
    half = cents // 2 / 100
    split = pl.concat(
        [
            frame(
                {**first, "loan_id": "A", "amount_10k_cny": half},
                {**first, "loan_id": "B", "amount_10k_cny": (cents - cents // 2) / 100},
            ),
            loans.slice(1),
        ]
    )
    a, b = cerf.disclosure(loans, quarter), cerf.disclosure(split, quarter)
    assert a["projects"].to_list() == b["projects"].to_list()
    assert a["amount_10k_cny"].to_list() == b["amount_10k_cny"].to_list()
    for column in ("weighted_rate_pct", "annual_reduction_tco2e"):
        for x, y in zip(a[column].to_list(), b[column].to_list(), strict=True):
            assert (x is None and y is None) or abs(x - y) <= 0.0100001


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 10_000_000),
    st.lists(st.integers(1, 100), min_size=1, max_size=6),
    st.floats(0, 1e7, allow_nan=False),
)
def test_invariant_loans_covering_the_whole_investment_carry_the_whole_reduction(
    investment_cents, weights, reduction
):
    # split the investment into loans in proportion to the weights, to the cent
    shares = [investment_cents * w // sum(weights) for w in weights]
    shares[-1] += investment_cents - sum(shares)
    rows = [
        loan(
            f"L{i}",
            "P1",
            "2023-01-01",
            c / 100,
            investment=investment_cents / 100,
            reduction=reduction,
        )
        for i, c in enumerate(shares)
        if c > 0
    ]
    out = cerf.loan_reductions(frame(*rows))
    assert out["loan_annual_reduction_tco2e"].sum() == pytest.approx(reduction, rel=1e-9, abs=1e-6)


def test_loans_may_not_claim_more_than_the_project():
    loans = frame(loan("L1", "P1", "2023-04-10", 800, investment=1_000),
                  loan("L2", "P1", "2023-05-10", 800, investment=1_000))  # fmt: skip
    with pytest.raises(CerfInputError) as exc:
        cerf.disclosure(loans, "2023Q2")
    assert problems_of(exc) == {(2, "amount_10k_cny")}


def test_ytd_never_exceeds_since_start_and_nothing_before_the_tool_counts():
    loans = frame(
        loan("L1", "P1", "2021-10-15", 100),  # before the tool started on 2021-11-08
        loan("L2", "P2", "2023-02-01", 50),
        loan("L3", "P3", "2023-05-01", 400),
    )
    table = cerf.disclosure(loans, "2023Q2", since="2023Q2")
    total = {r["period"]: r for r in table.filter(pl.col("area") == "合计").iter_rows(named=True)}
    assert total["ytd"]["amount_10k_cny"] <= total["since_start"]["amount_10k_cny"] == 400
    everything = cerf.disclosure(loans, "2023Q2")
    since = everything.filter((pl.col("period") == "since_start") & (pl.col("area") == "合计"))
    assert since["amount_10k_cny"][0] == 450  # the October 2021 loan is not the tool's
