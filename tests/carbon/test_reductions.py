"""Project emission reductions: the registry against the 2025 catalogue, hand-computed figures,
the CCER PV and Beijing travel worked examples, refusals for what is not shipped, errors naming
the field, invariants (non-negative emissions, linear in activity)."""

from __future__ import annotations

import inspect
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.carbon.inventory import FuelUse, supplied_factor
from greenfin.carbon.reductions import (
    METHODS,
    EnergyFlow,
    ReductionError,
    energy_efficiency,
    estimate,
    green_building,
    heat_substitution,
    methods_for,
    modal_shift,
    reduction_methods,
    renewable_power,
    renewable_power_combined_margin,
    vehicle_substitution,
    waste_to_energy,
)
from greenfin.carbon.units import apply_factor
from greenfin.taxonomy import load_catalogue

F = Fraction


def field_of(exc: pytest.ExceptionInfo[ReductionError]) -> str:
    return exc.value.field


# --- registry ----------------------------------------------------------------------------------


def test_registry_items_exist_in_the_2025_catalogue():
    catalogue = load_catalogue()
    assert catalogue.edition.id == "green-finance-2025"
    for m in reduction_methods():
        item = catalogue.item(m.item_code)
        assert item.name_zh == m.item_name_zh
        assert m.formula and m.source and m.edition
        assert m.status in {"verified", "derived", "uncertain"}
    assert {m.method_id for m in reduction_methods()} == set(METHODS)


def test_registry_covers_the_briefed_items():
    expected = {
        "4.2.2": {"renewable_power", "renewable_power_combined_margin"},
        "1.3.1": {"energy_efficiency", "heat_substitution"},
        "6.1.1": {"green_building"},
        "9.1.1": {"vehicle_substitution"},
        "6.2.3": {"vehicle_substitution"},
        "6.2.6": {"vehicle_substitution", "modal_shift"},
        "4.2.9": {"heat_substitution"},
        "4.2.6": {"renewable_power", "renewable_power_combined_margin", "heat_substitution"},
        "6.4.8": {"waste_to_energy"},
    }
    for code, methods in expected.items():
        assert {m.method_id for m in methods_for(code)} == methods, code
    assert methods_for("2.1.1") == ()


def test_registry_parameters_are_the_function_inputs_and_statuses_are_per_method():
    by_method: dict[str, set[str]] = {}
    for m in reduction_methods():
        accepted = set(inspect.signature(METHODS[m.method_id]).parameters)
        assert set(m.parameters) <= accepted
        required = {
            n
            for n, p in inspect.signature(METHODS[m.method_id]).parameters.items()
            if p.default is inspect.Parameter.empty
        }
        assert required <= set(m.parameters), m.method_id
        by_method.setdefault(m.method_id, set()).add(m.status)
    assert all(len(s) == 1 for s in by_method.values())
    assert by_method["renewable_power_combined_margin"] == {"uncertain"}
    assert by_method["renewable_power"] == by_method["modal_shift"] == {"verified"}


def test_every_function_documents_formula_units_and_source():
    for name, function in METHODS.items():
        doc = inspect.getdoc(function) or ""
        assert ".. math::" in doc, name
        assert "Raises" in doc, name
        assert "Source:" in doc and "methods.md" in doc, name


def test_estimate_dispatches_and_checks():
    r = estimate(
        "6.4.8", electricity_exported=1000, waste_fossil_co2_tco2=0, region="national", year=2022
    )
    assert (r.method_id, r.item_code) == ("waste_to_energy", "6.4.8")
    assert r.annual_reduction_tco2e == 536.6
    for args, kwargs, field in (
        (("4.2.2",), {"generation": 1}, "method_id"),  # several methods
        (("4.2.2", "modal_shift"), {}, "method_id"),  # not registered for the item
        (("2.1.1",), {}, "item_code"),
        (("4.2.2", "renewable_power"), {"generation": 1, "item_code": "4.2.2"}, "item_code"),
        (("4.2.2", "renewable_power"), {"generation": 1, "colour": "green"}, "colour"),
        (("4.2.2", "renewable_power"), {}, "generation"),
    ):
        with pytest.raises(ReductionError) as exc:
            estimate(*args, **kwargs)
        assert field_of(exc) == field
    with pytest.raises(ReductionError) as exc:
        renewable_power(generation=1, region="national", year=2022, item_code="6.4.8")
    assert field_of(exc) == "item_code"


