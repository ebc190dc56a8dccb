"""Emission-factor library: China grid electricity factors, IPCC 2006 fuel defaults and
standard-coal (折标准煤) coefficients, with provenance on every value.

Data: ``greenfin/reference/data/carbon/*.csv`` (documented in ``SOURCES.md`` there). Every row
carries ``value, unit, source, edition, status`` (``verified`` | ``derived`` | ``uncertain``);
lookups return a :class:`Factor` that says which row (data year, source, edition, status) was used
and, where the value was computed from rows, how.

Uncertain rows are shipped as configuration but **never used unless asked for**
(``include_uncertain=True``).

Data-year rule (grid factors)
-----------------------------
MEE/NBS electricity factors are statistics of a *data year* published one to three years later.
For an accounting year ``Y`` the factor used is the one with the **latest data year ≤ Y** among the
rows that are (a) of the requested kind and region, (b) not ``uncertain`` unless
``include_uncertain=True`` and (c) when ``as_of`` is given, already public on that date
(``effective_from ≤ as_of``). Why:

- a factor describing a year after the accounting year must never be used, and among the rest the
  closest year describes the grid best;
- with ``as_of`` the rule reproduces what could be reported at the time: 2023 accounts prepared in
  mid-2024 get the 2021 factors (the "Y−2" practice described for the MEE draft guidelines), while a
  recomputation today gets the 2023 factors. Results are therefore reproducible given
  ``(accounting_year, as_of)``; without ``as_of`` they use everything shipped;
- ``data_year=…`` pins a year explicitly (to match a disclosed calculation).

Factors prescribed *for* a reporting year (``year_basis = accounting_year``, e.g. the national ETS
0.5703 tCO2/MWh for 2022 power-sector reports) apply to that accounting year only — no carrying
forward, since each year's value is announced separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from functools import cache
from typing import Any

import polars as pl

from greenfin.carbon.units import (
    CO2_PER_C,
    UnitError,
    apply_factor,
    conversion_factor,
    convert,
    exact,
    parse_unit,
)
from greenfin.reference import data_rows

STATUSES: tuple[str, ...] = ("verified", "derived", "uncertain")
"""Row status, strongest first; a computed value takes the weakest status of its inputs."""

GRID_KINDS: dict[str, str] = {
    "average": "电力平均二氧化碳排放因子 (location-based; national, regional grid or province)",
    "average_excl_market_nonfossil": (
        "全国电力平均二氧化碳排放因子（不包括市场化交易的非化石能源电量）"
    ),
    "fossil": "全国化石能源电力二氧化碳排放因子",
    "ets_grid_average": "全国碳市场发电行业报告用全国电网平均排放因子",
}
"""Grid factor kinds shipped in ``grid_factors.csv``."""

FUEL_PARAMETERS: dict[str, str] = {
    "ncv": "TJ/Gg",
    "carbon_content": "kgC/GJ",
    "co2_ef": "kgCO2/TJ",
}
"""IPCC 2006 default parameters per fuel and the unit each is stored in."""

_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


class FactorError(ValueError):
    """No factor for the request; ``field`` names the input that could not be satisfied."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field}={value!r}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Factor:
    """One emission factor or coefficient with its provenance.

    ``kind``: grid kind (``average`` …), ``fuel_co2`` / an IPCC parameter (``ncv`` …) or
    ``standard_coal``. ``region``: region key for grid factors, ``global`` for IPCC defaults,
    ``china`` for standard-coal coefficients. ``subject``: the fuel or energy carrier.
    ``basis``: ``data_year`` / ``accounting_year`` (grid), ``calorific`` / ``equivalent`` /
    ``definition`` (standard coal), ``energy`` / ``mass`` (fuel factors). ``derivation``: how a
    value computed from shipped rows was obtained. ``accounting_year`` and ``selection``: set on
    grid lookups, the year asked for and the rule that picked ``data_year``.
    """

    kind: str
    region: str
    data_year: int | None
    value: float
    unit: str
    source: str
    edition: str
    effective_from: date | None
    status: str
    subject: str = ""
    basis: str = ""
    note: str = ""
    derivation: str = ""
    accounting_year: int | None = None
    selection: str = ""

    def to(self, unit: str) -> Factor:
        """The same factor expressed in ``unit`` (exact conversion; ``UnitError`` if
        incompatible)."""
        if unit == self.unit:
            return self
        return replace(self, value=convert(self.value, self.unit, unit), unit=unit)

    def apply(self, amount: Any, amount_unit: str, result_unit: str) -> Any:
        """``amount × value`` in ``result_unit``, units checked (see
        :func:`greenfin.carbon.units.apply_factor`).

        Example: ``grid_factor("average", "national", 2022).apply(1000, "MWh", "tCO2")`` →
        536.6 tCO2.
        """
        return apply_factor(amount, amount_unit, self.value, self.unit, result_unit)

    def provenance(self) -> dict[str, Any]:
        """Plain dict for reports and the audit ledger."""
        return {
            "kind": self.kind,
            "region": self.region,
            "subject": self.subject,
            "data_year": self.data_year,
            "accounting_year": self.accounting_year,
            "value": self.value,
            "unit": self.unit,
            "status": self.status,
            "source": self.source,
            "edition": self.edition,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "basis": self.basis,
            "derivation": self.derivation,
            "selection": self.selection,
        }


