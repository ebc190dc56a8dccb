"""Web pages of the green project library (issue #6 part A): work lists, the project form with
evidence upload, the project page (screening explanation, reduction working, grade points,
documents, events, actions by role and state), Excel bulk upload, library search, statistics,
certificate PDF and the public verification page. Thin: each route calls one service function.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from greenfin import reference
from greenfin.api.deps import public
from greenfin.api.projects import XLSX, attachment
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.library import evidence
from greenfin.library import reduction as reduction_inputs
from greenfin.library.workflow import APPROVABLE_GRADES, GRADE_ORDER, STATUS_LABELS
from greenfin.services import project_certificates, project_import, project_library, projects
from greenfin.services.errors import Conflict, FieldProblem, InvalidInput, NotFound, ServiceError
from greenfin.taxonomy.catalogue import load_catalogue
from greenfin.web.routes import CsrfDep, SessionDep, language, render, web_allow

router = APIRouter(include_in_schema=False)
ALL = Annotated[Principal, Depends(web_allow())]
Enterprise = Annotated[Principal, Depends(web_allow(Role.ENTERPRISE))]
Workers = Annotated[
    Principal, Depends(web_allow(Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN))
]
Reviewer = Annotated[Principal, Depends(web_allow(Role.REVIEWER))]
Oversight = Annotated[Principal, Depends(web_allow(Role.REGULATOR, Role.ADMIN))]
DOCUMENT_SLOTS = 3
PAGE_SIZE = 20
FORM_FIELDS = (
    "name", "description", "industry_code", "district", "location", "total_investment_10k_cny",
    "financing_amount_10k_cny", "financing_term_months", "financing_type",
)  # fmt: skip


def _problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        field = ".".join(loc) if loc else "form"
        out.append(FieldProblem(prefix + field, str(e["msg"]).removeprefix("Value error, ")))
    return out


def _categories() -> list[Any]:
    catalogue = load_catalogue("green-finance-2025")
    return [i for i in catalogue.items.values() if i.level == 1]


def _common() -> dict[str, Any]:
    return {
        "districts": reference.districts(),
        "financing_types": projects.financing_types(),
        "outputs": reduction_inputs.output_keys(),
        "document_kinds": evidence.document_kinds(),
        "allowed_extensions": ", ".join(evidence.allowed_extensions()),
        "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "grades": [g.value for g in GRADE_ORDER],
        "categories": _categories(),
    }


# --- form parsing ------------------------------------------------------------------------------


def parse_parameters(raw: str) -> tuple[dict[str, str], list[FieldProblem]]:
    """``key=value`` per line (or ``;``-separated) → technical parameters."""
    params: dict[str, str] = {}
    problems = []
    for piece in raw.replace("；", ";").replace(";", "\n").splitlines():
        piece = piece.strip()
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append(FieldProblem("technical_parameters", f"{piece!r}: write 参数=值"))
            continue
        params[key.strip()] = value.strip()
    return params, problems


def form_values(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def project_input(values: dict[str, str]) -> projects.ProjectIn:
    """The form's fields as :class:`ProjectIn` (raises ValidationError / InvalidInput)."""
    data: dict[str, Any] = {k: values[k] for k in FORM_FIELDS if values.get(k, "").strip()}
    data["in_city_sub_centre"] = values.get("in_city_sub_centre") == "on"
    params, problems = parse_parameters(values.get("technical_parameters", ""))
    if problems:
        raise InvalidInput(problems[0].message, problems)
    data["technical_parameters"] = params
    data["expected_outputs"] = {
        key: values[f"out_{key}"]
        for key in reduction_inputs.output_keys()
        if values.get(f"out_{key}", "").strip()
    }
    return projects.ProjectIn(**data)


async def form_documents(form: Any) -> list[projects.DocumentUpload]:
    uploads = []
    limit = evidence.max_upload_bytes()
    for slot in range(1, DOCUMENT_SLOTS + 1):
        file = form.get(f"doc_file_{slot}")
        if not isinstance(file, UploadFile) or not file.filename:
            continue
        data = await file.read(limit + 1)
        uploads.append(
            projects.DocumentUpload(str(form.get(f"doc_kind_{slot}", "")), file.filename, data)
        )
    return uploads


