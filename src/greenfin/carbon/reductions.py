"""Project emission reductions (项目碳减排量) by 2025 green-finance catalogue item.

A methodology registry (``reference/data/carbon/reduction_methods.csv``: item code, method id,
formula, parameters, source, status) maps catalogue items such as 4.2.2 太阳能利用设施建设和运营 or
4.2.9 热泵设施建设和运营 to the functions below. Each function is a pure computation of the
**annual** reduction in tCO2e (``baseline − project``), returns every factor it used with its
provenance, and rejects inputs outside its domain with a :class:`ReductionError` naming the field.

Conventions
-----------
- Activity inputs are per year; every quantity comes with its unit, checked by
  :mod:`greenfin.carbon.units` (a ``kWh`` given where ``tce`` is meant is an error, not a factor
  of 1000).
- Factors come from :mod:`greenfin.carbon.factors` (MEE/NBS grid factors, IPCC 2006 fuel
  defaults, GB/T 2589-type standard-coal coefficients), from ``heat_factors.csv`` (uncertain,
  opt-in) or are supplied by the caller with a source
  (:func:`greenfin.carbon.inventory.supplied_factor`). Nothing numeric is spelled here.
- Only CO2 is computed (CH4/N2O factors are not shipped); CO2 is reported as CO2e (GWP 1).
- A reduction is never clamped: a project emitting more than its baseline gets a negative
  figure and a note. Baseline and project emissions are never negative.
- Method ``status`` (registry): ``verified`` — the formula is printed in a cited source;
  ``derived`` — greenfin's composition of verified formulas and factors (documented per method);
  ``uncertain`` — needs values that are not shipped (the function refuses unless they are
  supplied).

The bank's share of a project's reduction (贷款占项目总投资的比例) is applied in
:mod:`greenfin.carbon.cerf`, not here.

References
----------
.. [1] methods.md §5 (grid factors, CCER OM/BM, IPCC 2006 defaults, standard coal, CCER PV
   example) and §8 (DB11/T 3043—2024 low-carbon travel); cerf_and_reduction_methods.md §3
   (绿色信贷项目节能减排量测算指引, 2013).
.. [2] 《绿色金融支持项目目录（2025年版）》 item codes (``greenfin.taxonomy.load_catalogue()``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache
from typing import Any

from greenfin.carbon.factors import (
    GRID_KINDS,
    STATUSES,
    Factor,
    FactorError,
    find_fuel,
    fuel_factor,
    grid_factor,
    standard_coal_coefficient,
)
from greenfin.carbon.inventory import (
    IPCC_TO_GBT2589,
    CarbonInputError,
    FuelUse,
    InventoryError,
    Problem,
    check_amount,
    check_unit,
    check_year,
    combustion_factor,
    split_per,
)
from greenfin.carbon.inventory import heat_factor as configured_heat_factor
from greenfin.carbon.units import (
    ALIASES,
    UnitError,
    apply_factor,
    conversion_factor,
    exact,
    parse_unit,
)
from greenfin.reference import data_rows

EMISSIONS_UNIT = "tCO2e"
METHOD_STATUSES: tuple[str, ...] = ("verified", "derived", "uncertain")

_ELECTRICITY = ("electricity", "电力", "power")
_HEAT = ("heat", "热力", "purchased heat")
_STANDARD_COAL = ("standard_coal", "标准煤", "tce")
_STANDARD_COAL_UNITS = ("kgce", "tce", "10k_tce")
_GBT_TO_IPCC: dict[str, str] = {
    "crude_oil": "crude_oil",
    "gasoline": "motor_gasoline",
    "kerosene": "other_kerosene",
    "diesel": "gas_diesel_oil",
    "fuel_oil": "residual_fuel_oil",
    "lpg": "lpg",
    "natural_gas": "natural_gas",
    "coke": "coke_oven_coke",
}
"""Standard-coal table carrier → IPCC fuel whose EF applies by default (the inverse of
:data:`greenfin.carbon.inventory.IPCC_TO_GBT2589`, 煤油 → other kerosene). 原煤 and 洗精煤 have
none: the caller names the coal type."""


class ReductionError(CarbonInputError):
    """Invalid input to a reduction method, or a method that cannot run with what is shipped;
    ``field`` names the input."""


def _err(field_name: str, value: object, reason: str) -> ReductionError:
    return ReductionError.of(field_name, value, reason)


def _renamed(exc: CarbonInputError, field_name: str) -> ReductionError:
    return ReductionError([Problem(None, field_name, p.message) for p in exc.problems])


def _amount(field_name: str, value: object, *, positive: bool = False) -> Fraction:
    return check_amount(field_name, value, positive=positive, error=ReductionError)


def _unit(field_name: str, unit: object, *dimensions: str) -> str:
    return check_unit(field_name, unit, dimensions, error=ReductionError)


# ---------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class ReductionMethod:
    """One row of ``reduction_methods.csv``: a method registered for a catalogue item."""

    item_code: str
    item_name_zh: str
    method_id: str
    formula: str
    parameters: tuple[str, ...]
    source: str
    edition: str
    status: str
    note: str


@cache
def reduction_methods() -> tuple[ReductionMethod, ...]:
    """The methodology registry (``reduction_methods.csv``), validated: every method id has a
    function in :data:`METHODS` and every listed parameter is one of its keyword arguments."""
    rows = data_rows("carbon", "reduction_methods.csv")
    out = []
    for line, r in enumerate(rows, start=2):
        for column in ("item_code", "method_id", "formula", "source", "edition", "status"):
            if not (r.get(column) or "").strip():
                raise _err(column, "", f"reduction_methods.csv line {line}: empty")
        if r["status"] not in METHOD_STATUSES:
            raise _err("status", r["status"], f"reduction_methods.csv line {line}")
        if r["method_id"] not in METHODS:
            raise _err("method_id", r["method_id"], f"reduction_methods.csv line {line}: no code")
        params = tuple(p.strip() for p in r["parameters"].split(";") if p.strip())
        accepted = _keywords(METHODS[r["method_id"]])
        unknown = [p for p in params if p not in accepted]
        if unknown:
            raise _err("parameters", unknown, f"reduction_methods.csv line {line}: not accepted")
        out.append(
            ReductionMethod(
                item_code=r["item_code"],
                item_name_zh=r["item_name_zh"],
                method_id=r["method_id"],
                formula=r["formula"],
                parameters=params,
                source=r["source"],
                edition=r["edition"],
                status=r["status"],
                note=r["note"],
            )
        )
    return tuple(out)


def _keywords(function: Callable[..., Reduction]) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(function).parameters)


def methods_for(item_code: str) -> tuple[ReductionMethod, ...]:
    """Methods registered for a 2025 catalogue item code (empty when none)."""
    return tuple(m for m in reduction_methods() if m.item_code == str(item_code).strip())


def _registration(method_id: str, item_code: str | None) -> ReductionMethod:
    rows = [m for m in reduction_methods() if m.method_id == method_id]
    if item_code is None:
        return rows[0]
    for m in rows:
        if m.item_code == item_code:
            return m
    raise _err(
        "item_code",
        item_code,
        f"method {method_id} is not registered for this item; registered for "
        f"{[m.item_code for m in rows]}",
    )


# ---------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class Reduction:
    """Annual emission reduction of one project (tCO2e per year).

    ``annual_reduction_tco2e = annual_baseline_tco2e − annual_project_tco2e``; ``factors`` are
    every factor used (value, unit, source, edition, data year, status); ``formula``,
    ``source`` and ``method_status`` come from the registry; ``energy_saved_tce`` is set by the
    energy-efficiency and building methods.
    """

    method_id: str
    item_code: str | None
    annual_reduction_tco2e: float
    annual_baseline_tco2e: float
    annual_project_tco2e: float
    factors: tuple[Factor, ...]
    inputs: dict[str, Any]
    formula: str
    source: str
    method_status: str
    notes: tuple[str, ...] = ()
    energy_saved_tce: float | None = None

    @property
    def uses_uncertain_factor(self) -> bool:
        return any(f.status == "uncertain" for f in self.factors)

    def provenance(self) -> dict[str, Any]:
        """Plain dict for reports and the audit ledger."""
        return {
            "method_id": self.method_id,
            "item_code": self.item_code,
            "annual_reduction_tco2e": self.annual_reduction_tco2e,
            "annual_baseline_tco2e": self.annual_baseline_tco2e,
            "annual_project_tco2e": self.annual_project_tco2e,
            "energy_saved_tce": self.energy_saved_tce,
            "formula": self.formula,
            "source": self.source,
            "method_status": self.method_status,
            "inputs": self.inputs,
            "factors": [f.provenance() for f in self.factors],
            "uses_uncertain_factor": self.uses_uncertain_factor,
            "notes": list(self.notes),
        }


def _result(
    method_id: str,
    item_code: str | None,
    baseline: Fraction,
    project: Fraction,
    factors: Sequence[Factor],
    inputs: dict[str, Any],
    notes: Sequence[str] = (),
    tce: Fraction | None = None,
    *,
    co2_only: bool = True,
) -> Reduction:
    reg = _registration(method_id, item_code)
    distinct: list[Factor] = []
    for f in factors:
        if f not in distinct:
            distinct.append(f)
    out_notes = list(notes)
    reduction = baseline - project
    if reduction < 0:
        out_notes.append("negative: the project emits more than its baseline")
    if any(f.status == "uncertain" for f in distinct):
        out_notes.append("uses at least one factor with status 'uncertain'")
    if co2_only:
        out_notes.append("CO2 only (CH4/N2O factors not shipped); CO2 reported as CO2e")
    return Reduction(
        method_id=method_id,
        item_code=item_code,
        annual_reduction_tco2e=float(reduction),
        annual_baseline_tco2e=float(baseline),
        annual_project_tco2e=float(project),
        factors=tuple(distinct),
        inputs=inputs,
        formula=reg.formula,
        source=reg.source,
        method_status=reg.status,
        notes=tuple(out_notes),
        energy_saved_tce=float(tce) if tce is not None else None,
    )


def _emissions(amount: Fraction, unit: str, factor: Factor, field_name: str) -> Fraction:
    """``amount × factor`` in tCO2e (exact), naming ``field_name`` on a unit mismatch."""
    try:
        value = apply_factor(amount, unit, exact(factor.value), factor.unit, EMISSIONS_UNIT)
    except UnitError as exc:
        raise _err(field_name, factor.unit, exc.reason) from None
    return Fraction(value)


def _check_item(item_code: str | None) -> str | None:
    if item_code is None:
        return None
    text = str(item_code).strip()
    if not methods_for(text):
        raise _err("item_code", item_code, "no reduction method is registered for this item")
    return text


# ---------------------------------------------------------------------------------------------
# factor helpers


def _supplied(field_name: str, factor: object, *dimensions: str) -> Factor:
    """A caller-supplied factor whose unit has one of ``dimensions``."""
    if not isinstance(factor, Factor):
        raise _err(field_name, factor, "must be a Factor (see inventory.supplied_factor)")
    try:
        dim = parse_unit(factor.unit).dimension_name
    except UnitError as exc:
        raise _err(field_name, factor.unit, exc.reason) from None
    if dim not in dimensions:
        raise _err(field_name, factor.unit, f"is {dim}, expected {' or '.join(dimensions)}")
    return factor


def _electricity_factor(
    *,
    region: str | None,
    year: int | None,
    grid_kind: str,
    as_of: date | None,
    include_uncertain: bool,
    supplied: Factor | None,
    supplied_field: str = "electricity_factor",
) -> Factor:
    """The grid factor (tCO2/MWh) for ``region`` and ``year``, or the supplied one."""
    if supplied is not None:
        return _supplied(supplied_field, supplied, "co2/energy", "co2e/energy")
    if grid_kind not in GRID_KINDS:
        raise _err("grid_kind", grid_kind, f"not one of {list(GRID_KINDS)}")
    if region is None or not str(region).strip():
        raise _err("region", region, f"required for the grid factor (or give {supplied_field})")
    check_year("year", year, error=ReductionError)
    assert year is not None
    try:
        return grid_factor(
            grid_kind,
            region,
            year,
            as_of=as_of,
            include_uncertain=include_uncertain,
            unit="tCO2/MWh",
        )
    except FactorError as exc:
        field_name = {"accounting_year": "year"}.get(exc.field, exc.field)
        raise _err(field_name, exc.value, exc.reason) from None


def _heat_factor(
    *, region: str | None, year: int | None, include_uncertain: bool, supplied: Factor | None
) -> Factor:
    if supplied is not None:
        return _supplied("heat_factor", supplied, "co2/energy", "co2e/energy")
    try:
        return configured_heat_factor(
            region or "national", year, include_uncertain=include_uncertain
        )
    except InventoryError as exc:
        raise _renamed(exc, "heat_factor") from None


# ---------------------------------------------------------------------------------------------
# energy flows → tce and CO2


@dataclass(frozen=True)
class EnergyFlow:
    """An annual quantity of one energy carrier saved (or newly consumed) by a project.

    ``carrier``: ``electricity`` (电力), ``heat`` (热力), ``standard_coal`` (标准煤, quantity in
    ``tce``-type units), an IPCC fuel (``diesel``, ``天然气`` …) or a carrier of the standard-coal
    table (``raw_coal`` 原煤, ``washed_coal`` 洗精煤). ``fuel``: the IPCC fuel whose CO2 factor
    applies — required for 原煤 / 洗精煤 / 标准煤 (not one IPCC fuel), optional otherwise.
    """

    carrier: str
    quantity: float
    unit: str
    fuel: str | None = None


@dataclass
class _Context:
    region: str | None
    year: int | None
    grid_kind: str
    as_of: date | None
    include_uncertain: bool
    electricity_factor: Factor | None
    heat_factor: Factor | None

    def electricity(self) -> Factor:
        return _electricity_factor(
            region=self.region,
            year=self.year,
            grid_kind=self.grid_kind,
            as_of=self.as_of,
            include_uncertain=self.include_uncertain,
            supplied=self.electricity_factor,
        )

    def heat(self) -> Factor:
        return _heat_factor(
            region=self.region,
            year=self.year,
            include_uncertain=self.include_uncertain,
            supplied=self.heat_factor,
        )


def _carrier(where: str, flow: EnergyFlow) -> tuple[str, str | None, str | None]:
    """``(kind, standard-coal key, IPCC fuel key)`` of a flow's carrier."""
    text = str(flow.carrier).strip()
    if not text:
        raise _err(f"{where}.carrier", flow.carrier, "missing")
    if text.lower() in _ELECTRICITY:
        return "electricity", "electricity", None
    if text.lower() in _HEAT:
        return "heat", "heat", None
    if text.lower() in _STANDARD_COAL:
        return "standard_coal", None, None
    try:
        key = find_fuel(text)
        return "fuel", IPCC_TO_GBT2589.get(key), key
    except FactorError:
        pass
    try:
        coefficient = standard_coal_coefficient(text)
    except FactorError:
        raise _err(
            f"{where}.carrier",
            flow.carrier,
            "unknown carrier: electricity, heat, standard_coal, an IPCC fuel or a standard-coal "
            "table carrier (原煤, 洗精煤 …)",
        ) from None
    return "fuel", coefficient.subject, _GBT_TO_IPCC.get(coefficient.subject)


