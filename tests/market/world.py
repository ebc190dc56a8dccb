"""A small marketplace built directly in an empty database: enterprises, institutions,
projects in the library and outside it, principals to act with."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from greenfin.identity import uscc
from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import market
from greenfin.store.models import Membership, Organisation, Project, User

_seq = iter(range(10_000_000, 99_999_999))


def org(session: Session, name: str, kind: OrgKind, district: str = "110105") -> Organisation:
    record = Organisation(
        uscc=uscc.compose("9", "1", district, str(next(_seq))), name_zh=name, kind=kind.value,
        district_code=district, in_city_sub_centre=False,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record


def principal(session: Session, o: Organisation, role: Role) -> Principal:
    """A member of ``o`` with a user row of its own (notifications are read per user)."""
    n = next(_seq)
    user = User(username=f"u{n}", display_name=f"user {n}", password_hash="-")
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=o.id, role=role.value))
    session.flush()
    return Principal(user.id, user.username, user.display_name, role, o.id, OrgKind(o.kind),
                     o.name_zh)  # fmt: skip


def project(session: Session, owner: Organisation, status: str = "approved", **kw) -> Project:
    values = dict(
        name=f"{owner.name_zh} 光伏项目", description="屋顶分布式光伏", industry_code="4416",
        district_code="110112", in_city_sub_centre=True, total_investment_fen=2_000_000_000,
        financing_amount_fen=800_000_000, financing_term_months=60,
        financing_type="project_loan", status=status, item_code="4.2.2", category_code="4",
        grade="中绿" if status == "approved" else None, proposed_grade="中绿",
    )  # fmt: skip
    values.update(kw)
    record = Project(organisation_id=owner.id, **values)
    session.add(record)
    session.flush()
    return record


@dataclass
class World:
    ent: Principal
    ent2: Principal
    banks: list[Principal]
    insurer: Principal
    regulator: Principal
    reviewer: Principal
    approved: Project
    draft: Project
    other_approved: Project
    products: dict[int, int] = field(default_factory=dict)  # bank org id → product id


SOLAR_LOAN = market.ProductIn(
    name="光伏项目贷（测试）", product_type="green_project_loan",
    rules={"categories": ["4"], "min_grade": "浅绿"}, rate_min_pct=3.4, rate_max_pct=4.2,
    cerf_eligible=True,
)  # fmt: skip


def build(session: Session, banks: int = 4) -> World:
    e1 = org(session, "甲企业（测试）", OrgKind.ENTERPRISE, "110112")
    e2 = org(session, "乙企业（测试）", OrgKind.ENTERPRISE)
    bank_orgs = [org(session, f"测试银行{i}", OrgKind.BANK) for i in range(banks)]
    ins = org(session, "测试保险", OrgKind.INSURER)
    reg = org(session, "测试监管", OrgKind.REGULATOR)
    cert = org(session, "测试认证", OrgKind.CERTIFIER)
    world = World(
        ent=principal(session, e1, Role.ENTERPRISE), ent2=principal(session, e2, Role.ENTERPRISE),
        banks=[principal(session, b, Role.BANK) for b in bank_orgs],
        insurer=principal(session, ins, Role.BANK),
        regulator=principal(session, reg, Role.REGULATOR),
        reviewer=principal(session, cert, Role.REVIEWER),
        approved=project(session, e1), draft=project(session, e1, status="draft"),
        other_approved=project(session, e2, district_code="110105", in_city_sub_centre=False),
    )  # fmt: skip
    for bank in world.banks:
        world.products[bank.organisation_id] = market.create_product(session, bank, SOLAR_LOAN).id
    session.flush()
    return world