# --- renewable power ---------------------------------------------------------------------------


def test_renewable_1000_mwh_times_the_2022_national_average():
    r = renewable_power(generation=1000, region="national", year=2022, item_code="4.2.2")
    assert r.annual_reduction_tco2e == 536.6
    assert r.annual_baseline_tco2e == 536.6 and r.annual_project_tco2e == 0
    (factor,) = r.factors
    assert (factor.value, factor.data_year, factor.status) == (0.5366, 2022, "verified")
    assert r.method_status == "verified" and "CCER PV example" in r.source
    assert r.provenance()["factors"][0]["source"]


def test_renewable_units_regions_kinds_and_project_emissions():
    assert (
        renewable_power(generation=1e6, unit="kWh", region="华北", year=2023).annual_reduction_tco2e
        == 636.1
    )
    assert (
        renewable_power(
            generation=1000, region="national", year=2023, grid_kind="fossil"
        ).annual_reduction_tco2e
        == 827.3
    )
    r = renewable_power(generation=1000, region="national", year=2022, project_tco2e=36.6)
    assert r.annual_reduction_tco2e == 500.0
    r = renewable_power(generation=1000, region="national", year=2023, as_of=date(2024, 6, 30))
    assert r.annual_reduction_tco2e == 556.8 and r.factors[0].data_year == 2021


def test_ccer_pv_worked_example_methods_5_5():
    # 1 MW × 1,100 h × 0.7 tCO2/MWh (combined margin) × 50 元/t = 38,500 元/year
    generation_mwh = apply_factor(1, "MWh", 1100, "1", "MWh")  # 1 MW for 1,100 h
    cm = supplied_factor(0.7, "tCO2/MWh", source="methods.md §5.5 (360docs.net)", kind="cm")
    r = renewable_power(generation=generation_mwh, baseline_factor=cm, item_code="4.2.2")
    assert r.annual_reduction_tco2e == 770.0
    assert apply_factor(r.annual_reduction_tco2e, "tCO2e", 50, "CNY/tCO2e", "CNY") == 38_500.0
    # the same through the combined-margin method, OM/BM and weights supplied by the caller
    om = supplied_factor(0.8, "tCO2/MWh", source="test OM", status="uncertain")
    bm = supplied_factor(0.4, "tCO2/MWh", source="test BM", status="uncertain")
    r = renewable_power_combined_margin(
        generation=1100, om_factor=om, bm_factor=bm, w_om=0.75, w_bm=0.25, item_code="4.2.2"
    )
    assert r.annual_reduction_tco2e == 770.0
    cm_factor = r.factors[-1]
    assert cm_factor.kind == "combined_margin" and cm_factor.value == 0.7
    assert cm_factor.status == "uncertain" and r.uses_uncertain_factor
    assert r.method_status == "uncertain"


def test_combined_margin_refuses_without_shipped_values():
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(generation=1100)
    assert field_of(exc) == "om_factor" and "not shipped" in exc.value.reason
    om = supplied_factor(0.8, "tCO2/MWh", source="x")
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(generation=1100, om_factor=om)
    assert field_of(exc) == "bm_factor" and "not shipped" in exc.value.reason
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(generation=1100, om_factor=om, bm_factor=om)
    assert field_of(exc) == "w_om" and "unverified recall" in exc.value.reason
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(
            generation=1100, om_factor=om, bm_factor=om, w_om=0.75, w_bm=0.5
        )
    assert field_of(exc) == "w_bm"
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(
            generation=1100, om_factor=om, bm_factor=om, w_om=1.5, w_bm=-0.5
        )
    assert field_of(exc) == "w_om"
    wrong = supplied_factor(0.8, "tCO2/t", source="x")
    with pytest.raises(ReductionError) as exc:
        renewable_power_combined_margin(
            generation=1100, om_factor=wrong, bm_factor=om, w_om=0.5, w_bm=0.5
        )
    assert field_of(exc) == "om_factor"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"generation": -1}, "generation"),
        ({"generation": None}, "generation"),
        ({"generation": float("nan")}, "generation"),
        ({"generation": "1000"}, "generation"),
        ({"generation": 1000, "unit": "t"}, "unit"),
        ({"generation": 1000, "unit": "tce/MWh"}, "unit"),
        ({"generation": 1000, "unit": "Mwh"}, "unit"),
        ({"generation": 1000, "region": None}, "region"),
        ({"generation": 1000, "region": "Atlantis"}, "region"),
        ({"generation": 1000, "year": None}, "year"),
        ({"generation": 1000, "year": 2019}, "year"),
        ({"generation": 1000, "grid_kind": "marginal"}, "grid_kind"),
        ({"generation": 1000, "project_tco2e": -1}, "project_tco2e"),
        (
            {"generation": 1000, "baseline_factor": supplied_factor(1, "tCO2/t", source="x")},
            "baseline_factor",
        ),
        ({"generation": 1000, "baseline_factor": 0.7}, "baseline_factor"),
    ],
)
def test_renewable_domain_errors_name_the_field(kwargs, field):
    args = {"region": "national", "year": 2022, **kwargs}
    with pytest.raises(ReductionError) as exc:
        renewable_power(**args)
    assert field_of(exc) == field


