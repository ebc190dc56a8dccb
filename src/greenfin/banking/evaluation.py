"""Green-finance evaluation of banks (银行业金融机构绿色金融评价): scores, grades, ranking and the
monetary-policy priority list (京绿融 / 京绿通).

Pure domain code over Polars frames. Everything that belongs to a scheme (indicators and how they
are computed, their direction, the weights, the own-history vs peer split, the qualitative items,
the grade bands and which grades have priority) lives in a scheme file under
``reference/data/banking/`` and is documented in ``EVALUATION.md`` next to it. Two schemes are
shipped and run through the same code:

- ``pboc_2021``: PBOC 《银行业金融机构绿色金融评价方案》 (2021): quantitative 80 % (four
  indicators × 25 %, each 10 % against the bank's own previous three quarters and 15 % against
  the other banks) and qualitative 20 % (30 / 40 / 30).
- ``chongqing_2023``: 《重庆市银行机构绿色融资业绩评价办法（试行）》: 70 / 30, five indicators,
  four grades.

The official point formulas (the PBOC annex 「评分细则」) were not available. How an indicator
value becomes a fraction of its points is therefore a pluggable :class:`ScoringMethod`, chosen by
name in the scheme (``scoring.method``) from a registry (:func:`register_scoring_method`). The
default, ``minmax``, scales linearly between the worst and the best value of the comparison set
(the peers in the quarter; the bank's own previous periods together with the current one); an
indicator whose ``direction`` is ``lower_is_better`` (the risk share) is scored inversely. A bank
without own history gets the scheme's ``no_history_fallback`` for that part, reported in the
``warnings`` column.

Input (``quarter_metrics``): one row per bank and quarter, columns ``bank``, ``quarter``
(``2024Q3``) and the scheme's base fields (balances in 万元; a rate in %). Rows of earlier quarters
are the history: the year-on-year growth needs the quarter four quarters back, the own-history
comparison the scheme's previous periods.

Qualitative input: columns ``bank``, ``item`` (an item id of the scheme), ``score`` (within the
item's ``score_min``..``score_max``), ``evidence`` (the regulator's note, required) and optionally
``quarter`` (rows of other quarters are ignored).

Every input problem is collected with bank, quarter and field and raised together as
:class:`EvaluationError`; nothing is silently zeroed.

References
----------
.. [1] 中国人民银行关于印发《银行业金融机构绿色金融评价方案》的通知, 2021-05-27, effective
   2021-07-01 (reprints listed in ``EVALUATION.md``); /work/shared/reference/methods.md §1.
.. [2] 重庆银保监局《重庆市银行机构绿色融资业绩评价办法（试行）》, main content disclosed
   2023-06-26 (新京报 2023-06-27).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import polars as pl

DIRECTIONS: tuple[str, ...] = ("higher_is_better", "lower_is_better")
CALCULATION_KINDS: tuple[str, ...] = ("ratio", "peer_share", "yoy_growth", "value")
FALLBACKS: tuple[str, ...] = ("peer", "neutral", "zero")
QUALITATIVE_COLUMNS: tuple[str, ...] = ("bank", "item", "score", "evidence")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")
_NEUTRAL = 0.5
_POINT_DECIMALS = 6


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    """One input problem: the bank and quarter concerned (``None`` when it is about a whole
    column or an argument), the field and a message."""

    bank: str | None
    quarter: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"bank {self.bank}" if self.bank is not None else "",
                f"quarter {self.quarter}" if self.quarter is not None else "",
            )
            if part
        )
        return f"{where + ' ' if where else ''}{self.field}: {self.message}"


class EvaluationError(ValueError):
    """Invalid evaluation input; ``problems`` lists every problem with bank, quarter, field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")


class SchemeError(ValueError):
    """A scheme file is inconsistent (weights, directions, grade bands, unknown fields)."""


# ---------------------------------------------------------------------------------------------
# Scheme model


@dataclass(frozen=True)
class BaseField:
    """An input column the scheme's indicators are computed from."""

    id: str
    label_zh: str
    unit: str
    non_negative: bool
    status: str
    source: str


@dataclass(frozen=True)
class Indicator:
    """A quantitative indicator. ``weight_pct`` is its share of the quantitative block,
    split into ``own_history_pct`` + ``peer_pct``."""

    id: str
    label_zh: str
    direction: str
    kind: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    weight_pct: float
    own_history_pct: float
    peer_pct: float
    status: str
    source: str

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.numerator, *self.denominator)


@dataclass(frozen=True)
class QualitativeItem:
    """A qualitative item scored by the regulator within ``score_min``..``score_max``;
    ``weight_pct`` is its share of the qualitative block."""

    id: str
    label_zh: str
    weight_pct: float
    score_min: float
    score_max: float
    status: str
    source: str


@dataclass(frozen=True)
class GradeBand:
    """A grade reached from ``min_points`` (inclusive) of the total."""

    grade: str
    min_points: float
    status: str


