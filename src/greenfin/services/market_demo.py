"""Loading the synthetic (示例) marketplace through the ordinary market services: products of
the demo institutions, then financing demands on whatever approved projects exist, each taken
to its planned state (open, full, chosen, granted, declined, withdrawn). Every step is a normal
service call, so the ledger and the notifications are those a real user would leave.

Called once from ``services.demo.load_demo``, after the project library's demo loader.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.demo import market as plan
from greenfin.identity.principal import SystemActor
from greenfin.library import matching
from greenfin.services import market
from greenfin.store.models import (
    FinancingDemand,
    Membership,
    Organisation,
    Product,
    Project,
    User,
)

DEMO_ACTOR = SystemActor(username="demo-loader")
SEED = 20261129
# the demo log-ins' organisations are served first, so that every demo user sees the flow
DEMO_ENTERPRISES = ("demo-enterprise", "demo-enterprise2")
DEMO_INSTITUTIONS = ("demo-bank", "demo-bank2", "demo-insurer")


class MarketDemoResult(BaseModel):
    products: int
    demands: dict[str, int]


def _org_ids_of(session: Session, usernames: tuple[str, ...]) -> tuple[int, ...]:
    rows = session.execute(
        select(Membership.organisation_id)
        .join(User, User.id == Membership.user_id)
        .where(User.username.in_(usernames))
    ).scalars()
    return tuple(rows)


def _short(name: str) -> str:
    """名称 without （示例） and the branch suffix: 京华银行北京分行（示例） → 京华银行."""
    base = name.removesuffix(plan.SYNTHETIC_MARK)
    for cut in ("北京分行", "北京分公司", "城市副中心支行", "有限公司"):
        base = base.replace(cut, "")
    return base


def load_demo_market(session: Session, seed: int = SEED) -> MarketDemoResult:
    """Create the demo products and demands once (nothing if demo products exist)."""
    existing = session.execute(select(Product.id).where(Product.is_synthetic)).first()
    if existing is not None:
        return MarketDemoResult(products=0, demands={})
    orgs = session.execute(
        select(Organisation)
        .where(Organisation.is_synthetic, Organisation.kind.in_(market.FINANCIAL_KINDS))
        .order_by(Organisation.id)
    ).scalars()
    institutions = [
        plan.Institution(o.id, o.kind, _short(o.name_zh), o.in_city_sub_centre) for o in orgs
    ]
    products = plan.plan_products(institutions, seed)
    ids: dict[int, int] = {}
    for p in products:
        created = market.create_product(
            session, DEMO_ACTOR,
            market.ProductIn(
                name=p.name, product_type=p.product_type, description=p.description,
                rules=p.rules, rate_min_pct=p.rate_min_pct, rate_max_pct=p.rate_max_pct,
                cerf_eligible=p.cerf_eligible, jinglvrong_eligible=p.jinglvrong_eligible,
                jinglvtong_eligible=p.jinglvtong_eligible, is_synthetic=True,
            ),
            organisation_id=p.organisation_id,
        )  # fmt: skip
        ids[p.index] = created.id

    rows = session.execute(
        select(
            Project.id, Project.item_code, Project.category_code, Project.grade,
            Project.financing_amount_fen, Project.financing_term_months, Project.financing_type,
            Project.district_code, Project.in_city_sub_centre, Project.organisation_id,
        ).where(Project.status == market.LIBRARY_STATUS, Project.is_synthetic)
    ).all()  # fmt: skip
    schema = {**matching.PROJECT_SCHEMA, "organisation_id": pl.Int64}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    demands = plan.plan_demands(
        products, frame, seed, _org_ids_of(session, DEMO_ENTERPRISES),
        _org_ids_of(session, DEMO_INSTITUTIONS),
    )  # fmt: skip
    counts: dict[str, int] = {}
    for d in demands:
        _play(session, d, products, ids)
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    return MarketDemoResult(products=len(products), demands=counts)


def _play(
    session: Session, d: plan.DemoDemand, products: list[plan.DemoProduct], ids: dict[int, int]
) -> None:
    demand = market.post_demand(session, DEMO_ACTOR, market.DemandIn(project_id=d.project_id))
    if d.granted_on is not None:
        # Demo history: a granted demo demand was posted a month before its grant, so grants
        # spread over the demo loan books' year and fall inside the statistics' periods. The
        # ledger still records when the demo was written.
        row = session.get(FinancingDemand, demand.id)
        assert row is not None
        row.created_at = datetime.combine(d.granted_on - timedelta(days=30), time(9), UTC)
        session.flush()
    interests = []
    for index in d.interests:
        interests.append(
            market.express_interest(
                session,
                DEMO_ACTOR,
                demand.id,
                market.InterestIn(product_id=ids[index], note="示例：可安排客户经理上门对接。"),
                organisation_id=products[index].organisation_id,
            )
        )
    if d.outcome == "withdrawn":
        version = market.get_demand_version(session, demand.id)
        market.withdraw_demand(session, DEMO_ACTOR, demand.id, market.WithdrawIn(
            expected_version=version))  # fmt: skip
        return
    if d.chosen is None:
        return
    chosen = interests[d.chosen]
    version = market.get_demand_version(session, demand.id)
    market.choose_interest(session, DEMO_ACTOR, demand.id, market.ChooseIn(
        interest_id=chosen.id, expected_version=version))  # fmt: skip
    org = products[d.interests[d.chosen]].organisation_id
    if d.outcome == "granted":
        assert d.granted_share is not None
        exact = Decimal(demand.amount_fen) * Decimal(str(d.granted_share)) / 100
        in_10k = (exact / 10_000).quantize(Decimal(1), rounding=ROUND_DOWN) * 10_000
        amount = in_10k if in_10k > 0 else exact.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        market.record_outcome(
            session, DEMO_ACTOR, chosen.id,
            market.OutcomeIn(granted=True, amount_cny=amount, rate_pct=d.granted_rate_pct,
                             granted_on=d.granted_on or datetime.now(UTC).date()),
            organisation_id=org,
        )  # fmt: skip
    elif d.outcome == "declined":
        market.record_outcome(
            session, DEMO_ACTOR, chosen.id,
            market.OutcomeIn(granted=False, decline_reason=d.decline_reason),
            organisation_id=org,
        )  # fmt: skip
