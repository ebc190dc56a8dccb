"""Organisations: registration (admin) and scoped look-up."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from greenfin import ledger, reference
from greenfin.identity import uscc
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import SEES_ALL_ORGANISATIONS, OrgKind
from greenfin.services.errors import Conflict, NotFound, Page
from greenfin.store.models import Organisation

Name = Annotated[str, Field(min_length=2, max_length=200)]


class OrganisationCreate(BaseModel):
    """A new organisation. District accepts a GB/T 2260 code or a Chinese/English district name."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    uscc: Annotated[
        str, Field(description="统一社会信用代码 (GB 32100-2015)", examples=["914403001922038216"])
    ]
    name_zh: Name
    name_en: Annotated[str | None, Field(max_length=200)] = None
    kind: OrgKind
    district: Annotated[
        str, Field(description="Beijing district: code or name", examples=["110112"])
    ]
    in_city_sub_centre: bool = False
    industry_code: Annotated[
        str | None, Field(description="GB/T 4754-2017 code (大类/中类/小类)", examples=["4415"])
    ] = None
    is_synthetic: bool = False

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        try:
            return uscc.validate(value)
        except uscc.UsccError as exc:
            raise ValueError(exc.reason) from None

    @field_validator("district")
    @classmethod
    def _known_district(cls, value: str) -> str:
        district = reference.find_district(value)
        if district is None:
            raise ValueError(f"unknown Beijing district {value!r} / 未知的北京市辖区")
        return district.code

    @field_validator("industry_code")
    @classmethod
    def _known_industry(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = reference.industry_codes().get(value)
        if code is None or code.level < 2:
            raise ValueError(
                f"{value!r} is not a GB/T 4754-2017 大类/中类/小类 code / 行业代码不存在"
            )
        return value

    @field_validator("in_city_sub_centre")
    @classmethod
    def _sub_centre_only_in_tongzhou(cls, value: bool, info: ValidationInfo) -> bool:
        district = reference.find_district(info.data.get("district") or "")
        if value and not (district and district.has_city_sub_centre):
            raise ValueError("the city sub-centre (城市副中心) lies in 通州区 only")
        return value


class OrganisationOut(BaseModel):
    id: int
    uscc: str
    name_zh: str
    name_en: str | None
    kind: OrgKind
    district_code: str
    district_name_zh: str
    district_name_en: str
    in_city_sub_centre: bool
    industry_code: str | None
    industry_name_zh: str | None
    is_synthetic: bool

    @classmethod
    def of(cls, org: Organisation) -> OrganisationOut:
        district = reference.find_district(org.district_code)
        industry = reference.industry_codes().get(org.industry_code or "")
        return cls(
            id=org.id,
            uscc=org.uscc,
            name_zh=org.name_zh,
            name_en=org.name_en,
            kind=OrgKind(org.kind),
            district_code=org.district_code,
            district_name_zh=district.name_zh if district else org.district_code,
            district_name_en=district.name_en if district else org.district_code,
            in_city_sub_centre=org.in_city_sub_centre,
            industry_code=org.industry_code,
            industry_name_zh=industry.name_zh if industry else None,
            is_synthetic=org.is_synthetic,
        )


def create_organisation(
    session: Session, actor: Actor, data: OrganisationCreate
) -> OrganisationOut:
    """Register an organisation; duplicates by 统一社会信用代码 or name are refused."""
    if session.execute(select(Organisation.id).where(Organisation.uscc == data.uscc)).first():
        raise Conflict.on("uscc", f"an organisation with 统一社会信用代码 {data.uscc} exists")
    if session.execute(select(Organisation.id).where(Organisation.name_zh == data.name_zh)).first():
        raise Conflict.on("name_zh", f"an organisation named {data.name_zh} exists")
    org = Organisation(
        uscc=data.uscc,
        name_zh=data.name_zh,
        name_en=data.name_en,
        kind=data.kind.value,
        district_code=data.district,
        in_city_sub_centre=data.in_city_sub_centre,
        industry_code=data.industry_code,
        is_synthetic=data.is_synthetic,
    )
    session.add(org)
    session.flush()
    ledger.append(
        session, actor, "organisation.created", "organisation", org.id, data.model_dump(mode="json")
    )
    return OrganisationOut.of(org)


def list_organisations(
    session: Session,
    principal: Principal,
    *,
    kind: OrgKind | None = None,
    district: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[OrganisationOut]:
    """Organisations the principal may see: all for regulators/reviewers/admins, else their own."""
    stmt = select(Organisation)
    if principal.role not in SEES_ALL_ORGANISATIONS:
        stmt = stmt.where(Organisation.id == principal.organisation_id)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind.value)
    if district:
        found = reference.find_district(district)
        stmt = stmt.where(Organisation.district_code == (found.code if found else district))
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(or_(Organisation.name_zh.like(pattern), Organisation.uscc.like(pattern)))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Organisation.id).offset(offset).limit(limit)).scalars()
    return Page([OrganisationOut.of(o) for o in rows], total, offset, limit)


def get_organisation(
    session: Session, principal: Principal, organisation_id: int
) -> OrganisationOut:
    """One organisation; another organisation's record is reported as not found, not forbidden,
    so that its existence is not revealed."""
    org = session.get(Organisation, organisation_id)
    if org is None or not principal.may_see_organisation(organisation_id):
        raise NotFound(f"organisation {organisation_id} not found")
    return OrganisationOut.of(org)
