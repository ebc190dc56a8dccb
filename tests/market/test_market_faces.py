"""The marketplace through the API and the web pages, on the shared demo database (示例)."""

from __future__ import annotations

from sqlalchemy import select

from greenfin.store.models import Membership, Project, User
from tests.conftest import api_token, csrf_from, web_login


def org_of(db, username: str) -> int:
    with db.session() as session:
        return session.execute(
            select(Membership.organisation_id).join(User, User.id == Membership.user_id)
            .where(User.username == username)
        ).scalar_one()  # fmt: skip


def project_of(db, username: str, status: str) -> int | None:
    with db.session() as session:
        return session.execute(
            select(Project.id)
            .where(Project.organisation_id == org_of(db, username), Project.status == status)
            .limit(1)
        ).scalar_one_or_none()


PRODUCT = {
    "name": "接口测试能效贷（测试）", "product_type": "energy_efficiency_loan",
    "rules": {"categories": ["1.3"], "min_grade": "浅绿", "amount_max_fen": 10**10},
    "rate_min_pct": 3.3, "rate_max_pct": 4.1,
}  # fmt: skip


def test_api_products_publish_and_refuse(demo_client):
    bank = api_token(demo_client, "demo-bank")
    created = demo_client.post("/api/v1/market/products", json=PRODUCT, headers=bank)
    assert created.status_code == 201, created.text
    assert created.json()["rules"]["categories"] == ["1.3"]
    bad = demo_client.post(
        "/api/v1/market/products",
        json={**PRODUCT, "rules": {"items": ["4.2"], "district": ["110105"]}},
        headers=bank,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} == {"rules.items[0]", "rules.district"}
    enterprise = api_token(demo_client, "demo-enterprise")
    assert demo_client.post("/api/v1/market/products", json=PRODUCT,
                            headers=enterprise).status_code == 403  # fmt: skip
    other = api_token(demo_client, "demo-bank2")
    pid = created.json()["id"]
    assert demo_client.put(f"/api/v1/market/products/{pid}", json=PRODUCT,
                           headers=other).status_code == 404  # fmt: skip
    types = demo_client.get("/api/v1/market/product-types", headers=enterprise).json()
    assert len(types) >= 10 and all(t["source"] for t in types)
    listed = demo_client.get("/api/v1/market/products?limit=500", headers=enterprise).json()
    assert listed["total"] >= 40  # the demo's products plus those tests add


def test_api_bank_sees_library_projects_and_only_its_own_interests(demo_client, demo_db):
    bank = api_token(demo_client, "demo-bank")
    page = demo_client.get("/api/v1/market/bank/projects?limit=500", headers=bank).json()
    assert page["total"] > 0
    assert {m["project"]["status"] for m in page["items"]} == {"approved"}
    draft = project_of(demo_db, "demo-enterprise", "draft")
    assert draft is not None
    assert demo_client.get(f"/api/v1/market/projects/{draft}/matches",
                           headers=bank).status_code == 404  # fmt: skip
    own = org_of(demo_db, "demo-bank")
    demands = demo_client.get("/api/v1/market/demands?limit=500", headers=bank).json()["items"]
    assert demands, "the demo gives the demo bank demands to see"
    for d in demands:
        assert all(i["organisation_id"] == own for i in d["interests"]), d["id"]
    statistics = demo_client.get("/api/v1/market/statistics", headers=bank)
    assert statistics.status_code == 403


def test_api_enterprise_demand_rules(demo_client, demo_db):
    enterprise = api_token(demo_client, "demo-enterprise")
    foreign = project_of(demo_db, "demo-enterprise2", "approved")
    response = demo_client.post("/api/v1/market/demands", json={"project_id": foreign},
                                headers=enterprise)  # fmt: skip
    assert response.status_code == 404
    draft = project_of(demo_db, "demo-enterprise", "draft")
    response = demo_client.post("/api/v1/market/demands", json={"project_id": draft},
                                headers=enterprise)  # fmt: skip
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "project_id"
    mine = demo_client.get("/api/v1/market/demands", headers=enterprise).json()["items"]
    own = org_of(demo_db, "demo-enterprise")
    assert mine and all(d["organisation_id"] == own for d in mine)


