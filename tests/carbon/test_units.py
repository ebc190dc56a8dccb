"""Unit system: exact conversions, errors that name the unit, worked examples from the shared
references (methods.md §5.3, §5.5)."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenfin.carbon.units import (
    KGCE_MJ,
    Quantity,
    UnitError,
    apply_factor,
    carbon_to_co2,
    conversion_factor,
    convert,
    dimension_of,
    is_compatible,
    known_units,
    parse_unit,
    total,
)

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)

# same-dimension pairs whose ratio is a power of ten
DECIMAL_PAIRS = [
    ("kg", "t"),
    ("g", "kg"),
    ("kgCO2", "tCO2"),
    ("tCO2e", "10k_tCO2e"),
    ("kWh", "MWh"),
    ("GJ", "TJ"),
    ("CNY", "10k_CNY"),
    ("fen", "CNY"),
    ("m3", "10k_m3"),
    ("kgce", "tce"),
    ("kgCO2/kWh", "kgCO2/MWh"),
]

BY_DIMENSION: dict[str, list[str]] = {}
for _atom in known_units():
    BY_DIMENSION.setdefault(dimension_of(_atom), []).append(_atom)


# ---- published equalities ----


def test_kgco2_per_kwh_and_tco2_per_mwh_have_the_same_scale():
    assert conversion_factor("kgCO2/kWh", "tCO2/MWh") == 1
    assert convert(0.5703, "kgCO2/kWh", "tCO2/MWh") == 0.5703
    assert convert(0.5366, "tCO2/MWh", "kgCO2/kWh") == 0.5366
    assert convert(0.5703, "tCO2/MWh", "gCO2/kWh") == 570.3


@given(finite)
def test_kgco2_per_kwh_equals_tco2_per_mwh_for_any_value(x):
    assert convert(x, "kgCO2/kWh", "tCO2/MWh") == x
    assert convert(x, "gCO2/kWh", "kgCO2/MWh") == x


def test_standard_coal_is_29_307_mj_per_kgce():
    assert Fraction("29.307") == KGCE_MJ
    assert convert(1, "tce", "GJ") == 29.307
    assert convert(1, "kgce", "MJ") == 29.307
    assert convert(1, "10k_tce", "TJ") == 293.07
    # electricity's calorific equivalent follows exactly from the definition: 3.6 / 29.307
    assert conversion_factor("kWh", "kgce") == Fraction(36, 10) / Fraction("29.307")
    assert round(convert(1, "kWh", "kgce"), 5) == 0.12284
    # the printed heat coefficient 0.0341 tce/GJ is 1/29.307 rounded to four decimals
    assert round(convert(1, "GJ", "tce"), 4) == 0.0341


def test_printed_equivalences_of_the_standard_coal_table():
    # methods.md §5.3: "天然气 12.143 tce per 10⁴ m³ (i.e. 1.2143 kgce/m³)"
    assert convert(12.143, "tce/10k_m3", "kgce/m3") == 1.2143
    # "电力 4.0400 tce per 10⁴ kWh"
    assert convert(4.04, "tce/10k_kWh", "kgce/kWh") == 0.404
    assert convert(4.04, "tce/万kWh", "kgce/千瓦时") == 0.404


def test_ipcc_ncv_units_are_consistent():
    # TJ/Gg = GJ/t = MJ/kg
    assert conversion_factor("TJ/Gg", "GJ/t") == 1
    assert conversion_factor("TJ/Gg", "MJ/kg") == 1
    assert convert(43.0, "TJ/Gg", "GJ/t") == 43.0


# ---- worked examples ----


def test_diesel_worked_example_kgco2_per_kg():
    # methods.md §5.3: diesel 74,100 kg/TJ × 43 TJ/Gg / 1000 = 3.1863 kgCO2 per kg diesel
    assert apply_factor(74100, "kgCO2/TJ", 43.0, "TJ/Gg", "kgCO2/kg") == 3.1863
    assert apply_factor(74100, "kgCO2/TJ", 43.0, "TJ/Gg", "tCO2/t") == 3.1863


def test_ipcc_table_1_4_footnote_example():
    # 20.2 kgC/GJ × 44/12 × 1000 = 74,066.7 kgCO2/TJ (printed 74,100)
    ef_kgco2_per_tj = carbon_to_co2(20.2, "kgC/GJ", "kgCO2/TJ")
    assert round(ef_kgco2_per_tj, 1) == 74066.7
    assert round(ef_kgco2_per_tj, -2) == 74100
    assert carbon_to_co2(Fraction(12), "kgC", "kgCO2") == 44


def test_ccer_pv_revenue_worked_example():
    # methods.md §5.5: 1 MW × 1,100 h × 0.7 tCO2/MWh × 50 元/t = 38,500 元/year
    generation_mwh = 1 * 1100  # 1 MW for 1,100 full-load hours
    reduction_tco2 = apply_factor(generation_mwh, "MWh", 0.7, "tCO2/MWh", "tCO2")
    assert reduction_tco2 == 770.0
    revenue_cny = apply_factor(reduction_tco2, "tCO2", 50, "CNY/tCO2", "CNY")
    assert revenue_cny == 38500.0
    assert convert(Decimal("38500"), "元", "万元") == Decimal("3.85")
    # kWh in, 万元 out: same figure through other units
    assert apply_factor(1_100_000, "kWh", 0.7, "tCO2/MWh", "tCO2") == 770.0
    assert apply_factor(770, "tCO2", 50, "CNY/tCO2", "10k_CNY") == 3.85


# ---- errors ----


def test_kg_t_mistakes_raise():
    with pytest.raises(UnitError) as exc:
        convert(1000, "kg", "tCO2")
    assert exc.value.unit == "tCO2"
    assert "'kg' (mass)" in str(exc.value)
    with pytest.raises(UnitError):
        convert(1, "tCO2", "kg")
    # activity in kg with a per-energy factor is not an emission
    with pytest.raises(UnitError) as exc:
        apply_factor(1000, "kg", 0.5703, "tCO2/MWh", "tCO2")
    assert exc.value.unit == "tCO2"
    # the result unit must match: kWh × tCO2/MWh is tCO2, not tCO2/kWh
    with pytest.raises(UnitError):
        apply_factor(1000, "kWh", 0.5703, "tCO2/MWh", "tCO2/kWh")


def test_unknown_units_are_named():
    for bad in ("kWhh", "tonnes", "KWH", "mwh", "kgco2"):
        with pytest.raises(UnitError) as exc:
            convert(1, bad, "MWh")
        assert exc.value.unit == bad
    with pytest.raises(UnitError) as exc:
        convert(1, "tCO2/MWhs", "tCO2/MWh")
    assert exc.value.unit == "MWhs"
    assert "tCO2/MWhs" in str(exc.value)


@pytest.mark.parametrize("bad", ["", "  ", "a/b/c", "kg/", "/kg", "kg**t"])
def test_malformed_units_raise(bad):
    with pytest.raises(UnitError):
        parse_unit(bad)


def test_non_string_unit_raises():
    with pytest.raises(UnitError):
        parse_unit(1000)  # type: ignore[arg-type]


def test_co2_may_become_co2e_but_not_back():
    assert convert(1.5, "tCO2", "tCO2e") == 1.5
    assert convert(0.5703, "tCO2/MWh", "kgCO2e/kWh") == 0.5703
    with pytest.raises(UnitError):
        convert(1.5, "tCO2e", "tCO2")
    with pytest.raises(UnitError):
        convert(1, "CNY/tCO2", "CNY/tCO2e")  # per-CO2 is not per-CO2e
    assert not is_compatible("tCO2e", "tCO2")


def test_carbon_is_not_co2_by_unit_conversion():
    with pytest.raises(UnitError):
        convert(1, "tC", "tCO2")
    with pytest.raises(UnitError):
        carbon_to_co2(1, "kg", "kgCO2")
    with pytest.raises(UnitError):
        carbon_to_co2(1, "kgC/GJ", "kgCO2/t")


@given(st.data())
def test_different_dimensions_never_convert(data):
    dims = sorted(BY_DIMENSION)
    d1 = data.draw(st.sampled_from(dims))
    d2 = data.draw(st.sampled_from([d for d in dims if d != d1]))
    a = data.draw(st.sampled_from(BY_DIMENSION[d1]))
    b = data.draw(st.sampled_from(BY_DIMENSION[d2]))
    if (d1, d2) == ("co2", "co2e"):
        assert convert(1.0, a, b) == float(conversion_factor(a, b))
        return
    with pytest.raises(UnitError) as exc:
        convert(1.0, a, b)
    assert exc.value.unit == b


# ---- exactness and round trips ----


@given(
    st.sampled_from(DECIMAL_PAIRS),
    st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False),
)
def test_power_of_ten_round_trip_is_exact(pair, d):
    a, b = pair
    x = float(d)
    y = convert(x, a, b)
    assert y == float(Fraction(repr(x)) * conversion_factor(a, b))
    assert convert(y, b, a) == x


@given(st.data(), finite)
def test_round_trip_within_one_rounding(data, x):
    dim = data.draw(st.sampled_from(sorted(BY_DIMENSION)))
    a = data.draw(st.sampled_from(BY_DIMENSION[dim]))
    b = data.draw(st.sampled_from(BY_DIMENSION[dim]))
    back = convert(convert(x, a, b), b, a)
    assert back == pytest.approx(x, rel=1e-15, abs=1e-300)


@given(finite, st.floats(min_value=0, max_value=10, allow_nan=False))
def test_apply_factor_is_unit_independent(amount_kwh, factor):
    in_tco2 = apply_factor(amount_kwh, "kWh", factor, "kgCO2/kWh", "tCO2")
    via_mwh = apply_factor(amount_kwh / 1000, "MWh", factor, "tCO2/MWh", "tCO2")
    assert in_tco2 == pytest.approx(amount_kwh * factor / 1000, rel=1e-12, abs=1e-300)
    assert via_mwh == pytest.approx(in_tco2, rel=1e-12, abs=1e-300)


def test_decimal_and_fraction_stay_exact():
    assert convert(Decimal("1324620.45"), "万元", "元") == Decimal("13246204500.00")
    assert convert(Decimal("150"), "fen", "CNY") == Decimal("1.5")
    assert convert(Fraction(1, 3), "t", "kg") == Fraction(1000, 3)
    assert convert(150, "fen", "CNY") == 1.5
    assert apply_factor(Decimal("2"), "MWh", Decimal("0.5703"), "tCO2/MWh", "tCO2") == Decimal(
        "1.1406"
    )


def test_arrays_convert_elementwise():
    arr = np.array([1.0, 2.5, 0.0])
    assert np.array_equal(convert(arr, "MWh", "kWh"), np.array([1000.0, 2500.0, 0.0]))
    assert np.array_equal(
        apply_factor(arr, "MWh", 0.5703, "tCO2/MWh", "kgCO2"), np.array([570.3, 1425.75, 0.0])
    )


def test_bool_is_not_a_quantity():
    with pytest.raises(TypeError):
        convert(True, "kg", "t")


# ---- Quantity ----


def test_quantity_arithmetic_checks_units():
    assert Quantity(1, "tCO2") + Quantity(500, "kgCO2") == Quantity(1.5, "tCO2")
    assert Quantity(2, "MWh") - Quantity(500, "kWh") == Quantity(1.5, "MWh")
    assert Quantity(1.5, "MWh").to("kWh") == Quantity(1500.0, "kWh")
    assert 2 * Quantity(0.1, "tCO2e") == Quantity(0.2, "tCO2e")
    assert Quantity(1, "10k_CNY") / 4 == Quantity(0.25, "10k_CNY")
    with pytest.raises(UnitError):
        Quantity(1, "t") + Quantity(1, "tCO2")
    with pytest.raises(TypeError):
        Quantity(1, "MWh") * Quantity(0.5, "tCO2/MWh")  # type: ignore[operator]
    with pytest.raises(UnitError):
        Quantity(1, "tonnes")
    assert Quantity(1, "tCO2").dimension == "co2"


def test_total_sums_in_one_unit():
    parts = [Quantity(0.1, "tCO2e"), Quantity(200, "kgCO2e"), Quantity(0.7, "tCO2")]
    assert total(parts, "tCO2e") == Quantity(1.0, "tCO2e")
    with pytest.raises(UnitError):
        total([Quantity(1, "tCO2e")], "tCO2")


def test_dimension_names():
    assert dimension_of("kgCO2/kWh") == "co2/energy"
    assert dimension_of("tce/GJ") == "1"
    assert dimension_of("万元") == "money"
    assert dimension_of("CNY/tCO2") == "money/co2"
    assert dimension_of("1/kWh") == "1/energy"
