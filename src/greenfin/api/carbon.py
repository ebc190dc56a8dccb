"""API v1: carbon accounting — CERF configuration and disclosure (PCAF below)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from greenfin.api.deps import SessionDep, allow
from greenfin.api.files import TABLE_RESPONSE, read_upload, table_download
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.carbon import cerf
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import carbon, carbon_accounts

router = APIRouter(prefix="/api/v1/carbon", tags=["carbon"], responses=PROBLEM_RESPONSES)
FINANCE_ROLES = (Role.BANK, Role.REGULATOR, Role.ADMIN)
Format = Annotated[str, Form(pattern="^(csv|xlsx|parquet)$")]


class AreaRuleOut(BaseModel):
    area: str
    sub_area: str
    kind: str
    listed_in: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    note: str


class ToolTermOut(BaseModel):
    parameter: str
    value: float
    unit: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    note: str


@router.get("/cerf/areas", response_model=list[AreaRuleOut])
def cerf_areas(_: Annotated[Principal, Depends(allow())]) -> list[AreaRuleOut]:
    """碳减排支持工具 eligible areas and sub-areas with dates and verification status."""
    return [
        AreaRuleOut(**{f: getattr(r, f) for f in AreaRuleOut.model_fields})
        for r in cerf.area_rules()
    ]


@router.get("/cerf/terms", response_model=list[ToolTermOut])
def cerf_terms(_: Annotated[Principal, Depends(allow())]) -> list[ToolTermOut]:
    """The tool's share of principal and rate, with effective dates and status."""
    return [
        ToolTermOut(**{f: getattr(t, f) for f in ToolTermOut.model_fields})
        for t in cerf.tool_terms()
    ]


@router.post(
    "/cerf/disclosure",
    response_class=Response,
    responses=TABLE_RESPONSE,
)
async def cerf_disclosure(
    _: Annotated[Principal, Depends(allow(*FINANCE_ROLES))],
    file: Annotated[UploadFile, File(description="Loans: CSV/XLSX/Parquet (see the CLI contract)")],
    quarter: Annotated[str, Form(max_length=6, examples=["2023Q2"])],
    since: Annotated[str | None, Form(max_length=6, examples=["2021Q4"])] = None,
    output_format: Format = "csv",
    chinese_headers: Annotated[bool, Form()] = False,
) -> Response:
    """Quarterly disclosure table from a loans file; any bad row → problem+json, no table."""
    data, name = await read_upload(file)
    table = carbon.cerf_disclosure(data, name, quarter, since or None, chinese_headers)
    return table_download(table, f"cerf-disclosure-{quarter}", output_format)


@router.post(
    "/financed",
    response_class=Response,
    responses=TABLE_RESPONSE,
)
async def financed(
    _: Annotated[Principal, Depends(allow(*FINANCE_ROLES))],
    file: Annotated[UploadFile, File(description="Positions: CSV/XLSX/Parquet (PCAF contract)")],
    reporting_year: Annotated[int, Form(ge=2015, le=2100)],
    part: Annotated[str, Form(pattern="^(positions|summary)$")] = "positions",
    output_format: Format = "csv",
) -> Response:
    """PCAF financed emissions: per-position result or the summary per asset class and sector."""
    data, name = await read_upload(file)
    result, summary = carbon.financed_emissions(data, name, reporting_year)
    frame = result if part == "positions" else summary
    return table_download(frame, f"financed-emissions-{part}", output_format)


@router.post(
    "/accounts/{organisation_id}/years",
    response_model=carbon_accounts.AccountOut,
    status_code=201,
)
def submit_account(
    organisation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: carbon_accounts.EnergyYearIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE, Role.ADMIN))],
) -> carbon_accounts.AccountOut:
    """Enter one year of energy data; returns scope 1/2, intensity, grade and the factors used."""
    account = carbon_accounts.submit(session, principal, organisation_id, body)
    session.commit()
    return account


@router.get("/accounts/{organisation_id}/years", response_model=list[carbon_accounts.AccountOut])
def account_history(
    organisation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(allow(Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN))
    ],
) -> list[carbon_accounts.AccountOut]:
    """All recorded years of an enterprise's carbon account (an enterprise sees its own only)."""
    return carbon_accounts.history(session, principal, organisation_id)
