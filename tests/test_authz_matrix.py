"""Authorisation matrix: every route × every role.

Adding a route without adding it here fails ``test_every_route_is_in_the_matrix``; a route whose
declared rule differs from the matrix, or that behaves differently from it, fails the others.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from greenfin.access import PUBLIC, rule_of
from greenfin.app import PUBLIC_FRAMEWORK_PATHS, create_app
from greenfin.identity.roles import Role
from tests.conftest import ROLE_USERS, api_token, csrf_from, make_settings, web_login

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
OVERSIGHT = frozenset({Role.REGULATOR, Role.ADMIN})
FINANCE = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})
MARKET_READERS = frozenset({Role.ENTERPRISE, Role.BANK, Role.REGULATOR, Role.ADMIN})  # issue #6

MATRIX: dict[tuple[str, str], frozenset[Role] | str] = {
    # framework and health
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    # API
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("DELETE", "/api/v1/auth/token"): ALL,
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/organisations"): ALL,
    ("POST", "/api/v1/organisations"): ADMIN,
    ("GET", "/api/v1/organisations/{organisation_id}"): ALL,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/audit"): OVERSIGHT,
    ("GET", "/api/v1/audit/verify"): OVERSIGHT,
    ("GET", "/api/v1/dashboard"): ALL,
    ("GET", "/api/v1/reference/districts"): PUBLIC,
    # web
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ALL,
    ("GET", "/lang/{code}"): PUBLIC,
    ("GET", "/home"): ALL,
    ("GET", "/modules/{slug}"): ALL,
    ("GET", "/enterprise/profile"): frozenset({Role.ENTERPRISE}),
    ("GET", "/organisations"): ALL,
    ("GET", "/organisations/new"): ADMIN,
    ("POST", "/organisations/new"): ADMIN,
    ("GET", "/audit"): OVERSIGHT,
    # taxonomy (issue #3): every role screens and browses the catalogues
    ("GET", "/api/v1/taxonomy/editions"): ALL,
    ("GET", "/api/v1/taxonomy/editions/{edition}/items"): ALL,
    ("GET", "/api/v1/taxonomy/editions/{edition}/items/{code}"): ALL,
    ("GET", "/api/v1/taxonomy/industries/{code}"): ALL,
    ("POST", "/api/v1/taxonomy/screen"): ALL,
    ("POST", "/api/v1/taxonomy/screen/batch"): ALL,
    ("GET", "/taxonomy"): ALL,
    ("POST", "/taxonomy"): ALL,
    ("GET", "/taxonomy/catalogue"): ALL,
    ("GET", "/taxonomy/catalogue/{edition}/{code}"): ALL,
    # carbon (issue #4)
    ("GET", "/api/v1/carbon/cerf/areas"): ALL,
    ("GET", "/api/v1/carbon/cerf/terms"): ALL,
    ("POST", "/api/v1/carbon/cerf/disclosure"): FINANCE,
    ("POST", "/api/v1/carbon/financed"): FINANCE,
    ("POST", "/api/v1/carbon/accounts/{organisation_id}/years"): frozenset(
        {Role.ENTERPRISE, Role.ADMIN}
    ),
    ("GET", "/api/v1/carbon/accounts/{organisation_id}/years"): frozenset(
        {Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN}
    ),
    ("POST", "/api/v1/loans/imports"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/api/v1/loans/imports"): FINANCE,
    # loan-book analysis (issue #5, pipeline): banks their own imports + admin run it; FINANCE read
    ("POST", "/api/v1/loans/imports/{import_id}/analysis"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/api/v1/loans/imports/{import_id}/analysis"): FINANCE,
    ("GET", "/api/v1/loans/imports/{import_id}/analysis/loans"): FINANCE,
    # JR/T 0227 disclosure reports (issue #5): FINANCE read (a bank its own institution only),
    # the institution's own bank users and admins enter the inputs
    ("GET", "/api/v1/disclosure/{bank_id}/{year}"): FINANCE,
    ("GET", "/api/v1/disclosure/{bank_id}/{year}/pdf"): FINANCE,
    ("GET", "/api/v1/disclosure/{bank_id}/{year}/inputs"): FINANCE,
    ("PUT", "/api/v1/disclosure/{bank_id}/{year}/inputs"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/disclosure"): FINANCE,
    ("GET", "/disclosure/{bank_id}/{year}"): FINANCE,
    ("GET", "/disclosure/{bank_id}/{year}.pdf"): FINANCE,
    ("GET", "/disclosure/{bank_id}/{year}/inputs"): frozenset({Role.BANK, Role.ADMIN}),
    ("POST", "/disclosure/{bank_id}/{year}/inputs"): frozenset({Role.BANK, Role.ADMIN}),
    # green credit statistics, PBOC evaluation, regulator dashboard, loan-book upload page
    # (issue #5): banks see their own bank; regulators enter qualitative scores
    ("GET", "/api/v1/statistics"): FINANCE,
    ("GET", "/api/v1/statistics.xlsx"): FINANCE,
    ("GET", "/api/v1/evaluation/{quarter}"): FINANCE,
    ("PUT", "/api/v1/evaluation/{quarter}/qualitative/{bank_id}"): OVERSIGHT,
    ("GET", "/api/v1/evaluation/{quarter}/qualitative/{bank_id}"): FINANCE,
    ("GET", "/loans"): FINANCE,
    ("POST", "/loans"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/loans/imports/{import_id}"): FINANCE,
    ("GET", "/loans/errors/{token}.csv"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/loans/template.xlsx"): FINANCE,
    ("GET", "/statistics"): FINANCE,
    ("GET", "/statistics.xlsx"): FINANCE,
    ("GET", "/evaluation"): FINANCE,
    ("POST", "/evaluation/qualitative"): OVERSIGHT,
    ("GET", "/regulator"): OVERSIGHT,
    ("GET", "/carbon/account"): frozenset({Role.ENTERPRISE}),
    ("POST", "/carbon/account"): frozenset({Role.ENTERPRISE}),
    ("GET", "/carbon/account/template.xlsx"): frozenset({Role.ENTERPRISE}),
    ("POST", "/carbon/account/upload"): frozenset({Role.ENTERPRISE}),
    # --- marketplace, matching, financing demands, notifications (issue #6 part B) ---
    # products are public to every logged-in role; institutions publish their own; demands are
    # scoped in the service (an enterprise its own, a bank open ones and its own interests)
    ("GET", "/api/v1/market/product-types"): ALL,
    ("GET", "/api/v1/market/products"): ALL,
    ("POST", "/api/v1/market/products"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/api/v1/market/products/{product_id}"): ALL,
    ("PUT", "/api/v1/market/products/{product_id}"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/api/v1/market/projects/{project_id}/matches"): ALL,
    ("GET", "/api/v1/market/bank/projects"): frozenset({Role.BANK, Role.ADMIN}),
    ("GET", "/api/v1/market/demands"): MARKET_READERS,
    ("POST", "/api/v1/market/demands"): frozenset({Role.ENTERPRISE}),
    ("GET", "/api/v1/market/demands/{demand_id}"): MARKET_READERS,
    ("POST", "/api/v1/market/demands/{demand_id}/interests"): frozenset({Role.BANK}),
    ("POST", "/api/v1/market/demands/{demand_id}/choose"): frozenset({Role.ENTERPRISE}),
    ("POST", "/api/v1/market/demands/{demand_id}/withdraw"): frozenset({Role.ENTERPRISE}),
    ("POST", "/api/v1/market/interests/{interest_id}/outcome"): frozenset({Role.BANK}),
    ("GET", "/api/v1/market/statistics"): OVERSIGHT,
    ("GET", "/api/v1/notifications"): ALL,
    ("POST", "/api/v1/notifications/read"): ALL,
    ("GET", "/market/products"): ALL,
    ("GET", "/market/products/new"): frozenset({Role.BANK}),
    ("POST", "/market/products/new"): frozenset({Role.BANK}),
    ("GET", "/market/products/{product_id}"): ALL,
    ("GET", "/market/products/{product_id}/edit"): frozenset({Role.BANK}),
    ("POST", "/market/products/{product_id}/edit"): frozenset({Role.BANK}),
    ("GET", "/market/projects/{project_id}/matches"): ALL,
    ("GET", "/market/bank"): frozenset({Role.BANK}),
    ("GET", "/market/demands"): MARKET_READERS,
    ("POST", "/market/demands"): frozenset({Role.ENTERPRISE}),
    ("GET", "/market/demands/{demand_id}"): MARKET_READERS,
    ("POST", "/market/demands/{demand_id}/interest"): frozenset({Role.BANK}),
    ("POST", "/market/demands/{demand_id}/choose"): frozenset({Role.ENTERPRISE}),
    ("POST", "/market/demands/{demand_id}/withdraw"): frozenset({Role.ENTERPRISE}),
    ("POST", "/market/interests/{interest_id}/outcome"): frozenset({Role.BANK}),
    ("GET", "/market/statistics"): OVERSIGHT,
    ("GET", "/notifications"): ALL,
    ("POST", "/notifications/read"): ALL,
    # --- end issue #6 part B ---
    # --- green project library (issue #6 part A) ---
    # enterprises submit their own projects; reviewers decide; regulators/admins assign and see
    # statistics; every role reads the library (visibility scoped in the service → 404)
    ("GET", "/api/v1/projects"): frozenset(
        {Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN}
    ),
    ("POST", "/api/v1/projects"): frozenset({Role.ENTERPRISE}),
    ("GET", "/api/v1/projects/import/template"): frozenset({Role.ENTERPRISE}),
    ("POST", "/api/v1/projects/import"): frozenset({Role.ENTERPRISE}),
    ("GET", "/api/v1/projects/{project_id}"): ALL,
    ("PUT", "/api/v1/projects/{project_id}"): frozenset({Role.ENTERPRISE}),
    ("POST", "/api/v1/projects/{project_id}/documents"): frozenset({Role.ENTERPRISE}),
    ("GET", "/api/v1/projects/{project_id}/documents/{document_id}"): frozenset(
        {Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN}
    ),
    ("POST", "/api/v1/projects/{project_id}/submit"): frozenset({Role.ENTERPRISE}),
    ("POST", "/api/v1/projects/{project_id}/screen"): frozenset({Role.REVIEWER, Role.ADMIN}),
    ("POST", "/api/v1/projects/{project_id}/claim"): frozenset({Role.REVIEWER}),
    ("POST", "/api/v1/projects/{project_id}/assign"): OVERSIGHT,
    ("POST", "/api/v1/projects/{project_id}/approve"): frozenset({Role.REVIEWER}),
    ("POST", "/api/v1/projects/{project_id}/return"): frozenset({Role.REVIEWER}),
    ("POST", "/api/v1/projects/{project_id}/reject"): frozenset({Role.REVIEWER}),
    ("POST", "/api/v1/projects/{project_id}/reclassify"): frozenset({Role.REVIEWER}),
    ("GET", "/api/v1/projects/{project_id}/certificate.pdf"): ALL,
    ("POST", "/api/v1/projects/{project_id}/certificate/revoke"): OVERSIGHT,
    ("GET", "/api/v1/certificates/{code}"): PUBLIC,
    ("GET", "/api/v1/library/search"): ALL,
    ("GET", "/api/v1/library/statistics"): OVERSIGHT,
    ("GET", "/projects"): ALL,
    ("GET", "/projects/new"): frozenset({Role.ENTERPRISE}),
    ("POST", "/projects/new"): frozenset({Role.ENTERPRISE}),
    ("GET", "/projects/import"): frozenset({Role.ENTERPRISE}),
    ("GET", "/projects/import/template.xlsx"): frozenset({Role.ENTERPRISE}),
    ("POST", "/projects/import"): frozenset({Role.ENTERPRISE}),
    ("GET", "/library"): ALL,
    ("GET", "/library/statistics"): OVERSIGHT,
    ("GET", "/verify"): PUBLIC,
    ("GET", "/verify/{code}"): PUBLIC,
    ("GET", "/projects/{project_id}"): ALL,
    ("GET", "/projects/{project_id}/edit"): frozenset({Role.ENTERPRISE}),
    ("POST", "/projects/{project_id}/edit"): frozenset({Role.ENTERPRISE}),
    ("POST", "/projects/{project_id}/documents"): frozenset({Role.ENTERPRISE}),
    ("GET", "/projects/{project_id}/documents/{document_id}"): frozenset(
        {Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN}
    ),
    ("POST", "/projects/{project_id}/submit"): frozenset({Role.ENTERPRISE}),
    ("POST", "/projects/{project_id}/screen"): frozenset({Role.REVIEWER, Role.ADMIN}),
    ("POST", "/projects/{project_id}/claim"): frozenset({Role.REVIEWER}),
    ("POST", "/projects/{project_id}/assign"): OVERSIGHT,
    ("POST", "/projects/{project_id}/approve"): frozenset({Role.REVIEWER}),
    ("POST", "/projects/{project_id}/return"): frozenset({Role.REVIEWER}),
    ("POST", "/projects/{project_id}/reject"): frozenset({Role.REVIEWER}),
    ("POST", "/projects/{project_id}/reclassify"): frozenset({Role.REVIEWER}),
    ("GET", "/projects/{project_id}/certificate.pdf"): ALL,
    # --- end issue #6 part A ---
}

PATH_SAMPLES = {
    "{organisation_id}": "1",
    "{slug}": "taxonomy",
    "{edition}": "green-finance-2025",
    "{code}": "4.2.2",
    "{bank_id}": "1",  # disclosure: organisation 1 is the regulator → 404 after the role check
    "{year}": "2025",
    "{import_id}": "1",
    "{quarter}": "2026Q3",
    "{token}": "a" * 24,
    # issue #6 part B: ids that do not exist in the demo → 404 after the role check
    "{product_id}": "999999",
    "{project_id}": "999999",
    "{demand_id}": "999999",
    "{interest_id}": "999999",
    "{document_id}": "1",  # issue #6 part A
}


def flatten(routes):
    """App routes with included routers expanded (FastAPI keeps them as lazy router objects)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from flatten(included.routes)
        else:
            yield route


