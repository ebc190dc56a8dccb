"""The Excel template round trip: download, fill, parse; problems name sheet, row and field."""

import io

import openpyxl
import pytest

from greenfin.services import carbon_template
from greenfin.services.errors import InvalidInput


def filled(values: dict, fuels: list[tuple]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(carbon_template.template_bytes()))
    energy = book[carbon_template.ENERGY_SHEET]
    for row in energy.iter_rows(min_row=2):
        if row[0].value in values:
            row[2].value = values[row[0].value]
    sheet = book[carbon_template.FUEL_SHEET]
    for fuel in fuels:
        sheet.append(fuel)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_has_instructions_and_round_trips():
    book = openpyxl.load_workbook(io.BytesIO(carbon_template.template_bytes()))
    assert book.sheetnames == ["能源数据", "燃料", "填写说明"]
    data = filled({"year": 2024, "revenue_10k_cny": 800, "electricity_mwh": 50}, [("柴油", 3, "t")])
    parsed = carbon_template.parse(data)
    assert parsed.year == 2024 and parsed.electricity_mwh == 50
    assert parsed.fuels[0].fuel == "柴油" and parsed.fuels[0].quantity == 3


def test_template_errors_name_sheet_row_and_field():
    data = filled({"year": 2024, "revenue_10k_cny": 800}, [("柴油", -3, "t")])
    with pytest.raises(InvalidInput) as err:
        carbon_template.parse(data)
    problem = err.value.problems[0]
    assert problem.field == "燃料.quantity" and problem.row == 1
    with pytest.raises(InvalidInput) as missing:
        carbon_template.parse(filled({"year": 2024}, []))
    assert missing.value.problems[0].field == "能源数据.revenue_10k_cny"


def test_cli_carbon_account_from_the_template(db, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from greenfin.cli import app
    from greenfin.services.demo import load_demo
    from greenfin.settings import get_settings
    from greenfin.store.models import CarbonAccountRecord, Organisation

    with db.session() as session:
        load_demo(session)
        uscc = session.query(Organisation.uscc).filter(Organisation.kind == "enterprise").first()[0]
    monkeypatch.setenv("GREENFIN_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        path = tmp_path / "year.xlsx"
        path.write_bytes(filled({"year": 2024, "revenue_10k_cny": 800, "electricity_mwh": 50},
                                [("柴油", 3, "t")]))  # fmt: skip
        result = CliRunner().invoke(app, ["carbon", "account", str(path), "--organisation", uscc])
        assert result.exit_code == 0, result.output
        assert "scope 1" in result.output
        with db.session() as session:
            assert session.query(CarbonAccountRecord).count() == 1
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(filled({"year": 2024}, []))
        refused = CliRunner().invoke(app, ["carbon", "account", str(bad), "--organisation", uscc])
        assert refused.exit_code == 1 and "revenue_10k_cny" in refused.output
    finally:
        get_settings.cache_clear()
