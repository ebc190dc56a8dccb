"""API of issue #5 over the demo world with analysed loan books: statistics (JSON, Excel),
evaluation, qualitative scores; who sees what."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from greenfin.identity.roles import OrgKind
from greenfin.store.models import Organisation, User
from tests.conftest import api_token


def org_id(banking_db, username: str) -> int:
    database, _ = banking_db
    with database.session() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return user.membership.organisation_id


def banks(banking_db) -> list[int]:
    database, _ = banking_db
    with database.session() as session:
        return list(session.execute(
            select(Organisation.id).where(Organisation.kind == OrgKind.BANK.value)
            .order_by(Organisation.id)
        ).scalars())  # fmt: skip


def test_statistics_json_for_regulator_and_bank(banking_client, banking_db):
    regulator = api_token(banking_client, "demo-regulator")
    body = banking_client.get("/api/v1/statistics", headers=regulator).json()
    assert body["as_of"] == "2026-09-30" and body["synthetic"] is True
    assert set(body["tables"]) == {"summary", "by_use", "by_industry", "by_carbon_benefit",
                                   "by_district", "green_enterprises", "marketplace",
                                   "trend"}  # fmt: skip
    summary = {r["bank"]: r for r in body["tables"]["summary"]}
    assert "全部银行" in summary and len(summary) >= 14
    total = summary.pop("全部银行")
    assert total["green_balance_fen"] == sum(r["green_balance_fen"] for r in summary.values())
    assert body["definitions"] and body["basis"] == "bank"

    bank = api_token(banking_client, "demo-bank")
    own = banking_client.get("/api/v1/statistics?structure=2019", headers=bank).json()
    assert {r["bank"] for r in own["tables"]["summary"]} == {own["banks"][0]["name_zh"]}
    assert own["banks"] == [{"id": org_id(banking_db, "demo-bank"),
                             "name_zh": own["banks"][0]["name_zh"]}]  # fmt: skip
    other = next(b for b in banks(banking_db) if b != org_id(banking_db, "demo-bank"))
    refused = banking_client.get(f"/api/v1/statistics?bank={other}", headers=bank)
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    bad = banking_client.get("/api/v1/statistics?basis=made-up", headers=bank)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "basis"
    for user in ("demo-enterprise", "demo-reviewer"):
        token = api_token(banking_client, user)
        assert banking_client.get("/api/v1/statistics", headers=token).status_code == 403


def test_statistics_excel_download(banking_client):
    token = api_token(banking_client, "demo-regulator")
    response = banking_client.get("/api/v1/statistics.xlsx?as_of=2026-06-30", headers=token)
    assert response.status_code == 200
    assert "2026-06-30" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["说明", "汇总", "按用途"]
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["报告日期 As of"] == "2026-06-30" and "示例" in notes


def test_evaluation_api_both_schemes_and_scoping(banking_client, banking_db):
    regulator = api_token(banking_client, "demo-regulator")
    pboc = banking_client.get("/api/v1/evaluation/2026Q3", headers=regulator).json()
    assert pboc["graded"] is True and pboc["scheme"] == "pboc_2021"
    assert len(pboc["results"]) >= 13 and pboc["priority_list"]
    assert {r["grade"] for r in pboc["results"]} <= {"优秀", "良好", "一般", "较差"}
    ranks = [r["rank"] for r in pboc["results"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    cq = banking_client.get("/api/v1/evaluation/2026Q3?scheme=chongqing_2023",
                            headers=regulator).json()  # fmt: skip
    assert {r["grade"] for r in cq["results"]} <= {"一级", "二级", "三级", "四级"}
    assert len(cq["results"][0]["indicators"]) == 5 and len(pboc["results"][0]["indicators"]) == 4

    bank = api_token(banking_client, "demo-bank")
    own = banking_client.get("/api/v1/evaluation/2026Q3", headers=bank).json()
    assert [r["bank_organisation_id"] for r in own["results"]] == [org_id(banking_db, "demo-bank")]
    assert banking_client.get("/api/v1/evaluation/2019Q1", headers=bank).status_code == 404
    bad = banking_client.get("/api/v1/evaluation/2026-13", headers=bank)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quarter"
    enterprise = api_token(banking_client, "demo-enterprise")
    assert banking_client.get("/api/v1/evaluation/2026Q3", headers=enterprise).status_code == 403


def test_qualitative_put_permissions_and_validation(banking_client, banking_db):
    target = org_id(banking_db, "demo-bank2")
    url = f"/api/v1/evaluation/2026Q3/qualitative/{target}"
    body = {"scheme": "pboc_2021", "scores": [
        {"item": "policy_execution", "score": 70, "evidence": "API 录入（示例）"},
        {"item": "institutional_rules", "score": 75, "evidence": "API 录入（示例）"},
        {"item": "green_industry_support", "score": 80, "evidence": "API 录入（示例）"},
    ]}  # fmt: skip
    bank = api_token(banking_client, "demo-bank2")
    assert banking_client.put(url, json=body, headers=bank).status_code == 403
    regulator = api_token(banking_client, "demo-regulator")
    saved = banking_client.put(url, json=body, headers=regulator)
    assert saved.status_code == 200, saved.text
    assert [s["score"] for s in saved.json()["scores"]] == [70, 75, 80]
    read = banking_client.get(url, headers=bank).json()  # the bank reads its own scores
    assert read["scores"][2]["evidence"] == "API 录入（示例）"
    own_bank = api_token(banking_client, "demo-bank")
    assert banking_client.get(url, headers=own_bank).status_code == 404  # another bank's
    wrong = {"scheme": "pboc_2021", "scores": [
        {"item": "policy_execution", "score": 170, "evidence": "x"}]}  # fmt: skip
    problem = banking_client.put(url, json=wrong, headers=regulator)
    assert problem.status_code == 422
    fields = {e["field"] for e in problem.json()["errors"]}
    assert "scores[0].score" in fields and "scores" in fields
    empty_evidence = {"scheme": "pboc_2021", "scores": [
        {"item": "policy_execution", "score": 70, "evidence": ""}]}  # fmt: skip
    assert banking_client.put(url, json=empty_evidence, headers=regulator).status_code == 422
    not_a_bank = org_id(banking_db, "demo-enterprise")
    assert banking_client.put(f"/api/v1/evaluation/2026Q3/qualitative/{not_a_bank}", json=body,
                              headers=regulator).status_code == 404  # fmt: skip


def test_marketplace_outcomes_feed_the_statistics(banking_client, banking_db):
    """The marketplace table counts exactly the grants recorded on financing demands up to the
    as-of date, across banks and for the lending bank alone."""
    from collections import Counter
    from datetime import date

    from greenfin.store.models import DemandInterest, Organisation

    database, _ = banking_db
    as_of = date(2026, 9, 30)
    with database.session() as session:
        granted = session.execute(
            select(DemandInterest.organisation_id, DemandInterest.granted_amount_fen).where(
                DemandInterest.status == "granted", DemandInterest.granted_on <= as_of
            )
        ).all()
    assert granted, "the demo marketplace records some granted loans"
    regulator = api_token(banking_client, "demo-regulator")
    body = banking_client.get("/api/v1/statistics", headers=regulator).json()
    rows = {r["bank"]: r for r in body["tables"]["marketplace"]}
    everyone = rows["全部银行"]
    assert everyone["market_grants"] == len(granted)
    assert everyone["market_granted_fen"] == sum(amount for _, amount in granted)
    # lenders without a loan book (e.g. insurers) count only in the total
    assert sum(r["market_grants"] for b, r in rows.items() if b != "全部银行") <= len(granted)
    per_bank = Counter(bank for bank, _ in granted)
    with database.session() as session:
        names = {o.id: o.name_zh for o in session.scalars(select(Organisation))}
    shown = [bank_id for bank_id in per_bank if names[bank_id] in rows]
    assert shown, "some lending banks have rows of their own"
    for bank_id in shown:
        assert rows[names[bank_id]]["market_grants"] == per_bank[bank_id]
    for bank, row in rows.items():  # banks that granted nothing show zeros, not gaps
        if bank != "全部银行" and bank not in {names[b] for b in per_bank}:
            assert row["market_grants"] == 0 and row["market_granted_fen"] == 0