# --- energy efficiency -------------------------------------------------------------------------


def test_energy_efficiency_coal_through_tce():
    # 100 t 原煤 × 0.7143 kgce/kg = 71.43 tce; × 29.307 GJ/tce × 94.6 kgCO2/GJ (other bituminous)
    r = energy_efficiency(
        saved=[EnergyFlow("原煤", 100, "t", fuel="other_bituminous_coal")], item_code="1.3.1"
    )
    assert r.energy_saved_tce == 71.43
    assert r.annual_reduction_tco2e == float(F("71.43") * F("29.307") * F("94.6") / 1000)
    assert r.annual_reduction_tco2e == pytest.approx(198.0355, abs=5e-5)
    kinds = [(f.kind, f.subject) for f in r.factors]
    assert kinds == [("standard_coal", "raw_coal"), ("fuel_co2", "other_bituminous_coal")]


def test_energy_efficiency_diesel_via_tce_differs_from_the_ncv_path():
    r = energy_efficiency(saved=[EnergyFlow("柴油", 1, "t")])
    assert r.energy_saved_tce == 1.4571
    expected = F("1.4571") * F("29.307") * F("74.1") / 1000
    assert r.annual_reduction_tco2e == float(expected)
    assert round(r.annual_reduction_tco2e, 3) == 3.164  # vs 3.1863 on the IPCC NCV path


def test_energy_efficiency_electricity_heat_and_fuel_switch():
    steam = supplied_factor(0.1, "tCO2/GJ", source="热力公司")
    r = energy_efficiency(
        saved=[
            EnergyFlow("natural_gas", 10, "10k_m3"),
            EnergyFlow("electricity", 500, "MWh"),
            EnergyFlow("heat", 1000, "GJ"),
        ],
        added=[EnergyFlow("电力", 100_000, "kWh")],
        region="national",
        year=2022,
        heat_factor=steam,
        item_code="1.3.4",
    )
    gas = 10 * F("12.143") * F("29.307") * F("56.1") / 1000
    expected = gas + 500 * F("0.5366") + 100 - 100 * F("0.5366")
    assert r.annual_reduction_tco2e == float(expected)
    assert r.annual_project_tco2e == 53.66
    tce = 10 * F("12.143") + (400 * F(3600)) / F("29307") + F(1000) / F("29.307")
    assert r.energy_saved_tce == pytest.approx(float(tce), rel=1e-12)


def test_energy_efficiency_standard_coal_needs_the_fuel():
    r = energy_efficiency(saved=[EnergyFlow("标准煤", 1000, "tce", fuel="anthracite")])
    assert r.annual_reduction_tco2e == float(1000 * F("29.307") * F("98.3") / 1000)
    with pytest.raises(ReductionError) as exc:
        energy_efficiency(saved=[EnergyFlow("standard_coal", 1000, "tce")])
    assert field_of(exc) == "saved[0].fuel"


