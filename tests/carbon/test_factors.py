"""Emission-factor library: published values round-trip, the data-year rule, errors naming the
field, worked examples of methods.md §5 reproduced to the printed figure."""

import math
from datetime import date
from importlib import resources

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenfin.carbon import factors
from greenfin.carbon.factors import (
    FactorError,
    apply_factor_expr,
    attach_fuel_factor,
    attach_grid_factor,
    co2_ef_from_carbon_content,
    find_fuel,
    find_region,
    fuel_default,
    fuel_default_rows,
    fuel_factor,
    fuels,
    grid_factor,
    grid_factor_frame,
    grid_factor_rows,
    standard_coal_coefficient,
    standard_coal_rows,
)
from greenfin.carbon.units import KGCE_MJ, UnitError, exact

# methods.md §5.1, as printed (kgCO2/kWh = tCO2/MWh)
NATIONAL = {
    2021: {"average": 0.5568, "average_excl_market_nonfossil": 0.5942, "fossil": 0.8426},
    2022: {"average": 0.5366, "average_excl_market_nonfossil": 0.5856, "fossil": 0.8325},
    2023: {"average": 0.5306, "average_excl_market_nonfossil": 0.6096, "fossil": 0.8273},
}
REGIONAL = {
    2022: {
        "华北": 0.6776,
        "西北": 0.5857,
        "华东": 0.5617,
        "东北": 0.5564,
        "华中": 0.5395,
        "南方": 0.3869,
        "西南": 0.2268,
    },
    2023: {
        "华北": 0.6361,
        "东北": 0.5122,
        "华东": 0.5500,
        "华中": 0.5271,
        "西北": 0.5543,
        "南方": 0.4042,
        "西南": 0.2472,
    },
}
REGIONAL_2021_UNCERTAIN = {
    "华北": 0.7120,
    "东北": 0.6012,
    "华东": 0.5992,
    "华中": 0.5354,
    "西北": 0.5951,
    "南方": 0.4326,
    "西南": 0.2113,
}
PROVINCIAL_2022 = {
    "河北": 0.7252,
    "山西": 0.7096,
    "天津": 0.7041,
    "内蒙古": 0.6849,
    "安徽": 0.6782,
    "福建": 0.4092,
    "广西": 0.4044,
    "青海": 0.1567,
    "四川": 0.1404,
    "云南": 0.1073,
}
FUELS = {  # IPCC 2006 Tables 1.2 / 1.3 / 1.4 as printed in methods.md §5.3
    "anthracite": (26.7, 26.8, 98300),
    "coking_coal": (28.2, 25.8, 94600),
    "other_bituminous_coal": (25.8, 25.8, 94600),
    "sub_bituminous_coal": (18.9, 26.2, 96100),
    "lignite": (11.9, 27.6, 101000),
    "coke_oven_coke": (28.2, 29.2, 107000),
    "crude_oil": (42.3, 20.0, 73300),
    "motor_gasoline": (44.3, 18.9, 69300),
    "jet_kerosene": (44.1, 19.5, 71500),
    "other_kerosene": (43.8, 19.6, 71900),
    "gas_diesel_oil": (43.0, 20.2, 74100),
    "residual_fuel_oil": (40.4, 21.1, 77400),
    "lpg": (47.3, 17.2, 63100),
    "natural_gas": (48.0, 15.3, 56100),
    "coke_oven_gas": (38.7, 12.1, 44400),
    "blast_furnace_gas": (2.47, 70.8, 260000),
}
STANDARD_COAL = {  # energy: (value, unit) as printed
    "raw_coal": (0.7143, "kgce/kg"),
    "washed_coal": (0.9000, "kgce/kg"),
    "coke": (0.9714, "kgce/kg"),
    "crude_oil": (1.4286, "kgce/kg"),
    "fuel_oil": (1.4286, "kgce/kg"),
    "gasoline": (1.4714, "kgce/kg"),
    "kerosene": (1.4714, "kgce/kg"),
    "diesel": (1.4571, "kgce/kg"),
    "lpg": (1.7143, "kgce/kg"),
    "natural_gas": (12.143, "tce/10k_m3"),
    "heat": (0.0341, "tce/GJ"),
}


# ---- data files ----


