"""Green product marketplace and bank–enterprise matching (issue #6, part B).

- Products: banks, insurers and guarantors publish green products for their own organisation,
  with eligibility rules as data (:mod:`greenfin.library.products`).
- Matching both ways (:mod:`greenfin.library.matching`): products for a project, projects for a
  bank, each ranked and explained.
- Financing demands (融资需求, after Huzhou 绿贷通): an enterprise posts a demand for one of its
  library (approved) projects; at most ``max_interested`` institutions may express interest, first
  come (concurrency-safe: the demand row is locked while the slots are counted); the enterprise
  chooses one, the others become ``not_chosen``; the chosen institution records the outcome
  (granted amount, rate, date — or declined with a reason).
- Notifications to the right organisation at each step; every write in the audit ledger.
- :func:`granted_enterprises` feeds 获贷率 to the statistics service.

Actors: a logged-in :class:`Principal` acts for its own organisation (admins name one); the demo
loader and the command line act as a :class:`SystemActor` for a named organisation.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from greenfin import ledger, reference
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.library import matching
from greenfin.library import products as catalogue_products
from greenfin.library.workflow import Status
from greenfin.services.errors import Conflict, FieldProblem, InvalidInput, NotFound, Page
from greenfin.services.permissions import require
from greenfin.services.types import UtcDatetime
from greenfin.store.db import Database
from greenfin.store.models import (
    DemandInterest,
    FinancingDemand,
    Membership,
    Notification,
    NotificationRead,
    Organisation,
    Product,
    Project,
    User,
)
from greenfin.taxonomy import load_catalogue

FINANCIAL_KINDS = frozenset({OrgKind.BANK.value, OrgKind.INSURER.value, OrgKind.GUARANTOR.value})
OVERSIGHT = frozenset({Role.REGULATOR, Role.ADMIN})
PUBLISHERS = frozenset({Role.BANK, Role.ADMIN})
DEMAND_READERS = frozenset({Role.ENTERPRISE, Role.BANK, Role.REGULATOR, Role.ADMIN})
LIBRARY_STATUS = Status.APPROVED.value  # only approved projects are in the library
OPEN, CHOSEN, CLOSED, WITHDRAWN = "open", "chosen", "closed", "withdrawn"
LIVE_DEMANDS = (OPEN, CHOSEN)
INTERESTED, PICKED, NOT_PICKED, GRANTED, DECLINED = (
    "interested", "chosen", "not_chosen", "granted", "declined",
)  # fmt: skip
FEN_PER_CNY = 100
MAX_CNY = Decimal(10**13)
EXPLAIN_LIMIT = 200


def _now() -> datetime:
    return datetime.now(UTC)


def _fen(value: Decimal | float | int, field: str) -> int:
    fen = Decimal(str(value)) * FEN_PER_CNY
    if fen != fen.to_integral_value():
        raise InvalidInput.on(field, "at most two decimals (fen)")
    return int(fen)


# --- inputs and outputs -----------------------------------------------------------------------

Money = Annotated[Decimal, Field(gt=0, le=MAX_CNY, description="元 (CNY), up to two decimals")]
Rate = Annotated[float, Field(ge=0, le=100, description="% per year")]


class ProductIn(BaseModel):
    """A product as published. ``rules`` is the eligibility document (see docs/market.md):
    ``items``, ``categories``, ``min_grade``, ``amount_min_fen``/``amount_max_fen``,
    ``term_min_months``/``term_max_months``, ``districts``, ``sub_centre_only``,
    ``financing_types``."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=200)]
    product_type: Annotated[str, Field(max_length=40, examples=["energy_efficiency_loan"])]
    description: Annotated[str, Field(max_length=4000)] = ""
    rules: dict[str, Any] = {}
    rate_min_pct: Rate | None = None
    rate_max_pct: Rate | None = None
    cerf_eligible: bool = False
    jinglvrong_eligible: bool = False
    jinglvtong_eligible: bool = False
    is_active: bool = True
    is_synthetic: bool = False


class ProductTypeOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    publisher_kinds: list[str]
    serves_financing_types: list[str]
    rate_meaning: str
    description_zh: str
    source: str
    edition: str
    status: str


class ProductOut(BaseModel):
    id: int
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    name: str
    product_type: str
    product_type_zh: str
    product_type_en: str
    kind: str
    description: str
    rules: dict[str, Any]
    rate_min_pct: float | None
    rate_max_pct: float | None
    cerf_eligible: bool
    jinglvrong_eligible: bool
    jinglvtong_eligible: bool
    is_active: bool
    is_synthetic: bool
    created_at: UtcDatetime


class ReasonOut(BaseModel):
    rule: str
    outcome: str
    points: float
    text_zh: str
    text_en: str


class ProjectBrief(BaseModel):
    id: int
    name: str
    organisation_id: int
    organisation_name: str
    status: str
    item_code: str | None
    item_name_zh: str | None
    category_code: str | None
    grade: str | None
    grade_is_proposed: bool
    district_code: str
    district_name_zh: str
    in_city_sub_centre: bool
    financing_amount_fen: int | None
    financing_term_months: int | None
    financing_type: str | None
    is_synthetic: bool


class MatchOut(BaseModel):
    product: ProductOut
    eligible: bool
    score: float
    failed: list[str]
    reasons: list[ReasonOut]


class ProjectMatches(BaseModel):
    project: ProjectBrief
    eligible_count: int
    matches: list[MatchOut]
    weights: list[dict[str, str]]


class BankMatchOut(BaseModel):
    project: ProjectBrief
    best_product_id: int
    best_product_name: str
    score: float
    eligible_products: int
    reasons: list[ReasonOut]
    open_demand_id: int | None


class DemandIn(BaseModel):
    """A financing demand; amount, term and type default to the project's stated need."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    project_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    amount_cny: Money | None = None
    term_months: Annotated[int, Field(ge=1, le=600)] | None = None
    financing_type: Annotated[str, Field(max_length=40)] | None = None


class InterestIn(BaseModel):
    """A bank's interest: the product it offers and an optional note to the enterprise."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    product_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    note: Annotated[str, Field(max_length=2000)] | None = None


class ChooseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interest_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    expected_version: Annotated[int, Field(ge=1, description="the demand version you saw")]


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: Annotated[int, Field(ge=1, description="the demand version you saw")]