@dataclass(frozen=True)
class Region:
    """A region of the grid-factor table: ``national``, a grid region or a province."""

    key: str
    level: str
    name_zh: str
    name_en: str
    code: str  # GB/T 2260 for provinces, "" otherwise


@dataclass(frozen=True)
class Fuel:
    """A fuel of the IPCC 2006 default table."""

    key: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# loading


def _read(name: str) -> list[dict[str, str]]:
    return data_rows("carbon", name)


def _weakest(*statuses: str) -> str:
    return max(statuses, key=STATUSES.index)


def _checked(name: str, line: int, row: dict[str, str], dimension: Iterable[str]) -> None:
    where = f"{name} line {line}"
    for column in ("value", "unit", "source", "edition", "status"):
        if not (row.get(column) or "").strip():
            raise FactorError(column, "", f"{where}: empty")
    if row["status"] not in STATUSES:
        raise FactorError("status", row["status"], f"{where}: not one of {STATUSES}")
    try:
        unit = parse_unit(row["unit"])
    except UnitError as exc:
        raise FactorError("unit", row["unit"], f"{where}: {exc.reason}") from None
    allowed = tuple(dimension)
    if unit.dimension_name not in allowed:
        raise FactorError(
            "unit", row["unit"], f"{where}: dimension {unit.dimension_name}, expected {allowed}"
        )
    try:
        float(row["value"])
    except ValueError:
        raise FactorError("value", row["value"], f"{where}: not a number") from None


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


@cache
def grid_factor_rows() -> tuple[Factor, ...]:
    """All rows of ``grid_factors.csv`` (uncertain ones included), validated."""
    out = []
    for line, r in enumerate(_read("grid_factors.csv"), start=2):
        _checked("grid_factors.csv", line, r, ("co2/energy",))
        if r["kind"] not in GRID_KINDS:
            raise FactorError("kind", r["kind"], f"grid_factors.csv line {line}: unknown kind")
        if r["year_basis"] not in ("data_year", "accounting_year"):
            raise FactorError("year_basis", r["year_basis"], f"grid_factors.csv line {line}")
        out.append(
            Factor(
                kind=r["kind"],
                region=r["region"],
                data_year=int(r["data_year"]),
                value=float(r["value"]),
                unit=r["unit"],
                source=r["source"],
                edition=r["edition"],
                effective_from=_date(r["effective_from"]),
                status=r["status"],
                basis=r["year_basis"],
                note=r["note"],
            )
        )
    return tuple(out)


@cache
def regions() -> dict[str, Region]:
    """Regions of the grid-factor table keyed by region key."""
    out: dict[str, Region] = {}
    for r in _read("grid_factors.csv"):
        out.setdefault(
            r["region"],
            Region(
                r["region"], r["region_level"], r["region_zh"], r["region_en"], r["region_code"]
            ),
        )
    return out