def test_row_counts_and_statuses():
    grid = grid_factor_rows()
    assert len(grid) == 43
    assert sum(f.status == "verified" for f in grid) == 34
    assert sum(f.status == "uncertain" for f in grid) == 9
    assert len(fuel_default_rows()) == 48
    assert all(f.status == "verified" for f in fuel_default_rows())
    coal = standard_coal_rows()
    assert len(coal) == 14
    assert sorted((f.subject, f.basis) for f in coal if f.status == "uncertain") == [
        ("electricity", "calorific"),
        ("electricity", "equivalent"),
    ]


def test_every_row_carries_value_unit_source_edition_status():
    for f in (*grid_factor_rows(), *fuel_default_rows(), *standard_coal_rows()):
        assert math.isfinite(f.value) and f.value > 0
        assert f.unit and f.source and f.edition
        assert f.status in ("verified", "derived", "uncertain")


def test_grid_rows_are_unique_and_public_after_their_year():
    keys = [(f.kind, f.region, f.data_year) for f in grid_factor_rows()]
    assert len(keys) == len(set(keys))
    for f in grid_factor_rows():
        assert f.effective_from is not None
        assert f.effective_from > date(f.data_year, 12, 31), f


def test_sources_md_documents_every_file():
    text = (
        resources.files("greenfin.reference")
        .joinpath("data", "carbon", "SOURCES.md")
        .read_text(encoding="utf-8")
    )
    for name in (
        "grid_factors.csv",
        "fuel_defaults_ipcc2006.csv",
        "standard_coal_coefficients.csv",
    ):
        assert name in text
    assert "uncertain" in text
    assert "latest data year" in text


def test_provenance_lists_files():
    files = {p["file"]: p for p in factors.provenance()}
    assert files["grid_factors.csv"]["rows"] == 43
    assert files["grid_factors.csv"]["status"]["uncertain"] == 9
    assert files["fuel_defaults_ipcc2006.csv"]["editions"]


# ---- published grid values round-trip exactly ----


@pytest.mark.parametrize(
    ("year", "kind", "value"),
    [(y, k, v) for y, kinds in NATIONAL.items() for k, v in kinds.items()],
)
def test_national_factors_round_trip(year, kind, value):
    f = grid_factor(kind, "national", year, data_year=year)
    assert f.value == value
    assert f.unit == "kgCO2/kWh"
    assert f.status == "verified"
    assert f.data_year == year
    assert f.to("tCO2/MWh").value == value
    assert "生态环境部" in f.source


def test_2022_national_average():
    f = grid_factor("average", "全国", 2022)
    assert (f.value, f.data_year, f.accounting_year) == (0.5366, 2022, 2022)
    assert f.apply(1000, "MWh", "tCO2") == 536.6


@pytest.mark.parametrize(
    ("year", "region", "value"),
    [(y, r, v) for y, regions in REGIONAL.items() for r, v in regions.items()],
)
def test_regional_factors_round_trip(year, region, value):
    f = grid_factor("average", region, year)
    assert (f.value, f.data_year, f.status) == (value, year, "verified")


@pytest.mark.parametrize(("province", "value"), list(PROVINCIAL_2022.items()))
def test_provincial_2022_factors_round_trip(province, value):
    f = grid_factor("average", province, 2022)
    assert (f.value, f.data_year, f.status) == (value, 2022, "verified")
    assert find_region(province).level == "province"


def test_ets_factor_0_5703():
    f = grid_factor("ets_grid_average", "national", 2022)
    assert f.value == 0.5703
    assert f.unit == "tCO2/MWh"
    assert f.to("kgCO2/kWh").value == 0.5703
    assert f.status == "verified"
    assert "发电行业" in f.source
    assert f.apply(1000, "MWh", "tCO2") == 570.3
    assert f.apply(1_000_000, "kWh", "tCO2e") == 570.3
    with pytest.raises(UnitError):
        f.apply(1000, "kg", "tCO2")  # a mass is not electricity


@pytest.mark.parametrize("year", [2021, 2023, 2030])
def test_ets_factor_applies_only_to_its_own_accounting_year(year):
    with pytest.raises(FactorError) as exc:
        grid_factor("ets_grid_average", "national", year)
    assert exc.value.field == "accounting_year"


# ---- the data-year rule ----


def test_latest_data_year_not_after_accounting_year():
    assert grid_factor("average", "national", 2023).data_year == 2023
    f = grid_factor("average", "national", 2025)
    assert (f.data_year, f.value, f.accounting_year) == (2023, 0.5306, 2025)
    assert "latest data year ≤ accounting year" in f.selection
    assert "2025 → data year 2023" in f.selection
    assert grid_factor("average", "north_china", 2024).value == 0.6361
    # provinces have only 2022 verified data
    assert grid_factor("average", "hebei", 2030).data_year == 2022