@pytest.mark.parametrize(
    ("flow", "field"),
    [
        (EnergyFlow("electricity", 100, "kgce"), "saved[0].unit"),  # 当量/等价 ambiguous
        (EnergyFlow("electricity", 100, "t"), "saved[0].unit"),
        (EnergyFlow("原煤", 100, "t"), "saved[0].fuel"),  # not one IPCC coal
        (EnergyFlow("原煤", 100, "MWh", fuel="peat"), "saved[0].fuel"),
        (EnergyFlow("anthracite", 100, "t"), "saved[0].unit"),  # no coefficient shipped
        (EnergyFlow("diesel", 100, "m3"), "saved[0].unit"),  # coefficient is per kg
        (EnergyFlow("diesel", 100, "kgCO2"), "saved[0].unit"),
        (EnergyFlow("diesel", -1, "t"), "saved[0].quantity"),
        (EnergyFlow("moonshine", 1, "t"), "saved[0].carrier"),
        (EnergyFlow("", 1, "t"), "saved[0].carrier"),
        (EnergyFlow("heat", 1, "GJ"), "heat_factor"),  # only an uncertain default shipped
        (EnergyFlow("electricity", 1, "MWh"), "region"),
    ],
)
def test_energy_efficiency_domain_errors(flow, field):
    with pytest.raises(ReductionError) as exc:
        energy_efficiency(saved=[flow])
    assert field_of(exc) == field


def test_energy_efficiency_rejects_a_bare_flow_and_uses_uncertain_heat_only_on_request():
    with pytest.raises(ReductionError) as exc:
        energy_efficiency(saved=EnergyFlow("diesel", 1, "t"))
    assert field_of(exc) == "saved"
    r = energy_efficiency(saved=[EnergyFlow("heat", 100, "GJ")], include_uncertain=True)
    assert r.annual_reduction_tco2e == 11.0 and r.uses_uncertain_factor
    assert any("uncertain" in n for n in r.notes)


# --- green buildings ---------------------------------------------------------------------------


def test_green_building_hand_computed():
    # 10,000 m² × (100 − 70) kWh/m² = 300 MWh × 华北 2023 0.6361
    r = green_building(
        floor_area_m2=10_000,
        baseline_intensity=100,
        project_intensity=70,
        region="华北",
        year=2023,
        item_code="6.1.1",
    )
    assert r.annual_reduction_tco2e == 190.83
    assert r.annual_baseline_tco2e == 636.1 and r.annual_project_tco2e == pytest.approx(445.27)
    assert r.energy_saved_tce == pytest.approx(float(F(300 * 3600) / F("29307")), rel=1e-12)
    gas = green_building(
        floor_area_m2=1000,
        baseline_intensity=0.5,
        project_intensity=0.3,
        intensity_unit="GJ/m2",
        carrier="natural_gas",
        item_code="6.1.2",
    )
    assert gas.annual_reduction_tco2e == float(200 * F("56.1") / 1000)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"floor_area_m2": 0}, "floor_area_m2"),
        ({"baseline_intensity": -1}, "baseline_intensity"),
        ({"project_intensity": None}, "project_intensity"),
        ({"intensity_unit": "kWh"}, "intensity_unit"),
        ({"intensity_unit": "kWh/km"}, "intensity_unit"),
        ({"intensity_unit": "t/m2"}, "intensity_unit"),
        ({"intensity_unit": "kgce/m2"}, "intensity_unit"),  # electricity in kgce refused
        ({"carrier": "raw_coal", "intensity_unit": "kgce/m2"}, "fuel"),
        ({"carrier": "moonshine"}, "carrier"),
        ({"region": None}, "region"),
    ],
)
def test_green_building_domain_errors(kwargs, field):
    args = {
        "floor_area_m2": 1000,
        "baseline_intensity": 100,
        "project_intensity": 70,
        "region": "national",
        "year": 2022,
        **kwargs,
    }
    with pytest.raises(ReductionError) as exc:
        green_building(**args)
    assert field_of(exc) == field


def test_building_above_its_baseline_is_negative_not_clamped():
    r = green_building(
        floor_area_m2=1000,
        baseline_intensity=70,
        project_intensity=100,
        region="national",
        year=2022,
    )
    assert r.annual_reduction_tco2e == pytest.approx(-16.098)
    assert any(n.startswith("negative") for n in r.notes)


