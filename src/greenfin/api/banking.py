"""API v1: green credit statistics and the PBOC green-finance evaluation (issue #5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from greenfin.api.deps import SessionDep, allow
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import evaluation, statistics

router = APIRouter(prefix="/api/v1", tags=["banking"], responses=PROBLEM_RESPONSES)
Viewer = Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR, Role.ADMIN))]
Evaluator = Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BankQ = Annotated[
    int | None,
    Query(ge=1, le=2**31 - 1, description="Bank organisation id (default: every bank you see)"),
]
AsOfQ = Annotated[date | None, Query(description="Reporting date (default: the latest)")]
StructureQ = Annotated[str, Query(max_length=10, description="Use structure: 2025 or 2019")]
BasisQ = Annotated[
    str, Query(max_length=20, description="Green basis: bank (as reported), platform, "
               "platform_strict")
]  # fmt: skip
QuarterP = Annotated[str, Path(max_length=10, description="Quarter, e.g. 2026Q3")]
SchemeQ = Annotated[
    str, Query(max_length=40, description="Evaluation scheme: pboc_2021 or chongqing_2023")
]


def _stats(
    request: Request,
    session: SessionDep,
    principal: Principal,
    bank: int | None,
    as_of: date | None,
    structure: str,
    basis: str,
) -> statistics.Statistics:
    return statistics.green_credit_statistics(
        session, principal, bank_organisation_id=bank, as_of=as_of, structure=structure,
        basis=basis, data_dir=request.app.state.settings.data_dir,
    )  # fmt: skip


@router.get("/statistics", response_model=statistics.StatisticsOut)
def get_statistics(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    bank: BankQ = None,
    as_of: AsOfQ = None,
    structure: StructureQ = "2025",
    basis: BasisQ = statistics.DEFAULT_BASIS,
) -> statistics.StatisticsOut:
    """Green credit statistics (绿色贷款专项统计) at one reporting date: summary, by use, by
    industry, by carbon benefit, by district (城市副中心 as an of-which row), green-enterprise
    loan access and the trend. Amounts in fen, ratios as fractions. A bank sees its own bank
    only (another bank's id answers 404); regulators and admins every bank and 全部银行."""
    return statistics.to_out(_stats(request, session, principal, bank, as_of, structure, basis))


@router.get("/statistics.xlsx", responses={200: {"content": {XLSX: {}}}})
def get_statistics_xlsx(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    bank: BankQ = None,
    as_of: AsOfQ = None,
    structure: StructureQ = "2025",
    basis: BasisQ = statistics.DEFAULT_BASIS,
) -> Response:
    """The same statistics as an Excel workbook: a 说明 sheet (definitions, basis, 示例 label
    for synthetic data) and one sheet per table, amounts in 万元."""
    stats = _stats(request, session, principal, bank, as_of, structure, basis)
    name = f"green-credit-statistics-{stats.as_of or 'empty'}.xlsx"
    return Response(
        statistics.workbook_bytes(stats),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/evaluation/{quarter}", response_model=evaluation.EvaluationOut)
def get_evaluation(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    quarter: QuarterP,
    scheme: SchemeQ = evaluation.DEFAULT_SCHEME,
    basis: BasisQ = statistics.DEFAULT_BASIS,
) -> evaluation.EvaluationOut:
    """Evaluate every bank for a quarter under a scheme: points per indicator with the
    explanation, qualitative points, grade, rank and the 京绿融/京绿通 priority list. A bank
    gets its own row only. A quarter without analysed books answers 404."""
    return evaluation.run_evaluation(
        session, principal, quarter, scheme, basis, data_dir=request.app.state.settings.data_dir
    )


@router.put("/evaluation/{quarter}/qualitative/{bank_id}", response_model=evaluation.QualitativeOut)
def put_qualitative(
    session: SessionDep,
    principal: Evaluator,
    quarter: QuarterP,
    bank_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    data: evaluation.QualitativeIn,
) -> evaluation.QualitativeOut:
    """Enter (or replace) the regulator's qualitative scores of a bank for a quarter and scheme:
    every item of the scheme, each with an evidence note (recorded in the audit ledger)."""
    result = evaluation.enter_qualitative(session, principal, quarter, bank_id, data)
    session.commit()
    return result


@router.get(
    "/evaluation/{quarter}/qualitative/{bank_id}",
    response_model=evaluation.QualitativeOut | None,
)
def get_qualitative(
    session: SessionDep,
    principal: Viewer,
    quarter: QuarterP,
    bank_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    scheme: SchemeQ = evaluation.DEFAULT_SCHEME,
) -> evaluation.QualitativeOut | None:
    """The qualitative scores entered for a bank (null when none). A bank reads its own."""
    return evaluation.get_qualitative(session, principal, quarter, bank_id, scheme)
