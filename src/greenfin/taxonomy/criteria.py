"""Technical screening criteria kept as data (``technical_criteria.csv``) and their evaluation.

Semantics: an item passes when ALL of its groups pass; a group passes when ANY (``group_logic =
any``) or ALL (``all``) of its *applicable* criteria pass. A criterion is applicable when its
``when`` condition (``key=value`` pairs joined by ``;``) matches the record's parameters. A
criterion whose parameter is missing, or whose threshold lives only in a cited standard, is
*unverified* — the group (and item) is then unverified rather than failed.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any

from greenfin.reference.taxonomy import cached_rows

_OPS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_OP_SYMBOL = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "in": "∈"}


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNVERIFIED = "unverified"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Criterion:
    criterion_id: str
    edition: str
    item_code: str
    group: str
    group_logic: str
    parameter: str
    operator: str
    threshold: str
    unit: str
    when: str
    label_zh: str
    quote_zh: str
    standard_ref: str
    status: str

    def describe(self) -> str:
        symbol = _OP_SYMBOL.get(self.operator, self.operator)
        return f"{self.label_zh or self.parameter} {symbol} {self.threshold}{self.unit_suffix}"

    @property
    def unit_suffix(self) -> str:
        return "" if self.unit in ("", "grade", "star", "ratio") else self.unit


@dataclass(frozen=True)
class CriterionCheck:
    criterion: Criterion
    outcome: Outcome
    value: Any
    message: str


@dataclass(frozen=True)
class CriteriaReport:
    item_code: str
    outcome: Outcome  # PASSED, FAILED, UNVERIFIED, or NOT_APPLICABLE (no criteria encoded)
    checks: tuple[CriterionCheck, ...]

    @property
    def failed(self) -> list[CriterionCheck]:
        return [c for c in self.checks if c.outcome is Outcome.FAILED]

    @property
    def missing_parameters(self) -> list[str]:
        return sorted(
            {
                c.criterion.parameter
                for c in self.checks
                if c.outcome is Outcome.UNVERIFIED and c.value is None
            }
        )


@cache
def criteria_index() -> dict[tuple[str, str], tuple[Criterion, ...]]:
    grouped: dict[tuple[str, str], list[Criterion]] = defaultdict(list)
    for r in cached_rows("technical_criteria.csv"):
        c = Criterion(
            criterion_id=r["criterion_id"], edition=r["edition"], item_code=r["item_code"],
            group=r["group"] or "1", group_logic=(r["group_logic"] or "all").lower(),
            parameter=r["parameter"], operator=r["operator"], threshold=r["threshold"],
            unit=r["unit"], when=r["when"], label_zh=r["label_zh"], quote_zh=r["quote_zh"],
            standard_ref=r["standard_ref"], status=r["status"],
        )  # fmt: skip
        grouped[(c.edition, c.item_code)].append(c)
    return {key: tuple(rows) for key, rows in grouped.items()}


def criteria_for(edition: str, item_code: str) -> tuple[Criterion, ...]:
    return criteria_index().get((edition, item_code), ())


def _matches_when(when: str, params: dict[str, Any]) -> bool:
    for clause in filter(None, (part.strip() for part in when.split(";"))):
        key, _, expected = clause.partition("=")
        if str(params.get(key.strip(), "")).strip().lower() != expected.strip().lower():
            return False
    return True


def plain_number(value: Any) -> str:
    """A figure as a person writes it: 2.0 → "2", 22.8 → "22.8", 1234567.0 → "1234567"."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


