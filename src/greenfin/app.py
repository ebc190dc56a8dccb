"""The ASGI application: API, web pages and static files over one database."""

from __future__ import annotations

from importlib import resources

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from greenfin import __version__
from greenfin.api import problems
from greenfin.api.banking import router as banking_api_router
from greenfin.api.carbon import router as carbon_api_router
from greenfin.api.deps import public
from greenfin.api.disclosure import router as disclosure_api_router
from greenfin.api.loans import router as loans_api_router
from greenfin.api.market import notifications_router as notifications_api_router
from greenfin.api.market import router as market_api_router
from greenfin.api.projects import router as projects_api_router
from greenfin.api.routes import router as api_router
from greenfin.api.taxonomy import router as taxonomy_api_router
from greenfin.services.auth import principal_by_id
from greenfin.services.errors import ServiceError
from greenfin.settings import Settings, get_settings
from greenfin.store.db import Database
from greenfin.web import banking as web_banking
from greenfin.web import carbon as web_carbon
from greenfin.web import disclosure as web_disclosure
from greenfin.web import loans as web_loans
from greenfin.web import market as web_market
from greenfin.web import projects as web_projects
from greenfin.web import routes as web
from greenfin.web import taxonomy as web_taxonomy
from greenfin.web.routes import CsrfFailed, LoginRequired

SWAGGER_DIR = "/static/vendor/swagger-ui-5.35.0"
# Pages may load scripts and styles from this origin only; /docs (Swagger UI) needs one inline
# bootstrap script and gets its own policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
# Framework routes that carry no dependency of ours; they are public by design.
PUBLIC_FRAMEWORK_PATHS = frozenset({"/openapi.json", "/docs", "/static"})


class Health(BaseModel):
    status: str
    version: str
    database: str


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(settings.database_url)
    app = FastAPI(
        title="greenfin API",
        version=__version__,
        description="Green-finance reform zone platform. Errors are RFC 9457 problem+json.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="greenfin_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy", CSP_DOCS if request.url.path == "/docs" else CSP
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.include_router(api_router)
    app.include_router(taxonomy_api_router)
    app.include_router(carbon_api_router)
    app.include_router(loans_api_router)
    app.include_router(projects_api_router)
    app.include_router(market_api_router)
    app.include_router(notifications_api_router)
    app.include_router(banking_api_router)
    app.include_router(disclosure_api_router)
    app.include_router(web.router)
    app.include_router(web_taxonomy.router)
    app.include_router(web_carbon.router)
    app.include_router(web_projects.router)
    app.include_router(web_loans.router)
    app.include_router(web_market.router)
    app.include_router(web_banking.router)
    app.include_router(web_disclosure.router)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("greenfin.web").joinpath("static"))),
        name="static",
    )

    @app.get("/healthz", response_model=Health, dependencies=[Depends(public)], tags=["health"])
    def healthz(request: Request) -> Health:
        """Liveness and database reachability."""
        db_ok = request.app.state.db.ping()
        return Health(status="ok", version=__version__, database="ok" if db_ok else "down")

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(public)])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="greenfin API",
            swagger_js_url=f"{SWAGGER_DIR}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_DIR}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    def html_error(request: Request, status: int, title_key: str, detail: str) -> Response:
        principal = None
        uid = request.session.get("uid") if "session" in request.scope else None
        if isinstance(uid, int):
            with request.app.state.db.session() as session:
                principal = principal_by_id(session, uid)
        text_key = "error.forbidden_text" if status == 403 else None
        return web.render(
            request, "error.html", principal, status, title_key=title_key, text_key=text_key,
            detail=detail,
        )  # fmt: skip

    @app.exception_handler(ServiceError)
    def on_service_error(request: Request, exc: ServiceError) -> Response:
        if _is_api(request):
            return problems.service_error(request, exc)
        key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status, "error.generic")
        return html_error(request, exc.status, key, exc.detail)

    @app.exception_handler(RequestValidationError)
    def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return problems.validation_error(request, exc)
        return html_error(request, 422, "error.generic", str(exc.errors()[:3]))

    @app.exception_handler(StarletteHTTPException)
    def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or request.url.path.startswith("/static"):
            return problems.http_error(request, exc)
        key = "error.not_found" if exc.status_code == 404 else "error.generic"
        return html_error(request, exc.status_code, key, str(exc.detail))

    @app.exception_handler(LoginRequired)
    def on_login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={web.next_param(exc.next_path)}", status_code=303)

    @app.exception_handler(CsrfFailed)
    def on_csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return html_error(request, 403, "error.forbidden", "CSRF token missing or wrong")

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[Depends(public)])
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    return app