@cache
def _region_index() -> dict[str, Region]:
    index: dict[str, Region] = {}
    for region in regions().values():
        for name in (region.key, region.name_zh, region.name_en.lower(), region.code):
            if name:
                index[name] = region
    return index


def find_region(name: str) -> Region:
    """Resolve a region by key (``north_china``), Chinese name (``华北``, ``北京``/``北京市``),
    English name, or GB/T 2260 code (``110000``; a district code such as ``110105`` resolves to
    its province).

    Raises
    ------
    FactorError
        ``field="region"`` when nothing matches.
    """
    index = _region_index()
    text = str(name).strip()
    candidates = [text, text.lower()]
    candidates += [text.removesuffix(s) for s in _PROVINCE_SUFFIXES if text.endswith(s)]
    if len(text) == 6 and text.isdigit():
        candidates.append(text[:2] + "0000")
    for candidate in candidates:
        if candidate in index:
            return index[candidate]
    raise FactorError("region", name, f"unknown region; known: {sorted(regions())}")


@cache
def fuel_default_rows() -> tuple[Factor, ...]:
    """All rows of ``fuel_defaults_ipcc2006.csv`` (``kind`` = parameter), validated."""
    dims = {"ncv": "energy/mass", "carbon_content": "carbon/energy", "co2_ef": "co2/energy"}
    out = []
    for line, r in enumerate(_read("fuel_defaults_ipcc2006.csv"), start=2):
        parameter = r["parameter"]
        if parameter not in dims:
            raise FactorError("parameter", parameter, f"fuel_defaults_ipcc2006.csv line {line}")
        _checked("fuel_defaults_ipcc2006.csv", line, r, (dims[parameter],))
        out.append(
            Factor(
                kind=parameter,
                region="global",
                data_year=None,
                value=float(r["value"]),
                unit=r["unit"],
                source=r["source"],
                edition=f"{r['edition']}, {r['ipcc_table']}",
                effective_from=None,
                status=r["status"],
                subject=r["fuel"],
                note=r["note"],
            )
        )
    return tuple(out)


@cache
def fuels() -> dict[str, Fuel]:
    """Fuels of the IPCC 2006 table keyed by fuel key."""
    out: dict[str, Fuel] = {}
    for r in _read("fuel_defaults_ipcc2006.csv"):
        aliases = tuple(a.strip() for a in r["aliases"].split("|") if a.strip())
        out.setdefault(r["fuel"], Fuel(r["fuel"], r["fuel_zh"], r["fuel_en"], aliases))
    return out


@cache
def _fuel_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for fuel in fuels().values():
        for name in (fuel.key, fuel.name_zh, fuel.name_en, *fuel.aliases):
            index[name.lower()] = fuel.key
    return index


def find_fuel(name: str) -> str:
    """Fuel key for a key, Chinese or English name or alias (``柴油``, ``diesel`` →
    ``gas_diesel_oil``). Raises ``FactorError(field="fuel")`` when unknown."""
    key = _fuel_index().get(str(name).strip().lower())
    if key is None:
        raise FactorError("fuel", name, f"unknown fuel; known: {sorted(fuels())}")
    return key


@cache
def standard_coal_rows() -> tuple[Factor, ...]:
    """All rows of ``standard_coal_coefficients.csv``, validated."""
    out = []
    for line, r in enumerate(_read("standard_coal_coefficients.csv"), start=2):
        _checked("standard_coal_coefficients.csv", line, r, ("energy/mass", "energy/volume", "1"))
        out.append(
            Factor(
                kind="standard_coal",
                region="china",
                data_year=None,
                value=float(r["value"]),
                unit=r["unit"],
                source=r["source"],
                edition=r["edition"],
                effective_from=None,
                status=r["status"],
                subject=r["energy"],
                basis=r["basis"],
                note=r["note"],
            )
        )
    return tuple(out)


@cache
def _energy_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for r in _read("standard_coal_coefficients.csv"):
        index[r["energy"].lower()] = r["energy"]
        index[r["energy_zh"]] = r["energy"]
    return index


# ---------------------------------------------------------------------------------------------
# grid factors


