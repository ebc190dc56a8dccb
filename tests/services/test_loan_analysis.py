"""Loan-book analysis service and its faces: API, CLI; permissions, re-analysis, ledger."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from greenfin.banking import pipeline
from greenfin.banking import statistics as gs
from greenfin.cli import app
from greenfin.engine.partitioned import STORED_ADDED, read_result
from greenfin.identity.principal import SystemActor
from greenfin.services import loan_analysis, loans
from greenfin.services.auth import authenticate
from greenfin.services.errors import Forbidden, InvalidInput, NotFound
from greenfin.settings import get_settings
from greenfin.store.models import AuditRecord, LoanBookAnalysis, LoanBookImport, Organisation
from tests.banking.test_loan_import import HEADER, row
from tests.conftest import DEMO_PASSWORD, api_token

runner = CliRunner()
SOLAR = {"purpose": "屋顶分布式光伏电站建设", "industry_code": "4416"}  # → 4.2.2, needs_evidence
CASH = {"purpose": "补充流动资金", "industry_code": "5171"}  # → out_of_scope
EXTRA = "bank_green_tag,bank_catalogue_code"


def csv_book(bank: str, *loans_: tuple[dict[str, str], str, str], start: int = 1) -> bytes:
    """Loans as (purpose fields, bank_green_tag, bank_catalogue_code); 1,000,000.50 CNY each."""
    lines = [f"{HEADER},{EXTRA}"]
    for i, (fields, tag, code) in enumerate(loans_, start=start):
        lines.append(f"{row(i, bank, **fields)},{tag},{code}")
    return "\n".join(lines).encode()


THREE = (
    (SOLAR, "是", "4.2.2"),  # agree_green
    (CASH, "是", ""),  # bank_only
    (SOLAR, "", ""),  # platform_only
)


def banks(session) -> list[Organisation]:
    return list(
        session.execute(
            select(Organisation).where(Organisation.kind == "bank").order_by(Organisation.id)
        ).scalars()
    )


def count_analysed(session, import_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.action == "loanbook.analysed", AuditRecord.object_id == str(import_id))
    ).scalar_one()


# --- service --------------------------------------------------------------------------------


def test_analyse_import_summary_reanalysis_and_ledger(demo_db, tmp_path):
    actor = SystemActor(username="test")
    with demo_db.session() as session:
        bank = banks(session)[0]
        imported = loans.import_loan_book(
            session, actor, csv_book(bank.name_zh, *THREE, start=900), "three.csv", bank.id,
            date(2027, 6, 30), tmp_path,
        )  # fmt: skip
        session.commit()
        first = loan_analysis.analyse_import(session, actor, imported.import_id, data_dir=tmp_path)
        session.commit()
        s = first.summary
        assert (s.loans, s.outstanding_fen) == (3, 300_000_150)
        assert (s.green_loans_platform, s.green_balance_fen_platform) == (2, 200_000_100)
        assert (s.green_loans_bank, s.green_balance_fen_bank) == (2, 200_000_100)
        assert s.tag_comparison == {"agree_green": 1, "agree_not_green": 0, "bank_only": 1,
                                    "platform_only": 1, "code_differs": 0}  # fmt: skip
        assert s.disagreements == 2
        assert s.cerf_reasons["no_cerf_area"] == 3 and s.cerf_eligible_balance_fen == 0
        assert s.financed_emissions_reasons["no_borrower_emissions"] == 3
        assert first.engine == "local" and first.edition == "green-finance-2025"
        first_file = tmp_path / session.get(LoanBookAnalysis, first.analysis_id).result_path
        stored = pl.read_parquet(next(first_file.glob("*.parquet")))
        assert tuple(stored.columns) == STORED_ADDED  # the book itself is not stored twice
        book_path = tmp_path / session.get(LoanBookImport, imported.import_id).parquet_path
        full = read_result(first_file, book=book_path).collect()
        assert full.equals(pipeline.analyse(pl.read_parquet(book_path), as_of=date(2027, 6, 30)))
        assert loan_analysis.analysis_loans(
            session, actor, imported.import_id, data_dir=tmp_path
        ).equals(full)
        assert count_analysed(session, imported.import_id) == 1

        again = loan_analysis.analyse_import(session, actor, imported.import_id, data_dir=tmp_path)
        session.commit()
        assert again.analysis_id == first.analysis_id  # replaced, not added
        records = session.execute(
            select(LoanBookAnalysis).where(LoanBookAnalysis.import_id == imported.import_id)
        ).scalars()
        (record,) = list(records)
        assert not first_file.exists() and (tmp_path / record.result_path).is_dir()
        assert count_analysed(session, imported.import_id) == 2
        assert loan_analysis.get_analysis(session, actor, imported.import_id).summary == s

        # a failed transaction keeps the previous result and removes the new file
        before = set((tmp_path / "analyses").rglob("*"))
        loan_analysis.analyse_import(session, actor, imported.import_id, data_dir=tmp_path)
        session.rollback()
        assert set((tmp_path / "analyses").rglob("*")) == before


def test_results_frame_latest_per_bank_and_date_feeds_statistics(demo_db, tmp_path):
    actor = SystemActor(username="test")
    with demo_db.session() as session:
        first_bank, second_bank = banks(session)[1:3]
        ids = {}
        for bank, as_of, start, book in (
            (first_bank, date(2027, 3, 31), 1, THREE[:1]),
            (first_bank, date(2027, 6, 30), 1, THREE),
            (first_bank, date(2027, 6, 30), 10, THREE[:2]),  # a later file for the same date
            (second_bank, date(2027, 6, 30), 1, THREE[2:]),
        ):
            out = loans.import_loan_book(
                session, actor, csv_book(bank.name_zh, *book, start=start), "b.csv", bank.id,
                as_of, tmp_path,
            )  # fmt: skip
            ids[(bank.id, as_of, start)] = out.import_id
        session.commit()
        for import_id in ids.values():
            loan_analysis.analyse_import(session, actor, import_id, data_dir=tmp_path)
        session.commit()
        frame = pl.concat([
            loan_analysis.results_frame(
                session, actor, bank_organisation_id=first_bank.id, as_of=d, data_dir=tmp_path
            )
            for d in (date(2027, 3, 31), date(2027, 6, 30))
        ])  # fmt: skip
        assert frame.group_by("as_of").len().sort("as_of").rows() == [
            (date(2027, 3, 31), 1),
            (date(2027, 6, 30), 2),  # the later import of that date (L10, L11), not the first
        ]
        assert set(frame.filter(pl.col("as_of") == date(2027, 6, 30))["loan_id"]) == {
            "L10", "L11",
        }  # fmt: skip
        assert set(frame["bank"]) == {first_bank.name_zh}
        table = gs.summary(frame).filter(
            (pl.col("bank") == first_bank.name_zh) & (pl.col("as_of") == date(2027, 6, 30))
        )
        # green (platform): Q1 L1 solar; Q2 L10 solar → qoq 0
        assert table.select("green_balance_fen", "qoq").row(0) == (100_000_050, 0.0)
        narrow = loan_analysis.results_frame(
            session, actor, columns=["outstanding_fen", "green_code"], data_dir=tmp_path,
            bank_organisation_id=second_bank.id, as_of=date(2027, 6, 30),
        )  # fmt: skip
        assert narrow.columns == ["outstanding_fen", "green_code", "bank", "as_of",
                                  "bank_organisation_id", "import_id"]  # fmt: skip
        empty = loan_analysis.results_frame(
            session, actor, as_of=date(1999, 12, 31), data_dir=tmp_path
        )
        assert empty.height == 0 and "tag_comparison" in empty.columns


def test_service_permissions(demo_db, tmp_path):
    with demo_db.session() as session:
        bank_user = authenticate(session, "demo-bank", DEMO_PASSWORD)
        regulator = authenticate(session, "demo-regulator", DEMO_PASSWORD)
        enterprise = authenticate(session, "demo-enterprise", DEMO_PASSWORD)
        other = next(b for b in banks(session) if b.id != bank_user.organisation_id)
        theirs = loans.import_loan_book(
            session, SystemActor(), csv_book(other.name_zh, *THREE, start=500), "x.csv",
            other.id, date(2027, 9, 30), tmp_path,
        )  # fmt: skip
        session.commit()
        with pytest.raises(NotFound):
            loan_analysis.analyse_import(session, bank_user, theirs.import_id, data_dir=tmp_path)
        with pytest.raises(Forbidden):
            loan_analysis.analyse_import(session, regulator, theirs.import_id, data_dir=tmp_path)
        with pytest.raises(NotFound):  # not analysed yet
            loan_analysis.get_analysis(session, regulator, theirs.import_id)
        loan_analysis.analyse_import(session, SystemActor(), theirs.import_id, data_dir=tmp_path)
        session.commit()
        assert loan_analysis.get_analysis(session, regulator, theirs.import_id).rows == 3
        with pytest.raises(NotFound):
            loan_analysis.get_analysis(session, bank_user, theirs.import_id)
        with pytest.raises(Forbidden):
            loan_analysis.get_analysis(session, enterprise, theirs.import_id)
        with pytest.raises(NotFound):
            loan_analysis.results_frame(
                session, bank_user, bank_organisation_id=other.id, data_dir=tmp_path
            )
        with pytest.raises(Forbidden):
            loan_analysis.results_frame(session, enterprise, data_dir=tmp_path)
        sept = date(2027, 9, 30)  # other tests of the shared demo database keep other dates
        own = loan_analysis.results_frame(session, bank_user, as_of=sept, data_dir=tmp_path)
        assert own.height == 0  # the other bank's analysis is not visible
        everyone = loan_analysis.results_frame(session, regulator, as_of=sept, data_dir=tmp_path)
        assert set(everyone["bank_organisation_id"]) == {other.id}


# --- API ------------------------------------------------------------------------------------


def test_api_analysis_routes(demo_client, demo_db):
    bank = api_token(demo_client, "demo-bank")
    admin = api_token(demo_client, "demo-admin")
    regulator = api_token(demo_client, "demo-regulator")
    enterprise = api_token(demo_client, "demo-enterprise")
    me = demo_client.get("/api/v1/me", headers=bank).json()
    with demo_db.session() as session:
        own = session.get(Organisation, me["organisation_id"])
        other = next(b for b in banks(session) if b.id != own.id)
        own_name, other_id, other_name = own.name_zh, other.id, other.name_zh

    def upload(headers, body, **data):
        response = demo_client.post(
            "/api/v1/loans/imports", files={"file": ("b.csv", body)},
            data={"as_of": "2027-12-31", **data}, headers=headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()["import_id"]

    mine = upload(bank, csv_book(own_name, *THREE, start=700))
    theirs = upload(admin, csv_book(other_name, *THREE, start=800), bank_organisation_id=other_id)
    url = f"/api/v1/loans/imports/{mine}/analysis"

    assert demo_client.get(url, headers=bank).status_code == 404  # not analysed yet
    done = demo_client.post(url, headers=bank)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["summary"]["tag_comparison"]["bank_only"] == 1
    assert body["accept"] == ["eligible", "needs_evidence"]
    assert demo_client.post(url, headers=regulator).status_code == 403
    assert demo_client.post(url, headers=enterprise).status_code == 403
    assert demo_client.get(url, headers=regulator).json()["analysis_id"] == body["analysis_id"]
    # RFC 3339 with its offset on every database (SQLite hands back naive timestamps)
    assert datetime.fromisoformat(body["analysed_at"]).utcoffset() == timedelta(0)
    assert demo_client.get(url, headers=enterprise).status_code == 403
    # another bank's import: 404 for every analysis route, existence not revealed
    other_url = f"/api/v1/loans/imports/{theirs}/analysis"
    assert demo_client.post(other_url, headers=bank).status_code == 404
    assert demo_client.post(other_url, headers=admin).status_code == 200
    assert demo_client.get(other_url, headers=bank).status_code == 404
    assert demo_client.get(f"{other_url}/loans", headers=bank).status_code == 404
    assert demo_client.get(other_url, headers=regulator).status_code == 200
    bad = demo_client.post(url, headers=bank, json={"engine": "spark"})
    assert bad.status_code == 422

    csv = demo_client.get(f"{url}/loans", headers=bank)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = pl.read_csv(io.BytesIO(csv.content), infer_schema=False)
    assert table.height == 3 and "tag_comparison" in table.columns
    review = demo_client.get(f"{url}/loans?tag_comparison=bank_only&format=xlsx", headers=bank)
    assert review.status_code == 200 and review.content[:2] == b"PK"
    assert pl.read_excel(io.BytesIO(review.content))["tag_comparison"].to_list() == ["bank_only"]
    parquet = demo_client.get(f"{url}/loans?format=parquet", headers=regulator)
    assert pl.read_parquet(io.BytesIO(parquet.content)).schema["tag_comparison"] == pl.Enum(
        ["agree_green", "agree_not_green", "bank_only", "platform_only", "code_differs"]
    )
    assert demo_client.get(f"{url}/loans?format=pdf", headers=bank).status_code == 422

    again = demo_client.post(url, headers=bank, json={"engine": "local"})
    assert again.json()["analysis_id"] == body["analysis_id"]
    with demo_db.session() as session:
        assert count_analysed(session, mine) == 2


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(db, monkeypatch, tmp_path):
    from greenfin.services.demo import load_demo

    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    with db.session() as session:
        load_demo(session)
        bank = banks(session)[0]
        bank_id, bank_name = bank.id, bank.name_zh
    yield db, bank_id, bank_name
    get_settings.cache_clear()


def test_cli_analyse_and_pipeline(cli_env, tmp_path):
    db, bank_id, bank_name = cli_env
    book = tmp_path / "book.csv"
    book.write_bytes(csv_book(bank_name, *THREE))
    imported = runner.invoke(
        app, ["loans", "import", str(book), "--bank", str(bank_id), "--as-of", "2027-09-30"]
    )
    assert imported.exit_code == 0, imported.output
    with db.session() as session:
        import_id = session.execute(select(func.max(LoanBookImport.id))).scalar_one()
    analysed = runner.invoke(app, ["loans", "analyse", str(import_id)])
    assert analysed.exit_code == 0, analysed.output
    assert "bank_only" in analysed.output and "disagreements" in analysed.output
    missing = runner.invoke(app, ["loans", "analyse", "99999"])
    assert missing.exit_code == 1 and "not found" in missing.output

    out = tmp_path / "result.parquet"
    batch = runner.invoke(app, ["loans", "pipeline", str(book), "--out", str(out)])
    assert batch.exit_code == 0, batch.output
    result = pl.read_parquet(out)
    assert result["tag_comparison"].cast(pl.String).to_list() == [
        "agree_green", "bank_only", "platform_only",
    ]  # fmt: skip

    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_book(bank_name, *THREE) + f"\n{row(9, bank_name, status='良好')},,".encode()
    )
    bad_out = tmp_path / "bad.parquet"
    errors = tmp_path / "errors.csv"
    rejected = runner.invoke(
        app, ["loans", "pipeline", str(bad), "--out", str(bad_out), "--errors", str(errors)]
    )
    assert rejected.exit_code == 1 and "row 4, field status" in rejected.output
    assert not bad_out.exists() and errors.is_file()


def test_cli_pipeline_dask_engine_matches_local(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    from greenfin.engine.dask_engine import write_partitioned
    from greenfin.services.tabular import read_user_table

    frame = read_user_table(csv_book("甲银行", *(THREE * 4)), "b.csv").frame
    write_partitioned(frame, parts, rows_per_file=5)
    local, remote = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    assert runner.invoke(app, ["loans", "pipeline", str(parts), "--out", str(local)]).exit_code == 0
    ran = runner.invoke(
        app, ["loans", "pipeline", str(parts), "--out", str(remote), "--engine", "dask",
              "--rows-per-partition", "4"],
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert pl.read_parquet(remote).equals(pl.read_parquet(local))
    csv_dask = runner.invoke(
        app, ["loans", "pipeline", str(tmp_path / "x.csv"), "--out", str(remote), "--engine",
              "dask"],
    )  # fmt: skip
    assert csv_dask.exit_code == 1


def test_dask_engine_gives_the_local_result(demo_db, tmp_path):
    from dask.distributed import LocalCluster

    actor = SystemActor(username="test")
    with demo_db.session() as session:
        bank = banks(session)[3]
        imported = loans.import_loan_book(
            session, actor, csv_book(bank.name_zh, *(THREE * 5), start=300), "d.csv", bank.id,
            date(2027, 11, 30), tmp_path,
        )  # fmt: skip
        session.commit()
        local = loan_analysis.analyse_import(session, actor, imported.import_id, data_dir=tmp_path)
        session.commit()
        local_rows = loan_analysis.analysis_loans(
            session, actor, imported.import_id, data_dir=tmp_path
        )
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster:
            remote = loan_analysis.analyse_import(
                session, actor, imported.import_id, engine="dask",
                scheduler=cluster.scheduler_address, data_dir=tmp_path,
            )  # fmt: skip
        session.commit()
        assert remote.engine == "dask" and remote.summary == local.summary
        assert loan_analysis.analysis_loans(
            session, actor, imported.import_id, data_dir=tmp_path
        ).equals(local_rows)
        with pytest.raises(InvalidInput):
            loan_analysis.analyse_import(
                session, actor, imported.import_id, scheduler="tcp://x:1", data_dir=tmp_path
            )
