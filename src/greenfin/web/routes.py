"""Web pages. Session-cookie log-in; every state-changing form carries a CSRF token."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from greenfin import reference
from greenfin.access import ALL_ROLES, mark
from greenfin.api.deps import SessionDep, public
from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import audit, auth, dashboard, organisations
from greenfin.services.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    NotFound,
    Page,
    Unauthenticated,
)
from greenfin.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from greenfin.web.modules import BY_SLUG, MODULES

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("greenfin.web").joinpath("templates")))

LANG_COOKIE = "lang"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfFailed(Exception):
    pass


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Compare the form's csrf_token with the one bound to this session (synchroniser token)."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


CsrfDep = Depends(csrf_protect)


def web_principal(request: Request, session: SessionDep) -> Principal | None:
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    return auth.principal_by_id(session, user_id)


def web_allow(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the logged-in principal with one of ``roles`` (all if none); otherwise a
    redirect to the log-in page, or a 403 page for a role that may not enter."""
    allowed = frozenset(roles) or ALL_ROLES

    def check(
        request: Request, principal: Annotated[Principal | None, Depends(web_principal)]
    ) -> Principal:
        if principal is None:
            raise LoginRequired(request.url.path)
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value} may not open {request.url.path}")
        return principal

    return mark(check, allowed)


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = language(request)

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    if "page" in context:
        context["pager"] = pager_links(request, context["page"])
    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": t,
            "principal": principal,
            "csrf_token": csrf_token(request),
            "modules": MODULES,
            "Role": Role,
            **context,
        },
        status_code=status_code,
    )


def pager_links(request: Request, page: Page[Any]) -> dict[str, str | None]:
    """Previous/next URLs that keep the current filters."""

    def at(offset: int) -> str:
        params = {k: v for k, v in request.query_params.items() if k not in {"offset", "verify"}}
        return f"{request.url.path}?{urlencode({**params, 'offset': offset})}"

    has_next = page.offset + page.limit < page.total
    return {
        "prev": at(max(page.offset - page.limit, 0)) if page.offset > 0 else None,
        "next": at(page.offset + page.limit) if has_next else None,
    }


def safe_next(path: str | None) -> str:
    """Only same-site paths may be redirect targets (no open redirects)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/home"


# --- log-in / log-out / language ---------------------------------------------------------------


@router.get("/", dependencies=[Depends(public)])
def index(request: Request) -> RedirectResponse:
    target = "/home" if request.session.get("uid") else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(public), CsrfDep])
async def login(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    next_path = safe_next(str(form.get("next", "")))
    try:
        principal = auth.authenticate(
            session, str(form.get("username", "")), str(form.get("password", ""))
        )
    except Unauthenticated:
        return render(request, "login.html", None, 200, next=next_path, error="login.failed")
    auth.record_web_login(session, principal)
    session.commit()
    request.session.clear()  # a fresh session (and CSRF token) at privilege change
    request.session["uid"] = principal.user_id
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, _: Annotated[Principal, Depends(web_allow())]) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}", dependencies=[Depends(public)])
def switch_language(
    code: str, next: Annotated[str | None, Query(max_length=500)] = None
) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response


# --- dashboard and modules --------------------------------------------------------------------


def district_chart(overview: dashboard.Overview, lang: str) -> dict[str, Any]:
    """ECharts option: enterprises per district, the city sub-centre stacked apart."""
    rows = overview.enterprises_by_district
    labels = [r.name_zh if lang == "zh" else r.name_en for r in rows]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [translate(lang, "home.other"), translate(lang, "home.sub_centre")]},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 40},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 45}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": translate(lang, "home.other"),
                "type": "bar",
                "stack": "n",
                "data": [r.enterprises - r.sub_centre_enterprises for r in rows],
                "itemStyle": {"color": "#6aa84f"},
            },
            {
                "name": translate(lang, "home.sub_centre"),
                "type": "bar",
                "stack": "n",
                "data": [r.sub_centre_enterprises for r in rows],
                "itemStyle": {"color": "#274e13"},
            },
        ],
    }


@router.get("/home", response_class=HTMLResponse)
def home(
    request: Request, session: SessionDep, principal: Annotated[Principal, Depends(web_allow())]
) -> Response:
    overview = dashboard.overview(session, principal)
    chart = json.dumps(district_chart(overview, language(request)), ensure_ascii=False)
    return render(request, "home.html", principal, overview=overview, chart=chart)


@router.get("/modules/{slug}", response_class=HTMLResponse)
def module_page(
    slug: str, request: Request, principal: Annotated[Principal, Depends(web_allow())]
) -> Response:
    module = BY_SLUG.get(slug)
    if module is None:
        raise NotFound(f"no module {slug}")
    return render(request, "module.html", principal, module=module)


@router.get("/enterprise/profile", response_class=HTMLResponse)
def enterprise_profile(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(web_allow(Role.ENTERPRISE))],
) -> Response:
    """The enterprise's own record (本企业信息); applications arrive with the project library."""
    org = organisations.get_organisation(session, principal, principal.organisation_id)
    return render(request, "enterprise_profile.html", principal, org=org)


