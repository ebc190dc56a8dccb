"""Matching: scores and explanations checked by hand on a small set (weights from
reference/data/library/matching_weights.csv)."""

import polars as pl
import pytest

from greenfin.library import matching
from greenfin.library.products import validate_rules

# Project 1: 4.2.2 太阳能利用设施建设和运营 (√√ in the 2025 catalogue), 中绿, 800 万元 for 60
# months as a project loan, in 通州 inside the city sub-centre.
# Project 2: 7.1.1 (a service item, no √√), 浅绿, 50 万元, 朝阳 (110105).
PROJECTS = [
    {
        "project_id": 1,
        "item_code": "4.2.2",
        "grade": "中绿",
        "amount_fen": 800_000_000,
        "term_months": 60,
        "financing_type": "项目贷款",
        "district_code": "110112",
        "in_city_sub_centre": True,
    },
    {
        "project_id": 2,
        "item_code": "7.1.1",
        "grade": "浅绿",
        "amount_fen": 50_000_000,
        "term_months": 12,
        "financing_type": "working_capital",
        "district_code": "110105",
        "in_city_sub_centre": False,
    },
]


def spec(pid, org, ptype, rules, rate=None, cerf=False, jlr=False):
    return matching.ProductSpec(pid, org, ptype, validate_rules(rules), rate, cerf, jlr, False)


PRODUCTS = [
    # A: exact item, min 浅绿, 100–5,000 万元, 通州 only, 3.6 %, CERF and 京绿融
    spec(
        101,
        10,
        "green_project_loan",
        {
            "items": ["4.2.2"],
            "min_grade": "浅绿",
            "amount_min_fen": 100_000_000,
            "amount_max_fen": 5_000_000_000,
            "districts": ["110112"],
        },
        3.6,
        True,
        True,
    ),
    # B: insurance open to everything, no rate
    spec(102, 20, "env_pollution_liability_insurance", {}),
    # C: level-2 category 4.2, min 中绿, 12–36 months → the 60-month term fails
    spec(
        103,
        10,
        "energy_efficiency_loan",
        {"categories": ["4.2"], "min_grade": "中绿", "term_min_months": 12, "term_max_months": 36},
    ),
    # D: level-1 category 4, min 中绿, city sub-centre only, 4.5 %
    spec(
        104,
        10,
        "energy_efficiency_loan",
        {"categories": ["4"], "min_grade": "中绿", "sub_centre_only": True},
        4.5,
    ),
    # E: bond underwriting serves green_bond only → financing type fails
    spec(105, 30, "green_bond_underwriting", {"categories": ["4"]}),
    # F: min 深绿 → grade fails
    spec(106, 30, "green_project_loan", {"min_grade": "深绿"}, 3.0),
]


@pytest.fixture(scope="module")
def result() -> pl.DataFrame:
    return matching.match(matching.projects_frame(PROJECTS), matching.products_frame(PRODUCTS))


def pair(result, project, product):
    return result.filter((pl.col("project_id") == project) & (pl.col("product_id") == product)).row(
        0, named=True
    )


def test_exact_item_product_scores_by_hand(result):
    row = pair(result, 1, 101)
    # catalogue 40 + grade 10 + 5 × (中绿 − 浅绿 = 1) + amount 10 + term open 2 + district 5
    # + financing type 5 + CERF √√ 10 + 京绿融 3 + rate 10 × (6.0 − 3.6) / (6.0 − 3.0) = 8
    assert row["eligible"]
    assert [row[f"{r}_pts"] for r in matching.RULES] == [40, 15, 10, 2, 5, 5, 10, 3, 8]
    assert row["score"] == 98.0
    assert (row["catalogue"], row["cerf"], row["district"]) == (
        "item",
        "direct_reduction",
        "district",
    )


def test_open_insurance_scores_by_hand(result):
    row = pair(result, 1, 102)
    # catalogue open 10 + grade 10 + 5 × (中绿 − baseline 浅绿) + amount open 5 + term open 2
    assert row["eligible"] and row["score"] == 32.0
    assert row["financing_type"] == "open" and row["rate"] == "n/a"


