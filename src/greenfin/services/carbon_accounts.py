"""Enterprise carbon accounts (企业碳账户): enter a year of energy data, compute, grade, keep."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.carbon import inventory
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services.errors import FieldProblem, InvalidInput, NotFound
from greenfin.services.types import UtcDatetime
from greenfin.store.models import CarbonAccountRecord, Organisation

# Beijing enterprises draw from the North China grid; the province's own factors are only
# available as uncertain rows (see reference/data/carbon/SOURCES.md).
REGIONS = {"华北": "North China grid (default for Beijing)", "national": "national average"}
ACCOUNT_VIEWERS = frozenset({Role.REVIEWER, Role.REGULATOR, Role.ADMIN})
NonNegative = Annotated[float, Field(ge=0, le=1e12)]


class FuelIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    fuel: Annotated[str, Field(min_length=1, max_length=60, examples=["柴油"])]
    quantity: NonNegative
    unit: Annotated[str, Field(min_length=1, max_length=20, examples=["t"])]


class EnergyYearIn(BaseModel):
    """One year of an enterprise's energy data, as entered on the form or the Excel template."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    year: Annotated[int, Field(ge=2015, le=2100)]
    region: Annotated[str, Field(examples=["华北"])] = "华北"
    revenue_10k_cny: Annotated[float, Field(gt=0, le=1e12, description="营业收入（万元）")]
    output: NonNegative | None = None
    output_unit: Annotated[str | None, Field(max_length=20)] = None
    electricity_mwh: NonNegative = 0.0
    heat_gj: NonNegative = 0.0
    # no verified default heat factor is shipped: purchased heat needs the supplier's factor
    heat_factor_tco2_per_gj: Annotated[float | None, Field(ge=0, le=10)] = None
    process_tco2e: NonNegative = 0.0
    fuels: Annotated[list[FuelIn], Field(max_length=50)] = []


class AccountOut(BaseModel):
    organisation_id: int
    year: int
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    total_location_tco2e: float
    total_market_tco2e: float
    intensity_tco2e_per_10k_cny: float
    grade: str | None
    grade_label_zh: str | None
    grade_status: str | None  # the shipped benchmark and thresholds are illustrative
    benchmark_ratio: float | None
    pricing_adjustment_bp: int | None
    factors: list[dict[str, Any]]
    notes: list[str]
    updated_at: UtcDatetime


def _may_view(principal: Principal, organisation_id: int) -> bool:
    return principal.role in ACCOUNT_VIEWERS or (
        principal.role is Role.ENTERPRISE and principal.organisation_id == organisation_id
    )