class OutcomeIn(BaseModel):
    """The chosen institution's outcome: granted (amount, rate, date) or declined (reason)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    granted: bool
    amount_cny: Money | None = None
    rate_pct: Rate | None = None
    granted_on: date | None = None
    decline_reason: Annotated[str, Field(max_length=2000)] | None = None


class InterestOut(BaseModel):
    id: int
    demand_id: int
    organisation_id: int
    organisation_name: str
    product_id: int | None
    product_name: str | None
    status: str
    note: str | None
    score: float | None
    granted_amount_fen: int | None
    granted_rate_pct: float | None
    granted_on: date | None
    decline_reason: str | None
    created_at: UtcDatetime


class DemandOut(BaseModel):
    id: int
    project: ProjectBrief
    organisation_id: int
    organisation_name: str
    amount_fen: int
    term_months: int
    financing_type: str
    financing_type_zh: str
    status: str
    max_interested: int
    slots_taken: int
    slots_left: int
    version: int
    is_synthetic: bool
    created_at: UtcDatetime
    interests: list[InterestOut]  # scoped: a bank sees only its own
    my_interest: InterestOut | None = None
    my_best_product_id: int | None = None
    my_best_score: float | None = None


class NotificationOut(BaseModel):
    id: int
    kind: str
    message_zh: str
    message_en: str
    link: str | None
    read: bool
    created_at: UtcDatetime


class GrantedEnterprise(BaseModel):
    organisation_id: int
    uscc: str
    grants: int
    granted_amount_fen: int


class BankActivity(BaseModel):
    organisation_id: int
    organisation_name: str
    products: int
    interests: int
    chosen: int
    granted: int
    declined: int
    granted_amount_fen: int


class MarketStatistics(BaseModel):
    products_active: int
    products_by_type: dict[str, int]
    demands_by_status: dict[str, int]
    interests: int
    granted: int
    declined: int
    granted_amount_fen: int
    enterprises_with_demand: int
    enterprises_granted: int
    loan_success_rate: float | None  # 获贷率: enterprises granted / enterprises with a demand
    by_bank: list[BankActivity]


# --- helpers ----------------------------------------------------------------------------------


def _rules_problem(exc: catalogue_products.RulesError) -> InvalidInput:
    return InvalidInput(str(exc), [FieldProblem(p.field, p.message) for p in exc.problems])


def _acting_org(
    session: Session, actor: Actor, organisation_id: int | None, roles: frozenset[Role],
    kinds: frozenset[str], what: str,
) -> Organisation:  # fmt: skip
    """The organisation the actor acts for: a principal's own (admins may name one when an
    admin is among ``roles``), or the one a system actor names."""
    if isinstance(actor, Principal):
        require(actor, roles)
        if actor.role is Role.ADMIN and organisation_id is not None:
            target = organisation_id
        else:
            target = actor.organisation_id
            if organisation_id not in (None, target):
                raise NotFound(f"{what} {organisation_id} not found")
    else:
        if organisation_id is None:
            raise InvalidInput.on("organisation_id", "name the organisation to act for")
        target = organisation_id
    org = session.get(Organisation, target)
    if org is None or org.kind not in kinds:
        raise NotFound(f"{what} {target} not found")
    return org


def _org_names(session: Session, ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    rows = session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()
    return {o.id: o for o in rows}


def _product_out(product: Product, org: Organisation) -> ProductOut:
    ptype = catalogue_products.product_types().get(product.product_type)
    return ProductOut(
        id=product.id, organisation_id=product.organisation_id, organisation_name=org.name_zh,
        organisation_kind=org.kind, name=product.name, product_type=product.product_type,
        product_type_zh=ptype.name_zh if ptype else product.product_type,
        product_type_en=ptype.name_en if ptype else product.product_type,
        kind=ptype.kind if ptype else "", description=product.description,
        rules=json.loads(product.rules_json or "{}"), rate_min_pct=product.rate_min_pct,
        rate_max_pct=product.rate_max_pct, cerf_eligible=product.cerf_eligible,
        jinglvrong_eligible=product.jinglvrong_eligible,
        jinglvtong_eligible=product.jinglvtong_eligible, is_active=product.is_active,
        is_synthetic=product.is_synthetic, created_at=product.created_at,
    )  # fmt: skip


SpecKey = tuple[int, int, str, str, float | None, bool, bool, bool]
SPEC_COLUMNS = (
    Product.id, Product.organisation_id, Product.product_type, Product.rules_json,
    Product.rate_min_pct, Product.cerf_eligible, Product.jinglvrong_eligible,
    Product.jinglvtong_eligible,
)  # fmt: skip


@lru_cache(maxsize=65_536)
def _spec_of(key: SpecKey) -> matching.ProductSpec:
    """A product's matching view from its stored columns. Rules were validated on write, so
    they are read back without re-validating; cached by value (a changed product is a new key)."""
    product_id, org_id, product_type, rules_json, rate, cerf, jlr, jlt = key
    raw = json.loads(rules_json or "{}")
    rules = catalogue_products.EligibilityRules(
        items=tuple(raw.get("items") or ()), categories=tuple(raw.get("categories") or ()),
        min_grade=raw.get("min_grade"), amount_min_fen=raw.get("amount_min_fen"),
        amount_max_fen=raw.get("amount_max_fen"), term_min_months=raw.get("term_min_months"),
        term_max_months=raw.get("term_max_months"), districts=tuple(raw.get("districts") or ()),
        sub_centre_only=bool(raw.get("sub_centre_only")),
        financing_types=tuple(raw.get("financing_types") or ()),
    )  # fmt: skip
    return matching.ProductSpec(
        product_id=product_id, organisation_id=org_id, product_type=product_type, rules=rules,
        rate_min_pct=rate, cerf_eligible=bool(cerf), jinglvrong_eligible=bool(jlr),
        jinglvtong_eligible=bool(jlt),
    )  # fmt: skip


def _spec(product: Product) -> matching.ProductSpec:
    return _spec_of((
        product.id, product.organisation_id, product.product_type, product.rules_json,
        product.rate_min_pct, product.cerf_eligible, product.jinglvrong_eligible,
        product.jinglvtong_eligible,
    ))  # fmt: skip


def _active_specs(
    session: Session, organisation_id: int | None = None
) -> dict[int, matching.ProductSpec]:
    """Active products as matching specs, read as plain columns (no ORM objects)."""
    return {key[0]: _spec_of(key) for key in _active_keys(session, organisation_id)}


def _active_keys(session: Session, organisation_id: int | None = None) -> tuple[SpecKey, ...]:
    stmt = select(*SPEC_COLUMNS).where(Product.is_active.is_(True)).order_by(Product.id)
    if organisation_id is not None:
        stmt = stmt.where(Product.organisation_id == organisation_id)
    return tuple(tuple(row) for row in session.execute(stmt).all())  # type: ignore[misc]


@lru_cache(maxsize=16)
def _frame_of(keys: tuple[SpecKey, ...]) -> pl.DataFrame:
    """The products frame for exactly these stored products (any change is a new key)."""
    return matching.products_frame(_spec_of(k) for k in keys)


def _active_frame(
    session: Session, organisation_id: int | None = None
) -> tuple[dict[int, matching.ProductSpec], pl.DataFrame]:
    keys = _active_keys(session, organisation_id)
    return {k[0]: _spec_of(k) for k in keys}, _frame_of(keys)


def _products_by_id(session: Session, ids: list[int]) -> dict[int, tuple[Product, Organisation]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Product, Organisation)
        .join(Organisation, Organisation.id == Product.organisation_id)
        .where(Product.id.in_(ids))
    ).all()
    return {p.id: (p, o) for p, o in rows}


def _item_name(code: str | None) -> str | None:
    if not code:
        return None
    item = load_catalogue(catalogue_products.EDITION).items.get(code)
    return item.name_zh if item else None


def _brief(project: Project, org: Organisation) -> ProjectBrief:
    district = reference.find_district(project.district_code)
    return ProjectBrief(
        id=project.id, name=project.name, organisation_id=project.organisation_id,
        organisation_name=org.name_zh, status=project.status, item_code=project.item_code,
        item_name_zh=_item_name(project.item_code), category_code=project.category_code,
        grade=project.grade or project.proposed_grade,
        grade_is_proposed=project.grade is None and project.proposed_grade is not None,
        district_code=project.district_code,
        district_name_zh=district.name_zh if district else project.district_code,
        in_city_sub_centre=project.in_city_sub_centre,
        financing_amount_fen=project.financing_amount_fen,
        financing_term_months=project.financing_term_months,
        financing_type=project.financing_type, is_synthetic=project.is_synthetic,
    )  # fmt: skip


def _project_row(project: Project, demand: FinancingDemand | None = None) -> dict[str, Any]:
    """The matching view of a project; a demand's amount, term and type override the project's."""
    return {
        "project_id": project.id, "item_code": project.item_code,
        "category_code": project.category_code,
        "grade": project.grade or project.proposed_grade,
        "amount_fen": demand.amount_fen if demand else project.financing_amount_fen,
        "term_months": demand.term_months if demand else project.financing_term_months,
        "financing_type": demand.financing_type if demand else project.financing_type,
        "district_code": project.district_code, "in_city_sub_centre": project.in_city_sub_centre,
    }  # fmt: skip


def _reasons(
    row: dict[str, Any], project: dict[str, Any], spec: matching.ProductSpec
) -> list[ReasonOut]:
    return [
        ReasonOut(rule=r.rule, outcome=r.outcome, points=r.points, text_zh=r.text_zh,
                  text_en=r.text_en)
        for r in matching.explain(row, project, spec)
    ]  # fmt: skip


def _visible_project(session: Session, principal: Actor, project_id: int) -> Project:
    """An enterprise sees its own projects in any state; everyone else library projects only;
    the operator at the command line any project."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    if not isinstance(principal, Principal):
        return project
    own = principal.role is Role.ENTERPRISE and project.organisation_id == principal.organisation_id
    if principal.role is Role.ENTERPRISE and not own:
        raise NotFound(f"project {project_id} not found")
    if not own and project.status != LIBRARY_STATUS:
        raise NotFound(f"project {project_id} not found")
    return project


