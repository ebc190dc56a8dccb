"""The CLI contract of `greenfin taxonomy screen` (other tools call it exactly so)."""

import polars as pl
from typer.testing import CliRunner

from greenfin.cli import app

runner = CliRunner()
ROWS = (
    "id,name,description,industry_code\n"
    "L1,屋顶光伏,用于屋顶分布式光伏电站建设,4416\n"
    "L2,,污水处理厂提标改造,\n"
)


def test_gbk_csv_to_xlsx_with_edition(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.xlsx"
    src.write_bytes(ROWS.encode("gbk"))
    result = runner.invoke(app, ["taxonomy", "screen", str(src), "-o", str(out),
                                 "--edition", "bond-2021", "--top-k", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pl.read_excel(out)
    assert frame.columns == ["id", "code_1", "score_1", "code_2", "score_2", "code_3", "score_3",
                             "verdict", "explanation"]  # fmt: skip
    assert frame["code_1"][0] == "3.2.2.2"


def test_parquet_in_csv_out(tmp_path):
    src, out = tmp_path / "in.parquet", tmp_path / "out.csv"
    pl.read_csv(ROWS.encode(), infer_schema=False).write_parquet(src)
    result = runner.invoke(app, ["taxonomy", "screen", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out)["code_1"].to_list()[0] == "4.2.2"


def test_bad_rows_write_nothing_and_name_row_and_field(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("id,name,description,industry_code\nL1,,光伏,4416\nL1,,,\n", encoding="utf-8")
    result = runner.invoke(app, ["taxonomy", "screen", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "row 2, field description" in result.output and "field id" in result.output
    assert not out.exists()


def test_wrong_encoding_and_missing_file(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"\xff\xfe\x00\x81\x30\x81" * 4)
    bad = runner.invoke(app, ["taxonomy", "screen", str(src), "-o", str(tmp_path / "o.csv")])
    assert bad.exit_code == 1 and "GB18030" in bad.output
    missing = runner.invoke(app, ["taxonomy", "screen", "nope.csv", "-o", "o.csv"])
    assert missing.exit_code == 1 and "not found" in missing.output
