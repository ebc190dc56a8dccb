"""`greenfin loans import`: all rows or nothing, idempotent by content hash, audited."""

import polars as pl
from sqlalchemy import func, select
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.identity import uscc
from greenfin.services.demo import load_demo
from greenfin.settings import get_settings
from greenfin.store.models import AuditRecord, LoanBookImport, Organisation

runner = CliRunner()
BORROWER = uscc.compose("9", "1", "110112", "12345678")
HEADER = (
    "loan_id,bank,borrower_uscc,borrower_name,industry_code,purpose,outstanding_cny,original_cny,"
    "rate_pct,originated_on,matures_on,status,collateral_type,credit_or_secured,district"
)


def row(i: int, bank: str, **changes: str) -> str:
    values = {
        "loan_id": f"L{i}", "bank": bank, "borrower_uscc": BORROWER,
        "borrower_name": "甲新能源有限公司（示例）", "industry_code": "4416",
        "purpose": "屋顶分布式光伏电站建设", "outstanding_cny": "1000000.50",
        "original_cny": "2000000", "rate_pct": "3.45", "originated_on": "2024-01-15",
        "matures_on": "2029-01-15", "status": "正常", "collateral_type": "",
        "credit_or_secured": "信用", "district": "通州区",
    }  # fmt: skip
    values.update(changes)
    return ",".join(values[c] for c in HEADER.split(","))


def setup(db, monkeypatch, tmp_path):
    with db.session() as session:
        load_demo(session)
        bank = session.execute(
            select(Organisation).where(Organisation.kind == "bank").limit(1)
        ).scalar_one()
        bank_id, bank_uscc, bank_name = bank.id, bank.uscc, bank.name_zh
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    return bank_id, bank_uscc, bank_name


def count(db, model, *where):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_import_is_all_or_nothing_idempotent_and_audited(db, monkeypatch, tmp_path):
    bank_id, bank_uscc, bank_name = setup(db, monkeypatch, tmp_path)
    try:
        book = tmp_path / "book.csv"
        book.write_bytes("\n".join([HEADER, row(1, bank_name), row(2, bank_name)]).encode("gbk"))
        args = ["loans", "import", str(book), "--bank", bank_uscc, "--as-of", "2026-09-30"]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "imported 2 loans" in first.output
        parquet = next((tmp_path / "data" / "loanbooks" / str(bank_id)).rglob("*.parquet"))
        assert pl.read_parquet(parquet)["outstanding_fen"].to_list() == [100000050, 100000050]
        again = runner.invoke(app, args)
        assert again.exit_code == 0 and "already imported" in again.output
        assert count(db, LoanBookImport) == 1
        assert count(db, AuditRecord, AuditRecord.action == "loanbook.imported") == 1

        bad = tmp_path / "bad.csv"
        rows = [row(i, bank_name) for i in range(3, 8)]
        rows.append(row(8, bank_name, outstanding_cny="-5", status="良好"))  # bad last row
        bad.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
        errors = tmp_path / "errors.csv"
        rejected = runner.invoke(
            app, ["loans", "import", str(bad), "--bank", bank_uscc, "--as-of", "2026-09-30",
                  "--errors", str(errors)],
        )  # fmt: skip
        assert rejected.exit_code == 1
        assert "row 6, field outstanding_cny" in rejected.output
        assert "row 6, field status" in rejected.output
        assert errors.read_bytes().decode("utf-8-sig").count("\n") >= 3  # header + 2 problems
        assert count(db, LoanBookImport) == 1  # nothing written
    finally:
        get_settings.cache_clear()


def test_rows_of_another_bank_and_unknown_banks_are_refused(db, monkeypatch, tmp_path):
    _, bank_uscc, _ = setup(db, monkeypatch, tmp_path)
    try:
        book = tmp_path / "book.csv"
        book.write_text("\n".join([HEADER, row(1, "别的银行")]), encoding="utf-8")
        other = runner.invoke(
            app, ["loans", "import", str(book), "--bank", bank_uscc, "--as-of", "2026-09-30"]
        )
        assert other.exit_code == 1 and "field bank" in other.output
        unknown = runner.invoke(
            app, ["loans", "import", str(book), "--bank", "999999", "--as-of", "2026-09-30"]
        )
        assert unknown.exit_code == 1 and "organisation" in unknown.output
        assert count(db, LoanBookImport) == 0
    finally:
        get_settings.cache_clear()


def test_template_command(tmp_path):
    out = tmp_path / "template.xlsx"
    result = runner.invoke(app, ["loans", "template", "-o", str(out)])
    assert result.exit_code == 0 and out.read_bytes()[:2] == b"PK"


def test_api_import_scoped_to_the_banks_own_organisation(demo_client, demo_db):
    from tests.conftest import api_token

    headers = api_token(demo_client, "demo-bank")
    me = demo_client.get("/api/v1/me", headers=headers).json()
    with demo_db.session() as session:
        name = session.get(Organisation, me["organisation_id"]).name_zh
    body = "\n".join([HEADER, row(1, name)]).encode()
    ok = demo_client.post(
        "/api/v1/loans/imports", files={"file": ("book.csv", body)},
        data={"as_of": "2026-09-30"}, headers=headers,
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["rows"] == 1
    bad = "\n".join([HEADER, row(1, name, status="良好")]).encode()
    refused = demo_client.post(
        "/api/v1/loans/imports", files={"file": ("bad.csv", bad)},
        data={"as_of": "2026-09-30"}, headers=headers,
    )  # fmt: skip
    assert refused.status_code == 422
    assert {(e["row"], e["field"]) for e in refused.json()["errors"]} == {(1, "status")}
    other_bank = demo_client.post(
        "/api/v1/loans/imports", files={"file": ("book.csv", body)},
        data={"as_of": "2026-09-30", "bank_organisation_id": "1"}, headers=headers,
    )  # fmt: skip
    assert other_bank.status_code == 404
    listing = demo_client.get("/api/v1/loans/imports", headers=headers).json()
    assert {i["bank_organisation_id"] for i in listing} == {me["organisation_id"]}