# --- vehicles and public transport -------------------------------------------------------------


def test_nev_replacing_petrol_cars():
    # 100,000 km; petrol 6 kg/100 km × 69,300 kgCO2/TJ × 44.3 TJ/Gg; NEV 15 kWh/100 km × 0.5306
    r = vehicle_substitution(
        distance_km=100_000,
        baseline_fuel="汽油",
        baseline_fuel_per_100km=6,
        baseline_fuel_unit="kg",
        electricity_per_100km=15,
        region="national",
        year=2023,
        item_code="9.1.1",
    )
    baseline = 6000 * F(69300) * F("44.3") / 10**9
    assert r.annual_baseline_tco2e == float(baseline) == 18.41994
    assert r.annual_project_tco2e == 7.959
    assert r.annual_reduction_tco2e == float(baseline - F("7.959"))


def test_electric_bus_with_litres_needs_a_supplied_density():
    args = {
        "distance_km": 60_000,
        "baseline_fuel": "diesel",
        "baseline_fuel_per_100km": 30,
        "baseline_fuel_unit": "L",
        "electricity_per_100km": 100,
        "region": "national",
        "year": 2022,
        "item_code": "6.2.6",
    }
    with pytest.raises(ReductionError) as exc:
        vehicle_substitution(**args)
    assert field_of(exc) == "baseline_fuel_unit" and "density" in exc.value.reason
    density = supplied_factor(0.84, "kg/L", source="fleet operator fuel spec (test)")
    r = vehicle_substitution(**args, fuel_density=density)
    diesel_kg = 600 * 30 * F("0.84")
    assert r.annual_baseline_tco2e == float(diesel_kg * F("3.1863") / 1000)
    assert r.annual_project_tco2e == float(60 * F("0.5366"))
    assert density in r.factors
    wrong = supplied_factor(0.84, "kg/kg", source="x")
    with pytest.raises(ReductionError) as exc:
        vehicle_substitution(**args, fuel_density=wrong)
    assert field_of(exc) == "fuel_density"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"distance_km": -5}, "distance_km"),
        ({"baseline_fuel": "whale oil"}, "baseline_fuel"),
        ({"baseline_fuel_per_100km": None}, "baseline_fuel_per_100km"),
        ({"baseline_fuel_unit": "kWh/km"}, "baseline_fuel_unit"),
        ({"baseline_fuel_unit": "tCO2"}, "baseline_fuel_unit"),
        ({"electricity_per_100km": -1}, "electricity_per_100km"),
        ({"electricity_unit": "kg"}, "electricity_unit"),
        ({"year": None}, "year"),
    ],
)
def test_vehicle_domain_errors(kwargs, field):
    args = {
        "distance_km": 1000,
        "baseline_fuel": "gasoline",
        "baseline_fuel_per_100km": 6,
        "baseline_fuel_unit": "kg",
        "electricity_per_100km": 15,
        "region": "national",
        "year": 2022,
        **kwargs,
    }
    with pytest.raises(ReductionError) as exc:
        vehicle_substitution(**args)
    assert field_of(exc) == field


def test_beijing_commute_worked_example_methods_8_3():
    # 22 km: car 5.98 kg vs subway 1.35 kg CO2, benefit 4.63 kg (交通委 2019); the per-km
    # factors 0.2718 / 0.0614 kgCO2/pkm are methods.md's [DERIVED] values.
    car = supplied_factor(0.2718, "kgCO2/pkm", source="methods.md §8.3 derived", status="derived")
    subway = supplied_factor(
        0.0614, "kgCO2/pkm", source="methods.md §8.3 derived", status="derived"
    )
    r = modal_shift(passenger_km=22, baseline_factor=car, project_factor=subway, item_code="6.2.6")
    assert round(r.annual_baseline_tco2e * 1000, 2) == 5.98
    assert round(r.annual_project_tco2e * 1000, 2) == 1.35
    assert round(r.annual_reduction_tco2e * 1000, 2) == 4.63
    assert r.method_status == "verified"
    grams = supplied_factor(271.8, "gCO2/pkm", source="x")
    assert (
        modal_shift(
            passenger_km=22, baseline_factor=grams, project_factor=subway
        ).annual_baseline_tco2e
        == r.annual_baseline_tco2e
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"passenger_km": -1}, "passenger_km"),
        ({"baseline_factor": None}, "baseline_factor"),
        ({"baseline_factor": supplied_factor(0.2, "kgCO2/km", source="x")}, "baseline_factor"),
        ({"project_factor": supplied_factor(0.2, "kg/pkm", source="x")}, "project_factor"),
    ],
)
def test_modal_shift_domain_errors(kwargs, field):
    ok = supplied_factor(0.1, "kgCO2/pkm", source="x")
    args = {"passenger_km": 100, "baseline_factor": ok, "project_factor": ok, **kwargs}
    with pytest.raises(ReductionError) as exc:
        modal_shift(**args)
    assert field_of(exc) == field


