"""Appending to and verifying the ledger in the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.identity.principal import Actor
from greenfin.ledger.chain import GENESIS_HASH, canonical_json, payload_digest, record_hash
from greenfin.store.models import AuditRecord, LedgerHead

HEAD_ID = 1


def _head(session: Session) -> LedgerHead:
    head = session.execute(
        select(LedgerHead).where(LedgerHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:  # a database created without the migration's seed row
        head = LedgerHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def append(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    payload: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Append one record in the caller's transaction (it commits or rolls back with the change).

    The head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions are
    ``BEGIN IMMEDIATE``), so concurrent writers serialise instead of forking the chain.
    """
    head = _head(session)
    payload_json = canonical_json(dict(payload or {}))
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "occurred_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": actor.user_id,
        "actor_username": actor.username,
        "organisation_id": actor.organisation_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "payload_digest": payload_digest(payload_json),
        "prev_hash": head.hash,
    }
    fields["hash"] = record_hash(fields)
    record = AuditRecord(payload_json=payload_json, **fields)
    session.add(record)
    head.seq, head.hash = record.seq, record.hash
    session.flush()
    return record


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def record_fields(record: AuditRecord) -> dict[str, Any]:
    return {column.key: getattr(record, column.key) for column in AuditRecord.__table__.columns}


def verify(session: Session, batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in sequence order; report the first record that does not fit."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(batch_size)
    for record in rows.scalars():
        fields = record_fields(record)
        if record.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                f"record {expected_seq} is missing (next is {record.seq})",
            )
        if record.prev_hash != prev_hash:
            return VerifyResult(
                False, checked, record.seq, "prev_hash does not match the record before"
            )
        if payload_digest(record.payload_json) != record.payload_digest:
            return VerifyResult(False, checked, record.seq, "payload was altered (digest mismatch)")
        if record_hash(fields) != record.hash:
            return VerifyResult(
                False, checked, record.seq, "record fields were altered (hash mismatch)"
            )
        prev_hash, expected_seq, checked = record.hash, expected_seq + 1, checked + 1
    head = session.get(LedgerHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"ledger head says {head_seq} records but the chain ends at {checked}: "
            "newest records were deleted or the head was altered",
        )
    return VerifyResult(True, checked)


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