@dataclass(frozen=True)
class Scheme:
    """An evaluation scheme loaded from a scheme file (see :func:`load_scheme`)."""

    id: str
    name_zh: str
    edition: str
    effective_from: str
    frequency: str
    source: str
    total_points: float
    quantitative_pct: float
    qualitative_pct: float
    base_fields: tuple[BaseField, ...]
    indicators: tuple[Indicator, ...]
    history_periods: int
    history_step_quarters: int
    qualitative_items: tuple[QualitativeItem, ...]
    scoring_method: str
    scoring_params: Mapping[str, Any]
    no_history_fallback: str
    grades: tuple[GradeBand, ...]
    priority_grades: tuple[str, ...]
    raw: Mapping[str, Any]

    def own_points(self, indicator: Indicator) -> float:
        """Maximum points of the indicator's own-history part."""
        return self.total_points * self.quantitative_pct / 100 * indicator.own_history_pct / 100

    def peer_points(self, indicator: Indicator) -> float:
        """Maximum points of the indicator's peer part."""
        return self.total_points * self.quantitative_pct / 100 * indicator.peer_pct / 100

    def item_points(self, item: QualitativeItem) -> float:
        """Maximum points of a qualitative item."""
        return self.total_points * self.qualitative_pct / 100 * item.weight_pct / 100

    def assumptions(self) -> list[str]:
        """Paths of the scheme elements marked ``status = assumption`` (not from a source)."""
        found: list[str] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, Mapping):
                if node.get("status") == "assumption":
                    label = node.get("id") or node.get("grade")
                    found.append(f"{path}[{label}]" if label else path)
                for key, value in node.items():
                    walk(value, f"{path}.{key}" if path else str(key))
            elif isinstance(node, list):
                for value in node:
                    walk(value, path)

        walk(self.raw, "")
        return found

    def provenance(self) -> dict[str, Any]:
        """What a report cites: the scheme, its edition and source, the scoring method and the
        elements that are assumptions."""
        return {
            "scheme_id": self.id,
            "name_zh": self.name_zh,
            "edition": self.edition,
            "effective_from": self.effective_from,
            "source": self.source,
            "scoring_method": self.scoring_method,
            "scoring_params": dict(self.scoring_params),
            "no_history_fallback": self.no_history_fallback,
            "assumptions": self.assumptions(),
        }


def _scheme_dir() -> Any:
    return resources.files("greenfin.reference").joinpath("data", "banking")


def available_schemes() -> list[str]:
    """Ids of the shipped schemes (``evaluation_<id>.json``)."""
    return sorted(
        p.name.removeprefix("evaluation_").removesuffix(".json")
        for p in _scheme_dir().iterdir()
        if p.name.startswith("evaluation_") and p.name.endswith(".json")
    )


def load_scheme(name: str | Path) -> Scheme:
    """Load and check an evaluation scheme.

    Parameters
    ----------
    name : str or Path
        A shipped scheme id (``"pboc_2021"``, ``"chongqing_2023"``; the file name
        ``evaluation_pboc_2021.json`` also works) or a path to a scheme JSON file.

    Returns
    -------
    Scheme

    Raises
    ------
    SchemeError
        Unknown scheme, or an inconsistent file (weights not summing to 100 %, unknown
        direction or calculation, grade bands out of order, ...).
    """
    if isinstance(name, Path) or (str(name).endswith(".json") and Path(name).is_file()):
        text = Path(name).read_text(encoding="utf-8")
    else:
        key = str(name).removeprefix("evaluation_").removesuffix(".json")
        path = _scheme_dir().joinpath(f"evaluation_{key}.json")
        if not path.is_file():
            raise SchemeError(f"unknown scheme {name!r}; shipped: {', '.join(available_schemes())}")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemeError(f"scheme {name!r} is not valid JSON: {exc}") from exc
    return scheme_from_dict(data)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9


