"""API behaviour: tokens, problem+json errors naming the field, organisation scoping."""

from sqlalchemy import func, select

from greenfin.identity import uscc
from greenfin.store.models import AuditRecord, Organisation
from tests.conftest import api_token

NEW_ORG = {
    "uscc": uscc.compose("9", "1", "110108", "55667788"),
    "name_zh": "北京海淀新绿测试科技有限公司",
    "kind": "enterprise",
    "district": "海淀区",
    "industry_code": "7514",
}


def counts(db):
    with db.session() as session:
        orgs = session.execute(select(func.count()).select_from(Organisation)).scalar_one()
        records = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    return orgs, records


def test_healthz(demo_client):
    body = demo_client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_token_login_and_me(demo_client):
    headers = api_token(demo_client, "demo-bank")
    me = demo_client.get("/api/v1/me", headers=headers).json()
    assert me["role"] == "bank" and me["organisation_kind"] == "bank"


def test_wrong_password_is_401_problem(demo_client):
    response = demo_client.post(
        "/api/v1/auth/token", json={"username": "demo-bank", "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["title"] == "Not authenticated"


def test_missing_and_revoked_tokens_are_refused(demo_client):
    assert demo_client.get("/api/v1/me").status_code == 401
    headers = api_token(demo_client, "demo-reviewer")
    assert demo_client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert demo_client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_creates_an_organisation_with_an_audit_record(demo_client, demo_db):
    headers = api_token(demo_client, "demo-admin")
    orgs, records = counts(demo_db)
    response = demo_client.post("/api/v1/organisations", json=NEW_ORG, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["district_code"] == "110108" and body["industry_name_zh"] == "节能技术推广服务"
    assert counts(demo_db) == (orgs + 1, records + 1)
    audit = demo_client.get("/api/v1/audit?action=organisation.created&limit=1", headers=headers)
    latest = audit.json()["items"][0]
    assert latest["object_id"] == str(body["id"]) and latest["actor_username"] == "demo-admin"
    assert latest["payload"]["uscc"] == NEW_ORG["uscc"]


def assert_rejected(client, db, headers, body, status, field):
    before = counts(db)
    response = client.post("/api/v1/organisations", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert [e["field"] for e in problem["errors"]] == [field]
    assert field in problem["detail"]
    assert counts(db) == before, "a rejected request wrote something"
    return problem


def test_malformed_uscc_is_422_naming_the_field(client, db):
    from greenfin.services.demo import load_demo

    with db.session() as session:
        load_demo(session)
    headers = api_token(client, "demo-admin")
    bad = dict(NEW_ORG, uscc=NEW_ORG["uscc"][:-1] + ("0" if NEW_ORG["uscc"][-1] != "0" else "1"))
    problem = assert_rejected(client, db, headers, bad, 422, "uscc")
    assert "check character" in problem["errors"][0]["message"]
    assert_rejected(client, db, headers, dict(NEW_ORG, uscc="1234"), 422, "uscc")
    assert_rejected(client, db, headers, dict(NEW_ORG, district="浦东新区"), 422, "district")
    assert_rejected(client, db, headers, dict(NEW_ORG, industry_code="9999"), 422, "industry_code")
    assert_rejected(
        client, db, headers, dict(NEW_ORG, in_city_sub_centre=True), 422, "in_city_sub_centre"
    )
    assert_rejected(client, db, headers, dict(NEW_ORG, kind="hedge_fund"), 422, "kind")


def test_duplicate_organisation_is_409_naming_the_field(demo_client, demo_db):
    headers = api_token(demo_client, "demo-admin")
    existing = demo_client.get("/api/v1/organisations?limit=1&kind=bank", headers=headers).json()
    first = existing["items"][0]
    dup_code = dict(NEW_ORG, uscc=first["uscc"], name_zh="另一个名字有限公司")
    assert_rejected(demo_client, demo_db, headers, dup_code, 409, "uscc")
    dup_name = dict(
        NEW_ORG, uscc=uscc.compose("9", "1", "110105", "99990001"), name_zh=first["name_zh"]
    )
    assert_rejected(demo_client, demo_db, headers, dup_name, 409, "name_zh")


def test_enterprise_sees_only_its_own_organisation(demo_client):
    headers = api_token(demo_client, "demo-enterprise")
    me = demo_client.get("/api/v1/me", headers=headers).json()
    page = demo_client.get("/api/v1/organisations", headers=headers).json()
    assert page["total"] == 1 and page["items"][0]["id"] == me["organisation_id"]
    other = api_token(demo_client, "demo-enterprise2")
    other_id = demo_client.get("/api/v1/me", headers=other).json()["organisation_id"]
    response = demo_client.get(f"/api/v1/organisations/{other_id}", headers=headers)
    assert response.status_code == 404  # not 403: existence is not revealed
    own = demo_client.get(f"/api/v1/organisations/{me['organisation_id']}", headers=headers)
    assert own.status_code == 200


def test_bank_sees_only_its_own_organisation_but_regulator_sees_all(demo_client):
    bank = demo_client.get("/api/v1/organisations", headers=api_token(demo_client, "demo-bank"))
    assert bank.json()["total"] == 1
    regulator = demo_client.get(
        "/api/v1/organisations?kind=enterprise", headers=api_token(demo_client, "demo-regulator")
    ).json()
    assert regulator["total"] >= 200


def test_admin_creates_user_whose_role_must_fit_the_organisation(demo_client):
    headers = api_token(demo_client, "demo-admin")
    bank = demo_client.get("/api/v1/organisations?kind=bank&limit=1", headers=headers).json()
    bank_id = bank["items"][0]["id"]
    wrong = {
        "username": "wrong-role",
        "display_name": "x",
        "password": "long-enough-pw",
        "organisation_id": bank_id,
        "role": "enterprise",
    }
    response = demo_client.post("/api/v1/users", json=wrong, headers=headers)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "role"
    ok = dict(wrong, username="bank-officer-2", role="bank")
    created = demo_client.post("/api/v1/users", json=ok, headers=headers)
    assert created.status_code == 201, created.text
    assert "password" not in created.json()
    assert api_token(demo_client, "bank-officer-2", "long-enough-pw")
    short = dict(ok, username="short-pw", password="short")
    assert (
        demo_client.post("/api/v1/users", json=short, headers=headers).json()["errors"][0]["field"]
        == "password"
    )


def test_audit_verify_endpoint(demo_client):
    body = demo_client.get(
        "/api/v1/audit/verify", headers=api_token(demo_client, "demo-regulator")
    ).json()
    assert body["ok"] is True and body["checked"] > 250


def test_dashboard_counts_demo_population(demo_client):
    body = demo_client.get("/api/v1/dashboard", headers=api_token(demo_client, "demo-bank")).json()
    assert body["organisations_by_kind"]["enterprise"] >= 200
    assert body["audit_records"] is None  # banks do not see ledger figures
    tongzhou = next(d for d in body["enterprises_by_district"] if d["district_code"] == "110112")
    assert (
        tongzhou["has_city_sub_centre"]
        and 0 < tongzhou["sub_centre_enterprises"] <= tongzhou["enterprises"]
    )


def test_districts_reference_is_public(demo_client):
    rows = demo_client.get("/api/v1/reference/districts").json()
    assert len(rows) == 16 and all(r["source"] for r in rows)


def test_unknown_api_path_is_problem_json(demo_client):
    response = demo_client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
