"""Pure hashing rules of the ledger (no database).

record_hash = SHA-256 over the canonical JSON (sorted keys, UTF-8, no spaces) of
``seq, occurred_at, actor_user_id, actor_username, organisation_id, action, object_type,
object_id, payload_digest, prev_hash``. The first record's ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_user_id",
    "actor_username",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "payload_digest",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def payload_digest(payload_json: str) -> str:
    return hashlib.sha256(payload_json.encode("utf-8")).hexdigest()


def record_hash(fields: dict[str, Any]) -> str:
    material = canonical_json({name: fields[name] for name in HASHED_FIELDS})
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
