"""API v1: loan-book imports and their analysis (issue #5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from greenfin.api.deps import SessionDep, allow
from greenfin.api.files import TABLE_RESPONSE, read_upload, table_download
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.banking.pipeline import TAG_COMPARISONS
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import loan_analysis, loans
from greenfin.services.errors import InvalidInput

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


# --- analysis of an import (loan-book pipeline) ------------------------------------------------

ImportId = Annotated[int, Path(ge=1, le=2**31 - 1)]
XLSX_MAX_ROWS = 1_048_575  # one sheet of Excel, below the header


class AnalysisIn(BaseModel):
    """How to run the pipeline. Production Dask clusters are reached from the command line
    (``greenfin loans analyse --engine dask --scheduler ADDRESS``); here ``dask`` starts a local
    cluster."""

    engine: Literal["local", "dask"] = "local"
    edition: Literal["green-finance-2025", "bond-2021", "industry-2019"] = "green-finance-2025"


@router.post("/imports/{import_id}/analysis", response_model=loan_analysis.AnalysisOut)
def analyse_import(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.BANK, Role.ADMIN))],
    import_id: ImportId,
    body: AnalysisIn | None = None,
) -> loan_analysis.AnalysisOut:
    """Screen every loan, compare with the bank's tag, CERF and financed emissions where the data
    allow; keep the per-loan result. A re-run replaces the previous analysis. Banks analyse their
    own imports (another bank's answers 404)."""
    body = body or AnalysisIn()
    result = loan_analysis.analyse_import(
        session, principal, import_id, engine=body.engine, edition=body.edition,
        data_dir=request.app.state.settings.data_dir,
    )  # fmt: skip
    session.commit()
    return result


@router.get("/imports/{import_id}/analysis", response_model=loan_analysis.AnalysisOut)
def get_analysis(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR, Role.ADMIN))],
    import_id: ImportId,
) -> loan_analysis.AnalysisOut:
    """The analysis of an import with its totals (404 when not analysed or not visible)."""
    return loan_analysis.get_analysis(session, principal, import_id)


@router.get(
    "/imports/{import_id}/analysis/loans", response_class=Response, responses=TABLE_RESPONSE
)
def analysis_loans(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR, Role.ADMIN))],
    import_id: ImportId,
    output_format: Annotated[str, Query(alias="format", pattern="^(csv|xlsx|parquet)$")] = "csv",
    tag_comparison: Annotated[
        str | None, Query(pattern="^(" + "|".join(TAG_COMPARISONS) + ")$")
    ] = None,
) -> Response:
    """Per-loan results as CSV, XLSX or Parquet (the columns of ``banking.pipeline``);
    ``tag_comparison`` keeps one category (e.g. ``bank_only`` for the review list)."""
    frame = loan_analysis.analysis_loans(
        session, principal, import_id, data_dir=request.app.state.settings.data_dir
    )
    if tag_comparison is not None:
        frame = frame.filter(pl.col("tag_comparison") == tag_comparison)
    if output_format == "xlsx" and frame.height > XLSX_MAX_ROWS:
        raise InvalidInput.on(
            "format", f"{frame.height:,} rows do not fit one Excel sheet; use csv or parquet"
        )
    if output_format != "parquet":  # text formats: categories as their labels
        frame = frame.with_columns(pl.col(pl.Enum).cast(pl.String))
    return table_download(frame, f"loan-analysis-{import_id}", output_format)
