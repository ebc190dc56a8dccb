"""Web pages through the ASGI client: log-in, CSRF, language, honest placeholders, forms."""

from sqlalchemy import func, select

from greenfin.identity import uscc
from greenfin.store.models import Organisation
from tests.conftest import csrf_from, web_login


def test_login_requires_a_csrf_token(demo_client):
    demo_client.get("/login")
    response = demo_client.post(
        "/login",
        data={"username": "demo-admin", "password": "greenfin-demo"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert demo_client.get("/home", follow_redirects=False).status_code == 303


def test_wrong_password_shows_an_error(demo_client):
    token = csrf_from(demo_client.get("/login").text)
    response = demo_client.post(
        "/login", data={"username": "demo-admin", "password": "wrong", "csrf_token": token}
    )
    assert "用户名或密码错误" in response.text
    assert demo_client.get("/home", follow_redirects=False).status_code == 303


def test_login_rotates_the_session_and_redirects_only_to_local_paths(demo_client):
    token = csrf_from(demo_client.get("/login").text)
    response = demo_client.post(
        "/login",
        data={"username": "demo-bank", "password": "greenfin-demo", "csrf_token": token,
              "next": "https://evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/home"
    new_token = csrf_from(demo_client.get("/login").text)
    assert new_token != token


def test_dashboard_per_role_and_synthetic_label(demo_client):
    web_login(demo_client, "demo-regulator")
    page = demo_client.get("/home").text
    assert 'data-role="regulator"' in page
    assert "示例" in page and 'id="audit-count"' in page
    assert "data-chart=" in page


def test_bank_dashboard_hides_ledger_figures(demo_client):
    web_login(demo_client, "demo-bank")
    page = demo_client.get("/home").text
    assert 'data-role="bank"' in page and 'id="audit-count"' not in page


def test_module_placeholders_say_not_built(demo_client):
    web_login(demo_client, "demo-enterprise")
    for slug in ("risk", "indices", "citizens"):
        page = demo_client.get(f"/modules/{slug}").text
        assert 'id="not-built"' in page and "尚未建成" in page
    built = demo_client.get("/modules/taxonomy").text
    assert 'id="not-built"' not in built and 'href="/taxonomy"' in built
    partial = demo_client.get("/modules/carbon").text  # partly built: both lists shown
    assert 'id="available"' in partial and 'id="not-yet"' in partial
    assert demo_client.get("/modules/nope").status_code == 404


def test_language_switch_to_english(demo_client):
    web_login(demo_client, "demo-enterprise")
    response = demo_client.get("/lang/en?next=/home")
    assert "Dashboard" in response.text and "Not built yet" in response.text
    demo_client.get("/lang/zh?next=/home")
    assert "工作台" in demo_client.get("/home").text


def test_forbidden_page_is_html_403(demo_client):
    web_login(demo_client, "demo-enterprise")
    response = demo_client.get("/audit")
    assert response.status_code == 403 and "无权访问" in response.text


def count_orgs(db):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(Organisation)).scalar_one()


def test_admin_registers_an_organisation_through_the_form(demo_client, demo_db):
    web_login(demo_client, "demo-admin")
    form_page = demo_client.get("/organisations/new").text
    token = csrf_from(form_page)
    code = uscc.compose("9", "1", "110112", "31415926")
    base = {"csrf_token": token, "uscc": code, "name_zh": "北京通州运河示范能源有限公司",
            "kind": "enterprise", "district": "110112", "industry_code": "4430"}  # fmt: skip
    before = count_orgs(demo_db)
    bad = demo_client.post("/organisations/new", data=dict(base, uscc=code[:-1] + "Z"))
    assert bad.status_code == 422 and 'data-field="uscc"' in bad.text
    no_csrf = demo_client.post("/organisations/new", data=dict(base, csrf_token="forged"))
    assert no_csrf.status_code == 403
    assert count_orgs(demo_db) == before
    ok = demo_client.post(
        "/organisations/new", data=dict(base, in_city_sub_centre="on"), follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/organisations?created=")
    assert count_orgs(demo_db) == before + 1
    dup = demo_client.post("/organisations/new", data=base)
    assert dup.status_code == 409 and 'data-field="uscc"' in dup.text


def test_organisation_list_pages_and_filters(demo_client):
    web_login(demo_client, "demo-reviewer")
    page = demo_client.get("/organisations?kind=enterprise&district=110112").text
    assert "通州区" in page and 'id="org-table"' in page
    first = demo_client.get("/organisations").text
    assert 'id="next-page"' in first


def test_enterprise_sees_only_itself_in_the_list(demo_client):
    web_login(demo_client, "demo-enterprise")
    page = demo_client.get("/organisations").text
    assert page.count("<tr><td>") == 1


def test_audit_page_verifies_the_chain(demo_client):
    web_login(demo_client, "demo-admin")
    page = demo_client.get("/audit?verify=true").text
    assert 'id="verify-result"' in page and "哈希链完整" in page


def test_security_headers(demo_client):
    response = demo_client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_docs_use_vendored_assets(demo_client):
    page = demo_client.get("/docs").text
    assert "/static/vendor/swagger-ui" in page and "cdn" not in page.lower()
    assert (
        demo_client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200
    )


def test_screening_page_highlights_evidence_and_lists_criteria(demo_client):
    web_login(demo_client, "demo-enterprise")
    token = csrf_from(demo_client.get("/taxonomy").text)
    page = demo_client.post(
        "/taxonomy",
        data={"csrf_token": token, "name": "屋顶光伏", "edition": "bond-2021",
              "description": "用于屋顶分布式光伏电站建设，单晶组件效率15%",
              "params": "pv_cell_type=mono\npv_module_efficiency_pct=15\nnot_a_param=1"},
    ).text  # fmt: skip
    assert 'data-verdict="not_eligible"' in page
    assert "<mark>" in page and 'data-outcome="failed"' in page
    assert "not_a_param" in page  # unknown parameters are reported, not silently used
    assert 'data-code="3.2.2.2"' in page


def test_screening_page_reports_bad_industry_code(demo_client):
    web_login(demo_client, "demo-bank")
    token = csrf_from(demo_client.get("/taxonomy").text)
    page = demo_client.post(
        "/taxonomy", data={"csrf_token": token, "description": "光伏", "industry_code": "9999"}
    )
    assert page.status_code == 422 and 'data-field="industry_code"' in page.text


def test_catalogue_browser_and_item_page(demo_client):
    web_login(demo_client, "demo-reviewer")
    tree = demo_client.get("/taxonomy/catalogue?edition=bond-2021&q=光伏").text
    assert "3.2.2.2" in tree
    item = demo_client.get("/taxonomy/catalogue/green-finance-2025/4.2.2").text
    assert "太阳能利用设施建设和运营" in item and 'id="crosswalk"' in item and "3.2.2.2" in item
    assert demo_client.get("/taxonomy/catalogue/green-finance-2025/99.9").status_code == 404


def test_enterprise_carbon_account_form_template_and_trend(demo_client):
    web_login(demo_client, "demo-enterprise2")
    page = demo_client.get("/carbon/account").text
    token = csrf_from(page)
    response = demo_client.post(
        "/carbon/account",
        data={"csrf_token": token, "year": "2024", "region": "华北", "revenue_10k_cny": "500",
              "electricity_mwh": "100", "fuel_name_1": "柴油", "fuel_qty_1": "2",
              "fuel_unit_1": "t"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert 'id="account-result"' in response.text and 'data-year="2024"' in response.text
    bad = demo_client.post("/carbon/account", data={"csrf_token": token, "year": "2024",
                                                    "revenue_10k_cny": "-1"})  # fmt: skip
    assert bad.status_code == 422 and 'data-field="revenue_10k_cny"' in bad.text
    template = demo_client.get("/carbon/account/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