def test_accounting_year_before_first_data_year_raises():
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "national", 2020)
    assert exc.value.field == "accounting_year"
    assert "[2021, 2022, 2023]" in str(exc.value)
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "hebei", 2021)
    assert exc.value.field == "accounting_year"


def test_as_of_reproduces_the_y_minus_2_example():
    # methods.md §5.1: 2023 enterprise accounts use the 2021 factors: location-based 0.5568,
    # "residual-mix" market-based 0.5942 (the 2022 factors were published in December 2024).
    mid_2024 = date(2024, 6, 30)
    location = grid_factor("average", "national", 2023, as_of=mid_2024)
    market = grid_factor("average_excl_market_nonfossil", "national", 2023, as_of=mid_2024)
    assert (location.data_year, location.value) == (2021, 0.5568)
    assert (market.data_year, market.value) == (2021, 0.5942)
    assert "public on 2024-06-30" in location.selection
    assert grid_factor("average", "national", 2023, as_of=date(2025, 3, 1)).data_year == 2022
    assert grid_factor("average", "national", 2023, as_of=date(2026, 2, 1)).data_year == 2023


def test_as_of_before_any_publication_raises():
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "national", 2023, as_of=date(2024, 1, 1))
    assert exc.value.field == "as_of"


def test_pinned_data_year():
    assert grid_factor("fossil", "national", 2025, data_year=2021).value == 0.8426
    with pytest.raises(FactorError) as exc:
        grid_factor("fossil", "national", 2025, data_year=2019)
    assert exc.value.field == "data_year"


@given(
    kind=st.sampled_from(["average", "average_excl_market_nonfossil", "fossil"]),
    region=st.sampled_from(["national", "north_china", "southwest_china", "hebei", "yunnan"]),
    year=st.integers(min_value=2021, max_value=2060),
    as_of=st.one_of(st.none(), st.dates(min_value=date(2024, 4, 12), max_value=date(2035, 1, 1))),
)
def test_rule_picks_the_latest_eligible_row(kind, region, year, as_of):
    frame = grid_factor_frame(include_uncertain=False).filter(
        (pl.col("kind") == kind) & (pl.col("region") == region) & (pl.col("data_year") <= year)
    )
    if as_of is not None:
        frame = frame.filter(pl.col("effective_from") <= as_of)
    try:
        f = grid_factor(kind, region, year, as_of=as_of)
    except FactorError:
        assert frame.is_empty()
        return
    assert f.data_year == frame["data_year"].max()
    assert f.data_year <= year
    assert f.status != "uncertain"
    assert as_of is None or f.effective_from <= as_of


# ---- uncertain rows ----


def test_uncertain_beijing_only_on_request():
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "北京", 2022)
    assert exc.value.field == "region"
    assert "include_uncertain=True" in str(exc.value)
    f = grid_factor("average", "北京市", 2022, include_uncertain=True)
    assert (f.value, f.status) == (0.558, "uncertain")
    assert grid_factor("average", "110000", 2021, include_uncertain=True).value == 0.5688


@pytest.mark.parametrize(("region", "value"), list(REGIONAL_2021_UNCERTAIN.items()))
def test_uncertain_2021_regional_rows(region, value):
    with pytest.raises(FactorError) as exc:
        grid_factor("average", region, 2021)
    assert exc.value.field == "accounting_year"
    assert "uncertain data years [2021]" in str(exc.value)
    f = grid_factor("average", region, 2021, include_uncertain=True)
    assert (f.value, f.status) == (value, "uncertain")


# ---- regions and errors ----


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华北", "north_china"),
        ("North China", "north_china"),
        ("north_china", "north_china"),
        ("北京市", "beijing"),
        ("110000", "beijing"),
        ("110105", "beijing"),  # 朝阳区 → its province
        ("广西壮族自治区", "guangxi"),
        ("内蒙古自治区", "inner_mongolia"),
        ("河北省", "hebei"),
        ("全国", "national"),
    ],
)
def test_find_region(name, key):
    assert find_region(name).key == key