# --- heat pumps, geothermal --------------------------------------------------------------------


def test_heat_pump_replacing_a_gas_boiler():
    # 10,000 GJ / 0.9 × 56.1 kgCO2/GJ − (10,000 GJ / COP 3 = 925.93 MWh) × 0.5306
    r = heat_substitution(
        heat_delivered=10_000,
        baseline_fuel="natural_gas",
        boiler_efficiency=0.9,
        cop=3,
        region="national",
        year=2023,
        item_code="4.2.9",
    )
    baseline = F(10_000) / F("0.9") * F("56.1") / 1000
    project = F(10_000) / 3 / F("3.6") * F("0.5306")
    assert r.annual_baseline_tco2e == float(baseline)
    assert r.annual_project_tco2e == float(project)
    assert r.annual_reduction_tco2e == float(baseline - project)
    measured = heat_substitution(
        heat_delivered=10_000,
        baseline_fuel="natural_gas",
        boiler_efficiency=0.9,
        electricity=925_925.925925,
        electricity_unit="kWh",
        region="national",
        year=2023,
    )
    assert measured.annual_project_tco2e == pytest.approx(float(project), rel=1e-9)


def test_geothermal_direct_use_without_pumping_needs_no_grid_factor():
    r = heat_substitution(
        heat_delivered=5000,
        baseline_fuel="other_bituminous_coal",
        boiler_efficiency=1,
        electricity=0,
        item_code="4.2.6",
    )
    assert r.annual_reduction_tco2e == 473.0  # 5 TJ × 94,600 kgCO2/TJ
    assert [f.subject for f in r.factors] == ["other_bituminous_coal"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"boiler_efficiency": None}, "boiler_efficiency"),
        ({"boiler_efficiency": 0}, "boiler_efficiency"),
        ({"boiler_efficiency": 1.2}, "boiler_efficiency"),
        ({"cop": None}, "electricity"),  # neither
        ({"electricity": 10}, "electricity"),  # both
        ({"cop": 0}, "cop"),
        ({"heat_delivered": -1}, "heat_delivered"),
        ({"heat_unit": "t"}, "heat_unit"),
        ({"baseline_fuel": "peat"}, "baseline_fuel"),
        ({"region": None}, "region"),
    ],
)
def test_heat_substitution_domain_errors(kwargs, field):
    args = {
        "heat_delivered": 100,
        "baseline_fuel": "natural_gas",
        "boiler_efficiency": 0.9,
        "cop": 3,
        "region": "national",
        "year": 2022,
        **kwargs,
    }
    with pytest.raises(ReductionError) as exc:
        heat_substitution(**args)
    assert field_of(exc) == field


# --- waste to energy ---------------------------------------------------------------------------


def test_waste_to_energy_hand_computed():
    r = waste_to_energy(
        electricity_exported=100_000,
        waste_fossil_co2_tco2=20_000,
        region="national",
        year=2023,
        auxiliary_fuels=[FuelUse("diesel", 50, "t")],
        item_code="6.4.8",
    )
    assert r.annual_baseline_tco2e == 53_060.0  # 100,000 × 0.5306
    assert r.annual_project_tco2e == 20_159.315  # + 50 t × 3.1863
    assert r.annual_reduction_tco2e == 32_900.685
    assert any("landfill methane" in n for n in r.notes)


