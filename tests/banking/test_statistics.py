"""Green credit statistics on a small hand-computed book, plus invariants."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.banking import loanbook as lb
from greenfin.banking import statistics as gs
from tests.banking.test_loanbook import GOOD, OTHER, book, loan

Q2, Q3, Q3_LAST_YEAR = date(2026, 6, 30), date(2026, 9, 30), date(2025, 9, 30)


def small_book() -> pl.DataFrame:
    """Bank A: 4 loans, bank B: 2 loans (amounts in yuan).

    A1 100  4.2.1 (能源, √√ via 4415)  正常 信用 通州 sub-centre  D
    A2 300  6.2.1 (基础设施)           次级 担保 朝阳              G (5411)
    A3 600  not green                  正常 信用 海淀              D
    A4 200  5.2.1 (生态, no mark)     损失 信用 通州 not centre   N (7711)
    B1  50  4.2.1 (能源)               正常 信用 通州 sub-centre  D
    B2 150  not green                  关注 担保 朝阳              D
    """
    rows = [
        loan(1, bank="A", outstanding_cny="100"),
        loan(
            2,
            bank="A",
            outstanding_cny="300",
            bank_catalogue_code="6.2.1",
            status="次级",
            credit_or_secured="担保",
            collateral_type="抵押",
            district="朝阳区",
            in_city_sub_centre="否",
            industry_code="5411",
            borrower_uscc=OTHER,
        ),
        loan(
            3,
            bank="A",
            outstanding_cny="600",
            bank_green_tag="否",
            bank_catalogue_code="",
            district="海淀区",
            in_city_sub_centre="",
        ),
        loan(
            4,
            bank="A",
            outstanding_cny="200",
            bank_catalogue_code="5.2.1",
            status="损失",
            in_city_sub_centre="否",
            industry_code="7711",
        ),
        loan(1, bank="B", outstanding_cny="50"),
        loan(
            2,
            bank="B",
            outstanding_cny="150",
            bank_green_tag="否",
            bank_catalogue_code="",
            status="关注",
            credit_or_secured="担保",
            collateral_type="质押",
            district="朝阳区",
            in_city_sub_centre="",
        ),
    ]
    return gs.with_bank_tag(lb.validate(book(*rows)))


def at(frame: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    return frame.with_columns(pl.lit(as_of, dtype=pl.Date).alias("as_of"))


def row(table: pl.DataFrame, **keys: object) -> dict[str, object]:
    hit = table.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert hit.height == 1, hit
    return hit.row(0, named=True)


def test_summary_hand_computed():
    table = gs.summary(small_book())
    a = row(table, bank="A")
    assert a["loans"] == 4 and a["green_loans"] == 3
    assert a["total_balance_fen"] == 120_000
    assert a["green_balance_fen"] == 60_000
    assert a["green_share"] == pytest.approx(0.5)
    assert a["green_npl_fen"] == 50_000  # 次级 300 + 损失 200
    assert a["green_npl_ratio"] == pytest.approx(50 / 60)
    assert a["green_credit_fen"] == 30_000  # A1 + A4
    assert a["credit_loan_ratio"] == pytest.approx(0.5)
    b = row(table, bank="B")
    assert (b["green_balance_fen"], b["green_npl_ratio"], b["credit_loan_ratio"]) == (5_000, 0, 1)
    total = row(table, bank=gs.ALL_BANKS)
    assert total["total_balance_fen"] == 140_000
    assert total["green_balance_fen"] == 65_000
    assert total["green_npl_ratio"] == pytest.approx(50 / 65)
    assert total["credit_loan_ratio"] == pytest.approx(35 / 65)
    assert table["bank"].to_list() == ["A", "B", gs.ALL_BANKS]


def test_by_use_2025_hand_computed_and_shares_sum_to_one():
    table = gs.by_use(small_book(), "2025")
    a = {
        r["category"]: (r["balance_fen"], r["share"])
        for r in table.filter(bank="A").iter_rows(named=True)
    }
    assert a["4"] == (10_000, pytest.approx(1 / 6))
    assert a["6"] == (30_000, pytest.approx(0.5))
    assert a["5"] == (20_000, pytest.approx(1 / 3))
    assert a[gs.UNMAPPED] == (0, 0.0)
    every = table.group_by("bank").agg(pl.col("share").sum(), pl.len())
    assert every["share"].to_list() == pytest.approx([1.0] * 3)
    assert set(every["len"]) == {10}  # 9 level-1 categories + unmapped, zeros included
    headline = table.filter(bank=gs.ALL_BANKS, headline=True)
    assert headline["name_zh"].to_list() == [
        "能源绿色低碳转型",
        "生态保护修复和利用",
        "基础设施绿色升级",
    ]
    assert headline["balance_fen"].to_list() == [15_000, 20_000, 30_000]


def test_by_use_2019_follows_the_crosswalk():
    table = gs.by_use(small_book(), "2019").filter(bank=gs.ALL_BANKS)
    balances = dict(zip(table["category"], table["balance_fen"], strict=True))
    # 4.2.1 (2025) → 3.2.x 清洁能源产业; 6.2.1 is new in 2025 (no 2019 link) → unmapped
    assert balances["3"] == 15_000
    assert balances[gs.UNMAPPED] == 30_000
    assert sum(balances.values()) == 65_000


def test_by_industry_sections():
    table = gs.by_industry(small_book()).filter(pl.col("balance_fen") > 0, bank=gs.ALL_BANKS)
    assert dict(zip(table["category"], table["balance_fen"], strict=True)) == {
        "D": 15_000,
        "G": 30_000,
        "N": 20_000,
    }
    assert table["share"].sum() == pytest.approx(1.0)


def test_by_carbon_benefit():
    table = gs.by_carbon_benefit(small_book()).filter(bank=gs.ALL_BANKS)
    got = dict(zip(table["category"], table["balance_fen"], strict=True))
    assert sum(got.values()) == 65_000
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["category"].to_list() == ["direct", "enabling", "none", "undetermined"]
    # 4.2.1 and 6.2.1 are marked √√ at item level; 5.2.1 (生物多样性保护) carries no mark
    assert got == {"direct": 45_000, "enabling": 0, "none": 20_000, "undetermined": 0}


def test_by_district_with_city_sub_centre_shown_separately():
    table = gs.by_district(small_book())
    a = table.filter(pl.col("balance_fen") > 0, bank="A")
    assert a["name_zh"].to_list() == ["朝阳区", "通州区", "其中：城市副中心"]
    assert a["balance_fen"].to_list() == [30_000, 30_000, 10_000]
    assert a["of_which"].to_list() == [False, False, True]
    assert a.filter(~pl.col("of_which"))["share"].sum() == pytest.approx(1.0)
    assert row(table, bank=gs.ALL_BANKS, category=gs.SUB_CENTRE)["balance_fen"] == 15_000
    assert table.filter(bank="A").height == 17  # 16 districts + the sub-centre row


def test_growth_qoq_and_yoy():
    loans = small_book()
    stacked = pl.concat(
        [
            at(loans, Q3_LAST_YEAR),
            at(loans.with_columns(pl.col("outstanding_fen") * 2), Q2),
            at(loans.with_columns(pl.col("outstanding_fen") * 3), Q3),
        ]
    )
    table = gs.summary(stacked)
    q3 = row(table, bank=gs.ALL_BANKS, as_of=Q3)
    assert q3["qoq"] == pytest.approx(0.5)  # 3x vs 2x
    assert q3["yoy"] == pytest.approx(2.0)  # 3x vs 1x
    q2 = row(table, bank="A", as_of=Q2)
    assert q2["qoq"] is None and q2["yoy"] is None  # 2026-03-31 and 2025-06-30 absent
    use = gs.by_use(stacked)
    energy = row(use, bank="A", as_of=Q3, category="4")
    assert energy["balance_fen"] == 30_000
    assert energy["qoq"] == pytest.approx(0.5)
    assert energy["yoy"] == pytest.approx(2.0)
    assert row(use, bank="A", as_of=Q3, category="1")["qoq"] is None  # zero before


def test_month_end_shift():
    frame = pl.DataFrame({"as_of": [date(2026, 6, 30), date(2026, 3, 31), date(2026, 5, 15)]})
    shifted = frame.select(gs._shift_months(3)).to_series().to_list()
    assert shifted == [date(2026, 3, 31), date(2025, 12, 31), date(2026, 2, 15)]


def test_green_enterprise_loan_rate():
    listed = [GOOD, OTHER, "91110000MA0000000X"]
    table = gs.green_enterprise_loan_rate(small_book(), listed)
    assert row(table, bank="A")["with_loans"] == 2
    assert row(table, bank="A")["rate"] == pytest.approx(2 / 3)
    assert row(table, bank="B")["with_loans"] == 1
    assert row(table, bank=gs.ALL_BANKS)["with_loans"] == 2  # distinct across banks
    green_only = gs.green_enterprise_loan_rate(small_book(), listed, green_loans_only=True)
    assert row(green_only, bank="B")["with_loans"] == 1


def test_with_screening_uses_eligible_top_code():
    loans = lb.validate(book(loan(1), loan(2)))
    screened = pl.DataFrame(
        {
            "id": ["1", "2"],
            "code_1": ["4.2.1", "6.2.1"],
            "verdict": ["eligible", "needs_evidence"],
        }
    )
    out = gs.with_screening(loans, screened)
    assert out["green_code"].to_list() == ["4.2.1", None]
    assert gs.screening_input(loans).columns == ["id", "name", "description", "industry_code"]


def test_categories_are_configuration():
    assert [c.name_zh for c in gs.categories("2025") if c.headline] == [
        "能源绿色低碳转型",
        "生态保护修复和利用",
        "基础设施绿色升级",
    ]
    assert {c.name_zh for c in gs.categories("2019") if c.headline} == {
        "基础设施绿色升级产业",
        "清洁能源产业",
        "节能环保产业",
    }
    with pytest.raises(ValueError):
        gs.categories("2030")


# --- invariants -------------------------------------------------------------------------------

CODES = ["4.2.1", "6.2.1", "5.2.1", "1.1.1", "7.1.1", ""]
DISTRICTS = ["通州区", "朝阳区", "海淀区", "延庆区"]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.integers(0, 10**7),
            st.sampled_from(CODES),
            st.sampled_from(lb.STATUSES),
            st.sampled_from(DISTRICTS),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_invariants(rows: list[tuple[str, int, str, str, str, bool]]):
    loans = gs.with_bank_tag(
        lb.validate(
            book(
                *[
                    loan(
                        i,
                        bank=bank,
                        outstanding_cny=str(amount),
                        bank_catalogue_code=code,
                        bank_green_tag="是" if code else "否",
                        status=status,
                        district=district,
                        in_city_sub_centre="是" if centre and district == "通州区" else "否",
                    )
                    for i, (bank, amount, code, status, district, centre) in enumerate(rows)
                ]
            )
        )
    )
    summary = gs.summary(loans)
    green = {
        bank: sum(a for b, a, c, *_ in rows if b == bank and c) * 100
        for bank in {r[0] for r in rows}
    }
    for bank, balance in green.items():
        assert row(summary, bank=bank)["green_balance_fen"] == balance
    total = row(summary, bank=gs.ALL_BANKS)
    assert total["green_balance_fen"] == sum(green.values())
    assert 0 <= (total["green_npl_ratio"] or 0) <= 1
    for table in (
        gs.by_use(loans, "2025"),
        gs.by_use(loans, "2019"),
        gs.by_industry(loans),
        gs.by_carbon_benefit(loans),
        gs.by_district(loans).filter(~pl.col("of_which")),
    ):
        sums = table.group_by("bank").agg(pl.col("balance_fen").sum(), pl.col("share").sum())
        for bank, balance, share in sums.iter_rows():
            expected = total["green_balance_fen"] if bank == gs.ALL_BANKS else green[bank]
            assert balance == expected
            assert share == pytest.approx(1.0 if expected else 0.0)
        per_bank = table.filter(pl.col("bank") != gs.ALL_BANKS)
        all_banks = table.filter(bank=gs.ALL_BANKS)
        assert per_bank["balance_fen"].sum() == all_banks["balance_fen"].sum()
    centre = gs.by_district(loans).filter(bank=gs.ALL_BANKS)
    tongzhou = row(centre, category="110112")["balance_fen"]
    assert row(centre, category=gs.SUB_CENTRE)["balance_fen"] <= tongzhou
