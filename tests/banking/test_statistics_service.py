"""Green credit statistics service: figures checked by hand on the two-bank world
(tests/banking/two_banks.py), scoping by organisation, the green-enterprise list, Excel."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import polars as pl
import pytest

from greenfin.banking import statistics as gs
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import statistics
from greenfin.services.errors import Forbidden, InvalidInput, NotFound
from greenfin.store.models import Project
from tests.banking import two_banks as tb
from tests.banking.two_banks import ACTOR, NOW


@pytest.fixture
def world(db, tmp_path):
    with db.session() as session:
        built = tb.build(session, tmp_path)
    return db, tmp_path, built


def row(frame: pl.DataFrame, **where: object) -> dict:
    hits = frame.filter(*[pl.col(k) == v for k, v in where.items()])
    assert hits.height == 1, (where, hits)
    return hits.row(0, named=True)


def test_summary_by_use_district_and_growth_match_hand_computation(world):
    db, data_dir, w = world
    with db.session() as session:
        stats = statistics.green_credit_statistics(session, ACTOR, data_dir=data_dir)
    assert stats.as_of == NOW and stats.as_of_dates == [tb.BEFORE, NOW]
    assert stats.synthetic and stats.basis == "bank"
    summary = stats.tables["summary"]
    a = row(summary, bank=w.name_a)
    assert (a["total_balance_fen"], a["green_balance_fen"]) == (100_000_000, 70_000_000)
    assert a["green_share"] == pytest.approx(0.7)
    assert a["green_npl_ratio"] == pytest.approx(3 / 7)  # A2 次级
    assert a["credit_loan_ratio"] == pytest.approx(4 / 7)  # A1 信用
    assert a["yoy"] == pytest.approx(70 / 35 - 1)  # 700,000 vs 350,000 a year earlier
    assert a["qoq"] is None  # no book at 2026-06-30
    b = row(summary, bank=w.name_b)
    assert (b["green_balance_fen"], b["yoy"], b["credit_loan_ratio"]) == (20_000_000, 0.0, 0.0)
    total = row(summary, bank=gs.ALL_BANKS)
    assert (total["total_balance_fen"], total["green_balance_fen"]) == (130_000_000, 90_000_000)
    assert total["yoy"] == pytest.approx(90 / 55 - 1)

    use = stats.tables["by_use"].filter(pl.col("bank") == gs.ALL_BANKS)
    assert row(use, category="4")["balance_fen"] == 60_000_000  # A1 + B1
    assert row(use, category="4")["share"] == pytest.approx(2 / 3)
    assert row(use, category="6")["balance_fen"] == 30_000_000  # A2
    assert use.get_column("share").sum() == pytest.approx(1.0)

    districts = stats.tables["by_district"].filter(pl.col("bank") == gs.ALL_BANKS)
    assert row(districts, category="110112")["balance_fen"] == 60_000_000  # 通州: A1 + B1
    centre = row(districts, category=gs.SUB_CENTRE)
    assert (centre["balance_fen"], centre["of_which"]) == (40_000_000, True)  # A1 only
    assert centre["share"] == pytest.approx(4 / 9)
    assert row(districts, category="110105")["balance_fen"] == 30_000_000  # 朝阳: A2
    assert districts.height == 17  # 16 districts + 城市副中心

    trend = stats.tables["trend"].filter(pl.col("bank") == w.name_a)
    assert trend.sort("as_of").get_column("green_balance_fen").to_list() == [35_000_000, 70_000_000]


def test_2019_structure_and_platform_bases_are_configuration(world):
    db, data_dir, _w = world
    with db.session() as session:
        s2019 = statistics.green_credit_statistics(
            session, ACTOR, structure="2019", data_dir=data_dir
        )
        strict = statistics.green_credit_statistics(
            session, ACTOR, basis="platform_strict", data_dir=data_dir
        )
        with pytest.raises(InvalidInput) as bad:
            statistics.green_credit_statistics(session, ACTOR, structure="2031", data_dir=data_dir)
        assert bad.value.problems[0].field == "structure"
        with pytest.raises(InvalidInput) as bad_date:
            statistics.green_credit_statistics(
                session, ACTOR, as_of=date(2026, 6, 30), data_dir=data_dir
            )
        assert bad_date.value.problems[0].field == "as_of"
    use = s2019.tables["by_use"].filter(pl.col("bank") == gs.ALL_BANKS)
    assert {c.category for c in gs.categories("2019")} <= set(use.get_column("category"))
    assert use.get_column("balance_fen").sum() == 90_000_000  # same loans, other categories
    # a loan book carries no technical parameters: nothing reaches the strict verdict
    assert row(strict.tables["summary"], bank=gs.ALL_BANKS)["green_balance_fen"] == 0


def test_green_enterprise_rate_fallback_then_approved_projects(world):
    db, data_dir, w = world
    with db.session() as session:
        fallback = statistics.green_credit_statistics(session, ACTOR, data_dir=data_dir)
    assert fallback.green_enterprise_list == statistics.LIST_FALLBACK
    assert fallback.green_enterprises == 2  # U1 and U2 borrow green on 2026-09-30
    rates = fallback.tables["green_enterprises"]
    assert row(rates, bank=w.name_a)["rate"] == 1.0  # A lends to U1 and U2
    assert row(rates, bank=w.name_b)["rate"] == 0.5  # B lends to U1, not to U2
    assert row(rates, bank=gs.ALL_BANKS)["rate"] == 1.0  # by construction of the fallback
    with db.session() as session:
        session.add(Project(
            organisation_id=w.enterprise2, name="公交（示例）", description="新能源公交",
            industry_code="5411", district_code="110105", total_investment_fen=1, status="approved",
        ))  # fmt: skip
        session.add(Project(
            organisation_id=w.enterprise, name="草稿（示例）", description="草稿",
            industry_code="4416", district_code="110112", total_investment_fen=1, status="draft",
        ))  # fmt: skip
    with db.session() as session:
        listed = statistics.green_credit_statistics(session, ACTOR, data_dir=data_dir)
    assert listed.green_enterprise_list == statistics.LIST_PROJECTS
    assert listed.green_enterprises == 1  # only the approved project's owner, U2
    rates = listed.tables["green_enterprises"]
    assert row(rates, bank=w.name_a)["rate"] == 1.0  # A lends to U2
    assert row(rates, bank=w.name_b)["rate"] == 0.0  # B does not
    assert row(rates, bank=gs.ALL_BANKS)["with_loans"] == 1


def test_a_bank_sees_only_its_own_bank(world):
    db, data_dir, w = world
    bank_user = tb.principal(Role.BANK, w.bank_a, OrgKind.BANK)
    with db.session() as session:
        own = statistics.green_credit_statistics(session, bank_user, data_dir=data_dir)
        for name, table in own.tables.items():
            assert set(table.get_column("bank")) == {w.name_a}, name
        assert own.banks == [(w.bank_a, w.name_a)]
        same = statistics.green_credit_statistics(
            session, bank_user, bank_organisation_id=w.bank_a, data_dir=data_dir
        )
        assert same.tables["summary"].equals(own.tables["summary"])
        with pytest.raises(NotFound):
            statistics.green_credit_statistics(
                session, bank_user, bank_organisation_id=w.bank_b, data_dir=data_dir
            )
        regulator = tb.principal(Role.REGULATOR, w.regulator, OrgKind.REGULATOR)
        one = statistics.green_credit_statistics(
            session, regulator, bank_organisation_id=w.bank_b, data_dir=data_dir
        )
        assert set(one.tables["summary"].get_column("bank")) == {w.name_b}
        for role in (Role.ENTERPRISE, Role.REVIEWER):
            with pytest.raises(Forbidden):
                statistics.green_credit_statistics(
                    session, tb.principal(role, w.enterprise, OrgKind.ENTERPRISE),
                    data_dir=data_dir,
                )  # fmt: skip


def test_excel_export_opens_with_definitions_and_synthetic_label(world):
    db, data_dir, w = world
    with db.session() as session:
        stats = statistics.green_credit_statistics(session, ACTOR, data_dir=data_dir)
    book = openpyxl.load_workbook(io.BytesIO(statistics.workbook_bytes(stats)))
    assert book.sheetnames == ["说明", *(sheet for _k, sheet, _en in statistics.TABLES)]
    notes = [[c.value for c in r] for r in book["说明"].iter_rows()]
    assert ["示例", "示例数据（synthetic demo data）：不代表任何真实银行。"] in notes
    assert any(r[0] == "绿色企业获贷率 / Green-enterprise loan-access rate" for r in notes)
    summary = book["汇总"]
    header = [c.value for c in summary[1]]
    assert header[:2] == ["报告日期 As of", "银行 Bank"]
    rows = {r[1]: dict(zip(header, r, strict=True))
            for r in summary.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    assert rows[w.name_a]["绿色贷款余额（万元）"] == pytest.approx(70.0)  # 700,000 CNY
    assert rows[gs.ALL_BANKS]["各项贷款余额（万元）"] == pytest.approx(130.0)
    assert rows[w.name_a]["绿色贷款不良率"] == pytest.approx(3 / 7)
    assert summary.cell(row=2, column=header.index("绿色贷款占比") + 1).number_format == "0.00%"
    districts = [r for r in book["按区域"].iter_rows(min_row=2, values_only=True)]
    assert any(r[3] == "其中：城市副中心" for r in districts)


def test_no_analysed_book_gives_an_empty_answer_and_workbook(db, tmp_path):
    with db.session() as session:
        stats = statistics.green_credit_statistics(session, ACTOR, data_dir=tmp_path)
    assert stats.empty and stats.tables == {}
    book = openpyxl.load_workbook(io.BytesIO(statistics.workbook_bytes(stats)))
    assert book.sheetnames[0] == "说明"