def test_regulator_statistics_count_granted_outcomes(demo_client):
    regulator = api_token(demo_client, "demo-regulator")
    stats = demo_client.get("/api/v1/market/statistics", headers=regulator).json()
    assert stats["granted"] >= 1 and stats["enterprises_granted"] >= 1
    assert 0 < stats["loan_success_rate"] <= 1
    assert stats["products_active"] >= 40


def test_web_pages_render_for_their_roles(demo_client, demo_db):
    pages = {
        "demo-enterprise": ["/market/products", "/market/demands", "/notifications"],
        "demo-bank": ["/market/products", "/market/products/new", "/market/bank",
                      "/market/demands?engageable=1", "/notifications"],
        "demo-regulator": ["/market/statistics", "/market/demands"],
        "demo-reviewer": ["/market/products", "/notifications"],
    }  # fmt: skip
    approved = project_of(demo_db, "demo-enterprise", "approved")
    pages["demo-enterprise"].append(f"/market/projects/{approved}/matches")
    for user, paths in pages.items():
        demo_client.cookies.clear()
        web_login(demo_client, user)
        for path in paths:
            response = demo_client.get(path)
            assert response.status_code == 200, (user, path, response.text[:500])
    demo_client.cookies.clear()
    web_login(demo_client, "demo-enterprise")
    html = demo_client.get(f"/market/projects/{approved}/matches").text
    assert 'data-eligible="true"' in html and 'data-rule="catalogue"' in html


def test_web_product_form_names_the_field_then_saves(demo_client):
    web_login(demo_client, "demo-bank2")
    form = demo_client.get("/market/products/new").text
    data = {
        "csrf_token": csrf_from(form), "name": "网页测试绿色租赁（测试）",
        "product_type": "green_lease", "items": "4.2", "amount_min_10k": "abc",
        "is_active": "on",
    }  # fmt: skip
    bad = demo_client.post("/market/products/new", data=data)
    assert bad.status_code == 422 and 'data-field="amount_min_10k"' in bad.text
    data["amount_min_10k"] = "100"
    bad = demo_client.post("/market/products/new", data=data)
    assert bad.status_code == 422 and 'data-field="rules.items[0]"' in bad.text
    data["items"] = "4.2.2"
    saved = demo_client.post("/market/products/new", data=data, follow_redirects=False)
    assert saved.status_code == 303
    page = demo_client.get(saved.headers["location"])
    assert "网页测试绿色租赁" in page.text and 'id="product-saved"' in page.text
    no_csrf = demo_client.post("/market/products/new", data={**data, "csrf_token": "x"})
    assert no_csrf.status_code == 403


def test_web_notifications_badge_and_mark_read(demo_client):
    web_login(demo_client, "demo-enterprise")
    home = demo_client.get("/home").text
    page = demo_client.get("/notifications").text
    if 'id="unread-badge"' in home:
        response = demo_client.post(
            "/notifications/read", data={"csrf_token": csrf_from(page), "all": "1"},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303
    assert 'id="unread-badge"' not in demo_client.get("/home").text
    assert 'data-read="false"' not in demo_client.get("/notifications").text


def test_web_badge_and_read_state_are_per_user(demo_client, demo_db):
    """Two members of one organisation (the demo admin and regulator share one): one reading a
    notification leaves the other's badge and list unread."""
    from greenfin.store.models import Notification

    with demo_db.session() as session:
        note = Notification(
            organisation_id=org_of(demo_db, "demo-regulator"), kind="test.note",
            message_zh="测试通知（每人各自已读）", message_en="per-user test note",
        )  # fmt: skip
        session.add(note)
        session.commit()
        note_id = note.id
    web_login(demo_client, "demo-admin")
    page = demo_client.get("/notifications").text
    assert 'data-read="false"' in page and 'id="unread-badge"' in demo_client.get("/home").text
    form = {"csrf_token": csrf_from(page), "notification_id": str(note_id)}
    response = demo_client.post("/notifications/read", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert "测试通知（每人各自已读）" in demo_client.get("/notifications").text
    assert "测试通知（每人各自已读）" not in demo_client.get("/notifications?unread=1").text
    web_login(demo_client, "demo-regulator")
    assert "测试通知（每人各自已读）" in demo_client.get("/notifications?unread=1").text
    assert 'id="unread-badge"' in demo_client.get("/home").text
