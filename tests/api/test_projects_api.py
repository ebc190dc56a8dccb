"""Project library API: problem+json naming fields, 409 on a stale version, the workflow, scoped
visibility, library search and statistics, public certificate check, bulk import."""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import func, select

from greenfin.store.models import Project, ProjectCertificate
from tests.conftest import api_token

PDF = b"%PDF-1.4\n% evidence\n"
BODY = {
    "name": "大兴热泵供暖（API测试）",
    "description": "以空气源热泵替代燃气锅炉为学校3万平方米建筑供暖，热泵机组能效等级1级",
    "industry_code": "4430", "district": "大兴", "total_investment_10k_cny": 450,
    "financing_amount_10k_cny": 300, "financing_term_months": 60,
    "financing_type": "project_loan",
    "expected_outputs": {"heat_delivered_gj": 8400, "heat_pump_electricity_mwh": 730},
}  # fmt: skip


def fields(response) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in response.json()["errors"]}


def test_bad_input_is_problem_json_naming_the_field(demo_client, demo_db):
    headers = api_token(demo_client, "demo-enterprise")
    with demo_db.session() as session:
        before = session.execute(select(func.count()).select_from(Project)).scalar_one()
    missing = demo_client.post("/api/v1/projects", json={}, headers=headers)
    assert missing.status_code == 422
    assert {"name", "description", "industry_code", "district",
            "total_investment_10k_cny"} <= fields(missing)  # fmt: skip
    for change, field in (
        ({"industry_code": "9999"}, "industry_code"),
        ({"total_investment_10k_cny": 0}, "total_investment_10k_cny"),
        ({"total_investment_10k_cny": -1}, "total_investment_10k_cny"),
        ({"financing_amount_10k_cny": 900}, "financing_amount_10k_cny"),
    ):
        response = demo_client.post("/api/v1/projects", json={**BODY, **change}, headers=headers)
        assert response.status_code == 422 and field in fields(response), response.text
    with demo_db.session() as session:
        assert session.execute(select(func.count()).select_from(Project)).scalar_one() == before
    bank = api_token(demo_client, "demo-bank")
    assert demo_client.post("/api/v1/projects", json=BODY, headers=bank).status_code == 403


