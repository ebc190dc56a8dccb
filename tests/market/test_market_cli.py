"""CLI face: ``greenfin market match PROJECT_ID`` (as the operator)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.settings import get_settings
from tests.market.world import build

runner = CliRunner()


@pytest.fixture
def cli_world(db, monkeypatch):
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    get_settings.cache_clear()
    with db.session() as session:
        world = build(session, banks=2)
    yield world
    get_settings.cache_clear()


def test_match_lists_ranked_products_with_reasons(cli_world):
    result = runner.invoke(app, ["market", "match", str(cli_world.draft.id), "--reasons"])
    assert result.exit_code == 0, result.output
    assert "2 eligible products" in result.output
    assert "光伏项目贷（测试）" in result.output
    assert "目录条目 4.2.2 属于产品列明的一级类别 (+20)" in result.output


def test_unknown_project_exits_1(cli_world):
    result = runner.invoke(app, ["market", "match", "999999"])
    assert result.exit_code == 1
    assert "project 999999 not found" in result.output
