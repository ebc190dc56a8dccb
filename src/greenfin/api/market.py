"""API v1: green product marketplace, matching, financing demands, notifications (issue #6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from greenfin.api.deps import SessionDep, allow
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.api.routes import Limit, Offset, PageOut
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import market

router = APIRouter(prefix="/api/v1/market", tags=["market"], responses=PROBLEM_RESPONSES)
notifications_router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], responses=PROBLEM_RESPONSES
)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Anyone = Annotated[Principal, Depends(allow())]
Publisher = Annotated[Principal, Depends(allow(Role.BANK, Role.ADMIN))]
Bank = Annotated[Principal, Depends(allow(Role.BANK))]
Enterprise = Annotated[Principal, Depends(allow(Role.ENTERPRISE))]
DemandReader = Annotated[
    Principal, Depends(allow(Role.ENTERPRISE, Role.BANK, Role.REGULATOR, Role.ADMIN))
]
Oversight = Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))]


@router.get("/product-types", response_model=list[market.ProductTypeOut])
def product_types(_: Anyone) -> list[market.ProductTypeOut]:
    """Product types (能效贷款 … 信用保证保险): kind, who may publish, financing types served,
    source."""
    return market.list_product_types()


@router.get("/products", response_model=PageOut[market.ProductOut])
def list_products(
    session: SessionDep,
    principal: Anyone,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    product_type: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    mine: bool = False,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[market.ProductOut]:
    """Published (active) products; ``mine`` lists the caller's institution's own, withdrawn
    ones included."""
    return PageOut.of(
        market.list_products(
            session,
            principal,
            organisation_id=organisation_id,
            product_type=product_type,
            kind=kind,
            q=q,
            mine=mine,
            offset=offset,
            limit=limit,
        )
    )


@router.post("/products", response_model=market.ProductOut, status_code=201)
def create_product(
    body: market.ProductIn,
    session: SessionDep,
    principal: Publisher,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> market.ProductOut:
    """Publish a product for your own institution (admins name ``organisation_id``). Bad rules
    answer 422 naming the field (``rules.items[1]``)."""
    out = market.create_product(session, principal, body, organisation_id)
    session.commit()
    return out


@router.get("/products/{product_id}", response_model=market.ProductOut)
def get_product(product_id: Id, session: SessionDep, principal: Anyone) -> market.ProductOut:
    return market.get_product(session, principal, product_id)


@router.put("/products/{product_id}", response_model=market.ProductOut)
def update_product(
    product_id: Id, body: market.ProductIn, session: SessionDep, principal: Publisher
) -> market.ProductOut:
    """Replace your product (``is_active: false`` withdraws it); another institution's is 404."""
    out = market.update_product(session, principal, product_id, body)
    session.commit()
    return out