def _flow(where: str, flow: EnergyFlow, ctx: _Context) -> tuple[Fraction, Fraction, list[Factor]]:
    """``(tCO2e, tce, factors)`` of one flow.

    - electricity: ``E × EF_grid``; tce at the calorific equivalent (1 kWh = 3.6 MJ,
      1 kgce = 29.307 MJ — exact by definition; the 等价值 rows are uncertain and unused);
      standard-coal units are refused (当量/等价 ambiguous).
    - heat: ``H × EF_heat``; tce by definition.
    - fuel: tce = quantity × 折标准煤系数 (or exact for an energy unit); CO2 = tce × 29.307 GJ/tce
      × IPCC EF (energy basis).
    - standard_coal: CO2 = tce × IPCC EF of ``fuel``.
    """
    if not isinstance(flow, EnergyFlow):
        raise _err(where, flow, "must be an EnergyFlow")
    kind, gbt, ipcc = _carrier(where, flow)
    amount = _amount(f"{where}.quantity", flow.quantity)
    if kind == "fuel" and gbt is not None:
        _unit(f"{where}.unit", flow.unit, "energy", "mass", "volume")
    elif kind == "fuel":
        _unit(f"{where}.unit", flow.unit, "energy", "mass", "volume")
        if parse_unit(flow.unit).dimension_name != "energy":
            raise _err(
                f"{where}.unit",
                flow.unit,
                f"no standard-coal coefficient is shipped for {ipcc}; give the saving in an "
                "energy unit (GJ, tce)",
            )
    else:
        _unit(f"{where}.unit", flow.unit, "energy")
    factors: list[Factor] = []
    if kind in ("electricity", "heat"):
        if kind == "electricity" and ALIASES.get(flow.unit, flow.unit) in _STANDARD_COAL_UNITS:
            raise _err(
                f"{where}.unit",
                flow.unit,
                "electricity in standard coal is ambiguous (当量值 or 等价值); give kWh or MWh",
            )
        factor = ctx.electricity() if kind == "electricity" else ctx.heat()
        tce = amount * conversion_factor(flow.unit, "tce")
        co2 = _emissions(amount, flow.unit, factor, f"{where}.unit")
        return co2, tce, [factor]
    # fuels and standard coal: quantity → tce
    if parse_unit(flow.unit).dimension_name == "energy":
        tce = amount * conversion_factor(flow.unit, "tce")
    else:
        assert gbt is not None
        coefficient = standard_coal_coefficient(gbt)
        try:
            tce = Fraction(
                apply_factor(amount, flow.unit, exact(coefficient.value), coefficient.unit, "tce")
            )
        except UnitError:
            raise _err(
                f"{where}.unit",
                flow.unit,
                f"the standard-coal coefficient of {gbt} is per "
                f"{parse_unit(coefficient.unit).dimension_name.split('/')[-1]}; give that "
                "dimension or an energy unit",
            ) from None
        factors.append(coefficient)
    fuel_name = flow.fuel or ipcc
    if fuel_name is None:
        raise _err(
            f"{where}.fuel",
            flow.fuel,
            f"{flow.carrier} is not one IPCC fuel; name the fuel whose CO2 factor applies "
            "(e.g. other_bituminous_coal)",
        )
    try:
        ef = fuel_factor(fuel_name, "tce", emissions_unit="tCO2")
    except FactorError as exc:
        raise _err(f"{where}.fuel", fuel_name, exc.reason) from None
    factors.append(ef)
    return _emissions(tce, "tce", ef, f"{where}.fuel"), tce, factors


