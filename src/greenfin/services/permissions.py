"""Role checks inside services (the faces check too; services never trust them)."""

from __future__ import annotations

from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.services.errors import Forbidden

AUDIT_READERS = frozenset({Role.REGULATOR, Role.ADMIN})
USER_ADMINS = frozenset({Role.ADMIN})
ORGANISATION_ADMINS = frozenset({Role.ADMIN})


def require(principal: Principal, allowed: frozenset[Role]) -> None:
    if principal.role not in allowed:
        raise Forbidden(f"role {principal.role.value} may not do this")