def test_unknown_region_kind_and_missing_combinations():
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "火星", 2022)
    assert (exc.value.field, exc.value.value) == ("region", "火星")
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "浙江", 2022)  # a province without a shipped factor
    assert exc.value.field == "region"
    with pytest.raises(FactorError) as exc:
        grid_factor("marginal", "national", 2022)
    assert exc.value.field == "kind"
    with pytest.raises(FactorError) as exc:
        grid_factor("fossil", "hebei", 2022)
    assert exc.value.field == "region"
    with pytest.raises(FactorError) as exc:
        grid_factor("average", "national", "2022")  # type: ignore[arg-type]
    assert exc.value.field == "accounting_year"
    with pytest.raises(UnitError):
        grid_factor("average", "national", 2022, unit="tCO2/t")


# ---- fuels ----


@pytest.mark.parametrize(("fuel", "printed"), list(FUELS.items()))
def test_ipcc_defaults_round_trip(fuel, printed):
    ncv, cc, ef = printed
    assert fuel_default(fuel, "ncv").value == ncv
    assert fuel_default(fuel, "carbon_content").value == cc
    assert fuel_default(fuel, "co2_ef").value == ef
    assert fuel_factor(fuel, "TJ").value == ef


@pytest.mark.parametrize("fuel", list(FUELS))
def test_table_1_4_is_the_footnote_equation_rounded_to_three_figures(fuel):
    computed = co2_ef_from_carbon_content(fuel).value
    digits = 3 - math.floor(math.log10(computed)) - 1
    assert round(computed, digits) == fuel_default(fuel, "co2_ef").value


def test_table_1_4_footnote_worked_example():
    f = co2_ef_from_carbon_content("diesel")
    assert round(f.value, 1) == 74066.7
    assert f.status == "derived"


def test_diesel_worked_example_3_1863_kgco2_per_kg():
    f = fuel_factor("柴油", "kg")
    assert f.value == 3.1863
    assert f.unit == "kgCO2/kg"
    assert f.status == "derived"
    assert "74100" in f.derivation and "43" in f.derivation
    assert fuel_factor("diesel", "t", emissions_unit="tCO2").value == 3.1863
    assert f.apply(1000, "kg", "tCO2") == 3.1863


def test_fuel_factor_per_energy_units():
    assert fuel_factor("natural_gas", "GJ").value == 56.1
    assert fuel_factor("natural_gas", "GJ").status == "verified"
    assert fuel_factor("gas_diesel_oil", "kWh").value == 0.26676  # 74,100 × 3.6e-6
    assert fuel_factor("natural_gas", "TJ", emissions_unit="tCO2").value == 56.1


def test_fuel_names_and_errors():
    assert find_fuel("Diesel") == "gas_diesel_oil"
    assert find_fuel("汽油") == "motor_gasoline"
    assert find_fuel("Natural gas") == "natural_gas"
    assert len(fuels()) == 16
    with pytest.raises(FactorError) as exc:
        fuel_factor("whale oil", "kg")
    assert (exc.value.field, exc.value.value) == ("fuel", "whale oil")
    with pytest.raises(FactorError) as exc:
        fuel_default("diesel", "density")
    assert exc.value.field == "parameter"
    with pytest.raises(UnitError) as uexc:
        fuel_factor("natural_gas", "m3")  # no densities shipped
    assert uexc.value.unit == "m3"
    with pytest.raises(UnitError) as uexc:
        fuel_factor("diesel", "kg", emissions_unit="kgCO2e")  # CO2 only
    assert uexc.value.unit == "kgCO2e"
    with pytest.raises(UnitError) as uexc:
        fuel_factor("diesel", "kgs")
    assert uexc.value.unit == "kgs"


# ---- standard coal ----


@pytest.mark.parametrize(("energy", "printed"), list(STANDARD_COAL.items()))
def test_standard_coal_coefficients_round_trip(energy, printed):
    value, unit = printed
    f = standard_coal_coefficient(energy)
    assert (f.value, f.unit, f.status) == (value, unit, "verified")


def test_standard_coal_examples():
    assert standard_coal_coefficient("原煤").apply(1, "t", "tce") == 0.7143
    assert standard_coal_coefficient("天然气", unit="kgce/m3").value == 1.2143
    assert standard_coal_coefficient("natural_gas").apply(10_000, "m3", "tce") == 12.143
    heat = standard_coal_coefficient("heat")
    assert round(1 / float(KGCE_MJ), 4) == heat.value  # 0.0341 is 1/29.307 rounded


