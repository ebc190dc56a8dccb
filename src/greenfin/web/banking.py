"""Web pages: green credit statistics (绿色贷款专项统计), the PBOC green-finance evaluation
(绿色金融评价) with the regulator's qualitative entry, and the regulator dashboard (issue #5)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from greenfin.banking import evaluation as ev
from greenfin.banking import statistics as gs
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import evaluation, regulator, statistics
from greenfin.services.errors import FieldProblem, InvalidInput, ServiceError
from greenfin.web.i18n import translate
from greenfin.web.routes import CsrfDep, SessionDep, language, render, web_allow

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(web_allow(Role.BANK, Role.REGULATOR, Role.ADMIN))]
Oversight = Annotated[Principal, Depends(web_allow(Role.REGULATOR, Role.ADMIN))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FEN_PER_10K = 1_000_000
GREEN, DARK, GREY = "#6aa84f", "#274e13", "#999999"


# --- formatting helpers handed to the templates ------------------------------------------------


def wan(fen: int | float | None) -> str:
    """Fen as 万元 with thousands separators; ``—`` for none."""
    return "—" if fen is None else f"{fen / FEN_PER_10K:,.2f}"


def pct(value: float | None) -> str:
    """A fraction as a percentage with two decimals; ``—`` for none."""
    return "—" if value is None else f"{value * 100:.2f}%"


def _chart(option: dict[str, Any]) -> str:
    return json.dumps(option, ensure_ascii=False)


def _bar(labels: list[str], series: list[tuple[str, list[float], str]], unit: str) -> str:
    return _chart({
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [name for name, _, _ in series]},
        "grid": {"left": 70, "right": 10, "bottom": 90, "top": 40},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 45}},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"name": name, "type": "bar", "data": data, "itemStyle": {"color": color}}
            for name, data, color in series
        ],
    })  # fmt: skip


def _line(labels: list[str], series: list[tuple[str, list[float | None], str]], unit: str) -> str:
    return _chart({
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [name for name, _, _ in series]},
        "grid": {"left": 80, "right": 20, "bottom": 40, "top": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"name": name, "type": "line", "data": data, "itemStyle": {"color": color}}
            for name, data, color in series
        ],
    })  # fmt: skip


def _amounts(frame: pl.DataFrame, column: str) -> list[float]:
    return [round((v or 0) / FEN_PER_10K, 2) for v in frame.get_column(column).to_list()]


def _district_chart(districts: pl.DataFrame, lang: str) -> str:
    label = "name_zh" if lang == "zh" else "name_en"
    return _bar(
        districts.get_column(label).to_list(),
        [(translate(lang, "stats.green_balance"), _amounts(districts, "balance_fen"), GREEN)],
        "万元",
    )


# --- green credit statistics -------------------------------------------------------------------


def _optional_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.on(name, f"'{value}' is not a date (YYYY-MM-DD)") from None


def _optional_int(value: str | None, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput.on(name, f"'{value}' is not an organisation id")
    return int(value)


def _statistics(
    request: Request,
    session: Any,
    principal: Principal,
    bank: str | None,
    as_of: str | None,
    structure: str,
    basis: str,
) -> statistics.Statistics:
    return statistics.green_credit_statistics(
        session, principal, bank_organisation_id=_optional_int(bank, "bank"),
        as_of=_optional_date(as_of, "as_of"), structure=structure, basis=basis,
        data_dir=request.app.state.settings.data_dir,
    )  # fmt: skip


Bank = Annotated[str | None, Query(max_length=12)]
AsOf = Annotated[str | None, Query(max_length=20)]
Structure = Annotated[str, Query(max_length=10)]
Basis = Annotated[str, Query(max_length=20)]


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    bank: Bank = None,
    as_of: AsOf = None,
    structure: Structure = "2025",
    basis: Basis = statistics.DEFAULT_BASIS,
) -> Response:
    stats = _statistics(request, session, principal, bank, as_of, structure, basis)
    lang = language(request)
    charts: dict[str, str] = {}
    if not stats.empty:
        focus = gs.ALL_BANKS if stats.bank_organisation_id is None else None
        use = stats.tables["by_use"]
        use = use.filter(pl.col("bank") == focus) if focus else use
        label = "name_zh" if lang == "zh" else "name_en"
        charts["use"] = _chart({
            "tooltip": {"trigger": "item"},
            "series": [{
                "type": "pie", "radius": "65%",
                "data": [{"name": n, "value": round(v / FEN_PER_10K, 2)}
                         for n, v in use.select(label, "balance_fen").iter_rows() if v],
            }],
        })  # fmt: skip
        districts = stats.tables["by_district"]
        charts["district"] = _district_chart(
            districts.filter(pl.col("bank") == focus) if focus else districts, lang
        )
        trend = stats.tables["trend"]
        shown = trend.filter(pl.col("bank") == focus) if focus else trend
        dates = sorted({d.isoformat() for d in shown.get_column("as_of").to_list()})
        charts["trend"] = _line(
            dates,
            [(translate(lang, "stats.green_balance"), _amounts(shown.sort("as_of"),
              "green_balance_fen"), DARK)],
            "万元",
        )  # fmt: skip
    query = {"bank": bank or "", "as_of": stats.as_of.isoformat() if stats.as_of else "",
             "structure": structure, "basis": basis}  # fmt: skip
    return render(
        request, "banking_statistics.html", principal, stats=stats, charts=charts,
        bases=statistics.BASES, structures=gs.STRUCTURES, query=query, wan=wan, pct=pct,
        definitions=statistics.definitions(), all_banks=gs.ALL_BANKS,
        own_only=statistics.own_bank(principal) is not None,
        industry_rows=[] if stats.empty else stats.tables["by_industry"]
        .filter(pl.col("balance_fen") > 0)
        .to_dicts(),
    )  # fmt: skip


@router.get("/statistics.xlsx")
def statistics_xlsx(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    bank: Bank = None,
    as_of: AsOf = None,
    structure: Structure = "2025",
    basis: Basis = statistics.DEFAULT_BASIS,
) -> Response:
    stats = _statistics(request, session, principal, bank, as_of, structure, basis)
    name = f"green-credit-statistics-{stats.as_of or 'empty'}.xlsx"
    return Response(
        statistics.workbook_bytes(stats),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- evaluation --------------------------------------------------------------------------------


def _evaluation_page(
    request: Request,
    session: Any,
    principal: Principal,
    quarter: str | None,
    scheme: str,
    status: int = 200,
    **ctx: Any,
) -> Response:
    data_dir = request.app.state.settings.data_dir
    quarters = evaluation.available_quarters(session, principal)
    result = None
    if quarter is None and quarters:
        quarter = quarters[0]
    if quarter is not None:
        try:
            result = evaluation.run_evaluation(session, principal, quarter, scheme,
                                               data_dir=data_dir)  # fmt: skip
        except ServiceError as exc:
            if exc.status != 404:
                raise
    sch = evaluation.scheme(scheme)
    chart = None
    if result is not None and result.results:
        ranked = sorted(result.results, key=lambda r: r.rank or r.quantitative_rank)
        points = [r.total_points if result.graded else r.quantitative_points for r in ranked]
        label = translate(language(request), "eval.points")
        chart = _bar([r.bank_name for r in ranked], [(label, points, GREEN)], "")
    return render(
        request, "banking_evaluation.html", principal, status, result=result, quarter=quarter,
        quarters=quarters, scheme=sch, schemes=ev.available_schemes(), chart=chart,
        banks=sorted(statistics.bank_names(session).items()) if principal.role in
        evaluation.EVALUATORS else [], **{"values": {}, "problems": [], "saved": None, **ctx},
    )  # fmt: skip


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation_page(
    request: Request,
    session: SessionDep,
    principal: Viewer,
    quarter: Annotated[str | None, Query(max_length=10)] = None,
    scheme: Annotated[str, Query(max_length=40)] = evaluation.DEFAULT_SCHEME,
    saved: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    if quarter:
        quarter = evaluation.parse_quarter(quarter)
    evaluation.scheme(scheme)
    return _evaluation_page(request, session, principal, quarter or None, scheme, saved=saved)


@router.post("/evaluation/qualitative", response_class=HTMLResponse, dependencies=[CsrfDep])
async def qualitative_submit(
    request: Request, session: SessionDep, principal: Oversight
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    scheme_id = values.get("scheme", evaluation.DEFAULT_SCHEME)
    quarter = values.get("quarter", "")
    problems: list[FieldProblem] = []
    try:
        sch = evaluation.scheme(scheme_id)
        bank_id = _optional_int(values.get("bank_organisation_id"), "bank_organisation_id")
        if bank_id is None:
            raise InvalidInput.on("bank_organisation_id", "choose a bank")
        scores = []
        for q in sch.qualitative_items:
            raw = values.get(f"score_{q.id}", "").strip()
            try:
                score = float(raw)
            except ValueError:
                problems.append(FieldProblem(f"score_{q.id}", f"'{raw}' is not a number"))
                continue
            scores.append({"item": q.id, "score": score,
                           "evidence": values.get(f"evidence_{q.id}", "")})  # fmt: skip
        if problems:
            raise InvalidInput("qualitative scores: invalid", problems)
        data = evaluation.QualitativeIn(scheme=scheme_id, scores=scores)
        evaluation.enter_qualitative(session, principal, quarter, bank_id, data)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"]) or "form", e["msg"])
            for e in exc.errors()
        ]
        return _entry_failed(request, session, principal, quarter, scheme_id, values, problems)
    except ServiceError as exc:
        problems = exc.problems or [FieldProblem("form", exc.detail)]
        return _entry_failed(request, session, principal, quarter, scheme_id, values, problems,
                             exc.status)  # fmt: skip
    session.commit()
    return RedirectResponse(
        f"/evaluation?quarter={quarter}&scheme={scheme_id}&saved={bank_id}", status_code=303
    )


def _entry_failed(
    request: Request,
    session: Any,
    principal: Principal,
    quarter: str,
    scheme_id: str,
    values: dict[str, str],
    problems: list[FieldProblem],
    status: int = 422,
) -> Response:
    session.rollback()
    try:
        quarter_ok: str | None = evaluation.parse_quarter(quarter)
    except InvalidInput:
        quarter_ok = None
    if scheme_id not in ev.available_schemes():
        scheme_id = evaluation.DEFAULT_SCHEME
    return _evaluation_page(request, session, principal, quarter_ok, scheme_id, status,
                            values=values, problems=problems)  # fmt: skip


# --- regulator dashboard -----------------------------------------------------------------------


@router.get("/regulator", response_class=HTMLResponse)
def regulator_page(
    request: Request,
    session: SessionDep,
    principal: Oversight,
    basis: Basis = statistics.DEFAULT_BASIS,
) -> Response:
    board = regulator.dashboard(
        session, principal, basis=basis, data_dir=request.app.state.settings.data_dir
    )
    lang = language(request)
    charts: dict[str, str] = {}
    if board.as_of is not None:
        trend = board.trend
        charts["trend"] = _line(
            [d.isoformat() for d in trend.get_column("as_of").to_list()],
            [
                (translate(lang, "reg.green_bank"), _amounts(trend, "green_bank_fen"), DARK),
                (translate(lang, "reg.green_platform"), _amounts(trend, "green_platform_fen"),
                 GREEN),
                (translate(lang, "reg.total"), _amounts(trend, "total_balance_fen"), GREY),
            ],
            "万元",
        )  # fmt: skip
        charts["district"] = _district_chart(board.districts, lang)
        if board.evaluation is not None and board.evaluation.results:
            ranked = board.evaluation.results
            graded = board.evaluation.graded
            charts["ranking"] = _bar(
                [r.bank_name for r in ranked],
                [(translate(lang, "eval.points"),
                  [r.total_points if graded else r.quantitative_points for r in ranked], GREEN)],
                "",
            )  # fmt: skip
    return render(
        request, "banking_regulator.html", principal, board=board, charts=charts, wan=wan,
        pct=pct, bases=statistics.BASES, all_banks=gs.ALL_BANKS,
    )  # fmt: skip
