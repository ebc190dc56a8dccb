"""Project reductions from expected outputs, checked by hand."""

from greenfin.library.reduction import estimate, output_keys, parameter_keys


def test_rooftop_pv_uses_the_north_china_grid_factor():
    # 11,000 MWh × 0.6361 tCO2/MWh (North China 2023, the latest data year ≤ 2026) = 6,997.1 t
    result = estimate("4.2.2", {"annual_generation_mwh": 11000}, {}, 2026)
    assert result.method_id == "renewable_power"
    assert round(result.annual_reduction_tco2e, 6) == 6997.1
    assert result.working["factors"][0]["value"] == 0.6361
    assert result.working["inputs"]["region"] == "华北"


def test_heat_pump_by_hand():
    # natural gas 10,000 GJ / η 1.0 × 56.1 tCO2/TJ = 561 t; minus 800 MWh × 0.6361 = 508.88 t
    result = estimate("4.2.9", {"heat_delivered_gj": 10000, "heat_pump_electricity_mwh": 800},
                      {}, 2026)  # fmt: skip
    assert round(result.annual_reduction_tco2e, 6) == 52.12
    assert result.working["inputs"]["baseline_fuel"] == "natural_gas"  # the data default


def test_first_method_with_enough_outputs_is_used():
    # 1.3.1 has energy_efficiency and heat_substitution; 500 MWh saved × 0.6361 = 318.05 t
    result = estimate("1.3.1", {"electricity_saved_mwh": 500}, {}, 2026)
    assert (
        result.method_id == "energy_efficiency"
        and round(result.annual_reduction_tco2e, 6) == 318.05
    )


def test_no_estimate_says_why():
    none = estimate("6.4.7", {}, {}, 2026)
    assert none.annual_reduction_tco2e is None and "no reduction method" in none.reason
    missing = estimate("1.3.1", {}, {}, 2026)
    assert "energy_efficiency: missing" in missing.reason
    assert "heat_substitution: missing" in missing.reason
    vehicle = estimate("6.2.6", {"annual_vehicle_km": 1e6, "baseline_fuel_kg_per_100km": 28,
                                 "ev_electricity_kwh_per_100km": 95}, {}, 2026)  # fmt: skip
    assert vehicle.annual_reduction_tco2e is None and "vehicle_baseline_fuel" in vehicle.reason
    assert estimate(None, {}, {}, 2026).reason == "no catalogue item was identified"


def test_vocabulary_is_data():
    assert "annual_generation_mwh" in output_keys()
    assert parameter_keys()["boiler_efficiency"].default == "1.0"