def _enterprise(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != OrgKind.ENTERPRISE.value:
        raise NotFound(f"enterprise {organisation_id} not found")
    return org


def compute(org: Organisation, data: EnergyYearIn) -> dict[str, Any]:
    """Run the domain computation; domain input errors become field problems."""
    if data.region not in REGIONS:
        raise InvalidInput.on("region", f"choose one of {', '.join(REGIONS)}")
    if data.heat_gj and data.heat_factor_tco2_per_gj is None:
        raise InvalidInput.on(
            "heat_factor_tco2_per_gj",
            "purchased heat needs the supplier's emission factor (tCO2/GJ); "
            "no verified default is shipped",
        )
    heat_factor = (
        inventory.supplied_factor(
            data.heat_factor_tco2_per_gj,
            "tCO2/GJ",
            source="supplier (entered by the enterprise)",
            subject="purchased heat",
        )
        if data.heat_factor_tco2_per_gj is not None
        else None
    )
    year = inventory.EnterpriseYear(
        enterprise_id=str(org.id), accounting_year=data.year, region=data.region,
        revenue_10k_cny=data.revenue_10k_cny, industry_code=org.industry_code,
        output=data.output, output_unit=data.output_unit,
        fuels=tuple(inventory.FuelUse(f.fuel, f.quantity, f.unit) for f in data.fuels),
        process=(inventory.ProcessEmission("process", data.process_tco2e),)
        if data.process_tco2e else (),
        electricity=(inventory.ElectricityPurchase(data.electricity_mwh),)
        if data.electricity_mwh else (),
        heat=(inventory.HeatPurchase(data.heat_gj, factor=heat_factor),) if data.heat_gj else (),
    )  # fmt: skip
    try:
        account = inventory.carbon_account(year)
    except inventory.CarbonInputError as exc:
        raise InvalidInput(
            str(exc), [FieldProblem(p.field, p.message, p.row) for p in exc.problems]
        ) from None
    result: dict[str, Any] = {"account": account.provenance(), "grade": None}
    try:
        graded = inventory.grade_account(account)
        result["grade"] = {
            **graded.provenance(),
            "pricing_adjustment_bp": inventory.pricing_adjustment_bp(graded.grade),
        }
    except inventory.CarbonInputError as exc:  # no benchmark for the industry: ungraded, said so
        result["account"]["notes"].append(f"未分级：{exc}")
    return result


def _out(record: CarbonAccountRecord) -> AccountOut:
    results = json.loads(record.results_json)
    account, grade = results["account"], results.get("grade") or {}
    factors = []
    for line in account["lines"]:
        if line["factor"] and line["factor"] not in factors:
            factors.append(line["factor"])
    return AccountOut(
        organisation_id=record.organisation_id, year=record.year,
        scope1_tco2e=account["scope1_tco2e"],
        scope2_location_tco2e=account["scope2_location_tco2e"],
        scope2_market_tco2e=account["scope2_market_tco2e"],
        total_location_tco2e=account["total_location_tco2e"],
        total_market_tco2e=account["total_market_tco2e"],
        intensity_tco2e_per_10k_cny=account["intensity_location_tco2e_per_10k_cny"],
        grade=grade.get("grade"), grade_label_zh=grade.get("grade_zh"),
        grade_status=grade.get("grade_status"), benchmark_ratio=grade.get("ratio"),
        pricing_adjustment_bp=grade.get("pricing_adjustment_bp"),
        factors=factors, notes=account["notes"], updated_at=record.updated_at,
    )  # fmt: skip


def submit(session: Session, actor: Actor, organisation_id: int, data: EnergyYearIn) -> AccountOut:
    """Compute and keep an enterprise-year; a resubmission replaces it (both ledgered).

    ``actor`` is the logged-in enterprise user or admin, or the operator at the command line."""
    if isinstance(actor, Principal) and not (actor.role is Role.ADMIN or (
        actor.role is Role.ENTERPRISE and actor.organisation_id == organisation_id
    )):  # fmt: skip
        # another organisation's account is not revealed (404), as everywhere in greenfin
        raise NotFound(f"enterprise {organisation_id} not found")
    org = _enterprise(session, organisation_id)
    results = compute(org, data)
    account = results["account"]
    record = session.execute(
        select(CarbonAccountRecord).where(
            CarbonAccountRecord.organisation_id == organisation_id,
            CarbonAccountRecord.year == data.year,
        )
    ).scalar_one_or_none()
    action = "carbon_account.replaced" if record else "carbon_account.submitted"
    if record is None:
        record = CarbonAccountRecord(organisation_id=organisation_id, year=data.year)
        session.add(record)
    record.inputs_json = data.model_dump_json()
    record.results_json = json.dumps(results, ensure_ascii=False, default=str)
    record.total_tco2e = account["total_location_tco2e"]
    record.intensity_tco2e_per_10k_cny = account["intensity_location_tco2e_per_10k_cny"]
    record.grade = (results.get("grade") or {}).get("grade")
    record.submitted_by_user_id = actor.user_id
    record.updated_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session, actor, action, "carbon_account", f"{organisation_id}/{data.year}",
        {"inputs": data.model_dump(mode="json"), "total_tco2e": record.total_tco2e,
         "grade": record.grade},
    )  # fmt: skip
    return _out(record)


def history(session: Session, principal: Principal, organisation_id: int) -> list[AccountOut]:
    """All years of one enterprise's account, oldest first (the trend)."""
    if not _may_view(principal, organisation_id):
        raise NotFound(f"enterprise {organisation_id} not found")
    _enterprise(session, organisation_id)
    rows = session.execute(
        select(CarbonAccountRecord)
        .where(CarbonAccountRecord.organisation_id == organisation_id)
        .order_by(CarbonAccountRecord.year)
    ).scalars()
    return [_out(r) for r in rows]
