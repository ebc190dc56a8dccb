"""Web pages of issue #5 over the demo world with analysed loan books (``banking_client``):
loan-book upload, statistics, evaluation with qualitative entry, regulator dashboard."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import select

from greenfin.identity.roles import OrgKind
from greenfin.store.models import LoanBookImport, Organisation, User
from tests.banking.test_loan_import import HEADER, row
from tests.conftest import csrf_from, web_login

UPLOAD_DATE = "2024-12-31"  # before the demo quarters, so the latest date stays 2026-09-30


def org_of(banking_db, username: str) -> Organisation:
    database, _ = banking_db
    with database.session() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        org = session.get(Organisation, user.membership.organisation_id)
        session.expunge(org)
        return org


def other_bank(banking_db, own_id: int) -> int:
    database, _ = banking_db
    with database.session() as session:
        return session.execute(
            select(Organisation.id)
            .where(Organisation.kind == OrgKind.BANK.value, Organisation.id != own_id)
            .limit(1)
        ).scalar_one()


def test_regulator_dashboard_renders_with_data(banking_client):
    web_login(banking_client, "demo-regulator")
    page = banking_client.get("/regulator")
    assert page.status_code == 200
    html = page.text
    assert 'id="synthetic-banner"' in html and "示例" in html
    assert 'href="/regulator" id="nav-regulator"' in html
    assert len(re.findall(r'<li data-bank="\d+">', html.split('id="ranking"')[1])) >= 13
    districts = html.split('id="districts"')[1].split("</table>")[0]
    assert districts.count('data-category="') == 17 and "城市副中心" in districts
    assert html.split('id="trend"')[1].split("</table>")[0].count("data-as-of=") == 5
    assert html.count('data-chart="') >= 3
    disagreements = html.split('id="disagreements"')[1].split("</table>")[0]
    counts = [int(n) for n in re.findall(r'data-disagree="(\d+)"', disagreements)]
    assert len(counts) >= 13 and sum(counts) > 0  # the demo banks' tags disagree sometimes
    sample = html.split('id="sample"')[1]
    link = re.search(r'href="(/loans/imports/\d+)#loan-', sample)
    assert link is not None
    detail = banking_client.get(link.group(1))
    assert detail.status_code == 200 and 'id="disagreeing"' in detail.text


def test_dashboard_is_for_oversight_only(banking_client):
    for user in ("demo-bank", "demo-enterprise", "demo-reviewer"):
        web_login(banking_client, user)
        assert banking_client.get("/regulator").status_code == 403
        assert 'id="nav-regulator"' not in banking_client.get("/home").text


def test_bank_statistics_show_only_its_own_bank(banking_client, banking_db):
    web_login(banking_client, "demo-bank")
    own = org_of(banking_db, "demo-bank")
    page = banking_client.get("/statistics")
    assert page.status_code == 200
    banks = set(re.findall(r'<tr data-bank="([^"]+)"', page.text))
    assert banks == {own.name_zh}
    assert "全部银行" not in page.text.split('id="summary"')[1].split("</table>")[0]
    assert 'id="synthetic-banner"' in page.text and 'id="definitions"' in page.text
    assert banking_client.get(f"/statistics?bank={other_bank(banking_db, own.id)}").status_code \
        == 404  # fmt: skip
    workbook = banking_client.get("/statistics.xlsx?structure=2019")
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    names = {r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert names == {own.name_zh}


def test_regulator_statistics_all_banks_and_filters(banking_client):
    web_login(banking_client, "demo-regulator")
    page = banking_client.get("/statistics?structure=2019&basis=platform&as_of=2025-12-31")
    assert page.status_code == 200
    assert 'value="2025-12-31" selected' in page.text
    assert '<tr data-bank="全部银行"' in page.text
    assert banking_client.get("/statistics?structure=1999").status_code == 422
    assert banking_client.get("/statistics?as_of=not-a-date").status_code == 422
    web_login(banking_client, "demo-enterprise")
    assert banking_client.get("/statistics").status_code == 403
    assert banking_client.get("/statistics.xlsx").status_code == 403


def test_evaluation_page_and_qualitative_entry(banking_client, banking_db):
    web_login(banking_client, "demo-regulator")
    page = banking_client.get("/evaluation?quarter=2026Q3&scheme=pboc_2021")
    assert page.status_code == 200
    assert page.text.count('<tr data-bank="') >= 13 and 'id="priority-list"' in page.text
    assert 'id="qualitative-form"' in page.text and 'id="derivations"' in page.text
    cq = banking_client.get("/evaluation?quarter=2026Q3&scheme=chongqing_2023").text
    assert re.search(r'data-grade="[一二三四]级"', cq)
    bank_id = org_of(banking_db, "demo-bank").id
    token = csrf_from(page.text)
    form = {"csrf_token": token, "scheme": "pboc_2021", "quarter": "2026Q3",
            "bank_organisation_id": str(bank_id)}  # fmt: skip
    missing = banking_client.post("/evaluation/qualitative", data={
        **form, "score_policy_execution": "80", "evidence_policy_execution": "",
        "score_institutional_rules": "80", "evidence_institutional_rules": "制度（示例）",
        "score_green_industry_support": "abc", "evidence_green_industry_support": "支持（示例）",
    })  # fmt: skip
    assert missing.status_code == 422
    assert 'data-field="score_green_industry_support"' in missing.text
    good = {**form}
    for item in ("policy_execution", "institutional_rules", "green_industry_support"):
        good[f"score_{item}"] = "99"
        good[f"evidence_{item}"] = f"网页录入（示例）{item}"
    saved = banking_client.post("/evaluation/qualitative", data=good, follow_redirects=False)
    assert saved.status_code == 303 and f"saved={bank_id}" in saved.headers["location"]
    after = banking_client.get(saved.headers["location"]).text
    assert 'id="qualitative-saved"' in after and "网页录入（示例）policy_execution" in after
    no_csrf = banking_client.post("/evaluation/qualitative", data={**good, "csrf_token": "x"})
    assert no_csrf.status_code == 403

    web_login(banking_client, "demo-bank")
    own = banking_client.get("/evaluation?quarter=2026Q3").text
    assert re.findall(r'<tr data-bank="(\d+)"', own) == [str(bank_id)]
    assert 'id="qualitative-form"' not in own
    refused = banking_client.post("/evaluation/qualitative", data={**good, "csrf_token":
                                  csrf_from(own)})  # fmt: skip
    assert refused.status_code == 403


def test_loan_book_upload_page(banking_client, banking_db):
    web_login(banking_client, "demo-bank")
    bank = org_of(banking_db, "demo-bank")
    page = banking_client.get("/loans")
    assert page.status_code == 200 and 'id="upload-form"' in page.text
    assert set(re.findall(r'<tr data-import="\d+" data-bank="(\d+)"', page.text)) == {str(bank.id)}
    token = csrf_from(page.text)
    good = "\n".join([HEADER, row(1, bank.name_zh), row(2, bank.name_zh)]).encode("gbk")
    done = banking_client.post(
        "/loans", data={"csrf_token": token, "as_of": UPLOAD_DATE},
        files={"file": ("book.csv", good, "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    listed = banking_client.get(done.headers["location"]).text
    assert 'id="import-done"' in listed and "已完成筛查分析" in listed
    import_id = re.search(r"imported=(\d+)", done.headers["location"]).group(1)
    assert f'data-import="{import_id}" data-bank="{bank.id}" data-status="analysed"' in listed

    bad = "\n".join([HEADER, row(1, bank.name_zh, status="很好"),
                     row(2, bank.name_zh, outstanding_cny="-5")]).encode()  # fmt: skip
    rejected = banking_client.post(
        "/loans", data={"csrf_token": token, "as_of": UPLOAD_DATE},
        files={"file": ("bad.csv", bad, "text/csv")},
    )  # fmt: skip
    assert rejected.status_code == 422
    assert 'data-field="status" data-row="1"' in rejected.text
    assert 'data-field="outstanding_cny" data-row="2"' in rejected.text
    link = re.search(r'href="(/loans/errors/[^"]+\.csv)"', rejected.text).group(1)
    errors = banking_client.get(link)
    assert errors.status_code == 200 and "outstanding_cny" in errors.content.decode("utf-8-sig")
    database, _ = banking_db
    with database.session() as session:
        count = session.query(LoanBookImport).filter_by(filename="bad.csv").count()
    assert count == 0  # nothing written

    web_login(banking_client, "demo-bank2")  # another bank's user: neither file nor import
    assert banking_client.get(link).status_code == 404
    assert banking_client.get(f"/loans/imports/{import_id}").status_code == 404
    web_login(banking_client, "demo-regulator")
    overview = banking_client.get("/loans").text
    assert 'id="upload-form"' not in overview
    assert len(set(re.findall(r'<tr data-import="\d+" data-bank="(\d+)"', overview))) >= 13
    assert banking_client.get(f"/loans/imports/{import_id}").status_code == 200
    web_login(banking_client, "demo-enterprise")
    assert banking_client.get("/loans").status_code == 403


def test_module_page_and_english(banking_client):
    web_login(banking_client, "demo-bank")
    module = banking_client.get("/modules/loans").text
    assert 'id="available"' in module and 'id="not-built"' not in module
    for href in ("/loans", "/statistics", "/evaluation", "/regulator"):
        assert f'href="{href}"' in module
    assert 'id="not-yet"' in module  # what is missing is said
    banking_client.get("/lang/en?next=/home")
    english = banking_client.get("/statistics").text
    assert "Green credit statistics" in english and "As reported" in english
    banking_client.get("/lang/zh?next=/home")