def _flows(
    name: str, flows: Sequence[EnergyFlow], ctx: _Context
) -> tuple[Fraction, Fraction, list[Factor]]:
    if isinstance(flows, EnergyFlow) or not isinstance(flows, Sequence):
        raise _err(name, flows, "must be a sequence of EnergyFlow")
    co2 = tce = Fraction(0)
    factors: list[Factor] = []
    for i, flow in enumerate(flows):
        c, t, f = _flow(f"{name}[{i}]", flow, ctx)
        co2 += c
        tce += t
        factors += f
    return co2, tce, factors


def _flow_inputs(flows: Sequence[EnergyFlow]) -> list[dict[str, Any]]:
    return [
        {"carrier": f.carrier, "quantity": f.quantity, "unit": f.unit, "fuel": f.fuel}
        for f in flows
    ]


# ---------------------------------------------------------------------------------------------
# methods


def renewable_power(
    *,
    generation: float,
    unit: str = "MWh",
    region: str | None = None,
    year: int | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    baseline_factor: Factor | None = None,
    project_tco2e: float = 0.0,
    item_code: str | None = None,
) -> Reduction:
    """Grid power displaced by renewable generation (wind, solar, biomass, hydro, geothermal,
    ocean, building PV).

    .. math:: ER = EG \\times EF_{grid} - PE

    Parameters
    ----------
    generation : float
        EG, annual net generation supplied (对外供电量) [``unit``, energy].
    region, year
        Grid region / province / ``national`` and the year whose factor applies (data-year
        rule of :func:`greenfin.carbon.factors.grid_factor`).
    grid_kind
        ``average`` (电力平均, default, greenfin's choice), ``fossil``,
        ``average_excl_market_nonfossil`` or ``ets_grid_average``.
    baseline_factor
        A supplied baseline factor [tCO2/MWh-type] replacing the grid factor, e.g. the
        combined margin of a CCER project design document.
    project_tco2e
        PE, project emissions stated by the caller [tCO2e/yr], default 0.

    Returns
    -------
    Reduction
        tCO2e per year with the factor used.

    Source: CCER PV example ``1 MW × 1,100 h × 0.7 tCO2/MWh`` (methods.md §5.5); 对外供电量 as the
    activity (2013 绿色信贷项目节能减排量测算指引); MEE/NBS grid factors (methods.md §5.1).

    Raises
    ------
    ReductionError
        ``generation`` missing/negative, ``unit`` not energy, ``region`` / ``year`` missing or
        without factor, ``grid_kind`` unknown, ``baseline_factor`` of the wrong unit,
        ``project_tco2e`` negative, ``item_code`` not registered.
    """
    item = _check_item(item_code)
    eg = _amount("generation", generation)
    _unit("unit", unit, "energy")
    pe = _amount("project_tco2e", project_tco2e)
    factor = _electricity_factor(
        region=region,
        year=year,
        grid_kind=grid_kind,
        as_of=as_of,
        include_uncertain=include_uncertain,
        supplied=baseline_factor,
        supplied_field="baseline_factor",
    )
    baseline = _emissions(eg, unit, factor, "unit")
    inputs = {
        "generation": generation,
        "unit": unit,
        "region": region,
        "year": year,
        "grid_kind": grid_kind if baseline_factor is None else "supplied",
        "project_tco2e": project_tco2e,
    }
    return _result("renewable_power", item, baseline, pe, [factor], inputs)


