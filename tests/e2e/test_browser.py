"""Real headless Chromium (Debian build) driving the web face: each role logs in, sees its
dashboard with a rendered chart, is refused another role's page, logs out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from greenfin.identity import uscc
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

# role -> (user, a page of another role that this role must be refused)
ROLES = {
    "enterprise": ("demo-enterprise", "/audit"),
    "bank": ("demo-bank", "/enterprise/profile"),
    "reviewer": ("demo-reviewer", "/organisations/new"),
    "regulator": ("demo-regulator", "/organisations/new"),
    "admin": ("demo-admin", "/enterprise/profile"),
}


def login(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "greenfin-demo")
    page.click("#login-submit")


@pytest.mark.parametrize("role", list(ROLES))
def test_role_journey(page: Page, live_server: str, role: str):
    username, refused_path = ROLES[role]
    login(page, live_server, username)
    expect(page).to_have_url(live_server + "/home")
    expect(page.locator("#dashboard-title")).to_have_attribute("data-role", role)
    expect(page.locator("#district-chart")).to_have_attribute("data-rendered", "true")
    assert page.locator("#district-chart canvas").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{role}.png"), full_page=True)

    response = page.goto(live_server + refused_path)
    assert response is not None and response.status == 403
    expect(page.locator("#error-title")).to_contain_text("无权访问")

    page.goto(live_server + "/home")
    page.click("#logout")
    expect(page).to_have_url(live_server + "/login")
    page.goto(live_server + "/home")
    expect(page).to_have_url(live_server + "/login?next=/home")


def test_language_switch_and_placeholder(page: Page, live_server: str):
    login(page, live_server, "demo-enterprise")
    page.click("#lang-switch")
    expect(page.locator("#dashboard-title")).to_contain_text("Dashboard")
    page.goto(live_server + "/modules/risk")  # still a placeholder
    expect(page.locator("#not-built")).to_contain_text("Not built yet")
    page.click("#lang-switch")
    expect(page.locator("#not-built")).to_contain_text("尚未建成")


def test_admin_form_reports_a_bad_code_then_registers(page: Page, live_server: str):
    login(page, live_server, "demo-admin")
    page.goto(live_server + "/organisations/new")
    good = uscc.compose("9", "1", "110105", "27182818")
    page.fill("#uscc", good[:-1] + ("A" if good[-1] != "A" else "B"))
    page.fill("#name_zh", "北京朝阳浏览器测试节能有限公司")
    page.fill("#industry_code", "7514")
    page.select_option("#district", "110105")
    page.click("#org-submit")
    expect(page.locator("#form-errors li[data-field=uscc]")).to_be_visible()
    page.fill("#uscc", good)
    page.click("#org-submit")
    expect(page.locator("#org-created")).to_be_visible()


def test_regulator_browses_and_verifies_the_ledger(page: Page, live_server: str):
    login(page, live_server, "demo-regulator")
    page.click("#nav-audit")
    page.click("#verify")
    expect(page.locator("#verify-result")).to_contain_text("哈希链完整")


def test_bank_screens_a_description(page: Page, live_server: str):
    login(page, live_server, "demo-bank")
    page.goto(live_server + "/taxonomy")
    page.fill("#description", "用于XX新能源有限公司屋顶分布式光伏项目建设，装机容量8.5MW")
    page.fill("#industry_code", "4416")
    page.click("#screen-submit")
    expect(page.locator("#candidates tbody tr").first).to_have_attribute("data-code", "4.2.2")
    expect(page.locator("#evidence mark").first).to_be_visible()
    expect(page.locator("#candidates tbody tr").first.locator(".similar-example")).to_contain_text(
        "相似已标注案例"
    )
    page.screenshot(path=str(ARTIFACTS / "taxonomy-screen.png"), full_page=True)
    page.locator("#candidates tbody tr").first.locator("a").click()
    expect(page.locator("#item-title")).to_contain_text("4.2.2")


def test_enterprise_keeps_its_carbon_account(page: Page, live_server: str):
    login(page, live_server, "demo-enterprise")
    page.goto(live_server + "/carbon/account")
    page.fill("#year", "2023")
    page.fill("#revenue", "1200")
    page.fill("#electricity", "800")
    page.fill("#fuel_name_1", "天然气")
    page.fill("#fuel_qty_1", "50")
    page.fill("input[name=fuel_unit_1]", "t")
    page.click("#account-submit")
    expect(page.locator("#account-result")).to_be_visible()
    expect(page.locator("#history tr[data-year='2023']")).to_be_visible()
    expect(page.locator("#trend-chart")).to_have_attribute("data-rendered", "true")
    page.screenshot(path=str(ARTIFACTS / "carbon-account.png"), full_page=True)
