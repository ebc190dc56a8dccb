"""CLI faces: ``greenfin statistics export`` and ``greenfin evaluation run`` on the two-bank
world (tests/banking/two_banks.py)."""

from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.services import evaluation
from greenfin.settings import get_settings
from tests.banking import two_banks as tb
from tests.banking.test_evaluation_service import scores

runner = CliRunner()


@pytest.fixture
def cli_world(db, tmp_path, monkeypatch):
    with db.session() as session:
        world = tb.build(session, tmp_path)
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    yield db, tmp_path, world
    get_settings.cache_clear()


def test_statistics_export_writes_the_workbook(cli_world, tmp_path):
    _db, _data, world = cli_world
    out = tmp_path / "stats.xlsx"
    result = runner.invoke(
        app, ["statistics", "export", "--as-of", "2026-09-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2026-09-30" in result.output
    book = openpyxl.load_workbook(out)
    names = {r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert names == {world.name_a, world.name_b, "全部银行"}
    one = runner.invoke(app, ["statistics", "export", "--bank", str(world.bank_b), "--out",
                              str(out)])  # fmt: skip
    assert one.exit_code == 0, one.output
    assert {r[1] for r in openpyxl.load_workbook(out)["汇总"].iter_rows(min_row=2,
            values_only=True)} == {world.name_b}  # fmt: skip
    bad = runner.invoke(app, ["statistics", "export", "--as-of", "2026-06-30", "--out", str(out)])
    assert bad.exit_code == 1 and "as_of" in bad.output


def test_evaluation_run_prints_grades_and_priority(cli_world):
    db, _data, world = cli_world
    pending = runner.invoke(app, ["evaluation", "run", "--quarter", "2026Q3"])
    assert pending.exit_code == 0, pending.output
    assert "grades pending" in pending.output
    with db.session() as session:
        evaluation.enter_qualitative(session, tb.ACTOR, "2026Q3", world.bank_a,
                                     scores("chongqing_2023", 100))  # fmt: skip
        evaluation.enter_qualitative(session, tb.ACTOR, "2026Q3", world.bank_b,
                                     scores("chongqing_2023", 50))  # fmt: skip
    graded = runner.invoke(
        app, ["evaluation", "run", "--quarter", "2026Q3", "--scheme", "chongqing_2023"]
    )
    assert graded.exit_code == 0, graded.output
    assert "二级" in graded.output and "四级" in graded.output and "示例" in graded.output
    assert "priority list" in graded.output
    wrong = runner.invoke(app, ["evaluation", "run", "--quarter", "2026Q3", "--scheme", "x"])
    assert wrong.exit_code == 1 and "scheme" in wrong.output