def renewable_power_combined_margin(
    *,
    generation: float,
    unit: str = "MWh",
    om_factor: Factor | None = None,
    bm_factor: Factor | None = None,
    w_om: float | None = None,
    w_bm: float | None = None,
    project_tco2e: float = 0.0,
    item_code: str | None = None,
) -> Reduction:
    """CCER-style combined-margin baseline for grid-connected renewable power.

    .. math:: ER = EG \\times (w_{OM} EF_{OM} + w_{BM} EF_{BM}) - PE

    **Nothing is shipped for this method**: the CCER regional OM/BM factors were not found
    (methods.md §5.2) and the CDM weights (0.75/0.25 for wind and solar, 0.5/0.5 otherwise) are
    unverified recall. The caller must supply ``om_factor`` and ``bm_factor`` (tCO2/MWh-type,
    with source) and ``w_om`` + ``w_bm`` = 1; otherwise the method refuses.

    Source: CCER 减排项目中国区域电网二氧化碳基准线排放因子 OM calculation note (simple OM,
    option B; methods.md §5.2, 345wk.com/doc/25114.html).

    Raises
    ------
    ReductionError
        ``om_factor`` / ``bm_factor`` missing ("not shipped"), ``w_om`` / ``w_bm`` missing,
        outside [0, 1] or not summing to 1, plus the input errors of :func:`renewable_power`.
    """
    item = _check_item(item_code)
    eg = _amount("generation", generation)
    _unit("unit", unit, "energy")
    pe = _amount("project_tco2e", project_tco2e)
    for name, value in (("om_factor", om_factor), ("bm_factor", bm_factor)):
        if value is None:
            raise _err(
                name,
                None,
                "CCER OM/BM grid baseline factors are not shipped (their published values were "
                "not found, methods.md §5.2); supply om_factor and bm_factor from the "
                "《减排项目中国区域电网基准线排放因子》 with their source, or use renewable_power",
            )
    om = _supplied("om_factor", om_factor, "co2/energy", "co2e/energy").to("tCO2/MWh")
    bm = _supplied("bm_factor", bm_factor, "co2/energy", "co2e/energy").to("tCO2/MWh")
    weights = []
    for name, w in (("w_om", w_om), ("w_bm", w_bm)):
        if w is None:
            raise _err(
                name,
                None,
                "combined-margin weights are not shipped (the CDM tool values are unverified "
                "recall, methods.md §5.2); supply w_om and w_bm",
            )
        value = _amount(name, w)
        if value > 1:
            raise _err(name, w, "must be within [0, 1]")
        weights.append(value)
    if weights[0] + weights[1] != 1:
        raise _err("w_bm", w_bm, f"w_om + w_bm must equal 1, got {float(sum(weights)):g}")
    value = weights[0] * exact(om.value) + weights[1] * exact(bm.value)
    cm = Factor(
        kind="combined_margin",
        region="supplied",
        data_year=om.data_year,
        value=float(value),
        unit="tCO2/MWh",
        source=f"OM: {om.source}; BM: {bm.source}",
        edition=f"OM: {om.edition}; BM: {bm.edition}",
        effective_from=None,
        status=max(om.status, bm.status, "derived", key=STATUSES.index),
        derivation=f"{float(weights[0]):g} × OM {om.value:g} + {float(weights[1]):g} × BM "
        f"{bm.value:g} tCO2/MWh",
    )
    baseline = _emissions(eg, unit, cm, "unit")
    inputs = {
        "generation": generation,
        "unit": unit,
        "w_om": w_om,
        "w_bm": w_bm,
        "project_tco2e": project_tco2e,
    }
    return _result("renewable_power_combined_margin", item, baseline, pe, [om, bm, cm], inputs)


