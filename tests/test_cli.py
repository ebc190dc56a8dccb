"""CLI contract: db upgrade, demo load (idempotent, with progress), users create, audit verify."""

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.settings import get_settings
from greenfin.store.models import Organisation, User
from tests.conftest import reset

runner = CliRunner()


@pytest.fixture
def cli_db(db, monkeypatch):
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()
    reset(db)


def count(db, model):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_db_upgrade_is_repeatable(cli_db):
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output


def test_demo_load_then_again_changes_nothing(cli_db):
    first = runner.invoke(app, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo-admin" in first.output and "greenfin-demo" in first.output
    orgs = count(cli_db, Organisation)
    assert orgs >= 200 + 12 + 3
    second = runner.invoke(app, ["demo", "load"])
    assert second.exit_code == 0 and "already present" in second.output
    assert count(cli_db, Organisation) == orgs


def test_users_create(cli_db):
    runner.invoke(app, ["demo", "load"])
    users = count(cli_db, User)
    with cli_db.session() as session:
        bank_code = session.execute(
            select(Organisation.uscc).where(Organisation.kind == "bank").limit(1)
        ).scalar_one()
    ok = runner.invoke(
        app,
        ["users", "create", "--username", "loan-officer", "--organisation", bank_code,
         "--role", "bank", "--password", "a-long-password"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert count(cli_db, User) == users + 1
    wrong_role = runner.invoke(
        app,
        ["users", "create", "--username", "x-officer", "--organisation", bank_code,
         "--role", "enterprise", "--password", "a-long-password"],
    )  # fmt: skip
    assert wrong_role.exit_code == 1 and "role" in wrong_role.output
    no_org = runner.invoke(
        app,
        ["users", "create", "--username", "y-officer", "--organisation", "999999",
         "--role", "bank", "--password", "a-long-password"],
    )  # fmt: skip
    assert no_org.exit_code == 1 and "organisation" in no_org.output
    assert count(cli_db, User) == users + 1
