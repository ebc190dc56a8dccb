"""Hash-chained, tamper-evident audit ledger.

Each record's hash covers its own fields and the previous record's hash, so editing, deleting or
reordering any row breaks the chain from that row on; a separate head row (last seq and hash,
updated in the same transaction) catches deletion of the newest rows.
"""

from greenfin.ledger.chain import GENESIS_HASH, payload_digest, record_hash
from greenfin.ledger.store import VerifyResult, append, verify

__all__ = ["GENESIS_HASH", "VerifyResult", "append", "payload_digest", "record_hash", "verify"]
