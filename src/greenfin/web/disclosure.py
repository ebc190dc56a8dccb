"""Web pages: JR/T 0227 environmental information disclosure (环境信息披露报告).

``/disclosure`` lists the institutions the user may open; ``/disclosure/{id}/{year}`` shows the
report (``.pdf`` downloads it); ``/disclosure/{id}/{year}/inputs`` is the form for operational
data and narrative sections (the institution's own users and admins).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.banking import disclosure as domain
from greenfin.carbon import factors
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import disclosure
from greenfin.services.errors import FieldProblem, ServiceError
from greenfin.web.routes import CsrfDep, SessionDep, render, web_allow

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(web_allow(Role.BANK, Role.REGULATOR, Role.ADMIN))]
Writer = Annotated[Principal, Depends(web_allow(Role.BANK, Role.ADMIN))]
BankId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Year = Annotated[int, Path(ge=disclosure.FIRST_YEAR, le=disclosure.LAST_YEAR)]
GRID_REGIONS = ("north_china", "national")


def _default_year() -> int:
    return date.today().year - 1


@router.get("/disclosure", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=disclosure.FIRST_YEAR, le=disclosure.LAST_YEAR)] = None,
) -> Response:
    institutions = disclosure.list_institutions(session, principal)
    return render(
        request, "disclosure_index.html", principal, institutions=institutions,
        year=year or _default_year(),
    )  # fmt: skip


@router.get("/disclosure/{bank_id}/{year}.pdf")
def report_pdf(
    request: Request, session: SessionDep, principal: Reader, bank_id: BankId, year: Year
) -> Response:
    report = disclosure.build_report(
        session, principal, bank_id, year, data_dir=request.app.state.settings.data_dir
    )
    name = disclosure.report_filename(report, "pdf")
    return Response(
        disclosure.render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/disclosure/{bank_id}/{year}", response_class=HTMLResponse)
def report_page(
    request: Request, session: SessionDep, principal: Reader, bank_id: BankId, year: Year
) -> Response:
    report = disclosure.build_report(
        session, principal, bank_id, year, data_dir=request.app.state.settings.data_dir
    )
    may_edit = principal.role is Role.ADMIN or (
        principal.role is Role.BANK and principal.organisation_id == bank_id
    )
    return render(
        request, "disclosure_view.html", principal, report=report,
        body=disclosure.render_html(report, standalone=False), may_edit=may_edit,
    )  # fmt: skip


def plain(value: Any) -> str:
    """A stored number as typed (``2860000.0`` → ``2860000``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _form_page(
    request: Request, session: Any, principal: Principal, bank_id: int, year: int,
    status: int = 200, **ctx: Any,
) -> Response:  # fmt: skip
    stored = disclosure.get_inputs(session, principal, bank_id, year)
    institution = next(
        (i for i in disclosure.list_institutions(session, principal) if i.id == bank_id), None
    )
    return render(
        request, "disclosure_inputs.html", principal, status, institution=institution,
        bank_id=bank_id, year=year, stored=stored, items=domain.items(),
        lines=domain.emission_lines(),
        sections=[s for s in domain.sections() if s.narrative], regions=GRID_REGIONS,
        region_names={k: factors.regions()[k].name_zh for k in GRID_REGIONS}, plain=plain,
        **{"problems": [], "values": None, "saved": False, **ctx},
    )  # fmt: skip


@router.get("/disclosure/{bank_id}/{year}/inputs", response_class=HTMLResponse)
def inputs_form(
    request: Request, session: SessionDep, principal: Writer, bank_id: BankId, year: Year,
    saved: bool = False,
) -> Response:  # fmt: skip
    disclosure.get_inputs(session, principal, bank_id, year)  # 404 before anything else
    return _form_page(request, session, principal, bank_id, year, saved=saved)


def form_to_payload(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields → the operations and narratives payloads (empty fields are left out, so an
    item not filled in stays missing)."""
    items: dict[str, Any] = {}
    for spec in domain.items():
        quantity = values.get(f"item_{spec.key}", "").strip()
        if quantity:
            items[spec.key] = {"quantity": quantity, "unit": values.get(f"unit_{spec.key}") or None}
    reported: dict[str, Any] = {}
    for key in domain.reported_line_keys():
        tco2 = values.get(f"reported_{key}", "").strip()
        if tco2:
            reported[key] = {"tco2": tco2, "source": values.get(f"reported_source_{key}", "")}
    operations: dict[str, Any] = {"items": items, "reported": reported}
    for name in ("employees", "grid_region"):
        if values.get(name, "").strip():
            operations[name] = values[name].strip()
    narratives = {k: values.get(f"narrative_{k}", "") for k in domain.narrative_keys()}
    return operations, narratives


@router.post("/disclosure/{bank_id}/{year}/inputs", response_class=HTMLResponse,
             dependencies=[CsrfDep])  # fmt: skip
async def inputs_submit(
    request: Request, session: SessionDep, principal: Writer, bank_id: BankId, year: Year
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    disclosure.get_inputs(session, principal, bank_id, year)  # 404 for another institution
    operations, narratives = form_to_payload(values)
    try:
        disclosure.save_inputs(
            session, principal, bank_id, year, operations=operations, narratives=narratives
        )
    except ServiceError as exc:
        session.rollback()
        problems = exc.problems or [FieldProblem("form", exc.detail)]
        return _form_page(request, session, principal, bank_id, year, exc.status,
                          problems=problems, values=values)  # fmt: skip
    session.commit()
    return RedirectResponse(f"/disclosure/{bank_id}/{year}/inputs?saved=true", status_code=303)