def check_criterion(criterion: Criterion, params: dict[str, Any]) -> CriterionCheck:
    if not _matches_when(criterion.when, params):
        return CriterionCheck(criterion, Outcome.NOT_APPLICABLE, None, "条件不适用")
    value = params.get(criterion.parameter)
    if value is None or value == "":
        return CriterionCheck(
            criterion, Outcome.UNVERIFIED, None, f"缺少参数 {criterion.parameter}，需提供证明材料"
        )
    if criterion.threshold == "":
        return CriterionCheck(
            criterion, Outcome.UNVERIFIED, value,
            f"阈值见所引标准 {criterion.standard_ref}，需人工核对",
        )  # fmt: skip
    op = criterion.operator
    if op in ("eq", "in"):
        allowed = {v.strip().lower() for v in criterion.threshold.split("|")}
        ok = str(value).strip().lower() in allowed
    else:
        try:
            ok = _OPS[op](float(value), float(criterion.threshold))
        except (TypeError, ValueError):
            return CriterionCheck(
                criterion, Outcome.UNVERIFIED, value, f"参数 {criterion.parameter} 不是数值"
            )
    outcome = Outcome.PASSED if ok else Outcome.FAILED
    verb = "通过" if ok else "未达标"
    shown = plain_number(value)
    return CriterionCheck(
        criterion, outcome, value, f"{criterion.describe()}：实际 {shown}，{verb}"
    )


def _when_keys(when: str) -> set[str]:
    return {part.partition("=")[0].strip() for part in when.split(";") if part.strip()}


def _failed_in_every_case(
    members: list[CriterionCheck], params: dict[str, Any]
) -> list[CriterionCheck] | None:
    """A group none of whose cases applies only because the record does not say which case it
    is (e.g. the motor type is missing) still fails when the stated value fails every case: a
    grade-2 motor misses the grade-1 bar of each motor type the catalogue lists. Returns the
    checks as if each case applied, or None when some case might pass or the record chose a
    case this group does not list."""
    if any(not m.criterion.when or _when_keys(m.criterion.when) & params.keys() for m in members):
        return None
    checks = []
    for m in members:
        check = check_criterion(replace(m.criterion, when=""), params)
        if check.outcome is not Outcome.FAILED:
            return None
        unknown = "、".join(sorted(_when_keys(m.criterion.when)))
        note = f"（未说明 {unknown}，各情形均未达标）"
        checks.append(replace(check, message=f"{check.message}{note}"))
    return checks


def evaluate(edition: str, item_code: str, params: dict[str, Any] | None) -> CriteriaReport:
    params = params or {}
    criteria = criteria_for(edition, item_code)
    if not criteria:
        return CriteriaReport(item_code, Outcome.NOT_APPLICABLE, ())
    groups: dict[str, list[CriterionCheck]] = defaultdict(list)
    for criterion in criteria:
        groups[criterion.group].append(check_criterion(criterion, params))
    group_outcomes = []
    for name, members in groups.items():
        applicable = [m for m in members if m.outcome is not Outcome.NOT_APPLICABLE]
        if not applicable:
            failed = _failed_in_every_case(members, params)
            if failed:
                groups[name] = failed
            group_outcomes.append(Outcome.FAILED if failed else Outcome.UNVERIFIED)
            continue
        outcomes = {m.outcome for m in applicable}
        if members[0].criterion.group_logic == "any":
            if Outcome.PASSED in outcomes:
                group_outcomes.append(Outcome.PASSED)
            elif Outcome.UNVERIFIED in outcomes:
                group_outcomes.append(Outcome.UNVERIFIED)
            else:
                group_outcomes.append(Outcome.FAILED)
        elif Outcome.FAILED in outcomes:
            group_outcomes.append(Outcome.FAILED)
        elif Outcome.UNVERIFIED in outcomes:
            group_outcomes.append(Outcome.UNVERIFIED)
        else:
            group_outcomes.append(Outcome.PASSED)
    if Outcome.FAILED in group_outcomes:
        overall = Outcome.FAILED
    elif Outcome.UNVERIFIED in group_outcomes:
        overall = Outcome.UNVERIFIED
    else:
        overall = Outcome.PASSED
    checks = tuple(check for members in groups.values() for check in members)
    return CriteriaReport(item_code, overall, checks)
