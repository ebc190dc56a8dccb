"""API v1: JR/T 0227 environmental information disclosure reports (issue #5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from greenfin.api.deps import SessionDep, allow
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import disclosure

router = APIRouter(prefix="/api/v1/disclosure", tags=["disclosure"], responses=PROBLEM_RESPONSES)
Reader = Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR, Role.ADMIN))]
Writer = Annotated[Principal, Depends(allow(Role.BANK, Role.ADMIN))]
BankId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Financial institution id")]
Year = Annotated[int, Path(ge=disclosure.FIRST_YEAR, le=disclosure.LAST_YEAR)]


@router.get("/{bank_id}/{year}")
def report(
    request: Request, session: SessionDep, principal: Reader, bank_id: BankId, year: Year
) -> dict[str, Any]:
    """The report in the section structure of JR/T 0227—2021: every figure with its value,
    unit, ``status`` (computed / reported / partial / missing), the input that would fill it
    when missing, and its sources. A bank sees its own institution only (others: 404)."""
    built = disclosure.build_report(
        session, principal, bank_id, year, data_dir=request.app.state.settings.data_dir
    )
    return built.to_dict()


@router.get("/{bank_id}/{year}/pdf", response_class=Response)
def report_pdf(
    request: Request, session: SessionDep, principal: Reader, bank_id: BankId, year: Year
) -> Response:
    """The report as PDF (charts included, CJK font embedded)."""
    built = disclosure.build_report(
        session, principal, bank_id, year, data_dir=request.app.state.settings.data_dir
    )
    name = disclosure.report_filename(built, "pdf")
    return Response(
        disclosure.render_pdf(built),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{bank_id}/{year}/inputs", response_model=disclosure.InputsOut)
def get_inputs(
    session: SessionDep, principal: Reader, bank_id: BankId, year: Year
) -> disclosure.InputsOut:
    """What the institution has entered for the year (operational data, narratives)."""
    return disclosure.get_inputs(session, principal, bank_id, year)


@router.put("/{bank_id}/{year}/inputs", response_model=disclosure.InputsOut)
def put_inputs(
    session: SessionDep,
    principal: Writer,
    bank_id: BankId,
    year: Year,
    body: disclosure.InputsIn,
) -> disclosure.InputsOut:
    """Replace the operational data and/or the narratives (a part left out is kept). Every
    field is checked first; one bad field (named in the problem) and nothing is written. Banks
    enter their own institution's data, admins any institution's."""
    result = disclosure.save_inputs(
        session,
        principal,
        bank_id,
        year,
        operations=body.operations.model_dump(exclude_none=True) if body.operations else None,
        narratives=body.narratives,
    )
    session.commit()
    return result
