from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from greenfin.store.db import alembic_config
from greenfin.store.models import Base


def test_migrations_match_the_models(db):
    """The migrated schema has every table, column and index the ORM declares."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_ledger_head_is_seeded(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM ledger_head WHERE id = 1")).scalar_one() == 0


def test_downgrade_to_base_and_back(backend, backend_factory):
    from alembic import command

    database = backend_factory.new(backend)
    cfg = alembic_config(database.url)
    command.downgrade(cfg, "base")
    assert "organisations" not in inspect(database.engine).get_table_names()
    command.upgrade(cfg, "head")
    assert "organisations" in inspect(database.engine).get_table_names()
    database.dispose()


def test_sqlite_runs_in_wal_mode(db):
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one().lower() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def _organisation(conn, uscc: str, name: str, kind: str) -> int:
    """An organisation row written in raw SQL (the ORM follows the head schema, not the old one)."""
    return conn.execute(
        text(
            "INSERT INTO organisations (uscc, name_zh, kind, district_code, in_city_sub_centre, "
            "is_synthetic, created_at) VALUES (:uscc, :name, :kind, '110105', false, true, "
            "CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"uscc": uscc, "name": name, "kind": kind},
    ).scalar_one()


def test_0006_carries_organisation_reads_over_to_every_member_and_back(backend, backend_factory):
    from alembic import command

    database = backend_factory.new(backend)
    cfg = alembic_config(database.url)
    command.downgrade(cfg, "0005")
    with database.engine.begin() as conn:
        org = _organisation(conn, "91110105MA00000001", "测试银行", "bank")
        users = [
            conn.execute(
                text(
                    "INSERT INTO users (username, display_name, password_hash, is_active, "
                    f"is_synthetic, created_at) VALUES ('m{i}', 'm{i}', '-', true, true, "
                    "CURRENT_TIMESTAMP) RETURNING id"
                )
            ).scalar_one()
            for i in range(2)
        ]
        for user in users:
            conn.execute(
                text(
                    "INSERT INTO memberships (user_id, organisation_id, role) "
                    f"VALUES ({user}, {org}, 'bank')"
                )
            )
        for read in ("CURRENT_TIMESTAMP", "NULL"):
            conn.execute(
                text(
                    "INSERT INTO notifications (organisation_id, kind, message_zh, message_en, "
                    f"read_at, created_at) VALUES ({org}, 'k', 'z', 'e', {read}, CURRENT_TIMESTAMP)"
                )
            )
    command.upgrade(cfg, "0006")
    with database.engine.connect() as conn:
        reads = conn.execute(text("SELECT user_id FROM notification_reads")).scalars().all()
    assert sorted(reads) == sorted(users)  # the read one, for both members; the unread one not
    command.downgrade(cfg, "0005")
    with database.engine.connect() as conn:
        flags = conn.execute(text("SELECT read_at IS NOT NULL FROM notifications ORDER BY id"))
        assert [bool(f) for f in flags.scalars()] == [True, False]
    command.upgrade(cfg, "head")
    database.dispose()


def test_0007_says_the_screening_set_every_existing_item_and_back(backend, backend_factory):
    from alembic import command

    database = backend_factory.new(backend)
    cfg = alembic_config(database.url)
    command.downgrade(cfg, "0006")
    with database.engine.begin() as conn:
        org = _organisation(conn, "91110105MA00000002", "测试企业", "enterprise")
        for item in ("'4.2.2'", "NULL"):  # a screened project and a draft
            conn.execute(
                text(
                    "INSERT INTO projects (organisation_id, name, description, industry_code, "
                    "district_code, in_city_sub_centre, total_investment_fen, "
                    "technical_parameters_json, expected_outputs_json, status, version, edition, "
                    "item_code, search_text, is_synthetic, created_at, updated_at) VALUES "
                    f"({org}, 'p', 'd', '4416', '110105', false, 100, '{{}}', '{{}}', 'draft', 1, "
                    f"'green-finance-2025', {item}, '', true, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
    command.upgrade(cfg, "0007")
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT item_code, item_source FROM projects ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("4.2.2", "screening"), (None, None)]
    command.downgrade(cfg, "0006")
    columns = {c["name"] for c in inspect(database.engine).get_columns("projects")}
    assert "item_source" not in columns and "item_code" in columns
    command.upgrade(cfg, "head")
    database.dispose()
