"""Technical parameters stated in a description's own text.

A loan purpose or project text often states the figure a catalogue criterion needs ("NOx 35 mg/m³",
"组件效率22.8%", "二星级绿色建筑", "纯电动公交车"). Reading them lets the criteria decide
(``eligible`` / ``not_eligible``) where the record carries no parameter columns. The patterns are
data (``parameter_patterns.csv``: one regular expression per row, the first capture group is the
value, or a fixed ``value`` for categories; the first row of a parameter that matches wins; an
``unless`` regex found in the text stops a row, e.g. when the text names the equipment it
replaces). Clauses end at commas, full stops and semicolons — half- and full-width, since the
text is normalised to half-width first.
Parameters given explicitly always override what is read from the text.

Everything here is columnar: one Polars query over a batch of texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy.text import ascii_boundaries

CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "one": "1", "two": "2", "three": "3"}


@dataclass(frozen=True)
class ParameterPattern:
    parameter: str
    pattern: str
    value: str  # fixed value for a category; empty: the first capture group is the value
    unless: str  # a regex that, found anywhere in the text, stops this row from reading


@cache
def parameter_patterns() -> tuple[ParameterPattern, ...]:
    return tuple(
        ParameterPattern(
            r["parameter"],
            ascii_boundaries(r["pattern"]),
            r["value"],
            ascii_boundaries(r.get("unless", "")),
        )
        for r in cached_rows("parameter_patterns.csv")
    )


@cache
def numeric_parameters() -> frozenset[str]:
    return frozenset(
        r["parameter"] for r in cached_rows("technical_parameters.csv") if r["type"] == "number"
    )


def _column(rows: list[ParameterPattern], numeric: bool) -> pl.Expr:
    """One parameter's value per text: the first matching pattern's (coalesce in file order)."""
    text = pl.col("text")
    candidates = []
    for row in rows:
        pattern = f"(?i){row.pattern}"
        if row.value:
            value = pl.when(text.str.contains(pattern)).then(pl.lit(row.value))
        else:
            captured = text.str.extract(pattern, 1).replace(CHINESE_DIGITS)
            value = captured.cast(pl.Float64, strict=False) if numeric else captured
        if row.unless:  # e.g. the motors being replaced, not the ones installed
            value = pl.when(text.str.contains(f"(?i){row.unless}")).then(None).otherwise(value)
        candidates.append(value)
    return pl.coalesce(candidates)


def extract_parameters(texts: pl.Series) -> list[dict[str, Any]]:
    """Per text (lower-case, half-width: the screener's normalised text), the parameters it
    states: ``{name: value}`` with numbers as floats and categories as their codes."""
    by_parameter: dict[str, list[ParameterPattern]] = {}
    for row in parameter_patterns():
        by_parameter.setdefault(row.parameter, []).append(row)
    if not by_parameter or texts.is_empty():
        return [{} for _ in range(len(texts))]
    numeric = numeric_parameters()
    frame = pl.DataFrame({"text": texts.fill_null("")}).select(
        _column(rows, name in numeric).alias(name) for name, rows in by_parameter.items()
    )
    return [
        {name: value for name, value in row.items() if value is not None}
        for row in frame.iter_rows(named=True)
    ]
