"""A project's annual emission reduction from its technical parameters and expected outputs.

The catalogue item found by screening selects the methods registered for it
(:func:`greenfin.carbon.reductions.methods_for`); ``reference/data/library/reduction_inputs.csv``
says which project field feeds which method input (and in which unit). The first method whose
required fields are all present and that computes without error is used; when none does the
estimate is ``None`` with the reason for every method tried. Pure: no I/O except shipped data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from greenfin.carbon import reductions
from greenfin.reference import data_rows

ALL_METHODS = "*"


@dataclass(frozen=True)
class ProjectInput:
    """One row of ``reduction_inputs.csv``: a project field and the method input it feeds."""

    key: str
    kind: str  # output (expected_outputs) | parameter (technical_parameters)
    label_zh: str
    label_en: str
    unit: str
    method_id: str
    method_input: str
    unit_input: str
    carrier: str
    required: str  # yes | any (at least one of the method's "any" fields) | no
    default: str


@cache
def project_inputs() -> tuple[ProjectInput, ...]:
    return tuple(
        ProjectInput(
            key=r["key"], kind=r["kind"], label_zh=r["label_zh"], label_en=r["label_en"],
            unit=r["unit"], method_id=r["method_id"], method_input=r["method_input"],
            unit_input=r["unit_input"], carrier=r["carrier"], required=r["required"],
            default=r["default"],
        )
        for r in data_rows("library", "reduction_inputs.csv")
    )  # fmt: skip


def output_keys() -> dict[str, ProjectInput]:
    """Expected-output fields (numbers ≥ 0) a project form offers."""
    return {p.key: p for p in project_inputs() if p.kind == "output"}


def parameter_keys() -> dict[str, ProjectInput]:
    """Technical parameters used by the reduction methods (besides the screening ones)."""
    return {p.key: p for p in project_inputs() if p.kind == "parameter"}


@dataclass(frozen=True)
class Attempt:
    method_id: str
    ok: bool
    reason: str


@dataclass(frozen=True)
class ReductionEstimate:
    annual_reduction_tco2e: float | None
    method_id: str | None
    working: dict[str, Any] | None  # Reduction.provenance(): formula, inputs, factors, notes
    reason: str  # why there is no estimate ("" when there is one)
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "annual_reduction_tco2e": self.annual_reduction_tco2e,
            "method_id": self.method_id,
            "working": self.working,
            "reason": self.reason,
            "attempts": [a.__dict__ for a in self.attempts],
        }


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _kwargs(
    method_id: str, outputs: dict[str, Any], params: dict[str, Any], year: int
) -> tuple[dict[str, Any] | None, str]:
    """Method keyword arguments from the project's fields, or (None, what is missing)."""
    rows = [p for p in project_inputs() if p.method_id in (method_id, ALL_METHODS)]
    if not any(p.method_id == method_id for p in rows):
        return None, "no project field maps to this method (it needs supplied factors)"
    kwargs: dict[str, Any] = {"year": year}
    missing: list[str] = []
    saved: list[reductions.EnergyFlow] = []
    any_fields: list[str] = []
    for p in rows:
        source = outputs if p.kind == "output" else params
        raw = source.get(p.key)
        if raw in (None, ""):
            raw = p.default or None
        if p.required == "any":
            any_fields.append(p.key)
        if raw is None:
            if p.required == "yes":
                missing.append(p.key)
            continue
        value: Any = raw
        if p.unit:  # a quantity; fields without a unit are names (fuel, grid region)
            number = _number(raw)
            if number is None:
                return None, f"{p.key} is not a number"
            value = number
        if p.method_input == "saved":
            saved.append(reductions.EnergyFlow(p.carrier, value, p.unit))
            continue
        kwargs[p.method_input] = value
        if p.unit_input:
            kwargs[p.unit_input] = p.unit
    if any_fields and not saved:
        missing.append(" or ".join(any_fields))
    if missing:
        return None, "missing: " + ", ".join(missing)
    if saved:
        kwargs["saved"] = saved
    return kwargs, ""


def estimate(
    item_code: str | None,
    expected_outputs: dict[str, Any],
    technical_parameters: dict[str, Any],
    year: int,
) -> ReductionEstimate:
    """Annual reduction (tCO2e/yr) with its working, or None and why.

    ``year``: the accounting year whose grid factor applies (latest data year ≤ it)."""
    if not item_code:
        return ReductionEstimate(None, None, None, "no catalogue item was identified")
    methods = reductions.methods_for(item_code)
    if not methods:
        return ReductionEstimate(
            None, None, None, f"no reduction method is registered for item {item_code}"
        )
    attempts: list[Attempt] = []
    tried: set[str] = set()
    for method in methods:
        if method.method_id in tried:
            continue
        tried.add(method.method_id)
        kwargs, why = _kwargs(method.method_id, expected_outputs, technical_parameters, year)
        if kwargs is None:
            attempts.append(Attempt(method.method_id, False, why))
            continue
        try:
            result = reductions.estimate(item_code, method.method_id, **kwargs)
        except reductions.ReductionError as exc:
            problem = exc.problems[0] if exc.problems else None
            text = f"{problem.field}: {problem.message}" if problem else str(exc)
            attempts.append(Attempt(method.method_id, False, text))
            continue
        attempts.append(Attempt(method.method_id, True, ""))
        return ReductionEstimate(
            result.annual_reduction_tco2e, method.method_id, result.provenance(), "",
            tuple(attempts),
        )  # fmt: skip
    reason = "; ".join(f"{a.method_id}: {a.reason}" for a in attempts)
    return ReductionEstimate(
        None, None, None, f"the project's outputs do not suffice ({reason})", tuple(attempts)
    )
