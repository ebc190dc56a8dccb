"""Technical parameters read from description texts (parameter_patterns.csv)."""

import polars as pl
import pytest

from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy.parameters import extract_parameters, parameter_patterns
from greenfin.taxonomy.screening import ScreeningInput, Verdict, screener
from greenfin.taxonomy.text import normalise_series


def read(text: str) -> dict:
    return extract_parameters(normalise_series(pl.Series([text])))[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("窑尾SCR改造后NOx 35mg/m³、SO2 20mg/m³、颗粒物5mg/m³",
         {"nox_mg_m3": 35.0, "so2_mg_m3": 20.0, "dust_mg_m3": 5.0}),
        ("采用N型单晶组件（效率22.8%，首年衰减1%）",
         {"pv_module_efficiency_pct": 22.8, "pv_degradation_first_year_pct": 1.0,
          "pv_cell_type": "mono"}),
        ("按二星级绿色建筑标准设计", {"green_building_star": 2.0}),
        ("医院既有建筑绿色化改造，改造后达二星级", {"green_building_star": 2.0}),
        ("产品能效为GB 18613规定的2级", {"motor_efficiency_grade": 2.0}),
        ("新增链条炉排工业锅炉产能，产品能效为GB 24500二级",
         {"boiler_energy_efficiency_grade": 2.0}),
        ("物流企业购置氢燃料电池重卡30辆", {"vehicle_type": "fcev"}),
        ("公交集团购置纯电动公交车50辆", {"vehicle_type": "bev"}),
        ("物流公司新增购置国六柴油重卡50辆", {"vehicle_type": "ice"}),
        # the value reached, and the equipment installed, not what is replaced
        ("氮氧化物排放浓度由200mg/m³降至35mg/m³", {"nox_mg_m3": 35.0}),
        ("电机系统节能改造：淘汰三级能效电机，更换为一级能效永磁电机",
         {"motor_efficiency_grade": 1.0}),
        ("淘汰二级能效燃煤锅炉，新建一级能效燃气锅炉", {"boiler_energy_efficiency_grade": 1.0}),
        ("将原多晶组件（效率16.5%）更换为单晶组件（效率21.5%）",
         {"pv_module_efficiency_pct": 21.5, "pv_cell_type": "mono"}),
        ("个人购买phev车型", {"vehicle_type": "phev"}),  # Latin words inside Chinese text
        ("购置bev公交车", {"vehicle_type": "bev"}),
        ("Two-star green building, module efficiency 21.5%",
         {"green_building_star": 2.0, "pv_module_efficiency_pct": 21.5}),
    ],
)  # fmt: skip
def test_figures_stated_in_the_text_are_read(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "按绿色建筑基本级设计的商品住宅开发（未达一星级）",  # a negation, not a star
        "产品获三星级绿色建材认证",  # a building-material label, not a building
        "燃煤电厂超低排放改造",  # no figure stated
        "淘汰国三柴油货车",  # says what goes, not what is bought
        "五星级酒店建设",
        # found by review: negations other than a bare 未, hotel stars, old equipment, clauses
        "办公楼节能改造，改造后未能达到二星级绿色建筑标准",
        "该项目没有达到二星级绿色建筑标准",
        "项目按绿色建筑标准设计，配套三星级酒店",
        "酒店装修改造后达到三星级",
        "淘汰三级能效电机",
        "储能电池充放电效率92%",  # a storage battery, not a PV cell
        "个人购置新能源汽车替代燃油车",
        "购置新能源公交车替代柴油公交车",
    ],
)
def test_nothing_is_read_where_the_text_states_no_figure(text):
    assert read(text) == {}


def test_every_pattern_names_a_known_parameter_and_compiles():
    known = {r["parameter"] for r in cached_rows("technical_parameters.csv")}
    patterns = parameter_patterns()
    assert {p.parameter for p in patterns} <= known
    extract_parameters(pl.Series(["x"]))  # every regex compiles in Polars' engine


def test_explicit_parameters_override_the_text_and_verdicts_name_what_was_read():
    engine = screener()
    text = "新建办公楼，按二星级绿色建筑标准设计"
    from_text = engine.screen(ScreeningInput("t", "", text))
    assert from_text.candidates[0].code == "6.1.1"
    assert from_text.verdict is Verdict.ELIGIBLE
    assert "参数读自描述：green_building_star=2" in from_text.reason
    explicit = engine.screen(ScreeningInput("t", "", text, params={"green_building_star": 0}))
    assert explicit.verdict is Verdict.NOT_ELIGIBLE and "参数读自描述" not in explicit.reason


def test_a_stated_grade_decides_the_verdict():
    result = screener().screen(
        ScreeningInput("t", "", "新增YE3系列三相异步电动机产能30万kW，产品能效为GB 18613规定的2级")
    )
    assert result.candidates[0].code == "1.1.7"
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.reason.count("实际 2") == 1  # one bar, said once for every motor type
    assert "motor_efficiency_grade=2" in result.reason


def test_clause_guards_stop_at_half_width_punctuation_too():
    """The screener normalises ，；（ to ,;( before any pattern runs: a class that excludes the
    full-width comma must exclude the half-width one as well, or it reads across clauses."""
    import re

    for name in ("parameter_patterns.csv", "out_of_scope_rules.csv", "activity_cues.csv"):
        for row in cached_rows(name):
            for column in ("pattern", "unless"):
                for cls in re.findall(r"\[\^[^\]]*\]", row.get(column) or ""):
                    if "，" in cls:
                        assert "," in cls, (name, row.get("rule_id") or row.get("parameter"), cls)
                    if "；" in cls:
                        assert ";" in cls, (name, cls)
