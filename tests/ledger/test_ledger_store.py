"""Tamper-evidence of the audit ledger on every backend: edits, deletions and reordering."""

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from greenfin import ledger
from greenfin.cli import app as cli
from greenfin.identity.principal import SystemActor
from greenfin.ledger.store import record_fields
from greenfin.store import Database

ACTOR = SystemActor(username="tester")


def fill(db: Database, n: int = 5) -> None:
    with db.session() as session:
        for i in range(1, n + 1):
            ledger.append(session, ACTOR, "test.event", "thing", i, {"i": i, "名称": "示例"})


def verify(db: Database) -> ledger.VerifyResult:
    with db.session() as session:
        return ledger.verify(session)


def sql(db: Database, *statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_intact_chain_verifies(db):
    fill(db)
    result = verify(db)
    assert result.ok and result.checked == 5


def test_records_link_to_their_predecessor(db):
    fill(db, 3)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, prev_hash, hash FROM audit_records ORDER BY seq")
        ).all()
    assert rows[0].prev_hash == ledger.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


@pytest.mark.parametrize(
    "column, value",
    [
        ("payload_json", '{"i":3,"名称":"篡改"}'),
        ("action", "test.other"),
        ("actor_username", "someone-else"),
        ("occurred_at", "2020-01-01T00:00:00.000000+00:00"),
        ("object_id", "99"),
    ],
)
def test_edited_record_is_named(db, column, value):
    fill(db)
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_records SET {column} = :v WHERE seq = 3"), {"v": value})
    result = verify(db)
    assert not result.ok
    assert result.first_broken_seq == 3


def test_edit_with_recomputed_own_hash_breaks_the_next_link(db):
    """A forger who recomputes the edited row's digest and hash still breaks record 4."""
    fill(db)
    with db.session() as session:
        from greenfin.store.models import AuditRecord

        record = session.get(AuditRecord, 3)
        record.payload_json = '{"i":3,"forged":true}'
        record.payload_digest = ledger.payload_digest(record.payload_json)
        record.hash = ledger.record_hash(record_fields(record))
    result = verify(db)
    assert not result.ok and result.first_broken_seq == 4


def test_deleted_middle_record_is_named(db):
    fill(db)
    sql(db, "DELETE FROM audit_records WHERE seq = 2")
    result = verify(db)
    assert not result.ok and result.first_broken_seq == 2
    assert "missing" in result.reason


def test_deleted_newest_record_is_caught_by_the_head(db):
    fill(db)
    sql(db, "DELETE FROM audit_records WHERE seq = 5")
    result = verify(db)
    assert not result.ok and result.first_broken_seq == 5
    assert "head" in result.reason


def test_reordered_records_are_named(db):
    fill(db)
    sql(
        db,
        "UPDATE audit_records SET seq = -1 WHERE seq = 2",
        "UPDATE audit_records SET seq = 2 WHERE seq = 3",
        "UPDATE audit_records SET seq = 3 WHERE seq = -1",
    )
    result = verify(db)
    assert not result.ok and result.first_broken_seq == 2


def test_append_rolls_back_with_the_callers_transaction(db):
    fill(db, 2)
    with pytest.raises(RuntimeError), db.session() as session:
        ledger.append(session, ACTOR, "test.event", "thing", 3)
        raise RuntimeError("the business change failed")
    result = verify(db)
    assert result.ok and result.checked == 2


def test_cli_audit_verify_exit_codes(db, monkeypatch):
    fill(db)
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    from greenfin.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = runner.invoke(cli, ["audit", "verify"])
        assert ok.exit_code == 0, ok.output
        assert "5 records verified" in ok.output
        sql(db, "UPDATE audit_records SET action = 'x' WHERE seq = 4")
        broken = runner.invoke(cli, ["audit", "verify"])
        assert broken.exit_code == 1
        assert "record 4" in broken.output
    finally:
        get_settings.cache_clear()
