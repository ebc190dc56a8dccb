"""Request-scoped dependencies for the API: database session, bearer principal, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from greenfin.access import ALL_ROLES, PUBLIC, mark
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services import auth
from greenfin.services.errors import Forbidden, Unauthenticated
from greenfin.store.db import Database

bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request) -> Iterator[Session]:
    """A session per request. Write endpoints commit explicitly before they answer, so a failed
    commit can never be reported as success; anything uncommitted is rolled back here."""
    session = request.app.state.db.new_session()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def bearer_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    return auth.principal_for_token(session, credentials.credentials)


def allow(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the bearer principal, provided its role is one of ``roles`` (all if none)."""
    allowed = frozenset(roles) or ALL_ROLES

    def check(principal: Annotated[Principal, Depends(bearer_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value} may not use this endpoint")
        return principal

    return mark(check, allowed)


def public() -> None:
    """Dependency marking a route as open to anyone."""


mark(public, PUBLIC)