def test_waste_to_energy_refusals():
    with pytest.raises(ReductionError) as exc:
        waste_to_energy(electricity_exported=1000, region="national", year=2023)
    assert field_of(exc) == "waste_fossil_co2_tco2" and "required" in exc.value.reason
    base = {
        "electricity_exported": 1000,
        "waste_fossil_co2_tco2": 0,
        "region": "national",
        "year": 2023,
    }
    with pytest.raises(ReductionError) as exc:
        waste_to_energy(**base, heat_exported=500)
    assert field_of(exc) == "heat_factor"
    r = waste_to_energy(
        **base, heat_exported=500, heat_factor=supplied_factor(0.1, "tCO2/GJ", source="x")
    )
    assert r.annual_reduction_tco2e == 530.6 + 50
    with pytest.raises(ReductionError) as exc:
        waste_to_energy(**base, auxiliary_fuels=[FuelUse("diesel", 1, "L")])
    assert field_of(exc) == "auxiliary_fuels[0].unit"
    with pytest.raises(ReductionError) as exc:
        waste_to_energy(**base, auxiliary_fuels=[FuelUse("diesel", -1, "t")])
    assert field_of(exc) == "auxiliary_fuels[0].quantity"


# --- invariants --------------------------------------------------------------------------------

activity = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
scale = st.floats(min_value=0, max_value=1000, allow_nan=False)
region = st.sampled_from(["national", "华北", "华东", "西南"])
year = st.sampled_from([2022, 2023])


@settings(max_examples=50, deadline=None)
@given(mwh=activity, k=scale, region=region, year=year)
def test_renewable_linear_and_non_negative(mwh, k, region, year):
    a = renewable_power(generation=mwh, region=region, year=year)
    b = renewable_power(generation=mwh * k, region=region, year=year)
    assert a.annual_baseline_tco2e >= 0 and a.annual_project_tco2e == 0
    assert b.annual_reduction_tco2e == pytest.approx(k * a.annual_reduction_tco2e, rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(coal=activity, gas=activity, mwh=activity, added=activity, k=scale)
def test_energy_efficiency_linear_and_non_negative(coal, gas, mwh, added, k):
    def run(s: float):
        return energy_efficiency(
            saved=[
                EnergyFlow("原煤", coal * s, "t", fuel="other_bituminous_coal"),
                EnergyFlow("天然气", gas * s, "m3"),
                EnergyFlow("electricity", mwh * s, "MWh"),
            ],
            added=[EnergyFlow("electricity", added * s, "MWh")],
            region="national",
            year=2023,
        )

    a, b = run(1.0), run(k)
    assert a.annual_baseline_tco2e >= 0 and a.annual_project_tco2e >= 0
    for name in (
        "annual_baseline_tco2e",
        "annual_project_tco2e",
        "annual_reduction_tco2e",
        "energy_saved_tce",
    ):
        assert getattr(b, name) == pytest.approx(k * getattr(a, name), rel=1e-9, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(km=activity, fuel=st.floats(min_value=0, max_value=50), kwh=st.floats(0, 200), k=scale)
def test_vehicle_linear_in_distance(km, fuel, kwh, k):
    def run(d: float):
        return vehicle_substitution(
            distance_km=d,
            baseline_fuel="diesel",
            baseline_fuel_per_100km=fuel,
            baseline_fuel_unit="kg",
            electricity_per_100km=kwh,
            region="national",
            year=2022,
        )

    a, b = run(km), run(km * k)
    assert a.annual_baseline_tco2e >= 0 and a.annual_project_tco2e >= 0
    assert b.annual_reduction_tco2e == pytest.approx(
        k * a.annual_reduction_tco2e, rel=1e-9, abs=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(q=activity, eta=st.floats(min_value=0.05, max_value=1), cop=st.floats(0.5, 8), k=scale)
def test_heat_substitution_linear_and_non_negative(q, eta, cop, k):
    def run(s: float):
        return heat_substitution(
            heat_delivered=q * s,
            baseline_fuel="natural_gas",
            boiler_efficiency=eta,
            cop=cop,
            region="national",
            year=2023,
        )

    a, b = run(1.0), run(k)
    assert a.annual_baseline_tco2e >= 0 and a.annual_project_tco2e >= 0
    assert b.annual_reduction_tco2e == pytest.approx(
        k * a.annual_reduction_tco2e, rel=1e-9, abs=1e-9
    )
