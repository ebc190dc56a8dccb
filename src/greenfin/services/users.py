"""User accounts and their membership (role in one organisation)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from greenfin import ledger
from greenfin.identity.principal import Actor
from greenfin.identity.roles import OrgKind, Role, role_fits_org
from greenfin.services.auth import MIN_PASSWORD_LENGTH, hash_password
from greenfin.services.errors import Conflict, InvalidInput, Page
from greenfin.store.models import Membership, Organisation, User


class UserCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)]
    organisation_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    role: Role
    is_synthetic: bool = False


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    organisation_name_zh: str
    organisation_kind: OrgKind
    is_active: bool
    is_synthetic: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        membership = user.membership
        assert membership is not None  # every user is created with one
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(membership.role),
            organisation_id=membership.organisation_id,
            organisation_name_zh=membership.organisation.name_zh,
            organisation_kind=OrgKind(membership.organisation.kind),
            is_active=user.is_active,
            is_synthetic=user.is_synthetic,
        )


def create_user(session: Session, actor: Actor, data: UserCreate) -> UserOut:
    org = session.get(Organisation, data.organisation_id)
    if org is None:
        raise InvalidInput.on(
            "organisation_id", f"organisation {data.organisation_id} does not exist"
        )
    if not role_fits_org(data.role, OrgKind(org.kind)):
        raise InvalidInput.on(
            "role", f"role {data.role.value} cannot belong to a {org.kind} organisation"
        )
    if session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict.on("username", f"username {data.username} is taken")
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        is_synthetic=data.is_synthetic,
    )
    user.membership = Membership(organisation=org, role=data.role.value)
    session.add(user)
    session.flush()
    ledger.append(
        session,
        actor,
        "user.created",
        "user",
        user.id,
        data.model_dump(mode="json", exclude={"password"}),
    )
    return UserOut.of(user)


def list_users(session: Session, *, offset: int = 0, limit: int = 50) -> Page[UserOut]:
    total = session.execute(select(func.count()).select_from(User)).scalar_one()
    rows = session.execute(
        select(User)
        .options(joinedload(User.membership).joinedload(Membership.organisation))
        .order_by(User.id)
        .offset(offset)
        .limit(limit)
    ).scalars()
    return Page([UserOut.of(u) for u in rows], total, offset, limit)
