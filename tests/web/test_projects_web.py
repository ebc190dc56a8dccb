"""Project library web pages: the form with evidence, the review through forms (CSRF + version),
library search, statistics, bulk upload, certificate PDF and the public verification page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from greenfin.app import create_app
from greenfin.store.models import Project, ProjectCertificate
from tests.conftest import csrf_from, make_settings, web_login

PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
FORM = {
    "name": "亦庄屋顶光伏（网页测试）",
    "description": "在亦庄经济开发区厂房屋顶建设5MW分布式光伏电站，所发电量自发自用",
    "industry_code": "4416", "district": "110115", "total_investment_10k_cny": "2000",
    "financing_amount_10k_cny": "1500", "financing_term_months": "120",
    "financing_type": "project_loan", "out_annual_generation_mwh": "5500",
    "technical_parameters": "",
}  # fmt: skip


def projects_named(db, name: str) -> int:
    with db.session() as session:
        return session.execute(
            select(func.count()).select_from(Project).where(Project.name == name)
        ).scalar_one()


def version_of(page: str) -> str:
    return re.search(r'data-version="(\d+)"', page).group(1)


def post_action(client, project_id: int, action: str, **fields):
    page = client.get(f"/projects/{project_id}").text
    data = {"csrf_token": csrf_from(page), "version": version_of(page), **fields}
    return client.post(f"/projects/{project_id}/{action}", data=data, follow_redirects=False)


def create_through_form(client, **overrides) -> int:
    token = csrf_from(client.get("/projects/new").text)
    files = {"doc_file_1": ("可研.pdf", PDF, "application/pdf"),
             "doc_file_2": ("环评.png", PNG, "image/png")}  # fmt: skip
    data = {"csrf_token": token, "doc_kind_1": "feasibility_study", "doc_kind_2": "eia_approval",
            **FORM, **overrides}  # fmt: skip
    response = client.post("/projects/new", data=data, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[2].split("?")[0])


@pytest.fixture
def clients(demo_db, tmp_path):
    app = create_app(make_settings(tmp_path, demo_db), demo_db)
    made = []

    def client_for(username: str | None) -> TestClient:
        client = TestClient(app)
        client.__enter__()
        made.append(client)
        if username:
            web_login(client, username)
        return client

    yield client_for
    for client in made:
        client.__exit__(None, None, None)


def test_form_with_a_bad_document_creates_nothing(clients, demo_db):
    client = clients("demo-enterprise")
    token = csrf_from(client.get("/projects/new").text)
    name = "坏文件项目（网页测试）"
    response = client.post(
        "/projects/new",
        data={"csrf_token": token, "doc_kind_1": "feasibility_study", **FORM, "name": name},
        files={"doc_file_1": ("可研.pdf", PNG, "application/pdf")},
    )
    assert response.status_code == 422
    assert 'data-field="documents[0].file"' in response.text and "不符" in response.text
    assert projects_named(demo_db, name) == 0
    missing = client.post("/projects/new", data={"csrf_token": token, "industry_code": "9999"})
    assert missing.status_code == 422
    for field in ("name", "description", "industry_code", "total_investment_10k_cny"):
        assert f'data-field="{field}"' in missing.text
    zero = client.post("/projects/new", data={"csrf_token": token, **FORM,
                                              "total_investment_10k_cny": "0"})  # fmt: skip
    assert zero.status_code == 422 and 'data-field="total_investment_10k_cny"' in zero.text
    forged = client.post("/projects/new", data={**FORM, "csrf_token": "forged"})
    assert forged.status_code == 403


def test_review_through_the_pages_then_certificate_and_public_verification(clients, demo_db):
    enterprise = clients("demo-enterprise")
    project_id = create_through_form(enterprise)
    page = enterprise.get(f"/projects/{project_id}?created=1").text
    assert 'id="project-created"' in page and 'data-status="draft"' in page
    assert 'id="form-submit"' in page and 'id="action-edit"' in page
    assert post_action(enterprise, project_id, "submit").status_code == 303
    page = enterprise.get(f"/projects/{project_id}").text
    assert 'data-status="screening"' in page and 'data-code="4.2.2"' in page
    assert 'id="reduction-value"' in page and 'data-criterion="reduction_intensity"' in page
    assert 'id="form-claim"' not in page  # enterprises do not review
    reviewer = clients("demo-reviewer")
    assert 'id="form-claim"' in reviewer.get(f"/projects/{project_id}").text
    stale = reviewer.post(f"/projects/{project_id}/claim", data={
        "csrf_token": csrf_from(reviewer.get("/projects").text), "version": "1"})  # fmt: skip
    assert stale.status_code == 409 and 'data-field="version"' in stale.text
    assert post_action(reviewer, project_id, "claim").status_code == 303
    assert post_action(reviewer, project_id, "approve", grade="中绿").status_code == 303
    page = reviewer.get(f"/projects/{project_id}").text
    assert 'data-status="approved"' in page and 'data-grade="中绿"' in page
    code = re.search(r'id="verification-code">([^<]+)<', page).group(1)
    events = re.findall(r'data-action="([a-z.]+)"', page)
    assert events == ["create", "submit", "screen", "claim", "approve"]

    anonymous = clients(None)
    verify = anonymous.get(f"/verify/{code}")
    assert verify.status_code == 200 and 'data-valid="true"' in verify.text
    assert FORM["name"] in verify.text and "中绿" in verify.text and "4.2.2" in verify.text
    assert "2,000" not in verify.text and "1500" not in verify.text  # no money on the page
    assert anonymous.get("/verify/GF-AAAA-AAAA-AAAA-AAAA-AAAA").status_code == 404
    assert anonymous.get(f"/verify?code={code}", follow_redirects=False).status_code == 303

    pdf = anonymous.get(f"/projects/{project_id}/certificate.pdf", follow_redirects=False)
    assert pdf.status_code == 303 and "/login" in pdf.headers["location"]
    bank = clients("demo-bank")
    pdf = bank.get(f"/projects/{project_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"].startswith("attachment")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                              check=True).stdout.decode()  # fmt: skip
        flat = text.replace("\n", "")
        assert "绿色项目认定证书" in text and "中绿" in text and code in flat
        assert FORM["name"] in flat and "4.2.2" in text


def test_four_eyes_buttons_and_document_download(clients, demo_db):
    enterprise = clients("demo-enterprise2")
    project_id = create_through_form(enterprise, name="四眼原则项目（网页测试）")
    page = enterprise.get(f"/projects/{project_id}").text
    doc_id = re.search(rf'href="/projects/{project_id}/documents/(\d+)"', page).group(1)
    download = enterprise.get(f"/projects/{project_id}/documents/{doc_id}")
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    upload = enterprise.post(
        f"/projects/{project_id}/documents",
        data={"csrf_token": csrf_from(page), "doc_kind_1": "energy_saving_review"},
        files={"doc_file_1": ("节能.docx", PDF, "application/octet-stream")},
    )
    assert upload.status_code == 422 and 'data-field="file"' in upload.text
    post_action(enterprise, project_id, "submit")
    first, second = clients("demo-reviewer"), clients("demo-reviewer2")
    post_action(first, project_id, "claim")
    assert post_action(first, project_id, "approve", grade="深绿").status_code == 303
    page = first.get(f"/projects/{project_id}").text
    assert 'id="four-eyes"' in page and 'id="form-approve"' not in page
    page = second.get(f"/projects/{project_id}").text
    assert 'id="form-approve"' in page and 'id="approve-grade"' not in page
    assert post_action(second, project_id, "approve").status_code == 303
    assert 'data-grade="深绿"' in second.get(f"/projects/{project_id}").text
    bank = clients("demo-bank")
    page = bank.get(f"/projects/{project_id}").text
    assert 'id="library-view"' in page and 'id="events"' not in page
    assert f"/projects/{project_id}/documents/" not in page
    assert bank.get(f"/projects/{project_id}/documents/{doc_id}").status_code == 403


def test_bank_sees_only_the_library(clients, demo_db):
    with demo_db.session() as session:
        draft = session.execute(
            select(Project.id).where(Project.status == "draft").limit(1)
        ).scalar_one()
        in_review = session.execute(
            select(Project.id).where(Project.status == "in_review").limit(1)
        ).scalar_one()
    bank = clients("demo-bank")
    assert 'id="bank-hint"' in bank.get("/projects").text
    assert bank.get(f"/projects/{draft}").status_code == 404
    assert bank.get(f"/projects/{in_review}").status_code == 404
    page = bank.get("/library").text
    statuses = set(re.findall(r'data-status="([a-z_]+)"', page))
    assert statuses == {"approved"}
    assert bank.get("/library?status=draft").status_code == 422
    other = clients("demo-enterprise2")
    assert other.get(f"/projects/{draft}").status_code in (200, 404)
    with demo_db.session() as session:
        own = _org_of(session, "demo-enterprise2")
        owner_draft = session.execute(
            select(Project.id)
            .where(Project.status == "draft", Project.organisation_id != own)
            .limit(1)
        ).scalar_one()
    assert other.get(f"/projects/{owner_draft}").status_code == 404


def _org_of(session, username: str) -> int:
    from greenfin.store.models import Membership, User

    return session.execute(
        select(Membership.organisation_id).join(User, User.id == Membership.user_id)
        .where(User.username == username)
    ).scalar_one()  # fmt: skip


def test_library_search_page_statistics_and_import(clients, demo_db):
    regulator = clients("demo-regulator")
    page = regulator.get("/library?q=光伏&district=sub_centre")
    assert page.status_code == 200 and 'id="project-table"' in page.text
    rows = re.findall(r'<tr data-project="(\d+)"', page.text)
    with demo_db.session() as session:
        for project_id in rows:
            project = session.get(Project, int(project_id))
            assert project.in_city_sub_centre and "光伏" in project.search_text.split(" ")
    assert regulator.get("/library?financing_min=abc").status_code == 422
    stats = regulator.get("/library/statistics")
    assert stats.status_code == 200 and 'id="by-category"' in stats.text
    assert "data-chart=" in stats.text and 'data-key="sub_centre"' in stats.text
    assert clients("demo-reviewer").get("/library/statistics").status_code == 403
    enterprise = clients("demo-enterprise")
    template = enterprise.get("/projects/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    page = enterprise.get("/projects/import").text
    bad_csv = "name,description,industry_code,district,total_investment_10k_cny\n" \
              "x,太短,9999,火星,-1\n".encode()  # fmt: skip
    response = enterprise.post(
        "/projects/import", data={"csrf_token": csrf_from(page)},
        files={"file": ("p.csv", bad_csv, "text/csv")},
    )  # fmt: skip
    assert response.status_code == 422
    for field in ("name", "description", "industry_code", "district", "total_investment_10k_cny"):
        assert f'data-field="{field}" data-row="1"' in response.text
    with demo_db.session() as session:
        assert session.execute(select(func.count()).select_from(ProjectCertificate)).scalar_one()
