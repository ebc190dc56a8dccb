"""Enterprise carbon account (企业碳账户): scope 1 and 2 emissions of one enterprise-year,
intensities, benchmarking against industry values, a colour grade and a pricing hook.

Pure domain code over dataclasses and Polars frames. The only I/O is reading shipped
configuration under ``reference/data/carbon/`` (documented in ``INVENTORY.md`` there); every
emission factor comes from :mod:`greenfin.carbon.factors` or is supplied by the caller with its
source (:func:`supplied_factor`). No factor, benchmark, threshold or price is spelled here.

Equations
---------
Scope 1, fuel combustion (IPCC 2006 Vol. 2 Ch. 1, Tier 1, CO2 only)::

    E_fuel [tCO2] = FC [t | GJ | …] × EF [tCO2/unit]
    EF (mass basis)   = EF_CO2 [kgCO2/TJ] × NCV [TJ/Gg]           (calorific_basis="ipcc")
    EF (energy basis) = EF_CO2 [kgCO2/TJ]
    EF (volume, "gbt2589") = 折标准煤系数 [tce/unit] × 29.307 [GJ/tce] × EF_CO2

Scope 1, process: caller-stated tCO2e. Scope 1 = Σ E_fuel + Σ E_process.

Scope 2, location-based: ``E [tCO2] = AD [MWh] × EF_grid [tCO2/MWh]`` with the MEE/NBS 电力平均
factor of the purchase's region for the accounting year (data-year rule of
:func:`greenfin.carbon.factors.grid_factor`).

Scope 2, market-based: ``Σ_k AD_k × EF_k`` over contractual instruments (green-power trades,
certificates, supplier contracts, each with a supplied factor) ``+ AD_uncovered × EF_residual``.
``EF_residual`` is, in this order: the residual factor the caller supplies; the national
``average_excl_market_nonfossil`` factor when ``residual_mix="average_excl_market_nonfossil"``
(methods.md §5.1 calls this the residual mix under an **uncertain** interpretation of the MEE
draft guidelines); otherwise **no residual factor is available** and the uncovered MWh are priced
at the location-based factor of each purchase (the account says so in ``notes`` and
``residual_basis = "location_fallback"``).

Purchased heat: ``E [tCO2] = H [GJ] × EF_heat [tCO2/GJ]``, the factor supplied by the caller or
taken from ``heat_factors.csv`` (the only shipped row is **uncertain** and used only with
``include_uncertain=True``). Heat counts in both scope-2 totals.

Totals and intensities::

    total_location = scope1 + scope2_location ;  total_market = scope1 + scope2_market
    intensity per 万元 revenue = total / revenue [10k_CNY]
    intensity per output       = total / output [output_unit]

Benchmark and grade: ``ratio = intensity / benchmark`` of the enterprise's GB/T 4754 class (the
most specific code with a row, walking up 小类 → 中类 → 大类 → 门类), graded with the intervals
``[ratio_min, ratio_max)`` of ``carbon_grades.csv`` (深绿 / 浅绿 / 黄 / 红). The shipped benchmarks,
thresholds and grade pricing are **illustrative** (``status = illustrative``): a zone must load its
own values.

Only CO2 from combustion and electricity/heat is computed (CH4/N2O factors are not shipped); CO2
is reported as CO2e (GWP 1). Results are per accounting year.

References
----------
.. [1] IPCC (2006) Guidelines for National Greenhouse Gas Inventories, Vol. 2 Ch. 1, Tables
   1.2 and 1.4 (methods.md §5.3).
.. [2] MEE/NBS 电力二氧化碳排放因子 announcements for data years 2021–2023 (methods.md §5.1).
.. [3] GB/T 2589-type 折标准煤系数 (methods.md §5.3); 1 kgce = 29.307 MJ
   (cerf_and_reduction_methods.md §3).
.. [4] Quzhou 碳账户: intensity benchmarked against industry values → 红/黄/浅绿/深绿
   (anchors.md). GB/T 4754-2017 industry classes (``greenfin.reference``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from itertools import pairwise
from typing import Any, Self

import polars as pl

from greenfin import reference
from greenfin.carbon.factors import (
    STATUSES,
    Factor,
    FactorError,
    attach_grid_factor,
    find_fuel,
    find_region,
    fuel_factor,
    grid_factor,
    standard_coal_coefficient,
)
from greenfin.carbon.units import (
    UnitError,
    apply_factor,
    conversion_factor,
    convert,
    exact,
    parse_unit,
)
from greenfin.reference import data_rows

EMISSIONS_UNIT = "tCO2e"
"""Unit of every emission figure of an account."""

REVENUE_UNIT = "10k_CNY"
"""Revenue is given in 万元."""

CALORIFIC_BASES: tuple[str, ...] = ("ipcc", "gbt2589")
"""How a fuel quantity in mass or volume becomes energy: IPCC 2006 NCV (mass only) or the
GB/T 2589-type 折标准煤系数 (mass or volume) × 29.307 GJ/tce."""

RESIDUAL_MIXES: tuple[str, ...] = ("none", "average_excl_market_nonfossil")
"""Where the market-based residual factor comes from when the caller supplies none."""

IPCC_TO_GBT2589: dict[str, str] = {
    "crude_oil": "crude_oil",
    "motor_gasoline": "gasoline",
    "jet_kerosene": "kerosene",
    "other_kerosene": "kerosene",
    "gas_diesel_oil": "diesel",
    "residual_fuel_oil": "fuel_oil",
    "lpg": "lpg",
    "natural_gas": "natural_gas",
    "coke_oven_coke": "coke",
}
"""IPCC 2006 fuel → energy carrier of the standard-coal table (greenfin's name mapping, no
values). Coals are absent on purpose: 原煤/洗精煤 are not one IPCC coal type."""

GRADE_TOLERANCE = 1e-9
"""A ratio within this distance below a threshold counts as at the threshold (so that a ratio
computed as 0.6 − 1 ulp grades like 0.6)."""

NON_UNIT_DENOMINATORS: tuple[str, ...] = ("m2", "km", "pkm", "vkm")
"""Denominators outside the unit registry that supplied factors may use (per m² floor area, per
km, per passenger-km, per vehicle-km); the numerator must be a registry unit."""

_ACCOUNT_FRAME_REQUIRED = (
    "enterprise_id",
    "accounting_year",
    "region",
    "revenue_10k_cny",
)
ACCOUNT_FRAME_COLUMNS: dict[str, Any] = {
    "enterprise_id": pl.String,
    "accounting_year": pl.Int64,
    "region": pl.String,
    "industry_code": pl.String,
    "revenue_10k_cny": pl.Float64,
    "output": pl.Float64,
    "output_unit": pl.String,
    "process_tco2e": pl.Float64,
    "electricity_mwh": pl.Float64,
    "contract_mwh": pl.Float64,
    "contract_factor_tco2_per_mwh": pl.Float64,
    "contract_factor_source": pl.String,
    "residual_factor_tco2_per_mwh": pl.Float64,
    "residual_factor_source": pl.String,
    "heat_gj": pl.Float64,
    "heat_factor_tco2_per_gj": pl.Float64,
    "heat_factor_source": pl.String,
}
"""Columns of the enterprises frame of :func:`account_frame` (first four and revenue required;
the others optional, amounts defaulting to 0). Units are in the names: MWh, GJ, 万元, tCO2e,
tCO2/MWh, tCO2/GJ."""

FUEL_FRAME_COLUMNS: dict[str, Any] = {
    "enterprise_id": pl.String,
    "accounting_year": pl.Int64,
    "fuel": pl.String,
    "quantity": pl.Float64,
    "unit": pl.String,
    "calorific_basis": pl.String,
}
"""Columns of the fuels frame (one row per fuel line; ``calorific_basis`` optional, default
``ipcc``)."""


# ---------------------------------------------------------------------------------------------
# errors


@dataclass(frozen=True)
class Problem:
    """One input problem: ``row`` is the 1-based data row of a frame (``None`` for scalar
    inputs), ``field`` the input or column at fault."""

    row: int | None
    field: str
    message: str


class CarbonInputError(ValueError):
    """Invalid input to a carbon computation. ``problems`` lists every problem found; ``field``
    and ``reason`` are those of the first, so a face can name the field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("CarbonInputError needs at least one problem")
        first = self.problems[0]
        self.field: str = first.field
        self.row: int | None = first.row
        self.reason: str = first.message
        shown = "; ".join(
            (f"row {p.row} " if p.row is not None else "") + f"{p.field}: {p.message}"
            for p in self.problems[:5]
        )
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(shown + more)

    @classmethod
    def of(cls, field_name: str, value: object, reason: str) -> Self:
        """A single problem with the offending value quoted."""
        return cls([Problem(None, field_name, f"{value!r}: {reason}")])


class InventoryError(CarbonInputError):
    """Invalid enterprise-account input, or configuration that cannot serve the request."""


# ---------------------------------------------------------------------------------------------
# small validators (shared with greenfin.carbon.reductions)


def check_amount(
    field_name: str,
    value: object,
    *,
    positive: bool = False,
    error: type[CarbonInputError] = InventoryError,
) -> Fraction:
    """``value`` as an exact non-negative (or positive) number; raises ``error`` naming
    ``field_name`` for a missing, non-numeric, non-finite, negative (or zero) value."""
    if value is None:
        raise error.of(field_name, value, "missing")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise error.of(field_name, value, "not a number")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise error.of(field_name, value, "not a finite number")
    amount = exact(value)
    if amount < 0:
        raise error.of(field_name, value, "must not be negative")
    if positive and amount == 0:
        raise error.of(field_name, value, "must be greater than zero")
    return amount


