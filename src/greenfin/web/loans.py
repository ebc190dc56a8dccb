"""Web pages: loan-book upload (贷款台账上传) and the list of imports (issue #5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.api.files import read_upload
from greenfin.banking import loanbook
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import loan_uploads, loans
from greenfin.services.errors import FieldProblem, ServiceError
from greenfin.web.routes import CsrfDep, SessionDep, render, web_allow

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(web_allow(Role.BANK, Role.REGULATOR, Role.ADMIN))]
Uploader = Annotated[Principal, Depends(web_allow(Role.BANK, Role.ADMIN))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROBLEMS = 200


def _page(
    request: Request, session: Any, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    context: dict[str, Any] = {
        "problems": [], "total_problems": 0, "error_token": None, "values": {}, "done": None,
        **ctx,
    }  # fmt: skip
    return render(
        request, "loans_imports.html", principal, status,
        imports=loan_uploads.import_rows(session, principal),
        banks=loan_uploads.uploadable_banks(session, principal), **context,
    )  # fmt: skip


@router.get("/loans", response_class=HTMLResponse)
def imports_page(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    imported: int | None = None,
) -> Response:
    done = None
    if imported is not None:
        done = next((r for r in loan_uploads.import_rows(session, principal)
                     if r.import_id == imported), None)  # fmt: skip
    return _page(request, session, principal, done=done)


@router.post("/loans", response_class=HTMLResponse, dependencies=[CsrfDep])
async def upload(
    request: Request,
    session: SessionDep,
    principal: Uploader,
    file: Annotated[UploadFile, File()],
    as_of: Annotated[str, Form(max_length=20)] = "",
    bank_organisation_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    values = {"as_of": as_of, "bank_organisation_id": bank_organisation_id}
    problems: list[FieldProblem] = []
    try:
        reporting_date = date.fromisoformat(as_of.strip())
    except ValueError:
        problems.append(FieldProblem("as_of", f"'{as_of}' is not a date (YYYY-MM-DD)"))
    bank = principal.organisation_id
    if principal.role is Role.ADMIN:
        if bank_organisation_id.strip().isdigit():
            bank = int(bank_organisation_id)
        else:
            problems.append(FieldProblem("bank_organisation_id", "choose a bank"))
    if problems:
        return _page(request, session, principal, 422, values=values, problems=problems)
    data_dir = request.app.state.settings.data_dir
    try:
        data, name = await read_upload(file)
        result = loan_uploads.upload(session, principal, data, name, bank, reporting_date, data_dir)
    except loans.LoanBookRejected as exc:
        session.rollback()
        token = loan_uploads.save_error_file(data_dir, principal, exc.error_csv)
        return _page(
            request, session, principal, 422, values=values, problems=exc.problems,
            total_problems=max(exc.error_csv.count(b"\n") - 1, len(exc.problems)),
            error_token=token,
        )  # fmt: skip
    except ServiceError as exc:
        session.rollback()
        return _page(request, session, principal, exc.status, values=values,
                     problems=exc.problems or [FieldProblem("file", exc.detail)])  # fmt: skip
    session.commit()
    return RedirectResponse(f"/loans?imported={result.import_id}", status_code=303)


@router.get("/loans/imports/{import_id}", response_class=HTMLResponse)
def import_page(
    import_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    session: SessionDep,
    principal: Viewer,
) -> Response:
    analysis, disagreeing, total = loan_uploads.import_detail(
        session, principal, import_id, request.app.state.settings.data_dir
    )
    return render(
        request, "loans_import.html", principal, analysis=analysis,
        loans=disagreeing.to_dicts(), total=total,
    )  # fmt: skip


@router.get("/loans/errors/{token}.csv")
def error_download(
    token: Annotated[str, Path(max_length=64)], request: Request, principal: Uploader
) -> Response:
    content = loan_uploads.error_file(request.app.state.settings.data_dir, principal, token)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="loanbook-errors.csv"'},
    )


@router.get("/loans/template.xlsx")
def template(_: Viewer) -> Response:
    return Response(
        loanbook.template_bytes(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="loanbook-template.xlsx"'},
    )
