"""Environmental information disclosure report (环境信息披露报告) per JR/T 0227—2021
《金融机构环境信息披露指南》: the report model and how it is filled from platform data.

Pure domain code: dataclasses and Polars frames in, a :class:`DisclosureReport` out. The only I/O
is reading the shipped configuration under ``reference/data/banking/`` (documented in
``DISCLOSURE.md`` beside it):

- ``disclosure_sections.csv`` — the eleven content elements of the standard (第6章「披露内容」, in
  the order of its table of contents) and the sub-sections used in practice;
- ``disclosure_operations_items.csv`` — the operational-footprint items of the Shenzhen template
  (《深圳市金融机构环境信息披露模板及指标说明》2022, 表1.1), with the unit(s) a bank may enter and
  how each is converted to CO2;
- ``disclosure_emission_lines.csv`` — the template's greenhouse-gas lines (范围一/二/三, CO2 only).

What fills what
---------------
Investment and financing (七、投融资活动的环境影响; 一、年度概况)
    From a per-loan results frame (the contract of :mod:`greenfin.banking.pipeline`, stacked over
    reporting dates in ``as_of``) of **one** institution, through
    :mod:`greenfin.banking.statistics`: the reporting date is the latest ``as_of`` in the year;
    green loan balance, share of all loans, year-on-year growth (needs the book twelve months
    earlier), green NPL ratio, balance by use (2025 structure) and by carbon benefit. Environmental
    benefits of the financed projects: Σ ``loan_annual_reduction_tco2e`` over green loans (PBOC
    CERF attribution: project reduction × loan ÷ project total investment). Financed emissions:
    Σ ``financed_scope1_tco2e`` / ``financed_scope2_tco2e`` over the book with the
    balance-weighted PCAF data-quality score ``pcaf_dq_score`` (PCAF Part A, Box 8).
Operations (八、经营活动的环境影响)
    Quantities the institution enters (electricity kWh, fuels, water, paper …), each converted to
    tCO2 with :mod:`greenfin.carbon.factors`: fuels by mass with the IPCC 2006 defaults
    (EF × NCV), natural gas by volume through the standard-coal coefficient and the IPCC energy
    factor, electricity with the regional grid average factor chosen by the library's data-year
    rule (latest data year ≤ the report year, verified rows only). Items without a factor in the
    library (purchased heat, business travel, water, paper, waste) are shown as quantities; their
    emissions are the institution's own figures (``reported``) or missing.
Narrative sections
    Text entered by the institution, per section key.

Nothing is invented
-------------------
Every figure has a ``status``: ``computed`` (by the platform, with its ``sources``), ``reported``
(entered by the institution), ``partial`` (a sum over what is available; ``fill`` names what is
not) or ``missing`` (``value`` is ``None`` and ``fill`` names the input that would fill it). An
item the institution did not enter is missing, never zero — a real zero must be entered as 0.

References
----------
.. [1] JR/T 0227—2021 金融机构环境信息披露指南 (中国人民银行, 2021-07-22); table of contents as
   reprinted at mdjjksjc.com/html/2022/0507/8044112062004077.shtm; methods.md §4.1–4.2.
.. [2] 深圳市金融机构环境信息披露模板及指标说明 (2022), 表1.1; methods.md §4.3.
.. [3] methods.md §4.4 (green-loan balance, share, growth, 年节约标准煤, 年减排CO2当量 in
   JR/T 0227 reports), §3.3 (CERF attribution), §2.3 (PCAF data-quality score), §10.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

import polars as pl

from greenfin.banking import statistics
from greenfin.carbon import factors, pcaf
from greenfin.carbon.units import UnitError, parse_unit
from greenfin.reference import data_rows

STANDARD = "JR/T 0227—2021《金融机构环境信息披露指南》"
SECTIONS_FILE = "disclosure_sections.csv"
ITEMS_FILE = "disclosure_operations_items.csv"
LINES_FILE = "disclosure_emission_lines.csv"
STATUSES: tuple[str, ...] = ("computed", "reported", "partial", "missing")
METHODS: tuple[str, ...] = (
    "fuel_mass_ipcc",
    "fuel_volume_standard_coal_ipcc",
    "grid_average",
    "none",
)
AUTO_BLOCKS: tuple[str, ...] = (
    "overview",
    "financing",
    "operations_direct",
    "operations_indirect",
    "operations_totals",
)
FEN_PER_10K_CNY = 1_000_000
EMISSIONS_UNIT = "tCO2"
MAX_QUANTITY = 1e15
"""Sanity bound on any entered quantity (a typo guard, not a methodology parameter)."""
MAX_EMPLOYEES = 10_000_000
MAX_NARRATIVE_CHARS = 20_000
MAX_SOURCE_CHARS = 300
STATISTICS_STRUCTURE = "2025"

# Columns of the per-loan results frame (greenfin.banking.pipeline) this module reads.
REQUIRED_LOAN_COLUMNS: tuple[str, ...] = (
    "as_of",
    "outstanding_fen",
    "status",
    "credit_or_secured",
    "green_code",
    "green_edition",
    "industry_code",
)
REDUCTION_COLUMN = "loan_annual_reduction_tco2e"
SAVING_COLUMN = "loan_annual_saving_tce"
FINANCED_COLUMNS: dict[str, str] = {
    "scope1": "financed_scope1_tco2e",
    "scope2": "financed_scope2_tco2e",
    "scope3": "financed_scope3_tco2e",
}
DQ_COLUMN = "pcaf_dq_score"


# ---------------------------------------------------------------------------------------------
# Configuration (reference data)


@dataclass(frozen=True)
class SectionSpec:
    """One row of ``disclosure_sections.csv``: a content element of the standard (``parent`` is
    empty) or a sub-section. ``narrative``: the institution writes text for it; ``auto``: the
    platform block shown in it (one of :data:`AUTO_BLOCKS`, or empty)."""

    key: str
    order: int
    parent: str
    number: str
    title_zh: str
    title_en: str
    narrative: bool
    auto: str
    prompt_zh: str
    source: str
    edition: str


@dataclass(frozen=True)
class ItemSpec:
    """One operational-footprint item (a row of ``disclosure_operations_items.csv``).

    ``units``: units the institution may enter (the first is the template's); ``method``: how the
    quantity becomes CO2 (:data:`METHODS`); ``subsection``: ``direct`` or ``indirect``
    (八（一）/（二））."""

    key: str
    order: int
    indicator_zh: str
    group_zh: str
    name_zh: str
    name_en: str
    units: tuple[str, ...]
    unit_labels_zh: tuple[str, ...]
    method: str
    fuel: str
    standard_coal_energy: str
    grid_kind: str
    grid_region: str
    subsection: str
    optional: bool
    source: str
    edition: str
    note: str

    def unit_label(self, unit: str) -> str:
        return dict(zip(self.units, self.unit_labels_zh, strict=True)).get(unit, unit)


@dataclass(frozen=True)
class LineSpec:
    """One greenhouse-gas line of the template (a row of ``disclosure_emission_lines.csv``).

    Platform lines sum the CO2 of ``items``; ``bank_reported`` lines have no factor in the
    library and take the institution's own figure."""

    key: str
    order: int
    scope: int
    name_zh: str
    name_en: str
    items: tuple[str, ...]
    bank_reported: bool
    optional: bool
    source: str
    edition: str
    note: str


def _flag(text: str) -> bool:
    return text.strip().lower() == "true"


@cache
def sections() -> tuple[SectionSpec, ...]:
    """Sections and sub-sections in report order (sub-sections follow their parent)."""
    specs = [
        SectionSpec(
            key=r["key"],
            order=int(r["order"]),
            parent=r["parent"],
            number=r["number"],
            title_zh=r["title_zh"],
            title_en=r["title_en"],
            narrative=_flag(r["narrative"]),
            auto=r["auto"],
            prompt_zh=r["prompt_zh"],
            source=r["source"],
            edition=r["edition"],
        )
        for r in data_rows("banking", SECTIONS_FILE)
    ]
    for s in specs:
        if s.auto and s.auto not in AUTO_BLOCKS:
            raise ValueError(f"{SECTIONS_FILE}: section {s.key}: unknown auto block {s.auto!r}")
        if not s.source or not s.edition:
            raise ValueError(f"{SECTIONS_FILE}: section {s.key}: source and edition required")
    top = sorted((s for s in specs if not s.parent), key=lambda s: s.order)
    out: list[SectionSpec] = []
    for s in top:
        out.append(s)
        out.extend(sorted((c for c in specs if c.parent == s.key), key=lambda c: c.order))
    return tuple(out)


@cache
def narrative_keys() -> tuple[str, ...]:
    """Keys of the sections the institution writes text for."""
    return tuple(s.key for s in sections() if s.narrative)


@cache
def items() -> tuple[ItemSpec, ...]:
    """Operational-footprint items in template order."""
    out = []
    for r in data_rows("banking", ITEMS_FILE):
        units = tuple(u.strip() for u in r["units"].split("|") if u.strip())
        labels = tuple(u.strip() for u in r["unit_labels_zh"].split("|"))
        if r["method"] not in METHODS or len(units) != len(labels) or not units:
            raise ValueError(f"{ITEMS_FILE}: item {r['item']}: bad method or units")
        out.append(
            ItemSpec(
                key=r["item"],
                order=int(r["order"]),
                indicator_zh=r["indicator_zh"],
                group_zh=r["group_zh"],
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                units=units,
                unit_labels_zh=labels,
                method=r["method"],
                fuel=r["fuel"],
                standard_coal_energy=r["standard_coal_energy"],
                grid_kind=r["grid_kind"],
                grid_region=r["grid_region"],
                subsection=r["subsection"],
                optional=_flag(r["optional"]),
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(sorted(out, key=lambda i: i.order))


@cache
def items_by_key() -> dict[str, ItemSpec]:
    return {i.key: i for i in items()}


@cache
def emission_lines() -> tuple[LineSpec, ...]:
    """Greenhouse-gas lines in template order."""
    known = items_by_key()
    out = []
    for r in data_rows("banking", LINES_FILE):
        keys = tuple(k.strip() for k in r["items"].split("|") if k.strip())
        unknown = [k for k in keys if k not in known]
        if unknown or r["scope"] not in ("1", "2", "3"):
            raise ValueError(f"{LINES_FILE}: line {r['line']}: unknown items {unknown} or scope")
        out.append(
            LineSpec(
                key=r["line"],
                order=int(r["order"]),
                scope=int(r["scope"]),
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                items=keys,
                bank_reported=_flag(r["bank_reported"]),
                optional=_flag(r["optional"]),
                source=r["source"],
                edition=r["edition"],
                note=r["note"],
            )
        )
    return tuple(sorted(out, key=lambda line: line.order))


@cache
def reported_line_keys() -> tuple[str, ...]:
    return tuple(line.key for line in emission_lines() if line.bank_reported)


def _electricity_spec() -> ItemSpec:
    return next(i for i in items() if i.method == "grid_average")


# ---------------------------------------------------------------------------------------------
# Inputs and their validation


@dataclass(frozen=True)
class Problem:
    """One input problem; ``field`` is a dotted path such as
    ``operations.items.office_electricity.quantity``."""

    field: str
    message: str


class DisclosureInputError(ValueError):
    """Invalid disclosure input; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "; ".join(f"{p.field}: {p.message}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")


@dataclass(frozen=True)
class ItemEntry:
    """A quantity entered for one item, in one of the item's units."""

    quantity: float
    unit: str


@dataclass(frozen=True)
class ReportedEmission:
    """The institution's own CO2 figure for a line the platform has no factor for."""

    tco2: float
    source: str = ""


@dataclass(frozen=True)
class OperationsInput:
    """Operational data of one institution and year (Shenzhen template, 表1.1)."""

    employees: int | None = None
    grid_region: str | None = None
    items: Mapping[str, ItemEntry] = field(default_factory=dict)
    reported: Mapping[str, ReportedEmission] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """Plain JSON shape (what the store keeps and the API takes)."""
        return {
            "employees": self.employees,
            "grid_region": self.grid_region,
            "items": {k: {"quantity": v.quantity, "unit": v.unit} for k, v in self.items.items()},
            "reported": {k: {"tco2": v.tco2, "source": v.source} for k, v in self.reported.items()},
        }


def _number(
    value: Any, path: str, problems: list[Problem], *, integer: bool = False
) -> float | None:
    if isinstance(value, bool) or value is None:
        problems.append(Problem(path, "must be a number"))
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            value = float(text)
        except ValueError:
            problems.append(Problem(path, f"must be a number, not {value[:40]!r}"))
            return None
    if not isinstance(value, int | float):
        problems.append(Problem(path, "must be a number"))
        return None
    number = float(value)
    if not math.isfinite(number):
        problems.append(Problem(path, "must be a finite number"))
        return None
    if number < 0:
        problems.append(Problem(path, "must be ≥ 0"))
        return None
    if number > MAX_QUANTITY:
        problems.append(Problem(path, f"implausibly large (> {MAX_QUANTITY:g})"))
        return None
    if integer and number != int(number):
        problems.append(Problem(path, "must be a whole number"))
        return None
    return number


def _unknown_keys(
    given: Mapping[str, Any], allowed: Iterable[str], path: str, problems: list[Problem]
) -> None:
    allowed = tuple(allowed)
    for key in given:
        if key not in allowed:
            problems.append(Problem(f"{path}.{key}", f"unknown field; expected {list(allowed)}"))


def _mapping(value: Any, path: str, problems: list[Problem]) -> Mapping[str, Any] | None:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(Problem(path, "must be an object"))
        return None
    return value


def parse_operations(payload: Any, year: int) -> OperationsInput:
    """Validate operational data for ``year`` and return it typed.

    Shape: ``{"employees": int, "grid_region": str, "items": {item: {"quantity": number,
    "unit": str}}, "reported": {line: {"tco2": number, "source": str}}}``; every part optional.
    Quantities are ≥ 0 (0 is a real value: "none used"); ``unit`` defaults to the item's template
    unit; ``grid_region`` must have a verified grid factor for ``year``.

    Raises
    ------
    DisclosureInputError
        With every problem, each naming its field (``operations.items.<item>.quantity`` …).
    """
    problems: list[Problem] = []
    root = _mapping(payload, "operations", problems)
    if root is None:
        raise DisclosureInputError(problems)
    _unknown_keys(root, ("employees", "grid_region", "items", "reported"), "operations", problems)

    employees: int | None = None
    if root.get("employees") not in (None, ""):
        n = _number(root["employees"], "operations.employees", problems, integer=True)
        if n is not None and not 1 <= n <= MAX_EMPLOYEES:
            problems.append(Problem("operations.employees", f"must be 1–{MAX_EMPLOYEES}"))
        elif n is not None:
            employees = int(n)

    grid_region: str | None = None
    if root.get("grid_region") not in (None, ""):
        text = root["grid_region"]
        spec = _electricity_spec()
        if not isinstance(text, str):
            problems.append(Problem("operations.grid_region", "must be a region name or key"))
        else:
            try:
                grid_region = factors.find_region(text).key
                factors.grid_factor(spec.grid_kind, grid_region, year)
            except factors.FactorError as exc:
                problems.append(Problem("operations.grid_region", exc.reason))
                grid_region = None

    entries: dict[str, ItemEntry] = {}
    given_items = _mapping(root.get("items"), "operations.items", problems)
    known = items_by_key()
    for key, value in (given_items or {}).items():
        path = f"operations.items.{key}"
        spec = known.get(key)
        if spec is None:
            problems.append(Problem(path, f"unknown item; known: {list(known)}"))
            continue
        entry = _mapping(value, path, problems)
        if entry is None:
            continue
        _unknown_keys(entry, ("quantity", "unit"), path, problems)
        if entry.get("quantity") in (None, ""):
            problems.append(Problem(f"{path}.quantity", "required"))
            continue
        quantity = _number(entry["quantity"], f"{path}.quantity", problems)
        unit = entry.get("unit") or spec.units[0]
        if unit not in spec.units:
            problems.append(Problem(f"{path}.unit", f"must be one of {list(spec.units)}"))
            continue
        if quantity is not None:
            entries[key] = ItemEntry(quantity, str(unit))

    reported: dict[str, ReportedEmission] = {}
    given_reported = _mapping(root.get("reported"), "operations.reported", problems)
    for key, value in (given_reported or {}).items():
        path = f"operations.reported.{key}"
        if key not in reported_line_keys():
            problems.append(
                Problem(
                    path, f"not a line the institution reports; expected {reported_line_keys()}"
                )
            )
            continue
        entry = _mapping(value, path, problems)
        if entry is None:
            continue
        _unknown_keys(entry, ("tco2", "source"), path, problems)
        if entry.get("tco2") in (None, ""):
            problems.append(Problem(f"{path}.tco2", "required"))
            continue
        tco2 = _number(entry["tco2"], f"{path}.tco2", problems)
        source = entry.get("source") or ""
        if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            problems.append(Problem(f"{path}.source", f"text of at most {MAX_SOURCE_CHARS} chars"))
            continue
        if tco2 is not None:
            reported[key] = ReportedEmission(tco2, source.strip())

    if problems:
        raise DisclosureInputError(problems)
    return OperationsInput(employees, grid_region, entries, reported)


def parse_narratives(payload: Any) -> dict[str, str]:
    """Validate narrative texts keyed by section (:func:`narrative_keys`); blank texts are
    dropped. Raises :class:`DisclosureInputError` naming ``narratives.<section>``."""
    problems: list[Problem] = []
    root = _mapping(payload, "narratives", problems)
    if root is None:
        raise DisclosureInputError(problems)
    out: dict[str, str] = {}
    for key, value in root.items():
        path = f"narratives.{key}"
        if key not in narrative_keys():
            problems.append(Problem(path, f"unknown section; expected {list(narrative_keys())}"))
        elif value is None:
            continue
        elif not isinstance(value, str):
            problems.append(Problem(path, "must be text"))
        elif len(value) > MAX_NARRATIVE_CHARS:
            problems.append(Problem(path, f"at most {MAX_NARRATIVE_CHARS} characters"))
        elif value.strip():
            out[key] = value.strip().replace("\r\n", "\n")
    if problems:
        raise DisclosureInputError(problems)
    return out


# ---------------------------------------------------------------------------------------------
# The report model


@dataclass(frozen=True)
class Source:
    """Provenance of a figure: what was used, from where, which edition."""

    label: str
    source: str
    edition: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Figure:
    """One reported number. ``value`` is ``None`` exactly when ``status`` is ``missing``;
    ``fill`` then names the input that would fill it (for ``partial``: what is not covered)."""

    key: str
    label_zh: str
    label_en: str
    value: float | None
    unit: str
    status: str
    fill: str = ""
    note: str = ""
    sources: tuple[Source, ...] = ()
    optional: bool = False
    decimals: int = 2

    @property
    def missing(self) -> bool:
        return self.status == "missing"


Cell = str | int | float | Figure | None


@dataclass(frozen=True)
class Column:
    key: str
    label_zh: str
    label_en: str
    unit: str = ""


@dataclass(frozen=True)
class Table:
    """A table; a cell is text, a number, a :class:`Figure` (with its own status) or ``None``
    (not applicable / not available, explained in ``note``)."""

    key: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """Chart data (rendered to SVG by the report renderer). ``kind``: ``bar`` | ``hbar`` |
    ``line``."""

    key: str
    title_zh: str
    kind: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    number: str
    title_zh: str
    title_en: str
    narrative_expected: bool
    narrative: str | None
    prompt_zh: str = ""
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()
    subsections: tuple[Section, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class MissingItem:
    section: str
    label_zh: str
    fill: str
    optional: bool = False


@dataclass(frozen=True)
class Institution:
    id: int | None
    name_zh: str
    synthetic: bool = False


@dataclass(frozen=True)
class DisclosureReport:
    institution: Institution
    year: int
    standard: str
    generated_on: date
    reporting_date: date | None
    sections: tuple[Section, ...]
    missing: tuple[MissingItem, ...]
    sources: tuple[Source, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates ISO)."""
        return _jsonable(asdict(self))

    def figure(self, key: str) -> Figure:
        """The figure with ``key`` anywhere in the report (first occurrence)."""
        for f in _walk_figures(self.sections):
            if f.key == key:
                return f
        raise KeyError(key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _walk_figures(secs: Sequence[Section]) -> Iterable[Figure]:
    for s in secs:
        yield from s.figures
        for t in s.tables:
            for row in t.rows:
                yield from (c for c in row if isinstance(c, Figure))
        yield from _walk_figures(s.subsections)


def _missing(
    key: str, zh: str, en: str, unit: str, fill: str, *, optional: bool = False, note: str = ""
) -> Figure:
    return Figure(key, zh, en, None, unit, "missing", fill=fill, optional=optional, note=note)


# ---------------------------------------------------------------------------------------------
# Investment and financing (from the per-loan results frame)


@dataclass
class _Part:
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, Chart] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    reporting_date: date | None = None


def _wan(fen: int | float) -> float:
    return float(fen) / FEN_PER_10K_CNY


def _pct(x: float | None) -> float | None:
    return None if x is None else x * 100.0


LOAN_FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("green_balance", "绿色贷款余额", "Green loan balance", "万元"),
    ("total_balance", "各项贷款余额", "Total loan balance", "万元"),
    ("green_share", "绿色贷款占各项贷款比例", "Green share of all loans", "%"),
    ("green_yoy", "绿色贷款余额同比增速", "Green loan growth, year on year", "%"),
    ("green_npl_ratio", "绿色贷款不良率", "Green NPL ratio", "%"),
    ("green_loans", "绿色贷款笔数", "Number of green loans", "笔"),
    ("reduction_tco2e", "支持项目年减排二氧化碳当量", "Annual CO2e reduction of financed projects",
     "tCO2e/年"),
    ("saving_tce", "支持项目年节约标准煤", "Annual standard-coal saving of financed projects",
     "tce/年"),
    ("financed_scope1", "融资排放（范围一）", "Financed emissions, scope 1", "tCO2e"),
    ("financed_scope2", "融资排放（范围二）", "Financed emissions, scope 2", "tCO2e"),
    ("financed_scope3", "融资排放（范围三）", "Financed emissions, scope 3", "tCO2e"),
    ("financed_total", "融资排放合计（范围一+二）", "Financed emissions, scopes 1+2", "tCO2e"),
    ("financed_dq", "融资排放数据质量评分（PCAF，加权）", "PCAF data-quality score (weighted)",
     "1–5"),
    ("financed_coverage", "融资排放覆盖的贷款余额比例", "Share of balance with financed emissions",
     "%"),
)  # fmt: skip
_LOAN_LABELS = {k: (zh, en, unit) for k, zh, en, unit in LOAN_FIGURES}
LOANS_FILL = (
    "贷款明细：导入本年度报告日的贷款明细（greenfin loans import）并完成分析 / import the loan "
    "book for a date in the year and run the loan-book analysis"
)


def _loan_missing(key: str, fill: str = LOANS_FILL, note: str = "") -> Figure:
    zh, en, unit = _LOAN_LABELS[key]
    return _missing(key, zh, en, unit, fill, note=note)


def _loan_figure(
    key: str, value: float | int, sources: tuple[Source, ...], *, note: str = "",
    status: str = "computed", fill: str = "", decimals: int = 2,
) -> Figure:  # fmt: skip
    zh, en, unit = _LOAN_LABELS[key]
    return Figure(key, zh, en, float(value), unit, status, fill=fill, note=note,
                  sources=sources, decimals=decimals)  # fmt: skip


def _shift_year(d: date) -> date:
    """The same month end twelve months earlier (2026-02-28 → 2025-02-28; month ends stay month
    ends, as in :mod:`greenfin.banking.statistics`)."""
    value = pl.select(pl.lit(d).dt.offset_by("-12mo")).item()
    month_end = pl.select(pl.lit(d).dt.month_end()).item()
    return pl.select(pl.lit(value).dt.month_end()).item() if d == month_end else value


def _loans_part(loans: pl.DataFrame | None, year: int, source_label: str) -> _Part:
    part = _Part()
    keys = [k for k, *_ in LOAN_FIGURES]
    absent = [] if loans is None else [c for c in REQUIRED_LOAN_COLUMNS if c not in loans.columns]
    if loans is None or loans.is_empty() or absent:
        note = f"缺少列 / missing columns: {absent}" if absent else ""
        part.figures = {k: _loan_missing(k, note=note) for k in keys}
        return part
    dates = sorted(d for d in loans.get_column("as_of").unique().to_list() if d is not None)
    in_year = [d for d in dates if d.year == year]
    if not in_year:
        note = f"贷款明细的报告日 / loan-book dates available: {[d.isoformat() for d in dates]}"
        part.figures = {k: _loan_missing(k, note=note) for k in keys}
        return part
    day = max(in_year)
    part.reporting_date = day
    if "bank" not in loans.columns:  # one institution's book: the label is not needed
        loans = loans.with_columns(pl.lit("institution").alias("bank"))
    history = loans.filter(pl.col("as_of") <= day)
    at_day = loans.filter(pl.col("as_of") == day)
    editions = sorted(e for e in at_day.get_column("green_edition").unique().to_list() if e)
    loan_source = Source(
        "贷款明细分析结果 / per-loan results",
        source_label,
        f"报告日 {day.isoformat()}；绿色认定目录版本 {', '.join(editions) or '—'}",
        "绿色贷款 = 平台筛查结论为 eligible 的贷款（green_code 非空）；统计口径见 "
        "greenfin.banking.statistics（绿色贷款专项统计）",
    )
    part.sources.append(loan_source)
    src = (loan_source,)
    if day != date(year, 12, 31):
        part.notes.append(
            f"本年度最近的贷款明细报告日为 {day.isoformat()}，非年末数据 / latest loan-book date "
            "in "
            f"the year is {day.isoformat()}, not the year end."
        )

    summary = statistics.summary(history).filter(pl.col("bank") == statistics.ALL_BANKS)
    row = summary.filter(pl.col("as_of") == day).row(0, named=True)
    figs = part.figures
    figs["green_balance"] = _loan_figure("green_balance", _wan(row["green_balance_fen"]), src)
    figs["total_balance"] = _loan_figure("total_balance", _wan(row["total_balance_fen"]), src)
    figs["green_loans"] = _loan_figure("green_loans", row["green_loans"], src, decimals=0)
    if row["green_share"] is None:
        figs["green_share"] = _loan_missing("green_share", note="各项贷款余额为零 / no balance")
    else:
        figs["green_share"] = _loan_figure("green_share", _pct(row["green_share"]), src)
    earlier = _shift_year(day)
    if row["yoy"] is None:
        figs["green_yoy"] = _loan_missing(
            "green_yoy",
            f"上年同期（{earlier.isoformat()}）贷款明细 / the loan book as of {earlier.isoformat()}"
            "（且该日绿色贷款余额大于零）",
        )
    else:
        figs["green_yoy"] = _loan_figure(
            "green_yoy", _pct(row["yoy"]), src, note=f"对比 {earlier.isoformat()}"
        )
    if row["green_npl_ratio"] is None:
        figs["green_npl_ratio"] = _loan_missing(
            "green_npl_ratio", "绿色贷款（余额大于零）/ green loans with a positive balance"
        )
    else:
        figs["green_npl_ratio"] = _loan_figure("green_npl_ratio", _pct(row["green_npl_ratio"]), src)

    trend = summary.sort("as_of")
    part.charts["trend"] = Chart(
        "green_balance_trend", "绿色贷款余额走势（万元）", "line" if trend.height > 1 else "bar",
        tuple(d.isoformat() for d in trend.get_column("as_of")),
        (Series("绿色贷款余额", tuple(_wan(v) for v in trend.get_column("green_balance_fen"))),),
        "万元",
    )  # fmt: skip
    _breakdowns(part, history, day, src)
    _benefits(part, at_day, loan_source)
    _financed(part, at_day, loan_source)
    return part


def _breakdowns(part: _Part, history: pl.DataFrame, day: date, src: tuple[Source, ...]) -> None:
    columns = (
        Column("category", "类别", "Category"),
        Column("balance", "余额", "Balance", "万元"),
        Column("share", "占绿色贷款比例", "Share of green loans", "%"),
        Column("yoy", "同比增速", "Growth y/y", "%"),
    )
    use = statistics.by_use(history, STATISTICS_STRUCTURE).filter(
        (pl.col("bank") == statistics.ALL_BANKS) & (pl.col("as_of") == day)
    )
    benefit = statistics.by_carbon_benefit(history).filter(
        (pl.col("bank") == statistics.ALL_BANKS) & (pl.col("as_of") == day)
    )
    for key, title_zh, title_en, frame in (
        ("by_use", "绿色贷款按用途（2025年统计口径）", "Green loans by use (2025 structure)", use),
        ("by_carbon_benefit", "绿色贷款按碳减排效益", "Green loans by carbon benefit", benefit),
    ):
        rows = tuple(
            (
                r["name_zh"],
                _wan(r["balance_fen"]),
                _pct(r["share"]),
                _pct(r["yoy"]),
            )
            for r in frame.iter_rows(named=True)
            if r["category"] not in (statistics.UNMAPPED, "undetermined") or r["balance_fen"] > 0
        )
        part.tables.append(
            Table(
                key,
                title_zh,
                title_en,
                columns,
                rows,
                "同比增速为空：上年同期无该类余额或无上年同期数据 / growth blank: no balance a "
                "year earlier or no book for that date",
            )
        )
    part.charts["by_use"] = Chart(
        "green_by_use", "绿色贷款按用途（万元）", "hbar",
        tuple(r["name_zh"] for r in use.iter_rows(named=True) if r["balance_fen"] > 0),
        (Series("余额", tuple(_wan(r["balance_fen"]) for r in use.iter_rows(named=True)
                             if r["balance_fen"] > 0)),),
        "万元",
    )  # fmt: skip


def _coverage_note(n: int, total: int, fen: int, total_fen: int, what: str) -> str:
    share = f"{fen / total_fen:.1%}" if total_fen else "—"
    return f"覆盖 {n}/{total} 笔{what}，余额占比 {share} / covers {n} of {total} loans ({share})"


def _benefits(part: _Part, at_day: pl.DataFrame, loan_source: Source) -> None:
    green = at_day.filter(pl.col("green_code").is_not_null())
    n_green = green.height
    green_fen = int(green.get_column("outstanding_fen").sum() or 0)
    rule = Source(
        "减排量归属 / attribution",
        "人民银行碳减排支持工具答记者问 2021-11-08：项目年减排量 × 贷款金额 ÷ 项目总投资 "
        "(greenfin.carbon.cerf; greenfin.banking.pipeline)",
        "methods.md §3.3",
        "项目年减排量取自贷款明细的 project_annual_reduction_tco2e（可研、环评或第三方评估）",
    )
    fills = {
        "reduction_tco2e": (
            REDUCTION_COLUMN,
            "贷款明细中绿色贷款的项目年减排量（project_annual_reduction_tco2e）与项目总投资"
            "（project_total_investment_cny）",
        ),
        "saving_tce": (
            SAVING_COLUMN,
            "项目年节能量（吨标准煤）：贷款明细模板与分析流程尚无此字段 / project annual energy "
            "saving (tce): not yet a loan-book or pipeline field",
        ),
    }
    for key, (column, fill) in fills.items():
        if n_green == 0:
            part.figures[key] = _loan_missing(key, "绿色贷款 / green loans (none on the date)")
            continue
        if column not in green.columns:
            part.figures[key] = _loan_missing(key, fill)
            continue
        have = green.filter(pl.col(column).is_not_null())
        if have.is_empty():
            part.figures[key] = _loan_missing(key, fill)
            continue
        fen = int(have.get_column("outstanding_fen").sum() or 0)
        total = float(have.get_column(column).sum())
        complete = have.height == n_green
        part.figures[key] = _loan_figure(
            key, total, (loan_source, rule),
            note=_coverage_note(have.height, n_green, fen, green_fen, "绿色贷款"),
            status="computed" if complete else "partial", fill="" if complete else fill,
        )  # fmt: skip
    part.sources.append(rule)


def _financed(part: _Part, at_day: pl.DataFrame, loan_source: Source) -> None:
    method = Source(
        "融资排放 / financed emissions",
        "PCAF Part A 商业贷款：归属系数 × 借款人排放 (greenfin.carbon.pcaf; "
        "greenfin.banking.pipeline)",
        pcaf.EDITION,
        "加权数据质量评分 DQ = Σ(余额 × 评分) ÷ Σ余额（PCAF Box 8）",
    )
    total_fen = int(at_day.get_column("outstanding_fen").sum() or 0)
    fill = "借款人排放与资产负债数据（borrower scope 1/2、EVIC 或总权益+负债）/ borrower data"
    computed: dict[str, Figure] = {}
    for scope in ("scope1", "scope2", "scope3"):
        key, column = f"financed_{scope}", FINANCED_COLUMNS[scope]
        if column not in at_day.columns:
            reason = (
                "分析流程未核算范围三（无 GB/T 4754 → NACE 行业对照）/ scope 3 not attempted by "
                "the pipeline"
                if scope == "scope3"
                else fill
            )
            part.figures[key] = _loan_missing(key, reason)
            continue
        have = at_day.filter(pl.col(column).is_not_null())
        if have.is_empty():
            part.figures[key] = _loan_missing(key, fill)
            continue
        fen = int(have.get_column("outstanding_fen").sum() or 0)
        complete = have.height == at_day.height
        computed[scope] = part.figures[key] = _loan_figure(
            key, float(have.get_column(column).sum()), (loan_source, method),
            note=_coverage_note(have.height, at_day.height, fen, total_fen, "贷款"),
            status="computed" if complete else "partial", fill="" if complete else fill,
        )  # fmt: skip
    if "scope1" in computed and "scope2" in computed:
        both = at_day.filter(
            pl.col(FINANCED_COLUMNS["scope1"]).is_not_null()
            & pl.col(FINANCED_COLUMNS["scope2"]).is_not_null()
        )
        fen = int(both.get_column("outstanding_fen").sum() or 0)
        value = float(
            both.select(pl.col(FINANCED_COLUMNS["scope1"]) + pl.col(FINANCED_COLUMNS["scope2"]))
            .to_series()
            .sum()
        )
        complete = both.height == at_day.height
        part.figures["financed_total"] = _loan_figure(
            "financed_total", value, (loan_source, method),
            note=_coverage_note(both.height, at_day.height, fen, total_fen, "贷款"),
            status="computed" if complete else "partial", fill="" if complete else fill,
        )  # fmt: skip
        part.figures["financed_coverage"] = _loan_figure(
            "financed_coverage", 100.0 * fen / total_fen if total_fen else 0.0, (loan_source,)
        )
    else:
        part.figures["financed_total"] = _loan_missing("financed_total", fill)
        part.figures["financed_coverage"] = _loan_missing("financed_coverage", fill)
    if DQ_COLUMN in at_day.columns:
        scored = at_day.filter(pl.col(DQ_COLUMN).is_not_null() & (pl.col("outstanding_fen") > 0))
        if not scored.is_empty():
            weighted = scored.select(
                (pl.col("outstanding_fen").cast(pl.Float64) * pl.col(DQ_COLUMN)).sum()
                / pl.col("outstanding_fen").cast(pl.Float64).sum()
            ).item()
            part.figures["financed_dq"] = _loan_figure(
                "financed_dq", weighted, (loan_source, method),
                note=f"按 {scored.height} 笔有评分贷款的余额加权 / balance-weighted over "
                f"{scored.height} scored loans",
            )  # fmt: skip
    part.figures.setdefault("financed_dq", _loan_missing("financed_dq", fill))
    part.sources.append(method)


# ---------------------------------------------------------------------------------------------
# Operations (entered by the institution, converted with the carbon factor library)


@dataclass(frozen=True)
class _ItemResult:
    spec: ItemSpec
    quantity: Figure
    per_capita: Figure
    emission: Figure | None  # None: no platform factor (method none)


def _factor_source(f: factors.Factor, label: str) -> Source:
    detail = f"{f.value:g} {f.unit}"
    if f.data_year:
        detail += f"；数据年份 {f.data_year}"
    if f.selection:
        detail += f"；{f.selection}"
    if f.derivation:
        detail += f"；{f.derivation}"
    return Source(label, f.source, f.edition, f"{detail}；status {f.status}")


def _item_emission(spec: ItemSpec, entry: ItemEntry, ops: OperationsInput, year: int) -> Figure:
    """CO2 of one entered item (tCO2), or missing with the reason."""
    key = f"{spec.key}.co2"
    zh, en = f"{spec.group_zh}—{spec.name_zh} 碳排放", f"{spec.name_en}: CO2"
    try:
        if spec.method == "fuel_mass_ipcc":
            if parse_unit(entry.unit).dimension_name != "mass":
                return _missing(
                    key, zh, en, EMISSIONS_UNIT,
                    f"operations.items.{spec.key}：按吨填报（平台未内置燃料密度，按升无法折算）/ "
                    "enter tonnes: no fuel densities are shipped",
                )  # fmt: skip
            f = factors.fuel_factor(spec.fuel, entry.unit, emissions_unit=EMISSIONS_UNIT)
            value = f.apply(entry.quantity, entry.unit, EMISSIONS_UNIT)
            sources: tuple[Source, ...] = (
                _factor_source(f, f"{spec.name_zh}排放因子（IPCC 2006）"),
            )
        elif spec.method == "fuel_volume_standard_coal_ipcc":
            coal = factors.standard_coal_coefficient(spec.standard_coal_energy)
            energy_tce = coal.apply(entry.quantity, entry.unit, "tce")
            f = factors.fuel_factor(spec.fuel, "tce", emissions_unit=EMISSIONS_UNIT)
            value = f.apply(energy_tce, "tce", EMISSIONS_UNIT)
            sources = (
                _factor_source(coal, f"{spec.name_zh}折标准煤系数"),
                _factor_source(f, f"{spec.name_zh}排放因子（IPCC 2006，按能量）"),
            )
        elif spec.method == "grid_average":
            region = ops.grid_region or spec.grid_region
            f = factors.grid_factor(spec.grid_kind, region, year)
            value = f.apply(entry.quantity, entry.unit, EMISSIONS_UNIT)
            sources = (_factor_source(f, f"电网排放因子（{f.region}）"),)
        else:  # pragma: no cover - method none is handled by the caller
            raise ValueError(spec.method)
    except (factors.FactorError, UnitError) as exc:
        return _missing(key, zh, en, EMISSIONS_UNIT, f"排放因子不可用 / no factor: {exc}")
    return Figure(key, zh, en, float(value), EMISSIONS_UNIT, "computed", sources=sources,
                  decimals=3)  # fmt: skip


def _per_capita(key: str, zh: str, en: str, value: float | None, unit: str,
                employees: int | None, *, optional: bool = False) -> Figure:  # fmt: skip
    if value is None:
        return _missing(key, zh, en, unit, "总量缺失 / total missing", optional=optional)
    if employees is None:
        return _missing(key, zh, en, unit, "operations.employees（员工人数 / headcount）",
                        optional=optional)  # fmt: skip
    return Figure(key, zh, en, value / employees, unit, "computed",
                  note=f"÷ {employees} 人", decimals=4)  # fmt: skip


def _item_results(ops: OperationsInput | None, year: int, ops_source: Source) -> list[_ItemResult]:
    ops = ops or OperationsInput()
    out = []
    for spec in items():
        entry = ops.items.get(spec.key)
        zh = f"{spec.group_zh}—{spec.name_zh}"
        fill = f"operations.items.{spec.key}（{spec.name_zh}，{spec.unit_labels_zh[0]}）"
        if entry is None:
            quantity = _missing(spec.key, zh, spec.name_en, spec.unit_labels_zh[0], fill,
                                optional=spec.optional)  # fmt: skip
        else:
            quantity = Figure(spec.key, zh, spec.name_en, entry.quantity,
                              spec.unit_label(entry.unit), "reported", sources=(ops_source,),
                              optional=spec.optional, note=spec.note)  # fmt: skip
        per_capita = _per_capita(
            f"{spec.key}.per_capita", f"{zh}（人均）", f"{spec.name_en} per employee",
            quantity.value, f"{quantity.unit}/人", ops.employees, optional=spec.optional,
        )  # fmt: skip
        emission: Figure | None = None
        if spec.method != "none":
            if entry is None:
                emission = _missing(f"{spec.key}.co2", f"{zh} 碳排放", f"{spec.name_en}: CO2",
                                    EMISSIONS_UNIT, fill, optional=spec.optional)  # fmt: skip
            else:
                emission = _item_emission(spec, entry, ops, year)
        out.append(_ItemResult(spec, quantity, per_capita, emission))
    return out


def _line_figures(
    results: list[_ItemResult], ops: OperationsInput | None, ops_source: Source
) -> list[tuple[LineSpec, Figure]]:
    ops = ops or OperationsInput()
    by_item = {r.spec.key: r for r in results}
    out = []
    for line in emission_lines():
        key, zh, en = f"line.{line.key}", line.name_zh, line.name_en
        if line.bank_reported:
            rep = ops.reported.get(line.key)
            if rep is None:
                figure = _missing(
                    key, zh, en, EMISSIONS_UNIT,
                    f"operations.reported.{line.key}（机构自行核算的排放量 / the institution's own "
                    "figure; the factor library has none）",
                    optional=line.optional,
                )  # fmt: skip
            else:
                source = Source("机构填报 / reported by the institution",
                                rep.source or ops_source.source, ops_source.edition)  # fmt: skip
                figure = Figure(key, zh, en, rep.tco2, EMISSIONS_UNIT, "reported",
                                sources=(source,), optional=line.optional, decimals=3)  # fmt: skip
            out.append((line, figure))
            continue
        emissions = [by_item[i].emission for i in line.items]
        have = [e for e in emissions if e is not None and e.value is not None]
        lacking = [
            by_item[i].spec.name_zh
            + ("（未填报）" if by_item[i].quantity.missing else "（无法折算）")
            for i, e in zip(line.items, emissions, strict=True)
            if e is None or e.value is None
        ]
        sources = tuple(dict.fromkeys(s for e in have for s in e.sources))
        if not have:
            figure = _missing(key, zh, en, EMISSIONS_UNIT,
                              "、".join(f"operations.items.{i}" for i in line.items),
                              optional=line.optional)  # fmt: skip
        else:
            status = "computed" if not lacking else "partial"
            figure = Figure(key, zh, en, sum(e.value for e in have if e.value is not None),
                            EMISSIONS_UNIT, status, fill="、".join(lacking),
                            note=f"未计入 / not included: {'、'.join(lacking)}" if lacking else "",
                            sources=sources, optional=line.optional, decimals=3)  # fmt: skip
        out.append((line, figure))
    return out


SCOPE_LABELS: dict[int, tuple[str, str]] = {
    1: ("范围一排放（仅CO2）", "Scope 1 (CO2 only)"),
    2: ("范围二排放（仅CO2）", "Scope 2 (CO2 only)"),
    3: ("范围三排放（仅CO2）", "Scope 3 (CO2 only)"),
}


def _sum_figure(key: str, zh: str, en: str, parts: Sequence[Figure]) -> Figure:
    """Sum of figures: missing when none has a value; partial when a required part is missing
    or partial (missing optional parts are listed in the note but do not make it partial)."""
    have = [p for p in parts if p.value is not None]
    required_gaps = [p for p in parts if not p.optional and p.status in ("missing", "partial")]
    partial_optional = [p for p in parts if p.optional and p.status == "partial"]
    optional_missing = [p for p in parts if p.optional and p.status == "missing"]
    sources = tuple(dict.fromkeys(s for p in have for s in p.sources))
    if not have:
        return _missing(key, zh, en, EMISSIONS_UNIT, "、".join(p.label_zh for p in parts))
    gaps = required_gaps + partial_optional
    note = ""
    if optional_missing:
        note = "可选项/如有项未填报 / optional lines not entered: " + "、".join(
            p.label_zh for p in optional_missing
        )
    return Figure(
        key, zh, en, sum(p.value for p in have if p.value is not None), EMISSIONS_UNIT,
        "partial" if gaps else "computed", fill="、".join(p.label_zh for p in gaps), note=note,
        sources=sources, decimals=3,
    )  # fmt: skip


@dataclass
class _OpsPart:
    items: list[_ItemResult]
    lines: list[tuple[LineSpec, Figure]]
    scopes: dict[int, Figure]
    total: Figure
    intensity: Figure
    employees: Figure
    recycled_ratio: Figure
    sources: list[Source]


def _operations_part(ops: OperationsInput | None, year: int, ops_source: Source) -> _OpsPart:
    results = _item_results(ops, year, ops_source)
    lines = _line_figures(results, ops, ops_source)
    scopes = {
        s: _sum_figure(f"scope{s}", *SCOPE_LABELS[s], [f for line, f in lines if line.scope == s])
        for s in (1, 2, 3)
    }
    total = _sum_figure("operations_total", "二氧化碳排放总量（范围一+二+三）",
                        "Total CO2 emissions (scopes 1–3)", list(scopes.values()))  # fmt: skip
    employees_n = ops.employees if ops else None
    intensity = _per_capita(
        "operations_intensity", "二氧化碳排放强度（人均）", "CO2 intensity per employee",
        total.value, "tCO2/人", employees_n,
    )  # fmt: skip
    if intensity.value is not None and total.status == "partial":
        intensity = replace(intensity, status="partial", fill=total.fill)
    employees = (
        Figure("employees", "员工人数", "Employees", float(employees_n), "人", "reported",
               sources=(ops_source,), decimals=0)
        if employees_n is not None
        else _missing("employees", "员工人数", "Employees", "人",
                      "operations.employees（用于人均指标 / for per-capita figures）")
    )  # fmt: skip
    by_key = {r.spec.key: r for r in results}
    recycled, paper = by_key["recycled_paper"].quantity, by_key["paper"].quantity
    if recycled.value is not None and paper.value:
        recycled_ratio = Figure("recycled_paper_ratio", "回收纸比例", "Recycled paper share",
                                100.0 * recycled.value / paper.value, "%", "computed",
                                note="回收纸 ÷ 纸张消耗", optional=True)  # fmt: skip
    else:
        recycled_ratio = _missing(
            "recycled_paper_ratio", "回收纸比例", "Recycled paper share", "%",
            "operations.items.recycled_paper 与 operations.items.paper（大于零）", optional=True,
        )  # fmt: skip
    sources = [
        ops_source,
        *list(
            dict.fromkeys(s for r in results if r.emission is not None for s in r.emission.sources)
        ),
    ]
    return _OpsPart(results, lines, scopes, total, intensity, employees, recycled_ratio, sources)


ITEM_COLUMNS = (
    Column("indicator", "指标", "Indicator"),
    Column("item", "披露细项", "Item"),
    Column("unit", "单位", "Unit"),
    Column("total", "总量", "Total"),
    Column("per_capita", "人均", "Per employee"),
    Column("co2", "碳排放", "CO2", EMISSIONS_UNIT),
)
LINE_COLUMNS = (
    Column("scope", "范围", "Scope"),
    Column("line", "排放项", "Line"),
    Column("co2", "碳排放", "CO2", EMISSIONS_UNIT),
    Column("note", "说明", "Note"),
)


def _items_table(part: _OpsPart, subsection: str, key: str, title_zh: str, title_en: str) -> Table:
    rows = tuple(
        (r.spec.indicator_zh, f"{r.spec.group_zh}—{r.spec.name_zh}", r.quantity.unit,
         r.quantity, r.per_capita, r.emission)
        for r in part.items
        if r.spec.subsection == subsection
    )  # fmt: skip
    return Table(key, title_zh, title_en, ITEM_COLUMNS, rows,
                 "碳排放列为空：该项平台无排放因子，排放见下表由机构填报的排放项 / blank CO2: no "
                 "factor in the library for this item")  # fmt: skip


def _lines_table(part: _OpsPart, scopes: Sequence[int], key: str, title_zh: str) -> Table:
    rows = tuple(
        (f"范围{'一二三'[line.scope - 1]}", line.name_zh, figure, line.note)
        for line, figure in part.lines
        if line.scope in scopes
    )
    return Table(key, title_zh, "Greenhouse-gas emissions (CO2 only)", LINE_COLUMNS, rows)


# ---------------------------------------------------------------------------------------------
# Assembly


def build_report(
    *,
    institution: Institution,
    year: int,
    loans: pl.DataFrame | None,
    operations: OperationsInput | None,
    narratives: Mapping[str, str] | None,
    generated_on: date | None = None,
    loans_source: str = "平台贷款明细分析结果 (greenfin.banking.pipeline)",
    operations_source: str = "机构填报 / entered by the institution",
    notes: Sequence[str] = (),
) -> DisclosureReport:
    """The annual disclosure report of ``institution`` for ``year``.

    Parameters
    ----------
    loans
        Per-loan results of the institution (the :mod:`greenfin.banking.pipeline` contract,
        stacked over ``as_of``); ``None`` when none exist — every loan figure is then missing.
    operations
        Operational data (:func:`parse_operations`); ``None`` when not entered.
    narratives
        Section texts (:func:`parse_narratives`).
    """
    narratives = dict(narratives or {})
    ops_src = Source("经营活动数据 / operational data", operations_source,
                     "深圳模板 2022 表1.1 指标口径")  # fmt: skip
    loan_part = _loans_part(loans, year, loans_source)
    ops_part = _operations_part(operations, year, ops_src)
    lf = loan_part.figures

    blocks: dict[str, dict[str, Any]] = {
        "overview": {
            "figures": (
                lf["green_balance"],
                lf["green_share"],
                lf["green_yoy"],
                lf["reduction_tco2e"],
                ops_part.total,
            ),
            "charts": tuple(c for k, c in loan_part.charts.items() if k == "trend"),
            "notes": tuple(loan_part.notes),
        },
        "financing": {
            "figures": tuple(lf[k] for k, *_ in LOAN_FIGURES),
            "tables": tuple(loan_part.tables),
            "charts": tuple(loan_part.charts.values()),
            "notes": (
                *loan_part.notes,
                "环境效益为绿色贷款所支持项目按贷款占比归属的年度量；融资排放按 PCAF 商业贷款方法，"
                "仅含范围一、二 / benefits are attributed annual amounts; financed emissions per "
                "PCAF business loans, scopes 1 and 2.",
            ),
        },
        "operations_direct": {
            "figures": (ops_part.scopes[1],),
            "tables": (
                _items_table(
                    ops_part,
                    "direct",
                    "operations_direct_items",
                    "直接能源与资源消耗",
                    "Direct energy and resource use",
                ),
                _lines_table(ops_part, (1,), "scope1_lines", "范围一温室气体排放（仅CO2）"),
            ),
        },
        "operations_indirect": {
            "figures": (ops_part.scopes[2], ops_part.scopes[3]),
            "tables": (
                _items_table(
                    ops_part,
                    "indirect",
                    "operations_indirect_items",
                    "外购能源与服务",
                    "Purchased energy and services",
                ),
                _lines_table(
                    ops_part, (2, 3), "scope23_lines", "范围二、范围三温室气体排放（仅CO2）"
                ),
            ),
        },
        "operations_totals": {
            "figures": (
                ops_part.employees,
                *ops_part.scopes.values(),
                ops_part.total,
                ops_part.intensity,
                ops_part.recycled_ratio,
            ),
            "charts": (
                Chart(
                    "operations_by_scope",
                    "经营活动碳排放按范围（tCO2）",
                    "bar",
                    ("范围一", "范围二", "范围三"),
                    (Series("碳排放", tuple(ops_part.scopes[s].value for s in (1, 2, 3))),),
                    EMISSIONS_UNIT,
                ),
            ),
            "notes": (
                "口径：《深圳市金融机构环境信息披露模板及指标说明》表1.1，温室气体仅包含CO2；"
                "电力按位置法区域电网平均排放因子，因子年份取不晚于报告年度的最新数据年份。"
                "未填报的细项记为缺失，不按零计；确无消耗请填 0。",
            ),
        },
    }

    def make(spec: SectionSpec) -> Section:
        block = blocks.get(spec.auto, {})
        children = tuple(make(c) for c in sections() if c.parent == spec.key)
        return Section(
            key=spec.key, number=spec.number, title_zh=spec.title_zh, title_en=spec.title_en,
            narrative_expected=spec.narrative, narrative=narratives.get(spec.key),
            prompt_zh=spec.prompt_zh, figures=block.get("figures", ()),
            tables=block.get("tables", ()), charts=block.get("charts", ()),
            notes=block.get("notes", ()), subsections=children,
            source=f"{spec.source}（{spec.edition}）",
        )  # fmt: skip

    built = tuple(make(s) for s in sections() if not s.parent)
    missing = tuple(_missing_items(built, "", set()))
    sources = tuple(dict.fromkeys([*loan_part.sources, *ops_part.sources]))
    return DisclosureReport(
        institution=institution, year=year, standard=STANDARD,
        generated_on=generated_on or date.today(), reporting_date=loan_part.reporting_date,
        sections=built, missing=missing, sources=sources, notes=tuple(notes),
    )  # fmt: skip


def _missing_items(secs: Sequence[Section], prefix: str, seen: set[str]) -> Iterable[MissingItem]:
    for s in secs:
        where = f"{prefix}{s.number} {s.title_zh}"
        if s.narrative_expected and not s.narrative:
            yield MissingItem(where, "文字说明 / narrative", f"narratives.{s.key}")
        figures = list(s.figures)
        for t in s.tables:
            for row in t.rows:
                figures.extend(c for c in row if isinstance(c, Figure))
        for f in figures:
            if f.missing and f.key not in seen:
                seen.add(f.key)
                yield MissingItem(where, f.label_zh, f.fill, f.optional)
        yield from _missing_items(s.subsections, f"{where} › ", seen)