def test_standard_coal_definition_row_is_the_unit_constant():
    f = standard_coal_coefficient("standard_coal")
    assert exact(f.value) == KGCE_MJ
    assert f.unit == "MJ/kg"


def test_electricity_coefficients_are_uncertain():
    with pytest.raises(FactorError) as exc:
        standard_coal_coefficient("电力")
    assert exc.value.field == "energy"
    with pytest.raises(FactorError) as exc:
        standard_coal_coefficient("electricity", include_uncertain=True)
    assert exc.value.field == "basis"
    eq = standard_coal_coefficient("electricity", basis="equivalent", include_uncertain=True)
    assert (eq.value, eq.unit, eq.status) == (4.04, "tce/10k_kWh", "uncertain")
    assert eq.to("kgce/kWh").value == 0.404
    with pytest.raises(FactorError) as exc:
        standard_coal_coefficient("electricity", basis="marginal", include_uncertain=True)
    assert exc.value.field == "basis"
    with pytest.raises(FactorError) as exc:
        standard_coal_coefficient("uranium")
    assert exc.value.field == "energy"


# ---- frames ----


def test_attach_grid_factor_and_emissions_expression():
    frame = pl.DataFrame(
        {
            "province": ["河北", "national", "云南", "河北"],
            "year": [2022, 2025, 2024, 2023],
            "electricity_kwh": [1_000_000.0, 2_000_000.0, 500_000.0, 10.0],
        }
    )
    out = attach_grid_factor(frame, "average", region_col="province", year_col="year")
    assert out.height == 4
    assert out["province"].to_list() == frame["province"].to_list()
    assert out["grid_factor_tco2_per_mwh"].to_list() == [0.7252, 0.5306, 0.1073, 0.7252]
    assert out["grid_factor_data_year"].to_list() == [2022, 2023, 2022, 2022]
    assert out["grid_factor_region"].to_list() == ["hebei", "national", "yunnan", "hebei"]
    emissions = out.select(
        apply_factor_expr(
            pl.col("electricity_kwh"), "kWh", pl.col("grid_factor_tco2_per_mwh"), "tCO2/MWh", "tCO2"
        ).alias("emissions_tco2")
    )["emissions_tco2"].to_list()
    assert emissions == pytest.approx([725.2, 1061.2, 53.65, 0.007252], rel=1e-12)
    with pytest.raises(UnitError):
        apply_factor_expr(pl.col("a"), "kg", pl.col("b"), "tCO2/MWh", "tCO2")


def test_attach_grid_factor_errors_name_the_column():
    frame = pl.DataFrame({"province": ["河北", "火星"], "year": [2022, 2022]})
    with pytest.raises(FactorError) as exc:
        attach_grid_factor(frame, "average", region_col="province", year_col="year")
    assert (exc.value.field, exc.value.value) == ("province", "火星")
    early = pl.DataFrame({"region": ["national"], "accounting_year": [2019]})
    with pytest.raises(FactorError) as exc:
        attach_grid_factor(early, "average")
    assert exc.value.field == "accounting_year"
    out = attach_grid_factor(
        frame, "average", region_col="province", year_col="year", on_missing="null"
    )
    assert out["grid_factor_tco2_per_mwh"].to_list() == [0.7252, None]
    with pytest.raises(FactorError) as exc:
        attach_grid_factor(frame, "average")
    assert exc.value.field == "region"


def test_attach_grid_factor_in_kgco2_per_kwh_with_as_of():
    frame = pl.DataFrame({"region": ["national"], "accounting_year": [2023]})
    out = attach_grid_factor(frame, "average", unit="kgCO2/kWh", as_of=date(2024, 6, 30))
    assert out["grid_factor_kgco2_per_kwh"].to_list() == [0.5568]
    assert out["grid_factor_data_year"].to_list() == [2021]


def test_attach_fuel_factor():
    frame = pl.DataFrame({"fuel": ["柴油", "natural_gas", "柴油"], "fuel_t": [2.0, 1.0, 1.0]})
    out = attach_fuel_factor(frame, quantity_unit="t", emissions_unit="tCO2")
    assert out["fuel_factor_tco2_per_t"].to_list() == [3.1863, 2.6928, 3.1863]  # 56,100 × 48.0
    with pytest.raises(FactorError) as exc:
        attach_fuel_factor(pl.DataFrame({"fuel": ["peat moss"]}), quantity_unit="t")
    assert exc.value.field == "fuel"
