"""Enterprise carbon account (企业碳账户): hand-computed scope 1/2 figures, the methods.md §5
worked examples, unit mistakes and out-of-domain inputs naming the field, benchmarking and the
illustrative grade / pricing tables, vectorised == scalar, invariants."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.carbon import inventory
from greenfin.carbon.inventory import (
    Benchmark,
    ContractualInstrument,
    ElectricityPurchase,
    EnterpriseYear,
    FuelUse,
    HeatPurchase,
    InventoryError,
    ProcessEmission,
    account_frame,
    benchmarks,
    carbon_account,
    combustion_factor,
    enterprise_years,
    find_benchmark,
    fuel_lines_frame,
    grade_account,
    grade_for_ratio,
    grade_frame,
    grades,
    heat_factor,
    heat_factor_rows,
    pricing_adjustment_bp,
    pricing_rules,
    supplied_factor,
)

GREEN_POWER = supplied_factor(0, "tCO2/MWh", source="绿电交易 contract (test)")


def ey(**kw) -> EnterpriseYear:
    base = {
        "enterprise_id": "E1",
        "accounting_year": 2022,
        "region": "national",
        "revenue_10k_cny": 1000.0,
    }
    base.update(kw)
    return EnterpriseYear(**base)


def field_of(exc: pytest.ExceptionInfo[InventoryError]) -> str:
    return exc.value.field


# --- scope 1 -----------------------------------------------------------------------------------


def test_diesel_scope1_reproduces_methods_5_3():
    # methods.md §5.3: diesel 74,100 kgCO2/TJ × 43.0 TJ/Gg = 3.1863 kgCO2 per kg
    account = carbon_account(ey(fuels=(FuelUse("柴油", 10, "t"),)))
    assert account.scope1_combustion_tco2e == 31.863
    line = account.lines[0]
    assert line.factor.value == 3.1863 and line.factor.unit == "tCO2/t"
    assert line.factor.status == "derived"  # EF × NCV, both tabulated
    assert "74100" in line.factor.derivation and "43" in line.factor.derivation
    assert line.subject == "gas_diesel_oil"


def test_fuel_in_energy_units_uses_table_1_4_directly():
    account = carbon_account(ey(fuels=(FuelUse("natural gas", 1000, "GJ"),)))
    assert account.scope1_combustion_tco2e == 56.1  # 56,100 kgCO2/TJ × 1 TJ
    assert account.lines[0].factor.status == "verified"


def test_natural_gas_volume_via_standard_coal():
    # 1 万m³ = 12.143 tce (GB/T 2589-type) × 29.307 GJ/tce × 56.1 kgCO2/GJ
    per_10k_m3 = Fraction("12.143") * Fraction("29.307") * Fraction("56.1") / 1000
    factor = combustion_factor("天然气", "10k_m3", calorific_basis="gbt2589")
    assert factor.value == float(per_10k_m3) == 19.9645819461
    assert factor.status == "derived" and "12.143" in factor.derivation
    account = carbon_account(
        ey(fuels=(FuelUse("natural_gas", 100, "10k_m3", calorific_basis="gbt2589"),))
    )
    assert account.scope1_combustion_tco2e == float(100 * per_10k_m3)


def test_process_emissions_are_taken_as_stated_in_any_co2e_unit():
    account = carbon_account(
        ey(process=(ProcessEmission("calcination", 500), ProcessEmission("x", 2500, "kgCO2e")))
    )
    assert account.scope1_process_tco2e == 502.5
    assert account.scope1_tco2e == 502.5
    assert [line.factor for line in account.lines] == [None, None]


def test_supplied_fuel_factor_replaces_the_default():
    measured = supplied_factor(3.1, "tCO2/t", source="plant lab 2022", subject="diesel")
    account = carbon_account(ey(fuels=(FuelUse("diesel", 2, "t", factor=measured),)))
    assert account.scope1_combustion_tco2e == 6.2
    assert account.lines[0].factor.source == "plant lab 2022"


# --- scope 2 -----------------------------------------------------------------------------------


def test_1000_mwh_times_the_2022_national_average():
    account = carbon_account(ey(electricity=(ElectricityPurchase(1000, "MWh"),)))
    assert account.scope2_electricity_location_tco2e == 536.6  # 1,000 × 0.5366
    factor = account.lines[0].factor
    assert (factor.value, factor.unit, factor.data_year) == (0.5366, "tCO2/MWh", 2022)
    assert factor.status == "verified" and factor.source and factor.edition
    # no instruments: market-based equals location-based and says why
    assert account.scope2_electricity_market_tco2e == 536.6
    assert account.residual_basis == "location_fallback"
    assert any("no residual-mix factor available" in n for n in account.notes)


def test_kwh_and_gwh_give_the_same_figure():
    a = carbon_account(ey(electricity=(ElectricityPurchase(1_000_000, "kWh"),)))
    b = carbon_account(ey(electricity=(ElectricityPurchase(1, "GWh"),)))
    c = carbon_account(ey(electricity=(ElectricityPurchase(100, "万千瓦时"),)))
    assert a.scope2_location_tco2e == b.scope2_location_tco2e == c.scope2_location_tco2e == 536.6


def test_y_minus_2_worked_example_methods_5_1():
    # "2023 enterprise accounts use the 2021 factors: location-based 0.5568; 'residual-mix'
    # market-based 0.5942" — reproduced as what could be reported in mid-2024.
    e = ey(accounting_year=2023, electricity=(ElectricityPurchase(1000, "MWh"),))
    account = carbon_account(
        e, as_of=date(2024, 6, 30), residual_mix="average_excl_market_nonfossil"
    )
    assert account.scope2_electricity_location_tco2e == 556.8
    assert account.scope2_electricity_market_tco2e == 594.2
    assert account.residual_basis == "average_excl_market_nonfossil"
    assert {f.data_year for f in account.factors} == {2021}
    assert any("uncertain interpretation" in n for n in account.notes)
    # recomputed today: the 2023 factors
    assert carbon_account(e).scope2_electricity_location_tco2e == 530.6


def test_market_based_with_instruments_and_residual():
    e = ey(
        electricity=(ElectricityPurchase(1000, "MWh"),),
        instruments=(ContractualInstrument("绿电", 400, "MWh", GREEN_POWER),),
    )
    fallback = carbon_account(e)
    assert fallback.scope2_electricity_market_tco2e == 321.96  # 600 × 0.5366
    residual = supplied_factor(0.6, "kgCO2/kWh", source="supplier residual mix 2022")
    supplied = carbon_account(EnterpriseYear(**{**e.__dict__, "residual_factor": residual}))
    assert supplied.scope2_electricity_market_tco2e == 360.0  # 600 × 0.6
    assert supplied.residual_basis == "supplied"
    assert supplied.scope2_electricity_location_tco2e == 536.6
    full = carbon_account(
        ey(
            electricity=(ElectricityPurchase(1000, "MWh"),),
            instruments=(ContractualInstrument("绿证", 1, "GWh", GREEN_POWER),),
        )
    )
    assert full.scope2_electricity_market_tco2e == 0.0
    assert full.residual_basis == "not_needed"


def test_purchases_in_several_regions_and_proportional_fallback():
    e = ey(
        accounting_year=2023,
        electricity=(
            ElectricityPurchase(1000, "MWh", region="华北"),
            ElectricityPurchase(500, "MWh", region="南方"),
        ),
        instruments=(ContractualInstrument("绿电", 750, "MWh", GREEN_POWER),),
    )
    account = carbon_account(e)
    assert account.scope2_electricity_location_tco2e == 636.1 + 202.1  # 0.6361, 0.4042
    assert account.scope2_electricity_market_tco2e == pytest.approx((636.1 + 202.1) / 2, 1e-12)


def test_uncertain_grid_factor_only_on_request():
    e = ey(region="北京", electricity=(ElectricityPurchase(1000, "MWh"),))
    with pytest.raises(InventoryError) as exc:
        carbon_account(e)
    assert field_of(exc) == "region" and "include_uncertain" in exc.value.reason
    account = carbon_account(e, include_uncertain=True)
    assert account.scope2_location_tco2e == 558.0  # Beijing 2022 0.558, uncertain
    assert account.uses_uncertain_factor
    assert any("uncertain" in n for n in account.notes)


def test_purchased_heat_supplied_or_uncertain_default():
    steam = supplied_factor(0.1, "tCO2/GJ", source="热力公司 2022 factor")
    account = carbon_account(ey(heat=(HeatPurchase(100, "GJ", steam),)))
    assert account.scope2_heat_tco2e == 10.0
    assert account.scope2_location_tco2e == account.scope2_market_tco2e == 10.0
    with pytest.raises(InventoryError) as exc:
        carbon_account(ey(heat=(HeatPurchase(100, "GJ"),)))
    assert field_of(exc) == "heat[0].factor" and "uncertain" in exc.value.reason
    flagged = carbon_account(ey(heat=(HeatPurchase(100, "GJ"),)), include_uncertain=True)
    assert flagged.scope2_heat_tco2e == 11.0  # 0.11 tCO2/GJ, uncertain row
    assert flagged.uses_uncertain_factor
    assert heat_factor(include_uncertain=True).status == "uncertain"
    assert [f.status for f in heat_factor_rows()] == ["uncertain"]


# --- totals, intensities, provenance -----------------------------------------------------------


def full_enterprise() -> EnterpriseYear:
    return ey(
        industry_code="3011",
        output=50_000,
        output_unit="t",
        fuels=(FuelUse("柴油", 10, "t"),),
        process=(ProcessEmission("calcination", 500),),
        electricity=(ElectricityPurchase(1000, "MWh"),),
        instruments=(ContractualInstrument("绿电", 400, "MWh", GREEN_POWER),),
        heat=(HeatPurchase(100, "GJ", supplied_factor(0.1, "tCO2/GJ", source="supplier")),),
    )


def test_totals_and_intensities_hand_computed():
    a = carbon_account(full_enterprise())
    assert a.scope1_tco2e == 531.863  # 31.863 + 500
    assert a.scope2_location_tco2e == 546.6  # 536.6 + 10
    assert a.scope2_market_tco2e == 331.96  # 321.96 + 10
    assert a.total_location_tco2e == 1078.463
    assert a.total_market_tco2e == 863.823
    assert a.intensity_location_tco2e_per_10k_cny == 1.078463  # per 万元
    assert a.intensity_market_tco2e_per_10k_cny == 0.863823
    assert a.intensity_location_per_output == float(Fraction("1078.463") / 50_000)
    assert a.output_intensity_unit == "tCO2e/t"
    assert a.total("market") == 863.823


def test_every_factor_used_is_attached_with_provenance():
    a = carbon_account(full_enterprise())
    record = a.provenance()
    factors = [line["factor"] for line in record["lines"] if line["factor"]]
    assert factors and all(
        f["value"] is not None and f["unit"] and f["source"] and f["status"] for f in factors
    )
    grid = next(f for f in factors if f["kind"] == "average")
    assert grid["data_year"] == 2022 and grid["accounting_year"] == 2022
    assert "latest data year" in grid["selection"]
    categories = [line["category"] for line in record["lines"]]
    assert categories == [
        "fuel_combustion",
        "process",
        "electricity_location",
        "electricity_market",
        "electricity_market",
        "heat",
    ]


# --- unit mistakes and out-of-domain inputs ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"electricity": (ElectricityPurchase(1000, "t"),)}, "electricity[0].unit"),
        ({"electricity": (ElectricityPurchase(1000, "tCO2"),)}, "electricity[0].unit"),
        ({"electricity": (ElectricityPurchase(1000, "mwh"),)}, "electricity[0].unit"),
        ({"fuels": (FuelUse("diesel", 10, "tCO2"),)}, "fuels[0].unit"),
        ({"fuels": (FuelUse("natural_gas", 10, "10k_m3"),)}, "fuels[0].unit"),
        ({"fuels": (FuelUse("anthracite", 10, "m3", calorific_basis="gbt2589"),)}, "fuels[0].fuel"),
        (
            {"fuels": (FuelUse("diesel", 10, "t", calorific_basis="nbs"),)},
            "fuels[0].calorific_basis",
        ),
        ({"fuels": (FuelUse("unobtainium", 10, "t"),)}, "fuels[0].fuel"),
        ({"process": (ProcessEmission("calcination", 500, "t"),)}, "process[0].unit"),
        ({"heat": (HeatPurchase(100, "t"),)}, "heat[0].unit"),
        (
            {
                "electricity": (ElectricityPurchase(1000),),
                "instruments": (
                    ContractualInstrument(
                        "x", 10, "MWh", supplied_factor(0.5, "tCO2/t", source="x")
                    ),
                ),
            },
            "instruments[0].factor",
        ),
        (
            {
                "fuels": (
                    FuelUse("diesel", 1, "t", factor=supplied_factor(3, "tCO2/MWh", source="x")),
                )
            },
            "fuels[0].factor",
        ),
    ],
)
def test_unit_mistakes_name_the_field(kwargs, field):
    with pytest.raises(InventoryError) as exc:
        carbon_account(ey(**kwargs))
    assert field_of(exc) == field


def test_volume_on_ipcc_basis_explains_the_way_out():
    with pytest.raises(InventoryError) as exc:
        carbon_account(ey(fuels=(FuelUse("天然气", 10, "万立方米"),)))
    assert "densities" in exc.value.reason and "gbt2589" in exc.value.reason


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"revenue_10k_cny": 0}, "revenue_10k_cny"),
        ({"revenue_10k_cny": -5}, "revenue_10k_cny"),
        ({"revenue_10k_cny": None}, "revenue_10k_cny"),
        ({"revenue_10k_cny": float("nan")}, "revenue_10k_cny"),
        ({"revenue_10k_cny": "1000"}, "revenue_10k_cny"),
        ({"enterprise_id": " "}, "enterprise_id"),
        ({"accounting_year": 2022.0}, "accounting_year"),
        ({"accounting_year": 1800}, "accounting_year"),
        ({"region": ""}, "region"),
        ({"region": "Atlantis", "electricity": (ElectricityPurchase(1),)}, "region"),
        ({"accounting_year": 2020, "electricity": (ElectricityPurchase(1),)}, "accounting_year"),
        ({"output": 0, "output_unit": "t"}, "output"),
        ({"output": 10}, "output_unit"),
        ({"output_unit": "t"}, "output"),
        ({"industry_code": "9999"}, "industry_code"),
        ({"fuels": (FuelUse("diesel", -1, "t"),)}, "fuels[0].quantity"),
        ({"fuels": (FuelUse("diesel", None, "t"),)}, "fuels[0].quantity"),
        ({"fuels": (FuelUse("diesel", math.inf, "t"),)}, "fuels[0].quantity"),
        ({"fuels": (FuelUse("diesel", True, "t"),)}, "fuels[0].quantity"),
        ({"process": (ProcessEmission("x", -1),)}, "process[0].quantity"),
        ({"electricity": (ElectricityPurchase(-1),)}, "electricity[0].quantity"),
        (
            {"electricity": (ElectricityPurchase(1, region="Atlantis"),)},
            "electricity[0].region",
        ),
        ({"heat": (HeatPurchase(-1),)}, "heat[0].quantity"),
        (
            {
                "electricity": (ElectricityPurchase(100),),
                "instruments": (ContractualInstrument("绿电", 101, "MWh", GREEN_POWER),),
            },
            "instruments",
        ),
        (
            {"instruments": (ContractualInstrument("绿电", 1, "MWh", GREEN_POWER),)},
            "instruments",
        ),
    ],
)
def test_out_of_domain_inputs_name_the_field(kwargs, field):
    with pytest.raises(InventoryError) as exc:
        carbon_account(ey(**kwargs))
    assert field_of(exc) == field


def test_residual_mix_option_is_checked():
    with pytest.raises(InventoryError) as exc:
        carbon_account(ey(), residual_mix="aib")
    assert field_of(exc) == "residual_mix"


def test_supplied_factor_needs_a_source_and_a_unit():
    for kwargs, field in (
        ({"value": 0.5, "unit": "tCO2/MWh", "source": ""}, "source"),
        ({"value": -0.5, "unit": "tCO2/MWh", "source": "x"}, "value"),
        ({"value": 0.5, "unit": "tCO2/furlong", "source": "x"}, "unit"),
        ({"value": 0.5, "unit": "tCO2/MWh", "source": "x", "status": "guess"}, "status"),
    ):
        with pytest.raises(InventoryError) as exc:
            supplied_factor(**kwargs)
        assert field_of(exc) == field


# --- benchmarks, grades, pricing ---------------------------------------------------------------


def test_shipped_configuration_is_marked_illustrative_or_uncertain():
    assert benchmarks() and all(b.status == "illustrative" for b in benchmarks())
    assert all("zone must load its own" in b.note for b in benchmarks())
    assert all(b.source and b.edition for b in benchmarks())
    assert [g.label_zh for g in grades()] == ["深绿", "浅绿", "黄", "红"]
    assert all(g.status == "illustrative" for g in grades())
    assert {r.grade for r in pricing_rules() if r.product == "default"} == {
        g.grade for g in grades()
    }
    assert all(r.status == "illustrative" for r in pricing_rules())


@pytest.mark.parametrize(
    ("ratio", "grade"),
    [
        (0.0, "深绿"),
        (0.599, "深绿"),
        (0.6, "浅绿"),
        (0.6 - 1e-12, "浅绿"),  # within the tolerance: at the threshold
        (0.999999, "浅绿"),
        (1.0, "黄"),
        (1.399, "黄"),
        (1.4, "红"),
        (1e6, "红"),
    ],
)
def test_grade_thresholds(ratio, grade):
    assert grade_for_ratio(ratio).label_zh == grade


def test_grade_for_ratio_rejects_negative():
    with pytest.raises(InventoryError) as exc:
        grade_for_ratio(-0.1)
    assert field_of(exc) == "ratio"


@pytest.mark.parametrize(
    ("process_tco2e", "grade"),
    # 水泥制造 3011 illustrative revenue benchmark 8.0 tCO2e/万元; revenue 100 万元
    [
        (0, "dark_green"),
        (479.2, "dark_green"),
        (480, "light_green"),
        (800, "yellow"),
        (1119.2, "yellow"),
        (1120, "red"),
    ],
)
def test_account_graded_against_its_class(process_tco2e, grade):
    a = carbon_account(
        ey(
            industry_code="3011",
            revenue_10k_cny=100,
            process=(ProcessEmission("calcination", process_tco2e),),
        )
    )
    result = grade_account(a)
    assert result.benchmark.industry_code == "3011"
    assert result.benchmark.value == 8.0
    assert result.ratio == pytest.approx(process_tco2e / 800, abs=1e-15)
    assert result.grade.grade == grade
    assert any("illustrative" in n for n in result.notes)


def test_benchmark_walks_up_the_gbt4754_hierarchy():
    assert find_benchmark("3012").industry_code == "30"  # 石灰和石膏制造 → 301 → 30
    assert find_benchmark("3021").industry_code == "30"
    assert find_benchmark("1811").industry_code == "C"  # 运动机织服装 → 181 → 18 → C
    result = grade_account(carbon_account(ey(industry_code="3012")))
    assert any("parent class 30" in n for n in result.notes)
    with pytest.raises(InventoryError) as exc:
        find_benchmark("0111")  # agriculture: nothing on the path
    assert field_of(exc) == "industry_code" and "zone must load" in exc.value.reason
    with pytest.raises(InventoryError) as exc:
        grade_account(carbon_account(ey()))
    assert field_of(exc) == "industry_code"


def test_output_benchmark_converts_compatible_units():
    # 3011 output benchmark 0.6 tCO2e/t (illustrative); 5 万吨 of cement, 1,800 tCO2e
    a = carbon_account(
        ey(
            industry_code="3011",
            output=5,
            output_unit="10k_t",
            process=(ProcessEmission("calcination", 1800),),
        )
    )
    result = grade_account(a, metric="output")
    assert result.intensity == pytest.approx(0.036, rel=1e-12)  # 1,800 / 50,000 t
    assert result.intensity_unit == "tCO2e/t"
    assert result.ratio == pytest.approx(0.06, rel=1e-12)
    assert result.grade.grade == "dark_green"
    with pytest.raises(InventoryError) as exc:
        grade_account(carbon_account(ey(industry_code="3011")), metric="output")
    assert field_of(exc) == "output"
    odd_unit = carbon_account(ey(industry_code="3011", output=5, output_unit="重量箱"))
    with pytest.raises(InventoryError) as exc:
        grade_account(odd_unit, metric="output")
    assert field_of(exc) == "industry_code"


def test_zone_rows_override_the_shipped_ones(monkeypatch):
    zone_row = Benchmark(
        "30",
        "非金属矿物制品业",
        "revenue",
        2.0,
        "tCO2e",
        "10k_CNY",
        "location",
        "quzhou",
        2022,
        "verified",
        "zone statistics (test)",
        "2022",
        "",
    )
    monkeypatch.setattr(inventory, "benchmarks", lambda: (*benchmarks(), zone_row))
    assert find_benchmark("3011").value == 8.0  # no zone: the shipped 小类 row
    assert find_benchmark("3011", zone="quzhou") is zone_row  # zone first, even at 大类
    assert find_benchmark("3011", zone="quzhou", year=2021).value == 8.0  # zone row is 2022


def test_pricing_hook():
    assert pricing_adjustment_bp("深绿") == -30
    assert pricing_adjustment_bp("light_green") == -10
    assert pricing_adjustment_bp("yellow") == 0
    assert pricing_adjustment_bp(grade_for_ratio(2.0)) == 30
    with pytest.raises(InventoryError) as exc:
        pricing_adjustment_bp("purple")
    assert field_of(exc) == "grade"
    with pytest.raises(InventoryError) as exc:
        pricing_adjustment_bp("深绿", product="green-mortgage")
    assert field_of(exc) == "product"


# --- vectorised --------------------------------------------------------------------------------

ENTERPRISES = pl.DataFrame(
    [
        {
            "enterprise_id": "E1",
            "accounting_year": 2022,
            "region": "national",
            "industry_code": "3011",
            "revenue_10k_cny": 1000.0,
            "output": 50_000.0,
            "output_unit": "t",
            "process_tco2e": 500.0,
            "electricity_mwh": 1000.0,
            "contract_mwh": 400.0,
            "contract_factor_tco2_per_mwh": 0.0,
            "contract_factor_source": "绿电 contract",
            "heat_gj": 100.0,
            "heat_factor_tco2_per_gj": 0.1,
            "heat_factor_source": "supplier",
        },
        {
            "enterprise_id": "E2",
            "accounting_year": 2023,
            "region": "华北",
            "industry_code": "1713",
            "revenue_10k_cny": 50.0,
            "electricity_mwh": 20.0,
            "residual_factor_tco2_per_mwh": 0.7,
            "residual_factor_source": "supplier residual",
        },
        {
            "enterprise_id": "E3",
            "accounting_year": 2023,
            "region": "北京",  # no certain factor, but no electricity either
            "industry_code": "39",
            "revenue_10k_cny": 10.0,
        },
    ]
)
FUELS = pl.DataFrame(
    [
        {
            "enterprise_id": "E1",
            "accounting_year": 2022,
            "fuel": "柴油",
            "quantity": 10.0,
            "unit": "t",
        },
        {
            "enterprise_id": "E3",
            "accounting_year": 2023,
            "fuel": "natural_gas",
            "quantity": 2.0,
            "unit": "10k_m3",
            "calorific_basis": "gbt2589",
        },
    ]
)
FIGURES = (
    "scope1_combustion_tco2e",
    "scope1_process_tco2e",
    "scope1_tco2e",
    "scope2_electricity_location_tco2e",
    "scope2_electricity_market_tco2e",
    "scope2_heat_tco2e",
    "scope2_location_tco2e",
    "scope2_market_tco2e",
    "total_location_tco2e",
    "total_market_tco2e",
    "intensity_location_tco2e_per_10k_cny",
    "intensity_market_tco2e_per_10k_cny",
    "intensity_location_per_output",
    "intensity_market_per_output",
)


def assert_frame_matches_scalar(frame: pl.DataFrame, accounts, rel: float = 1e-12) -> None:
    assert frame.height == len(accounts)
    for row, account in zip(frame.iter_rows(named=True), accounts, strict=True):
        assert row["enterprise_id"] == account.enterprise_id
        assert row["residual_basis"] == account.residual_basis
        assert row["uses_uncertain_factor"] == account.uses_uncertain_factor
        for name in FIGURES:
            expected = getattr(account, name)
            if expected is None:
                assert row[name] is None, name
            else:
                assert row[name] == pytest.approx(expected, rel=rel, abs=1e-9), name


def test_vectorised_equals_scalar_on_fixture():
    frame = account_frame(ENTERPRISES, FUELS)
    accounts = [carbon_account(e) for e in enterprise_years(ENTERPRISES, FUELS)]
    assert_frame_matches_scalar(frame, accounts)
    e1 = frame.row(0, named=True)
    assert e1["total_location_tco2e"] == pytest.approx(1078.463, rel=1e-15)
    assert e1["grid_factor_data_year"] == 2022 and e1["grid_factor_status"] == "verified"
    assert e1["heat_factor_status"] == "supplied"
    e2 = frame.row(1, named=True)
    assert e2["scope2_electricity_market_tco2e"] == pytest.approx(14.0)  # 20 × 0.7
    assert e2["residual_basis"] == "supplied"
    graded = grade_frame(frame)
    for row, account in zip(graded.iter_rows(named=True), accounts, strict=True):
        scalar = grade_account(account)
        assert row["carbon_grade"] == scalar.grade.grade
        assert row["benchmark_code"] == scalar.benchmark.industry_code
        assert row["carbon_intensity_ratio"] == pytest.approx(scalar.ratio, rel=1e-12)
        assert row["pricing_adjustment_bp"] == pricing_adjustment_bp(scalar.grade)
        assert row["benchmark_status"] == "illustrative"


def test_vectorised_y_minus_2_and_residual_mix():
    frame = pl.DataFrame(
        {
            "enterprise_id": ["A"],
            "accounting_year": [2023],
            "region": ["national"],
            "revenue_10k_cny": [100.0],
            "electricity_mwh": [1000.0],
        }
    )
    out = account_frame(
        frame, as_of=date(2024, 6, 30), residual_mix="average_excl_market_nonfossil"
    )
    assert out["scope2_electricity_location_tco2e"].to_list() == [pytest.approx(556.8)]
    assert out["scope2_electricity_market_tco2e"].to_list() == [pytest.approx(594.2)]
    assert out["grid_factor_data_year"].to_list() == [2021]


def test_vectorised_reports_every_problem_with_row_and_column():
    bad = pl.DataFrame(
        {
            "enterprise_id": ["A", "B", "B"],
            "accounting_year": [2022, 2022, 2022],
            "region": ["national", "national", "Atlantis"],
            "revenue_10k_cny": [None, 10.0, 10.0],
            "electricity_mwh": [1.0, -1.0, 1.0],
            "industry_code": ["3011", "XX", None],
        }
    )
    fuels = pl.DataFrame(
        {
            "enterprise_id": ["A"],
            "accounting_year": [2022],
            "fuel": ["unobtainium"],
            "quantity": [1.0],
            "unit": ["t"],
        }
    )
    with pytest.raises(InventoryError) as exc:
        account_frame(bad, fuels)
    found = {(p.row, p.field) for p in exc.value.problems}
    assert {
        (1, "revenue_10k_cny"),
        (2, "electricity_mwh"),
        (2, "industry_code"),
        (2, "enterprise_id"),  # duplicate (B, 2022)
        (1, "fuels.fuel"),
    } <= found
    with pytest.raises(InventoryError) as exc:
        account_frame(bad.drop("region"))
    assert field_of(exc) == "region"


def test_vectorised_grid_and_heat_errors_name_the_column():
    beijing = pl.DataFrame(
        {
            "enterprise_id": ["A"],
            "accounting_year": [2022],
            "region": ["北京"],
            "revenue_10k_cny": [1.0],
            "electricity_mwh": [1.0],
        }
    )
    with pytest.raises(InventoryError) as exc:
        account_frame(beijing)
    assert (exc.value.row, exc.value.field) == (1, "region")
    assert account_frame(beijing, include_uncertain=True)["uses_uncertain_factor"].to_list() == [
        True
    ]
    heat = pl.DataFrame(
        {
            "enterprise_id": ["A"],
            "accounting_year": [2022],
            "region": ["national"],
            "revenue_10k_cny": [1.0],
            "heat_gj": [10.0],
        }
    )
    with pytest.raises(InventoryError) as exc:
        account_frame(heat)
    assert (exc.value.row, exc.value.field) == (1, "heat_factor_tco2_per_gj")
    unsourced = heat.with_columns(pl.lit(0.1).alias("heat_factor_tco2_per_gj"))
    with pytest.raises(InventoryError) as exc:
        account_frame(unsourced)
    assert exc.value.field == "heat_factor_source"


def test_fuel_lines_frame_attaches_factors():
    lines = fuel_lines_frame(FUELS)
    assert lines["emissions_tco2e"].to_list() == pytest.approx([31.863, 2 * 19.9645819461])
    assert lines["factor_status"].to_list() == ["derived", "derived"]
    assert lines["fuel_key"].to_list() == ["gas_diesel_oil", "natural_gas"]
    # diesel in m³ on the IPCC basis has no density; natural gas in m³ on gbt2589 is fine
    with pytest.raises(InventoryError) as exc:
        fuel_lines_frame(FUELS.with_columns(pl.lit("m3").alias("unit")))
    assert {(p.row, p.field) for p in exc.value.problems} == {(1, "unit")}
    assert "densities" in exc.value.reason


def test_grade_frame_missing_benchmark():
    frame = account_frame(
        pl.DataFrame(
            {
                "enterprise_id": ["A", "B"],
                "accounting_year": [2022, 2022],
                "region": ["national", "national"],
                "industry_code": ["0111", "3011"],
                "revenue_10k_cny": [1.0, 1.0],
            }
        )
    )
    with pytest.raises(InventoryError) as exc:
        grade_frame(frame)
    assert (exc.value.row, exc.value.field) == (1, "industry_code")
    out = grade_frame(frame, on_missing="null")
    assert out["carbon_grade"].to_list() == [None, "dark_green"]


# --- invariants --------------------------------------------------------------------------------

FUEL_CHOICES = [
    ("柴油", "t", "ipcc"),
    ("natural_gas", "10k_m3", "gbt2589"),
    ("anthracite", "t", "ipcc"),
    ("lpg", "GJ", "ipcc"),
]
REGIONS = ["national", "华北", "华东", "南方", "西南", "河北"]
amount = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def enterprise_rows(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    rows, fuel_rows = [], []
    for i in range(n):
        year = draw(st.sampled_from([2022, 2023]))
        electricity = draw(amount)
        contract = draw(st.floats(min_value=0, max_value=1)) * electricity
        row = {
            "enterprise_id": f"E{i}",
            "accounting_year": year,
            "region": draw(st.sampled_from(REGIONS)),
            "industry_code": draw(st.sampled_from(["3011", "1713", "2614", "C", "39"])),
            "revenue_10k_cny": draw(st.floats(min_value=0.01, max_value=1e6)),
            "process_tco2e": draw(amount),
            "electricity_mwh": electricity,
            "contract_mwh": contract,
            "contract_factor_tco2_per_mwh": draw(st.floats(min_value=0, max_value=1)),
            "contract_factor_source": "test",
            "heat_gj": draw(amount),
            "heat_factor_tco2_per_gj": draw(st.floats(min_value=0, max_value=0.2)),
            "heat_factor_source": "test",
        }
        if row["region"] == "河北" and year == 2023:
            row["accounting_year"] = 2022  # provinces: 2022 data only
        rows.append(row)
        for fuel, unit, basis in draw(st.lists(st.sampled_from(FUEL_CHOICES), max_size=3)):
            fuel_rows.append(
                {
                    "enterprise_id": row["enterprise_id"],
                    "accounting_year": row["accounting_year"],
                    "fuel": fuel,
                    "quantity": draw(amount),
                    "unit": unit,
                    "calorific_basis": basis,
                }
            )
    enterprises = pl.DataFrame(rows, schema_overrides={"accounting_year": pl.Int64})
    fuels = pl.DataFrame(
        fuel_rows,
        schema={
            "enterprise_id": pl.String,
            "accounting_year": pl.Int64,
            "fuel": pl.String,
            "quantity": pl.Float64,
            "unit": pl.String,
            "calorific_basis": pl.String,
        },
    )
    return enterprises, fuels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprise_rows())
def test_vectorised_equals_scalar_property(data):
    enterprises, fuels = data
    frame = account_frame(enterprises, fuels)
    accounts = [carbon_account(e) for e in enterprise_years(enterprises, fuels)]
    assert_frame_matches_scalar(frame, accounts, rel=1e-9)
    graded = grade_frame(frame)
    for row, account in zip(graded.iter_rows(named=True), accounts, strict=True):
        scalar = grade_account(account)
        assert row["carbon_intensity_ratio"] == pytest.approx(scalar.ratio, rel=1e-9)
        near = any(
            abs(scalar.ratio - t) < 1e-6 for g in grades() for t in (g.ratio_min, g.ratio_max) if t
        )
        if not near:
            assert row["carbon_grade"] == scalar.grade.grade


@settings(max_examples=60, deadline=None)
@given(
    diesel=amount,
    gas=amount,
    process=amount,
    mwh=amount,
    heat=amount,
    k=st.floats(min_value=0, max_value=1000, allow_nan=False),
)
def test_emissions_non_negative_and_linear_in_activity(diesel, gas, process, mwh, heat, k):
    steam = supplied_factor(0.1, "tCO2/GJ", source="test")

    def account(scale: float):
        return carbon_account(
            ey(
                fuels=(
                    FuelUse("diesel", diesel * scale, "t"),
                    FuelUse("natural_gas", gas * scale, "GJ"),
                ),
                process=(ProcessEmission("p", process * scale),),
                electricity=(ElectricityPurchase(mwh * scale, "MWh"),),
                heat=(HeatPurchase(heat * scale, "GJ", steam),),
            )
        )

    base, scaled = account(1.0), account(k)
    for name in FIGURES[:10]:
        assert getattr(base, name) >= 0
        assert getattr(scaled, name) >= 0
        assert getattr(scaled, name) == pytest.approx(k * getattr(base, name), rel=1e-9, abs=1e-6)
    # parts add up
    assert base.scope1_tco2e == pytest.approx(
        base.scope1_combustion_tco2e + base.scope1_process_tco2e, rel=1e-12
    )
    assert base.total_location_tco2e == pytest.approx(
        base.scope1_tco2e + base.scope2_location_tco2e, rel=1e-12
    )
    # with no instruments and no residual, market equals location
    assert base.total_market_tco2e == pytest.approx(base.total_location_tco2e, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(electricity=amount, share=st.floats(min_value=0, max_value=1))
def test_green_power_never_raises_market_above_location(electricity, share):
    a = carbon_account(
        ey(
            electricity=(ElectricityPurchase(electricity),),
            instruments=(ContractualInstrument("绿电", electricity * share, "MWh", GREEN_POWER),),
        )
    )
    assert 0 <= a.scope2_market_tco2e <= a.scope2_location_tco2e * (1 + 1e-12) + 1e-9


def test_vectorised_account_refuses_unparseable_numbers_instead_of_zeros():
    """Review finding: '1,000' or 'abc' must name row and column, never become 0 tCO2e."""
    import polars as pl
    import pytest

    from greenfin.carbon import inventory

    frame = pl.DataFrame(
        {
            "enterprise_id": ["e1", "e2"],
            "accounting_year": ["2023", "2023"],
            "region": ["national", "national"],
            "revenue_10k_cny": ["100", "100"],
            "electricity_mwh": ["1,000", "5"],
            "process_tco2e": ["0", "abc"],
        }
    )
    with pytest.raises(inventory.InventoryError) as err:
        inventory.account_frame(frame)
    found = {(p.row, p.field) for p in err.value.problems}
    assert {(1, "electricity_mwh"), (2, "process_tco2e")} <= found
