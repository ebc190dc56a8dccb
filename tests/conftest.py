"""Shared fixtures. Database tests run on every backend: SQLite always, PostgreSQL when
``GREENFIN_TEST_PG_URL`` is set (scripts/test.sh always sets it; ``GREENFIN_REQUIRE_PG=1`` makes its
absence an error instead of a skip, so CI can never pass on SQLite alone)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from greenfin.app import create_app
from greenfin.ledger import GENESIS_HASH
from greenfin.services.demo import load_demo
from greenfin.settings import Settings
from greenfin.store import Database, upgrade_database
from greenfin.store.models import Base

PG_URL = os.environ.get("GREENFIN_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("GREENFIN_REQUIRE_PG") == "1"
BACKENDS = ["sqlite", "postgresql"]
DEMO_PASSWORD = "greenfin-demo"


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError("GREENFIN_REQUIRE_PG=1 but GREENFIN_TEST_PG_URL is not set")
    # files written through the environment's settings (demo loan books of `demo load`, the CLI)
    # go to a temporary directory, not ./var of the checkout
    os.environ.setdefault("GREENFIN_DATA_DIR", tempfile.mkdtemp(prefix="greenfin-test-data-"))


class BackendFactory:
    """Creates isolated, migrated databases: SQLite files or PostgreSQL schemas."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.schemas: list[str] = []

    def new(self, backend: str) -> Database:
        name = f"gf_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / (name + '.sqlite3')}"
        else:
            if not PG_URL:
                pytest.skip("PostgreSQL not configured (set GREENFIN_TEST_PG_URL)")
            admin = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            admin.dispose()
            self.schemas.append(name)
            url = (
                _psycopg(PG_URL)
                + ("&" if "?" in PG_URL else "?")
                + f"options=-csearch_path%3D{name}"
            )
        upgrade_database(url)
        return Database(url)

    def drop_all(self) -> None:
        if not self.schemas:
            return
        admin = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def _psycopg(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def backend_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendFactory]:
    factory = BackendFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


def reset(database: Database) -> None:
    """Empty every table and re-seed the ledger head, as a fresh migration leaves it."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
        )


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _clean_database(backend: str, backend_factory: BackendFactory) -> Iterator[Database]:
    database = backend_factory.new(backend)
    yield database
    database.dispose()


@pytest.fixture
def db(_clean_database: Database) -> Database:
    """An empty, migrated database on the current backend (emptied before each test)."""
    reset(_clean_database)
    return _clean_database


@pytest.fixture(scope="session")
def demo_db(backend: str, backend_factory: BackendFactory) -> Iterator[Database]:
    """A database holding the demo population, shared by tests that only add to it."""
    database = backend_factory.new(backend)
    with database.session() as session:
        load_demo(session)
    yield database
    database.dispose()


ROLE_USERS = {
    "enterprise": "demo-enterprise",
    "bank": "demo-bank",
    "reviewer": "demo-reviewer",
    "regulator": "demo-regulator",
    "admin": "demo-admin",
}


def make_settings(tmp: Path, database: Database) -> Settings:
    return Settings(
        data_dir=tmp,
        database_url=database.url,
        secret_key="test-secret-" + "x" * 32,
        token_ttl_hours=1,
        session_max_age_seconds=3600,
        secure_cookies=False,
    )


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, db), db)) as test_client:
        yield test_client


@pytest.fixture
def demo_client(demo_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, demo_db), demo_db)) as test_client:
        yield test_client


def api_token(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def web_login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/home"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


# --- bank loan books (issue #5) -----------------------------------------------------------------


@pytest.fixture(scope="session")
def banking_db(
    backend: str, backend_factory: BackendFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Path]]:
    """The demo population plus the demo banks' analysed loan books (5 quarter ends) and the demo
    qualitative evaluation scores, with the data directory holding their files. Shared by the
    session: tests only add to it."""
    data_dir = tmp_path_factory.mktemp("banking-data")
    database = backend_factory.new(backend)
    with database.session() as session:
        load_demo(session, loan_books=True, data_dir=data_dir)
    yield database, data_dir
    database.dispose()


@pytest.fixture
def banking_client(banking_db: tuple[Database, Path]) -> Iterator[TestClient]:
    """A client over :func:`banking_db` serving its data directory."""
    database, data_dir = banking_db
    with TestClient(create_app(make_settings(data_dir, database), database)) as test_client:
        yield test_client