def _notify(
    session: Session, organisation_id: int, kind: str, zh: str, en: str, link: str | None
) -> None:
    session.add(
        Notification(organisation_id=organisation_id, kind=kind, message_zh=zh, message_en=en,
                     link=link)
    )  # fmt: skip


# --- product types and products ---------------------------------------------------------------


def list_product_types() -> list[ProductTypeOut]:
    return [
        ProductTypeOut(
            code=t.code,
            name_zh=t.name_zh,
            name_en=t.name_en,
            kind=t.kind,
            publisher_kinds=list(t.publisher_kinds),
            serves_financing_types=list(t.serves_financing_types),
            rate_meaning=t.rate_meaning,
            description_zh=t.description_zh,
            source=t.source,
            edition=t.edition,
            status=t.status,
        )
        for t in catalogue_products.product_types().values()
    ]


def _validated(data: ProductIn, org: Organisation) -> catalogue_products.EligibilityRules:
    problems: list[FieldProblem] = []
    try:
        catalogue_products.check_product(
            data.product_type, org.kind, data.rate_min_pct, data.rate_max_pct
        )
    except catalogue_products.RulesError as exc:
        problems += [FieldProblem(p.field, p.message) for p in exc.problems]
    try:
        rules = catalogue_products.validate_rules(data.rules)
    except catalogue_products.RulesError as exc:
        problems += [FieldProblem(p.field, p.message) for p in exc.problems]
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    return rules


def create_product(
    session: Session, actor: Actor, data: ProductIn, organisation_id: int | None = None
) -> ProductOut:
    """Publish a product for the actor's own financial institution (admins name one)."""
    org = _acting_org(session, actor, organisation_id, PUBLISHERS, FINANCIAL_KINDS,
                      "financial institution")  # fmt: skip
    rules = _validated(data, org)
    product = Product(
        organisation_id=org.id, name=data.name, product_type=data.product_type,
        description=data.description, rules_json=json.dumps(rules.to_json(), ensure_ascii=False),
        rate_min_pct=data.rate_min_pct, rate_max_pct=data.rate_max_pct,
        cerf_eligible=data.cerf_eligible, jinglvrong_eligible=data.jinglvrong_eligible,
        jinglvtong_eligible=data.jinglvtong_eligible, is_active=data.is_active,
        is_synthetic=data.is_synthetic,
    )  # fmt: skip
    session.add(product)
    session.flush()
    ledger.append(
        session, actor, "product.created", "product", product.id,
        {**data.model_dump(mode="json"), "rules": rules.to_json(), "organisation_id": org.id},
    )  # fmt: skip
    return _product_out(product, org)


def _own_product(session: Session, actor: Actor, product_id: int) -> tuple[Product, Organisation]:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    if isinstance(actor, Principal):
        require(actor, PUBLISHERS)
        if actor.role is not Role.ADMIN and actor.organisation_id != product.organisation_id:
            raise NotFound(f"product {product_id} not found")
    org = session.get(Organisation, product.organisation_id)
    assert org is not None
    return product, org


def update_product(session: Session, actor: Actor, product_id: int, data: ProductIn) -> ProductOut:
    """Replace a product's description, rules, rates and flags (``is_active`` false withdraws
    it from matching; products are never deleted, interests refer to them)."""
    product, org = _own_product(session, actor, product_id)
    rules = _validated(data, org)
    before = _product_out(product, org).model_dump(mode="json")
    product.name, product.product_type, product.description = (
        data.name, data.product_type, data.description,
    )  # fmt: skip
    product.rules_json = json.dumps(rules.to_json(), ensure_ascii=False)
    product.rate_min_pct, product.rate_max_pct = data.rate_min_pct, data.rate_max_pct
    product.cerf_eligible = data.cerf_eligible
    product.jinglvrong_eligible = data.jinglvrong_eligible
    product.jinglvtong_eligible = data.jinglvtong_eligible
    product.is_active = data.is_active
    session.flush()
    after = _product_out(product, org)
    ledger.append(
        session, actor, "product.updated", "product", product.id,
        {"before": before, "after": after.model_dump(mode="json")},
    )  # fmt: skip
    return after


