"""Screening behaviour on hand-written cases (the measured accuracy is in benchmarks/)."""

import pytest

from greenfin.taxonomy.screening import InputError, ScreeningInput, Verdict, screener


def screen(text, code=None, params=None, edition="green-finance-2025"):
    return screener(edition).screen(ScreeningInput("t", "", text, code, params or {}))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("用于XX新能源有限公司屋顶分布式光伏项目建设，装机容量8.5MW", "4.2.2"),
        ("光伏组件生产线扩产项目，新增产能2GW", "4.1.2"),
        ("燃煤电厂超低排放改造", "2.2.2"),
        ("ＥＭＣ模式为医院实施节能改造，节能效益分享", "7.2.2"),
        ("公共充电站建设，新增直流快充桩40台", "6.2.3"),
        ("个人购买新能源汽车消费贷款", "9.1.1"),
        ("Rooftop solar PV installation on a logistics warehouse", "4.2.2"),
    ],
)
def test_typical_descriptions(text, expected):
    assert screen(text).candidates[0].code == expected


def test_manufacturing_code_moves_solar_to_equipment_manufacturing():
    assert screen("光伏逆变器项目", "3825").candidates[0].code == "4.1.2"


def test_explanation_names_terms_rules_and_industry_evidence():
    result = screen("用于屋顶分布式光伏项目建设", "4416")
    top = result.candidates[0]
    assert "光伏" in "".join(top.matched_terms)
    assert "4416 太阳能发电 属于该条目的行业范围" in top.industry_evidence
    assert top.code in result.explanation and "结论" in result.explanation


def test_working_capital_is_out_of_scope():
    result = screen("补充日常经营流动资金")
    assert result.verdict is Verdict.OUT_OF_SCOPE and "流动资金" in result.reason


def test_negated_green_building_is_out_of_scope():
    result = screen("商品住宅项目开发，按现行节能设计标准建设，未申报绿色建筑星级")
    assert result.verdict is Verdict.OUT_OF_SCOPE


def test_criteria_decide_between_eligible_not_eligible_and_needs_evidence():
    text = "单晶硅光伏电站建设运营"
    good = {"pv_cell_type": "mono", "pv_module_efficiency_pct": 21, "pv_cell_efficiency_pct": 23,
            "pv_degradation_first_year_pct": 2, "pv_degradation_annual_pct": 0.5,
            "pv_degradation_25_year_pct": 15}  # fmt: skip
    assert screen(text, params=good, edition="bond-2021").verdict is Verdict.ELIGIBLE
    bad = dict(good, pv_module_efficiency_pct=15)
    failed = screen(text, params=bad, edition="bond-2021")
    assert failed.verdict is Verdict.NOT_ELIGIBLE and "未达标" in failed.reason
    assert screen(text, edition="bond-2021").verdict is Verdict.NEEDS_EVIDENCE


def test_other_editions_use_their_own_codes():
    assert screen("屋顶分布式光伏电站建设", edition="bond-2021").candidates[0].code == "3.2.2.2"
    assert screen("屋顶分布式光伏电站建设", edition="industry-2019").candidates[0].code == "3.2.2"


def test_bad_input_names_the_field():
    with pytest.raises(InputError) as empty:
        screener().screen(ScreeningInput("t", " ", " "))
    assert empty.value.field == "description"
    with pytest.raises(InputError) as code:
        screener().screen(ScreeningInput("t", "", "光伏", "9999"))
    assert code.value.field == "industry_code"


def test_batch_and_single_agree():
    texts = ["污水处理厂提标改造", "储能电站建设", "风电场运营"]
    single = [screen(t).candidates[0].code for t in texts]
    many = screener().screen_many([ScreeningInput(str(i), "", t) for i, t in enumerate(texts)])
    assert [r.candidates[0].code for r in many] == single