# --- organisations ----------------------------------------------------------------------------

PAGE_SIZE = 50


@router.get("/organisations", response_class=HTMLResponse)
def organisation_list(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(web_allow())],
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    created: Annotated[int | None, Query()] = None,
) -> Response:
    kind_value = OrgKind(kind) if kind in {k.value for k in OrgKind} else None
    page = organisations.list_organisations(
        session, principal, kind=kind_value, district=district or None, q=q or None,
        offset=offset, limit=PAGE_SIZE,
    )  # fmt: skip
    return render(
        request, "organisations.html", principal, page=page, q=q or "", kind=kind or "",
        district=district or "", districts=reference.districts(), kinds=list(OrgKind),
        created=created,
    )  # fmt: skip


def _org_form(request: Request, principal: Principal, status: int = 200, **ctx: Any) -> Response:
    return render(
        request, "organisation_new.html", principal, status,
        districts=reference.districts(), kinds=list(OrgKind), **ctx,
    )  # fmt: skip


@router.get("/organisations/new", response_class=HTMLResponse)
def organisation_new(
    request: Request, principal: Annotated[Principal, Depends(web_allow(Role.ADMIN))]
) -> Response:
    return _org_form(request, principal, values={}, problems=[])


@router.post("/organisations/new", response_class=HTMLResponse, dependencies=[CsrfDep])
async def organisation_create(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(web_allow(Role.ADMIN))],
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    payload: dict[str, Any] = {
        k: v for k, v in values.items() if k in organisations.OrganisationCreate.model_fields
    }
    payload["in_city_sub_centre"] = values.get("in_city_sub_centre") == "on"
    payload = {k: (v if v != "" else None) for k, v in payload.items()}
    try:
        created = organisations.create_organisation(
            session, principal, organisations.OrganisationCreate(**payload)
        )
    except ValidationError as exc:
        problems = [
            FieldProblem(
                str(e["loc"][0]) if e["loc"] else "form", e["msg"].removeprefix("Value error, ")
            )
            for e in exc.errors()
        ]
        return _org_form(request, principal, 422, values=values, problems=problems)
    except Conflict as exc:
        return _org_form(request, principal, 409, values=values, problems=exc.problems)
    session.commit()
    return RedirectResponse(f"/organisations?created={created.id}", status_code=303)


# --- audit ledger -----------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(web_allow(Role.REGULATOR, Role.ADMIN))],
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    verify: Annotated[bool, Query()] = False,
) -> Response:
    page = audit.browse(
        session, principal, action=action or None, actor=actor or None, offset=offset,
        limit=PAGE_SIZE,
    )  # fmt: skip
    result = audit.verify(session, principal) if verify else None
    return render(
        request, "audit.html", principal, page=page, action=action or "", actor=actor or "",
        result=result,
    )  # fmt: skip


def next_param(path: str) -> str:
    return quote(path, safe="/")
