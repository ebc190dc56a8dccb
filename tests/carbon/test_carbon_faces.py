"""CLI and API faces of the carbon module (the domain is tested beside each module)."""

import io

import polars as pl
from typer.testing import CliRunner

from greenfin.cli import app
from tests.conftest import api_token

runner = CliRunner()
LOANS = """loan_id,project_id,area,sub_area,disbursed_on,amount_10k_cny,rate_pct,project_total_investment_10k_cny,project_annual_reduction_tco2e
L1,P1,清洁能源,风力发电,2023-04-10,5000,3.2,20000,40000
L2,P1,清洁能源,风力发电,2023-05-10,5000,3.0,20000,40000
L3,P2,节能环保,工业领域能效提升,2023-02-01,1000,3.5,4000,8000
L4,P3,碳减排技术,碳捕集、封存与利用,2022-12-01,2000,2.9,10000,50000
"""  # noqa: E501


def test_cli_cerf_disclosure_contract(tmp_path):
    src, out = tmp_path / "loans.csv", tmp_path / "disclosure.xlsx"
    src.write_text(LOANS, encoding="utf-8")
    result = runner.invoke(
        app, ["carbon", "cerf-disclosure", str(src), "-o", str(out), "--quarter", "2023Q2",
              "--since", "2021Q4"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_excel(out)
    assert table.columns == ["period", "area", "projects", "amount_10k_cny",
                             "weighted_rate_pct", "annual_reduction_tco2e"]  # fmt: skip
    quarter_total = table.filter((pl.col("period") == "quarter") & (pl.col("area") == "合计"))
    # P1 is financed by two loans in the quarter: counted once, amount-weighted rate 3.1 %
    assert quarter_total.row(0, named=True)["projects"] == 1
    assert quarter_total.row(0, named=True)["weighted_rate_pct"] == 3.1
    since = table.filter((pl.col("period") == "since_start") & (pl.col("area") == "合计"))
    assert since.row(0, named=True)["projects"] == 3
    # loan-level reduction = project reduction × loan / total investment: 20000 + 2000 + 10000
    assert since.row(0, named=True)["annual_reduction_tco2e"] == 32000


def test_cli_cerf_disclosure_bad_rows_write_nothing(tmp_path):
    src, out = tmp_path / "loans.csv", tmp_path / "out.csv"
    src.write_text(LOANS.replace("L3,P2,节能环保", "L3,P2,化石能源"), encoding="utf-8")
    result = runner.invoke(
        app, ["carbon", "cerf-disclosure", str(src), "-o", str(out), "--quarter", "2023Q2"]
    )
    assert result.exit_code == 1 and "row 3, field area" in result.output
    assert not out.exists()


def test_api_cerf_disclosure_and_roles(demo_client):
    bank = api_token(demo_client, "demo-bank")
    response = demo_client.post(
        "/api/v1/carbon/cerf/disclosure",
        files={"file": ("loans.csv", LOANS.encode("gbk"))},
        data={"quarter": "2023Q2", "output_format": "parquet"},
        headers=bank,
    )
    assert response.status_code == 200, response.text
    table = pl.read_parquet(io.BytesIO(response.content))
    assert table.height == 12
    enterprise = api_token(demo_client, "demo-enterprise")
    refused = demo_client.post(
        "/api/v1/carbon/cerf/disclosure", files={"file": ("loans.csv", LOANS.encode())},
        data={"quarter": "2023Q2"}, headers=enterprise,
    )  # fmt: skip
    assert refused.status_code == 403
    areas = demo_client.get("/api/v1/carbon/cerf/areas", headers=enterprise).json()
    assert {"清洁能源", "节能环保", "碳减排技术"} <= {a["area"] for a in areas}


POSITIONS = """position_id,asset_class,sector,outstanding,evic,total_equity_plus_debt,property_value_at_origination,vehicle_value_at_origination,ppp_gdp,scope1_tco2e,scope2_tco2e,scope3_tco2e,revenue,dq_option
P1,listed_equity,35,50,100,,,,,1000,200,5000,80,1b
P2,business_loan,24,20,,200,,,,3000,500,,150,2a
P3,mortgage,,80,,,100,,,5,3,,,1b
"""  # noqa: E501
FINANCED_COLUMNS = ["attribution_factor", "financed_scope1_tco2e", "financed_scope2_tco2e",
                    "financed_scope3_tco2e", "dq_score"]  # fmt: skip


def test_cli_financed_contract(tmp_path):
    src, out, summary = tmp_path / "pos.csv", tmp_path / "out.parquet", tmp_path / "sum.csv"
    src.write_text(POSITIONS, encoding="utf-8")
    args = ["carbon", "financed", str(src), "-o", str(out), "--summary", str(summary)]
    result = runner.invoke(app, [*args, "--reporting-year", "2026"])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    input_columns = POSITIONS.splitlines()[0].split(",")
    assert frame.columns[: len(input_columns) + 5] == input_columns + FINANCED_COLUMNS
    first = frame.row(0, named=True)
    # EVIC attribution 50 / 100 = 0.5 of scope 1 (1000 t) and scope 2 (200 t)
    assert first["attribution_factor"] == 0.5 and first["financed_scope1_tco2e"] == 500
    assert frame.row(2, named=True)["financed_scope1_tco2e"] == 4  # 80 / 100 × 5 t
    assert pl.read_csv(summary).height > 0


def test_cli_financed_bad_rows_write_nothing(tmp_path):
    src, out = tmp_path / "pos.csv", tmp_path / "out.csv"
    bad = POSITIONS.replace("P2,business_loan,24,20", "P2,business_loan,24,-20")
    src.write_text(bad, encoding="utf-8")
    result = runner.invoke(app, ["carbon", "financed", str(src), "-o", str(out)])
    assert result.exit_code == 1 and "row 2" in result.output and "outstanding" in result.output
    assert not out.exists()


def test_api_financed_summary(demo_client):
    headers = api_token(demo_client, "demo-regulator")
    response = demo_client.post(
        "/api/v1/carbon/financed",
        files={"file": ("pos.csv", POSITIONS.encode())},
        data={"reporting_year": "2026", "part": "summary"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    summary = pl.read_csv(io.BytesIO(response.content))
    assert "dq_score_weighted" in summary.columns
