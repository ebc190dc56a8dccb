"""API v1 endpoints: auth, identity, organisations, users, audit ledger, reference data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from greenfin import reference
from greenfin.api.deps import SessionDep, allow, bearer, public
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import audit, auth, dashboard, organisations, users
from greenfin.services.errors import Page

T = TypeVar("T")

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int

    @classmethod
    def of(cls, page: Page[T]) -> PageOut[T]:
        return cls(items=page.items, total=page.total, offset=page.offset, limit=page.limit)


class TokenRequest(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class MeOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    organisation_kind: OrgKind
    organisation_name: str


class DistrictOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    has_city_sub_centre: bool
    source: str
    edition: str


# --- auth -------------------------------------------------------------------------------------


@router.post("/auth/token", response_model=TokenOut, dependencies=[Depends(public)], tags=["auth"])
def create_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenOut:
    """Exchange a username and password for a bearer token."""
    principal = auth.authenticate(session, body.username, body.password)
    token, expires_at = auth.issue_token(
        session, principal, request.app.state.settings.token_ttl_hours
    )
    session.commit()
    return TokenOut(access_token=token, expires_at=expires_at)


@router.delete("/auth/token", status_code=204, tags=["auth"])
def revoke_token(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
    credentials: Annotated[object, Depends(bearer)],
) -> Response:
    """Revoke the token used for this request."""
    auth.revoke_token(session, principal, credentials.credentials)  # type: ignore[attr-defined]
    session.commit()
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, tags=["auth"])
def me(principal: Annotated[Principal, Depends(allow())]) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        organisation_id=principal.organisation_id,
        organisation_kind=principal.organisation_kind,
        organisation_name=principal.organisation_name,
    )


# --- organisations ----------------------------------------------------------------------------


@router.get(
    "/organisations", response_model=PageOut[organisations.OrganisationOut], tags=["organisations"]
)
def list_organisations(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
    kind: OrgKind | None = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[organisations.OrganisationOut]:
    """Organisations visible to the caller: all for regulators, reviewers and admins; otherwise
    only the caller's own organisation."""
    page = organisations.list_organisations(
        session, principal, kind=kind, district=district, q=q, offset=offset, limit=limit
    )
    return PageOut.of(page)


@router.post(
    "/organisations",
    response_model=organisations.OrganisationOut,
    status_code=201,
    tags=["organisations"],
)
def create_organisation(
    body: organisations.OrganisationCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ADMIN))],
) -> organisations.OrganisationOut:
    created = organisations.create_organisation(session, principal, body)
    session.commit()
    return created


@router.get(
    "/organisations/{organisation_id}",
    response_model=organisations.OrganisationOut,
    tags=["organisations"],
)
def get_organisation(
    organisation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
) -> organisations.OrganisationOut:
    return organisations.get_organisation(session, principal, organisation_id)


# --- users ------------------------------------------------------------------------------------


@router.get("/users", response_model=PageOut[users.UserOut], tags=["users"])
def list_users(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.ADMIN))],
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[users.UserOut]:
    return PageOut.of(users.list_users(session, offset=offset, limit=limit))


@router.post("/users", response_model=users.UserOut, status_code=201, tags=["users"])
def create_user(
    body: users.UserCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ADMIN))],
) -> users.UserOut:
    created = users.create_user(session, principal, body)
    session.commit()
    return created


# --- audit ledger -----------------------------------------------------------------------------


@router.get("/audit", response_model=PageOut[audit.AuditRecordOut], tags=["audit"])
def browse_audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))],
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PageOut[audit.AuditRecordOut]:
    """Ledger records, newest first."""
    page = audit.browse(session, principal, action=action, actor=actor, offset=offset, limit=limit)
    return PageOut.of(page)


@router.get("/audit/verify", response_model=audit.VerifyOut, tags=["audit"])
def verify_audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))],
) -> audit.VerifyOut:
    """Walk the hash chain and report the first broken record, if any."""
    return audit.verify(session, principal)


# --- dashboards and reference data ------------------------------------------------------------


@router.get("/dashboard", response_model=dashboard.Overview, tags=["dashboard"])
def get_dashboard(
    session: SessionDep, principal: Annotated[Principal, Depends(allow())]
) -> dashboard.Overview:
    return dashboard.overview(session, principal)


@router.get(
    "/reference/districts",
    response_model=list[DistrictOut],
    dependencies=[Depends(public)],
    tags=["reference"],
)
def list_districts() -> list[DistrictOut]:
    """Beijing's 16 districts; 通州 holds the city sub-centre (城市副中心)."""
    return [DistrictOut(**d.__dict__) for d in reference.districts()]