def energy_efficiency(
    *,
    saved: Sequence[EnergyFlow],
    added: Sequence[EnergyFlow] = (),
    region: str | None = None,
    year: int | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    electricity_factor: Factor | None = None,
    heat_factor: Factor | None = None,
    item_code: str | None = None,
) -> Reduction:
    """Energy-saving retrofits (boilers, motor systems, grid losses, waste heat, lighting,
    building retrofits): energy saved → tce → CO2.

    .. math:: ER = \\sum_i S_i \\, EF_i - \\sum_j A_j \\, EF_j

    Conversion of each carrier (``saved`` S, ``added`` A — e.g. the electricity a retrofit
    newly draws):

    - fuel [t, m³ …] → tce with the GB/T 2589-type 折标准煤系数 (e.g. 原煤 0.7143 kgce/kg,
      天然气 12.143 tce/10⁴ m³); an energy unit converts exactly (1 kgce = 29.307 MJ);
    - tce → CO2 with the IPCC 2006 Table 1.4 EF of the fuel on the energy basis
      (``tce × 29.307 GJ/tce × EF kgCO2/TJ``), e.g. other bituminous coal 2.7724 tCO2/tce;
    - electricity [MWh] × grid factor [tCO2/MWh]; heat [GJ] × heat factor [tCO2/GJ].

    ``energy_saved_tce`` = Σ S − Σ A in standard coal, electricity and heat at their calorific
    equivalent (当量值, exact by definition). A fuel saving goes through tce on purpose (the
    2013 guideline's 节约标准煤量 indicator): 1 t diesel = 1.4571 tce → 3.164 tCO2, slightly less
    than the 3.1863 tCO2 of the IPCC NCV path the enterprise inventory uses.

    Source: 绿色信贷项目节能减排量测算指引 (2013; indicators and GB/T 2589 basis); standard-coal
    coefficients and IPCC EFs (methods.md §5.3); grid factors (methods.md §5.1).

    Raises
    ------
    ReductionError
        ``saved[i].quantity`` / ``.unit`` / ``.carrier`` / ``.fuel`` (and ``added[j]…``),
        ``region`` / ``year`` when electricity needs a grid factor, ``heat_factor`` when heat
        has no certain factor.
    """
    item = _check_item(item_code)
    ctx = _Context(
        region, year, grid_kind, as_of, include_uncertain, electricity_factor, heat_factor
    )
    b_co2, b_tce, b_f = _flows("saved", saved, ctx)
    p_co2, p_tce, p_f = _flows("added", added, ctx)
    inputs = {
        "saved": _flow_inputs(saved),
        "added": _flow_inputs(added),
        "region": region,
        "year": year,
        "grid_kind": grid_kind,
    }
    return _result("energy_efficiency", item, b_co2, p_co2, b_f + p_f, inputs, tce=b_tce - p_tce)


def green_building(
    *,
    floor_area_m2: float,
    baseline_intensity: float,
    project_intensity: float,
    intensity_unit: str = "kWh/m2",
    carrier: str = "electricity",
    fuel: str | None = None,
    region: str | None = None,
    year: int | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    electricity_factor: Factor | None = None,
    heat_factor: Factor | None = None,
    item_code: str | None = None,
) -> Reduction:
    """Green / ultra-low-energy buildings: energy saving against a baseline intensity.

    .. math:: ER = A \\times (I_{baseline} - I_{project}) \\times EF

    Parameters
    ----------
    floor_area_m2 : float
        A, floor area [m²] (> 0).
    baseline_intensity, project_intensity : float
        Annual energy use per m² of one ``carrier`` [``intensity_unit``]; the baseline is a
        caller input (e.g. the reference building of the applicable design standard) — none is
        shipped.
    intensity_unit : str
        An energy unit per ``m2``: ``kWh/m2``, ``GJ/m2``, ``kgce/m2`` (not for electricity).
    carrier, fuel
        As :class:`EnergyFlow`; EF and the tce conversion as :func:`energy_efficiency`.

    Source: catalogue 2025 items 6.1.x (star-rated green buildings; GB/T 51350); conversion as
    :func:`energy_efficiency` (standard coal and IPCC 2006, methods.md §5.3; grid factors,
    methods.md §5.1). Registry status ``derived``. A project above its baseline gives a negative
    reduction.

    Raises
    ------
    ReductionError
        ``floor_area_m2`` not > 0, intensities missing/negative, ``intensity_unit`` not
        energy/m2, plus the carrier errors of :func:`energy_efficiency` under
        ``baseline_intensity`` / ``project_intensity``.
    """
    item = _check_item(item_code)
    area = _amount("floor_area_m2", floor_area_m2, positive=True)
    ib = _amount("baseline_intensity", baseline_intensity)
    ip = _amount("project_intensity", project_intensity)
    if not isinstance(intensity_unit, str):
        raise _err("intensity_unit", intensity_unit, "missing unit")
    energy_unit, per = split_per(intensity_unit)
    if per != "m2":
        raise _err("intensity_unit", intensity_unit, "must be an energy unit per m2 (kWh/m2)")
    _unit("intensity_unit", energy_unit, "energy")
    ctx = _Context(
        region, year, grid_kind, as_of, include_uncertain, electricity_factor, heat_factor
    )
    try:
        b_co2, b_tce, b_f = _flow(
            "baseline", EnergyFlow(carrier, area * ib, energy_unit, fuel), ctx
        )
        p_co2, p_tce, p_f = _flow("project", EnergyFlow(carrier, area * ip, energy_unit, fuel), ctx)
    except ReductionError as exc:
        field_name = exc.field.replace("baseline.", "").replace("project.", "")
        renamed = {"unit": "intensity_unit", "quantity": "baseline_intensity"}.get(
            field_name, field_name
        )
        raise _renamed(exc, renamed) from None
    inputs = {
        "floor_area_m2": floor_area_m2,
        "baseline_intensity": baseline_intensity,
        "project_intensity": project_intensity,
        "intensity_unit": intensity_unit,
        "carrier": carrier,
        "fuel": fuel,
        "region": region,
        "year": year,
    }
    return _result("green_building", item, b_co2, p_co2, b_f + p_f, inputs, tce=b_tce - p_tce)


