"""Real Chromium walks the whole green-library path (issue #6): an enterprise submits a project,
a reviewer approves it, a bank publishes a product, finds the project and expresses interest on
the enterprise's financing demand, the enterprise chooses the bank, the bank records the loan,
and the regulator sees the grant in the statistics."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import login

pytestmark = pytest.mark.e2e


def logout(page: Page, base: str) -> None:
    page.goto(base + "/home")
    page.click("#logout")
    expect(page).to_have_url(base + "/login")


def granted_count(page: Page, base: str) -> int:
    page.goto(base + "/market/statistics")
    return int(page.locator("#stat-granted").get_attribute("data-granted") or 0)


def test_project_to_loan(page: Page, live_server: str):
    base = live_server
    tag = uuid.uuid4().hex[:6]
    name = f"浏览器测试屋顶光伏项目{tag}（测试）"
    ARTIFACTS.mkdir(exist_ok=True)

    login(page, base, "demo-regulator")
    granted_before = granted_count(page, base)
    logout(page, base)

    # 1. the enterprise submits a project
    login(page, base, "demo-enterprise")
    page.goto(base + "/projects/new")
    page.fill("#name", name)
    page.fill(
        "#description",
        "在通州区自有厂房屋顶建设分布式光伏电站，装机容量2MW，所发电量自用为主、余电上网",
    )
    page.fill("#industry_code", "4416")
    page.select_option("#district", "110112")
    page.fill("#total_investment_10k_cny", "800")
    page.fill("#financing_amount_10k_cny", "500")
    page.fill("#financing_term_months", "60")
    page.select_option("#financing_type", "project_loan")
    page.fill("#out_annual_generation_mwh", "2200")
    page.click("#project-save")
    expect(page.locator("#project-name")).to_contain_text(name)
    project_id = int(re.search(r"/projects/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.click("#action-submit")
    expect(page.locator("#project-status")).to_have_attribute("data-status", "screening")
    logout(page, base)

    # 2. a reviewer claims it, reclassifies it between the two PV items (the reason is kept in
    # the timeline) and approves it as 浅绿 (one approval; 深绿 would need four eyes)
    login(page, base, "demo-reviewer")
    page.goto(f"{base}/projects/{project_id}")
    page.click("#action-claim")
    expect(page.locator("#project-status")).to_have_attribute("data-status", "in_review")
    browse = page.locator("#reclassify-browse").get_attribute("href")
    assert page.request.get(base + browse).ok  # the catalogue the reviewer picks from
    screened = page.locator("#item-code").get_attribute("data-code")
    target = "4.2.2" if screened != "4.2.2" else "4.3.7"
    page.fill("#reclassify-item", target)
    page.fill("#reclassify-comment", "自有厂房屋顶，按分布式光伏认定（测试）")
    page.click("#action-reclassify")
    expect(page.locator("#item-code")).to_have_attribute("data-code", target)
    expect(page.locator("#item-source")).to_contain_text(f"{screened}")
    expect(page.locator('li[data-action="reclassify"]')).to_contain_text("按分布式光伏认定")
    page.select_option("#approve-grade", "浅绿")
    page.click("#action-approve")
    expect(page.locator("#project-status")).to_have_attribute("data-status", "approved")
    logout(page, base)

    # 3. the bank publishes an open green project loan and finds the project among its matches
    login(page, base, "demo-bank")
    page.goto(base + "/market/products/new")
    page.fill("#name", f"浏览器测试绿色项目贷{tag}（测试）")
    page.select_option("#product_type", "green_project_loan")
    page.fill("#categories", "4")
    page.select_option("#min_grade", "浅绿")
    page.fill("#rate_min_pct", "3.1")
    page.fill("#rate_max_pct", "3.9")
    page.click("#product-submit")
    expect(page.locator("#product-saved")).to_be_visible()
    page.goto(base + "/market/bank")
    page.fill("#bank-q", tag)
    page.press("#bank-q", "Enter")
    row = page.locator(f"#bank-table tr[data-project='{project_id}']")
    expect(row).to_be_visible()
    row.locator("summary").click()
    expect(row.locator("li[data-rule='catalogue']")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "market-bank.png"), full_page=True)
    logout(page, base)

    # 4. the enterprise posts a financing demand for the approved project
    login(page, base, "demo-enterprise")
    page.goto(f"{base}/market/projects/{project_id}/matches")
    expect(page.locator("#match-table tr[data-eligible='true']").first).to_be_visible()
    page.click("#seek-finance")
    expect(page.locator("#demand-project")).to_have_value(str(project_id))
    page.click("#demand-submit")
    expect(page.locator("#demand-posted")).to_be_visible()
    demand_id = int(page.locator("#demand-title").get_attribute("data-demand") or 0)
    logout(page, base)

    # 5. the bank is notified, and expresses interest with its new product
    login(page, base, "demo-bank")
    expect(page.locator("#unread-badge")).to_be_visible()
    page.goto(f"{base}/market/demands/{demand_id}")
    option = page.locator("#interest-product option", has_text=f"浏览器测试绿色项目贷{tag}")
    page.select_option("#interest-product", option.get_attribute("value"))
    page.fill("#interest-note", "可在一周内上门对接")
    page.click("#interest-submit")
    expect(page.locator("#action-done")).to_have_attribute("data-done", "interest")
    logout(page, base)

    # 6. the enterprise sees the notification and chooses the bank
    login(page, base, "demo-enterprise")
    page.goto(base + "/notifications")
    expect(
        page.locator("#notification-table tr[data-kind='demand.interest']").first
    ).to_be_visible()
    page.goto(f"{base}/market/demands/{demand_id}")
    page.locator("button.choose").first.click()
    expect(page.locator("#demand-title")).to_have_attribute("data-status", "chosen")
    page.screenshot(path=str(ARTIFACTS / "market-demand-chosen.png"), full_page=True)
    logout(page, base)

    # 7. the chosen bank records the loan
    login(page, base, "demo-bank")
    page.goto(f"{base}/market/demands/{demand_id}")
    page.check("#outcome-granted")
    page.fill("#outcome-amount", "500")
    page.fill("#outcome-rate", "3.25")
    page.click("#outcome-submit")
    expect(page.locator("#action-done")).to_have_attribute("data-done", "outcome")
    expect(page.locator("#demand-title")).to_have_attribute("data-status", "closed")
    logout(page, base)

    # 8. the regulator sees the grant in the statistics and the project in the library
    login(page, base, "demo-regulator")
    assert granted_count(page, base) == granted_before + 1
    page.screenshot(path=str(ARTIFACTS / "market-statistics.png"), full_page=True)
    page.goto(base + "/library/statistics")
    assert page.locator("main").inner_text().strip()
    page.goto(f"{base}/market/demands/{demand_id}")
    expect(page.locator("#interest-table tr[data-status='granted']")).to_be_visible()
