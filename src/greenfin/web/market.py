"""Web pages: green product marketplace, matching, financing demands, notifications (issue #6).

Every form posts a CSRF token; errors re-render the form with the field named. The unread
notification count reaches ``base.html`` through a template context processor registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from greenfin import reference
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.library import products as product_data
from greenfin.services import market
from greenfin.services.errors import FieldProblem, InvalidInput, NotFound, ServiceError
from greenfin.web.routes import CsrfDep, SessionDep, render, templates, web_allow

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(web_allow())]
Bank = Annotated[Principal, Depends(web_allow(Role.BANK))]
Enterprise = Annotated[Principal, Depends(web_allow(Role.ENTERPRISE))]
DemandReader = Annotated[
    Principal, Depends(web_allow(Role.ENTERPRISE, Role.BANK, Role.REGULATOR, Role.ADMIN))
]
Oversight = Annotated[Principal, Depends(web_allow(Role.REGULATOR, Role.ADMIN))]
PAGE_SIZE = 50
FEN_PER_10K = Decimal(1_000_000)  # 1 万元 = 1,000,000 fen


def notification_context(request: Request) -> dict[str, Any]:
    """``unread_notifications`` for the navigation badge (0 when nobody is logged in)."""
    uid = request.session.get("uid") if "session" in request.scope else None
    if not isinstance(uid, int):
        return {"unread_notifications": 0}
    return {"unread_notifications": market.unread_badge(request.app.state.db, uid)}


if notification_context not in templates.context_processors:
    templates.context_processors.append(notification_context)


def _problems(exc: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            ".".join(str(p) for p in e["loc"]) or "form", e["msg"].removeprefix("Value error, ")
        )
        for e in exc.errors()
    ]


def _form_values(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf_token"}


def _number(values: dict[str, str], key: str, problems: list[FieldProblem]) -> Decimal | None:
    text = values.get(key, "").strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        problems.append(FieldProblem(key, f"{text!r} is not a number"))
        return None
    if not number.is_finite():
        problems.append(FieldProblem(key, "must be a finite number"))
        return None
    return number


def _fen_from_10k(values: dict[str, str], key: str, problems: list[FieldProblem]) -> int | None:
    number = _number(values, key, problems)
    if number is None:
        return None
    fen = number * FEN_PER_10K
    if fen != fen.to_integral_value() or fen <= 0:
        problems.append(FieldProblem(key, "must be a positive amount in 万元 (at most 6 decimals)"))
        return None
    return int(fen)


# --- products ---------------------------------------------------------------------------------


@router.get("/market/products", response_class=HTMLResponse)
def product_list(
    request: Request,
    session: SessionDep,
    principal: Anyone,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    product_type: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    mine: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    saved: Annotated[int | None, Query()] = None,
) -> Response:
    page = market.list_products(
        session,
        principal,
        kind=kind or None,
        product_type=product_type or None,
        q=q or None,
        mine=mine,
        offset=offset,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "market_products.html",
        principal,
        page=page,
        kinds=product_data.KINDS,
        types=market.list_product_types(),
        kind=kind or "",
        product_type=product_type or "",
        q=q or "",
        mine=mine,
        saved=saved,
    )


def _product_form(
    request: Request, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    publisher = principal.organisation_kind.value
    types = [t for t in market.list_product_types() if publisher in t.publisher_kinds]
    return render(
        request,
        "market_product_form.html",
        principal,
        status,
        types=types,
        grades=product_data.GRADES,
        districts=reference.districts(),
        financing=list(product_data.financing_types().values()),
        **{"values": {}, "problems": [], "product_id": None, **ctx},
    )


def _values_of(product: market.ProductOut) -> dict[str, Any]:
    r = product.rules

    def tenk(fen: int | None) -> str:
        return "" if fen is None else f"{Decimal(fen) / FEN_PER_10K:f}"

    return {
        "name": product.name,
        "product_type": product.product_type,
        "description": product.description,
        "items": ", ".join(r.get("items") or []),
        "categories": ", ".join(r.get("categories") or []),
        "min_grade": r.get("min_grade") or "",
        "amount_min_10k": tenk(r.get("amount_min_fen")),
        "amount_max_10k": tenk(r.get("amount_max_fen")),
        "term_min_months": str(r.get("term_min_months") or ""),
        "term_max_months": str(r.get("term_max_months") or ""),
        "districts": list(r.get("districts") or []),
        "sub_centre_only": "on" if r.get("sub_centre_only") else "",
        "financing_types": list(r.get("financing_types") or []),
        "rate_min_pct": "" if product.rate_min_pct is None else f"{product.rate_min_pct:g}",
        "rate_max_pct": "" if product.rate_max_pct is None else f"{product.rate_max_pct:g}",
        "cerf_eligible": "on" if product.cerf_eligible else "",
        "jinglvrong_eligible": "on" if product.jinglvrong_eligible else "",
        "jinglvtong_eligible": "on" if product.jinglvtong_eligible else "",
        "is_active": "on" if product.is_active else "",
    }


async def _product_in(
    request: Request,
) -> tuple[dict[str, Any], market.ProductIn | None, list[FieldProblem]]:
    form = await request.form()
    values: dict[str, Any] = _form_values(form)
    values["districts"] = [str(v) for v in form.getlist("districts")]
    values["financing_types"] = [str(v) for v in form.getlist("financing_types")]
    problems: list[FieldProblem] = []
    rules: dict[str, Any] = {
        "items": values.get("items", ""),
        "categories": values.get("categories", ""),
        "min_grade": values.get("min_grade") or None,
        "amount_min_fen": _fen_from_10k(values, "amount_min_10k", problems),
        "amount_max_fen": _fen_from_10k(values, "amount_max_10k", problems),
        "term_min_months": values.get("term_min_months") or None,
        "term_max_months": values.get("term_max_months") or None,
        "districts": values["districts"],
        "sub_centre_only": values.get("sub_centre_only") == "on",
        "financing_types": values["financing_types"],
    }
    rates = {k: _number(values, k, problems) for k in ("rate_min_pct", "rate_max_pct")}
    if problems:
        return values, None, problems
    try:
        data = market.ProductIn(
            name=values.get("name", ""),
            product_type=values.get("product_type", ""),
            description=values.get("description", ""),
            rules=rules,
            rate_min_pct=rates["rate_min_pct"],
            rate_max_pct=rates["rate_max_pct"],
            cerf_eligible=values.get("cerf_eligible") == "on",
            jinglvrong_eligible=values.get("jinglvrong_eligible") == "on",
            jinglvtong_eligible=values.get("jinglvtong_eligible") == "on",
            is_active=values.get("is_active") == "on",
        )
    except ValidationError as exc:
        return values, None, _problems(exc)
    return values, data, []


@router.get("/market/products/new", response_class=HTMLResponse)
def product_new(request: Request, principal: Bank) -> Response:
    return _product_form(request, principal, values={"is_active": "on"})


@router.post("/market/products/new", response_class=HTMLResponse, dependencies=[CsrfDep])
async def product_create(request: Request, session: SessionDep, principal: Bank) -> Response:
    values, data, problems = await _product_in(request)
    if data is None:
        return _product_form(request, principal, 422, values=values, problems=problems)
    try:
        created = market.create_product(session, principal, data)
    except ServiceError as exc:
        return _product_form(
            request,
            principal,
            exc.status,
            values=values,
            problems=exc.problems or [FieldProblem("form", exc.detail)],
        )
    session.commit()
    return RedirectResponse(f"/market/products/{created.id}?saved=1", status_code=303)


@router.get("/market/products/{product_id}", response_class=HTMLResponse)
def product_detail(
    product_id: int,
    request: Request,
    session: SessionDep,
    principal: Anyone,
    saved: Annotated[int | None, Query()] = None,
) -> Response:
    product = market.get_product(session, principal, product_id)
    ptype = product_data.product_types().get(product.product_type)
    return render(
        request,
        "market_product.html",
        principal,
        product=product,
        ptype=ptype,
        saved=saved,
        financing=product_data.financing_types(),
        own=principal.role is Role.BANK and principal.organisation_id == product.organisation_id,
    )


@router.get("/market/products/{product_id}/edit", response_class=HTMLResponse)
def product_edit(
    product_id: int, request: Request, session: SessionDep, principal: Bank
) -> Response:
    product = market.get_product(session, principal, product_id)
    if product.organisation_id != principal.organisation_id:
        raise NotFound(f"product {product_id} not found")
    return _product_form(request, principal, values=_values_of(product), product_id=product_id)


@router.post(
    "/market/products/{product_id}/edit", response_class=HTMLResponse, dependencies=[CsrfDep]
)
async def product_update(
    product_id: int, request: Request, session: SessionDep, principal: Bank
) -> Response:
    values, data, problems = await _product_in(request)
    if data is None:
        return _product_form(
            request, principal, 422, values=values, problems=problems, product_id=product_id
        )
    try:
        market.update_product(session, principal, product_id, data)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return _product_form(
            request,
            principal,
            exc.status,
            values=values,
            product_id=product_id,
            problems=exc.problems or [FieldProblem("form", exc.detail)],
        )
    session.commit()
    return RedirectResponse(f"/market/products/{product_id}?saved=1", status_code=303)


# --- matching ---------------------------------------------------------------------------------


@router.get("/market/projects/{project_id}/matches", response_class=HTMLResponse)
def project_matches(
    project_id: int, request: Request, session: SessionDep, principal: Anyone
) -> Response:
    result = market.matches_for_project(session, principal, project_id)
    demands = []
    if principal.role is Role.ENTERPRISE:
        demands = [
            d
            for d in market.list_demands(session, principal, limit=500).items
            if d.project.id == project_id
        ]
    return render(request, "market_matches.html", principal, result=result, demands=demands)


@router.get("/market/bank", response_class=HTMLResponse)
def bank_matches(
    request: Request,
    session: SessionDep,
    principal: Bank,
    grade: Annotated[str | None, Query(max_length=10)] = None,
    category: Annotated[str | None, Query(max_length=10)] = None,
    district: Annotated[str | None, Query(max_length=6)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = market.projects_for_bank(
        session,
        principal,
        grade=grade or None,
        category=category or None,
        district=district or None,
        q=q or None,
        offset=offset,
        limit=PAGE_SIZE,
    )
    own = market.list_products(session, principal, mine=True, limit=1).total
    return render(
        request,
        "market_bank.html",
        principal,
        page=page,
        grade=grade or "",
        category=category or "",
        district=district or "",
        q=q or "",
        grades=product_data.GRADES,
        districts=reference.districts(),
        own_products=own,
    )


# --- demands ----------------------------------------------------------------------------------


def _demands_page(
    request: Request,
    session: Session,
    principal: Principal,
    status_code: int = 200,
    **ctx: Any,
) -> Response:
    status = ctx.pop("status", None)
    offset = ctx.pop("offset", 0)
    engageable = ctx.pop("engageable", False)
    page = market.list_demands(
        session,
        principal,
        status=status or None,
        engageable=engageable,
        offset=offset,
        limit=PAGE_SIZE,
    )
    projects = (
        market.own_library_projects(session, principal) if principal.role is Role.ENTERPRISE else []
    )
    return render(
        request,
        "market_demands.html",
        principal,
        status_code,
        page=page,
        status=status or "",
        engageable=engageable,
        projects=projects,
        financing=list(product_data.financing_types().values()),
        **{"values": {}, "problems": [], **ctx},
    )


@router.get("/market/demands", response_class=HTMLResponse)
def demand_list(
    request: Request,
    session: SessionDep,
    principal: DemandReader,
    status: Annotated[str | None, Query(max_length=20)] = None,
    engageable: bool = False,
    project_id: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    values = {"project_id": str(project_id)} if project_id else {}
    return _demands_page(
        request,
        session,
        principal,
        status=status,
        engageable=engageable,
        offset=offset,
        values=values,
    )


@router.post("/market/demands", response_class=HTMLResponse, dependencies=[CsrfDep])
async def demand_post(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    values = _form_values(await request.form())
    problems: list[FieldProblem] = []
    amount = _number(values, "amount_10k", problems)
    if problems:
        return _demands_page(request, session, principal, 422, values=values, problems=problems)
    try:
        data = market.DemandIn(
            project_id=values.get("project_id") or 0,  # type: ignore[arg-type]
            amount_cny=amount * 10_000 if amount is not None else None,
            term_months=values.get("term_months") or None,  # type: ignore[arg-type]
            financing_type=values.get("financing_type") or None,
        )
        demand = market.post_demand(session, principal, data)
    except ValidationError as exc:
        return _demands_page(
            request, session, principal, 422, values=values, problems=_problems(exc)
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return _demands_page(
            request,
            session,
            principal,
            exc.status,
            values=values,
            problems=exc.problems or [FieldProblem("form", exc.detail)],
        )
    session.commit()
    return RedirectResponse(f"/market/demands/{demand.id}?posted=1", status_code=303)


def _demand_page(
    request: Request,
    session: Session,
    principal: Principal,
    demand_id: int,
    status_code: int = 200,
    **ctx: Any,
) -> Response:
    demand = market.get_demand(session, principal, demand_id)
    own_products = (
        market.list_products(session, principal, mine=True, limit=500).items
        if principal.role is Role.BANK
        else []
    )
    return render(
        request,
        "market_demand.html",
        principal,
        status_code,
        demand=demand,
        own_products=[p for p in own_products if p.is_active],
        today=date.today().isoformat(),
        **{"values": {}, "problems": [], "done": None, **ctx},
    )


@router.get("/market/demands/{demand_id}", response_class=HTMLResponse)
def demand_detail(
    demand_id: int,
    request: Request,
    session: SessionDep,
    principal: DemandReader,
    posted: Annotated[int | None, Query()] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _demand_page(request, session, principal, demand_id, posted=posted, done=done)


def _action_failed(
    request: Request,
    session: Session,
    principal: Principal,
    demand_id: int,
    values: dict[str, str],
    exc: ServiceError | ValidationError,
) -> Response:
    if isinstance(exc, ValidationError):
        return _demand_page(
            request, session, principal, demand_id, 422, values=values, problems=_problems(exc)
        )
    if exc.status == 404:
        raise exc
    session.rollback()
    return _demand_page(
        request,
        session,
        principal,
        demand_id,
        exc.status,
        values=values,
        problems=exc.problems or [FieldProblem("form", exc.detail)],
    )


def _demand_action(
    request: Request,
    session: Session,
    principal: Principal,
    demand_id: int,
    values: dict[str, str],
    act: Callable[[], object],
    done: str,
) -> Response:
    """Run one step of a demand (``act`` builds the input and calls the service); on a refusal
    the demand page again with the problem, else commit and back to the demand."""
    try:
        act()
    except (ServiceError, ValidationError) as exc:
        return _action_failed(request, session, principal, demand_id, values, exc)
    session.commit()
    return RedirectResponse(f"/market/demands/{demand_id}?done={done}", status_code=303)


@router.post(
    "/market/demands/{demand_id}/interest", response_class=HTMLResponse, dependencies=[CsrfDep]
)
async def demand_interest(
    demand_id: int, request: Request, session: SessionDep, principal: Bank
) -> Response:
    values = _form_values(await request.form())
    return _demand_action(
        request, session, principal, demand_id, values,
        lambda: market.express_interest(session, principal, demand_id, market.InterestIn(
            product_id=values.get("product_id") or 0,  # type: ignore[arg-type]
            note=values.get("note") or None,
        )),
        "interest",
    )  # fmt: skip


@router.post(
    "/market/demands/{demand_id}/choose", response_class=HTMLResponse, dependencies=[CsrfDep]
)
async def demand_choose(
    demand_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    values = _form_values(await request.form())
    return _demand_action(
        request, session, principal, demand_id, values,
        lambda: market.choose_interest(session, principal, demand_id, market.ChooseIn(
            interest_id=values.get("interest_id") or 0,  # type: ignore[arg-type]
            expected_version=values.get("expected_version") or 0,  # type: ignore[arg-type]
        )),
        "chosen",
    )  # fmt: skip


@router.post(
    "/market/demands/{demand_id}/withdraw", response_class=HTMLResponse, dependencies=[CsrfDep]
)
async def demand_withdraw(
    demand_id: int, request: Request, session: SessionDep, principal: Enterprise
) -> Response:
    values = _form_values(await request.form())
    return _demand_action(
        request, session, principal, demand_id, values,
        lambda: market.withdraw_demand(session, principal, demand_id, market.WithdrawIn(
            expected_version=values.get("expected_version") or 0,  # type: ignore[arg-type]
        )),
        "withdrawn",
    )  # fmt: skip


@router.post(
    "/market/interests/{interest_id}/outcome",
    response_class=HTMLResponse,
    dependencies=[CsrfDep],
)
async def interest_outcome(
    interest_id: int, request: Request, session: SessionDep, principal: Bank
) -> Response:
    values = _form_values(await request.form())
    demand_id = int(values.get("demand_id") or 0) if values.get("demand_id", "").isdigit() else 0
    problems: list[FieldProblem] = []
    amount = _number(values, "amount_10k", problems)
    rate = _number(values, "rate_pct", problems)
    try:
        if problems:
            raise InvalidInput("; ".join(p.message for p in problems), problems)
        data = market.OutcomeIn(
            granted=values.get("granted") == "yes",
            amount_cny=amount * 10_000 if amount is not None else None,
            rate_pct=float(rate) if rate is not None else None,
            granted_on=values.get("granted_on") or None,  # type: ignore[arg-type]
            decline_reason=values.get("decline_reason") or None,
        )
        out = market.record_outcome(session, principal, interest_id, data)
    except (ServiceError, ValidationError) as exc:
        if not demand_id:
            raise NotFound(f"interest {interest_id} not found") from None
        return _action_failed(request, session, principal, demand_id, values, exc)
    session.commit()
    return RedirectResponse(f"/market/demands/{out.demand_id}?done=outcome", status_code=303)


@router.get("/market/statistics", response_class=HTMLResponse)
def statistics(request: Request, session: SessionDep, principal: Oversight) -> Response:
    stats = market.market_statistics(session, principal)
    types = product_data.product_types()
    return render(request, "market_statistics.html", principal, stats=stats, types=types)


# --- notifications ----------------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
def notifications(
    request: Request,
    session: SessionDep,
    principal: Anyone,
    unread: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = market.list_notifications(
        session, principal, unread_only=unread, offset=offset, limit=PAGE_SIZE
    )
    return render(request, "notifications.html", principal, page=page, unread=unread)


@router.post("/notifications/read", dependencies=[CsrfDep])
async def notifications_read(request: Request, session: SessionDep, principal: Anyone) -> Response:
    values = _form_values(await request.form())
    raw = values.get("notification_id", "")
    if values.get("all") == "1":
        market.mark_read(session, principal, all_unread=True)
    elif raw.isdigit():
        market.mark_read(session, principal, int(raw))
    else:
        raise InvalidInput.on("notification_id", "name a notification or ask for all")
    session.commit()
    target = values.get("next", "")
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return RedirectResponse(target if safe else "/notifications", status_code=303)