def app_routes(app) -> dict[tuple[str, str], object]:
    found: dict[tuple[str, str], object] = {}
    for route in flatten(app.routes):
        if isinstance(route, Mount):
            found[("GET", route.path)] = PUBLIC if route.path in PUBLIC_FRAMEWORK_PATHS else None
        elif isinstance(route, APIRoute):
            rules = {rule_of(dep.call) for dep in route.dependant.dependencies} - {None}
            rules |= {
                rule_of(sub.call)
                for dep in route.dependant.dependencies
                for sub in dep.dependencies
            } - {None}
            for method in route.methods:
                found[(method, route.path)] = rules
        elif isinstance(route, Route):
            for method in (route.methods or set()) - {"HEAD"}:
                found[(method, route.path)] = (
                    PUBLIC if route.path in PUBLIC_FRAMEWORK_PATHS else None
                )
    return found


def test_every_route_is_in_the_matrix(tmp_path, db):
    routes = app_routes(create_app(make_settings(tmp_path, db), db))
    assert set(routes) == set(MATRIX), (
        f"routes without a rule: {sorted(set(routes) - set(MATRIX))}; "
        f"rules without a route: {sorted(set(MATRIX) - set(routes))}"
    )


def test_every_route_declares_exactly_the_matrix_rule(tmp_path, db):
    for key, declared in app_routes(create_app(make_settings(tmp_path, db), db)).items():
        expected = MATRIX[key]
        if isinstance(declared, set):
            assert len(declared) == 1, f"{key} declares {declared or 'no access rule'}"
            (declared,) = declared
        assert declared == expected, f"{key}: declared {declared}, matrix says {expected}"