def _check_year(field: str, year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise FactorError(field, year, "must be an integer year")
    if not 1900 <= year <= 2200:
        raise FactorError(field, year, "out of range 1900–2200")
    return year


def grid_factor(
    kind: str,
    region: str,
    accounting_year: int,
    *,
    as_of: date | None = None,
    data_year: int | None = None,
    include_uncertain: bool = False,
    unit: str | None = None,
) -> Factor:
    """Electricity CO2 emission factor of ``kind`` for ``region`` to use for ``accounting_year``.

    Use: ``E_tCO2 = AD_MWh × EF_tCO2/MWh`` (location-based purchased electricity; see
    :meth:`Factor.apply`).

    Parameters
    ----------
    kind
        ``average`` (电力平均; national, grid region or province), ``average_excl_market_nonfossil``
        (national, excl. market-traded non-fossil power), ``fossil`` (national fossil-only) or
        ``ets_grid_average`` (national ETS power-sector reporting factor).
    region
        Region key, Chinese/English name or GB/T 2260 code (see :func:`find_region`).
    accounting_year
        The year whose emissions are accounted.
    as_of
        Only factors already public on this date (``effective_from ≤ as_of``) are eligible.
    data_year
        Pin the data year instead of applying the rule.
    include_uncertain
        Also consider rows with ``status = uncertain`` (e.g. 2021 regional factors, Beijing).
    unit
        Express the result in this unit (default: as published, ``kgCO2/kWh`` or ``tCO2/MWh``).

    Returns
    -------
    Factor
        With ``data_year``, ``accounting_year``, ``source``, ``edition``, ``status`` and the rule
        applied in ``selection``.

    Rule: latest data year ≤ ``accounting_year`` for ``year_basis = data_year`` rows; exact
    equality for ``year_basis = accounting_year`` rows (module docstring).

    Source: MEE/NBS 2021–2023 电力二氧化碳排放因子 announcements; MEE ETS notice for 2023–2025
    power-sector reporting (0.5703 tCO2/MWh for 2022) — see ``reference/data/carbon/SOURCES.md``.

    Raises
    ------
    FactorError
        ``kind`` unknown; ``region`` unknown or without (certain) factors of this kind; ``as_of``
        before any eligible factor was public; ``accounting_year``/``data_year`` without a factor.
    UnitError
        ``unit`` unknown or not an emission-per-energy unit.
    """
    if kind not in GRID_KINDS:
        raise FactorError("kind", kind, f"unknown grid factor kind; known: {list(GRID_KINDS)}")
    year = _check_year("accounting_year", accounting_year)
    found = find_region(region)
    rows = [f for f in grid_factor_rows() if f.kind == kind and f.region == found.key]
    if not rows:
        available = sorted({f.region for f in grid_factor_rows() if f.kind == kind})
        raise FactorError(
            "region", region, f"no {kind} factor for {found.key}; regions with one: {available}"
        )
    if not include_uncertain:
        certain = [f for f in rows if f.status != "uncertain"]
        if not certain:
            years = sorted(f.data_year for f in rows if f.data_year is not None)
            raise FactorError(
                "region",
                region,
                f"only uncertain {kind} factors for {found.key} (data years {years}); "
                "pass include_uncertain=True to use them",
            )
        skipped = sorted({f.data_year for f in rows} - {f.data_year for f in certain})
        rows = certain
    else:
        skipped = []
    if as_of is not None:
        public = [f for f in rows if f.effective_from is not None and f.effective_from <= as_of]
        if not public:
            first = min((f.effective_from for f in rows if f.effective_from), default=None)
            raise FactorError(
                "as_of",
                as_of,
                f"no {kind} factor for {found.key} public yet (earliest effective_from {first})",
            )
        rows = public
    note_skipped = f"; uncertain data years {skipped} not considered" if skipped else ""
    if data_year is not None:
        pinned = _check_year("data_year", data_year)
        chosen = [f for f in rows if f.data_year == pinned]
        if not chosen:
            raise FactorError(
                "data_year",
                data_year,
                f"no {kind} factor for {found.key} with this data year; available "
                f"{sorted(f.data_year for f in rows)}{note_skipped}",
            )
        factor = chosen[0]
        selection = f"data year {pinned} pinned by the caller"
    else:
        basis = rows[0].basis
        if basis == "accounting_year":
            chosen = [f for f in rows if f.data_year == year]
            rule = "factor prescribed for the accounting year itself"
        else:
            chosen = [f for f in rows if f.data_year is not None and f.data_year <= year]
            rule = "latest data year ≤ accounting year"
        if not chosen:
            raise FactorError(
                "accounting_year",
                accounting_year,
                f"no {kind} factor for {found.key} under the rule '{rule}'; data years "
                f"available {sorted(f.data_year for f in rows)}{note_skipped}",
            )
        factor = max(chosen, key=lambda f: f.data_year or 0)
        when = f", public on {as_of.isoformat()}" if as_of else ""
        selection = f"{rule}{when}: {year} → data year {factor.data_year}{note_skipped}"
    result = replace(factor, accounting_year=year, selection=selection)
    return result.to(unit) if unit else result


def grid_factor_frame(*, include_uncertain: bool = True) -> pl.DataFrame:
    """All grid factor rows as a Polars frame (one row per CSV row, values as published)."""
    rows = [f for f in grid_factor_rows() if include_uncertain or f.status != "uncertain"]
    return pl.DataFrame(
        [
            {
                "kind": f.kind,
                "region": f.region,
                "data_year": f.data_year,
                "year_basis": f.basis,
                "value": f.value,
                "unit": f.unit,
                "status": f.status,
                "source": f.source,
                "edition": f.edition,
                "effective_from": f.effective_from,
            }
            for f in rows
        ]
    )


def _slug(unit: str) -> str:
    return unit.replace("/", "_per_").replace("·", "_").replace("*", "_").lower()


def attach_grid_factor(
    frame: pl.DataFrame,
    kind: str,
    *,
    region_col: str = "region",
    year_col: str = "accounting_year",
    as_of: date | None = None,
    include_uncertain: bool = False,
    unit: str = "tCO2/MWh",
    prefix: str = "grid_factor",
    on_missing: str = "raise",
) -> pl.DataFrame:
    """Join the grid factor for each row's region and accounting year onto ``frame``.

    Adds ``{prefix}_{unit slug}`` (e.g. ``grid_factor_tco2_per_mwh``) and the provenance
    columns ``{prefix}_region`` (resolved region key), ``{prefix}_data_year``,
    ``{prefix}_status``, ``{prefix}_source`` and ``{prefix}_edition``. Each
    distinct ``(region, year)`` is resolved once with :func:`grid_factor` (same rule, same
    errors); the result is a left join, so row order and count are kept.

    Emissions then follow as a Polars expression, e.g.
    ``pl.col("electricity_mwh") * pl.col("grid_factor_tco2_per_mwh")`` → tCO2, or with units
    checked: :func:`apply_factor_expr`.

    Parameters
    ----------
    on_missing
        ``"raise"`` (default): the first unresolvable pair raises :class:`FactorError` naming the
        column; ``"null"``: such rows get nulls.
    """
    if on_missing not in ("raise", "null"):
        raise FactorError("on_missing", on_missing, "must be 'raise' or 'null'")
    for column in (region_col, year_col):
        if column not in frame.columns:
            raise FactorError(column, None, "column not in frame")
    parse_unit(unit)
    value_col = f"{prefix}_{_slug(unit)}"
    records: list[dict[str, Any]] = []
    pairs = frame.select(region_col, year_col).unique(maintain_order=True)
    for region, year in pairs.iter_rows():
        try:
            if region is None:
                raise FactorError(region_col, None, "missing region")
            if year is None:
                raise FactorError(year_col, None, "missing accounting year")
            f = grid_factor(
                kind,
                str(region),
                int(year),
                as_of=as_of,
                include_uncertain=include_uncertain,
                unit=unit,
            )
        except FactorError as exc:
            if on_missing == "raise":
                field = {"region": region_col, "accounting_year": year_col}.get(
                    exc.field, exc.field
                )
                raise FactorError(field, exc.value, exc.reason) from None
            continue
        records.append(
            {
                region_col: region,
                year_col: year,
                value_col: f.value,
                f"{prefix}_region": f.region,
                f"{prefix}_data_year": f.data_year,
                f"{prefix}_status": f.status,
                f"{prefix}_source": f.source,
                f"{prefix}_edition": f.edition,
            }
        )
    schema: dict[str, Any] = {
        region_col: frame.schema[region_col],
        year_col: frame.schema[year_col],
        value_col: pl.Float64,
        f"{prefix}_region": pl.String,
        f"{prefix}_data_year": pl.Int64,
        f"{prefix}_status": pl.String,
        f"{prefix}_source": pl.String,
        f"{prefix}_edition": pl.String,
    }
    lookup = pl.DataFrame(records, schema=schema)
    return frame.join(lookup, on=[region_col, year_col], how="left", nulls_equal=False)


def apply_factor_expr(
    amount: pl.Expr, amount_unit: str, factor: pl.Expr, factor_unit: str, result_unit: str
) -> pl.Expr:
    """Polars expression ``amount × factor`` in ``result_unit``, with the units checked once.

    Equation and unit rule as :func:`greenfin.carbon.units.apply_factor`; the exact scale is
    rounded to ``float`` once for the vectorised product.

    Example: ``apply_factor_expr(pl.col("electricity_kwh"), "kWh",
    pl.col("grid_factor_tco2_per_mwh"), "tCO2/MWh", "tCO2").alias("emissions_tco2")``.
    """
    scale = apply_factor(Fraction(1), amount_unit, Fraction(1), factor_unit, result_unit)
    return amount * factor if scale == 1 else amount * factor * float(scale)


# ---------------------------------------------------------------------------------------------
# fuels (IPCC 2006 defaults)


def fuel_default(fuel: str, parameter: str) -> Factor:
    """One IPCC 2006 default for ``fuel``: ``ncv`` (TJ/Gg, Table 1.2), ``carbon_content``
    (kgC/GJ, Table 1.3) or ``co2_ef`` (kgCO2/TJ, Table 1.4), exactly as tabulated.

    Source: IPCC 2006 Guidelines Vol. 2 Ch. 1, Tables 1.2–1.4.

    Raises ``FactorError`` with ``field="fuel"`` or ``field="parameter"``.
    """
    key = find_fuel(fuel)
    if parameter not in FUEL_PARAMETERS:
        raise FactorError("parameter", parameter, f"known: {list(FUEL_PARAMETERS)}")
    for f in fuel_default_rows():
        if f.subject == key and f.kind == parameter:
            return f
    raise FactorError("parameter", parameter, f"no {parameter} for {key}")


def co2_ef_from_carbon_content(fuel: str, *, oxidation_factor: float = 1.0) -> Factor:
    """CO2 emission factor computed from the default carbon content (not rounded).

    Equation (IPCC 2006 Vol. 2 Ch. 1, Table 1.4 footnote):
    ``EF_CO2 [kgCO2/TJ] = CC [kgC/GJ] × OF × 44/12 × 1000``.
    Table 1.4 prints this rounded (diesel: 20.2 kgC/GJ → 74,066.7 → 74,100 kgCO2/TJ); use
    :func:`fuel_factor` for the tabulated value.
    """
    cc = fuel_default(fuel, "carbon_content")
    if not 0 < oxidation_factor <= 1:
        raise FactorError("oxidation_factor", oxidation_factor, "must be in (0, 1]")
    value = exact(cc.value) * exact(oxidation_factor) * CO2_PER_C
    value *= conversion_factor("kgC/GJ", "kgC/TJ")
    return replace(
        cc,
        kind="co2_ef_computed",
        value=float(value),
        unit="kgCO2/TJ",
        status=_weakest(cc.status, "derived"),
        derivation=f"carbon content {cc.value} kgC/GJ × OF {oxidation_factor} × 44/12 × 1000",
        note="IPCC Table 1.4 footnote equation; unrounded",
    )


def fuel_factor(fuel: str, quantity_unit: str, *, emissions_unit: str = "kgCO2") -> Factor:
    """CO2 emitted per unit of fuel burnt, from the IPCC 2006 defaults.

    Equations (IPCC 2006 Vol. 2 Ch. 1):

    - per energy (``GJ``, ``TJ``, ``kWh``, ``tce`` …): ``EF = EF_CO2 [kgCO2/TJ]`` (Table 1.4)
      converted to ``emissions_unit/quantity_unit``; status as the row;
    - per mass (``kg``, ``t``, ``Gg`` …): ``EF = EF_CO2 [kgCO2/TJ] × NCV [TJ/Gg]`` (Tables 1.4
      and 1.2); status ``derived`` (a product of two tabulated values).

    Worked example (methods.md §5.3): diesel 74,100 kgCO2/TJ × 43.0 TJ/Gg = 3.1863 kgCO2/kg.

    Parameters
    ----------
    fuel
        Fuel key, Chinese/English name or alias (``柴油``, ``diesel``, ``natural_gas``).
    quantity_unit
        Unit the fuel quantity is measured in. Volumes (``m3``, ``L``) are refused: the IPCC
        table has no densities.
    emissions_unit
        A CO2 mass unit (``kgCO2``, ``tCO2``). CO2 only — CH4 and N2O factors are not shipped,
        so a CO2e unit is refused.

    Raises
    ------
    FactorError
        ``field="fuel"`` for an unknown fuel.
    UnitError
        Unknown unit, a volume ``quantity_unit`` or a non-CO2 ``emissions_unit``.
    """
    key = find_fuel(fuel)
    q = parse_unit(quantity_unit)
    e = parse_unit(emissions_unit)
    if e.dimension_name != "co2":
        raise UnitError(
            emissions_unit,
            f"IPCC combustion defaults here are CO2 only; need a CO2 mass unit, not "
            f"{e.dimension_name}",
        )
    ef = fuel_default(key, "co2_ef")
    target_unit = f"{emissions_unit}/{quantity_unit}"
    if q.dimension_name == "energy":
        return replace(
            ef,
            kind="fuel_co2",
            value=convert(ef.value, ef.unit, target_unit),
            unit=target_unit,
            basis="energy",
            derivation=f"IPCC Table 1.4 EF {ef.value:g} {ef.unit} in {target_unit}",
        )
    if q.dimension_name == "mass":
        ncv = fuel_default(key, "ncv")
        value = apply_factor(ncv.value, ncv.unit, ef.value, ef.unit, target_unit)
        return replace(
            ef,
            kind="fuel_co2",
            value=value,
            unit=target_unit,
            edition=f"{ef.edition} and {ncv.edition.split(', ')[-1]}",
            status=_weakest(ef.status, ncv.status, "derived"),
            basis="mass",
            derivation=(
                f"IPCC EF {ef.value:g} {ef.unit} × NCV {ncv.value:g} {ncv.unit} in {target_unit}"
            ),
        )
    raise UnitError(
        quantity_unit,
        f"fuel quantities must be energy or mass, not {q.dimension_name} "
        "(volumes need a density, which is not shipped)",
    )


def attach_fuel_factor(
    frame: pl.DataFrame,
    *,
    fuel_col: str = "fuel",
    quantity_unit: str,
    emissions_unit: str = "kgCO2",
    prefix: str = "fuel_factor",
) -> pl.DataFrame:
    """Join :func:`fuel_factor` for each row's fuel onto ``frame`` (left join).

    Adds ``{prefix}_{slug}`` (e.g. ``fuel_factor_kgco2_per_kg``), ``{prefix}_status`` and
    ``{prefix}_derivation``. An unknown fuel raises :class:`FactorError` naming ``fuel_col``.
    """
    if fuel_col not in frame.columns:
        raise FactorError(fuel_col, None, "column not in frame")
    target_unit = f"{emissions_unit}/{quantity_unit}"
    value_col = f"{prefix}_{_slug(target_unit)}"
    records = []
    for (name,) in frame.select(fuel_col).unique(maintain_order=True).iter_rows():
        try:
            f = fuel_factor(str(name), quantity_unit, emissions_unit=emissions_unit)
        except FactorError as exc:
            raise FactorError(fuel_col, name, exc.reason) from None
        records.append(
            {
                fuel_col: name,
                value_col: f.value,
                f"{prefix}_status": f.status,
                f"{prefix}_derivation": f.derivation,
            }
        )
    lookup = pl.DataFrame(
        records,
        schema={
            fuel_col: frame.schema[fuel_col],
            value_col: pl.Float64,
            f"{prefix}_status": pl.String,
            f"{prefix}_derivation": pl.String,
        },
    )
    return frame.join(lookup, on=fuel_col, how="left")


# ---------------------------------------------------------------------------------------------
# standard coal (折标准煤)


def standard_coal_coefficient(
    energy: str,
    *,
    basis: str | None = None,
    include_uncertain: bool = False,
    unit: str | None = None,
) -> Factor:
    """Coefficient converting an energy carrier to standard coal (折标准煤系数), as printed.

    Use: ``E_tce = AD × coefficient`` (see :meth:`Factor.apply`), e.g. 1 t 原煤 × 0.7143 kgce/kg
    = 0.7143 tce. 1 kgce = 29.307 MJ by definition (row ``standard_coal``), so an amount already
    in energy units converts exactly with :func:`greenfin.carbon.units.convert`; the printed heat
    coefficient 0.0341 tce/GJ is that definition rounded.

    Parameters
    ----------
    energy
        ``raw_coal``, ``washed_coal``, ``coke``, ``crude_oil``, ``fuel_oil``, ``gasoline``,
        ``kerosene``, ``diesel``, ``lpg``, ``natural_gas``, ``heat``, ``electricity``,
        ``standard_coal`` or the Chinese name (原煤 …).
    basis
        ``calorific`` (当量), ``equivalent`` (等价) or ``definition``; needed only where an
        energy has more than one (electricity — both rows are uncertain).
    include_uncertain
        Also consider ``uncertain`` rows (both electricity rows).
    unit
        Express the coefficient in this unit.

    Source: GB/T 2589-type reference table (secondary; edition not stated) — see
    ``reference/data/carbon/SOURCES.md``.

    Raises
    ------
    FactorError
        ``field="energy"`` unknown or only uncertain rows; ``field="basis"`` unknown or
        ambiguous.
    """
    key = _energy_index().get(str(energy).strip().lower()) or _energy_index().get(
        str(energy).strip()
    )
    if key is None:
        known = sorted({f.subject for f in standard_coal_rows()})
        raise FactorError("energy", energy, f"unknown energy carrier; known: {known}")
    rows = [f for f in standard_coal_rows() if f.subject == key]
    if basis is not None:
        rows = [f for f in rows if f.basis == basis]
        if not rows:
            bases = sorted({f.basis for f in standard_coal_rows() if f.subject == key})
            raise FactorError("basis", basis, f"{key} has bases {bases}")
    if not include_uncertain:
        certain = [f for f in rows if f.status != "uncertain"]
        if not certain:
            raise FactorError(
                "energy",
                energy,
                f"only uncertain coefficients for {key} "
                f"({', '.join(f'{f.basis} {f.value:g} {f.unit}' for f in rows)}); pass "
                "include_uncertain=True, or for electricity's calorific equivalent convert kWh "
                "to kgce with greenfin.carbon.units (exact by definition)",
            )
        rows = certain
    if len(rows) > 1:
        raise FactorError(
            "basis", basis, f"{key} has several coefficients ({[f.basis for f in rows]})"
        )
    factor = rows[0]
    return factor.to(unit) if unit else factor


# ---------------------------------------------------------------------------------------------
# provenance


def provenance() -> list[dict[str, Any]]:
    """Carbon reference files in use: rows, statuses, sources and editions (for reports)."""
    out = []
    for name, rows in (
        ("grid_factors.csv", grid_factor_rows()),
        ("fuel_defaults_ipcc2006.csv", fuel_default_rows()),
        ("standard_coal_coefficients.csv", standard_coal_rows()),
    ):
        out.append(
            {
                "file": name,
                "rows": len(rows),
                "status": {s: sum(f.status == s for f in rows) for s in STATUSES},
                "sources": sorted({f.source for f in rows}),
                "editions": sorted({f.edition for f in rows}),
            }
        )
    return out