def get_product(session: Session, principal: Principal, product_id: int) -> ProductOut:
    """Any logged-in user may read an active product; a withdrawn one only its institution and
    oversight."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    own = principal.organisation_id == product.organisation_id
    if not product.is_active and not (own or principal.role in OVERSIGHT):
        raise NotFound(f"product {product_id} not found")
    org = session.get(Organisation, product.organisation_id)
    assert org is not None
    return _product_out(product, org)


def list_products(
    session: Session,
    principal: Principal,
    *,
    organisation_id: int | None = None,
    product_type: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    mine: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page[ProductOut]:
    """Published products (active ones; an institution also sees its own withdrawn ones)."""
    stmt = select(Product, Organisation).join(
        Organisation, Organisation.id == Product.organisation_id
    )
    if mine:
        stmt = stmt.where(Product.organisation_id == principal.organisation_id)
    else:
        stmt = stmt.where(
            Product.is_active.is_(True) | (Product.organisation_id == principal.organisation_id)
        )
    if organisation_id is not None:
        stmt = stmt.where(Product.organisation_id == organisation_id)
    if product_type:
        stmt = stmt.where(Product.product_type == product_type)
    if kind:
        codes = [t.code for t in catalogue_products.product_types().values() if t.kind == kind]
        stmt = stmt.where(Product.product_type.in_(codes))
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(Product.name.like(pattern) | Organisation.name_zh.like(pattern))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Product.id).offset(offset).limit(limit)).all()
    return Page([_product_out(p, o) for p, o in rows], total, offset, limit)


# --- matching ---------------------------------------------------------------------------------


def matches_for_project(
    session: Session,
    principal: Actor,
    project_id: int,
    *,
    include_ineligible: bool = True,
    limit: int = 50,
) -> ProjectMatches:
    """Active products ranked for one project, each with its reasons. The owner may ask for any
    of its projects (a proposed grade is used before approval); others for library projects."""
    project = _visible_project(session, principal, project_id)
    owner = session.get(Organisation, project.organisation_id)
    assert owner is not None
    specs, products_frame = _active_frame(session)
    brief = _brief(project, owner)
    weights = matching.weights_provenance()
    if not specs:
        return ProjectMatches(project=brief, eligible_count=0, matches=[], weights=weights)
    project_frame = matching.projects_frame([_project_row(project)])
    frame = matching.match(project_frame, products_frame)
    ranked = matching.rank_for_project(frame, eligible_only=not include_ineligible)
    eligible_count = int(frame["eligible"].sum())
    project_view = project_frame.row(0, named=True)
    shown = ranked.head(min(limit, EXPLAIN_LIMIT))
    by_id = _products_by_id(session, shown["product_id"].to_list())
    out = []
    for r in shown.iter_rows(named=True):
        product, org = by_id[r["product_id"]]
        out.append(
            MatchOut(
                product=_product_out(product, org),
                eligible=r["eligible"],
                score=r["score"],
                failed=matching.failed_rules(r),
                reasons=_reasons(r, project_view, specs[r["product_id"]]),
            )
        )
    return ProjectMatches(project=brief, eligible_count=eligible_count, matches=out,
                          weights=weights)  # fmt: skip


def _library_frame(
    session: Session,
    *,
    grade: str | None,
    category: str | None,
    district: str | None,
    q: str | None = None,
) -> pl.DataFrame:
    stmt = select(
        Project.id, Project.item_code, Project.category_code, Project.grade,
        Project.financing_amount_fen, Project.financing_term_months, Project.financing_type,
        Project.district_code, Project.in_city_sub_centre,
    ).where(Project.status == LIBRARY_STATUS)  # fmt: skip
    if grade:
        stmt = stmt.where(Project.grade == grade)
    if category:
        stmt = stmt.where(Project.category_code == category)
    if district:
        stmt = stmt.where(Project.district_code == district)
    if q:
        stmt = stmt.where(Project.name.like(f"%{q}%"))
    rows = session.execute(stmt).all()
    columns = list(matching.PROJECT_SCHEMA)
    return matching.projects_frame(
        pl.DataFrame([tuple(r) for r in rows], schema=matching.PROJECT_SCHEMA, orient="row")
        if rows else pl.DataFrame(schema=matching.PROJECT_SCHEMA).select(columns)
    )  # fmt: skip


def projects_for_bank(
    session: Session,
    principal: Principal,
    *,
    organisation_id: int | None = None,
    grade: str | None = None,
    category: str | None = None,
    district: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[BankMatchOut]:
    """Library projects ranked for the institution's active products: per project the best
    product, its score and reasons, and how many of the institution's products fit."""
    org = _acting_org(session, principal, organisation_id, PUBLISHERS, FINANCIAL_KINDS,
                      "financial institution")  # fmt: skip
    specs = _active_specs(session, org.id)
    if not specs:
        return Page([], 0, offset, limit)
    names = dict(
        session.execute(select(Product.id, Product.name).where(Product.id.in_(specs))).all()
    )
    projects = _library_frame(session, grade=grade, category=category, district=district, q=q)
    if projects.is_empty():
        return Page([], 0, offset, limit)
    best = matching.best_per_project(
        matching.match(projects, matching.products_frame(specs.values()))
    )
    window = best.slice(offset, limit)
    ids = window["project_id"].to_list()
    loaded = {
        p.id: p for p in session.execute(select(Project).where(Project.id.in_(ids))).scalars()
    }
    owners = _org_names(session, {p.organisation_id for p in loaded.values()})
    demands = dict(
        session.execute(
            select(FinancingDemand.project_id, FinancingDemand.id).where(
                FinancingDemand.project_id.in_(ids), FinancingDemand.status == OPEN
            )
        ).all()
    )
    views = {
        r["project_id"]: r
        for r in projects.filter(pl.col("project_id").is_in(ids)).iter_rows(named=True)
    }
    items = []
    for r in window.iter_rows(named=True):
        project = loaded[r["project_id"]]
        items.append(
            BankMatchOut(
                project=_brief(project, owners[project.organisation_id]),
                best_product_id=r["product_id"],
                best_product_name=names[r["product_id"]],
                score=r["score"],
                eligible_products=r["eligible_products"],
                reasons=_reasons(r, views[r["project_id"]], specs[r["product_id"]]),
                open_demand_id=demands.get(project.id),
            )
        )
    return Page(items, best.height, offset, limit)


def eligible_institutions(
    session: Session, project: Project, demand: FinancingDemand | None = None
) -> set[int]:
    """Organisations with at least one active product eligible for the project (or demand)."""
    specs, products_frame = _active_frame(session)
    if not specs:
        return set()
    frame = matching.match(matching.projects_frame([_project_row(project, demand)]), products_frame)
    return set(frame.filter(pl.col("eligible"))["organisation_id"].to_list())


# --- financing demands ------------------------------------------------------------------------


def _demand_locked(session: Session, demand_id: int) -> FinancingDemand:
    """The demand row, locked until commit (SELECT … FOR UPDATE on PostgreSQL; SQLite
    transactions already start with BEGIN IMMEDIATE, so writers are serialised)."""
    demand = session.execute(
        select(FinancingDemand).where(FinancingDemand.id == demand_id).with_for_update()
    ).scalar_one_or_none()
    if demand is None:
        raise NotFound(f"demand {demand_id} not found")
    return demand


