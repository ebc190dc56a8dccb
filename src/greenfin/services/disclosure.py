"""Environmental information disclosure reports (JR/T 0227—2021) of financial institutions.

Use cases: read and save what an institution enters by hand (operational data and narrative
sections, table ``bank_period_inputs``, kinds ``disclosure_operations`` / ``disclosure_narrative``,
period = the year), build the report from those inputs and the platform's loan-book analyses
(:func:`greenfin.services.loan_analysis.results_frame`), and render it to HTML and PDF.

Permissions
-----------
- Read a report or its inputs: the institution's own users (role ``bank``, any financial
  institution kind: bank, insurer, guarantor), regulators and admins; another institution's
  report answers 404 to a bank user. Enterprises and reviewers are refused.
- Enter inputs: the institution's own users and admins. Every save is ledgered in the same
  transaction; a save with any invalid field writes nothing.
- The command line acts as the platform (:class:`~greenfin.identity.principal.SystemActor`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.banking import disclosure as domain
from greenfin.banking import pipeline
from greenfin.demo.disclosure import DEMO_YEAR, demo_inputs
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import ALLOWED_ORG_KINDS, Role
from greenfin.reports import charts
from greenfin.reports.pdf import BASE_CSS, html_to_pdf
from greenfin.services import loan_analysis
from greenfin.services.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from greenfin.services.types import UtcDatetime
from greenfin.store.models import BankPeriodInput, Organisation

KIND_OPERATIONS = "disclosure_operations"
KIND_NARRATIVE = "disclosure_narrative"
INSTITUTION_KINDS = frozenset(k.value for k in ALLOWED_ORG_KINDS[Role.BANK])
READERS = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})
WRITERS = frozenset({Role.BANK, Role.ADMIN})
FIRST_YEAR, LAST_YEAR = 2000, 2100
LOAN_COLUMNS: tuple[str, ...] = (
    *domain.REQUIRED_LOAN_COLUMNS,
    "bank",
    "industry_code",
    "industry_section",
    "district",
    "in_city_sub_centre",
    "borrower_uscc",
    domain.REDUCTION_COLUMN,
    domain.SAVING_COLUMN,
    *domain.FINANCED_COLUMNS.values(),
    domain.DQ_COLUMN,
)

ResultsSource = Callable[[Session, Actor, int, Path | None], pl.DataFrame | None]
"""Where the per-loan results come from: ``(session, actor, institution id, data dir)`` → the
stacked results frame (``None`` or empty: no analysed loan book)."""


def platform_results(
    session: Session, actor: Actor, institution_id: int, data_dir: Path | None
) -> pl.DataFrame | None:
    """The institution's analysed loan books (every reporting date), only the columns the report
    reads."""
    available = pipeline.result_schema()
    columns = [c for c in dict.fromkeys(LOAN_COLUMNS) if c in available]
    return loan_analysis.results_frame(
        session, actor, bank_organisation_id=institution_id, data_dir=data_dir, columns=columns
    )


# ---------------------------------------------------------------------------------------------
# Input models (API body); field rules live in greenfin.banking.disclosure


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Annotated[float, Field(description="Quantity in ``unit`` (≥ 0; 0 = none used)")]
    unit: Annotated[
        str | None, Field(description="One of the item's units; default: the template's")
    ] = None


class ReportedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tco2: Annotated[float, Field(description="The institution's own figure, tCO2")]
    source: Annotated[str, Field(max_length=domain.MAX_SOURCE_CHARS)] = ""


class OperationsIn(BaseModel):
    """Operational data (Shenzhen template 表1.1). Item and line keys: see
    ``reference/data/banking/disclosure_operations_items.csv`` / ``…emission_lines.csv``."""

    model_config = ConfigDict(extra="forbid")

    employees: Annotated[int | None, Field(description="Headcount, for per-capita figures")] = None
    grid_region: Annotated[
        str | None, Field(description="Grid region for electricity (default 华北 north_china)")
    ] = None
    items: dict[str, ItemIn] = Field(default_factory=dict)
    reported: dict[str, ReportedIn] = Field(default_factory=dict)


class InputsIn(BaseModel):
    """What an institution enters; a part that is left out (``null``) is kept as it was."""

    model_config = ConfigDict(extra="forbid")

    operations: OperationsIn | None = None
    narratives: dict[str, str] | None = Field(
        default=None, description="Section key → text; keys: the narrative sections"
    )


class InputsOut(BaseModel):
    institution_id: int
    year: int
    operations: dict[str, Any] | None
    narratives: dict[str, str]
    updated_at: UtcDatetime | None
    entered_by_user_id: int | None


class InstitutionOut(BaseModel):
    id: int
    name_zh: str
    kind: str
    synthetic: bool


# ---------------------------------------------------------------------------------------------
# Permissions and look-ups


def _is_principal(actor: Actor) -> bool:
    return isinstance(actor, Principal)


def _check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput.on("year", f"must be {FIRST_YEAR}–{LAST_YEAR}")
    return year


def _institution(
    session: Session, actor: Actor, institution_id: int, *, write: bool
) -> Organisation:
    """The institution if ``actor`` may read it (``write``: enter its inputs); 404 otherwise."""
    if _is_principal(actor):
        allowed = WRITERS if write else READERS
        if actor.role not in allowed:
            raise Forbidden(
                f"role {actor.role.value} may not {'enter' if write else 'read'} disclosure data"
            )
    org = session.get(Organisation, institution_id)
    own = (
        not _is_principal(actor)
        or actor.role is not Role.BANK
        or actor.organisation_id == institution_id
    )
    if org is None or org.kind not in INSTITUTION_KINDS or not own:
        raise NotFound(f"financial institution {institution_id} not found")
    return org


def list_institutions(session: Session, principal: Principal) -> list[InstitutionOut]:
    """Institutions whose report the caller may open: a bank user its own, oversight all."""
    if principal.role not in READERS:
        raise Forbidden(f"role {principal.role.value} may not read disclosure reports")
    stmt = select(Organisation).where(Organisation.kind.in_(sorted(INSTITUTION_KINDS)))
    if principal.role is Role.BANK:
        stmt = stmt.where(Organisation.id == principal.organisation_id)
    rows = session.execute(stmt.order_by(Organisation.kind, Organisation.id)).scalars()
    return [
        InstitutionOut(id=o.id, name_zh=o.name_zh, kind=o.kind, synthetic=o.is_synthetic)
        for o in rows
    ]


def _rows(session: Session, institution_id: int, year: int) -> dict[str, BankPeriodInput]:
    stmt = select(BankPeriodInput).where(
        BankPeriodInput.bank_organisation_id == institution_id,
        BankPeriodInput.kind.in_((KIND_OPERATIONS, KIND_NARRATIVE)),
        BankPeriodInput.period == str(year),
    )
    return {r.kind: r for r in session.execute(stmt).scalars()}


def _inputs_out(institution_id: int, year: int, rows: Mapping[str, BankPeriodInput]) -> InputsOut:
    ops, narr = rows.get(KIND_OPERATIONS), rows.get(KIND_NARRATIVE)
    latest = max((r for r in rows.values()), key=lambda r: r.updated_at, default=None)
    return InputsOut(
        institution_id=institution_id,
        year=year,
        operations=json.loads(ops.payload_json) if ops else None,
        narratives=json.loads(narr.payload_json) if narr else {},
        updated_at=latest.updated_at if latest else None,
        entered_by_user_id=latest.entered_by_user_id if latest else None,
    )


def get_inputs(session: Session, actor: Actor, institution_id: int, year: int) -> InputsOut:
    """What the institution has entered for ``year`` (nothing entered: empty parts)."""
    org = _institution(session, actor, institution_id, write=False)
    return _inputs_out(org.id, year, _rows(session, org.id, _check_year(year)))


def _problems(exc: domain.DisclosureInputError) -> list[FieldProblem]:
    return [FieldProblem(p.field, p.message) for p in exc.problems]


def save_inputs(
    session: Session,
    actor: Actor,
    institution_id: int,
    year: int,
    *,
    operations: Mapping[str, Any] | None = None,
    narratives: Mapping[str, Any] | None = None,
) -> InputsOut:
    """Validate both parts, then replace the stored ones (a part given as ``None`` is kept).

    All-or-nothing: any invalid field raises :class:`InvalidInput` listing every problem (field
    named, e.g. ``operations.items.office_electricity.quantity``) and nothing is written. The
    save and its ledger record share the caller's transaction."""
    org = _institution(session, actor, institution_id, write=True)
    _check_year(year)
    problems: list[FieldProblem] = []
    parsed: dict[str, dict[str, Any]] = {}
    if operations is not None:
        try:
            parsed[KIND_OPERATIONS] = domain.parse_operations(operations, year).to_payload()
        except domain.DisclosureInputError as exc:
            problems += _problems(exc)
    if narratives is not None:
        try:
            parsed[KIND_NARRATIVE] = domain.parse_narratives(narratives)
        except domain.DisclosureInputError as exc:
            problems += _problems(exc)
    if problems:
        shown = "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
        raise InvalidInput(f"{len(problems)} invalid field(s): {shown}", problems)
    if not parsed:
        raise InvalidInput.on("operations", "give operations and/or narratives")
    rows = _rows(session, org.id, year)
    now = datetime.now().astimezone()
    for kind, payload in parsed.items():
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        row = rows.get(kind)
        if row is None:
            row = BankPeriodInput(bank_organisation_id=org.id, kind=kind, period=str(year))
            session.add(row)
            rows[kind] = row
        row.payload_json = text
        row.entered_by_user_id = actor.user_id
        row.updated_at = now
    session.flush()
    ledger.append(
        session, actor, "disclosure.inputs_saved", "bank_period_input", f"{org.id}:{year}",
        {"institution": org.id, "year": year, "kinds": sorted(parsed),
         "operations": parsed.get(KIND_OPERATIONS), "narrative_sections":
         sorted(parsed.get(KIND_NARRATIVE, {}))},
    )  # fmt: skip
    return _inputs_out(org.id, year, rows)