def scheme_from_dict(data: Mapping[str, Any]) -> Scheme:
    """Build a :class:`Scheme` from the parsed JSON of a scheme file and check it.

    Raises
    ------
    SchemeError
        Listing every inconsistency found.
    """
    errors: list[str] = []
    try:
        fields = tuple(
            BaseField(
                id=f["id"],
                label_zh=f.get("label_zh", f["id"]),
                unit=f.get("unit", ""),
                non_negative=bool(f.get("non_negative", True)),
                status=f.get("status", ""),
                source=f.get("source", ""),
            )
            for f in data["base_fields"]
        )
        indicators = tuple(
            Indicator(
                id=i["id"],
                label_zh=i.get("label_zh", i["id"]),
                direction=i["direction"],
                kind=i["calculation"]["kind"],
                numerator=tuple(i["calculation"]["numerator"]),
                denominator=tuple(i["calculation"].get("denominator", ())),
                weight_pct=float(i["weight_pct"]),
                own_history_pct=float(i["own_history_pct"]),
                peer_pct=float(i["peer_pct"]),
                status=i.get("status", ""),
                source=i.get("source", ""),
            )
            for i in data["indicators"]
        )
        items = tuple(
            QualitativeItem(
                id=q["id"],
                label_zh=q.get("label_zh", q["id"]),
                weight_pct=float(q["weight_pct"]),
                score_min=float(q.get("score_min", 0)),
                score_max=float(q.get("score_max", 100)),
                status=q.get("status", ""),
                source=q.get("source", ""),
            )
            for q in data["qualitative_items"]
        )
        grades = tuple(
            GradeBand(g["grade"], float(g["min_points"]), g.get("status", ""))
            for g in data["grades"]
        )
        scoring = data["scoring"]
        scheme = Scheme(
            id=data["id"],
            name_zh=data.get("name_zh", data["id"]),
            edition=str(data.get("edition", "")),
            effective_from=str(data.get("effective_from", "")),
            frequency=data.get("frequency", "quarterly"),
            source=data.get("source", ""),
            total_points=float(data.get("total_points", 100)),
            quantitative_pct=float(data["blocks"]["quantitative"]["weight_pct"]),
            qualitative_pct=float(data["blocks"]["qualitative"]["weight_pct"]),
            base_fields=fields,
            indicators=indicators,
            history_periods=int(data["own_history"]["periods"]),
            history_step_quarters=int(data["own_history"]["step_quarters"]),
            qualitative_items=items,
            scoring_method=scoring["method"],
            scoring_params=dict(scoring.get("params", {})),
            no_history_fallback=scoring.get("no_history_fallback", "peer"),
            grades=grades,
            priority_grades=tuple(data.get("priority_grades", ())),
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemeError(f"scheme file is missing or mistypes {exc}") from exc

    field_ids = [f.id for f in fields]
    if len(set(field_ids)) != len(field_ids):
        errors.append("duplicate base field ids")
    ids = [i.id for i in indicators] + [q.id for q in items]
    if len(set(ids)) != len(ids):
        errors.append("duplicate indicator / qualitative item ids")
    if not _close(scheme.quantitative_pct + scheme.qualitative_pct, 100):
        errors.append("blocks: quantitative + qualitative weight_pct must sum to 100")
    if indicators and not _close(sum(i.weight_pct for i in indicators), 100):
        errors.append("indicators: weight_pct must sum to 100")
    if items and not _close(sum(q.weight_pct for q in items), 100):
        errors.append("qualitative_items: weight_pct must sum to 100")
    if not indicators:
        errors.append("indicators: at least one is required")
    for i in indicators:
        if not _close(i.own_history_pct + i.peer_pct, i.weight_pct):
            errors.append(f"indicator {i.id}: own_history_pct + peer_pct must equal weight_pct")
        if min(i.own_history_pct, i.peer_pct) < 0:
            errors.append(f"indicator {i.id}: negative weight")
        if i.direction not in DIRECTIONS:
            errors.append(f"indicator {i.id}: direction must be one of {DIRECTIONS}")
        if i.kind not in CALCULATION_KINDS:
            errors.append(f"indicator {i.id}: calculation kind must be one of {CALCULATION_KINDS}")
        if not i.numerator:
            errors.append(f"indicator {i.id}: numerator is empty")
        if i.kind == "ratio" and not i.denominator:
            errors.append(f"indicator {i.id}: a ratio needs a denominator")
        if i.kind == "value" and len(i.numerator) != 1:
            errors.append(f"indicator {i.id}: a value indicator takes exactly one field")
        unknown = [f for f in i.fields if f not in field_ids]
        if unknown:
            errors.append(f"indicator {i.id}: unknown base fields {unknown}")
    for q in items:
        if not q.score_max > q.score_min:
            errors.append(f"qualitative item {q.id}: score_max must exceed score_min")
    if scheme.history_periods < 1 or scheme.history_step_quarters < 1:
        errors.append("own_history: periods and step_quarters must be at least 1")
    if scheme.no_history_fallback not in FALLBACKS:
        errors.append(f"scoring.no_history_fallback must be one of {FALLBACKS}")
    mins = [g.min_points for g in grades]
    if not grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        errors.append("grades: min_points must be strictly decreasing")
    elif not _close(mins[-1], 0):
        errors.append("grades: the last band must start at 0 points")
    names = [g.grade for g in grades]
    if len(set(names)) != len(names):
        errors.append("grades: duplicate grade names")
    unknown_priority = [g for g in scheme.priority_grades if g not in names]
    if unknown_priority:
        errors.append(f"priority_grades: unknown grades {unknown_priority}")
    if errors:
        raise SchemeError(f"scheme {scheme.id!r}: " + "; ".join(errors))
    return scheme


# ---------------------------------------------------------------------------------------------
# Scoring methods (pluggable)


class Scored(NamedTuple):
    """What a scoring method returns: ``fraction`` of the part's points (Float64 in [0, 1], null
    when it cannot score, e.g. an empty history) and ``basis``, a string saying what the value was
    compared with."""

    fraction: pl.Expr
    basis: pl.Expr


class ScoringMethod(Protocol):
    """Turns an indicator value into a fraction of its points.

    Both methods return Polars expressions evaluated on the frame of the evaluated quarter, one
    row per bank (so aggregations such as ``value.min()`` run over the peers).
    """

    name: str

    def peer(self, value: pl.Expr, higher_is_better: bool) -> Scored:
        """Score ``value`` against the other banks of the quarter."""
        ...

    def own_history(self, value: pl.Expr, history: pl.Expr, higher_is_better: bool) -> Scored:
        """Score ``value`` against ``history``, a ``List[Float64]`` of the bank's own values in
        its previous periods (nulls dropped; possibly empty)."""
        ...


ScoringFactory = Callable[..., ScoringMethod]
_REGISTRY: dict[str, ScoringFactory] = {}


def register_scoring_method(name: str, factory: ScoringFactory, *, replace: bool = False) -> None:
    """Register a scoring method under ``name`` for schemes to refer to (``scoring.method``).

    ``factory(**scheme.scoring_params)`` must return a :class:`ScoringMethod`.
    """
    if name in _REGISTRY and not replace:
        raise ValueError(f"scoring method {name!r} is already registered")
    _REGISTRY[name] = factory


def scoring_methods() -> tuple[str, ...]:
    """Names of the registered scoring methods."""
    return tuple(sorted(_REGISTRY))


def scoring_method(name: str, **params: Any) -> ScoringMethod:
    """Instantiate a registered scoring method."""
    if name not in _REGISTRY:
        raise SchemeError(f"unknown scoring method {name!r}; registered: {scoring_methods()}")
    return _REGISTRY[name](**params)


def _num(expr: pl.Expr) -> pl.Expr:
    """A number as text for explanations (up to 6 decimals, trailing zeros dropped)."""
    return expr.round(6).cast(pl.String)


class MinMaxScoring:
    """Default: linear between the worst and the best value of the comparison set.

    Peers: ``(x − min) / (max − min)`` over the banks of the quarter. Own history: the same over
    the bank's previous values together with the current one, so a value at or above its previous
    best scores 1 and one at or below its previous worst scores 0. ``lower_is_better``:
    ``(max − x) / (max − min)``. When all values are equal, ``tie_fraction``.
    """

    name = "minmax"

    def __init__(self, tie_fraction: float = _NEUTRAL) -> None:
        if not 0 <= tie_fraction <= 1:
            raise SchemeError("minmax: tie_fraction must be within [0, 1]")
        self.tie_fraction = float(tie_fraction)

    def _scale(self, x: pl.Expr, lo: pl.Expr, hi: pl.Expr, higher: bool) -> pl.Expr:
        scaled = (x - lo) / (hi - lo) if higher else (hi - x) / (hi - lo)
        return (
            pl.when(hi > lo).then(scaled.clip(0.0, 1.0)).otherwise(pl.lit(self.tie_fraction))
        ).cast(pl.Float64)

    def peer(self, value: pl.Expr, higher_is_better: bool) -> Scored:
        lo, hi = value.min(), value.max()
        basis = pl.format("min {}, max {} across {} banks", _num(lo), _num(hi), pl.len())
        return Scored(self._scale(value, lo, hi, higher_is_better), basis)

    def own_history(self, value: pl.Expr, history: pl.Expr, higher_is_better: bool) -> Scored:
        n = history.list.len()
        lo = pl.min_horizontal(history.list.min(), value)
        hi = pl.max_horizontal(history.list.max(), value)
        fraction = pl.when(n > 0).then(self._scale(value, lo, hi, higher_is_better))
        basis = pl.format(
            "{} previous value(s) {}, range with current min {}, max {}",
            n,
            history.list.eval(pl.element().round(6)).cast(pl.List(pl.String)).list.join(" / "),
            _num(lo),
            _num(hi),
        )
        return Scored(fraction.cast(pl.Float64), basis)


class RankScoring:
    """Alternative: percentile rank. Peers: ``(r − 1) / (n − 1)`` with average ranks (best
    = 1); own history: the share of previous values the current one beats (ties count half).
    One bank alone, or no history values, scores ``tie_fraction`` / null."""

    name = "rank"

    def __init__(self, tie_fraction: float = _NEUTRAL) -> None:
        if not 0 <= tie_fraction <= 1:
            raise SchemeError("rank: tie_fraction must be within [0, 1]")
        self.tie_fraction = float(tie_fraction)

    def peer(self, value: pl.Expr, higher_is_better: bool) -> Scored:
        n = pl.len().cast(pl.Float64)
        rank = value.rank("average", descending=not higher_is_better).cast(pl.Float64)
        fraction = pl.when(n > 1).then((rank - 1) / (n - 1)).otherwise(pl.lit(self.tie_fraction))
        basis = pl.format("rank {} of {} banks", (n + 1 - rank).round(1), pl.len())
        return Scored(fraction.cast(pl.Float64), basis)

    def own_history(self, value: pl.Expr, history: pl.Expr, higher_is_better: bool) -> Scored:
        n = history.list.len().cast(pl.Float64)
        above = (history - value).list.eval(pl.element().sign()).list.sum().cast(pl.Float64)
        beaten = (n - above) / (2 * n) if higher_is_better else (n + above) / (2 * n)
        fraction = pl.when(n > 0).then(beaten)
        basis = pl.format("beats {} of {} previous value(s)", _num(beaten * n), n.cast(pl.Int64))
        return Scored(fraction.cast(pl.Float64), basis)


register_scoring_method("minmax", MinMaxScoring)
register_scoring_method("rank", RankScoring)


# ---------------------------------------------------------------------------------------------
# Input preparation


def _quarter_index(label: pl.Expr) -> pl.Expr:
    parts = label.cast(pl.String).str.extract_groups(_QUARTER.pattern)
    year = parts.struct.field("1").cast(pl.Int64, strict=False)
    q = parts.struct.field("2").cast(pl.Int64, strict=False)
    return year * 4 + q - 1


def _quarter_label(index: pl.Expr) -> pl.Expr:
    return pl.format("{}Q{}", index // 4, index % 4 + 1)


def _label(index: int) -> str:
    return f"{index // 4}Q{index % 4 + 1}"


def _parse_quarter(text: str) -> int | None:
    m = _QUARTER.match(text)
    return int(m.group(1)) * 4 + int(m.group(2)) - 1 if m else None


def _number(frame: pl.DataFrame, column: str) -> pl.Expr:
    if frame.schema[column].is_numeric():
        return pl.col(column).cast(pl.Float64)
    return pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _problems(
    frame: pl.DataFrame, bad: pl.Expr, field: str | pl.Expr, message: pl.Expr
) -> list[Problem]:
    field_expr = pl.lit(field) if isinstance(field, str) else field
    hits = frame.filter(bad).select(
        pl.col("_bank"), pl.col("_quarter"), field_expr.alias("_f"), message.alias("_m")
    )
    return [Problem(b, q, f, m) for b, q, f, m in hits.iter_rows()]


def _scheme_fields(scheme: Scheme) -> list[str]:
    used = {f for i in scheme.indicators for f in i.fields}
    return [f.id for f in scheme.base_fields if f.id in used]


def _prepare_metrics(metrics: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Normalise ``bank`` / ``quarter`` / base fields; raise on every malformed cell."""
    fields = _scheme_fields(scheme)
    problems = [
        Problem(None, None, c, "required column is missing / 缺少必填列")
        for c in ("bank", "quarter", *fields)
        if c not in metrics.columns
    ]
    if problems:
        raise EvaluationError(problems)
    if metrics.height == 0:
        raise EvaluationError([Problem(None, None, "quarter_metrics", "no rows")])
    frame = metrics.select(
        pl.col("bank").cast(pl.String).str.strip_chars().alias("_bank"),
        pl.col("quarter").cast(pl.String).str.strip_chars().alias("_quarter"),
        *[_number(metrics, c).alias(c) for c in fields],
        *[pl.col(c).cast(pl.String).str.strip_chars().alias(f"_raw_{c}") for c in fields],
    ).with_columns(_quarter_index(pl.col("_quarter")).alias("_qidx"))
    problems += _problems(
        frame, pl.col("_bank").is_null() | (pl.col("_bank") == ""), "bank", pl.lit("missing bank")
    )
    problems += _problems(
        frame,
        pl.col("_qidx").is_null(),
        "quarter",
        pl.format("'{}' is not a quarter (YYYYQn)", pl.col("_quarter").fill_null("")),
    )
    dups = (
        frame.filter(pl.col("_qidx").is_not_null())
        .filter(pl.len().over("_bank", "_qidx") > 1)
        .unique(["_bank", "_qidx"], maintain_order=True)
    )
    problems += _problems(
        dups, pl.lit(True), "quarter", pl.lit("duplicate row for this bank and quarter")
    )
    non_negative = {f.id for f in scheme.base_fields if f.non_negative}
    for c in fields:
        raw = pl.col(f"_raw_{c}")
        present = raw.is_not_null() & (raw != "")
        problems += _problems(
            frame,
            present & (pl.col(c).is_null() | ~pl.col(c).is_finite()),
            c,
            pl.format("'{}' is not a number", raw),
        )
        if c in non_negative:
            problems += _problems(
                frame,
                pl.col(c).is_finite() & (pl.col(c) < 0),
                c,
                pl.format("negative value {} (must be ≥ 0)", _num(pl.col(c))),
            )
    if problems:
        raise EvaluationError(problems)
    return frame.drop([f"_raw_{c}" for c in fields]).with_columns(
        _quarter_label(pl.col("_qidx")).alias("_quarter")
    )


def _sum(fields: Sequence[str]) -> pl.Expr:
    return pl.sum_horizontal([pl.col(f) for f in fields]).cast(pl.Float64).alias("_s")


def _all_present(fields: Sequence[str]) -> pl.Expr:
    return pl.all_horizontal([pl.col(f).is_not_null() for f in fields])


def _indicator_values(frame: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Per bank and quarter: each indicator's value (null when it cannot be computed) and, for
    each indicator, ``_why_<id>``: why not, or null."""
    prior = frame.select(
        "_bank",
        (pl.col("_qidx") + 4).alias("_qidx"),
        *[pl.col(f).alias(f"_prior_{f}") for f in _scheme_fields(scheme)],
        pl.lit(True).alias("_has_prior"),
    )
    frame = frame.join(prior, on=["_bank", "_qidx"], how="left")
    columns: list[pl.Expr] = []
    for ind in scheme.indicators:
        num_ok = _all_present(ind.numerator)
        num = pl.when(num_ok).then(_sum(ind.numerator))
        missing = pl.concat_str(
            [pl.when(pl.col(f).is_null()).then(pl.lit(f)) for f in ind.fields],
            separator=", ",
            ignore_nulls=True,
        )
        miss_msg = pl.format("missing value of {}", missing)
        if ind.kind == "ratio":
            den = pl.when(_all_present(ind.denominator)).then(_sum(ind.denominator))
            value = pl.when(den != 0).then(num / den)
            why = (
                pl.when(~_all_present(ind.fields))
                .then(miss_msg)
                .when(den == 0)
                .then(pl.lit(f"denominator {' + '.join(ind.denominator)} is 0"))
            )
        elif ind.kind == "peer_share":
            total = num.sum().over("_qidx")
            value = pl.when(total != 0).then(num / total)
            why = (
                pl.when(~num_ok)
                .then(miss_msg)
                .when(total == 0)
                .then(pl.lit(f"{' + '.join(ind.numerator)} sums to 0 across the banks"))
            )
        elif ind.kind == "yoy_growth":
            prior_fields = [f"_prior_{f}" for f in ind.numerator]
            prior_ok = _all_present(prior_fields)
            prior_sum = pl.when(prior_ok).then(_sum(prior_fields))
            value = pl.when(prior_sum != 0).then(num / prior_sum - 1)
            prior_label = _quarter_label(pl.col("_qidx") - 4)
            terms = "+".join(ind.numerator)
            why = (
                pl.when(~num_ok)
                .then(miss_msg)
                .when(pl.col("_has_prior").is_null())
                .then(pl.format("no row for {} (needed for year-on-year growth)", prior_label))
                .when(~prior_ok)
                .then(pl.format(f"missing {terms} value in {{}}", prior_label))
                .when(prior_sum == 0)
                .then(pl.format(f"{terms} is 0 in {{}}: growth undefined", prior_label))
            )
        else:  # value
            value = num
            why = pl.when(~num_ok).then(miss_msg)
        columns += [value.cast(pl.Float64).alias(ind.id), why.alias(f"_why_{ind.id}")]
    return frame.with_columns(columns).select(
        "_bank",
        "_quarter",
        "_qidx",
        *_scheme_fields(scheme),
        *[c for i in scheme.indicators for c in (i.id, f"_why_{i.id}")],
    )


# ---------------------------------------------------------------------------------------------
# Qualitative scores


def _prepare_qualitative(
    qualitative: pl.DataFrame, banks: Sequence[str], quarter: str, scheme: Scheme
) -> pl.DataFrame:
    """One row per bank: ``<item>_score``, ``<item>_points``, ``qualitative_points`` and
    ``qualitative_explanation``. Raises on any bad or missing score."""
    problems = [
        Problem(None, quarter, f"qualitative.{c}", "required column is missing / 缺少必填列")
        for c in QUALITATIVE_COLUMNS
        if c not in qualitative.columns
    ]
    if problems:
        raise EvaluationError(problems)
    frame = qualitative
    if "quarter" in frame.columns:
        frame = frame.filter(
            _quarter_index(pl.col("quarter").cast(pl.String).str.strip_chars())
            == _parse_quarter(quarter)
        )
    frame = frame.select(
        pl.col("bank").cast(pl.String).str.strip_chars().alias("_bank"),
        pl.lit(quarter).alias("_quarter"),
        pl.col("item").cast(pl.String).str.strip_chars().alias("item"),
        _number(frame, "score").alias("score"),
        pl.col("score").cast(pl.String).str.strip_chars().alias("_raw_score"),
        pl.col("evidence").cast(pl.String).str.strip_chars().alias("evidence"),
    )
    items = pl.DataFrame(
        {
            "item": [q.id for q in scheme.qualitative_items],
            "_label": [q.label_zh for q in scheme.qualitative_items],
            "_min": [q.score_min for q in scheme.qualitative_items],
            "_max": [q.score_max for q in scheme.qualitative_items],
            "_pts": [scheme.item_points(q) for q in scheme.qualitative_items],
        },
        schema={
            "item": pl.String,
            "_label": pl.String,
            "_min": pl.Float64,
            "_max": pl.Float64,
            "_pts": pl.Float64,
        },
    )
    known_bank = pl.col("_bank").is_in(list(banks))
    frame = frame.join(items, on="item", how="left")
    item_field = pl.format("qualitative.{}", pl.col("item").fill_null(""))
    problems += _problems(
        frame,
        ~known_bank.fill_null(False),
        "qualitative.bank",
        pl.lit("bank is not among the banks evaluated this quarter"),
    )
    problems += _problems(
        frame,
        pl.col("_label").is_null(),
        item_field,
        pl.lit(f"unknown item; the scheme's items: {', '.join(items['item'])}"),
    )
    problems += _problems(
        frame, pl.len().over("_bank", "item") > 1, item_field, pl.lit("duplicate score")
    )
    score_field = pl.format("qualitative.{}.score", pl.col("item").fill_null(""))
    problems += _problems(
        frame,
        pl.col("score").is_null() | ~pl.col("score").is_finite(),
        score_field,
        pl.format("'{}' is not a number", pl.col("_raw_score").fill_null("")),
    )
    problems += _problems(
        frame,
        pl.col("score").is_finite() & ~pl.col("score").is_between(pl.col("_min"), pl.col("_max")),
        score_field,
        pl.format(
            "score {} outside {}..{}",
            _num(pl.col("score")),
            _num(pl.col("_min")),
            _num(pl.col("_max")),
        ),
    )
    problems += _problems(
        frame,
        pl.col("evidence").is_null() | (pl.col("evidence") == ""),
        pl.format("qualitative.{}.evidence", pl.col("item").fill_null("")),
        pl.lit("an evidence note is required for every qualitative score"),
    )
    expected = pl.DataFrame({"_bank": list(banks)}).join(items.select("item"), how="cross")
    missing = expected.join(frame.select("_bank", "item"), on=["_bank", "item"], how="anti")
    problems += [
        Problem(b, quarter, f"qualitative.{i}", "missing qualitative score")
        for b, i in missing.iter_rows()
    ]
    if problems:
        raise EvaluationError(problems)

    scored = frame.with_columns(
        (
            (pl.col("score") - pl.col("_min")) / (pl.col("_max") - pl.col("_min")) * pl.col("_pts")
        ).alias("_points")
    ).with_columns(
        pl.format(
            "{}: {} / {} → {} / {} pts ({})",
            pl.col("_label"),
            _num(pl.col("score")),
            _num(pl.col("_max")),
            _num(pl.col("_points")),
            _num(pl.col("_pts")),
            pl.col("evidence"),
        ).alias("_text")
    )
    wide = scored.pivot(on="item", index="_bank", values=["score", "_points"])
    order = {q.id: n for n, q in enumerate(scheme.qualitative_items)}
    texts = (
        scored.with_columns(pl.col("item").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("_o")
        .group_by("_bank", maintain_order=True)
        .agg(
            pl.col("_text").str.join("; ").alias("qualitative_explanation"),
            pl.col("_points").sum().alias("qualitative_points"),
        )
    )
    renames = {}
    for q in scheme.qualitative_items:
        renames[f"score_{q.id}"] = f"{q.id}_score"
        renames[f"_points_{q.id}"] = f"{q.id}_points"
    wide = wide.rename({k: v for k, v in renames.items() if k in wide.columns})
    return wide.join(texts, on="_bank", how="left")


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate(
    quarter_metrics: pl.DataFrame,
    qualitative: pl.DataFrame | None,
    scheme: Scheme | str,
    *,
    quarter: str | None = None,
    method: ScoringMethod | None = None,
) -> pl.DataFrame:
    """Evaluate every bank of a quarter under a scheme.

    Parameters
    ----------
    quarter_metrics : pl.DataFrame
        One row per bank and quarter: ``bank``, ``quarter`` (``2024Q3``) and the scheme's base
        fields (see the scheme file). Earlier quarters supply the year-on-year base and the
        own-history comparison.
    qualitative : pl.DataFrame or None
        Regulator scores: ``bank``, ``item``, ``score``, ``evidence`` (and optionally
        ``quarter``). ``None``: qualitative scores pending; then ``qualitative_points``,
        ``total_points``, ``grade`` and ``rank`` are null (``quantitative_rank`` is given).
    scheme : Scheme or str
        A loaded scheme or a scheme id for :func:`load_scheme`.
    quarter : str, optional
        The quarter to evaluate; default the latest quarter in ``quarter_metrics``.
    method : ScoringMethod, optional
        Override the scheme's scoring method (``scoring.method`` from the registry).

    Returns
    -------
    pl.DataFrame
        One row per bank of the quarter, sorted by rank then bank: ``bank``, ``quarter``,
        ``scheme_id``, ``scheme_edition``, ``scoring_method``; for each indicator ``<id>``
        (value), ``<id>_own_points``, ``<id>_peer_points``, ``<id>_points``,
        ``<id>_explanation``; ``quantitative_points``; for each qualitative item
        ``<item>_score``, ``<item>_points``; ``qualitative_points``,
        ``qualitative_explanation``, ``total_points``, ``grade``, ``grade_level`` (1 = best),
        ``rank`` (1 = best, ties share), ``quantitative_rank``, ``priority`` (grade among the
        scheme's priority grades) and ``warnings`` (list of fallbacks applied).

    Raises
    ------
    EvaluationError
        Every problem with bank, quarter and field: missing column or value, a value that is
        not a number, a negative balance, an indicator that cannot be computed (zero
        denominator, no prior-year row for the growth), a qualitative score missing, duplicated,
        outside its range or without evidence.
    """
    if not isinstance(scheme, Scheme):
        scheme = load_scheme(scheme)
    method = method or scoring_method(scheme.scoring_method, **scheme.scoring_params)
    frame = _prepare_metrics(quarter_metrics, scheme)
    if quarter is None:
        current = int(frame["_qidx"].max())  # type: ignore[arg-type]
    else:
        parsed = _parse_quarter(quarter)
        if parsed is None or parsed not in set(frame["_qidx"].to_list()):
            raise EvaluationError(
                [Problem(None, quarter, "quarter", "no rows for this quarter in quarter_metrics")]
            )
        current = parsed
    label = _label(current)
    values = _indicator_values(frame, scheme)

    now = values.filter(pl.col("_qidx") == current)
    problems: list[Problem] = []
    for ind in scheme.indicators:
        problems += _problems(
            now,
            pl.col(f"_why_{ind.id}").is_not_null(),
            ind.id,
            pl.format("{}: {}", pl.lit(ind.label_zh), pl.col(f"_why_{ind.id}")),
        )
    if problems:
        raise EvaluationError(problems)

    # Own history: the value of each of the previous periods, joined by (bank, quarter + k·step).
    history = now.select("_bank", "_qidx")
    for k in range(1, scheme.history_periods + 1):
        shifted = values.select(
            "_bank",
            (pl.col("_qidx") + k * scheme.history_step_quarters).alias("_qidx"),
            *[pl.col(i.id).alias(f"_h{k}_{i.id}") for i in scheme.indicators],
        )
        history = history.join(shifted, on=["_bank", "_qidx"], how="left")
    now = now.join(history, on=["_bank", "_qidx"], how="left").with_columns(
        pl.concat_list([pl.col(f"_h{k}_{i.id}") for k in range(1, scheme.history_periods + 1)])
        .list.drop_nulls()
        .alias(f"_hist_{i.id}")
        for i in scheme.indicators
    )
    previous = ", ".join(
        _label(current - k * scheme.history_step_quarters)
        for k in range(1, scheme.history_periods + 1)
    )

    columns: list[pl.Expr] = []
    warnings: list[pl.Expr] = []
    for ind in scheme.indicators:
        value, hist = pl.col(ind.id), pl.col(f"_hist_{ind.id}")
        peer = method.peer(value, ind.higher_is_better)
        own = method.own_history(value, hist, ind.higher_is_better)
        no_history = hist.list.len() == 0
        fallback = {
            "peer": peer.fraction,
            "neutral": pl.lit(_NEUTRAL),
            "zero": pl.lit(0.0),
        }[scheme.no_history_fallback]
        own_fraction = pl.when(no_history).then(fallback).otherwise(own.fraction)
        own_basis = (
            pl.when(no_history)
            .then(pl.lit(f"no own history in {previous}; fallback '{scheme.no_history_fallback}'"))
            .otherwise(own.basis)
        )
        own_max, peer_max = scheme.own_points(ind), scheme.peer_points(ind)
        own_pts = own_fraction * own_max
        peer_pts = peer.fraction * peer_max
        direction = "higher is better" if ind.higher_is_better else "lower is better"
        explanation = pl.format(
            f"{ind.label_zh} = {{}} ({direction}); own history ({ind.own_history_pct:g}%, "
            f"{own_max:g} pts): {{}} → {{}} × {own_max:g} = {{}}; peers ({ind.peer_pct:g}%, "
            f"{peer_max:g} pts): {{}} → {{}} × {peer_max:g} = {{}}; "
            f"{{}} / {own_max + peer_max:g} pts",
            _num(value),
            own_basis,
            _num(own_fraction),
            _num(own_pts),
            peer.basis,
            _num(peer.fraction),
            _num(peer_pts),
            _num(own_pts + peer_pts),
        )
        columns += [
            own_pts.alias(f"{ind.id}_own_points"),
            peer_pts.alias(f"{ind.id}_peer_points"),
            (own_pts + peer_pts).alias(f"{ind.id}_points"),
            explanation.alias(f"{ind.id}_explanation"),
        ]
        warnings.append(
            pl.when(no_history).then(
                pl.lit(
                    f"{ind.id}: no own history in {previous}; own-history part "
                    f"({ind.own_history_pct:g}%) scored by fallback '{scheme.no_history_fallback}'"
                )
            )
        )
    scored = now.with_columns(columns).with_columns(
        pl.sum_horizontal([pl.col(f"{i.id}_points") for i in scheme.indicators]).alias(
            "quantitative_points"
        ),
        pl.concat_list(warnings).list.drop_nulls().alias("warnings"),
    )

    banks = scored["_bank"].to_list()
    if qualitative is not None:
        qual = _prepare_qualitative(qualitative, banks, label, scheme)
        scored = scored.join(qual, on="_bank", how="left")
    else:
        scored = scored.with_columns(
            *[
                c
                for q in scheme.qualitative_items
                for c in (
                    pl.lit(None, pl.Float64).alias(f"{q.id}_score"),
                    pl.lit(None, pl.Float64).alias(f"{q.id}_points"),
                )
            ],
            pl.lit(None, pl.Float64).alias("qualitative_points"),
            pl.lit("qualitative scores pending").alias("qualitative_explanation"),
        )

    point_columns = [
        *[
            f"{i.id}_{part}"
            for i in scheme.indicators
            for part in ("own_points", "peer_points", "points")
        ],
        "quantitative_points",
        *[f"{q.id}_points" for q in scheme.qualitative_items],
        "qualitative_points",
    ]
    total = (pl.col("quantitative_points") + pl.col("qualitative_points")).round(_POINT_DECIMALS)
    grade = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    level = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int64))
    for n, band in enumerate(scheme.grades, start=1):
        grade = grade.when(pl.col("total_points") >= band.min_points).then(pl.lit(band.grade))
        level = level.when(pl.col("total_points") >= band.min_points).then(pl.lit(n))
    result = (
        scored.with_columns(pl.col(c).round(_POINT_DECIMALS) for c in point_columns)
        .with_columns(total.alias("total_points"))
        .with_columns(
            grade.alias("grade"),
            level.alias("grade_level"),
            pl.col("total_points").rank("min", descending=True).cast(pl.Int64).alias("rank"),
            pl.col("quantitative_points")
            .rank("min", descending=True)
            .cast(pl.Int64)
            .alias("quantitative_rank"),
        )
        .with_columns(
            pl.col("grade").is_in(list(scheme.priority_grades)).alias("priority"),
        )
    )
    ordered = [
        pl.col("_bank").alias("bank"),
        pl.col("_quarter").alias("quarter"),
        pl.lit(scheme.id).alias("scheme_id"),
        pl.lit(scheme.edition).alias("scheme_edition"),
        pl.lit(getattr(method, "name", type(method).__name__)).alias("scoring_method"),
        *[
            pl.col(c)
            for i in scheme.indicators
            for c in (
                i.id,
                f"{i.id}_own_points",
                f"{i.id}_peer_points",
                f"{i.id}_points",
                f"{i.id}_explanation",
            )
        ],
        pl.col("quantitative_points"),
        *[pl.col(c) for q in scheme.qualitative_items for c in (f"{q.id}_score", f"{q.id}_points")],
        pl.col("qualitative_points"),
        pl.col("qualitative_explanation"),
        pl.col("total_points"),
        pl.col("grade"),
        pl.col("grade_level"),
        pl.col("rank"),
        pl.col("quantitative_rank"),
        pl.col("priority"),
        pl.col("warnings"),
    ]
    return result.select(ordered).sort(["rank", "quantitative_rank", "bank"], nulls_last=True)


def priority_list(result: pl.DataFrame, *, only_priority: bool = False) -> pl.DataFrame:
    """Order banks for the monetary-policy tools (京绿融 relending, 京绿通 rediscount): banks in
    the scheme's priority grades (优秀 / 良好 for ``pboc_2021``) first, best grade first, then by
    total points (ties by bank).

    Parameters
    ----------
    result : pl.DataFrame
        The output of :func:`evaluate` (with qualitative scores, so every bank is graded).
    only_priority : bool, default False
        Return only the banks in the priority grades.

    Returns
    -------
    pl.DataFrame
        ``priority_order`` (1 = first), ``bank``, ``quarter``, ``scheme_id``, ``grade``,
        ``total_points``, ``rank``, ``priority``.

    Raises
    ------
    EvaluationError
        A column of the evaluation result is missing, or a bank is not graded (qualitative
        scores pending).
    """
    needed = (
        "bank",
        "quarter",
        "scheme_id",
        "grade",
        "grade_level",
        "total_points",
        "rank",
        "priority",
    )
    missing = [c for c in needed if c not in result.columns]
    if missing:
        raise EvaluationError(
            [Problem(None, None, c, "not an evaluation result: column missing") for c in missing]
        )
    ungraded = result.filter(pl.col("grade").is_null())
    if ungraded.height:
        raise EvaluationError(
            [
                Problem(b, q, "grade", "not graded (qualitative scores pending)")
                for b, q in ungraded.select("bank", "quarter").iter_rows()
            ]
        )
    ordered = result.sort(
        ["priority", "grade_level", "total_points", "bank"],
        descending=[True, False, True, False],
    )
    if only_priority:
        ordered = ordered.filter(pl.col("priority"))
    return ordered.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("priority_order"),
        "bank",
        "quarter",
        "scheme_id",
        "grade",
        "total_points",
        "rank",
        "priority",
    )
