"""Batch screening over a Polars frame (loan books, project lists).

Distinct (text, industry code, parameters) combinations are screened once and joined back, so a
loan book of millions of rows with tens of thousands of distinct purposes costs the distinct count.
Validation collects every problem (row and field) before any work is done: a batch either
produces a complete result or raises :class:`BatchValidationError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from greenfin import reference
from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy.screening import ScreeningInput, screener

REQUIRED = ("id", "name", "description")
CHUNK = 4000
MAX_REPORTED = 200


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based data row (the header is row 0); None for file-level problems
    field: str
    message: str


class BatchValidationError(ValueError):
    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems = problems
        self.total = total
        shown = "; ".join(
            (f"row {p.row} " if p.row is not None else "") + f"{p.field}: {p.message}"
            for p in problems[:5]
        )
        super().__init__(f"{total} problem(s): {shown}")


def parameter_columns(frame: pl.DataFrame) -> list[str]:
    known = {r["parameter"] for r in cached_rows("technical_parameters.csv")}
    return [c for c in frame.columns if c in known]


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """Check columns and rows; return the frame with normalised string columns."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        problems = [Problem(None, c, "required column is missing / 缺少必填列") for c in missing]
        raise BatchValidationError(problems, len(problems))
    columns = [*REQUIRED, *(["industry_code"] if "industry_code" in frame.columns else [])]
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in columns]
    ).with_row_index("_row", offset=1)
    if "industry_code" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("industry_code"))
    codes = list(reference.industry_codes())
    checks = frame.select(
        "_row",
        "id",
        (pl.col("id") == "").alias("empty_id"),
        pl.col("id").is_duplicated().alias("dup_id"),
        ((pl.col("name") == "") & (pl.col("description") == "")).alias("empty_text"),
        ((pl.col("industry_code") != "") & ~pl.col("industry_code").is_in(codes)).alias("bad_code"),
        "industry_code",
    ).filter(pl.any_horizontal("empty_id", "dup_id", "empty_text", "bad_code"))
    problems: list[Problem] = []
    for row in checks.iter_rows(named=True):
        if row["empty_id"]:
            problems.append(Problem(row["_row"], "id", "empty id / 编号为空"))
        elif row["dup_id"]:
            problems.append(Problem(row["_row"], "id", f"duplicate id {row['id']!r} / 编号重复"))
        if row["empty_text"]:
            problems.append(
                Problem(row["_row"], "description", "name and description are empty / 描述为空")
            )
        if row["bad_code"]:
            problems.append(
                Problem(
                    row["_row"],
                    "industry_code",
                    f"{row['industry_code']!r} is not a GB/T 4754-2017 code / 行业代码不存在",
                )
            )
    if problems:
        raise BatchValidationError(problems[:MAX_REPORTED], len(problems))
    return frame


def screen_frame(
    frame: pl.DataFrame,
    edition: str,
    top_k: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> pl.DataFrame:
    """One output row per input id: id, code_1, score_1 … code_k, score_k, verdict, explanation."""
    frame = validate(frame)
    params_cols = parameter_columns(frame)
    keyed = frame.with_columns(
        (pl.col("name") + "。" + pl.col("description")).alias("_text"),
        (pl.struct(params_cols).struct.json_encode() if params_cols else pl.lit("{}")).alias(
            "_params"
        ),
    )
    distinct = keyed.select("_text", "industry_code", "_params").unique(maintain_order=True)
    engine = screener(edition)
    total = distinct.height
    parts = []
    for start in range(0, total, CHUNK):
        chunk = distinct.slice(start, CHUNK)
        records = [
            ScreeningInput(
                id=str(i),
                name="",
                description=text,
                industry_code=code or None,
                params={k: v for k, v in json.loads(params).items() if v not in (None, "")},
            )
            for i, (text, code, params) in enumerate(chunk.iter_rows())
        ]
        results = engine.screen_many(records, top_k=top_k, detail_k=1)
        columns: dict[str, list[object]] = {"verdict": [], "explanation": []}
        for rank in range(1, top_k + 1):
            columns[f"code_{rank}"] = []
            columns[f"score_{rank}"] = []
        for result in results:
            for rank in range(1, top_k + 1):
                candidate = result.candidates[rank - 1] if rank <= len(result.candidates) else None
                columns[f"code_{rank}"].append(candidate.code if candidate else None)
                columns[f"score_{rank}"].append(candidate.score if candidate else None)
            columns["verdict"].append(result.verdict.value)
            columns["explanation"].append(result.explanation)
        parts.append(chunk.with_columns(pl.DataFrame(columns)))
        if progress:
            progress(min(start + CHUNK, total), total)
    screened = pl.concat(parts) if parts else distinct.clear()
    ordered = ["id"]
    for rank in range(1, top_k + 1):
        ordered += [f"code_{rank}", f"score_{rank}"]
    ordered += ["verdict", "explanation"]
    return (
        keyed.join(screened, on=["_text", "industry_code", "_params"], how="left")
        .sort("_row")
        .select(ordered)
    )
