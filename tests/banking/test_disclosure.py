"""JR/T 0227 disclosure report, domain: figures from a hand-built results frame, operational
items converted with the factor library (reproduced by hand), missing shown as missing, input
validation naming the field."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import polars as pl
import pytest

from greenfin.banking import disclosure as d
from greenfin.reports import charts

INSTITUTION = d.Institution(7, "测试银行（示例）", synthetic=True)
GREEN = ("4.2.2", "green-finance-2025")  # 太阳能利用设施建设和运营 (能源绿色低碳转型)


def loan(as_of: date, fen: int, green: bool, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "bank": "测试银行（示例）", "as_of": as_of, "outstanding_fen": fen, "status": "正常",
        "credit_or_secured": "信用", "industry_code": "4416", "industry_section": "D",
        "district": "110112", "in_city_sub_centre": False, "borrower_uscc": "X",
        "green_code": GREEN[0] if green else None, "green_edition": GREEN[1] if green else None,
        "loan_annual_reduction_tco2e": None, "financed_scope1_tco2e": None,
        "financed_scope2_tco2e": None, "pcaf_dq_score": None,
    }  # fmt: skip
    row.update(extra)
    return row


def book() -> pl.DataFrame:
    """2024 year end: green 1,000,000 CNY of 4,000,000. 2025 year end: green 1,500,000 (one
    loan with a project reduction of 1,200 t attributed, PCAF data) + 500,000 次级 (no data);
    brown 3,000,000 with PCAF data."""
    y24, y25 = date(2024, 12, 31), date(2025, 12, 31)
    rows = [
        loan(y24, 100_000_000, True),
        loan(y24, 300_000_000, False),
        loan(y25, 150_000_000, True, loan_annual_reduction_tco2e=1200.0,
             financed_scope1_tco2e=10.0, financed_scope2_tco2e=5.0, pcaf_dq_score=2),
        loan(y25, 50_000_000, True, status="次级"),
        loan(y25, 300_000_000, False, financed_scope1_tco2e=100.0, financed_scope2_tco2e=20.0,
             pcaf_dq_score=4),
    ]  # fmt: skip
    return pl.DataFrame(rows, schema_overrides={"pcaf_dq_score": pl.Int8})


def report(loans=None, operations=None, narratives=None, year: int = 2025) -> d.DisclosureReport:
    return d.build_report(
        institution=INSTITUTION, year=year, loans=loans, operations=operations,
        narratives=narratives, generated_on=date(2026, 3, 1),
    )  # fmt: skip


# --- structure ----------------------------------------------------------------------------------


def test_sections_follow_the_standards_table_of_contents():
    # JR/T 0227—2021 目次, 「披露内容」 (methods.md §4.2; the standard's own TOC)
    expected = [
        "年度概况", "金融机构环境相关治理结构", "金融机构环境相关政策制度",
        "金融机构环境相关产品与服务创新", "金融机构环境风险管理流程", "环境因素对金融机构的影响",
        "金融机构投融资活动的环境影响", "金融机构经营活动的环境影响", "数据梳理、校验及保护",
        "绿色金融创新及研究成果", "其他环境相关信息",
    ]  # fmt: skip
    built = report()
    assert [s.title_zh for s in built.sections] == expected
    assert [s.number for s in built.sections][:3] == ["一", "二", "三"]
    ops = next(s for s in built.sections if s.key == "operations_impact")
    assert ops.subsections[0].title_zh == "经营活动产生的直接温室气体排放和自然资源消耗"
    for spec in d.sections():
        assert spec.source and spec.edition


# --- investment and financing ---------------------------------------------------------------


def test_loan_figures_from_a_hand_built_book():
    built = report(loans=book())
    assert built.reporting_date == date(2025, 12, 31)
    fig = built.figure
    # green 1,500,000 + 500,000 CNY = 2,000,000 CNY = 200 万元 of 500 万元
    assert fig("green_balance").value == pytest.approx(200.0)
    assert fig("total_balance").value == pytest.approx(500.0)
    assert fig("green_share").value == pytest.approx(40.0)
    # 200 / 100 − 1 = 100 % (2024-12-31 green balance 100 万元)
    assert fig("green_yoy").value == pytest.approx(100.0)
    # NPL: 50 万元 次级 of 200 万元 green
    assert fig("green_npl_ratio").value == pytest.approx(25.0)
    assert fig("green_loans").value == 2
    # reduction: only one of the two green loans carries it → partial, never scaled up
    red = fig("reduction_tco2e")
    assert (red.value, red.status) == (pytest.approx(1200.0), "partial")
    assert "1/2" in red.note and "75.0%" in red.note
    # financed: 10 + 100 (scope 1), 5 + 20 (scope 2) over the loans that have data
    assert fig("financed_scope1").value == pytest.approx(110.0)
    assert fig("financed_scope2").value == pytest.approx(25.0)
    assert fig("financed_total").value == pytest.approx(135.0)
    assert fig("financed_total").status == "partial"
    # DQ weighted by balance: (150 × 2 + 300 × 4) / 450 = 3.333…
    assert fig("financed_dq").value == pytest.approx(10 / 3)
    assert fig("financed_coverage").value == pytest.approx(90.0)  # 450 of 500 万元
    # no tce-saving column in the pipeline: missing, with the reason
    saving = fig("saving_tce")
    assert saving.value is None and saving.status == "missing" and "节能量" in saving.fill
    # scope 3 is not attempted by the pipeline
    assert fig("financed_scope3").missing
    use = next(
        t for s in built.sections for sub in s.subsections for t in sub.tables if t.key == "by_use"
    )
    assert use.rows[0][0] == "能源绿色低碳转型" and use.rows[0][1] == pytest.approx(200.0)
    assert any(src.edition.startswith("报告日 2025-12-31") for src in fig("green_balance").sources)


def test_without_a_loan_book_every_loan_figure_is_missing_not_zero():
    for loans in (None, book().filter(pl.col("as_of") < date(2025, 1, 1))):
        built = report(loans=loans)
        assert built.reporting_date is None
        for key, *_ in d.LOAN_FIGURES:
            figure = built.figure(key)
            assert figure.value is None and figure.status == "missing", key
            assert figure.fill
        keys = {m.fill for m in built.missing}
        assert any("贷款明细" in k for k in keys)


def test_growth_is_missing_without_last_years_book():
    built = report(loans=book().filter(pl.col("as_of") == date(2025, 12, 31)))
    yoy = built.figure("green_yoy")
    assert yoy.missing and "2024-12-31" in yoy.fill
    assert built.figure("green_balance").value == pytest.approx(200.0)


def test_latest_date_in_the_year_is_used_and_flagged_when_not_year_end():
    frame = book().with_columns(
        pl.when(pl.col("as_of") == date(2025, 12, 31)).then(date(2025, 9, 30))
        .otherwise(date(2024, 9, 30)).alias("as_of")
    )  # fmt: skip
    built = report(loans=frame)
    assert built.reporting_date == date(2025, 9, 30)
    overview = built.sections[0]
    assert any("非年末" in n for n in overview.notes)
    assert built.figure("green_yoy").value == pytest.approx(100.0)  # vs 2024-09-30


# --- operations -------------------------------------------------------------------------------


def operations(**changes: object) -> d.OperationsInput:
    payload: dict[str, object] = {
        "employees": 100,
        "items": {
            "office_electricity": {"quantity": 1_000_000, "unit": "kWh"},
            "office_diesel": {"quantity": 2, "unit": "t"},
            "office_natural_gas": {"quantity": 10_000},
            "office_coal": {"quantity": 0},
            "office_gasoline": {"quantity": 500, "unit": "L"},
            "paper": {"quantity": 4},
            "recycled_paper": {"quantity": 1},
        },
        "reported": {"s3_travel_transport": {"tco2": 12.5, "source": "差旅服务商报告"}},
    }
    payload.update(changes)
    return d.parse_operations(payload, 2025)


def test_operational_items_converted_with_the_factor_library_by_hand():
    built = report(operations=operations())
    fig = built.figure
    # electricity: 2025 → latest data year ≤ 2025 is 2023; 华北 0.6361 kgCO2/kWh
    electricity = fig("office_electricity.co2")
    assert electricity.value == pytest.approx(1_000_000 * 0.6361 / 1000)  # 636.1 tCO2
    (source,) = electricity.sources
    assert "数据年份 2023" in source.detail and "生态环境部" in source.source
    # diesel: IPCC 2006 74,100 kgCO2/TJ × 43.0 TJ/Gg = 3.1863 tCO2/t
    assert fig("office_diesel.co2").value == pytest.approx(2 * 74_100 * 43.0 / 1e6)
    # natural gas: 10,000 m³ × 12.143 tce/10⁴ m³ × 29.307 GJ/tce × 56.1 kgCO2/GJ
    assert fig("office_natural_gas.co2").value == pytest.approx(
        10_000 * 12.143 / 10_000 * 29.307 * 56.1 / 1000
    )
    assert len(fig("office_natural_gas.co2").sources) == 2
    # explicit zero is a value; litres cannot be converted (no densities) → missing
    assert fig("office_coal.co2").value == 0.0
    gasoline = fig("office_gasoline.co2")
    assert gasoline.missing and "吨" in gasoline.fill
    assert fig("office_gasoline").value == 500 and fig("office_gasoline").unit == "升"
    # the office fossil line covers coal, diesel and gas; gasoline is listed as not included
    line = fig("line.s1_office_fossil")
    assert line.status == "partial"
    assert line.value == pytest.approx(6.3726 + 19.96458194610, rel=1e-9)
    assert "汽油" in line.fill
    # per capita and intensity
    assert fig("office_electricity.per_capita").value == pytest.approx(10_000)
    assert fig("scope2").value == pytest.approx(636.1)
    assert fig("scope3").value == pytest.approx(12.5) and fig("scope3").status == "partial"
    total = fig("operations_total")
    assert total.value == pytest.approx(6.3726 + 19.9645819461 + 636.1 + 12.5)
    assert total.status == "partial"
    assert fig("operations_intensity").value == pytest.approx(total.value / 100)
    assert fig("recycled_paper_ratio").value == pytest.approx(25.0)
    reported = fig("line.s3_travel_transport")
    assert reported.status == "reported" and reported.sources[0].source == "差旅服务商报告"


def test_grid_factor_follows_the_data_year_rule():
    ops = d.parse_operations({"items": {"office_electricity": {"quantity": 1000}}}, 2022)
    built = report(operations=ops, year=2022)
    # 2022 has its own data year: 华北 0.6776 kgCO2/kWh
    assert built.figure("office_electricity.co2").value == pytest.approx(0.6776)


def test_items_not_entered_are_missing_never_zero():
    built = report(operations=None)
    for spec in d.items():
        quantity = built.figure(spec.key)
        assert quantity.value is None and quantity.status == "missing"
        assert f"operations.items.{spec.key}" in quantity.fill
    for key in ("scope1", "scope2", "scope3", "operations_total", "operations_intensity"):
        assert built.figure(key).missing, key
    assert built.figure("employees").missing
    fills = {m.fill for m in built.missing}
    assert "operations.items.office_electricity（电力，千瓦时）" in fills
    assert "narratives.overview" in fills


def test_per_capita_needs_the_headcount():
    built = report(operations=operations(employees=None))
    per_capita = built.figure("office_electricity.per_capita")
    assert per_capita.missing and "operations.employees" in per_capita.fill


def test_narratives_fill_their_sections():
    built = report(narratives=d.parse_narratives({"overview": " 本年度概况 ", "other": ""}))
    assert built.sections[0].narrative == "本年度概况"
    missing = {m.fill for m in built.missing}
    assert "narratives.overview" not in missing and "narratives.other" in missing


def test_report_is_json_ready():
    built = report(loans=book(), operations=operations())
    data = json.loads(json.dumps(built.to_dict(), ensure_ascii=False))
    assert data["reporting_date"] == "2025-12-31"
    assert data["institution"]["synthetic"] is True
    assert len(data["sections"]) == 11


# --- validation --------------------------------------------------------------------------------


def problems_of(payload: object, year: int = 2025) -> dict[str, str]:
    with pytest.raises(d.DisclosureInputError) as caught:
        d.parse_operations(payload, year)
    return {p.field: p.message for p in caught.value.problems}


def test_bad_operational_input_names_every_field():
    found = problems_of({
        "employees": 0,
        "grid_region": "火星",
        "items": {
            "office_electricity": {"quantity": -5},
            "office_diesel": {"quantity": 1, "unit": "m3"},
            "water": {"quantity": "很多"},
            "paper": {"quantity": float("nan")},
            "teleportation": {"quantity": 1},
        },
        "reported": {"s2_electricity": {"tco2": 1}, "s3_water": {"tco2": -1}},
        "colour": "green",
    })  # fmt: skip
    assert found["operations.items.office_electricity.quantity"] == "must be ≥ 0"
    assert "m3" not in found["operations.items.office_diesel.unit"]
    assert "number" in found["operations.items.water.quantity"]
    assert "finite" in found["operations.items.paper.quantity"]
    assert "unknown item" in found["operations.items.teleportation"]
    assert "operations.employees" in found and "operations.grid_region" in found
    assert "operations.reported.s2_electricity" in found
    assert found["operations.reported.s3_water.tco2"] == "must be ≥ 0"
    assert "operations.colour" in found


def test_grid_region_must_have_a_verified_factor_for_the_year():
    # Beijing's own factors are uncertain rows → refused; 华北 accepted
    assert "operations.grid_region" in problems_of({"grid_region": "北京"})
    assert d.parse_operations({"grid_region": "华北"}, 2025).grid_region == "north_china"


def test_bad_narratives_are_refused():
    with pytest.raises(d.DisclosureInputError) as caught:
        d.parse_narratives({"overview": 3, "gossip": "x", "other": "y" * 20_001})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"narratives.overview", "narratives.gossip", "narratives.other"}


# --- charts ------------------------------------------------------------------------------------


def test_charts_are_well_formed_svg_and_show_missing_as_missing():
    svg = charts.bar_chart(["范围一", "范围<二>"], [("排放", (1.5, None))], title="A & B")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "范围<二>" in texts and "缺失" in texts and "A & B" in texts
    assert ET.fromstring(charts.line_chart(["2024", "2025"], [("x", (1.0, 2.0))]))
    assert ET.fromstring(charts.hbar_chart(["能源绿色低碳转型"], (200.0,), unit="万元"))


def test_configuration_rows_carry_source_and_edition():
    from greenfin.reference import data_rows

    for name in (d.SECTIONS_FILE, d.ITEMS_FILE, d.LINES_FILE):
        rows = data_rows("banking", name)
        assert rows, name
        assert all(r["source"].strip() and r["edition"].strip() for r in rows), name
    # every platform emission line sums known items; every item with a factor is in one line
    in_lines = {i for line in d.emission_lines() for i in line.items}
    assert {i.key for i in d.items() if i.method != "none"} == in_lines


def test_a_frame_without_the_bank_label_gives_the_same_figures():
    built = report(loans=book().drop("bank"))
    assert built.figure("green_balance").value == pytest.approx(200.0)
    use = next(
        t for s in built.sections for sub in s.subsections for t in sub.tables if t.key == "by_use"
    )
    assert len({row[0] for row in use.rows}) == len(use.rows)  # one row per category
