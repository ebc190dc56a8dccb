"""What each role sees on its home page. Aggregates only; no other organisation's details."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from greenfin import reference
from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind
from greenfin.ledger.store import count as ledger_count
from greenfin.services.organisations import OrganisationOut
from greenfin.services.permissions import AUDIT_READERS
from greenfin.store.models import Organisation, User


class DistrictCount(BaseModel):
    district_code: str
    name_zh: str
    name_en: str
    has_city_sub_centre: bool
    enterprises: int
    sub_centre_enterprises: int


class Overview(BaseModel):
    organisation: OrganisationOut
    organisations_by_kind: dict[str, int]
    enterprises_by_district: list[DistrictCount]
    synthetic_share: float
    users: int | None
    audit_records: int | None


def overview(session: Session, principal: Principal) -> Overview:
    own = session.get(Organisation, principal.organisation_id)
    assert own is not None  # a principal always has an organisation
    by_kind = dict(
        session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind)).all()
    )
    district_rows = session.execute(
        select(
            Organisation.district_code,
            func.count(),
            func.sum(case((Organisation.in_city_sub_centre, 1), else_=0)),
        )
        .where(Organisation.kind == OrgKind.ENTERPRISE.value)
        .group_by(Organisation.district_code)
    ).all()
    counts = {code: (n, int(sub or 0)) for code, n, sub in district_rows}
    per_district = [
        DistrictCount(
            district_code=d.code,
            name_zh=d.name_zh,
            name_en=d.name_en,
            has_city_sub_centre=d.has_city_sub_centre,
            enterprises=counts.get(d.code, (0, 0))[0],
            sub_centre_enterprises=counts.get(d.code, (0, 0))[1],
        )
        for d in reference.districts()
    ]
    total, synthetic = session.execute(
        select(func.count(), func.sum(case((Organisation.is_synthetic, 1), else_=0))).select_from(
            Organisation
        )
    ).one()
    synthetic = int(synthetic or 0)
    sees_audit = principal.role in AUDIT_READERS
    return Overview(
        organisation=OrganisationOut.of(own),
        organisations_by_kind={k.value: by_kind.get(k.value, 0) for k in OrgKind},
        enterprises_by_district=per_district,
        synthetic_share=(synthetic / total) if total else 0.0,
        users=session.execute(select(func.count()).select_from(User)).scalar_one()
        if sees_audit
        else None,
        audit_records=ledger_count(session) if sees_audit else None,
    )