def test_failed_rules_are_named_and_score_zero(result):
    c = pair(result, 1, 103)
    assert not c["eligible"] and c["score"] == 0
    assert matching.failed_rules(c) == ["term"]
    assert c["catalogue"] == "level2"  # the other rules still say how they went
    assert matching.failed_rules(pair(result, 1, 105)) == ["financing_type"]
    assert matching.failed_rules(pair(result, 1, 106)) == ["grade"]
    # project 2: outside A's item, amount range and district; A serves project loans only
    assert matching.failed_rules(pair(result, 2, 101)) == [
        "catalogue",
        "amount",
        "district",
        "financing_type",
    ]
    assert matching.failed_rules(pair(result, 2, 104)) == ["catalogue", "grade", "district"]


def test_category_and_sub_centre_product_scores_by_hand(result):
    row = pair(result, 1, 104)
    # level-1 category 20 + grade 10 (no margin over 中绿) + amount open 5 + term open 2
    # + sub-centre 8 + financing type 5 + rate 10 × (6.0 − 4.5) / 3.0 = 5
    assert row["score"] == 55.0
    assert row["catalogue"] == "level1" and row["district"] == "sub_centre"


def test_products_for_a_project_rank_eligible_first(result):
    ranked = matching.rank_for_project(result.filter(pl.col("project_id") == 1))
    assert ranked["product_id"].to_list()[:3] == [101, 104, 102]
    assert ranked["eligible"].to_list() == [True, True, True, False, False, False]


def test_projects_for_a_bank_take_its_best_product(result):
    bank = result.filter(pl.col("organisation_id") == 10)
    best = matching.best_per_project(bank)
    assert best["project_id"].to_list() == [1]  # project 2 fits none of bank 10's products
    row = best.row(0, named=True)
    assert (row["product_id"], row["score"], row["eligible_products"]) == (101, 98.0, 2)


def test_explanation_says_why(result):
    project = matching.projects_frame(PROJECTS).row(0, named=True)
    reasons = {r.rule: r for r in matching.explain(pair(result, 1, 101), project, PRODUCTS[0])}
    assert reasons["catalogue"].text_zh == "目录条目 4.2.2 与产品列明的条目完全一致"
    assert reasons["grade"].text_zh == "项目等级 中绿 达到最低等级 浅绿"
    assert "800.00 万元" in reasons["amount"].text_zh
    assert "工作假设" in reasons["cerf"].text_zh
    assert reasons["rate"].points == 8
    failed = matching.explain(pair(result, 1, 103), project, PRODUCTS[2])
    term = next(r for r in failed if r.rule == "term")
    assert term.failed and term.text_en == "term 60 months outside 12 个月 – 36 个月"
    sub = matching.explain(
        pair(result, 2, 104), matching.projects_frame(PROJECTS).row(1, named=True), PRODUCTS[3]
    )
    assert (
        next(r for r in sub if r.rule == "district").text_zh == "产品专供城市副中心，项目不在副中心"
    )


def test_missing_project_data_is_unknown_not_failed():
    project = {"project_id": 9, "item_code": "4.2.2", "grade": "中绿", "district_code": "110105"}
    rules = {"amount_min_fen": 1, "term_max_months": 60}
    row = matching.match(
        matching.projects_frame([project]),
        matching.products_frame([spec(1, 1, "green_project_loan", rules)]),
    ).row(0, named=True)
    assert (row["amount"], row["term"], row["financing_type"]) == ("unknown",) * 3
    assert row["eligible"]
    # and an ungraded project cannot meet a minimum grade
    ungraded = matching.match(
        matching.projects_frame([{**project, "grade": None}]),
        matching.products_frame([spec(1, 1, "green_project_loan", {"min_grade": "浅绿"})]),
    ).row(0, named=True)
    assert ungraded["grade"] == "fail"
