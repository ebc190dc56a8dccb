"""Enterprise carbon accounts through the API: compute, keep, grade, scope, audit."""

import pytest
from sqlalchemy import func, select

from greenfin.store.models import AuditRecord
from tests.conftest import api_token

YEAR = {
    "year": 2024,
    "region": "华北",
    "revenue_10k_cny": 1000,
    "electricity_mwh": 1000,
    "fuels": [{"fuel": "柴油", "quantity": 10, "unit": "t"}],
}


def own_org(client, headers):
    return client.get("/api/v1/me", headers=headers).json()["organisation_id"]


def test_enterprise_enters_a_year_and_sees_the_factors(demo_client, demo_db):
    headers = api_token(demo_client, "demo-enterprise")
    org = own_org(demo_client, headers)
    response = demo_client.post(f"/api/v1/carbon/accounts/{org}/years", json=YEAR, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    # 10 t diesel × 3.1863 tCO2/t (IPCC 2006) and 1,000 MWh × the North China grid factor
    assert round(body["scope1_tco2e"], 3) == 31.863
    assert body["scope2_location_tco2e"] > 0
    assert body["total_location_tco2e"] == pytest.approx(
        body["scope1_tco2e"] + body["scope2_location_tco2e"]
    )
    assert any(f.get("source") for f in body["factors"])
    history = demo_client.get(f"/api/v1/carbon/accounts/{org}/years", headers=headers).json()
    # the demo database is shared by the session's tests: other years may exist, 2024 once
    assert [h["year"] for h in history].count(2024) == 1
    with demo_db.session() as session:
        actions = session.execute(
            select(func.count()).where(AuditRecord.action.like("carbon_account.%"))
        ).scalar_one()
    assert actions >= 1


def test_resubmission_replaces_the_year(demo_client):
    headers = api_token(demo_client, "demo-enterprise")
    org = own_org(demo_client, headers)
    url = f"/api/v1/carbon/accounts/{org}/years"
    demo_client.post(url, json=dict(YEAR, year=2023), headers=headers)
    again = demo_client.post(url, json=dict(YEAR, year=2023, electricity_mwh=0), headers=headers)
    assert again.json()["scope2_location_tco2e"] == 0
    years = [h["year"] for h in demo_client.get(url, headers=headers).json()]
    assert years.count(2023) == 1


def test_other_enterprises_accounts_are_invisible(demo_client):
    first = api_token(demo_client, "demo-enterprise")
    second = api_token(demo_client, "demo-enterprise2")
    other = own_org(demo_client, second)
    url = f"/api/v1/carbon/accounts/{other}/years"
    assert demo_client.get(url, headers=first).status_code == 404
    assert demo_client.post(url, json=YEAR, headers=first).status_code == 404
    regulator = api_token(demo_client, "demo-regulator")
    assert demo_client.get(url, headers=regulator).status_code == 200
    bank = api_token(demo_client, "demo-bank")
    assert demo_client.get(url, headers=bank).status_code == 403


def test_bad_energy_data_names_the_field_and_writes_nothing(demo_client, demo_db):
    headers = api_token(demo_client, "demo-enterprise")
    org = own_org(demo_client, headers)
    url = f"/api/v1/carbon/accounts/{org}/years"
    with demo_db.session() as session:
        before = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    unknown_fuel = dict(YEAR, year=2022, fuels=[{"fuel": "暗物质", "quantity": 1, "unit": "t"}])
    response = demo_client.post(url, json=unknown_fuel, headers=headers)
    assert response.status_code == 422 and "fuels" in response.json()["errors"][0]["field"]
    wrong_unit = dict(YEAR, year=2022, fuels=[{"fuel": "柴油", "quantity": 1, "unit": "kWh/t"}])
    assert demo_client.post(url, json=wrong_unit, headers=headers).status_code == 422
    negative = dict(YEAR, year=2022, electricity_mwh=-5)
    assert demo_client.post(url, json=negative, headers=headers).json()["errors"][0]["field"] == (
        "electricity_mwh"
    )
    with demo_db.session() as session:
        after = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert after == before


def test_purchased_heat_needs_the_suppliers_factor(demo_client):
    headers = api_token(demo_client, "demo-enterprise")
    url = f"/api/v1/carbon/accounts/{own_org(demo_client, headers)}/years"
    without = demo_client.post(url, json=dict(YEAR, year=2021, heat_gj=100), headers=headers)
    assert without.status_code == 422
    assert without.json()["errors"][0]["field"] == "heat_factor_tco2_per_gj"
    body = dict(YEAR, year=2021, heat_gj=100, heat_factor_tco2_per_gj=0.1, electricity_mwh=0,
                fuels=[])  # fmt: skip
    with_factor = demo_client.post(url, json=body, headers=headers)
    assert with_factor.status_code == 201, with_factor.text
    assert with_factor.json()["scope2_location_tco2e"] == pytest.approx(10.0)  # 100 GJ × 0.1
