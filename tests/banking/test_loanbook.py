"""Loan-book schema, validation (every problem with row and field), hash and template."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.banking import loanbook as lb
from greenfin.identity import uscc

GOOD = uscc.compose("9", "1", "110105", "12345678")
OTHER = uscc.compose("9", "1", "110112", "87654321")


def wrong_check(code: str) -> str:
    bad = "0" if code[-1] != "0" else "1"
    return code[:-1] + bad


def loan(i: int = 1, **changes: str) -> dict[str, str]:
    row = {
        "loan_id": f"L{i}",
        "bank": "北京银行",
        "borrower_uscc": GOOD,
        "borrower_name": "甲新能源有限公司",
        "industry_code": "4415",
        "purpose": "分布式光伏电站建设",
        "outstanding_cny": "1000000.50",
        "original_cny": "2000000",
        "rate_pct": "3.45",
        "originated_on": "2024-01-15",
        "matures_on": "2029-01-15",
        "status": "正常",
        "collateral_type": "",
        "credit_or_secured": "信用",
        "project_id": "P1",
        "project_total_investment_cny": "5000000",
        "bank_green_tag": "是",
        "bank_catalogue_code": "4.2.1",
        "bank_catalogue_edition": "",
        "district": "通州区",
        "in_city_sub_centre": "是",
    }
    row.update(changes)
    return row


def book(*rows: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict.fromkeys(rows[0], pl.String))


def problems_of(frame: pl.DataFrame, **kwargs: object) -> list[tuple[int | None, str]]:
    with pytest.raises(lb.LoanBookError) as info:
        lb.validate(frame, **kwargs)
    err = info.value
    assert err.total == err.problems.height
    return [(p.row, p.field) for p in err.first(10_000)]


# --- schema -----------------------------------------------------------------------------------


def test_schema_file_documents_every_issue_field():
    cols = {c.column: c for c in lb.schema()}
    for name in (
        "loan_id",
        "bank",
        "borrower_uscc",
        "borrower_name",
        "industry_code",
        "purpose",
        "outstanding_cny",
        "original_cny",
        "rate_pct",
        "originated_on",
        "matures_on",
        "status",
        "collateral_type",
        "credit_or_secured",
        "project_id",
        "project_total_investment_cny",
        "bank_green_tag",
        "bank_catalogue_code",
        "district",
    ):
        assert name in cols
        assert cols[name].description_zh and cols[name].description_en and cols[name].source
    assert cols["status"].allowed_values == lb.STATUSES
    assert cols["credit_or_secured"].allowed_values == ("信用", "担保")


# --- valid books ------------------------------------------------------------------------------


def test_valid_book_is_typed_and_normalised():
    out = lb.validate(
        book(
            loan(1),
            loan(
                2,
                borrower_uscc=" " + OTHER.lower(),
                district="chaoyang",
                in_city_sub_centre="",
                credit_or_secured="担保",
                collateral_type="抵押",
                outstanding_cny="0",
                bank_green_tag="否",
                bank_catalogue_code="",
                status="次级",
            ),
        )
    )
    assert out.height == 2
    assert out["outstanding_fen"].to_list() == [100_000_050, 0]
    assert out["original_fen"].to_list() == [200_000_000, 200_000_000]
    assert out["project_total_investment_fen"].to_list() == [500_000_000, 500_000_000]
    assert out["originated_on"].to_list() == [date(2024, 1, 15)] * 2
    assert out["borrower_uscc"].to_list() == [GOOD, OTHER]
    assert out["district"].to_list() == ["110112", "110105"]
    assert out["industry_section"].to_list() == ["D", "D"]
    assert out["bank_green_tag"].to_list() == [True, False]
    assert out["in_city_sub_centre"].to_list() == [True, None]
    assert out["bank_catalogue_edition"].to_list() == ["green-finance-2025", None]
    assert "outstanding_cny" not in out.columns


def test_optional_columns_may_be_absent_and_extras_are_kept():
    frame = (
        book(loan(1))
        .drop(
            "collateral_type",
            "project_id",
            "project_total_investment_cny",
            "bank_green_tag",
            "bank_catalogue_code",
            "bank_catalogue_edition",
            "in_city_sub_centre",
        )
        .with_columns(pl.lit("x").alias("my_note"))
    )
    out = lb.validate(frame)
    assert out["project_total_investment_fen"].to_list() == [None]
    assert out["in_city_sub_centre"].dtype == pl.Boolean
    assert out.columns[-1] == "my_note"


def test_typed_input_from_parquet_is_accepted():
    frame = book(loan(1)).with_columns(
        pl.col("outstanding_cny").cast(pl.Float64),
        pl.col("original_cny").cast(pl.Int64),
        pl.col("rate_pct").cast(pl.Float64),
        pl.col("originated_on").str.to_date(),
        pl.col("matures_on").str.to_date(),
    )
    out = lb.validate(frame)
    assert out["outstanding_fen"].to_list() == [100_000_050]
    assert out["original_fen"].to_list() == [200_000_000]


# --- every rule names row and field -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outstanding_cny": "-1"}, "outstanding_cny"),
        ({"outstanding_cny": "abc"}, "outstanding_cny"),
        ({"outstanding_cny": "1.005"}, "outstanding_cny"),
        ({"original_cny": "0"}, "original_cny"),
        ({"project_total_investment_cny": "-5"}, "project_total_investment_cny"),
        ({"rate_pct": "-0.1"}, "rate_pct"),
        ({"rate_pct": "x"}, "rate_pct"),
        ({"matures_on": "2023-12-31"}, "matures_on"),
        ({"originated_on": "2024-13-01"}, "originated_on"),
        ({"borrower_uscc": wrong_check(GOOD)}, "borrower_uscc"),
        ({"borrower_uscc": GOOD[:17]}, "borrower_uscc"),
        ({"borrower_uscc": "91" + "11O105" + GOOD[8:]}, "borrower_uscc"),
        ({"status": "坏账"}, "status"),
        ({"district": "浦东新区"}, "district"),
        ({"industry_code": "9999"}, "industry_code"),
        ({"credit_or_secured": "抵押"}, "credit_or_secured"),
        ({"collateral_type": "抵押"}, "collateral_type"),
        ({"bank_green_tag": "也许"}, "bank_green_tag"),
        ({"bank_catalogue_code": "99.9"}, "bank_catalogue_code"),
        ({"bank_green_tag": "否"}, "bank_catalogue_code"),
        ({"in_city_sub_centre": "是", "district": "朝阳区"}, "in_city_sub_centre"),
        ({"borrower_name": "  "}, "borrower_name"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_each_rule_names_row_and_field(changes: dict[str, str], field: str):
    frame = book(loan(1), loan(2), loan(3, **changes))
    assert problems_of(frame) == [(3, field)]


def test_duplicate_loan_ids_name_every_later_row_and_the_first():
    frame = book(loan(1), loan(2), loan(1), loan(1, bank="另一银行"), loan(1))
    with pytest.raises(lb.LoanBookError) as info:
        lb.validate(frame)
    dup = info.value.problems
    assert dup["row"].to_list() == [3, 5]
    assert dup["field"].to_list() == ["loan_id", "loan_id"]
    assert all("first in row 1" in m for m in dup["message"])


def test_unknown_bank_and_future_origination_with_context():
    frame = book(
        loan(1), loan(2, bank="未知银行", originated_on="2026-10-01", matures_on="2027-01-01")
    )
    got = problems_of(frame, banks={"北京银行"}, as_of=date(2026, 9, 30))
    assert got == [(2, "bank"), (2, "originated_on")]


def test_missing_columns_and_empty_file_are_file_level():
    assert problems_of(book(loan(1)).drop("status", "district")) == [
        (None, "status"),
        (None, "district"),
    ]
    empty = book(loan(1)).head(0)
    assert problems_of(empty) == [(None, "file")]


def test_all_problems_collected_across_rows_sorted_by_row():
    frame = book(
        loan(1, outstanding_cny="-1", status="X"),
        loan(2),
        loan(3, borrower_uscc="123", matures_on="2020-01-01", district="?"),
    )
    got = problems_of(frame)
    assert got == [
        (1, "outstanding_cny"),
        (1, "status"),
        (3, "borrower_uscc"),
        (3, "matures_on"),
        (3, "district"),
    ]


def test_one_bad_row_at_the_end_fails_the_whole_book():
    rows = [loan(i) for i in range(1, 5001)]
    rows[-1] = loan(5000, outstanding_cny="-0.01")
    with pytest.raises(lb.LoanBookError) as info:
        lb.validate(book(*rows))
    assert info.value.total == 1
    assert info.value.first() == [
        lb.Problem(5000, "outstanding_cny", "negative balance / 余额为负")
    ]


def test_error_file_lists_every_problem():
    frame = book(*[loan(i, status="?") for i in range(1, 301)])
    with pytest.raises(lb.LoanBookError) as info:
        lb.validate(frame)
    err = info.value
    assert err.total == 300
    errors = pl.read_csv(io.BytesIO(err.csv_bytes()[3:]))
    assert errors.height == 300
    assert errors.columns == ["row", "field", "value", "message"]
    assert errors["row"].to_list() == list(range(1, 301))


# --- vectorised USCC == the scalar reference --------------------------------------------------

_ALPHABET = st.sampled_from(list(uscc.ALPHABET + "IOZSV"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(_ALPHABET, min_size=15, max_size=19), min_size=1, max_size=40))
def test_vectorised_uscc_matches_scalar_validation(codes: list[str]):
    valid = [uscc.compose("9", "1", "110105", f"{i:08d}") for i in range(len(codes))]
    series = pl.Series("c", [*codes, *valid])
    reasons = lb.uscc_reasons(series)
    assert [r is None for r in reasons] == [uscc.is_valid(c) for c in series]


def test_full_width_code_is_normalised():
    full = "".join(chr(ord(ch) + 0xFEE0) for ch in GOOD)
    out = lb.validate(book(loan(1, borrower_uscc=full)))
    assert out["borrower_uscc"].to_list() == [GOOD]


# --- hypothesis invariants -------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(10**8), 10**10), st.integers(0, 99), st.sampled_from(lb.STATUSES)),
        min_size=1,
        max_size=30,
    )
)
def test_negative_balances_are_exactly_the_reported_rows(rows: list[tuple[int, int, str]]):
    frame = book(
        *[
            loan(i, outstanding_cny=f"{'-' if y < 0 else ''}{abs(y)}.{c:02d}", status=s)
            for i, (y, c, s) in enumerate(rows, start=1)
        ]
    )
    negative = [i for i, (y, _c, _s) in enumerate(rows, start=1) if y < 0]
    if not negative:
        out = lb.validate(frame)
        expected = [y * 100 + c for y, c, _ in rows]
        assert out["outstanding_fen"].to_list() == expected
        assert out["outstanding_fen"].sum() == sum(expected)
    else:
        got = problems_of(frame)
        assert got == [(i, "outstanding_cny") for i in negative]


# --- hash and template ------------------------------------------------------------------------


def test_content_hash_is_stable_and_sensitive():
    data = b"loan_id\nL1\n"
    assert lb.content_hash(data) == lb.content_hash(bytes(data))
    assert lb.content_hash(data) != lb.content_hash(data + b" ")
    assert len(lb.content_hash(data)) == 64


def test_template_has_every_column_and_a_help_sheet():
    data = lb.template_bytes()
    sheet = pl.read_excel(io.BytesIO(data), sheet_name=lb.DATA_SHEET, infer_schema_length=0)
    assert tuple(sheet.columns) == lb.columns()
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [lb.DATA_SHEET, lb.HELP_SHEET]
    text = " ".join(
        str(c.value) for row in workbook[lb.HELP_SHEET].iter_rows() for c in row if c.value
    )
    for spec in lb.schema():
        assert spec.column in text and spec.description_zh in text
    assert "正常、关注、次级、可疑、损失" in text
    assert lb.template_csv_bytes().decode("utf-8-sig").strip().split(",") == list(lb.columns())
