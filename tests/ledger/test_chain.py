from greenfin.ledger.chain import GENESIS_HASH, HASHED_FIELDS, payload_digest, record_hash

FIELDS = {
    "seq": 1,
    "occurred_at": "2026-11-27T00:00:00.000000+00:00",
    "actor_user_id": 7,
    "actor_username": "demo-admin",
    "organisation_id": 1,
    "action": "organisation.created",
    "object_type": "organisation",
    "object_id": "12",
    "payload_digest": payload_digest('{"name_zh":"示例"}'),
    "prev_hash": GENESIS_HASH,
}


def test_hash_is_deterministic_and_sensitive_to_every_field():
    base = record_hash(FIELDS)
    assert base == record_hash(dict(FIELDS))
    assert len(base) == 64
    for name in HASHED_FIELDS:
        changed = dict(FIELDS)
        value = changed[name]
        changed[name] = value + 1 if isinstance(value, int) else f"{value}x"
        assert record_hash(changed) != base, name


def test_payload_digest_is_sha256_of_utf8():
    # sha256("") is a published constant
    assert payload_digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
