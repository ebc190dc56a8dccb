"""Product types and eligibility rules: data loads, every problem names its field."""

import pytest

from greenfin.library import products
from greenfin.library.products import RulesError, validate_rules


def fields(exc: RulesError) -> set[str]:
    return {p.field for p in exc.problems}


def test_product_types_cover_the_issue_and_carry_sources():
    types = products.product_types()
    names = {t.name_zh for t in types.values()}
    for wanted in (
        "能效贷款",
        "合同能源管理收益权质押贷款",
        "碳排放权质押贷款",
        "生态产品抵质押贷款",
        "林业碳汇收益权质押贷款",
        "绿色债券承销",
        "绿色租赁",
        "环境污染责任保险",
        "绿色建筑性能保险",
        "信用保证保险",
    ):
        assert wanted in names
    for t in types.values():
        assert t.source and t.edition and t.name_en
        assert t.kind in products.KINDS
        assert set(t.publisher_kinds) <= {"bank", "insurer", "guarantor"}
        # every financing type a product serves is one the project library knows
        assert set(t.serves_financing_types) <= {"*", *products.financing_types()}


def test_valid_rules_are_normalised():
    rules = validate_rules(
        {
            "items": "4.2.2，4.2.1",
            "categories": ["6.1", "1"],
            "min_grade": "中绿",
            "amount_min_fen": "100000000",
            "amount_max_fen": 5_000_000_000,
            "districts": ["通州", "110105"],
            "financing_types": ["项目贷款"],
        }
    )
    assert rules.items == ("4.2.2", "4.2.1")
    assert rules.categories == ("6.1", "1")
    assert rules.amount_min_fen == 100_000_000
    assert rules.districts == ("110112", "110105")
    assert rules.financing_types == ("project_loan",)
    assert validate_rules(rules.to_json()) == rules


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"items": ["4.2.2", "9.9.9"]}, "rules.items[1]"),
        ({"items": ["4.2"]}, "rules.items[0]"),
        ({"categories": ["4.2.2"]}, "rules.categories[0]"),
        ({"min_grade": "翠绿"}, "rules.min_grade"),
        ({"amount_min_fen": 0}, "rules.amount_min_fen"),
        ({"amount_min_fen": "abc"}, "rules.amount_min_fen"),
        ({"amount_min_fen": 10, "amount_max_fen": 5}, "rules.amount_max_fen"),
        ({"term_min_months": 61, "term_max_months": 60}, "rules.term_max_months"),
        ({"term_max_months": 10_000}, "rules.term_max_months"),
        ({"districts": ["浦东新区"]}, "rules.districts[0]"),
        ({"sub_centre_only": "yes"}, "rules.sub_centre_only"),
        ({"sub_centre_only": True, "districts": ["110105"]}, "rules.sub_centre_only"),
        ({"financing_types": ["crowdfunding"]}, "rules.financing_types[0]"),
        ({"itmes": ["4.2.2"]}, "rules.itmes"),
    ],
)
def test_bad_rules_name_the_field(raw, field):
    with pytest.raises(RulesError) as caught:
        validate_rules(raw)
    assert field in fields(caught.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(RulesError) as caught:
        validate_rules({"items": ["x"], "min_grade": "?", "districts": ["?"]})
    assert fields(caught.value) == {"rules.items[0]", "rules.min_grade", "rules.districts[0]"}


def test_publisher_kind_and_rates_are_checked():
    assert products.check_product("energy_efficiency_loan", "bank", 3.2, 4.5).kind == "loan"
    with pytest.raises(RulesError) as caught:
        products.check_product("energy_efficiency_loan", "insurer", None, None)
    assert fields(caught.value) == {"product_type"}
    with pytest.raises(RulesError) as caught:
        products.check_product("no_such_type", "bank", None, None)
    assert fields(caught.value) == {"product_type"}
    with pytest.raises(RulesError) as caught:
        products.check_product("green_project_loan", "bank", 5.0, 4.0)
    assert fields(caught.value) == {"rate_max_pct"}
    with pytest.raises(RulesError) as caught:
        products.check_product("green_project_loan", "bank", -1, 99)
    assert fields(caught.value) == {"rate_min_pct", "rate_max_pct"}


def test_max_interested_defaults_to_three_like_huzhou():
    assert products.max_interested_default() == 3