def fill(path: str) -> str:
    if path == "/lang/{code}":
        return "/lang/en"
    if path == "/api/v1/taxonomy/industries/{code}":
        return "/api/v1/taxonomy/industries/4416"
    for placeholder, value in PATH_SAMPLES.items():
        path = path.replace(placeholder, value)
    return "/static/greenfin.css" if path == "/static" else path


def call(client: TestClient, method: str, path: str, headers: dict | None, web: bool):
    data = None
    if web and method == "POST":
        data = {"csrf_token": csrf_from(client.get("/login").text)}
    return client.request(method, fill(path), headers=headers, data=data, follow_redirects=False)


def refused(response, web: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    return web and response.status_code == 303 and "/login" in response.headers["location"]


@pytest.fixture
def matrix_app(demo_db, tmp_path):
    return create_app(make_settings(tmp_path, demo_db), demo_db)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_behaviour_matches_the_matrix(matrix_app, role):
    failures = []
    with TestClient(matrix_app) as client:
        if role is not None:
            web_login(client, ROLE_USERS[role.value])
        token = api_token(client, ROLE_USERS[role.value]) if role is not None else None
        for (method, path), rule in MATRIX.items():
            web = not path.startswith("/api/")
            if (method, path) in {("POST", "/logout"), ("DELETE", "/api/v1/auth/token")}:
                continue  # they end the session; checked below with their own log-in
            headers = None if web else token
            response = call(client, method, path, headers, web)
            assert response.status_code < 500, f"{method} {path}: {response.status_code}"
            if rule == PUBLIC:
                if response.status_code == 403:
                    failures.append(f"{method} {path}: public route answered 403")
                continue
            allowed = role is not None and role in rule
            if refused(response, web) == allowed:
                failures.append(f"{method} {path}: {response.status_code} (allowed={allowed})")
    assert not failures, failures


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_session_ending_routes(matrix_app, role):
    with TestClient(matrix_app) as client:
        token = api_token(client, ROLE_USERS[role.value])
        assert client.delete("/api/v1/auth/token", headers=token).status_code == 204
        web_login(client, ROLE_USERS[role.value])
        response = call(client, "POST", "/logout", None, web=True)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert refused(client.get("/home", follow_redirects=False), web=True)
    with TestClient(matrix_app) as anonymous:
        assert anonymous.delete("/api/v1/auth/token").status_code == 401
        assert refused(call(anonymous, "POST", "/logout", None, web=True), web=True)