def vehicle_substitution(
    *,
    distance_km: float,
    baseline_fuel: str,
    baseline_fuel_per_100km: float,
    baseline_fuel_unit: str,
    electricity_per_100km: float,
    electricity_unit: str = "kWh",
    fuel_density: Factor | None = None,
    region: str | None = None,
    year: int | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    electricity_factor: Factor | None = None,
    item_code: str | None = None,
) -> Reduction:
    """Battery-electric vehicles (NEV purchase, electric buses, vehicles served by charging
    infrastructure) replacing fossil-fuelled vehicles.

    .. math:: ER = D \\times \\left(\\frac{FC_b}{100} EF_{fuel} - \\frac{EC_p}{100} EF_{grid}
       \\right)

    Parameters
    ----------
    distance_km : float
        D, annual vehicle-km of the fleet [km].
    baseline_fuel : str
        IPCC fuel of the replaced vehicle (``gasoline``, ``diesel``, ``natural_gas``, ``lpg``).
    baseline_fuel_per_100km, baseline_fuel_unit
        FC_b, fuel per 100 km in a mass (``kg``) or energy (``MJ``) unit; a volume (``L``) only
        with ``fuel_density`` (a supplied ``kg/L``-type factor) — no densities are shipped.
    electricity_per_100km, electricity_unit
        EC_p, electricity per 100 km including charging losses [``kWh``].

    EF_fuel: IPCC 2006 (mass: EF × NCV; energy: EF). EF_grid: grid factor of ``region`` /
    ``year`` or ``electricity_factor``. A dirty grid can make the reduction negative.

    Source: structure ER = BE − PE of DB11/T 3043—2024 (methods.md §8.2); IPCC 2006 defaults
    (methods.md §5.3); MEE/NBS grid factors (methods.md §5.1). Registry status ``derived``.

    Raises
    ------
    ReductionError
        ``distance_km``, ``baseline_fuel_per_100km``, ``electricity_per_100km`` missing or
        negative; ``baseline_fuel`` unknown; ``baseline_fuel_unit`` a volume without
        ``fuel_density`` or not mass/energy/volume; ``electricity_unit`` not energy;
        ``fuel_density`` not mass/volume; ``region`` / ``year``.
    """
    item = _check_item(item_code)
    d = _amount("distance_km", distance_km)
    fc = _amount("baseline_fuel_per_100km", baseline_fuel_per_100km)
    ec = _amount("electricity_per_100km", electricity_per_100km)
    _unit("baseline_fuel_unit", baseline_fuel_unit, "mass", "energy", "volume")
    _unit("electricity_unit", electricity_unit, "energy")
    try:
        fuel_key = find_fuel(baseline_fuel)
    except FactorError as exc:
        raise _err("baseline_fuel", baseline_fuel, exc.reason) from None
    fuel_amount = d / 100 * fc
    fuel_unit = baseline_fuel_unit
    factors: list[Factor] = []
    if parse_unit(baseline_fuel_unit).dimension_name == "volume":
        if fuel_density is None:
            raise _err(
                "baseline_fuel_unit",
                baseline_fuel_unit,
                "a fuel volume needs a density, which is not shipped; give kg or MJ per 100 km, "
                "or supply fuel_density (kg/L) with its source",
            )
        density = _supplied("fuel_density", fuel_density, "mass/volume")
        try:
            fuel_amount = Fraction(
                apply_factor(
                    fuel_amount, baseline_fuel_unit, exact(density.value), density.unit, "kg"
                )
            )
        except UnitError as exc:
            raise _err("fuel_density", density.unit, exc.reason) from None
        fuel_unit = "kg"
        factors.append(density)
    ef_fuel = fuel_factor(fuel_key, fuel_unit, emissions_unit="tCO2")
    factors.append(ef_fuel)
    grid = _electricity_factor(
        region=region,
        year=year,
        grid_kind=grid_kind,
        as_of=as_of,
        include_uncertain=include_uncertain,
        supplied=electricity_factor,
    )
    factors.append(grid)
    baseline = _emissions(fuel_amount, fuel_unit, ef_fuel, "baseline_fuel_unit")
    project = _emissions(d / 100 * ec, electricity_unit, grid, "electricity_unit")
    inputs = {
        "distance_km": distance_km,
        "baseline_fuel": fuel_key,
        "baseline_fuel_per_100km": baseline_fuel_per_100km,
        "baseline_fuel_unit": baseline_fuel_unit,
        "electricity_per_100km": electricity_per_100km,
        "electricity_unit": electricity_unit,
        "region": region,
        "year": year,
    }
    notes = ["battery-electric only; fuel-cell vehicles need a hydrogen factor (not shipped)"]
    return _result("vehicle_substitution", item, baseline, project, factors, inputs, notes)


