"""Carbon use cases over files: the CERF quarterly disclosure and PCAF financed emissions."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from greenfin.carbon import cerf, pcaf
from greenfin.services.errors import FieldProblem
from greenfin.services.tabular import problems_error, read_user_table


def cerf_disclosure(
    data: bytes,
    filename: str,
    quarter: str,
    since: str | None = None,
    chinese_headers: bool = False,
) -> pl.DataFrame:
    """碳减排支持工具 quarterly disclosure table from a loans file (all rows valid, or nothing)."""
    frame = read_user_table(data, filename).frame
    try:
        table = cerf.disclosure(frame, quarter, since)
    except cerf.CerfInputError as exc:
        raise problems_error(
            Path(filename).name,
            str(exc),
            [FieldProblem(p.field, p.message, p.row) for p in exc.problems],
        ) from None
    return cerf.to_template(table) if chinese_headers else table


def financed_emissions(
    data: bytes, filename: str, reporting_year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PCAF financed emissions per position and the summary (all rows valid, or nothing)."""
    frame = read_user_table(data, filename).frame
    try:
        result = pcaf.financed_emissions(frame, reporting_year)
    except pcaf.PcafInputError as exc:
        raise problems_error(
            Path(filename).name,
            str(exc),
            [FieldProblem(p.field, p.message, p.row) for p in exc.problems],
        ) from None
    return result, pcaf.summarise(result)
