"""Browsing and verifying the audit ledger (regulators and admins)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.identity.principal import Principal
from greenfin.services.errors import Page
from greenfin.services.permissions import AUDIT_READERS, require
from greenfin.store.models import AuditRecord


class AuditRecordOut(BaseModel):
    seq: int
    occurred_at: str
    actor_user_id: int | None
    actor_username: str
    organisation_id: int | None
    action: str
    object_type: str
    object_id: str
    payload: dict[str, Any]
    payload_digest: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, r: AuditRecord) -> AuditRecordOut:
        return cls(
            seq=r.seq,
            occurred_at=r.occurred_at,
            actor_user_id=r.actor_user_id,
            actor_username=r.actor_username,
            organisation_id=r.organisation_id,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            payload=json.loads(r.payload_json),
            payload_digest=r.payload_digest,
            prev_hash=r.prev_hash,
            hash=r.hash,
        )


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None


def browse(
    session: Session,
    principal: Principal,
    *,
    action: str | None = None,
    actor: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[AuditRecordOut]:
    require(principal, AUDIT_READERS)
    stmt = select(AuditRecord)
    if action:
        stmt = stmt.where(AuditRecord.action.like(f"{action}%"))
    if actor:
        stmt = stmt.where(AuditRecord.actor_username == actor)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(AuditRecord.seq.desc()).offset(offset).limit(limit))
    return Page([AuditRecordOut.of(r) for r in rows.scalars()], total, offset, limit)


def verify(session: Session, principal: Principal | None = None) -> VerifyOut:
    """Verify the whole chain. ``principal`` is None only for the operator's CLI."""
    if principal is not None:
        require(principal, AUDIT_READERS)
    result = ledger.verify(session)
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
    )