def test_workflow_over_the_api_with_version_conflicts(demo_client):
    enterprise = api_token(demo_client, "demo-enterprise")
    created = demo_client.post("/api/v1/projects", json=BODY, headers=enterprise)
    assert created.status_code == 201, created.text
    project = created.json()
    pid = project["id"]
    wrong = demo_client.post(
        f"/api/v1/projects/{pid}/documents", headers=enterprise,
        data={"kind": "feasibility_study"},
        files={"file": ("可研.pdf", b"GIF89a", "application/pdf")},
    )  # fmt: skip
    assert wrong.status_code == 422 and fields(wrong) == {"file"}
    ok = demo_client.post(
        f"/api/v1/projects/{pid}/documents", headers=enterprise,
        data={"kind": "feasibility_study"}, files={"file": ("可研.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert ok.status_code == 201 and ok.json()[0]["sha256"]
    edited = demo_client.put(f"/api/v1/projects/{pid}", headers=enterprise,
                             json={**BODY, "location": "大兴区某学校", "version": 1})  # fmt: skip
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = demo_client.post(f"/api/v1/projects/{pid}/submit", json={"version": 1},
                             headers=enterprise)  # fmt: skip
    assert stale.status_code == 409 and fields(stale) == {"version"}
    submitted = demo_client.post(f"/api/v1/projects/{pid}/submit", json={"version": 2},
                                 headers=enterprise).json()  # fmt: skip
    assert submitted["status"] == "screening" and submitted["item_code"] == "4.2.9"
    # (8,400 GJ × 56.1 tCO2/TJ) − 730 MWh × 0.6361 tCO2/MWh = 471.24 − 464.353 = 6.887 t
    assert round(submitted["reduction_tco2e_per_year"], 3) == 6.887
    reviewer = api_token(demo_client, "demo-reviewer")
    regulator = api_token(demo_client, "demo-regulator")
    reviewer_id = demo_client.get("/api/v1/me", headers=reviewer).json()["user_id"]
    assigned = demo_client.post(
        f"/api/v1/projects/{pid}/assign", headers=regulator,
        json={"version": submitted["version"], "reviewer_id": reviewer_id},
    )  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "in_review"
    not_reviewer = demo_client.post(
        f"/api/v1/projects/{pid}/assign", headers=regulator,
        json={"version": assigned.json()["version"], "reviewer_id": 1},
    )  # fmt: skip
    assert not_reviewer.status_code == 422 and fields(not_reviewer) == {"reviewer_id"}
    version = assigned.json()["version"]
    unknown = demo_client.post(
        f"/api/v1/projects/{pid}/reclassify", headers=reviewer,
        json={"version": version, "item_code": "6.1", "comment": "单体建筑供暖"},
    )  # fmt: skip
    assert unknown.status_code == 422 and fields(unknown) == {"item_code"}
    by_enterprise = demo_client.post(
        f"/api/v1/projects/{pid}/reclassify", headers=enterprise,
        json={"version": version, "item_code": "6.1.5", "comment": "单体建筑供暖"},
    )  # fmt: skip
    assert by_enterprise.status_code == 403
    reclassified = demo_client.post(
        f"/api/v1/projects/{pid}/reclassify", headers=reviewer,
        json={"version": version, "item_code": "6.1.5", "comment": "热泵只服务一所学校的建筑"},
    )  # fmt: skip
    assert reclassified.status_code == 200, reclassified.text
    body = reclassified.json()
    assert (body["item_code"], body["item_source"], body["status"]) == (
        "6.1.5", "reviewer", "in_review",
    )  # fmt: skip
    assert body["screening"]["screened_item"] == "4.2.9"
    returned = demo_client.post(
        f"/api/v1/projects/{pid}/return", headers=reviewer,
        json={"version": body["version"], "comment": "请补充环评批复",
              "requested_evidence": "环评批复"},
    )  # fmt: skip
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    events = [e["action"] for e in returned.json()["events"]]
    assert events == ["create", "edit", "submit", "screen", "assign", "reclassify", "return"]
    other = api_token(demo_client, "demo-enterprise2")
    bank = api_token(demo_client, "demo-bank")
    for headers in (other, bank):
        assert demo_client.get(f"/api/v1/projects/{pid}", headers=headers).status_code == 404
    assert demo_client.get(f"/api/v1/projects/{pid}", headers=regulator).status_code == 200


def test_library_search_statistics_and_public_certificate(demo_client, demo_db):
    bank = api_token(demo_client, "demo-bank")
    page = demo_client.get("/api/v1/library/search?q=热泵&limit=50", headers=bank).json()
    assert page["items"] and {i["status"] for i in page["items"]} == {"approved"}
    assert all(i["grade"] in ("深绿", "中绿", "浅绿") for i in page["items"])
    bad = demo_client.get("/api/v1/library/search?category=99", headers=bank)
    assert bad.status_code == 422 and fields(bad) == {"category"}
    status = demo_client.get("/api/v1/library/search?status=draft", headers=bank)
    assert status.status_code == 422 and fields(status) == {"status"}
    sub = demo_client.get("/api/v1/library/search?district=sub_centre", headers=bank).json()
    assert sub["items"]
    assert demo_client.get("/api/v1/library/statistics", headers=bank).status_code == 403
    regulator = api_token(demo_client, "demo-regulator")
    stats = demo_client.get("/api/v1/library/statistics", headers=regulator).json()
    assert stats["library_projects"] == sum(r["projects"] for r in stats["by_grade"])
    with demo_db.session() as session:
        approved = session.execute(
            select(Project.id)
            .join(ProjectCertificate, ProjectCertificate.project_id == Project.id)
            .where(Project.status == "approved", ProjectCertificate.revoked_at.is_(None))
            .limit(1)
        ).scalar_one()
    detail = demo_client.get(f"/api/v1/projects/{approved}", headers=bank).json()
    code = detail["certificate"]["verification_code"]
    public = demo_client.get(f"/api/v1/certificates/{code}")
    assert public.status_code == 200 and public.json()["valid"] is True
    assert "total_investment_10k_cny" not in public.json()
    assert demo_client.get("/api/v1/certificates/nope").status_code == 404


def test_bulk_import_over_the_api(demo_client):
    enterprise = api_token(demo_client, "demo-enterprise2")
    template = demo_client.get("/api/v1/projects/import/template", headers=enterprise)
    assert template.status_code == 200 and template.content[:2] == b"PK"
    rows = pl.DataFrame([{
        "name": "平谷物流基地屋顶光伏（API导入）",
        "description": "建设3MW屋顶分布式光伏，自发自用余电上网",
        "industry_code": "4416", "district": "平谷", "total_investment_10k_cny": "1200",
        "annual_generation_mwh": "3300",
    }])  # fmt: skip
    buffer = io.BytesIO()
    rows.write_excel(buffer)
    response = demo_client.post(
        "/api/v1/projects/import", headers=enterprise, data={"submit": "true"},
        files={"file": ("p.xlsx", buffer.getvalue(), "application/octet-stream")},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 1 and body["projects"][0]["status"] == "screening"
    bad = demo_client.post(
        "/api/v1/projects/import", headers=enterprise,
        files={"file": ("p.csv", b"name,description\n,\n", "text/csv")},
    )  # fmt: skip
    assert bad.status_code == 422