def values_of(project: projects.ProjectOut) -> dict[str, str]:
    """An existing project as form values (for the edit form)."""
    values = {
        "name": project.name, "description": project.description,
        "industry_code": project.industry_code, "district": project.district_code,
        "in_city_sub_centre": "on" if project.in_city_sub_centre else "",
        "location": project.location or "",
        "total_investment_10k_cny": f"{project.total_investment_10k_cny:g}",
        "financing_amount_10k_cny": "" if project.financing_amount_10k_cny is None
        else f"{project.financing_amount_10k_cny:g}",
        "financing_term_months": str(project.financing_term_months or ""),
        "financing_type": project.financing_type or "",
        "technical_parameters": "\n".join(
            f"{k}={v}" for k, v in project.technical_parameters.items()
        ),
        "version": str(project.version),
    }  # fmt: skip
    for key, value in project.expected_outputs.items():
        values[f"out_{key}"] = f"{value:g}"
    return values


# --- lists -------------------------------------------------------------------------------------


@router.get("/projects", response_class=HTMLResponse)
def project_list(
    request: Request,
    session: SessionDep,
    principal: ALL,
    scope: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """My projects (enterprise), the review queue (reviewer), everything in progress (oversight);
    a bank is pointed to the library."""
    default = {Role.ENTERPRISE: "mine", Role.REVIEWER: "queue"}.get(principal.role, "queue")
    chosen = scope if scope in projects.LIST_SCOPES else default
    page = None
    if principal.role is not Role.BANK:
        page = projects.list_projects(
            session, principal, scope=chosen, status=status or None, offset=offset,
            limit=PAGE_SIZE,
        )  # fmt: skip
    listing = {"page": page} if page is not None else {}  # render() pages only a real Page
    return render(request, "projects.html", principal, scope=chosen, status=status or "",
                  **listing, **_common())  # fmt: skip


# --- create / import ---------------------------------------------------------------------------


def _form(request: Request, principal: Principal, status: int = 200, **ctx: Any) -> Response:
    ctx.setdefault("values", {})
    ctx.setdefault("problems", [])
    ctx.setdefault("project", None)
    return render(request, "project_form.html", principal, status, **_common(), **ctx)


@router.get("/projects/new", response_class=HTMLResponse)
def project_new(request: Request, principal: Enterprise) -> Response:
    return _form(request, principal)


@router.post("/projects/new", response_class=HTMLResponse, dependencies=[CsrfDep])
async def project_create(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    form = await request.form()
    values = form_values(form)
    try:
        data = project_input(values)
        uploads = await form_documents(form)
        created = projects.create_project(
            session, principal, data, documents=uploads,
            data_dir=request.app.state.settings.data_dir,
        )  # fmt: skip
    except ValidationError as exc:
        return _form(request, principal, 422, values=values, problems=_problems(exc))
    except ServiceError as exc:
        problems = exc.problems or [FieldProblem("form", exc.detail)]
        return _form(request, principal, exc.status, values=values, problems=problems)
    session.commit()
    return RedirectResponse(f"/projects/{created.id}?created=1", status_code=303)


@router.get("/projects/import", response_class=HTMLResponse)
def import_page(request: Request, principal: Enterprise) -> Response:
    return render(request, "project_import.html", principal, problems=[], result=None)


@router.get("/projects/import/template.xlsx")
def import_template(_: Enterprise) -> Response:
    return Response(
        project_import.template_bytes(), media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="project-import-template.xlsx"'},
    )  # fmt: skip


@router.post("/projects/import", response_class=HTMLResponse, dependencies=[CsrfDep])
async def import_upload(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput.on("file", "choose the filled template / 请选择文件")
        data = await file.read(project_import.MAX_FILE_BYTES + 1)
        if len(data) > project_import.MAX_FILE_BYTES:
            raise InvalidInput.on("file", "larger than 10 MiB / 文件过大")
        result = project_import.import_projects(
            session, principal, data, evidence.safe_filename(file.filename),
            submit=form.get("submit") == "on",
        )  # fmt: skip
    except ServiceError as exc:
        problems = exc.problems or [FieldProblem("file", exc.detail)]
        return render(request, "project_import.html", principal, exc.status, problems=problems,
                      detail=exc.detail, result=None)  # fmt: skip
    session.commit()
    return render(request, "project_import.html", principal, problems=[], result=result)


# --- library, statistics, verification (static paths before /projects/{id}) --------------------


@router.get("/library", response_class=HTMLResponse)
def library(
    request: Request,
    session: SessionDep,
    principal: ALL,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=10)] = None,
    grade: Annotated[str | None, Query(max_length=10)] = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    financing_min: Annotated[str | None, Query(max_length=20)] = None,
    financing_max: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Search the library: Chinese full text and filters."""
    filters = {"q": q or "", "category": category or "", "grade": grade or "",
               "district": district or "", "financing_min": financing_min or "",
               "financing_max": financing_max or "", "status": status or ""}  # fmt: skip
    problems: list[FieldProblem] = []
    page = None
    try:
        query = project_library.LibraryQuery(
            q=q or None, category=category or None, grade=grade or None,
            district=district or None,
            financing_min_10k_cny=Decimal(financing_min) if financing_min else None,
            financing_max_10k_cny=Decimal(financing_max) if financing_max else None,
            status=status or None, offset=offset, limit=PAGE_SIZE,
        )  # fmt: skip
        page = project_library.search_library(session, principal, query)
    except ValidationError as exc:
        problems = _problems(exc)
    except ArithmeticError:
        problems = [FieldProblem("financing_min", "not a number / 不是数字")]
    except ServiceError as exc:
        problems = exc.problems or [FieldProblem("form", exc.detail)]
    status_code = 422 if problems else 200
    listing = {"page": page} if page is not None else {}
    return render(request, "library.html", principal, status_code, **listing, filters=filters,
                  problems=problems, sub_centre=project_library.SUB_CENTRE,
                  may_filter_status=principal.role in project_library.STATUS_FILTER_ROLES,
                  **_common())  # fmt: skip


def statistics_chart(stats: project_library.StatisticsOut, lang: str) -> str:
    """ECharts option: library projects and investment per catalogue category."""
    labels = [r.label_zh if lang == "zh" else r.label_en for r in stats.by_category]
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["项目数" if lang == "zh" else "projects",
                            "投资（亿元）" if lang == "zh" else "investment (100 M CNY)"]},
        "grid": {"left": 50, "right": 50, "bottom": 90, "top": 40},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 35}},
        "yAxis": [{"type": "value", "minInterval": 1}, {"type": "value"}],
        "series": [
            {"name": "项目数" if lang == "zh" else "projects", "type": "bar",
             "data": [r.projects for r in stats.by_category], "itemStyle": {"color": "#6aa84f"}},
            {"name": "投资（亿元）" if lang == "zh" else "investment (100 M CNY)", "type": "line",
             "yAxisIndex": 1,
             "data": [round(r.investment_10k_cny / 1e4, 2) for r in stats.by_category]},
        ],
    }  # fmt: skip
    return json.dumps(option, ensure_ascii=False)


@router.get("/library/statistics", response_class=HTMLResponse)
def library_statistics(request: Request, session: SessionDep, principal: Oversight) -> Response:
    stats = project_library.statistics(session, principal)
    chart = statistics_chart(stats, language(request))
    return render(request, "library_statistics.html", principal, stats=stats, chart=chart)


@router.get("/verify", response_class=HTMLResponse, dependencies=[Depends(public)])
def verify_form(
    request: Request, code: Annotated[str | None, Query(max_length=60)] = None
) -> Response:
    if code:
        return RedirectResponse(f"/verify/{code.strip()}", status_code=303)
    return render(request, "verify.html", None, info=None, code="")


@router.get("/verify/{code}", response_class=HTMLResponse, dependencies=[Depends(public)])
def verify_page(code: str, request: Request, session: SessionDep) -> Response:
    """Public: is this certificate genuine and valid? Nothing confidential is shown."""
    try:
        info = project_certificates.verify(session, code[:60])
    except NotFound:
        return render(request, "verify.html", None, 404, info=None, code=code[:60])
    return render(request, "verify.html", None, info=info, code=info.verification_code)


# --- one project -------------------------------------------------------------------------------


def _detail(
    request: Request, session: Session, principal: Principal, project_id: int,
    status: int = 200, **ctx: Any,
) -> Response:  # fmt: skip
    project = projects.get_project(session, principal, project_id)
    reviewers = projects.reviewers(session) if "assign" in project.allowed_actions else []
    return render(
        request, "project_detail.html", principal, status, project=project, reviewers=reviewers,
        approvable=[g.value for g in GRADE_ORDER if g in APPROVABLE_GRADES],
        editable=projects.is_editable(project), **_common(),
        **{"problems": [], "created": request.query_params.get("created"), **ctx},
    )  # fmt: skip


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    project_id: int, request: Request, session: SessionDep, principal: ALL
) -> Response:
    return _detail(request, session, principal, project_id)


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def project_edit(
    project_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    project = projects.get_project(session, principal, project_id)
    if not projects.is_editable(project):
        raise Conflict.on("status", f"a {project.status} project cannot be edited")
    return _form(request, principal, project=project, values=values_of(project))


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse, dependencies=[CsrfDep])
async def project_update(
    project_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    form = await request.form()
    values = form_values(form)
    project = projects.get_project(session, principal, project_id)
    try:
        version = _version(values)
        data = project_input(values)
        projects.update_project(session, principal, project_id, data, version)
    except ValidationError as exc:
        return _form(request, principal, 422, project=project, values=values,
                     problems=_problems(exc))  # fmt: skip
    except ServiceError as exc:
        return _form(request, principal, exc.status, project=project, values=values,
                     problems=exc.problems or [FieldProblem("form", exc.detail)])  # fmt: skip
    session.commit()
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


def _version(values: dict[str, str]) -> int:
    try:
        return int(values.get("version", ""))
    except ValueError:
        raise InvalidInput.on("version", "missing or not a number / 缺少版本号") from None


async def _act(
    request: Request, session: Session, principal: Principal, project_id: int, action: Any
) -> Response:
    """Run one workflow action from a form; errors re-render the project page."""
    values = form_values(await request.form())
    try:
        action(values)
    except ServiceError as exc:
        session.rollback()
        problems = exc.problems or [FieldProblem("form", exc.detail)]
        return _detail(request, session, principal, project_id, exc.status, problems=problems)
    session.commit()
    return RedirectResponse(f"/projects/{project_id}#events", status_code=303)


@router.post("/projects/{project_id}/documents", response_class=HTMLResponse,
             dependencies=[CsrfDep])  # fmt: skip
async def project_documents(
    project_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    form = await request.form()
    uploads = await form_documents(form)
    data_dir = request.app.state.settings.data_dir

    def act(_: dict[str, str]) -> None:
        projects.upload_documents(session, principal, project_id, uploads, data_dir)

    return await _act(request, session, principal, project_id, act)


@router.get("/projects/{project_id}/documents/{document_id}")
def project_document(
    project_id: int, document_id: int, request: Request, session: SessionDep, principal: Workers
) -> Response:
    data, name, media_type = projects.document_file(
        session, principal, project_id, document_id, request.app.state.settings.data_dir
    )
    return attachment(data, name, media_type)


@router.post("/projects/{project_id}/submit", dependencies=[CsrfDep])
async def project_submit(
    project_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.submit(
        session, principal, project_id, _version(v)))  # fmt: skip


@router.post("/projects/{project_id}/screen", dependencies=[CsrfDep])
async def project_screen(
    project_id: int, request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(web_allow(Role.REVIEWER, Role.ADMIN))],
) -> Response:  # fmt: skip
    return await _act(request, session, principal, project_id, lambda v: projects.screen(
        session, principal, project_id, _version(v)))  # fmt: skip


@router.post("/projects/{project_id}/claim", dependencies=[CsrfDep])
async def project_claim(
    project_id: int, request: Request, session: SessionDep, principal: Reviewer
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.claim(
        session, principal, project_id, _version(v)))  # fmt: skip


def _reviewer_id(values: dict[str, str]) -> int:
    try:
        return int(values.get("reviewer_id", ""))
    except ValueError:
        raise InvalidInput.on("reviewer_id", "choose a reviewer / 请选择评审员") from None


@router.post("/projects/{project_id}/assign", dependencies=[CsrfDep])
async def project_assign(
    project_id: int, request: Request, session: SessionDep, principal: Oversight
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.assign(
        session, principal, project_id, _version(v), _reviewer_id(v)))  # fmt: skip


@router.post("/projects/{project_id}/approve", dependencies=[CsrfDep])
async def project_approve(
    project_id: int, request: Request, session: SessionDep, principal: Reviewer
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.approve(
        session, principal, project_id, _version(v), v.get("grade") or None,
        v.get("comment") or None))  # fmt: skip


@router.post("/projects/{project_id}/reclassify", dependencies=[CsrfDep])
async def project_reclassify(
    project_id: int, request: Request, session: SessionDep, principal: Reviewer
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.reclassify(
        session, principal, project_id, _version(v), v.get("item_code", ""),
        v.get("comment", "")))  # fmt: skip


@router.post("/projects/{project_id}/return", dependencies=[CsrfDep])
async def project_return(
    project_id: int, request: Request, session: SessionDep, principal: Reviewer
) -> Response:
    return await _act(request, session, principal, project_id,
                      lambda v: projects.return_for_revision(
                          session, principal, project_id, _version(v), v.get("comment", ""),
                          v.get("requested_evidence") or None))  # fmt: skip


@router.post("/projects/{project_id}/reject", dependencies=[CsrfDep])
async def project_reject(
    project_id: int, request: Request, session: SessionDep, principal: Reviewer
) -> Response:
    return await _act(request, session, principal, project_id, lambda v: projects.reject(
        session, principal, project_id, _version(v), v.get("comment", "")))  # fmt: skip


@router.get("/projects/{project_id}/certificate.pdf")
def project_certificate(
    project_id: int, request: Request, session: SessionDep, principal: ALL
) -> Response:
    pdf, name = project_certificates.certificate_pdf(
        session, principal, project_id, str(request.base_url)
    )
    return attachment(pdf, name, "application/pdf")
