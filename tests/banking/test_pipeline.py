"""Loan-book pipeline on small hand-checked books: screening → tag comparison → CERF → PCAF."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from greenfin.banking import loanbook as lb
from greenfin.banking import pipeline
from greenfin.banking import statistics as gs
from greenfin.identity import uscc
from tests.banking.test_loanbook import GOOD, OTHER, book, loan

SOLAR = "屋顶分布式光伏电站建设"  # screened: 4.2.2 太阳能利用设施建设和运营, needs_evidence
WORKING_CAPITAL = "补充流动资金"  # screened: out_of_scope
THIRD = uscc.compose("9", "1", "110108", "11223344")
FOURTH = uscc.compose("9", "1", "110108", "55667788")
FIFTH = uscc.compose("9", "1", "110108", "99887766")


def solar(i: int, **changes: str) -> dict[str, str]:
    base = {"purpose": SOLAR, "industry_code": "4416", "bank_green_tag": "",
            "bank_catalogue_code": "", "project_id": "", "project_total_investment_cny": "",
            "outstanding_cny": "1000000", "original_cny": "2000000"}  # fmt: skip
    return loan(i, **{**base, **changes})


def cash(i: int, **changes: str) -> dict[str, str]:
    return solar(i, purpose=WORKING_CAPITAL, industry_code="5171", **changes)


def analyse(*rows: dict[str, str], **kwargs: object) -> pl.DataFrame:
    return pipeline.analyse(lb.validate(book(*rows)), **kwargs)  # type: ignore[arg-type]


def test_screening_columns_follow_statistics_with_screening():
    result = analyse(solar(1), cash(2))
    assert result["screen_top_code"][0] == "4.2.2"
    assert result["screen_verdict"].cast(pl.String).to_list() == ["needs_evidence", "out_of_scope"]
    assert result["green_code"].to_list() == ["4.2.2", None]
    assert result["green_edition"].to_list() == ["green-finance-2025", None]
    # accept=("eligible",) is statistics.with_screening's default: text alone confirms nothing
    strict = analyse(solar(1), cash(2), accept=("eligible",))
    assert strict["green_code"].to_list() == [None, None]
    # the same determination with_screening gives on screen_frame output
    validated = lb.validate(book(solar(1), cash(2)))
    from greenfin.taxonomy.batch import screen_frame

    screened = screen_frame(gs.screening_input(validated), "green-finance-2025")
    expected = gs.with_screening(validated, screened, accept=pipeline.DEFAULT_ACCEPT)
    assert result["green_code"].to_list() == expected["green_code"].to_list()
    assert result["screen_top_score"].to_list() == screened["score_1"].to_list()


def test_tag_comparison_categories_by_hand():
    result = analyse(
        solar(1, bank_green_tag="是", bank_catalogue_code="4.2.2"),  # same item
        solar(2, bank_green_tag="是", bank_catalogue_code="4.2"),  # its parent: agrees
        solar(3, bank_green_tag="是", bank_catalogue_code="3.2.2"),  # 水资源: differs
        solar(  # industry-2019 3.2.2 is linked to 2025 4.2.2 by the crosswalk
            4,
            bank_green_tag="是",
            bank_catalogue_code="3.2.2",
            bank_catalogue_edition="industry-2019",
        ),
        solar(5, bank_green_tag="是"),  # tag without a code: cannot differ
        solar(6),  # platform green, bank silent
        cash(7, bank_green_tag="是", bank_catalogue_code="4.2.2"),  # bank green only
        cash(8, bank_green_tag="否"),
        cash(9),
    )
    assert result["tag_comparison"].cast(pl.String).to_list() == [
        "agree_green", "agree_green", "code_differs", "agree_green", "agree_green",
        "platform_only", "bank_only", "agree_not_green", "agree_not_green",
    ]  # fmt: skip
    totals = pipeline.summary(result)
    assert totals.tag_comparison == {
        "agree_green": 4, "agree_not_green": 2, "bank_only": 1, "platform_only": 1,
        "code_differs": 1,
    }  # fmt: skip
    assert totals.disagreements == 3
    assert totals.green_loans_bank == 6 and totals.green_balance_fen_bank == 6 * 100_000_000
    assert totals.green_loans_platform == 6


def cerf_book() -> pl.DataFrame:
    rows = [
        solar(1, project_id="P1", project_total_investment_cny="4000000"),
        solar(2, originated_on="2021-01-04", matures_on="2025-01-04"),
        solar(3, originated_on="2026-02-02", matures_on="2030-01-04"),
        solar(4),
        solar(5),
        solar(6, project_id="P6", project_total_investment_cny="1000000"),  # loan > investment
        solar(7),
    ]
    frame = book(*rows)
    return frame.with_columns(
        pl.Series("cerf_area", ["清洁能源", "清洁能源", "节能环保", "节能环保", "其他", "", None]),
        pl.Series("cerf_sub_area",
                  ["太阳能利用", "太阳能利用", "节能改造", "节能改造", "x", "", None]),
        pl.Series("project_annual_reduction_tco2e", ["100", "100", "abc", "-1", "", "10", None]),
    )  # fmt: skip


def test_cerf_eligibility_and_loan_reduction_by_hand():
    result = pipeline.analyse(lb.validate(cerf_book()))
    got = result.select(
        "cerf_eligible",
        pl.col("cerf_status").cast(pl.String),
        pl.col("cerf_reason").cast(pl.String),
        "loan_annual_reduction_tco2e",
        pl.col("reduction_reason").cast(pl.String),
    ).rows()
    assert got == [
        # listed sub-area in force on 2024-01-15; R = 100 × 2,000,000 / 4,000,000
        (True, "verified", "listed", 50.0, None),
        (False, "verified", "before_tool_start", None, "no_project_investment"),
        # the 2026 expansion category, in force from 2026-01-15 (area assumed: unverified)
        (True, "unverified", "expansion_category", None, "invalid_project_reduction"),
        # the same category before the expansion: not named anywhere then
        (False, "unverified", "not_listed", None, "invalid_project_reduction"),
        (False, "verified", "unknown_area", None, "no_project_reduction"),
        (None, None, "no_cerf_area", None, "loan_exceeds_investment"),
        (None, None, "no_cerf_area", None, "no_project_reduction"),
    ]
    totals = pipeline.summary(result)
    assert totals.cerf_eligible_loans == 2
    assert totals.cerf_eligible_balance_fen == 2 * 100_000_000
    assert totals.cerf_annual_reduction_tco2e == 50.0
    assert totals.cerf_reasons["no_cerf_area"] == 2
    assert totals.reduction_reasons == {
        "no_project_reduction": 2, "invalid_project_reduction": 2, "no_project_investment": 1,
        "loan_exceeds_investment": 1,
    }  # fmt: skip


def test_without_optional_columns_cerf_and_emissions_are_null_with_reasons():
    result = analyse(solar(1), cash(2))
    assert result["cerf_eligible"].to_list() == [None, None]
    assert set(result["cerf_reason"].cast(pl.String)) == {"no_cerf_area"}
    assert result["loan_annual_reduction_tco2e"].null_count() == 2
    for column in ("financed_scope1_tco2e", "financed_scope2_tco2e", "pcaf_attribution_factor",
                   "pcaf_dq_score"):  # fmt: skip
        assert result[column].null_count() == 2, column
    assert set(result["financed_emissions_reason"].cast(pl.String)) == {"no_borrower_emissions"}
    totals = pipeline.summary(result)
    assert totals.financed_scope1_tco2e is None and totals.loans_with_financed_emissions == 0
    assert totals.cerf_annual_reduction_tco2e is None


def test_financed_emissions_from_borrower_data_by_hand():
    result = analyse(
        solar(1, borrower_uscc=GOOD),
        solar(2, borrower_uscc=OTHER),
        solar(3, borrower_uscc=THIRD),
        solar(4, borrower_uscc=FOURTH),
        solar(5, borrower_uscc=FIFTH),
        borrowers=pl.DataFrame(
            {
                "borrower_uscc": [GOOD, OTHER, THIRD, FOURTH],
                "scope1_tco2e": [1000.0, 10.0, 10.0, 10.0],
                "scope2_tco2e": [500.0, 5.0, 5.0, 5.0],
                "evic_cny": [None, None, None, None],
                "total_equity_plus_debt_cny": [10_000_000.0, None, 500_000.0, 5_000_000.0],
                "dq_option": ["1b", "1b", "1b", "9z"],
            }
        ),
    )
    got = result.select(
        "pcaf_attribution_factor", "financed_scope1_tco2e", "financed_scope2_tco2e",
        "pcaf_dq_score", pl.col("financed_emissions_reason").cast(pl.String),
    ).rows()  # fmt: skip
    assert got[0] == pytest.approx((0.1, 100.0, 50.0, 2, None))  # 1,000,000 / 10,000,000; 1b → 2
    assert got[1][1:] == (None, None, None, "no_borrower_denominator")
    assert got[2][1:] == (None, None, None, "attribution_above_one")
    assert got[3][1:] == (None, None, None, "invalid_borrower_data")
    assert got[4][1:] == (None, None, None, "no_borrower_emissions")
    totals = pipeline.summary(result)
    assert totals.financed_scope1_tco2e == pytest.approx(100.0)
    assert totals.loans_with_financed_emissions == 1


def test_result_has_the_documented_contract_and_feeds_statistics():
    as_of = date(2026, 9, 30)
    result = analyse(
        solar(1, status="次级", credit_or_secured="担保", collateral_type="抵押"),
        solar(2, outstanding_cny="3000000"),
        cash(3),
        as_of=as_of,
    )
    assert dict(result.schema) == pipeline.result_schema()
    for name in pipeline.result_schema():  # every column is documented in the module docstring
        assert name in (pipeline.__doc__ or ""), name
    assert result["as_of"].to_list() == [as_of] * 3
    summary = gs.summary(result).filter(pl.col("bank") == gs.ALL_BANKS).row(0, named=True)
    assert summary["green_balance_fen"] == 400_000_000
    assert summary["green_npl_fen"] == 100_000_000
    assert summary["green_npl_ratio"] == pytest.approx(0.25)
    by_use = gs.by_use(result).filter((pl.col("bank") == gs.ALL_BANKS) & (pl.col("loans") > 0))
    assert by_use.select("balance_fen", "loans", "share").rows() == [(400_000_000, 2, 1.0)]
    totals = pipeline.summary(result)
    assert totals.green_npl_fen == 100_000_000 and totals.green_npl_ratio == pytest.approx(0.25)
    assert totals.green_credit_fen == 300_000_000  # loan 2 is 信用, loan 1 担保


def test_refuses_unvalidated_input():
    raw = book(solar(1))
    with pytest.raises(pipeline.PipelineInputError) as info:
        pipeline.analyse(raw)
    fields = {f for f, _m in info.value.problems}
    assert {"outstanding_fen", "original_fen", "industry_section"} <= fields
    typed_wrong = lb.validate(raw).with_columns(pl.col("originated_on").cast(pl.String))
    with pytest.raises(pipeline.PipelineInputError, match="originated_on"):
        pipeline.analyse(typed_wrong)


def test_bad_loan_anywhere_rejects_the_book_before_the_pipeline():
    rows = [solar(i) for i in range(1, 2001)]
    rows.append(solar(2001, outstanding_cny="-5"))
    with pytest.raises(lb.LoanBookError) as info:
        lb.validate(book(*rows))
    assert [(p.row, p.field) for p in info.value.first()] == [(2001, "outstanding_cny")]


def test_result_per_loan_does_not_depend_on_the_rest_of_the_book():
    """Partition safety: each slice analysed alone gives the rows of the whole analysis."""
    rows = [
        solar(1, bank_green_tag="是", bank_catalogue_code="4.2.2"),
        cash(2, bank_green_tag="是"),
        solar(3, purpose="公共充电站建设，新增直流充电桩20台", industry_code="5443"),
        solar(4, purpose="既有公共建筑节能改造", industry_code="4790"),
        cash(5),
        solar(6, purpose="生活垃圾焚烧发电项目，日处理800吨", industry_code="7820"),
    ]
    whole = pipeline.analyse(lb.validate(book(*rows)))
    parts = [pipeline.analyse(lb.validate(book(*rows[i : i + 2]))) for i in (0, 2, 4)]
    assert pl.concat(parts).equals(whole)
    single = [pipeline.analyse(lb.validate(book(r))) for r in rows]
    assert pl.concat(single).equals(whole)


def test_empty_validated_book_gives_an_empty_result():
    validated = lb.validate(book(solar(1))).clear()
    result = pipeline.analyse(validated)
    assert result.height == 0 and dict(result.schema) == pipeline.result_schema()
    assert pipeline.summary(result).loans == 0


def test_screening_of_a_purpose_does_not_depend_on_its_batch():
    """The taxonomy engine scores a batch at once (matrix products): check that a purpose gets
    the same top code, score and verdict alone, in another order and in other batches."""
    import random

    from tests.engine.test_dask_engine import PURPOSES

    rng = random.Random(3)
    rows = [(f"{text}（{rng.randint(1, 999)}号）{rng.choice(['', '二期', '扩建'])}", code)
            for text, code in PURPOSES for _ in range(40)]  # fmt: skip
    keys = pl.DataFrame(rows, schema=["purpose", "industry_code"], orient="row").unique(
        maintain_order=True
    )
    whole = pipeline.screen_purposes(keys).sort("purpose", "industry_code")
    shuffled = keys.sample(fraction=1.0, shuffle=True, seed=1)
    pieces = pl.concat(
        [pipeline.screen_purposes(shuffled.slice(i, 37)) for i in range(0, shuffled.height, 37)]
    ).sort("purpose", "industry_code")
    assert whole.equals(pieces)
    alone = pl.concat([pipeline.screen_purposes(keys.slice(i, 1)) for i in range(0, 30)])
    assert alone.sort("purpose", "industry_code").equals(
        whole.join(keys.head(30), on=["purpose", "industry_code"], how="semi")
    )
