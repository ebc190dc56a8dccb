"""Grade proposal for a library project — 深绿 / 中绿 / 浅绿 / 非绿 — from a points rubric (data).

The rubric (``reference/data/library/grading_rubric.csv``, documented in ``RUBRIC.md`` beside it)
is greenfin's own. Five criteria give points by band:

- ``catalogue_match`` — screening score of the top 2025 catalogue item;
- ``criteria_met`` — share of the item's applicable quantitative technical criteria passed
  (qualitative items score a neutral band);
- ``reduction_intensity`` — estimated annual reduction (tCO2e/yr) per 万元 of total investment
  (not estimable → neutral band, with the reason);
- ``evidence_completeness`` — share of the required evidence document kinds uploaded;
- ``environmental_credit`` — grade of the enterprise's latest carbon account (no record → neutral).

Gates: a screening verdict ``not_eligible`` or ``out_of_scope`` makes the project 非绿 whatever
its points. Otherwise the total is banded into a grade. Every criterion reports its measured value,
the band hit and how the value was obtained. Pure: no I/O except the shipped rubric.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from greenfin.library.workflow import Grade
from greenfin.reference import data_rows

RUBRIC_FILE = ("library", "grading_rubric.csv")
CRITERIA = (
    "catalogue_match",
    "criteria_met",
    "reduction_intensity",
    "evidence_completeness",
    "environmental_credit",
)
NO_RECORD = "no_record"
QUALITATIVE = "qualitative"
NOT_ESTIMATED = "not_estimated"
REVIEWER_SET = "reviewer_set"


class RubricError(ValueError):
    """The shipped rubric file is malformed (a packaging error, not user input)."""


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool

    @classmethod
    def parse(cls, text: str) -> Interval:
        """``[a,b)``, ``(a,b]``, ``[a,inf)``, ``(-inf,b]`` …"""
        text = text.strip()
        if len(text) < 5 or text[0] not in "[(" or text[-1] not in "])" or "," not in text:
            raise RubricError(f"bad interval {text!r}")
        low, high = (part.strip() for part in text[1:-1].split(",", 1))
        return cls(float(low), float(high), text[0] == "[", text[-1] == "]")

    def contains(self, value: float) -> bool:
        above = value >= self.lower if self.lower_closed else value > self.lower
        below = value <= self.upper if self.upper_closed else value < self.upper
        return above and below

    def __str__(self) -> str:
        def fmt(x: float) -> str:
            return "∞" if math.isinf(x) and x > 0 else "-∞" if math.isinf(x) else f"{x:g}"

        left = "[" if self.lower_closed else "("
        right = "]" if self.upper_closed else ")"
        return f"{left}{fmt(self.lower)}, {fmt(self.upper)}{right}"


@dataclass(frozen=True)
class Band:
    section: str  # criterion | gate | grade
    criterion: str
    band: str
    interval: Interval | None
    category: str
    points: float
    max_points: float
    grade: str
    label_zh: str
    label_en: str
    source: str
    edition: str
    status: str


@dataclass(frozen=True)
class Rubric:
    bands: tuple[Band, ...]

    @property
    def edition(self) -> str:
        return self.bands[0].edition

    def criterion_bands(self, criterion: str) -> list[Band]:
        return [b for b in self.bands if b.section == "criterion" and b.criterion == criterion]

    def max_points(self, criterion: str) -> float:
        return max(b.max_points for b in self.criterion_bands(criterion))

    @property
    def total_max(self) -> float:
        return sum(self.max_points(c) for c in CRITERIA)

    @property
    def gates(self) -> list[Band]:
        return [b for b in self.bands if b.section == "gate"]

    @property
    def grade_bands(self) -> list[Band]:
        return [b for b in self.bands if b.section == "grade"]


def _number(row: dict[str, str], column: str, line: int) -> float:
    try:
        return float(row[column]) if row[column] != "" else 0.0
    except ValueError:
        raise RubricError(f"grading_rubric.csv line {line}: {column} {row[column]!r}") from None


@cache
def rubric() -> Rubric:
    """The shipped rubric, validated (criteria complete, grades known, intervals parse)."""
    bands = []
    for line, r in enumerate(data_rows(*RUBRIC_FILE), start=2):
        if not r["source"] or not r["edition"]:
            raise RubricError(f"grading_rubric.csv line {line}: source and edition are required")
        interval = Interval.parse(r["interval"]) if r["interval"] else None
        if interval is None and not r["category"]:
            raise RubricError(f"grading_rubric.csv line {line}: interval or category needed")
        if r["grade"] and r["grade"] not in {g.value for g in Grade}:
            raise RubricError(f"grading_rubric.csv line {line}: unknown grade {r['grade']!r}")
        bands.append(
            Band(
                section=r["section"], criterion=r["criterion"], band=r["band"], interval=interval,
                category=r["category"], points=_number(r, "points", line),
                max_points=_number(r, "max_points", line), grade=r["grade"],
                label_zh=r["label_zh"], label_en=r["label_en"], source=r["source"],
                edition=r["edition"], status=r["status"],
            )
        )  # fmt: skip
    result = Rubric(tuple(bands))
    missing = [c for c in CRITERIA if not result.criterion_bands(c)]
    if missing or not result.grade_bands:
        raise RubricError(f"grading_rubric.csv lacks {missing or 'grade bands'}")
    return result


@dataclass(frozen=True)
class GradingInputs:
    """What the rubric reads. ``top_score``: screening score of the top candidate;
    ``checks_passed`` / ``checks_applicable``: the item's quantitative criteria (applicable 0 →
    qualitative); ``reduction_tco2e_per_year``: None when not estimated (``reduction_note`` says
    why); ``total_investment_10k_cny``: 万元; ``documents_present`` / ``documents_required``:
    evidence kinds; ``credit_grade``: the carbon-account grade code or None (``credit_note``:
    where it came from)."""

    verdict: str | None
    top_score: float | None
    checks_passed: int
    checks_applicable: int
    reduction_tco2e_per_year: float | None
    total_investment_10k_cny: float
    documents_present: frozenset[str]
    documents_required: frozenset[str]
    credit_grade: str | None
    reduction_note: str = ""
    credit_note: str = ""
    item_set_by_reviewer: bool = False  # the assigned reviewer chose the item (reclassify)


@dataclass(frozen=True)
class CriterionPoints:
    criterion: str
    value: float | str | None
    band: str
    band_label_zh: str
    band_label_en: str
    points: float
    max_points: float
    how: str  # how the value was obtained


@dataclass(frozen=True)
class GradingResult:
    grade: str
    total_points: float
    max_points: float
    criteria: tuple[CriterionPoints, ...]
    gate: str | None  # why a gate set the grade, if one did
    rubric_edition: str
    rubric_status: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _by_value(criterion: str, value: float) -> Band:
    for band in rubric().criterion_bands(criterion):
        if band.interval is not None and band.interval.contains(value):
            return band
    raise RubricError(f"no band of {criterion} holds {value}")


def _by_category(criterion: str, category: str) -> Band:
    for band in rubric().criterion_bands(criterion):
        if band.category == category:
            return band
    raise RubricError(f"no band of {criterion} for {category!r}")


def _points(criterion: str, band: Band, value: float | str | None, how: str) -> CriterionPoints:
    return CriterionPoints(
        criterion, value, band.band, band.label_zh, band.label_en, band.points,
        rubric().max_points(criterion), how,
    )  # fmt: skip


def grade(inputs: GradingInputs) -> GradingResult:
    """Points per criterion and the proposed grade."""
    rows: list[CriterionPoints] = []
    score = inputs.top_score if inputs.top_score is not None else 0.0
    if inputs.item_set_by_reviewer:
        # the screening score measures the machine's item, not the one the reviewer chose
        rows.append(_points(
            "catalogue_match", _by_category("catalogue_match", REVIEWER_SET), None,
            "目录条目由评审员改判确定：该条目无筛查得分，按较强匹配计分",
        ))  # fmt: skip
    else:
        rows.append(_points(
            "catalogue_match", _by_value("catalogue_match", score), round(score, 4),
            f"筛查得分（首位目录条目，词法+规则+行业+活动类型+关键词）= {score:.4f}",
        ))  # fmt: skip
    if inputs.checks_applicable:
        share = inputs.checks_passed / inputs.checks_applicable
        rows.append(_points(
            "criteria_met", _by_value("criteria_met", share), round(share, 4),
            f"通过的技术标准 {inputs.checks_passed} / 适用的 {inputs.checks_applicable}",
        ))  # fmt: skip
    else:
        rows.append(_points(
            "criteria_met", _by_category("criteria_met", QUALITATIVE), None,
            "该条目没有适用的定量技术标准（目录条件为定性要求），计中性分",
        ))  # fmt: skip
    reduction = inputs.reduction_tco2e_per_year
    if reduction is None or inputs.total_investment_10k_cny <= 0:
        rows.append(_points(
            "reduction_intensity", _by_category("reduction_intensity", NOT_ESTIMATED), None,
            f"未测算减排量，计中性分：{inputs.reduction_note or '无'}",
        ))  # fmt: skip
    else:
        per = reduction / inputs.total_investment_10k_cny
        rows.append(_points(
            "reduction_intensity", _by_value("reduction_intensity", per), round(per, 6),
            f"年减排量 {reduction:,.2f} tCO2e ÷ 总投资 {inputs.total_investment_10k_cny:,.2f} 万元"
            f" = {per:.4f} tCO2e/(年·万元)",
        ))  # fmt: skip
    required = inputs.documents_required
    present = inputs.documents_present & required
    share = len(present) / len(required) if required else 1.0
    missing = sorted(required - present)
    rows.append(_points(
        "evidence_completeness", _by_value("evidence_completeness", share), round(share, 4),
        f"必备材料已上传 {len(present)} / {len(required)}"
        + (f"（缺：{'、'.join(missing)}）" if missing else ""),
    ))  # fmt: skip
    credit = inputs.credit_grade or NO_RECORD
    rows.append(_points(
        "environmental_credit", _by_category("environmental_credit", credit), credit,
        inputs.credit_note or ("无企业碳账户分级记录，计中性分" if credit == NO_RECORD
                               else f"企业碳账户等级 {credit}"),
    ))  # fmt: skip
    total = sum(r.points for r in rows)
    gate = None
    result_grade = None
    for band in rubric().gates:
        if inputs.verdict == band.category:
            gate = f"{band.label_zh} / {band.label_en}: {band.grade}"
            result_grade = band.grade
            break
    if result_grade is None:
        for band in rubric().grade_bands:
            if band.interval is not None and band.interval.contains(total):
                result_grade = band.grade
                break
    if result_grade is None:
        raise RubricError(f"no grade band holds {total}")
    return GradingResult(
        grade=result_grade, total_points=total, max_points=rubric().total_max,
        criteria=tuple(rows), gate=gate, rubric_edition=rubric().edition,
        rubric_status=rubric().bands[0].status,
    )  # fmt: skip
