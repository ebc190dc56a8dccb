"""The acting user as services see it: who, in which role, for which organisation."""

from __future__ import annotations

from dataclasses import dataclass

from greenfin.identity.roles import SEES_ALL_ORGANISATIONS, OrgKind, Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    organisation_kind: OrgKind
    organisation_name: str

    def may_see_organisation(self, organisation_id: int) -> bool:
        return self.role in SEES_ALL_ORGANISATIONS or organisation_id == self.organisation_id


@dataclass(frozen=True)
class SystemActor:
    """Work done by the platform itself or an operator at the command line (no logged-in user)."""

    username: str = "system"
    user_id: None = None
    organisation_id: None = None


Actor = Principal | SystemActor
