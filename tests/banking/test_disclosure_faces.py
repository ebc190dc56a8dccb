"""JR/T 0227 disclosure report: service, API, web and CLI faces — who sees what, inputs written
all-or-nothing and ledgered, the PDF's text (one PDF per run)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.settings import get_settings
from greenfin.store.models import AuditRecord, BankPeriodInput
from tests.conftest import api_token, csrf_from, web_login

runner = CliRunner()
YEAR_ADMIN, YEAR_BANK, YEAR_PDF = 2024, 2023, 2022  # years the demo does not fill


def org_of(client, username: str) -> int:
    return client.get("/api/v1/me", headers=api_token(client, username)).json()["organisation_id"]


def inputs_rows(demo_db, bank: int, year: int) -> list[str]:
    with demo_db.session() as session:
        return sorted(
            session.execute(
                select(BankPeriodInput.payload_json).where(
                    BankPeriodInput.bank_organisation_id == bank,
                    BankPeriodInput.period == str(year),
                    BankPeriodInput.kind.like("disclosure_%"),
                )
            ).scalars()
        )


def ledger_count(demo_db) -> int:
    with demo_db.session() as session:
        stmt = select(func.count()).select_from(AuditRecord)
        return session.execute(
            stmt.where(AuditRecord.action == "disclosure.inputs_saved")
        ).scalar_one()


def test_a_bank_reads_its_own_report_only(demo_client):
    bank_a, bank_b = org_of(demo_client, "demo-bank"), org_of(demo_client, "demo-bank2")
    token = api_token(demo_client, "demo-bank")
    own = demo_client.get(f"/api/v1/disclosure/{bank_a}/2025", headers=token)
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["institution"]["id"] == bank_a and body["institution"]["synthetic"] is True
    assert body["sections"][0]["title_zh"] == "年度概况"
    assert len(body["sections"]) == 11
    # the demo enters operational data for demo-bank's institution: 2,860,000 kWh × 0.6361
    figures = {
        f["key"]: f
        for s in body["sections"] for sub in s["subsections"] for t in sub["tables"]
        for row in t["rows"] for f in row if isinstance(f, dict)
    }  # fmt: skip
    assert figures["office_electricity.co2"]["value"] == pytest.approx(2_860_000 * 0.6361 / 1000)
    for path in (f"/api/v1/disclosure/{bank_b}/2025", f"/api/v1/disclosure/{bank_b}/2025/pdf",
                 f"/api/v1/disclosure/{bank_b}/2025/inputs"):  # fmt: skip
        assert demo_client.get(path, headers=token).status_code == 404, path
    other = api_token(demo_client, "demo-bank2")
    assert demo_client.get(f"/api/v1/disclosure/{bank_a}/2025", headers=other).status_code == 404
    # an enterprise and a reviewer are refused outright; a regulator reads any institution
    for user in ("demo-enterprise", "demo-reviewer"):
        refused = demo_client.get(
            f"/api/v1/disclosure/{bank_a}/2025", headers=api_token(demo_client, user)
        )
        assert refused.status_code == 403, user
    regulator = api_token(demo_client, "demo-regulator")
    assert (
        demo_client.get(f"/api/v1/disclosure/{bank_b}/2025", headers=regulator).status_code == 200
    )
    # an enterprise's organisation is not a financial institution: 404 even for the regulator
    enterprise_org = org_of(demo_client, "demo-enterprise")
    missing = demo_client.get(f"/api/v1/disclosure/{enterprise_org}/2025", headers=regulator)
    assert missing.status_code == 404


def test_inputs_are_written_by_the_institution_or_an_admin_and_ledgered(demo_client, demo_db):
    bank_a, bank_b = org_of(demo_client, "demo-bank"), org_of(demo_client, "demo-bank2")
    body = {
        "operations": {"employees": 50,
                       "items": {"office_electricity": {"quantity": 100_000}}},
        "narratives": {"overview": "二〇二四年概况（测试）"},
    }  # fmt: skip
    before = ledger_count(demo_db)
    bank = api_token(demo_client, "demo-bank")
    # another institution: 404, nothing written; a regulator may not write at all
    assert demo_client.put(f"/api/v1/disclosure/{bank_b}/{YEAR_ADMIN}/inputs", json=body,
                           headers=bank).status_code == 404  # fmt: skip
    regulator = api_token(demo_client, "demo-regulator")
    assert demo_client.put(f"/api/v1/disclosure/{bank_b}/{YEAR_ADMIN}/inputs", json=body,
                           headers=regulator).status_code == 403  # fmt: skip
    assert inputs_rows(demo_db, bank_b, YEAR_ADMIN) == [] and ledger_count(demo_db) == before
    admin = api_token(demo_client, "demo-admin")
    saved = demo_client.put(f"/api/v1/disclosure/{bank_b}/{YEAR_ADMIN}/inputs", json=body,
                            headers=admin)  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["operations"]["items"]["office_electricity"] == {
        "quantity": 100_000, "unit": "kWh"
    }  # fmt: skip
    assert ledger_count(demo_db) == before + 1
    own = demo_client.get(f"/api/v1/disclosure/{bank_b}/{YEAR_ADMIN}/inputs",
                          headers=api_token(demo_client, "demo-bank2")).json()  # fmt: skip
    assert own["narratives"] == {"overview": "二〇二四年概况（测试）"}
    report = demo_client.get(f"/api/v1/disclosure/{bank_b}/{YEAR_ADMIN}", headers=admin).json()
    overview = report["sections"][0]
    assert overview["narrative"] == "二〇二四年概况（测试）"
    # 2024 → latest data year ≤ 2024 is 2023: 华北 0.6361 kgCO2/kWh → 63.61 tCO2
    total = next(f for f in overview["figures"] if f["key"] == "operations_total")
    assert total["value"] == pytest.approx(63.61) and total["status"] == "partial"
    assert bank_a != bank_b


def test_bad_input_names_the_field_and_writes_nothing(demo_client, demo_db):
    bank_a = org_of(demo_client, "demo-bank")
    token = api_token(demo_client, "demo-bank")
    url = f"/api/v1/disclosure/{bank_a}/{YEAR_BANK}/inputs"
    good = {"operations": {"items": {"water": {"quantity": 10}}}, "narratives": {"other": "原文"}}
    assert demo_client.put(url, json=good, headers=token).status_code == 200
    stored, count = inputs_rows(demo_db, bank_a, YEAR_BANK), ledger_count(demo_db)
    for items, field in (
        ({"office_electricity": {"quantity": -1}}, "operations.items.office_electricity.quantity"),
        ({"unobtainium": {"quantity": 1}}, "operations.items.unobtainium"),
        ({"office_diesel": {"quantity": 1, "unit": "桶"}}, "operations.items.office_diesel.unit"),
    ):
        bad = {"operations": {"items": items}, "narratives": {"other": "不应写入"}}
        response = demo_client.put(url, json=bad, headers=token)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]]
    typed = demo_client.put(url, json={"operations": {"items": {"water": {"quantity": "多"}}}},
                            headers=token)  # fmt: skip
    assert typed.status_code == 422 and "quantity" in typed.text
    assert inputs_rows(demo_db, bank_a, YEAR_BANK) == stored
    assert ledger_count(demo_db) == count


def test_web_pages_scope_form_and_csrf(demo_client, demo_db):
    bank_a, bank_b = org_of(demo_client, "demo-bank"), org_of(demo_client, "demo-bank2")
    web_login(demo_client, "demo-bank")
    index = demo_client.get("/disclosure?year=2025")
    assert index.status_code == 200
    assert f'data-id="{bank_a}"' in index.text and f'data-id="{bank_b}"' not in index.text
    page = demo_client.get(f"/disclosure/{bank_a}/2025")
    assert page.status_code == 200
    assert "金融机构经营活动的环境影响" in page.text and 'id="synthetic-banner"' in page.text
    assert "<svg" in page.text  # charts inline
    assert demo_client.get(f"/disclosure/{bank_b}/2025").status_code == 404
    assert demo_client.get(f"/disclosure/{bank_b}/2025.pdf").status_code == 404
    assert demo_client.get(f"/disclosure/{bank_b}/2025/inputs").status_code == 404
    form = demo_client.get(f"/disclosure/{bank_a}/{YEAR_BANK}/inputs")
    assert form.status_code == 200
    token = csrf_from(form.text)
    url = f"/disclosure/{bank_a}/{YEAR_BANK}/inputs"
    stored = inputs_rows(demo_db, bank_a, YEAR_BANK)
    bad = demo_client.post(url, data={"csrf_token": token, "item_office_electricity": "-3",
                                      "narrative_other": "不应写入"})  # fmt: skip
    assert bad.status_code == 422
    assert 'data-field="operations.items.office_electricity.quantity"' in bad.text
    assert inputs_rows(demo_db, bank_a, YEAR_BANK) == stored
    no_csrf = demo_client.post(url, data={"item_water": "5"})
    assert no_csrf.status_code == 403
    done = demo_client.post(url, data={"csrf_token": token, "item_water": "12",
                                       "unit_water": "t", "employees": "30",
                                       "narrative_other": "网页填报"},
                            follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    payloads = [json.loads(p) for p in inputs_rows(demo_db, bank_a, YEAR_BANK)]
    assert {"other": "网页填报"} in payloads
    assert any(p.get("items", {}).get("water") == {"quantity": 12.0, "unit": "t"} for p in payloads)
    # a regulator may read the page but not open the form
    web_login(demo_client, "demo-regulator")
    assert demo_client.get(f"/disclosure/{bank_b}/2025").status_code == 200
    assert demo_client.get(f"/disclosure/{bank_b}/2025/inputs").status_code == 403
    web_login(demo_client, "demo-enterprise")
    assert demo_client.get("/disclosure").status_code == 403


def test_cli_report_html_and_inputs(demo_client, demo_db, monkeypatch, tmp_path):
    bank_a = org_of(demo_client, "demo-bank")
    monkeypatch.setenv("GREENFIN_DATABASE_URL", demo_db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    try:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"operations": {"items": {"office_electricity":
                                                            {"quantity": -2}}}}))  # fmt: skip
        result = runner.invoke(app, ["disclosure", "inputs", str(bad), "--bank", str(bank_a),
                                     "--year", "2021"])  # fmt: skip
        assert result.exit_code == 1
        assert "operations.items.office_electricity.quantity" in result.output
        assert inputs_rows(demo_db, bank_a, 2021) == []
        out = tmp_path / "report.html"
        result = runner.invoke(app, ["disclosure", "report", "--bank", str(bank_a), "--year",
                                     "2025", "--out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
        html = out.read_text(encoding="utf-8")
        assert "年度概况" in html and "1,819.246" in html  # 2,860,000 kWh × 0.6361 / 1000
        wrong = runner.invoke(app, ["disclosure", "report", "--bank", str(bank_a), "--year",
                                    "2025", "--out", str(tmp_path / "r.docx")])  # fmt: skip
        assert wrong.exit_code == 1
    finally:
        get_settings.cache_clear()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler pdftotext not installed")
def test_pdf_has_the_section_titles_and_a_known_figure(demo_client, demo_db, tmp_path):
    if demo_db.dialect != "sqlite":
        pytest.skip("one PDF per run: rendered on the SQLite backend only")
    bank_a = org_of(demo_client, "demo-bank")
    token = api_token(demo_client, "demo-bank")
    body = {"operations": {"items": {"office_electricity": {"quantity": 123_456}}}}
    assert demo_client.put(f"/api/v1/disclosure/{bank_a}/{YEAR_PDF}/inputs", json=body,
                           headers=token).status_code == 200  # fmt: skip
    response = demo_client.get(f"/api/v1/disclosure/{bank_a}/{YEAR_PDF}/pdf", headers=token)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True, text=True).stdout  # fmt: skip
    flat = "".join(text.split())
    for title in ("年度概况", "金融机构环境相关治理结构", "金融机构投融资活动的环境影响",
                  "金融机构经营活动的环境影响", "数据梳理、校验及保护", "其他环境相关信息",
                  "缺失信息清单", "示例"):  # fmt: skip
        assert title in flat, title
    # 2022 has its own data year: 华北 0.6776 kgCO2/kWh × 123,456 kWh = 83.654 tCO2
    assert "83.654" in flat
    assert "123,456.00" in flat


BOOK_HEADER = (
    "loan_id,bank,borrower_uscc,borrower_name,industry_code,purpose,outstanding_cny,original_cny,"
    "rate_pct,originated_on,matures_on,status,collateral_type,credit_or_secured,district,"
    "project_id,project_total_investment_cny,project_annual_reduction_tco2e"
)


def test_report_reads_the_platforms_loan_analyses(db, tmp_path):
    """Import and analyse two year-end books through the ordinary services, then build the
    report from :func:`loan_analysis.results_frame` (no hand-built frame)."""
    from datetime import date

    from greenfin.identity import uscc
    from greenfin.identity.principal import SystemActor
    from greenfin.identity.roles import OrgKind
    from greenfin.services import disclosure, loan_analysis, loans, organisations

    actor = SystemActor(username="test")
    borrower = uscc.compose("9", "1", "110112", "12345678")
    solar = "屋顶分布式光伏电站建设,{},{},3.5,2024-01-15,2030-01-15,正常,,信用,通州区"
    with db.session() as session:
        bank = organisations.create_organisation(
            session, actor,
            organisations.OrganisationCreate(
                uscc=uscc.compose("9", "1", "110101", "87654321"), name_zh="测试银行（示例）",
                kind=OrgKind.BANK, district="110101", is_synthetic=True,
            ),
        )  # fmt: skip
        lines = {
            # project P1: reduction 5,000 t/yr × loan 2,000,000 / investment 10,000,000 = 1,000 t
            "p1": f"L1,{bank.name_zh},{borrower},甲公司（示例）,4416,"
            + solar.format("1000000", "2000000") + ",P1,10000000,5000",
            "green": f"L2,{bank.name_zh},{borrower},甲公司（示例）,4416,"
            + solar.format("3000000", "3000000") + ",,,",
            "brown": f"L3,{bank.name_zh},{borrower},甲公司（示例）,5212,商业综合体流动资金,"
            "6000000,6000000,4.0,2024-01-15,2027-01-15,正常,,信用,通州区,,,",
        }  # fmt: skip
        books = {
            date(2024, 12, 31): [lines["p1"]],
            date(2025, 12, 31): [lines["p1"], lines["green"], lines["brown"]],
        }
        for as_of, rows in books.items():
            data = "\n".join([BOOK_HEADER, *rows]).encode("utf-8")
            imported = loans.import_loan_book(
                session, actor, data, "book.csv", bank.id, as_of, tmp_path
            )
            loan_analysis.analyse_import(session, actor, imported.import_id, data_dir=tmp_path)
        report = disclosure.build_report(session, actor, bank.id, 2025, data_dir=tmp_path)
    assert report.reporting_date == date(2025, 12, 31)
    assert report.figure("green_balance").value == pytest.approx(400.0)  # 1,000,000 + 3,000,000
    assert report.figure("total_balance").value == pytest.approx(1000.0)
    assert report.figure("green_yoy").value == pytest.approx(300.0)  # 400 / 100 − 1
    reduction = report.figure("reduction_tco2e")
    assert (reduction.value, reduction.status) == (pytest.approx(1000.0), "partial")
    assert report.figure("financed_scope1").missing  # no borrower emissions supplied
    assert report.institution.synthetic and any("示例" in n for n in report.notes)