@router.get("/projects/{project_id}/matches", response_model=market.ProjectMatches)
def project_matches(
    project_id: Id,
    session: SessionDep,
    principal: Anyone,
    include_ineligible: bool = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> market.ProjectMatches:
    """Products for a project, ranked, each with the reasons (rules passed or failed, points).
    An enterprise asks about its own projects; everyone else about library projects."""
    return market.matches_for_project(
        session, principal, project_id, include_ineligible=include_ineligible, limit=limit
    )


@router.get("/bank/projects", response_model=PageOut[market.BankMatchOut])
def bank_projects(
    session: SessionDep,
    principal: Publisher,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    grade: Annotated[str | None, Query(max_length=10)] = None,
    category: Annotated[str | None, Query(max_length=10)] = None,
    district: Annotated[str | None, Query(max_length=6)] = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the project name")] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[market.BankMatchOut]:
    """Library projects ranked for your institution's active products (admins name one)."""
    return PageOut.of(
        market.projects_for_bank(
            session,
            principal,
            organisation_id=organisation_id,
            grade=grade,
            category=category,
            district=district,
            q=q,
            offset=offset,
            limit=limit,
        )
    )


@router.get("/demands", response_model=PageOut[market.DemandOut])
def list_demands(
    session: SessionDep,
    principal: DemandReader,
    status: Annotated[str | None, Query(max_length=20)] = None,
    engageable: bool = False,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[market.DemandOut]:
    """Enterprise: its demands. Institution: open demands and those it engaged with (its own
    interest only). Regulator/admin: all."""
    return PageOut.of(
        market.list_demands(
            session, principal, status=status, engageable=engageable, offset=offset, limit=limit
        )
    )


@router.post("/demands", response_model=market.DemandOut, status_code=201)
def post_demand(
    body: market.DemandIn, session: SessionDep, principal: Enterprise
) -> market.DemandOut:
    """Post a financing demand for one of your library (approved) projects."""
    out = market.post_demand(session, principal, body)
    session.commit()
    return out


@router.get("/demands/{demand_id}", response_model=market.DemandOut)
def get_demand(demand_id: Id, session: SessionDep, principal: DemandReader) -> market.DemandOut:
    return market.get_demand(session, principal, demand_id)


@router.post("/demands/{demand_id}/interests", response_model=market.InterestOut, status_code=201)
def express_interest(
    demand_id: Id, body: market.InterestIn, session: SessionDep, principal: Bank
) -> market.InterestOut:
    """Express your institution's interest, offering one of your products; only the first
    ``max_interested`` (default 3) succeed, the rest get 409."""
    out = market.express_interest(session, principal, demand_id, body)
    session.commit()
    return out


@router.post("/demands/{demand_id}/choose", response_model=market.DemandOut)
def choose(
    demand_id: Id, body: market.ChooseIn, session: SessionDep, principal: Enterprise
) -> market.DemandOut:
    """Choose one interested institution; the others become not_chosen. ``expected_version``
    is the demand version you saw (409 when it moved)."""
    out = market.choose_interest(session, principal, demand_id, body)
    session.commit()
    return out


@router.post("/demands/{demand_id}/withdraw", response_model=market.DemandOut)
def withdraw(
    demand_id: Id, body: market.WithdrawIn, session: SessionDep, principal: Enterprise
) -> market.DemandOut:
    out = market.withdraw_demand(session, principal, demand_id, body)
    session.commit()
    return out


@router.post("/interests/{interest_id}/outcome", response_model=market.InterestOut)
def record_outcome(
    interest_id: Id, body: market.OutcomeIn, session: SessionDep, principal: Bank
) -> market.InterestOut:
    """The chosen institution records the outcome: granted (amount, rate, date) or declined
    (reason). Only the chosen institution may."""
    out = market.record_outcome(session, principal, interest_id, body)
    session.commit()
    return out


@router.get("/statistics", response_model=market.MarketStatistics)
def statistics(session: SessionDep, principal: Oversight) -> market.MarketStatistics:
    """Marketplace totals: products, demands by state, outcomes, 获贷率, per institution."""
    return market.market_statistics(session, principal)


# --- notifications ----------------------------------------------------------------------------


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    all: bool = False


class MarkReadOut(BaseModel):
    marked: int
    unread: int


@notifications_router.get("", response_model=PageOut[market.NotificationOut])
def list_notifications(
    session: SessionDep,
    principal: Anyone,
    unread_only: bool = False,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[market.NotificationOut]:
    """Your organisation's notifications, newest first."""
    return PageOut.of(
        market.list_notifications(
            session, principal, unread_only=unread_only, offset=offset, limit=limit
        )
    )


@notifications_router.post("/read", response_model=MarkReadOut)
def mark_read(body: MarkReadIn, session: SessionDep, principal: Anyone) -> MarkReadOut:
    """Mark one notification (``notification_id``) or all (``all: true``) as read."""
    marked = market.mark_read(session, principal, body.notification_id, body.all)
    session.commit()
    return MarkReadOut(marked=marked, unread=market.unread_count(session, principal.user_id))
