"""Reading and writing user tables: CSV (UTF-8, GBK or GB18030, detected), XLSX and Parquet.

Everything is read as strings so that codes like ``0220`` keep their leading zeros; callers cast.
Writes are atomic: a temporary file in the target folder is renamed into place, so a failed job
leaves no half-written output.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

READABLE = (".csv", ".xlsx", ".parquet")


class TableError(ValueError):
    """A table that cannot be read; names the file and what is wrong."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True)
class Table:
    frame: pl.DataFrame
    encoding: str | None  # for CSV: the detected encoding


def decode_csv_bytes(data: bytes, source: str) -> tuple[str, str]:
    """Decode as UTF-8 (BOM allowed), else GB18030 (a superset of GBK); refuse anything else."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise TableError(source, "not UTF-8, GBK or GB18030 text / 文件编码无法识别")


def read_table(data: bytes, filename: str) -> Table:
    """Parse uploaded or local bytes by the file name's extension."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".csv":
            text, encoding = decode_csv_bytes(data, filename)
            frame = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
            return Table(frame, encoding)
        if suffix == ".xlsx":
            frame = pl.read_excel(io.BytesIO(data), infer_schema_length=0)
            return Table(frame.with_columns(pl.all().cast(pl.String)), None)
        if suffix == ".parquet":
            frame = pl.read_parquet(io.BytesIO(data))
            return Table(frame.with_columns(pl.all().cast(pl.String)), None)
    except TableError:
        raise
    except Exception as exc:  # polars/fastexcel raise many kinds; the user needs the file named
        raise TableError(filename, f"cannot be read as {suffix[1:].upper()}: {exc}") from exc
    raise TableError(
        filename, f"unsupported file type {suffix or '(none)'}; use CSV, XLSX or Parquet"
    )


def read_path(path: str | Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise TableError(str(path), "file not found")
    return read_table(path.read_bytes(), path.name)


def table_bytes(frame: pl.DataFrame, filename: str) -> bytes:
    suffix = Path(filename).suffix.lower()
    buffer = io.BytesIO()
    if suffix == ".csv":
        frame.write_csv(buffer)
    elif suffix == ".xlsx":
        frame.write_excel(buffer, worksheet="result", autofit=True)
    elif suffix == ".parquet":
        frame.write_parquet(buffer)
    else:
        raise TableError(filename, f"unsupported output type {suffix or '(none)'}")
    return buffer.getvalue()


def write_atomic(frame: pl.DataFrame, path: str | Path) -> None:
    path = Path(path)
    data = table_bytes(frame, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
