"""API v1: loan-book imports (issue #5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from greenfin.api.deps import SessionDep, allow
from greenfin.api.files import read_upload
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import loans

router = APIRouter(prefix="/api/v1/loans", tags=["loans"], responses=PROBLEM_RESPONSES)


@router.post("/imports", response_model=loans.ImportOut)
async def import_book(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.BANK, Role.ADMIN))],
    file: Annotated[UploadFile, File(description="Loan book: CSV/XLSX/Parquet (see the template)")],
    as_of: Annotated[date, Form(description="Reporting date")],
    bank_organisation_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> loans.ImportOut:
    """Import a bank's loan book: every row valid or nothing (problem+json lists rows and
    fields); the same file for the same date is recognised and not imported twice. Banks import
    for their own organisation; admins name the bank."""
    data, name = await read_upload(file)
    bank = bank_organisation_id or principal.organisation_id
    result = loans.import_loan_book(
        session, principal, data, name, bank, as_of, request.app.state.settings.data_dir
    )
    session.commit()
    return result


@router.get("/imports", response_model=list[loans.ImportOut])
def list_imports(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR, Role.ADMIN))],
) -> list[loans.ImportOut]:
    """Loan-book imports: a bank sees its own, regulators and admins every bank's."""
    return loans.list_imports(session, principal)