# ---------------------------------------------------------------------------------------------
# The report


def build_report(
    session: Session,
    actor: Actor,
    institution_id: int,
    year: int,
    *,
    data_dir: Path | None = None,
    results: ResultsSource = platform_results,
    generated_on: date | None = None,
) -> domain.DisclosureReport:
    """The institution's JR/T 0227 report for ``year`` from its loan-book analyses and inputs."""
    org = _institution(session, actor, institution_id, write=False)
    _check_year(year)
    rows = _rows(session, org.id, year)
    operations = narratives = None
    ops_source = "机构填报 / entered by the institution"
    if KIND_OPERATIONS in rows:
        row = rows[KIND_OPERATIONS]
        # stored payloads were validated when saved; parsing again checks them against today's
        # configuration (an item removed from the CSV is reported, not silently dropped)
        try:
            operations = domain.parse_operations(json.loads(row.payload_json), year)
        except domain.DisclosureInputError as exc:
            raise InvalidInput(
                f"stored operational data no longer valid: {exc}", _problems(exc)
            ) from None
        ops_source = f"机构填报（{row.updated_at:%Y-%m-%d}）/ entered by the institution"
    if KIND_NARRATIVE in rows:
        narratives = domain.parse_narratives(json.loads(rows[KIND_NARRATIVE].payload_json))
    unavailable = ""
    try:
        frame = results(session, actor, org.id, data_dir)
    except NotFound as exc:  # e.g. an analysis whose Parquet file is gone: say so, invent nothing
        frame, unavailable = None, exc.detail
    dates = (
        sorted({d for d in frame.get_column("as_of").to_list() if d is not None})
        if frame is not None and not frame.is_empty()
        else []
    )
    loans_source = (
        f"平台贷款明细分析结果（报告日 {', '.join(d.isoformat() for d in dates)}）"
        if dates
        else "平台贷款明细分析结果：无 / no analysed loan book"
    )
    notes = []
    if unavailable:
        notes.append(
            f"贷款明细分析结果不可用，投融资数据记为缺失 / loan results unavailable: {unavailable}"
        )
    if org.is_synthetic:
        notes.append("示例：本报告机构为平台演示用的合成机构，数据均为示例，非真实披露。")
    return domain.build_report(
        institution=domain.Institution(org.id, org.name_zh, org.is_synthetic),
        year=year,
        loans=frame,
        operations=operations,
        narratives=narratives,
        generated_on=generated_on,
        loans_source=loans_source,
        operations_source=ops_source,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# Rendering


def _templates() -> Environment:
    folder = resources.files("greenfin").joinpath("web", "templates")
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["fmt"] = format_value
    return env


def report_css() -> str:
    """The report's own CSS (also served to the web page as ``/static/disclosure.css``)."""
    return (
        resources.files("greenfin").joinpath("web", "static", "disclosure.css").read_text("utf-8")
    )


def format_value(value: Any, decimals: int = 2) -> str:
    """Numbers with thousands separators; text as is; ``None`` as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.{max(decimals, 0)}f}"


def chart_svg(chart: domain.Chart) -> str:
    """Inline SVG for a chart of the report."""
    series = [(s.name, s.values) for s in chart.series]
    if chart.kind == "hbar":
        values = chart.series[0].values if chart.series else ()
        return charts.hbar_chart(chart.labels, values, title=chart.title_zh, unit=chart.unit)
    if chart.kind == "line":
        return charts.line_chart(chart.labels, series, title=chart.title_zh, unit=chart.unit)
    return charts.bar_chart(chart.labels, series, title=chart.title_zh, unit=chart.unit)


def render_html(report: domain.DisclosureReport, *, standalone: bool = True) -> str:
    """The report as HTML: a whole document (for the PDF and the download) or, with
    ``standalone=False``, the body fragment the web page embeds."""
    name = "disclosure_report.html" if standalone else "disclosure_report_body.html"
    return (
        _templates()
        .get_template(name)
        .render(report=report, chart_svg=chart_svg, css=BASE_CSS + report_css())
    )


def render_pdf(report: domain.DisclosureReport) -> bytes:
    """The report as PDF (WeasyPrint, embedded CJK font, charts as inline SVG, offline)."""
    return html_to_pdf(render_html(report, standalone=True), extra_css=report_css())


def report_filename(report: domain.DisclosureReport, suffix: str) -> str:
    return f"disclosure-{report.institution.id}-{report.year}.{suffix}"


# ---------------------------------------------------------------------------------------------
# Demo


def load_demo_inputs(session: Session, actor: Actor, institution_id: int) -> None:
    """Enter the synthetic (示例) inputs of :mod:`greenfin.demo.disclosure` for one demo bank."""
    data = demo_inputs()
    save_inputs(
        session, actor, institution_id, DEMO_YEAR,
        operations=data["operations"], narratives=data["narratives"],
    )  # fmt: skip