def modal_shift(
    *,
    passenger_km: float,
    baseline_factor: Factor,
    project_factor: Factor,
    item_code: str | None = None,
) -> Reduction:
    """Passengers shifted from a high-carbon mode (private car, taxi) to public transport.

    .. math:: ER = PKM \\times (EF_{baseline} - EF_{project})

    Parameters
    ----------
    passenger_km : float
        PKM, annual passenger-km shifted.
    baseline_factor, project_factor : Factor
        Emissions per passenger-km, supplied with their source (unit ``kgCO2/pkm``,
        ``gCO2/pkm`` …; build them with :func:`greenfin.carbon.inventory.supplied_factor`).
        The per-mode factor values of the Beijing method were not found, so none is shipped.

    Source: DB11/T 3043—2024 (BE = Σ EF_i × BD_i, PE = Σ EF_k × PD_k, ER = BE − PE) and the
    reduction-factor × distance approach (methods.md §8.2). Worked example (methods.md §8.3):
    22 km at 0.2718 vs 0.0614 kgCO2/pkm → 5.98 − 1.35 = 4.63 kg.

    Raises
    ------
    ReductionError
        ``passenger_km`` missing/negative; a factor missing or not an emissions mass per
        ``pkm``.
    """
    item = _check_item(item_code)
    pkm = _amount("passenger_km", passenger_km)
    results = []
    for name, factor in (("baseline_factor", baseline_factor), ("project_factor", project_factor)):
        if not isinstance(factor, Factor):
            raise _err(name, factor, "required: a supplied factor per passenger-km (not shipped)")
        numerator, per = split_per(factor.unit)
        if per != "pkm":
            raise _err(name, factor.unit, "must be an emissions mass per pkm (kgCO2/pkm)")
        try:
            if parse_unit(numerator).dimension_name not in ("co2", "co2e"):
                raise _err(name, factor.unit, "numerator must be a CO2 or CO2e mass")
        except UnitError as exc:
            raise _err(name, factor.unit, exc.reason) from None
        scale = conversion_factor(numerator, EMISSIONS_UNIT)
        results.append(pkm * exact(factor.value) * scale)
    inputs = {"passenger_km": passenger_km}
    return _result(
        "modal_shift",
        item,
        results[0],
        results[1],
        [baseline_factor, project_factor],
        inputs,
        co2_only=False,
    )


def heat_substitution(
    *,
    heat_delivered: float,
    baseline_fuel: str,
    boiler_efficiency: float | None = None,
    heat_unit: str = "GJ",
    electricity: float | None = None,
    electricity_unit: str = "MWh",
    cop: float | None = None,
    region: str | None = None,
    year: int | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    electricity_factor: Factor | None = None,
    item_code: str | None = None,
) -> Reduction:
    """Heat pumps and geothermal heat replacing coal- or gas-fired heating.

    .. math:: ER = \\frac{Q}{\\eta} EF_{fuel} - E_{el} \\, EF_{grid},
       \\qquad E_{el} = \\text{measured or } Q / COP

    Parameters
    ----------
    heat_delivered : float
        Q, useful heat delivered per year [``heat_unit``, energy].
    baseline_fuel : str
        IPCC fuel of the displaced boiler (``other_bituminous_coal``, ``natural_gas`` …).
    boiler_efficiency : float
        η of the displaced boiler, in (0, 1]; required (none shipped). 1 is the conservative
        choice (smallest baseline).
    electricity, electricity_unit
        E_el, electricity drawn by the heat pump or the geothermal circulation pumps; or
    cop : float
        Seasonal coefficient of performance (> 0), E_el = Q / COP. Give exactly one.

    EF_fuel: IPCC 2006 Table 1.4 (energy basis).

    Source: baseline = the fossil fuel giving the same heat, as the 2013 guideline does for
    natural-gas projects (「以煤炭燃烧产生相等发热量的二氧化碳作为基准线排放」,
    cerf_and_reduction_methods.md §3), generalised by greenfin (registry status ``derived``);
    IPCC 2006 defaults (methods.md §5.3); MEE/NBS grid factors (methods.md §5.1).

    Raises
    ------
    ReductionError
        ``heat_delivered`` missing/negative, ``heat_unit`` not energy, ``baseline_fuel``
        unknown, ``boiler_efficiency`` missing or outside (0, 1], ``electricity`` / ``cop``
        both or neither given, ``cop`` not > 0, ``region`` / ``year``.
    """
    item = _check_item(item_code)
    q = _amount("heat_delivered", heat_delivered)
    _unit("heat_unit", heat_unit, "energy")
    try:
        fuel_key = find_fuel(baseline_fuel)
    except FactorError as exc:
        raise _err("baseline_fuel", baseline_fuel, exc.reason) from None
    if boiler_efficiency is None:
        raise _err(
            "boiler_efficiency",
            None,
            "required: efficiency of the displaced boiler in (0, 1] (none shipped; 1 is the "
            "conservative choice)",
        )
    eta = _amount("boiler_efficiency", boiler_efficiency, positive=True)
    if eta > 1:
        raise _err("boiler_efficiency", boiler_efficiency, "must be within (0, 1]")
    if (electricity is None) == (cop is None):
        raise _err(
            "electricity",
            electricity,
            "give exactly one of electricity (measured) or cop (electricity = heat / COP)",
        )
    if cop is not None:
        c = _amount("cop", cop, positive=True)
        e_el = q / c * conversion_factor(heat_unit, "MWh")
    else:
        _unit("electricity_unit", electricity_unit, "energy")
        e_el = _amount("electricity", electricity) * conversion_factor(electricity_unit, "MWh")
    ef_fuel = fuel_factor(fuel_key, heat_unit, emissions_unit="tCO2")
    baseline = _emissions(q / eta, heat_unit, ef_fuel, "heat_unit")
    factors = [ef_fuel]
    if e_el > 0:
        grid = _electricity_factor(
            region=region,
            year=year,
            grid_kind=grid_kind,
            as_of=as_of,
            include_uncertain=include_uncertain,
            supplied=electricity_factor,
        )
        factors.append(grid)
        project = _emissions(e_el, "MWh", grid, "electricity_unit")
    else:
        project = Fraction(0)
    inputs = {
        "heat_delivered": heat_delivered,
        "heat_unit": heat_unit,
        "baseline_fuel": fuel_key,
        "boiler_efficiency": boiler_efficiency,
        "electricity_mwh": float(e_el),
        "cop": cop,
        "region": region,
        "year": year,
    }
    return _result("heat_substitution", item, baseline, project, factors, inputs)


