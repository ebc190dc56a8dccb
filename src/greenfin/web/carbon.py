"""Web pages: the enterprise carbon account (企业碳账户) — form, Excel template, trend."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import carbon_accounts, carbon_template
from greenfin.services.errors import FieldProblem, ServiceError
from greenfin.web.routes import CsrfDep, SessionDep, language, render, web_allow

router = APIRouter(include_in_schema=False)
Enterprise = Annotated[Principal, Depends(web_allow(Role.ENTERPRISE))]
FUEL_ROWS = 3
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


def trend_chart(history: list[carbon_accounts.AccountOut], lang: str) -> str:
    """ECharts option: scope 1 and scope 2 (location-based) per year, stacked."""
    years = [str(h.year) for h in history]
    series = [
        ("范围一" if lang == "zh" else "Scope 1", [round(h.scope1_tco2e, 2) for h in history]),
        ("范围二" if lang == "zh" else "Scope 2",
         [round(h.scope2_location_tco2e, 2) for h in history]),
    ]  # fmt: skip
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [name for name, _ in series]},
        "xAxis": {"type": "category", "data": years},
        "yAxis": {"type": "value", "name": "tCO2e"},
        "series": [
            {"name": name, "type": "bar", "stack": "e", "data": data} for name, data in series
        ],
    }
    return json.dumps(option, ensure_ascii=False)


def _page(
    request: Request, session: Any, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    history = carbon_accounts.history(session, principal, principal.organisation_id)
    return render(
        request, "carbon_account.html", principal, status, history=history,
        chart=trend_chart(history, language(request)), regions=carbon_accounts.REGIONS,
        fuel_rows=range(1, FUEL_ROWS + 1), **{"values": {}, "problems": [], "result": None, **ctx},
    )  # fmt: skip


@router.get("/carbon/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    return _page(request, session, principal)


def _form_to_input(values: dict[str, str]) -> carbon_accounts.EnergyYearIn:
    fuels = []
    for i in range(1, FUEL_ROWS + 1):
        name, qty, unit = (values.get(f"fuel_{k}_{i}", "").strip() for k in ("name", "qty", "unit"))
        if name or qty:
            fuels.append({"fuel": name, "quantity": qty or None, "unit": unit or "t"})
    fields = {k: values.get(k) or None for k in carbon_template.FIELD_KEYS}
    return carbon_accounts.EnergyYearIn(
        **{k: v for k, v in fields.items() if v is not None}, fuels=fuels
    )


def _submit(
    request: Request, session: Any, principal: Principal, build: Any, values: dict[str, str]
) -> Response:
    try:
        data = build()
        result = carbon_accounts.submit(session, principal, principal.organisation_id, data)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"]) or "form", e["msg"])
            for e in exc.errors()
        ]
        return _page(request, session, principal, 422, values=values, problems=problems)
    except ServiceError as exc:
        return _page(request, session, principal, exc.status, values=values,
                     problems=exc.problems or [FieldProblem("form", exc.detail)])  # fmt: skip
    session.commit()
    return _page(request, session, principal, values=values, result=result)


@router.post("/carbon/account", response_class=HTMLResponse, dependencies=[CsrfDep])
async def account_submit(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    return _submit(request, session, principal, lambda: _form_to_input(values), values)


@router.get("/carbon/account/template.xlsx")
def account_template(_: Enterprise) -> Response:
    return Response(
        carbon_template.template_bytes(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="carbon-account-template.xlsx"'},
    )


@router.post("/carbon/account/upload", response_class=HTMLResponse, dependencies=[CsrfDep])
async def account_upload(
    request: Request,
    session: SessionDep,
    principal: Enterprise,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        problems = [FieldProblem("file", "larger than 5 MiB")]
        return _page(request, session, principal, 422, problems=problems)
    return _submit(request, session, principal, lambda: carbon_template.parse(data), {})