def check_unit(
    field_name: str,
    unit: object,
    dimensions: Sequence[str],
    *,
    error: type[CarbonInputError] = InventoryError,
) -> str:
    """``unit`` if it parses and has one of ``dimensions`` (``energy``, ``mass``, ``co2e`` …);
    raises ``error`` naming ``field_name`` otherwise."""
    if not isinstance(unit, str) or not unit.strip():
        raise error.of(field_name, unit, "missing unit")
    try:
        parsed = parse_unit(unit)
    except UnitError as exc:
        raise error.of(field_name, unit, exc.reason) from None
    if parsed.dimension_name not in dimensions:
        raise error.of(
            field_name,
            unit,
            f"is {parsed.dimension_name}, expected {' or '.join(dimensions)}",
        )
    return unit


def check_year(
    field_name: str, year: object, *, error: type[CarbonInputError] = InventoryError
) -> int:
    """An integer year in 1900–2200."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise error.of(field_name, year, "must be an integer year")
    if not 1900 <= year <= 2200:
        raise error.of(field_name, year, "out of range 1900–2200")
    return year


def split_per(unit: str) -> tuple[str, str | None]:
    """``"kgCO2/pkm"`` → ``("kgCO2", "pkm")`` for the denominators of
    :data:`NON_UNIT_DENOMINATORS`; any other unit → ``(unit, None)``."""
    head, sep, tail = unit.rpartition("/")
    if sep and tail.strip() in NON_UNIT_DENOMINATORS:
        return head.strip(), tail.strip()
    return unit, None


# ---------------------------------------------------------------------------------------------
# factors: supplied, heat, combustion


def supplied_factor(
    value: float,
    unit: str,
    *,
    source: str,
    subject: str = "",
    data_year: int | None = None,
    status: str = "verified",
    note: str = "",
    kind: str = "supplied",
) -> Factor:
    """A factor supplied by the caller (a supplier's contract factor, a green-power certificate,
    a measured fuel factor, a project design document's baseline …) with its source.

    ``value`` must be a finite number ≥ 0; ``unit`` a registry unit (``tCO2/MWh``,
    ``kgCO2/kg``, ``kg/L`` …) or a registry unit per ``m2`` / ``km`` / ``pkm`` / ``vkm``;
    ``source`` must be non-empty; ``status`` one of ``verified`` / ``derived`` / ``uncertain``.
    The factor's ``region`` is ``supplied``.

    Raises
    ------
    InventoryError
        Naming ``value``, ``unit``, ``source`` or ``status``.
    """
    check_amount("value", value)
    if not isinstance(unit, str) or not unit.strip():
        raise InventoryError.of("unit", unit, "missing unit")
    numerator, _ = split_per(unit)
    try:
        parse_unit(numerator)
    except UnitError as exc:
        raise InventoryError.of("unit", unit, exc.reason) from None
    if not isinstance(source, str) or not source.strip():
        raise InventoryError.of("source", source, "a supplied factor must name its source")
    if status not in STATUSES:
        raise InventoryError.of("status", status, f"not one of {STATUSES}")
    if data_year is not None:
        check_year("data_year", data_year)
    return Factor(
        kind=kind,
        region="supplied",
        data_year=data_year,
        value=float(value),
        unit=unit,
        source=source.strip(),
        edition="supplied by the caller",
        effective_from=None,
        status=status,
        subject=subject,
        note=note,
    )


def _read(name: str) -> list[dict[str, str]]:
    return data_rows("carbon", name)


def _config_error(name: str, line: int, column: str, value: object, reason: str) -> InventoryError:
    return InventoryError([Problem(None, column, f"{name} line {line}: {value!r}: {reason}")])


@cache
def heat_factor_rows() -> tuple[Factor, ...]:
    """Rows of ``heat_factors.csv`` (purchased-heat CO2 factors), validated."""
    out = []
    for line, r in enumerate(_read("heat_factors.csv"), start=2):
        for column in ("region", "value", "unit", "status", "source", "edition"):
            if not (r.get(column) or "").strip():
                raise _config_error("heat_factors.csv", line, column, "", "empty")
        if r["status"] not in STATUSES:
            raise _config_error("heat_factors.csv", line, "status", r["status"], "unknown")
        try:
            if parse_unit(r["unit"]).dimension_name != "co2/energy":
                raise _config_error("heat_factors.csv", line, "unit", r["unit"], "not co2/energy")
            value = float(r["value"])
        except (UnitError, ValueError) as exc:
            raise _config_error("heat_factors.csv", line, "value", r["value"], str(exc)) from None
        out.append(
            Factor(
                kind="heat",
                region=r["region"],
                data_year=int(r["data_year"]) if r["data_year"].strip() else None,
                value=value,
                unit=r["unit"],
                source=r["source"],
                edition=r["edition"],
                effective_from=None,
                status=r["status"],
                subject="purchased heat",
                note=r["note"],
            )
        )
    return tuple(out)


def heat_factor(
    region: str = "national",
    accounting_year: int | None = None,
    *,
    include_uncertain: bool = False,
    unit: str = "tCO2/GJ",
) -> Factor:
    """CO2 factor for purchased heat (steam, hot water) from ``heat_factors.csv``.

    Use: ``E [tCO2] = H [GJ] × EF_heat [tCO2/GJ]``. Rows of ``region`` (resolved with
    :func:`greenfin.carbon.factors.find_region`) are preferred, then ``national``; among them the
    latest ``data_year ≤ accounting_year``, then undated rows. Uncertain rows are eligible only
    with ``include_uncertain=True``; **the only shipped row (0.11 tCO2/GJ) is uncertain** — a zone
    should load its own value or callers supply the heat supplier's factor.

    Raises
    ------
    InventoryError
        ``field="heat_factor"`` when no (certain) row fits.
    """
    try:
        key = find_region(region).key
    except FactorError:
        key = str(region)
    rows = heat_factor_rows()
    for candidate in (key, "national"):
        pool = [f for f in rows if f.region == candidate]
        if not pool:
            continue
        eligible = pool if include_uncertain else [f for f in pool if f.status != "uncertain"]
        if not eligible:
            shown = ", ".join(f"{f.value:g} {f.unit} ({f.region})" for f in pool)
            raise InventoryError.of(
                "heat_factor",
                region,
                f"only uncertain heat factors are shipped ({shown}); supply the heat supplier's "
                "factor (HeatPurchase.factor / heat_factor_tco2_per_gj) or pass "
                "include_uncertain=True",
            )
        dated = [
            f
            for f in eligible
            if f.data_year is not None
            and (accounting_year is None or f.data_year <= accounting_year)
        ]
        undated = [f for f in eligible if f.data_year is None]
        chosen = max(dated, key=lambda f: f.data_year or 0) if dated else None
        if chosen is None and undated:
            chosen = undated[0]
        if chosen is None:
            continue
        rule = f"region {candidate}" + (" (fallback to national)" if candidate != key else "")
        return replace(chosen, accounting_year=accounting_year, selection=rule).to(unit)
    raise InventoryError.of("heat_factor", region, "no heat factor row for this region or national")


def combustion_factor(
    fuel: str,
    quantity_unit: str,
    *,
    calorific_basis: str = "ipcc",
    emissions_unit: str = "tCO2",
) -> Factor:
    """CO2 per unit of fuel burnt (IPCC 2006 Tier 1 defaults), on a chosen calorific basis.

    - ``ipcc``: :func:`greenfin.carbon.factors.fuel_factor` — energy units use the Table 1.4 EF,
      mass units EF × NCV (Table 1.2); volumes are refused (no densities shipped).
    - ``gbt2589``: mass or volume → standard coal with the GB/T 2589-type 折标准煤系数 of the
      matching carrier (:data:`IPCC_TO_GBT2589`), tce → TJ by definition (29.307 GJ/tce), × the
      Table 1.4 EF. Status ``derived``. This is how natural gas in m³ / 万m³ is accounted:
      1 万m³ = 12.143 tce = 355.875 GJ → × 56,100 kgCO2/TJ = 19.964 tCO2.

    Energy units give the same factor on both bases.

    Raises
    ------
    InventoryError
        ``field="fuel"`` unknown fuel or no GB/T 2589 carrier for it; ``field="unit"`` unit
        unknown, of the wrong dimension or a volume on the ``ipcc`` basis;
        ``field="calorific_basis"`` unknown basis.
    """
    if calorific_basis not in CALORIFIC_BASES:
        raise InventoryError.of("calorific_basis", calorific_basis, f"not one of {CALORIFIC_BASES}")
    try:
        key = find_fuel(fuel)
    except FactorError as exc:
        raise InventoryError.of("fuel", fuel, exc.reason) from None
    check_unit("unit", quantity_unit, ("energy", "mass", "volume"))
    dim = parse_unit(quantity_unit).dimension_name
    if dim == "energy" or (calorific_basis == "ipcc" and dim == "mass"):
        return fuel_factor(key, quantity_unit, emissions_unit=emissions_unit)
    if calorific_basis == "ipcc":
        raise InventoryError.of(
            "unit",
            quantity_unit,
            "IPCC 2006 defaults have no densities, so a volume cannot be converted; use "
            "calorific_basis='gbt2589' (折标准煤系数, e.g. natural gas 12.143 tce/10k_m3) or give "
            "the quantity in mass or energy",
        )
    energy = IPCC_TO_GBT2589.get(key)
    if energy is None:
        raise InventoryError.of(
            "fuel",
            fuel,
            f"no GB/T 2589 standard-coal coefficient is mapped to {key}; give the quantity in an "
            "energy unit (GJ, tce) or in mass with calorific_basis='ipcc'",
        )
    coefficient = standard_coal_coefficient(energy)
    try:
        coeff = coefficient.to(f"tce/{quantity_unit}")
    except UnitError:
        raise InventoryError.of(
            "unit",
            quantity_unit,
            f"the {energy} coefficient is per {coefficient.unit.split('/')[-1]} "
            f"({parse_unit(coefficient.unit).dimension_name}); give the quantity in that dimension",
        ) from None
    ef = fuel_factor(key, "tce", emissions_unit=emissions_unit)
    target = f"{emissions_unit}/{quantity_unit}"
    value = apply_factor(
        exact(coefficient.value), coefficient.unit, exact(ef.value), ef.unit, target
    )
    return replace(
        ef,
        value=float(value),
        unit=target,
        status="derived",
        basis="gbt2589",
        source=f"{ef.source}; {coefficient.source}",
        edition=f"{ef.edition}; {coefficient.edition}",
        derivation=(
            f"折标准煤系数 {coefficient.value:g} {coefficient.unit} ({energy}) × 29.307 GJ/tce × "
            f"IPCC EF {fuel_factor(key, 'TJ', emissions_unit='kgCO2').value:g} kgCO2/TJ "
            f"in {target}"
        ),
        note=f"{coeff.value:g} tce/{quantity_unit}; " + ef.note,
    )


# ---------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class FuelUse:
    """Fuel burnt in the year (scope 1). ``fuel``: IPCC fuel key, Chinese/English name or alias
    (``柴油``, ``natural gas``). ``unit``: mass (``t``), energy (``GJ``, ``tce``) or, with
    ``calorific_basis="gbt2589"``, volume (``10k_m3``). ``factor``: a supplied factor
    (tCO2 per ``unit``-dimension) replacing the IPCC default."""

    fuel: str
    quantity: float
    unit: str
    calorific_basis: str = "ipcc"
    factor: Factor | None = None


@dataclass(frozen=True)
class ProcessEmission:
    """Process emissions (scope 1) stated by the enterprise, e.g. calcination, in a CO2 or CO2e
    mass unit."""

    source: str
    quantity: float
    unit: str = EMISSIONS_UNIT


@dataclass(frozen=True)
class ElectricityPurchase:
    """Purchased electricity. ``region``: grid region / province / ``national`` of the grid
    factor; ``None`` takes the enterprise's region."""

    quantity: float
    unit: str = "MWh"
    region: str | None = None


@dataclass(frozen=True)
class ContractualInstrument:
    """A market instrument covering part of the purchased electricity (绿电交易, 绿证, a
    supplier-specific contract) with its supplied factor (e.g. 0 tCO2/MWh for green power)."""

    instrument: str
    quantity: float
    unit: str
    factor: Factor


@dataclass(frozen=True)
class HeatPurchase:
    """Purchased heat (steam, hot water); ``factor`` supplied or from ``heat_factors.csv``."""

    quantity: float
    unit: str = "GJ"
    factor: Factor | None = None


@dataclass(frozen=True)
class EnterpriseYear:
    """Activity data of one enterprise for one accounting year.

    ``region``: where the enterprise draws power (grid region, province or ``national``; a
    GB/T 2260 code resolves to its province). ``industry_code``: GB/T 4754-2017 code (any
    level) used for benchmarking. ``revenue_10k_cny``: 营业收入 in 万元 (> 0). ``output`` /
    ``output_unit``: physical output (``t`` of cement …), optional.
    ``residual_factor``: supplied market-based residual factor (tCO2/MWh-type).
    """

    enterprise_id: str
    accounting_year: int
    region: str
    revenue_10k_cny: float | Decimal
    industry_code: str | None = None
    output: float | None = None
    output_unit: str | None = None
    fuels: tuple[FuelUse, ...] = ()
    process: tuple[ProcessEmission, ...] = ()
    electricity: tuple[ElectricityPurchase, ...] = ()
    instruments: tuple[ContractualInstrument, ...] = ()
    residual_factor: Factor | None = None
    heat: tuple[HeatPurchase, ...] = ()


# ---------------------------------------------------------------------------------------------
# outputs


@dataclass(frozen=True)
class EmissionLine:
    """One emission line: ``scope`` ``"1"`` / ``"2"``; ``category`` ``fuel_combustion``,
    ``process``, ``electricity_location``, ``electricity_market``, ``heat``; the activity, the
    factor used (``None`` for stated process emissions) and the emissions in tCO2e."""

    scope: str
    category: str
    subject: str
    activity: float
    activity_unit: str
    emissions_tco2e: float
    factor: Factor | None

    def provenance(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "category": self.category,
            "subject": self.subject,
            "activity": self.activity,
            "activity_unit": self.activity_unit,
            "emissions_tco2e": self.emissions_tco2e,
            "factor": self.factor.provenance() if self.factor else None,
        }


@dataclass(frozen=True)
class CarbonAccount:
    """Scope 1 and 2 emissions and intensities of one enterprise-year (all emissions tCO2e).

    ``lines`` carry every factor used (value, unit, source, edition, data year, status).
    ``residual_basis``: ``supplied`` / ``average_excl_market_nonfossil`` /
    ``location_fallback`` / ``not_needed``. Intensities per output are ``None`` without output.
    """

    enterprise_id: str
    accounting_year: int
    region: str
    industry_code: str | None
    scope1_combustion_tco2e: float
    scope1_process_tco2e: float
    scope1_tco2e: float
    scope2_electricity_location_tco2e: float
    scope2_electricity_market_tco2e: float
    scope2_heat_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    total_location_tco2e: float
    total_market_tco2e: float
    revenue_10k_cny: float
    output: float | None
    output_unit: str | None
    intensity_location_tco2e_per_10k_cny: float
    intensity_market_tco2e_per_10k_cny: float
    intensity_location_per_output: float | None
    intensity_market_per_output: float | None
    residual_basis: str
    lines: tuple[EmissionLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def output_intensity_unit(self) -> str | None:
        """``tCO2e/<output_unit>`` or ``None``."""
        return f"{EMISSIONS_UNIT}/{self.output_unit}" if self.output_unit else None

    @property
    def factors(self) -> tuple[Factor, ...]:
        """Distinct factors used, in line order."""
        seen: list[Factor] = []
        for line in self.lines:
            if line.factor is not None and line.factor not in seen:
                seen.append(line.factor)
        return tuple(seen)

    @property
    def uses_uncertain_factor(self) -> bool:
        return any(f.status == "uncertain" for f in self.factors)

    def total(self, basis: str = "location") -> float:
        """``total_location_tco2e`` or ``total_market_tco2e``."""
        if basis not in ("location", "market"):
            raise InventoryError.of("basis", basis, "must be 'location' or 'market'")
        return self.total_location_tco2e if basis == "location" else self.total_market_tco2e

    def provenance(self) -> dict[str, Any]:
        """Plain dict for reports and the audit ledger: figures, lines with factors, notes."""
        figures = {
            k: getattr(self, k)
            for k in (
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
        }
        return {
            "enterprise_id": self.enterprise_id,
            "accounting_year": self.accounting_year,
            "region": self.region,
            "industry_code": self.industry_code,
            "revenue_10k_cny": self.revenue_10k_cny,
            "output": self.output,
            "output_unit": self.output_unit,
            "residual_basis": self.residual_basis,
            **figures,
            "lines": [line.provenance() for line in self.lines],
            "uses_uncertain_factor": self.uses_uncertain_factor,
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------------------
# scalar account


def _to_mwh(field_name: str, quantity: object, unit: str) -> Fraction:
    amount = check_amount(f"{field_name}.quantity", quantity)
    check_unit(f"{field_name}.unit", unit, ("energy",))
    return amount * conversion_factor(unit, "MWh")


def _line(
    scope: str,
    category: str,
    subject: str,
    activity: Fraction,
    activity_unit: str,
    factor: Factor,
    field_name: str,
) -> tuple[EmissionLine, Fraction]:
    try:
        emissions = apply_factor(
            activity, activity_unit, exact(factor.value), factor.unit, EMISSIONS_UNIT
        )
    except UnitError as exc:
        raise InventoryError.of(field_name, factor.unit, exc.reason) from None
    line = EmissionLine(
        scope, category, subject, float(activity), activity_unit, float(emissions), factor
    )
    return line, emissions


def _grid(
    kind: str,
    region: str,
    year: int,
    field_name: str,
    *,
    as_of: date | None,
    include_uncertain: bool,
) -> Factor:
    try:
        return grid_factor(
            kind,
            region,
            year,
            as_of=as_of,
            include_uncertain=include_uncertain,
            unit="tCO2/MWh",
        )
    except FactorError as exc:
        name = {"region": field_name, "accounting_year": "accounting_year", "as_of": "as_of"}
        raise InventoryError.of(name.get(exc.field, exc.field), exc.value, exc.reason) from None


def _renamed(exc: CarbonInputError, field_name: str) -> InventoryError:
    return InventoryError([Problem(p.row, field_name, p.message) for p in exc.problems])


def _check_industry(code: object) -> str | None:
    if code is None:
        return None
    text = str(code).strip()
    if text not in reference.industry_codes():
        raise InventoryError.of("industry_code", code, "not a GB/T 4754-2017 code")
    return text


def _combustion_lines(fuels: Sequence[FuelUse]) -> tuple[list[EmissionLine], Fraction]:
    lines, total = [], Fraction(0)
    for i, use in enumerate(fuels):
        where = f"fuels[{i}]"
        amount = check_amount(f"{where}.quantity", use.quantity)
        check_unit(f"{where}.unit", use.unit, ("energy", "mass", "volume"))
        if use.factor is not None:
            factor, subject = use.factor, use.fuel
        else:
            try:
                factor = combustion_factor(
                    use.fuel, use.unit, calorific_basis=use.calorific_basis, emissions_unit="tCO2"
                )
            except InventoryError as exc:
                raise _renamed(exc, f"{where}.{exc.field}") from None
            subject = factor.subject
        line, value = _line(
            "1", "fuel_combustion", subject, amount, use.unit, factor, f"{where}.factor"
        )
        lines.append(line)
        total += value
    return lines, total


def _process_lines(process: Sequence[ProcessEmission]) -> tuple[list[EmissionLine], Fraction]:
    lines, total = [], Fraction(0)
    for i, proc in enumerate(process):
        where = f"process[{i}]"
        amount = check_amount(f"{where}.quantity", proc.quantity)
        check_unit(f"{where}.unit", proc.unit, ("co2", "co2e"))
        value = amount * conversion_factor(proc.unit, EMISSIONS_UNIT)
        lines.append(
            EmissionLine("1", "process", proc.source, float(amount), proc.unit, float(value), None)
        )
        total += value
    return lines, total


def _location_lines(
    e: EnterpriseYear, year: int, *, as_of: date | None, include_uncertain: bool
) -> tuple[list[EmissionLine], Fraction, Fraction]:
    """Location-based lines (one per purchase with MWh > 0), their total and total MWh."""
    lines, total, total_mwh = [], Fraction(0), Fraction(0)
    for i, purchase in enumerate(e.electricity):
        where = f"electricity[{i}]"
        mwh = _to_mwh(where, purchase.quantity, purchase.unit)
        if mwh == 0:
            continue  # no factor needed (the frame path skips it too)
        factor = _grid(
            "average",
            purchase.region or e.region,
            year,
            f"{where}.region" if purchase.region else "region",
            as_of=as_of,
            include_uncertain=include_uncertain,
        )
        line, value = _line("2", "electricity_location", factor.region, mwh, "MWh", factor, where)
        lines.append(line)
        total += value
        total_mwh += mwh
    return lines, total, total_mwh


def _market_lines(
    e: EnterpriseYear,
    year: int,
    location: Sequence[EmissionLine],
    total_mwh: Fraction,
    residual_mix: str,
    *,
    as_of: date | None,
    include_uncertain: bool,
) -> tuple[list[EmissionLine], Fraction, str, list[str]]:
    """Market-based lines: instruments, then the uncovered MWh at the residual factor (supplied,
    national excl. market non-fossil, or the location-based fallback)."""
    lines: list[EmissionLine] = []
    notes: list[str] = []
    total = covered = Fraction(0)
    for i, inst in enumerate(e.instruments):
        where = f"instruments[{i}]"
        mwh = _to_mwh(where, inst.quantity, inst.unit)
        if not isinstance(inst.factor, Factor):
            raise InventoryError.of(f"{where}.factor", inst.factor, "a supplied factor is required")
        line, value = _line(
            "2", "electricity_market", inst.instrument, mwh, "MWh", inst.factor, f"{where}.factor"
        )
        lines.append(line)
        covered += mwh
        total += value
    if covered > total_mwh:
        raise InventoryError.of(
            "instruments",
            float(covered),
            f"contractual instruments cover {float(covered):g} MWh but only "
            f"{float(total_mwh):g} MWh were purchased",
        )
    uncovered = total_mwh - covered
    if uncovered == 0:
        return lines, total, "not_needed", notes
    if e.residual_factor is not None:
        if not isinstance(e.residual_factor, Factor):
            raise InventoryError.of("residual_factor", e.residual_factor, "not a Factor")
        residual = [(uncovered, e.residual_factor, "residual (supplied)")]
        basis = "supplied"
    elif residual_mix == "average_excl_market_nonfossil":
        factor = _grid(
            residual_mix,
            "national",
            year,
            "region",
            as_of=as_of,
            include_uncertain=include_uncertain,
        )
        residual = [(uncovered, factor, "residual (national excl. market non-fossil)")]
        basis = residual_mix
        notes.append(
            "market-based residual: national average excluding market-traded non-fossil power "
            f"({factor.value:g} tCO2/MWh, data year {factor.data_year}); using it as the residual "
            "mix is an uncertain interpretation (methods.md §5.1)"
        )
    else:
        share = uncovered / total_mwh
        residual = [
            (exact(line.activity) * share, line.factor, f"residual fallback {line.subject}")
            for line in location
            if line.factor is not None
        ]
        basis = "location_fallback"
        notes.append(
            "market-based: no residual-mix factor available (none supplied, none shipped as "
            f"verified); the {float(uncovered):g} MWh not covered by instruments are priced at "
            "the location-based grid factor"
        )
    for mwh, factor, subject in residual:
        line, value = _line(
            "2", "electricity_market", subject, mwh, "MWh", factor, "residual_factor"
        )
        lines.append(line)
        total += value
    return lines, total, basis, notes


def _heat_lines(
    e: EnterpriseYear, year: int, *, include_uncertain: bool
) -> tuple[list[EmissionLine], Fraction]:
    lines, total = [], Fraction(0)
    for i, purchase in enumerate(e.heat):
        where = f"heat[{i}]"
        amount = check_amount(f"{where}.quantity", purchase.quantity)
        check_unit(f"{where}.unit", purchase.unit, ("energy",))
        if purchase.factor is not None:
            factor = purchase.factor
        elif amount == 0:
            continue
        else:
            try:
                factor = heat_factor(e.region, year, include_uncertain=include_uncertain)
            except InventoryError as exc:
                raise _renamed(exc, f"{where}.factor") from None
        line, value = _line(
            "2", "heat", "purchased heat", amount, purchase.unit, factor, f"{where}.factor"
        )
        lines.append(line)
        total += value
    return lines, total


def carbon_account(
    enterprise: EnterpriseYear,
    *,
    as_of: date | None = None,
    include_uncertain: bool = False,
    residual_mix: str = "none",
) -> CarbonAccount:
    """Scope 1 and 2 account of one enterprise-year (equations in the module docstring).

    Parameters
    ----------
    enterprise
        Activity data (:class:`EnterpriseYear`); all amounts ≥ 0, revenue > 0.
    as_of
        Only grid factors public on this date are eligible (reproduces what could be reported
        then, e.g. 2023 accounts in mid-2024 → 2021 factors).
    include_uncertain
        Allow uncertain grid and heat rows (e.g. Beijing, the 0.11 tCO2/GJ heat default); the
        account then reports ``uses_uncertain_factor``.
    residual_mix
        ``"none"`` (default): without a supplied residual factor, uncovered MWh fall back to the
        location-based factor; ``"average_excl_market_nonfossil"``: use the national MEE factor
        excluding market-traded non-fossil power (an uncertain interpretation, methods.md §5.1).

    Returns
    -------
    CarbonAccount

    Raises
    ------
    InventoryError
        Naming the field: ``enterprise_id``, ``accounting_year``, ``region``,
        ``revenue_10k_cny``, ``output``, ``output_unit``, ``industry_code``,
        ``fuels[i].quantity`` / ``.unit`` / ``.fuel`` / ``.factor``, ``process[i]…``,
        ``electricity[i]…``, ``instruments[i]…`` (or ``instruments`` when they exceed the
        purchases), ``residual_factor``, ``heat[i]…``, ``heat_factor``, ``residual_mix``.
    """
    e = enterprise
    if not isinstance(e.enterprise_id, str) or not e.enterprise_id.strip():
        raise InventoryError.of("enterprise_id", e.enterprise_id, "missing")
    year = check_year("accounting_year", e.accounting_year)
    if not isinstance(e.region, str) or not e.region.strip():
        raise InventoryError.of("region", e.region, "missing")
    if residual_mix not in RESIDUAL_MIXES:
        raise InventoryError.of("residual_mix", residual_mix, f"not one of {RESIDUAL_MIXES}")
    revenue = check_amount("revenue_10k_cny", e.revenue_10k_cny, positive=True)
    output: Fraction | None = None
    if e.output is not None or e.output_unit is not None:
        output = check_amount("output", e.output, positive=True)
        if not isinstance(e.output_unit, str) or not e.output_unit.strip():
            raise InventoryError.of("output_unit", e.output_unit, "required with output")
    industry = _check_industry(e.industry_code)

    opts = {"as_of": as_of, "include_uncertain": include_uncertain}
    fuel_lines, s1_fuel = _combustion_lines(e.fuels)
    process_lines, s1_proc = _process_lines(e.process)
    loc_lines, s2_loc, total_mwh = _location_lines(e, year, **opts)
    mkt_lines, s2_mkt, residual_basis, notes = _market_lines(
        e, year, loc_lines, total_mwh, residual_mix, **opts
    )
    heat_lines, s2_heat = _heat_lines(e, year, include_uncertain=include_uncertain)
    lines = [*fuel_lines, *process_lines, *loc_lines, *mkt_lines, *heat_lines]

    s1 = s1_fuel + s1_proc
    s2_l = s2_loc + s2_heat
    s2_m = s2_mkt + s2_heat
    tot_l, tot_m = s1 + s2_l, s1 + s2_m
    if any(line.factor is not None and line.factor.status == "uncertain" for line in lines):
        notes.append("uses at least one factor with status 'uncertain' (see lines)")
    return CarbonAccount(
        enterprise_id=e.enterprise_id.strip(),
        accounting_year=year,
        region=e.region,
        industry_code=industry,
        scope1_combustion_tco2e=float(s1_fuel),
        scope1_process_tco2e=float(s1_proc),
        scope1_tco2e=float(s1),
        scope2_electricity_location_tco2e=float(s2_loc),
        scope2_electricity_market_tco2e=float(s2_mkt),
        scope2_heat_tco2e=float(s2_heat),
        scope2_location_tco2e=float(s2_l),
        scope2_market_tco2e=float(s2_m),
        total_location_tco2e=float(tot_l),
        total_market_tco2e=float(tot_m),
        revenue_10k_cny=float(revenue),
        output=float(output) if output is not None else None,
        output_unit=e.output_unit.strip() if output is not None and e.output_unit else None,
        intensity_location_tco2e_per_10k_cny=float(tot_l / revenue),
        intensity_market_tco2e_per_10k_cny=float(tot_m / revenue),
        intensity_location_per_output=float(tot_l / output) if output else None,
        intensity_market_per_output=float(tot_m / output) if output else None,
        residual_basis=residual_basis,
        lines=tuple(lines),
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# benchmarks, grades, pricing (configuration)


@dataclass(frozen=True)
class Benchmark:
    """One row of ``industry_carbon_benchmarks.csv``: the industry's intensity ``value`` in
    ``unit`` per ``per`` (``10k_CNY`` for ``metric = revenue``, an output unit for ``output``),
    on the ``emissions_basis`` (``location`` / ``market``) total, for ``region`` (``*`` = any)
    and ``year`` (``None`` = undated)."""

    industry_code: str
    industry_name_zh: str
    metric: str
    value: float
    unit: str
    per: str
    emissions_basis: str
    region: str
    year: int | None
    status: str
    source: str
    edition: str
    note: str

    @property
    def value_tco2e(self) -> float:
        """``value`` with the numerator in tCO2e."""
        return float(convert(self.value, self.unit, EMISSIONS_UNIT))

    def provenance(self) -> dict[str, Any]:
        return {
            "industry_code": self.industry_code,
            "metric": self.metric,
            "value": self.value,
            "unit": f"{self.unit}/{self.per}",
            "emissions_basis": self.emissions_basis,
            "region": self.region,
            "year": self.year,
            "status": self.status,
            "source": self.source,
            "edition": self.edition,
        }


@dataclass(frozen=True)
class Grade:
    """One grade of ``carbon_grades.csv``: ratio interval ``[ratio_min, ratio_max)``
    (``ratio_max = None``: no upper bound); ``rank`` 1 = best."""

    grade: str
    label_zh: str
    label_en: str
    rank: int
    ratio_min: float
    ratio_max: float | None
    status: str
    source: str
    edition: str
    note: str

    def contains(self, ratio: float) -> bool:
        shifted = ratio + GRADE_TOLERANCE
        return self.ratio_min <= shifted and (self.ratio_max is None or shifted < self.ratio_max)


@dataclass(frozen=True)
class PricingRule:
    """One row of ``carbon_grade_pricing.csv``: a rate adjustment in basis points."""

    product: str
    grade: str
    adjustment_bp: int
    status: str
    source: str
    edition: str
    note: str


@dataclass(frozen=True)
class GradeResult:
    """Outcome of :func:`grade_account`: the intensity compared (in the benchmark's unit), the
    ratio, the grade and the benchmark row used (with the code level it matched)."""

    enterprise_id: str
    metric: str
    emissions_basis: str
    intensity: float
    intensity_unit: str
    benchmark: Benchmark
    ratio: float
    grade: Grade
    notes: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "metric": self.metric,
            "emissions_basis": self.emissions_basis,
            "intensity": self.intensity,
            "intensity_unit": self.intensity_unit,
            "benchmark": self.benchmark.provenance(),
            "ratio": self.ratio,
            "grade": self.grade.grade,
            "grade_zh": self.grade.label_zh,
            "grade_status": self.grade.status,
            "notes": list(self.notes),
        }


_CONFIG_STATUSES = ("verified", "derived", "uncertain", "illustrative")


def _required(name: str, line: int, r: dict[str, str], columns: Iterable[str]) -> None:
    for column in columns:
        if not (r.get(column) or "").strip():
            raise _config_error(name, line, column, "", "empty")
    if r["status"] not in _CONFIG_STATUSES:
        raise _config_error(name, line, "status", r["status"], f"not one of {_CONFIG_STATUSES}")


@cache
def benchmarks() -> tuple[Benchmark, ...]:
    """Rows of ``industry_carbon_benchmarks.csv``, validated (**shipped rows are
    illustrative**)."""
    name = "industry_carbon_benchmarks.csv"
    codes = reference.industry_codes()
    out = []
    for line, r in enumerate(_read(name), start=2):
        _required(
            name,
            line,
            r,
            (
                "industry_code",
                "metric",
                "value",
                "unit",
                "per",
                "emissions_basis",
                "region",
                "status",
                "source",
                "edition",
            ),
        )
        if r["industry_code"] not in codes:
            raise _config_error(name, line, "industry_code", r["industry_code"], "not GB/T 4754")
        if r["metric"] not in ("revenue", "output"):
            raise _config_error(name, line, "metric", r["metric"], "must be revenue or output")
        if r["metric"] == "revenue" and r["per"] != REVENUE_UNIT:
            raise _config_error(name, line, "per", r["per"], f"revenue rows are per {REVENUE_UNIT}")
        if r["emissions_basis"] not in ("location", "market"):
            raise _config_error(name, line, "emissions_basis", r["emissions_basis"], "unknown")
        try:
            if parse_unit(r["unit"]).dimension_name not in ("co2", "co2e"):
                raise _config_error(name, line, "unit", r["unit"], "not an emissions unit")
            value = float(r["value"])
        except (UnitError, ValueError) as exc:
            raise _config_error(name, line, "value", r["value"], str(exc)) from None
        if not (math.isfinite(value) and value > 0):
            raise _config_error(name, line, "value", r["value"], "must be > 0")
        out.append(
            Benchmark(
                industry_code=r["industry_code"],
                industry_name_zh=r["industry_name_zh"],
                metric=r["metric"],
                value=value,
                unit=r["unit"],
                per=r["per"],
                emissions_basis=r["emissions_basis"],
                region=r["region"],
                year=int(r["year"]) if r["year"].strip() else None,
                status=r["status"],
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(out)


@cache
def grades() -> tuple[Grade, ...]:
    """Rows of ``carbon_grades.csv`` sorted by rank; validated to tile ``[0, ∞)`` without gaps
    or overlaps (**shipped thresholds are illustrative**)."""
    name = "carbon_grades.csv"
    out = []
    for line, r in enumerate(_read(name), start=2):
        _required(
            name, line, r, ("grade", "label_zh", "rank", "ratio_min", "status", "source", "edition")
        )
        out.append(
            Grade(
                grade=r["grade"],
                label_zh=r["label_zh"],
                label_en=r["label_en"],
                rank=int(r["rank"]),
                ratio_min=float(r["ratio_min"]),
                ratio_max=float(r["ratio_max"]) if r["ratio_max"].strip() else None,
                status=r["status"],
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    out.sort(key=lambda g: g.rank)
    if not out or out[0].ratio_min != 0:
        raise _config_error(
            name,
            2,
            "ratio_min",
            out[0].ratio_min if out else None,
            "the best grade must start at 0",
        )
    for a, b in pairwise(out):
        if a.ratio_max is None or a.ratio_max != b.ratio_min:
            raise _config_error(
                name, b.rank + 1, "ratio_min", b.ratio_min, f"must equal ratio_max of {a.grade}"
            )
    if out[-1].ratio_max is not None:
        raise _config_error(
            name, len(out) + 1, "ratio_max", out[-1].ratio_max, "the worst grade must be open-ended"
        )
    return tuple(out)


@cache
def pricing_rules() -> tuple[PricingRule, ...]:
    """Rows of ``carbon_grade_pricing.csv`` (**shipped rows are illustrative**)."""
    name = "carbon_grade_pricing.csv"
    known = {g.grade for g in grades()}
    out = []
    for line, r in enumerate(_read(name), start=2):
        _required(
            name, line, r, ("product", "grade", "adjustment_bp", "status", "source", "edition")
        )
        if r["grade"] not in known:
            raise _config_error(name, line, "grade", r["grade"], f"not one of {sorted(known)}")
        out.append(
            PricingRule(
                product=r["product"],
                grade=r["grade"],
                adjustment_bp=int(r["adjustment_bp"]),
                status=r["status"],
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(out)


def find_grade(grade: str | Grade) -> Grade:
    """A grade by key (``dark_green``), Chinese label (``深绿``) or English label."""
    if isinstance(grade, Grade):
        return grade
    text = str(grade).strip()
    for g in grades():
        if text in (g.grade, g.label_zh, g.label_en):
            return g
    raise InventoryError.of("grade", grade, f"unknown grade; known: {[g.grade for g in grades()]}")


def grade_for_ratio(ratio: float) -> Grade:
    """The grade whose interval ``[ratio_min, ratio_max)`` holds ``ratio`` (a ratio within
    :data:`GRADE_TOLERANCE` below a threshold counts as at it)."""
    check_amount("ratio", ratio)
    for g in grades():
        if g.contains(float(ratio)):
            return g
    raise InventoryError.of("ratio", ratio, "no grade covers this ratio")  # pragma: no cover


def pricing_rule(grade: str | Grade, product: str = "default") -> PricingRule:
    """The pricing row for ``grade`` and ``product`` (see :func:`pricing_adjustment_bp`)."""
    g = find_grade(grade)
    for rule in pricing_rules():
        if rule.product == product and rule.grade == g.grade:
            return rule
    products = sorted({r.product for r in pricing_rules()})
    raise InventoryError.of(
        "product", product, f"no pricing row for grade {g.grade}; products: {products}"
    )


def pricing_adjustment_bp(grade: str | Grade, product: str = "default") -> int:
    """Loan-rate adjustment in basis points for a carbon grade (negative = discount), from
    ``carbon_grade_pricing.csv``. A bank product adds it to its base rate; the shipped table
    is **illustrative**, a product loads its own rows under its own ``product`` name.

    >>> pricing_adjustment_bp("深绿")  # illustrative table
    -30
    """
    return pricing_rule(grade, product).adjustment_bp


def _code_chain(industry_code: str) -> list[str]:
    codes = reference.industry_codes()
    chain: list[str] = []
    current: str | None = industry_code
    while current:
        chain.append(current)
        node = codes.get(current)
        current = node.parent_code if node else None
    return chain


def find_benchmark(
    industry_code: str,
    *,
    metric: str = "revenue",
    emissions_basis: str = "location",
    year: int | None = None,
    zone: str | None = None,
    per: str | None = None,
) -> Benchmark:
    """Benchmark row for a GB/T 4754 code.

    Rule: rows of ``zone`` first (a zone's own table overrides the shipped rows), then rows with
    ``region = *``; within them the most specific code on the path 小类 → 中类 → 大类 → 门类;
    then the latest ``year ≤ year`` (undated rows last). For ``metric = output`` and a given
    ``per``, only rows whose ``per`` equals or converts to it qualify.

    Raises
    ------
    InventoryError
        ``field="industry_code"`` unknown or without benchmark; ``metric`` / ``emissions_basis``
        unknown.
    """
    if metric not in ("revenue", "output"):
        raise InventoryError.of("metric", metric, "must be 'revenue' or 'output'")
    if emissions_basis not in ("location", "market"):
        raise InventoryError.of("emissions_basis", emissions_basis, "must be location or market")
    code = _check_industry(industry_code)
    assert code is not None
    chain = _code_chain(code)
    rows = [b for b in benchmarks() if b.metric == metric and b.emissions_basis == emissions_basis]
    if per is not None and metric == "output":
        rows = [b for b in rows if b.per == per or _convertible(per, b.per)]
    for region in ([zone] if zone else []) + ["*"]:
        for level_code in chain:
            pool = [b for b in rows if b.region == region and b.industry_code == level_code]
            dated = [b for b in pool if b.year is not None and (year is None or b.year <= year)]
            if dated:
                return max(dated, key=lambda b: b.year or 0)
            undated = [b for b in pool if b.year is None]
            if undated:
                return undated[0]
    raise InventoryError.of(
        "industry_code",
        industry_code,
        f"no {metric} benchmark ({emissions_basis} basis"
        + (f", per {per}" if per else "")
        + f") on the path {chain}; a zone must load its own benchmark rows",
    )


def _convertible(a: str, b: str) -> bool:
    try:
        conversion_factor(a, b)
    except UnitError:
        return False
    return True


def _output_scale(output_unit: str, per: str) -> float:
    """``k`` with intensity per ``per`` = intensity per ``output_unit`` × k."""
    if output_unit == per:
        return 1.0
    return float(conversion_factor(per, output_unit))


def grade_account(
    account: CarbonAccount,
    *,
    metric: str = "revenue",
    emissions_basis: str = "location",
    zone: str | None = None,
) -> GradeResult:
    """Benchmark an account's intensity and grade it.

    Equation: ``ratio = intensity / benchmark`` with the intensity of ``emissions_basis``
    (``location`` default, the basis of the shipped rows) per 万元 revenue (``metric="revenue"``)
    or per unit of output (``metric="output"``, converted to the benchmark's unit when both
    units are in the registry, e.g. ``10k_t`` → ``t``); grade from ``carbon_grades.csv``.

    The shipped benchmarks and thresholds are **illustrative**; the result's ``notes`` say so.

    Raises
    ------
    InventoryError
        ``industry_code`` missing/unknown/without benchmark; ``output`` missing for the output
        metric; ``output_unit`` not comparable with the benchmark's.
    """
    if account.industry_code is None:
        raise InventoryError.of("industry_code", None, "required for benchmarking")
    if metric == "output":
        if account.output is None or account.output_unit is None:
            raise InventoryError.of("output", account.output, "required for the output metric")
        bench = find_benchmark(
            account.industry_code,
            metric=metric,
            emissions_basis=emissions_basis,
            year=account.accounting_year,
            zone=zone,
            per=account.output_unit,
        )
        intensity = (
            account.intensity_location_per_output
            if emissions_basis == "location"
            else account.intensity_market_per_output
        )
        assert intensity is not None
        intensity = intensity * _output_scale(account.output_unit, bench.per)
    else:
        bench = find_benchmark(
            account.industry_code,
            metric=metric,
            emissions_basis=emissions_basis,
            year=account.accounting_year,
            zone=zone,
        )
        intensity = (
            account.intensity_location_tco2e_per_10k_cny
            if emissions_basis == "location"
            else account.intensity_market_tco2e_per_10k_cny
        )
    ratio = intensity / bench.value_tco2e
    grade = grade_for_ratio(ratio)
    notes = []
    if bench.status == "illustrative":
        notes.append("benchmark is illustrative (not an official value); load the zone's own")
    if grade.status == "illustrative":
        notes.append("grade thresholds are illustrative; load the zone's own")
    if bench.industry_code != account.industry_code:
        notes.append(f"benchmark of parent class {bench.industry_code} used")
    return GradeResult(
        enterprise_id=account.enterprise_id,
        metric=metric,
        emissions_basis=emissions_basis,
        intensity=intensity,
        intensity_unit=f"{EMISSIONS_UNIT}/{bench.per}",
        benchmark=bench,
        ratio=ratio,
        grade=grade,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# vectorised (Polars)


def _with_defaults(frame: pl.DataFrame, columns: dict[str, Any]) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in columns.items()
        if name not in frame.columns
    ]
    out = frame.with_columns(missing) if missing else frame
    casts, problems = [], []
    for name, dtype in columns.items():
        if out.schema[name] != dtype:
            cast = pl.col(name).cast(dtype, strict=False)
            # a value that is present but does not parse is an error, never a silent null/zero
            unparsed = pl.col(name).is_not_null() & (pl.col(name).cast(pl.String) != "")
            problems += [
                Problem(row, name, f"cannot be read as {dtype}")
                for row in _rows_where(out, unparsed & cast.is_null())
            ]
            casts.append(cast)
    if problems:
        raise InventoryError(problems)
    return out.with_columns(casts) if casts else out


def _rows_where(frame: pl.DataFrame, condition: pl.Expr) -> list[int]:
    return (
        frame.with_row_index("_row", offset=1)
        .filter(condition.fill_null(False))
        .get_column("_row")
        .to_list()
    )


def _collect(frame: pl.DataFrame, checks: Sequence[tuple[str, pl.Expr, str]]) -> list[Problem]:
    problems: list[Problem] = []
    for column, condition, message in checks:
        problems += [Problem(row, column, message) for row in _rows_where(frame, condition)]
    return problems


def fuel_lines_frame(fuels: pl.DataFrame) -> pl.DataFrame:
    """Scope-1 combustion lines of a fuels frame (columns :data:`FUEL_FRAME_COLUMNS`) with the
    factor used: adds ``factor_value``, ``factor_unit`` (tCO2 per the row's unit),
    ``factor_status``, ``factor_source``, ``factor_edition``, ``factor_derivation``, ``fuel_key``
    and ``emissions_tco2e = quantity × factor_value``. Each distinct (fuel, unit, basis) is
    resolved once with :func:`combustion_factor`.

    Raises
    ------
    InventoryError
        Every row problem at once (1-based rows): missing ids, quantity missing/negative,
        unknown fuel or unit, volume on the IPCC basis …
    """
    f = _with_defaults(fuels, FUEL_FRAME_COLUMNS).with_columns(
        pl.col("calorific_basis").fill_null("ipcc")
    )
    qty = pl.col("quantity")
    problems = _collect(
        f,
        [
            ("enterprise_id", pl.col("enterprise_id").is_null(), "missing"),
            ("accounting_year", pl.col("accounting_year").is_null(), "missing or not an integer"),
            ("fuel", pl.col("fuel").is_null(), "missing"),
            ("unit", pl.col("unit").is_null(), "missing"),
            ("quantity", qty.is_null() | qty.is_nan(), "missing or not a number"),
            ("quantity", qty.is_infinite(), "not a finite number"),
            ("quantity", qty < 0, "must not be negative"),
        ],
    )
    records = []
    keys = f.select("fuel", "unit", "calorific_basis").unique(maintain_order=True)
    for fuel, unit, basis in keys.iter_rows():
        if fuel is None or unit is None:
            continue
        try:
            factor = combustion_factor(fuel, unit, calorific_basis=basis, emissions_unit="tCO2")
        except InventoryError as exc:
            column = {"unit": "unit", "fuel": "fuel"}.get(exc.field, exc.field)
            bad = (
                (pl.col("fuel") == fuel)
                & (pl.col("unit") == unit)
                & (pl.col("calorific_basis") == basis)
            )
            problems += [Problem(row, column, exc.reason) for row in _rows_where(f, bad)]
            continue
        records.append(
            {
                "fuel": fuel,
                "unit": unit,
                "calorific_basis": basis,
                "fuel_key": factor.subject,
                "factor_value": factor.value,
                "factor_unit": factor.unit,
                "factor_status": factor.status,
                "factor_source": factor.source,
                "factor_edition": factor.edition,
                "factor_derivation": factor.derivation,
            }
        )
    if problems:
        raise InventoryError(sorted(problems, key=lambda p: (p.row or 0, p.field)))
    lookup = pl.DataFrame(
        records,
        schema={
            "fuel": pl.String,
            "unit": pl.String,
            "calorific_basis": pl.String,
            "fuel_key": pl.String,
            "factor_value": pl.Float64,
            "factor_unit": pl.String,
            "factor_status": pl.String,
            "factor_source": pl.String,
            "factor_edition": pl.String,
            "factor_derivation": pl.String,
        },
    )
    out = f.join(lookup, on=["fuel", "unit", "calorific_basis"], how="left", maintain_order="left")
    return out.with_columns((qty * pl.col("factor_value")).alias("emissions_tco2e"))


def account_frame(
    enterprises: pl.DataFrame,
    fuels: pl.DataFrame | None = None,
    *,
    as_of: date | None = None,
    include_uncertain: bool = False,
    residual_mix: str = "none",
) -> pl.DataFrame:
    """Vectorised :func:`carbon_account` for many enterprise-years.

    ``enterprises`` has one row per (enterprise_id, accounting_year) with the columns of
    :data:`ACCOUNT_FRAME_COLUMNS`; ``fuels`` the long table of :data:`FUEL_FRAME_COLUMNS`.
    Contractual instruments are one aggregate per row (``contract_mwh`` at
    ``contract_factor_tco2_per_mwh``, with ``contract_factor_source``); supplied residual and heat
    factors need their ``…_source``. All electricity of a row is in the row's ``region``.

    Adds the figures of :class:`CarbonAccount` as columns (same names), the factor provenance
    columns ``grid_factor_*`` (value, data year, status, source, edition, resolved region),
    ``residual_basis``, ``residual_factor_tco2_per_mwh``, ``heat_factor_status``,
    ``heat_factor_source``, ``fuel_factor_statuses`` and ``uses_uncertain_factor``. Row order
    is kept. Results equal the scalar ones up to float rounding (the scalar path sums exactly).

    Raises
    ------
    InventoryError
        Every row problem at once (1-based data rows of ``enterprises``; fuel problems name
        ``fuels.<column>`` with the fuels row).
    """
    if residual_mix not in RESIDUAL_MIXES:
        raise InventoryError.of("residual_mix", residual_mix, f"not one of {RESIDUAL_MIXES}")
    missing = [c for c in _ACCOUNT_FRAME_REQUIRED if c not in enterprises.columns]
    if missing:
        raise InventoryError([Problem(None, c, "column missing") for c in missing])
    f = _with_defaults(enterprises, ACCOUNT_FRAME_COLUMNS)
    amounts = ("process_tco2e", "electricity_mwh", "contract_mwh", "heat_gj")
    f = f.with_columns([pl.col(c).fill_null(0.0) for c in amounts])
    col = pl.col
    checks: list[tuple[str, pl.Expr, str]] = [
        ("enterprise_id", col("enterprise_id").is_null(), "missing"),
        ("accounting_year", col("accounting_year").is_null(), "missing or not an integer"),
        ("accounting_year", ~col("accounting_year").is_between(1900, 2200), "out of range"),
        ("region", col("region").is_null(), "missing"),
        ("revenue_10k_cny", col("revenue_10k_cny").is_null(), "missing or not a number"),
        ("revenue_10k_cny", ~(col("revenue_10k_cny") > 0), "must be greater than zero"),
        ("output", col("output").is_not_null() & ~(col("output") > 0), "must be > 0"),
        ("output", col("output").is_null() & col("output_unit").is_not_null(), "missing"),
        ("output_unit", col("output").is_not_null() & col("output_unit").is_null(), "missing"),
        (
            "contract_mwh",
            col("contract_mwh") > col("electricity_mwh"),
            "contractual instruments exceed the purchased electricity",
        ),
        (
            "contract_factor_tco2_per_mwh",
            (col("contract_mwh") > 0) & col("contract_factor_tco2_per_mwh").is_null(),
            "required when contract_mwh > 0",
        ),
    ]
    for c in amounts:
        checks.append((c, col(c).is_nan() | col(c).is_infinite(), "not a finite number"))
        checks.append((c, col(c) < 0, "must not be negative"))
    for c in (
        "contract_factor_tco2_per_mwh",
        "residual_factor_tco2_per_mwh",
        "heat_factor_tco2_per_gj",
    ):
        source = c.split("_tco2")[0] + "_source"
        checks.append((c, col(c) < 0, "must not be negative"))
        checks.append(
            (
                source,
                col(c).is_not_null() & col(source).is_null(),
                "a supplied factor must name its source",
            )
        )
    problems = _collect(f, checks)
    dup = f.select("enterprise_id", "accounting_year").is_duplicated()
    problems += [
        Problem(i + 1, "enterprise_id", "duplicate (enterprise_id, accounting_year)")
        for i, d in enumerate(dup.to_list())
        if d
    ]
    known_codes = reference.industry_codes()
    for i, code in enumerate(f.get_column("industry_code").to_list()):
        if code is not None and code not in known_codes:
            problems.append(Problem(i + 1, "industry_code", f"{code!r} is not GB/T 4754-2017"))

    # fuels
    if fuels is not None and fuels.height:
        try:
            lines = fuel_lines_frame(fuels)
        except InventoryError as exc:
            problems += [Problem(p.row, f"fuels.{p.field}", p.message) for p in exc.problems]
            lines = None
    else:
        lines = None
    if lines is not None:
        ids = f.select("enterprise_id", "accounting_year").unique()
        orphan = lines.join(ids, on=["enterprise_id", "accounting_year"], how="anti")
        if orphan.height:
            problems.append(
                Problem(
                    None,
                    "fuels.enterprise_id",
                    f"{orphan.height} fuel row(s) without an "
                    "enterprise row of the same accounting_year",
                )
            )
    if problems:
        raise InventoryError(sorted(problems, key=lambda p: (p.row or 0, p.field)))

    if lines is not None:
        s1 = lines.group_by("enterprise_id", "accounting_year").agg(
            pl.col("emissions_tco2e").sum().alias("scope1_combustion_tco2e"),
            pl.col("factor_status").unique().sort().str.join(",").alias("fuel_factor_statuses"),
        )
        f = f.join(s1, on=["enterprise_id", "accounting_year"], how="left", maintain_order="left")
    else:
        f = f.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("scope1_combustion_tco2e"),
            pl.lit(None, dtype=pl.String).alias("fuel_factor_statuses"),
        )
    f = f.with_columns(pl.col("scope1_combustion_tco2e").fill_null(0.0))

    # grid factor (location-based); rows without electricity need none
    f = attach_grid_factor(
        f,
        "average",
        region_col="region",
        year_col="accounting_year",
        as_of=as_of,
        include_uncertain=include_uncertain,
        unit="tCO2/MWh",
        on_missing="null",
    )
    gf = "grid_factor_tco2_per_mwh"
    need_grid = (col("electricity_mwh") > 0) & col(gf).is_null()
    for row in _rows_where(f, need_grid):
        record = f.row(row - 1, named=True)
        region, year = record["region"], record["accounting_year"]
        try:
            _grid(
                "average", region, year, "region", as_of=as_of, include_uncertain=include_uncertain
            )
        except InventoryError as exc:
            problems.append(Problem(row, exc.field, exc.reason))

    # residual (market-based)
    if residual_mix == "average_excl_market_nonfossil":
        years = (
            f.filter(
                (col("electricity_mwh") > col("contract_mwh"))
                & col("residual_factor_tco2_per_mwh").is_null()
            )["accounting_year"]
            .unique()
            .to_list()
        )
        excl: dict[int, float] = {}
        for y in years:
            try:
                excl[y] = _grid(
                    residual_mix,
                    "national",
                    y,
                    "region",
                    as_of=as_of,
                    include_uncertain=include_uncertain,
                ).value
            except InventoryError as exc:
                problems += [
                    Problem(row, exc.field, exc.reason)
                    for row in _rows_where(f, col("accounting_year") == y)
                ]
        excl_expr = (
            col("accounting_year").replace_strict(excl, default=None, return_dtype=pl.Float64)
            if excl
            else pl.lit(None, dtype=pl.Float64)
        )
    else:
        excl_expr = pl.lit(None, dtype=pl.Float64)

    # heat factor: supplied or configuration by region
    heat_rows = f.filter((col("heat_gj") > 0) & col("heat_factor_tco2_per_gj").is_null())
    heat_cfg: dict[tuple[str, int], Factor] = {}
    for region, year in heat_rows.select("region", "accounting_year").unique().iter_rows():
        try:
            heat_cfg[(region, year)] = heat_factor(
                region, year, include_uncertain=include_uncertain
            )
        except InventoryError as exc:
            bad = (
                (col("region") == region)
                & (col("accounting_year") == year)
                & (col("heat_gj") > 0)
                & col("heat_factor_tco2_per_gj").is_null()
            )
            problems += [
                Problem(row, "heat_factor_tco2_per_gj", exc.reason) for row in _rows_where(f, bad)
            ]
    if problems:
        raise InventoryError(sorted(problems, key=lambda p: (p.row or 0, p.field)))
    cfg = pl.DataFrame(
        [
            {
                "region": r,
                "accounting_year": y,
                "_heat_cfg_value": fac.value,
                "_heat_cfg_status": fac.status,
                "_heat_cfg_source": fac.source,
            }
            for (r, y), fac in heat_cfg.items()
        ],
        schema={
            "region": pl.String,
            "accounting_year": pl.Int64,
            "_heat_cfg_value": pl.Float64,
            "_heat_cfg_status": pl.String,
            "_heat_cfg_source": pl.String,
        },
    )
    f = f.join(cfg, on=["region", "accounting_year"], how="left", maintain_order="left")
    supplied_heat = col("heat_factor_tco2_per_gj").is_not_null()
    f = f.with_columns(
        pl.when(supplied_heat)
        .then(col("heat_factor_tco2_per_gj"))
        .otherwise(col("_heat_cfg_value"))
        .alias("heat_factor_tco2_per_gj"),
        pl.when(supplied_heat)
        .then(pl.lit("supplied"))
        .otherwise(col("_heat_cfg_status"))
        .alias("heat_factor_status"),
        pl.when(supplied_heat)
        .then(col("heat_factor_source"))
        .otherwise(col("_heat_cfg_source"))
        .alias("heat_factor_source"),
    ).drop("_heat_cfg_value", "_heat_cfg_status", "_heat_cfg_source")

    def product(amount: str, factor: pl.Expr) -> pl.Expr:
        return pl.when(col(amount) == 0).then(0.0).otherwise(col(amount) * factor)

    uncovered = col("electricity_mwh") - col("contract_mwh")
    f = f.with_columns(
        pl.when(uncovered == 0)
        .then(pl.lit("not_needed"))
        .when(col("residual_factor_tco2_per_mwh").is_not_null())
        .then(pl.lit("supplied"))
        .when(pl.lit(residual_mix == "average_excl_market_nonfossil"))
        .then(pl.lit("average_excl_market_nonfossil"))
        .otherwise(pl.lit("location_fallback"))
        .alias("residual_basis"),
        pl.coalesce(col("residual_factor_tco2_per_mwh"), excl_expr, col(gf)).alias(
            "_residual_value"
        ),
    )
    f = f.with_columns(
        col("process_tco2e").alias("scope1_process_tco2e"),
        product("electricity_mwh", col(gf)).alias("scope2_electricity_location_tco2e"),
        (
            product("contract_mwh", col("contract_factor_tco2_per_mwh"))
            + pl.when(uncovered == 0).then(0.0).otherwise(uncovered * col("_residual_value"))
        ).alias("scope2_electricity_market_tco2e"),
        product("heat_gj", col("heat_factor_tco2_per_gj")).alias("scope2_heat_tco2e"),
        pl.when(col("residual_basis") == "not_needed")
        .then(None)
        .otherwise(col("_residual_value"))
        .alias("residual_factor_tco2_per_mwh"),
    ).drop("_residual_value")
    f = f.with_columns(
        (col("scope1_combustion_tco2e") + col("scope1_process_tco2e")).alias("scope1_tco2e"),
        (col("scope2_electricity_location_tco2e") + col("scope2_heat_tco2e")).alias(
            "scope2_location_tco2e"
        ),
        (col("scope2_electricity_market_tco2e") + col("scope2_heat_tco2e")).alias(
            "scope2_market_tco2e"
        ),
    )
    f = f.with_columns(
        (col("scope1_tco2e") + col("scope2_location_tco2e")).alias("total_location_tco2e"),
        (col("scope1_tco2e") + col("scope2_market_tco2e")).alias("total_market_tco2e"),
    )
    f = f.with_columns(
        (col("total_location_tco2e") / col("revenue_10k_cny")).alias(
            "intensity_location_tco2e_per_10k_cny"
        ),
        (col("total_market_tco2e") / col("revenue_10k_cny")).alias(
            "intensity_market_tco2e_per_10k_cny"
        ),
        (col("total_location_tco2e") / col("output")).alias("intensity_location_per_output"),
        (col("total_market_tco2e") / col("output")).alias("intensity_market_per_output"),
        (
            ((col("electricity_mwh") > 0) & (col("grid_factor_status") == "uncertain"))
            | ((col("heat_gj") > 0) & (col("heat_factor_status") == "uncertain"))
            | col("fuel_factor_statuses").fill_null("").str.contains("uncertain")
        ).alias("uses_uncertain_factor"),
    )
    return f


def grade_frame(
    accounts: pl.DataFrame,
    *,
    metric: str = "revenue",
    emissions_basis: str = "location",
    zone: str | None = None,
    product: str | None = "default",
    on_missing: str = "raise",
) -> pl.DataFrame:
    """Vectorised :func:`grade_account` over the output of :func:`account_frame`.

    Adds ``benchmark_code``, ``benchmark_value`` (tCO2e per ``benchmark_per``),
    ``benchmark_per``, ``benchmark_status``, ``benchmark_source``, ``benchmark_edition``,
    ``carbon_intensity_ratio``, ``carbon_grade``, ``carbon_grade_zh``, ``grade_status`` and,
    with ``product``, ``pricing_adjustment_bp``. Each distinct (industry, year, output unit) is
    resolved once with :func:`find_benchmark` (same rule, same errors).

    ``on_missing``: ``"raise"`` (every row without benchmark reported at once) or ``"null"``.
    """
    if on_missing not in ("raise", "null"):
        raise InventoryError.of("on_missing", on_missing, "must be 'raise' or 'null'")
    col = pl.col
    intensity_col = {
        ("revenue", "location"): "intensity_location_tco2e_per_10k_cny",
        ("revenue", "market"): "intensity_market_tco2e_per_10k_cny",
        ("output", "location"): "intensity_location_per_output",
        ("output", "market"): "intensity_market_per_output",
    }.get((metric, emissions_basis))
    if intensity_col is None:
        raise InventoryError.of("metric", metric, "metric revenue|output, basis location|market")
    keys = ["industry_code", "accounting_year", "output_unit"]
    records = []
    problems: list[Problem] = []
    for code, year, out_unit in accounts.select(keys).unique(maintain_order=True).iter_rows():
        bad = (
            col("industry_code").eq_missing(code)
            & (col("accounting_year") == year)
            & col("output_unit").eq_missing(out_unit)
        )
        try:
            if code is None:
                raise InventoryError.of("industry_code", None, "required for benchmarking")
            if metric == "output" and out_unit is None:
                raise InventoryError.of("output", None, "required for the output metric")
            bench = find_benchmark(
                code,
                metric=metric,
                emissions_basis=emissions_basis,
                year=year,
                zone=zone,
                per=out_unit if metric == "output" else None,
            )
        except InventoryError as exc:
            if on_missing == "raise":
                problems += [Problem(r, exc.field, exc.reason) for r in _rows_where(accounts, bad)]
            continue
        scale = _output_scale(out_unit, bench.per) if metric == "output" else 1.0
        records.append(
            {
                "industry_code": code,
                "accounting_year": year,
                "output_unit": out_unit,
                "_scale": scale,
                "benchmark_code": bench.industry_code,
                "benchmark_value": bench.value_tco2e,
                "benchmark_per": bench.per,
                "benchmark_status": bench.status,
                "benchmark_source": bench.source,
                "benchmark_edition": bench.edition,
            }
        )
    if problems:
        raise InventoryError(sorted(problems, key=lambda p: (p.row or 0, p.field)))
    lookup = pl.DataFrame(
        records,
        schema={
            "industry_code": pl.String,
            "accounting_year": pl.Int64,
            "output_unit": pl.String,
            "_scale": pl.Float64,
            "benchmark_code": pl.String,
            "benchmark_value": pl.Float64,
            "benchmark_per": pl.String,
            "benchmark_status": pl.String,
            "benchmark_source": pl.String,
            "benchmark_edition": pl.String,
        },
    )
    out = accounts.join(lookup, on=keys, how="left", nulls_equal=True, maintain_order="left")
    out = out.with_columns(
        (col(intensity_col) * col("_scale") / col("benchmark_value")).alias(
            "carbon_intensity_ratio"
        )
    ).drop("_scale")
    shifted = col("carbon_intensity_ratio") + GRADE_TOLERANCE
    key_expr: Any = pl.lit(None, dtype=pl.String)
    for g in reversed(grades()):
        cond = shifted >= g.ratio_min
        if g.ratio_max is not None:
            cond = cond & (shifted < g.ratio_max)
        key_expr = pl.when(cond).then(pl.lit(g.grade)).otherwise(key_expr)
    out = out.with_columns(key_expr.alias("carbon_grade"))
    zh = {g.grade: g.label_zh for g in grades()}
    status = {g.grade: g.status for g in grades()}
    out = out.with_columns(
        col("carbon_grade").replace_strict(zh, default=None).alias("carbon_grade_zh"),
        col("carbon_grade").replace_strict(status, default=None).alias("grade_status"),
    )
    if product is not None:
        bp = {r.grade: r.adjustment_bp for r in pricing_rules() if r.product == product}
        if not bp:
            raise InventoryError.of("product", product, "no pricing rows for this product")
        out = out.with_columns(
            col("carbon_grade")
            .replace_strict(bp, default=None, return_dtype=pl.Int64)
            .alias("pricing_adjustment_bp")
        )
    return out


def enterprise_years(
    enterprises: pl.DataFrame, fuels: pl.DataFrame | None = None
) -> list[EnterpriseYear]:
    """The frame inputs of :func:`account_frame` as :class:`EnterpriseYear` values (one per
    enterprise row, in order), for the scalar path. No validation beyond
    :func:`carbon_account`'s."""
    f = _with_defaults(enterprises, ACCOUNT_FRAME_COLUMNS)
    fuel_rows: dict[tuple[str, int], list[FuelUse]] = {}
    if fuels is not None:
        fl = _with_defaults(fuels, FUEL_FRAME_COLUMNS)
        for r in fl.iter_rows(named=True):
            fuel_rows.setdefault((r["enterprise_id"], r["accounting_year"]), []).append(
                FuelUse(r["fuel"], r["quantity"], r["unit"], r["calorific_basis"] or "ipcc")
            )
    out = []
    for r in f.iter_rows(named=True):

        def amount(name: str, row: dict[str, Any] = r) -> float:
            value = row[name]
            return 0.0 if value is None else value

        instruments: tuple[ContractualInstrument, ...] = ()
        if amount("contract_mwh") > 0:
            instruments = (
                ContractualInstrument(
                    "contract",
                    r["contract_mwh"],
                    "MWh",
                    supplied_factor(
                        r["contract_factor_tco2_per_mwh"],
                        "tCO2/MWh",
                        source=r["contract_factor_source"] or "",
                    ),
                ),
            )
        residual = None
        if r["residual_factor_tco2_per_mwh"] is not None:
            residual = supplied_factor(
                r["residual_factor_tco2_per_mwh"],
                "tCO2/MWh",
                source=r["residual_factor_source"] or "",
            )
        heat: tuple[HeatPurchase, ...] = ()
        if amount("heat_gj") > 0 or r["heat_factor_tco2_per_gj"] is not None:
            factor = None
            if r["heat_factor_tco2_per_gj"] is not None:
                factor = supplied_factor(
                    r["heat_factor_tco2_per_gj"], "tCO2/GJ", source=r["heat_factor_source"] or ""
                )
            heat = (HeatPurchase(amount("heat_gj"), "GJ", factor),)
        out.append(
            EnterpriseYear(
                enterprise_id=r["enterprise_id"],
                accounting_year=r["accounting_year"],
                region=r["region"],
                revenue_10k_cny=r["revenue_10k_cny"],
                industry_code=r["industry_code"],
                output=r["output"],
                output_unit=r["output_unit"],
                fuels=tuple(fuel_rows.get((r["enterprise_id"], r["accounting_year"]), [])),
                process=(ProcessEmission("process", amount("process_tco2e")),),
                electricity=(ElectricityPurchase(amount("electricity_mwh"), "MWh"),),
                instruments=instruments,
                residual_factor=residual,
                heat=heat,
            )
        )
    return out


__all__ = [
    "ACCOUNT_FRAME_COLUMNS",
    "CALORIFIC_BASES",
    "EMISSIONS_UNIT",
    "FUEL_FRAME_COLUMNS",
    "GRADE_TOLERANCE",
    "IPCC_TO_GBT2589",
    "RESIDUAL_MIXES",
    "Benchmark",
    "CarbonAccount",
    "CarbonInputError",
    "ContractualInstrument",
    "ElectricityPurchase",
    "EmissionLine",
    "EnterpriseYear",
    "FuelUse",
    "Grade",
    "GradeResult",
    "HeatPurchase",
    "InventoryError",
    "PricingRule",
    "Problem",
    "ProcessEmission",
    "account_frame",
    "benchmarks",
    "carbon_account",
    "check_amount",
    "check_unit",
    "check_year",
    "combustion_factor",
    "enterprise_years",
    "find_benchmark",
    "find_grade",
    "fuel_lines_frame",
    "grade_account",
    "grade_for_ratio",
    "grade_frame",
    "grades",
    "heat_factor",
    "heat_factor_rows",
    "pricing_adjustment_bp",
    "pricing_rule",
    "pricing_rules",
    "split_per",
    "supplied_factor",
]