def _bump(session: Session, demand: FinancingDemand, expected: int, **values: Any) -> None:
    """Optimistic lock: move the demand only if nobody else did since ``expected``."""
    result = session.execute(
        update(FinancingDemand)
        .where(FinancingDemand.id == demand.id, FinancingDemand.version == expected)
        .values(version=expected + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict.on("expected_version", "the demand changed meanwhile; reload and retry")
    session.refresh(demand)


def _slots_taken(session: Session, demand_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(DemandInterest)
        .where(DemandInterest.demand_id == demand_id)
    ).scalar_one()


def _interest_out(
    interest: DemandInterest, orgs: dict[int, Organisation], products: dict[int, Product],
    score: float | None = None,
) -> InterestOut:  # fmt: skip
    product = products.get(interest.product_id or -1)
    return InterestOut(
        id=interest.id, demand_id=interest.demand_id, organisation_id=interest.organisation_id,
        organisation_name=orgs[interest.organisation_id].name_zh,
        product_id=interest.product_id, product_name=product.name if product else None,
        status=interest.status, note=interest.note, score=score,
        granted_amount_fen=interest.granted_amount_fen,
        granted_rate_pct=interest.granted_rate_pct, granted_on=interest.granted_on,
        decline_reason=interest.decline_reason, created_at=interest.created_at,
    )  # fmt: skip


def _financing_label(code: str) -> str:
    found = catalogue_products.financing_types().get(code)
    return found.name_zh if found else code


def _demand_outs(
    session: Session, viewer: Principal | None, demands: list[FinancingDemand]
) -> list[DemandOut]:
    """Demands as the viewer may see them: a bank only its own interest, never other banks'."""
    if not demands:
        return []
    ids = [d.id for d in demands]
    projects = {
        p.id: p
        for p in session.execute(
            select(Project).where(Project.id.in_({d.project_id for d in demands}))
        ).scalars()
    }
    interests = list(
        session.execute(
            select(DemandInterest)
            .where(DemandInterest.demand_id.in_(ids))
            .order_by(DemandInterest.id)
        ).scalars()
    )
    counts: dict[int, int] = {}
    for i in interests:
        counts[i.demand_id] = counts.get(i.demand_id, 0) + 1
    bank_view = viewer is not None and viewer.role is Role.BANK
    if bank_view:
        assert viewer is not None
        interests = [i for i in interests if i.organisation_id == viewer.organisation_id]
    org_ids = {d.organisation_id for d in demands} | {i.organisation_id for i in interests}
    orgs = _org_names(session, org_ids)
    product_ids = {i.product_id for i in interests if i.product_id}
    products = {
        p.id: p
        for p in session.execute(select(Product).where(Product.id.in_(product_ids))).scalars()
    } if product_ids else {}  # fmt: skip

    # match scores: each interest's product against its demand; a bank's best own product
    scores: dict[tuple[int, int], float] = {}
    best: dict[int, tuple[int, float]] = {}
    rows = [_project_row(projects[d.project_id], d) | {"project_id": d.id} for d in demands]
    specs = [_spec(p) for p in products.values()]
    if bank_view:
        assert viewer is not None
        specs += [
            spec
            for pid, spec in _active_specs(session, viewer.organisation_id).items()
            if pid not in products
        ]
    if specs:
        frame = matching.match(matching.projects_frame(rows), matching.products_frame(specs))
        for r in frame.iter_rows(named=True):
            scores[(r["project_id"], r["product_id"])] = r["score"]
        if bank_view:
            for r in matching.best_per_project(frame).iter_rows(named=True):
                best[r["project_id"]] = (r["product_id"], r["score"])

    out = []
    for d in demands:
        mine = [
            _interest_out(i, orgs, products, scores.get((d.id, i.product_id or -1)))
            for i in interests if i.demand_id == d.id
        ]  # fmt: skip
        taken = counts.get(d.id, 0)
        my_interest = None
        if viewer is not None and viewer.role is Role.BANK:
            my_interest = next(
                (i for i in mine if i.organisation_id == viewer.organisation_id), None
            )
        best_product, best_score = best.get(d.id, (None, None))
        out.append(
            DemandOut(
                id=d.id,
                project=_brief(projects[d.project_id], orgs[d.organisation_id]),
                organisation_id=d.organisation_id,
                organisation_name=orgs[d.organisation_id].name_zh,
                amount_fen=d.amount_fen,
                term_months=d.term_months,
                financing_type=d.financing_type,
                financing_type_zh=_financing_label(d.financing_type),
                status=d.status,
                max_interested=d.max_interested,
                slots_taken=taken,
                slots_left=max(d.max_interested - taken, 0) if d.status == OPEN else 0,
                version=d.version,
                is_synthetic=d.is_synthetic,
                created_at=d.created_at,
                interests=mine,
                my_interest=my_interest,
                my_best_product_id=best_product,
                my_best_score=best_score,
            )
        )
    return out


def _visible_demand(session: Session, principal: Principal, demand: FinancingDemand | None,
                    demand_id: int) -> FinancingDemand:  # fmt: skip
    if demand is None:
        raise NotFound(f"demand {demand_id} not found")
    require(principal, DEMAND_READERS)
    if principal.role is Role.ENTERPRISE and demand.organisation_id != principal.organisation_id:
        raise NotFound(f"demand {demand_id} not found")
    if principal.role is Role.BANK and demand.status != OPEN:
        engaged = session.execute(
            select(DemandInterest.id).where(
                DemandInterest.demand_id == demand.id,
                DemandInterest.organisation_id == principal.organisation_id,
            )
        ).first()
        if engaged is None:
            raise NotFound(f"demand {demand_id} not found")
    return demand


def get_demand(session: Session, principal: Principal, demand_id: int) -> DemandOut:
    demand = _visible_demand(session, principal, session.get(FinancingDemand, demand_id), demand_id)
    return _demand_outs(session, principal, [demand])[0]


def get_demand_version(session: Session, demand_id: int) -> int:
    """The demand's current version (for the operator and the demo loader, which have no page
    showing it)."""
    demand = session.get(FinancingDemand, demand_id)
    if demand is None:
        raise NotFound(f"demand {demand_id} not found")
    session.refresh(demand)
    return demand.version


def list_demands(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    engageable: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page[DemandOut]:
    """Enterprise: its own demands. Bank: open demands and those it engaged with
    (``engageable``: open, a slot left, not yet engaged). Regulator/admin: all."""
    require(principal, DEMAND_READERS)
    stmt = select(FinancingDemand)
    if principal.role is Role.ENTERPRISE:
        stmt = stmt.where(FinancingDemand.organisation_id == principal.organisation_id)
    elif principal.role is Role.BANK:
        engaged = select(DemandInterest.demand_id).where(
            DemandInterest.organisation_id == principal.organisation_id
        )
        if engageable:
            taken = (
                select(func.count())
                .select_from(DemandInterest)
                .where(DemandInterest.demand_id == FinancingDemand.id)
                .scalar_subquery()
            )
            stmt = stmt.where(
                FinancingDemand.status == OPEN,
                FinancingDemand.id.not_in(engaged),
                taken < FinancingDemand.max_interested,
            )
        else:
            stmt = stmt.where((FinancingDemand.status == OPEN) | FinancingDemand.id.in_(engaged))
    if status:
        stmt = stmt.where(FinancingDemand.status == status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = list(
        session.execute(
            stmt.order_by(FinancingDemand.id.desc()).offset(offset).limit(limit)
        ).scalars()
    )
    return Page(_demand_outs(session, principal, rows), total, offset, limit)


def own_library_projects(session: Session, principal: Principal) -> list[ProjectBrief]:
    """The enterprise's projects in the library (approved): those it may post a demand for."""
    require(principal, frozenset({Role.ENTERPRISE}))
    org = session.get(Organisation, principal.organisation_id)
    assert org is not None
    rows = session.execute(
        select(Project)
        .where(Project.organisation_id == org.id, Project.status == LIBRARY_STATUS)
        .order_by(Project.id.desc())
        .limit(500)
    ).scalars()
    return [_brief(p, org) for p in rows]


def max_interested() -> int:
    """How many institutions may engage with a demand (``market_parameters.csv``)."""
    return catalogue_products.max_interested_default()


def post_demand(session: Session, actor: Actor, data: DemandIn) -> DemandOut:
    """An enterprise posts a financing demand for one of its library projects; institutions with
    an eligible active product are notified."""
    # The project row is locked (FOR UPDATE on PostgreSQL; SQLite serialises writers) so two
    # concurrent posts for one project cannot both pass the "no live demand" check below.
    project = session.get(Project, data.project_id, with_for_update=True)
    if isinstance(actor, Principal):
        require(actor, frozenset({Role.ENTERPRISE}))
        if project is not None and project.organisation_id != actor.organisation_id:
            project = None
    if project is None:
        raise NotFound(f"project {data.project_id} not found")
    if project.status != LIBRARY_STATUS:
        raise Conflict.on("project_id", "only a project in the library (approved) can seek finance")
    live = session.execute(
        select(FinancingDemand.id).where(
            FinancingDemand.project_id == project.id, FinancingDemand.status.in_(LIVE_DEMANDS)
        )
    ).first()
    if live is not None:
        raise Conflict.on("project_id", f"the project already has a live demand (#{live[0]})")
    amount = (
        _fen(data.amount_cny, "amount_cny")
        if data.amount_cny is not None
        else project.financing_amount_fen
    )
    if amount is None:
        raise InvalidInput.on("amount_cny", "state the amount (the project states none)")
    if amount > project.total_investment_fen:
        raise InvalidInput.on("amount_cny", "must not exceed the project's total investment")
    term = data.term_months or project.financing_term_months
    if term is None:
        raise InvalidInput.on("term_months", "state the term (the project states none)")
    raw_type = data.financing_type or project.financing_type
    ftype = catalogue_products.normalise_financing_type(raw_type)
    if ftype is None:
        raise InvalidInput.on(
            "financing_type",
            f"choose one of {', '.join(catalogue_products.financing_types())}",
        )
    demand = FinancingDemand(
        project_id=project.id, organisation_id=project.organisation_id, amount_fen=amount,
        term_months=term, financing_type=ftype, status=OPEN, max_interested=max_interested(),
        version=1, is_synthetic=project.is_synthetic,
    )  # fmt: skip
    session.add(demand)
    session.flush()
    link = f"/market/demands/{demand.id}"
    notified = sorted(eligible_institutions(session, project, demand))
    for org_id in notified:
        _notify(
            session, org_id, "demand.new_match",
            f"新的融资需求与贵机构产品匹配：{project.name}（{amount / 1_000_000:,.2f} 万元）",
            f"A new financing demand matches your products: {project.name}", link,
        )  # fmt: skip
    ledger.append(
        session, actor, "demand.posted", "financing_demand", demand.id,
        {"project_id": project.id, "amount_fen": amount, "term_months": term,
         "financing_type": ftype, "max_interested": demand.max_interested,
         "notified": notified},
    )  # fmt: skip
    return _demand_outs(session, actor if isinstance(actor, Principal) else None, [demand])[0]


def express_interest(
    session: Session, actor: Actor, demand_id: int, data: InterestIn,
    organisation_id: int | None = None,
) -> InterestOut:  # fmt: skip
    """An institution engages with an open demand, offering one of its active products. Only
    the first ``max_interested`` succeed: the demand row is locked while the slots are counted,
    and the version bump makes a lost race a clean 409."""
    org = _acting_org(session, actor, organisation_id, frozenset({Role.BANK}), FINANCIAL_KINDS,
                      "financial institution")  # fmt: skip
    demand = _demand_locked(session, demand_id)
    if demand.status != OPEN:
        if isinstance(actor, Principal):
            _visible_demand(session, actor, demand, demand_id)
        raise Conflict.on("demand", f"the demand is {demand.status}, no longer open")
    product = session.get(Product, data.product_id)
    if product is None or product.organisation_id != org.id or not product.is_active:
        raise InvalidInput.on("product_id", "choose one of your own active products")
    already = session.execute(
        select(DemandInterest.id).where(
            DemandInterest.demand_id == demand.id, DemandInterest.organisation_id == org.id
        )
    ).first()
    if already is not None:
        raise Conflict.on("demand", "your institution has already expressed interest")
    taken = _slots_taken(session, demand.id)
    if taken >= demand.max_interested:
        raise Conflict.on(
            "demand", f"all {demand.max_interested} places are taken (first come, first served)"
        )
    interest = DemandInterest(
        demand_id=demand.id, organisation_id=org.id, product_id=product.id, status=INTERESTED,
        note=data.note or None, created_by_user_id=actor.user_id,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(interest)
            session.flush()
    except IntegrityError:
        raise Conflict.on("demand", "your institution has already expressed interest") from None
    _bump(session, demand, demand.version)
    project = session.get(Project, demand.project_id)
    assert project is not None
    _notify(
        session, demand.organisation_id, "demand.interest",
        f"{org.name_zh} 对您的融资需求（{project.name}）表达了对接意向"
        f"（{taken + 1}/{demand.max_interested}）",
        f"{org.name_en or org.name_zh} is interested in your demand ({project.name})",
        f"/market/demands/{demand.id}",
    )  # fmt: skip
    ledger.append(
        session, actor, "demand.interest", "demand_interest", interest.id,
        {"demand_id": demand.id, "organisation_id": org.id, "product_id": product.id,
         "slot": taken + 1, "max_interested": demand.max_interested},
    )  # fmt: skip
    orgs = {org.id: org}
    return _interest_out(interest, orgs, {product.id: product})


def _own_demand(session: Session, actor: Actor, demand_id: int) -> FinancingDemand:
    demand = _demand_locked(session, demand_id)
    if isinstance(actor, Principal):
        require(actor, frozenset({Role.ENTERPRISE}))
        if demand.organisation_id != actor.organisation_id:
            raise NotFound(f"demand {demand_id} not found")
    return demand


def choose_interest(session: Session, actor: Actor, demand_id: int, data: ChooseIn) -> DemandOut:
    """The enterprise chooses one interested institution; the others become ``not_chosen``;
    every institution concerned is notified."""
    demand = _own_demand(session, actor, demand_id)
    if demand.status != OPEN:
        raise Conflict.on("demand", f"the demand is {demand.status}, not open")
    interests = list(
        session.execute(
            select(DemandInterest).where(DemandInterest.demand_id == demand.id)
        ).scalars()
    )
    chosen = next((i for i in interests if i.id == data.interest_id), None)
    if chosen is None or chosen.status != INTERESTED:
        raise InvalidInput.on(
            "interest_id", "choose one of the institutions that expressed interest"
        )
    _bump(session, demand, data.expected_version, status=CHOSEN)
    now = _now()
    project = session.get(Project, demand.project_id)
    assert project is not None
    link = f"/market/demands/{demand.id}"
    others = []
    for i in interests:
        if i.id == chosen.id:
            i.status, i.updated_at = PICKED, now
            _notify(session, i.organisation_id, "demand.chosen",
                    f"企业选择了贵机构对接融资需求：{project.name}，请记录放款结果",
                    f"The enterprise chose your institution for {project.name}; record the outcome",
                    link)  # fmt: skip
        elif i.status == INTERESTED:
            i.status, i.updated_at = NOT_PICKED, now
            others.append(i.organisation_id)
            _notify(session, i.organisation_id, "demand.not_chosen",
                    f"企业已选择其他机构对接：{project.name}",
                    f"The enterprise chose another institution for {project.name}",
                    link)  # fmt: skip
    session.flush()
    ledger.append(
        session, actor, "demand.chosen", "financing_demand", demand.id,
        {"interest_id": chosen.id, "organisation_id": chosen.organisation_id,
         "not_chosen": others},
    )  # fmt: skip
    return _demand_outs(session, actor if isinstance(actor, Principal) else None, [demand])[0]


def withdraw_demand(session: Session, actor: Actor, demand_id: int, data: WithdrawIn) -> DemandOut:
    """The enterprise withdraws an open demand; institutions that engaged are told."""
    demand = _own_demand(session, actor, demand_id)
    if demand.status != OPEN:
        raise Conflict.on("demand", f"the demand is {demand.status}, not open")
    _bump(session, demand, data.expected_version, status=WITHDRAWN)
    project = session.get(Project, demand.project_id)
    assert project is not None
    interests = list(
        session.execute(
            select(DemandInterest).where(DemandInterest.demand_id == demand.id)
        ).scalars()
    )
    for i in interests:
        i.status, i.updated_at = NOT_PICKED, _now()
        _notify(session, i.organisation_id, "demand.withdrawn",
                f"企业已撤回融资需求：{project.name}",
                f"The enterprise withdrew its demand: {project.name}",
                f"/market/demands/{demand.id}")  # fmt: skip
    session.flush()
    ledger.append(session, actor, "demand.withdrawn", "financing_demand", demand.id,
                  {"interests": [i.id for i in interests]})  # fmt: skip
    return _demand_outs(session, actor if isinstance(actor, Principal) else None, [demand])[0]


def record_outcome(
    session: Session, actor: Actor, interest_id: int, data: OutcomeIn,
    organisation_id: int | None = None,
) -> InterestOut:  # fmt: skip
    """The chosen institution records the outcome; the demand closes; the enterprise is told.
    Only the chosen institution may record it (another's interest is not found)."""
    org = _acting_org(session, actor, organisation_id, frozenset({Role.BANK}), FINANCIAL_KINDS,
                      "financial institution")  # fmt: skip
    interest = session.get(DemandInterest, interest_id)
    if interest is None or interest.organisation_id != org.id:
        raise NotFound(f"interest {interest_id} not found")
    demand = _demand_locked(session, interest.demand_id)
    session.refresh(interest)
    if interest.status != PICKED:
        raise Conflict.on(
            "interest", f"only the chosen institution records an outcome (this interest is "
            f"{interest.status})",
        )  # fmt: skip
    problems: list[FieldProblem] = []
    if data.granted:
        if data.amount_cny is None:
            problems.append(FieldProblem("amount_cny", "state the granted amount"))
        elif _fen(data.amount_cny, "amount_cny") > demand.amount_fen:
            problems.append(FieldProblem("amount_cny", "must not exceed the demand's amount"))
        ceiling = catalogue_products.parameters()["rate_max_pct"]
        if data.rate_pct is None:
            problems.append(FieldProblem("rate_pct", "state the rate (% per year)"))
        elif not 0 < data.rate_pct <= ceiling:
            problems.append(FieldProblem("rate_pct", f"must be above 0 and at most {ceiling:g}"))
        if data.granted_on is None:
            problems.append(FieldProblem("granted_on", "state the date"))
        elif data.granted_on > _now().date():
            problems.append(FieldProblem("granted_on", "must not be in the future"))
        elif data.granted_on < demand.created_at.date():
            problems.append(FieldProblem("granted_on", "must not precede the demand"))
    elif not (data.decline_reason and len(data.decline_reason) >= 2):
        problems.append(FieldProblem("decline_reason", "state why the finance was declined"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    _bump(session, demand, demand.version, status=CLOSED)
    if data.granted:
        assert data.amount_cny is not None
        interest.status = GRANTED
        interest.granted_amount_fen = _fen(data.amount_cny, "amount_cny")
        interest.granted_rate_pct = data.rate_pct
        interest.granted_on = data.granted_on
    else:
        interest.status = DECLINED
        interest.decline_reason = data.decline_reason
    interest.updated_at = _now()
    session.flush()
    project = session.get(Project, demand.project_id)
    assert project is not None
    if data.granted:
        granted_10k = interest.granted_amount_fen / 1_000_000
        zh = (
            f"{org.name_zh} 已为 {project.name} 放款 {granted_10k:,.2f} 万元，"
            f"利率 {data.rate_pct:g}%"
        )
        en = f"{org.name_en or org.name_zh} granted finance for {project.name}"
    else:
        zh = f"{org.name_zh} 未能为 {project.name} 提供融资：{data.decline_reason}"
        en = f"{org.name_en or org.name_zh} declined finance for {project.name}"
    _notify(
        session, demand.organisation_id, "demand.outcome", zh, en, f"/market/demands/{demand.id}"
    )
    ledger.append(
        session, actor, "demand.outcome", "demand_interest", interest.id,
        {"demand_id": demand.id, "granted": data.granted,
         "granted_amount_fen": interest.granted_amount_fen, "rate_pct": data.rate_pct,
         "granted_on": data.granted_on, "decline_reason": data.decline_reason},
    )  # fmt: skip
    product = session.get(Product, interest.product_id) if interest.product_id else None
    return _interest_out(interest, {org.id: org}, {product.id: product} if product else {})


# --- notifications ----------------------------------------------------------------------------


def _notification_out(n: Notification, read_at: datetime | None) -> NotificationOut:
    return NotificationOut(
        id=n.id, kind=n.kind, message_zh=n.message_zh, message_en=n.message_en, link=n.link,
        read=read_at is not None, created_at=n.created_at,
    )  # fmt: skip


def _own_read(user_id: int) -> Any:
    """Join condition: this user's reading of the notification (each member reads for
    themselves)."""
    return and_(NotificationRead.notification_id == Notification.id,
                NotificationRead.user_id == user_id)  # fmt: skip


def list_notifications(
    session: Session, principal: Principal, *, unread_only: bool = False, offset: int = 0,
    limit: int = 50,
) -> Page[NotificationOut]:  # fmt: skip
    """The notifications of the principal's organisation, newest first, read or unread for the
    principal."""
    stmt = (
        select(Notification, NotificationRead.read_at)
        .outerjoin(NotificationRead, _own_read(principal.user_id))
        .where(Notification.organisation_id == principal.organisation_id)
    )
    if unread_only:
        stmt = stmt.where(NotificationRead.user_id.is_(None))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Notification.id.desc()).offset(offset).limit(limit))
    return Page([_notification_out(n, read_at) for n, read_at in rows], total, offset, limit)


def _unread_stmt(user_id: int) -> Any:
    return (
        select(func.count())
        .select_from(Notification)
        .join(Membership, Membership.organisation_id == Notification.organisation_id)
        .join(User, User.id == Membership.user_id)
        .outerjoin(NotificationRead, _own_read(user_id))
        .where(User.id == user_id, User.is_active.is_(True), NotificationRead.user_id.is_(None))
    )


def unread_count(session: Session, user_id: int) -> int:
    """A user's unread notifications (0 for an unknown or inactive user)."""
    return session.execute(_unread_stmt(user_id)).scalar_one()


def unread_badge(database: Database, user_id: int) -> int:
    """The navigation badge, read on a connection of its own *without* a transaction.

    A page renders while the request's session may hold SQLite's write lock (every SQLAlchemy
    transaction there is ``BEGIN IMMEDIATE``); a second session would wait on it. A plain
    autocommit ``SELECT`` under WAL never waits, and on PostgreSQL it is an ordinary read."""
    sql = str(
        _unread_stmt(int(user_id)).compile(
            dialect=database.engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
        return int(row[0]) if row else 0
    finally:
        raw.close()


def mark_read(
    session: Session, principal: Principal, notification_id: int | None = None,
    all_unread: bool = False,
) -> int:  # fmt: skip
    """Mark one notification (of the principal's organisation) or all of them read *for the
    principal*; returns how many changed. Colleagues keep their own state. Not ledgered:
    reading changes nothing that matters."""
    if notification_id is None and not all_unread:
        raise InvalidInput.on("notification_id", "name a notification or ask for all")
    unread = (
        select(Notification.id, literal(principal.user_id), literal(_now()))
        .outerjoin(NotificationRead, _own_read(principal.user_id))
        .where(Notification.organisation_id == principal.organisation_id,
               NotificationRead.user_id.is_(None))
    )  # fmt: skip
    if notification_id is not None:
        found = session.get(Notification, notification_id)
        if found is None or found.organisation_id != principal.organisation_id:
            raise NotFound(f"notification {notification_id} not found")
        unread = unread.where(Notification.id == notification_id)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # a second tab marking the same notifications at once is not an error
    statement = (
        insert(NotificationRead)
        .from_select(["notification_id", "user_id", "read_at"], unread)
        .on_conflict_do_nothing()
        .returning(NotificationRead.notification_id)  # counted: rowcount is -1 on psycopg here
    )
    return len(session.execute(statement).all())


# --- outcomes for statistics ------------------------------------------------------------------


def _granted(stmt: Select[Any]) -> Select[Any]:
    """Granted outcomes joined to the demanding enterprise (the grant statistics' common base)."""
    return (
        stmt.join(FinancingDemand, FinancingDemand.id == DemandInterest.demand_id)
        .join(Organisation, Organisation.id == FinancingDemand.organisation_id)
        .where(DemandInterest.status == GRANTED)
    )


def granted_by_bank(session: Session, *, until: date | None = None) -> pl.DataFrame:
    """Granted outcomes up to ``until`` per (lending bank, enterprise), in one grouped query:
    ``bank_id``, ``organisation_id``, ``uscc``, ``grants``, ``granted_amount_fen``. No
    permission check: the calling service (statistics) scopes its own output."""
    stmt = _granted(
        select(
            DemandInterest.organisation_id,
            Organisation.id,
            Organisation.uscc,
            func.count(DemandInterest.id),
            func.coalesce(func.sum(DemandInterest.granted_amount_fen), 0),
        )
    ).group_by(DemandInterest.organisation_id, Organisation.id, Organisation.uscc)
    if until is not None:
        stmt = stmt.where(DemandInterest.granted_on <= until)
    schema = {
        "bank_id": pl.Int64, "organisation_id": pl.Int64, "uscc": pl.String,
        "grants": pl.Int64, "granted_amount_fen": pl.Int64,
    }  # fmt: skip
    rows = [(b, o, u, n, int(a)) for b, o, u, n, a in session.execute(stmt).all()]
    return pl.DataFrame(rows, schema=schema, orient="row")


def granted_enterprises(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    bank_organisation_id: int | None = None,
) -> list[GrantedEnterprise]:
    """Enterprises with at least one granted outcome on the marketplace (for 获贷率).

    ``since``/``until`` filter on ``granted_on`` (inclusive); ``bank_organisation_id`` keeps one
    lender's grants. No permission check: the calling service (statistics) scopes its own output.
    Returns organisation id, 统一社会信用代码, number of grants and granted amount (fen)."""
    stmt = (
        _granted(
            select(
                Organisation.id,
                Organisation.uscc,
                func.count(DemandInterest.id),
                func.coalesce(func.sum(DemandInterest.granted_amount_fen), 0),
            )
        )
        .group_by(Organisation.id, Organisation.uscc)
        .order_by(Organisation.id)
    )
    if since is not None:
        stmt = stmt.where(DemandInterest.granted_on >= since)
    if until is not None:
        stmt = stmt.where(DemandInterest.granted_on <= until)
    if bank_organisation_id is not None:
        stmt = stmt.where(DemandInterest.organisation_id == bank_organisation_id)
    return [
        GrantedEnterprise(organisation_id=i, uscc=u, grants=n, granted_amount_fen=int(a))
        for i, u, n, a in session.execute(stmt).all()
    ]


def market_statistics(session: Session, principal: Principal) -> MarketStatistics:
    """Marketplace totals for regulators and admins: products, demands by state, outcomes,
    获贷率 (enterprises with a granted outcome ÷ enterprises with a demand not withdrawn) and the
    activity of each institution."""
    require(principal, OVERSIGHT)
    by_type = dict(
        session.execute(
            select(Product.product_type, func.count()).where(Product.is_active.is_(True))
            .group_by(Product.product_type)
        ).all()
    )  # fmt: skip
    by_status = dict(
        session.execute(
            select(FinancingDemand.status, func.count()).group_by(FinancingDemand.status)
        ).all()
    )
    interest_rows = session.execute(
        select(DemandInterest.organisation_id, DemandInterest.status, func.count(),
               func.coalesce(func.sum(DemandInterest.granted_amount_fen), 0))
        .group_by(DemandInterest.organisation_id, DemandInterest.status)
    ).all()  # fmt: skip
    with_demand = session.execute(
        select(func.count(func.distinct(FinancingDemand.organisation_id))).where(
            FinancingDemand.status != WITHDRAWN
        )
    ).scalar_one()
    granted = granted_enterprises(session)
    products_per_org = dict(
        session.execute(
            select(Product.organisation_id, func.count()).where(Product.is_active.is_(True))
            .group_by(Product.organisation_id)
        ).all()
    )  # fmt: skip
    activity: dict[int, dict[str, int]] = {}
    for org_id, status, n, amount in interest_rows:
        a = activity.setdefault(org_id, {"interests": 0, "chosen": 0, "granted": 0,
                                         "declined": 0, "amount": 0})  # fmt: skip
        a["interests"] += n
        if status in (PICKED, GRANTED, DECLINED):
            a["chosen"] += n
        if status == GRANTED:
            a["granted"] += n
            a["amount"] += int(amount)
        if status == DECLINED:
            a["declined"] += n
    org_ids = set(activity) | set(products_per_org)
    orgs = _org_names(session, org_ids)
    by_bank = sorted(
        (
            BankActivity(
                organisation_id=i,
                organisation_name=orgs[i].name_zh,
                products=products_per_org.get(i, 0),
                interests=activity.get(i, {}).get("interests", 0),
                chosen=activity.get(i, {}).get("chosen", 0),
                granted=activity.get(i, {}).get("granted", 0),
                declined=activity.get(i, {}).get("declined", 0),
                granted_amount_fen=activity.get(i, {}).get("amount", 0),
            )
            for i in org_ids
        ),
        key=lambda b: (-b.granted_amount_fen, -b.interests, b.organisation_id),
    )
    return MarketStatistics(
        products_active=sum(by_type.values()), products_by_type=by_type,
        demands_by_status=by_status, interests=sum(n for _, _, n, _ in interest_rows),
        granted=sum(b.granted for b in by_bank), declined=sum(b.declined for b in by_bank),
        granted_amount_fen=sum(g.granted_amount_fen for g in granted),
        enterprises_with_demand=with_demand, enterprises_granted=len(granted),
        loan_success_rate=(len(granted) / with_demand) if with_demand else None,
        by_bank=by_bank,
    )  # fmt: skip
