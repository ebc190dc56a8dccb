"""The one store layer: SQLAlchemy models, engine/session set-up, Alembic migrations."""

from greenfin.store.db import Database, upgrade_database

__all__ = ["Database", "upgrade_database"]