def waste_to_energy(
    *,
    electricity_exported: float,
    waste_fossil_co2_tco2: float | None = None,
    unit: str = "MWh",
    region: str | None = None,
    year: int | None = None,
    auxiliary_fuels: Sequence[FuelUse] = (),
    heat_exported: float = 0.0,
    heat_unit: str = "GJ",
    heat_factor: Factor | None = None,
    grid_kind: str = "average",
    as_of: date | None = None,
    include_uncertain: bool = False,
    electricity_factor: Factor | None = None,
    item_code: str | None = None,
) -> Reduction:
    """Municipal-waste incineration with energy recovery (垃圾焚烧发电/供热).

    .. math:: ER = EG_{export} EF_{grid} + H_{export} EF_{heat} - PE_{fossil\\,waste}
       - \\sum_k FC_k EF_k

    Parameters
    ----------
    electricity_exported : float
        EG, net electricity exported [``unit``].
    waste_fossil_co2_tco2 : float
        PE, CO2 from the fossil carbon (plastics, rubber) of the waste burnt [tCO2/yr];
        **required** — no fossil-carbon fraction is shipped; state 0 only if justified.
    auxiliary_fuels : sequence of FuelUse
        Fossil fuel co-fired or used for start-up (IPCC 2006 defaults).
    heat_exported, heat_unit, heat_factor
        Heat exported and its displaced-heat factor (supplied, or ``heat_factors.csv``, which
        only has an uncertain row usable with ``include_uncertain=True``).

    Avoided landfill methane is **not** computed (first-order-decay parameters not shipped).

    Source: displaced-power baseline as :func:`renewable_power` (CCER example, methods.md §5.5;
    MEE/NBS grid factors, methods.md §5.1); auxiliary fuel CO2 from the IPCC 2006 defaults
    (methods.md §5.3). The formula is greenfin's composition (registry status ``derived``).

    Raises
    ------
    ReductionError
        ``electricity_exported`` / ``heat_exported`` missing or negative, units not energy,
        ``waste_fossil_co2_tco2`` missing or negative, ``auxiliary_fuels[k]…``,
        ``heat_factor`` without a certain factor, ``region`` / ``year``.
    """
    item = _check_item(item_code)
    eg = _amount("electricity_exported", electricity_exported)
    _unit("unit", unit, "energy")
    h = _amount("heat_exported", heat_exported)
    _unit("heat_unit", heat_unit, "energy")
    if waste_fossil_co2_tco2 is None:
        raise _err(
            "waste_fossil_co2_tco2",
            None,
            "required: CO2 from fossil carbon in the waste burnt (no fossil-carbon fraction is "
            "shipped); state 0 only if measured or justified",
        )
    pe_waste = _amount("waste_fossil_co2_tco2", waste_fossil_co2_tco2)
    factors: list[Factor] = []
    baseline = Fraction(0)
    if eg > 0:
        grid = _electricity_factor(
            region=region,
            year=year,
            grid_kind=grid_kind,
            as_of=as_of,
            include_uncertain=include_uncertain,
            supplied=electricity_factor,
        )
        factors.append(grid)
        baseline += _emissions(eg, unit, grid, "unit")
    if h > 0:
        heat = _heat_factor(
            region=region, year=year, include_uncertain=include_uncertain, supplied=heat_factor
        )
        factors.append(heat)
        baseline += _emissions(h, heat_unit, heat, "heat_unit")
    project = pe_waste
    aux_inputs = []
    for i, use in enumerate(auxiliary_fuels):
        where = f"auxiliary_fuels[{i}]"
        if not isinstance(use, FuelUse):
            raise _err(where, use, "must be a FuelUse")
        amount = _amount(f"{where}.quantity", use.quantity)
        try:
            factor = use.factor or combustion_factor(
                use.fuel, use.unit, calorific_basis=use.calorific_basis, emissions_unit="tCO2"
            )
        except InventoryError as exc:
            raise _renamed(exc, f"{where}.{exc.field}") from None
        factors.append(factor)
        project += _emissions(amount, use.unit, factor, f"{where}.unit")
        aux_inputs.append({"fuel": use.fuel, "quantity": use.quantity, "unit": use.unit})
    inputs = {
        "electricity_exported": electricity_exported,
        "unit": unit,
        "heat_exported": heat_exported,
        "heat_unit": heat_unit,
        "waste_fossil_co2_tco2": waste_fossil_co2_tco2,
        "auxiliary_fuels": aux_inputs,
        "region": region,
        "year": year,
    }
    notes = ["avoided landfill methane not included (first-order-decay parameters not shipped)"]
    return _result("waste_to_energy", item, baseline, project, factors, inputs, notes)


METHODS: dict[str, Callable[..., Reduction]] = {
    "renewable_power": renewable_power,
    "renewable_power_combined_margin": renewable_power_combined_margin,
    "energy_efficiency": energy_efficiency,
    "green_building": green_building,
    "vehicle_substitution": vehicle_substitution,
    "modal_shift": modal_shift,
    "heat_substitution": heat_substitution,
    "waste_to_energy": waste_to_energy,
}
"""Method id → function (the registry CSV refers to these ids)."""


def estimate(item_code: str, method_id: str | None = None, /, **inputs: Any) -> Reduction:
    """Annual reduction of a project under catalogue item ``item_code`` with ``method_id`` (may
    be omitted when the item has a single method); ``inputs`` are the method's keyword
    arguments.

    >>> estimate("4.2.2", "renewable_power", generation=1000, region="national", year=2022)
    ... # doctest: +SKIP

    Raises
    ------
    ReductionError
        ``item_code`` without registered method, ``method_id`` missing (several methods) or not
        registered for the item, an unknown input name, and every error of the method.
    """
    code = str(item_code).strip()
    available = methods_for(code)
    if not available:
        raise _err("item_code", item_code, "no reduction method is registered for this item")
    ids = [m.method_id for m in available]
    if method_id is None:
        if len(ids) > 1:
            raise _err("method_id", None, f"item {code} has several methods: {ids}")
        method_id = ids[0]
    if method_id not in ids:
        raise _err("method_id", method_id, f"not registered for item {code}; registered: {ids}")
    function = METHODS[method_id]
    parameters = _keywords(function)
    if "item_code" in inputs:
        raise _err("item_code", inputs["item_code"], "give the item code once, as item_code")
    unknown = sorted(set(inputs) - set(parameters))
    if unknown:
        raise _err(unknown[0], inputs[unknown[0]], f"not an input of {method_id}")
    for name, parameter in parameters.items():
        if parameter.default is inspect.Parameter.empty and name not in inputs:
            raise _err(name, None, f"missing: required by {method_id}")
    return function(item_code=code, **inputs)


__all__ = [
    "METHODS",
    "METHOD_STATUSES",
    "EnergyFlow",
    "Reduction",
    "ReductionError",
    "ReductionMethod",
    "energy_efficiency",
    "estimate",
    "green_building",
    "heat_substitution",
    "methods_for",
    "modal_shift",
    "reduction_methods",
    "renewable_power",
    "renewable_power_combined_margin",
    "vehicle_substitution",
    "waste_to_energy",
]
