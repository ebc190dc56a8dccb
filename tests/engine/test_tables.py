import polars as pl
import pytest

from greenfin.engine.tables import TableError, read_path, read_table, table_bytes, write_atomic

CSV = "id,name,description,industry_code\n1,屋顶光伏,分布式光伏电站,0220\n"


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
])  # fmt: skip
def test_csv_encodings_are_detected_and_codes_keep_leading_zeros(encoding, detected):
    table = read_table(CSV.encode(encoding), "loans.csv")
    assert table.encoding == detected
    assert table.frame["description"][0] == "分布式光伏电站"
    assert table.frame["industry_code"][0] == "0220"


def test_undecodable_bytes_name_the_file():
    with pytest.raises(TableError, match=r"loans\.csv"):
        read_table(b"\xff\xfe\x00\x81\x30\x81" * 3, "loans.csv")


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".csv"])
def test_round_trip(tmp_path, suffix):
    frame = pl.DataFrame({"id": ["1"], "description": ["污水处理"], "industry_code": ["0220"]})
    path = tmp_path / f"out{suffix}"
    write_atomic(frame, path)
    back = read_path(path).frame
    assert back["description"][0] == "污水处理" and back["industry_code"][0] == "0220"


def test_unsupported_type_and_missing_file():
    with pytest.raises(TableError, match="unsupported"):
        read_table(b"x", "loans.txt")
    with pytest.raises(TableError, match="not found"):
        read_path("/nonexistent/loans.csv")
    with pytest.raises(TableError):
        table_bytes(pl.DataFrame({"a": [1]}), "out.json")


def test_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(TableError):
        write_atomic(pl.DataFrame({"a": [1]}), tmp_path / "out.json")
    assert list(tmp_path.iterdir()) == []
