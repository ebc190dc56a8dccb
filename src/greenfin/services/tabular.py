"""Shared handling of user tables for file-based jobs (upload or local path)."""

from __future__ import annotations

from greenfin.engine import tables
from greenfin.services.errors import FieldProblem, InvalidInput


def read_user_table(data: bytes, filename: str) -> tables.Table:
    """Parse a CSV/XLSX/Parquet table; unreadable input becomes ``InvalidInput`` on ``file``."""
    try:
        return tables.read_table(data, filename)
    except tables.TableError as exc:
        raise InvalidInput(str(exc), [FieldProblem("file", exc.message)]) from None


def problems_error(filename: str, summary: str, problems: list[FieldProblem]) -> InvalidInput:
    return InvalidInput(f"{filename}: {summary}", problems)
