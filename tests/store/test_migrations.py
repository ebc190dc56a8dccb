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
