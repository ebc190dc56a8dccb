"""The automatic assessment of a submitted project: screening record → reduction → grade.

Screening itself is :mod:`greenfin.taxonomy` (one project: ``Screener.screen``; many:
``taxonomy.batch.screen_frame``); this module turns either result into the record kept with the
project (``screening_json``), then estimates the reduction (:mod:`greenfin.library.reduction`)
and proposes a grade (:mod:`greenfin.library.grading`). Pure: no I/O except shipped data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from greenfin.library import evidence, grading, reduction
from greenfin.taxonomy import criteria as criteria_mod
from greenfin.taxonomy.catalogue import load_catalogue
from greenfin.taxonomy.parameters import extract_parameters
from greenfin.taxonomy.screening import ScreeningResult, Verdict
from greenfin.taxonomy.text import normalise_series

EDITION = "green-finance-2025"
# an item is identified unless the text fell outside the catalogue
IDENTIFIED = frozenset({Verdict.ELIGIBLE.value, Verdict.NEEDS_EVIDENCE.value,
                        Verdict.NOT_ELIGIBLE.value})  # fmt: skip
_REASON = re.compile(r"结论：\w+（(.*)）$")


def category_of(item_code: str | None) -> str | None:
    """The 2025 catalogue level-1 code of an item (``4.2.2`` → ``4``)."""
    return item_code.split(".", 1)[0] if item_code else None


def _checks(report: criteria_mod.CriteriaReport | None) -> dict[str, Any]:
    checks = list(report.checks) if report else []
    applicable = [c for c in checks if c.outcome is not criteria_mod.Outcome.NOT_APPLICABLE]
    return {
        "criteria_outcome": report.outcome.value if report else None,
        "checks": [
            {
                "criterion_id": c.criterion.criterion_id, "label_zh": c.criterion.label_zh,
                "outcome": c.outcome.value, "value": None if c.value is None else str(c.value),
                "message": c.message, "quote_zh": c.criterion.quote_zh,
                "standard_ref": c.criterion.standard_ref,
            }
            for c in checks
        ],
        "checks_applicable": len(applicable),
        "checks_passed": sum(c.outcome is criteria_mod.Outcome.PASSED for c in applicable),
    }  # fmt: skip


def screening_from_result(result: ScreeningResult) -> dict[str, Any]:
    """The screening record of one project screened with ``Screener.screen``."""
    return {
        "edition": result.edition,
        "verdict": result.verdict.value,
        "reason": result.reason,
        "explanation": result.explanation,
        "candidates": [
            {
                "code": c.code, "name_zh": c.name_zh, "path": c.path, "score": c.score,
                "lexical": c.lexical, "rules": list(c.rules),
                "matched_terms": list(c.matched_terms), "industry_evidence": c.industry_evidence,
                "ghg_mark": c.ghg_mark,
            }
            for c in result.candidates
        ],
        **_checks(result.criteria),
    }  # fmt: skip


def screening_from_row(
    row: dict[str, Any], params: dict[str, Any], industry_code: str | None, top_k: int = 3
) -> dict[str, Any]:
    """The screening record of one row of ``taxonomy.batch.screen_frame`` output (codes, scores,
    verdict, explanation); candidate names come from the catalogue and the technical-criteria
    checks are evaluated again for the top item (the batch frame keeps only the verdict)."""
    catalogue = load_catalogue(EDITION)
    candidates = []
    for rank in range(1, top_k + 1):
        code = row.get(f"code_{rank}")
        if not code:
            continue
        item = catalogue.items[code]
        candidates.append({
            "code": code, "name_zh": item.name_zh, "path": catalogue.path_label(code),
            "score": row.get(f"score_{rank}"), "lexical": None, "rules": [], "matched_terms": [],
            "industry_evidence": "", "ghg_mark": item.ghg_mark,
        })  # fmt: skip
    verdict = row["verdict"]
    report = None
    if candidates and verdict != Verdict.OUT_OF_SCOPE.value:
        merged = dict(params)
        if industry_code:
            merged.setdefault("gbt4754_code", industry_code)
        report = criteria_mod.evaluate(EDITION, candidates[0]["code"], merged)
    found = _REASON.search(row.get("explanation") or "")
    return {
        "edition": EDITION,
        "verdict": verdict,
        "reason": found.group(1) if found else "",
        "explanation": row.get("explanation") or "",
        "candidates": candidates,
        **_checks(report),
    }


SCREENING = "screening"  # ``item_source``: the screening's first item, accepted with the project
REVIEWER = "reviewer"  # ``item_source``: the assigned reviewer set the item (reclassify)
_VERDICT_OF = {
    criteria_mod.Outcome.PASSED: Verdict.ELIGIBLE,
    criteria_mod.Outcome.FAILED: Verdict.NOT_ELIGIBLE,
}


class UnknownItem(ValueError):
    """The reviewer named a code that is not a finest-level item of the edition."""


def reclassified(
    screening: dict[str, Any],
    item_code: str,
    technical_parameters: dict[str, Any],
    industry_code: str | None,
    text: str,
) -> dict[str, Any]:
    """The screening record with the reviewer's catalogue item in first place.

    The machine's own record is kept whole under ``machine`` (from the first reclassification
    on), so later reclassifications rank the machine's candidates, not earlier picks, and a
    return to the machine's first item restores its record unchanged (``item_source`` screening
    again). Otherwise the item leads, the machine's candidates follow with their scores, and the
    item's technical criteria are checked with the project's parameters and the figures its
    ``text`` (name and description) states — the screener's reading, declared values first —
    which sets the verdict: eligible when all pass, not eligible when one fails, otherwise needs
    evidence. The reviewer's reason is not copied here: the record is shown to banks, the review
    comment is not (it stays with the project's events and the ledger)."""
    edition = screening.get("edition") or EDITION
    catalogue = load_catalogue(edition)
    item = catalogue.items.get(item_code)
    if item is None or item.level != catalogue.edition.finest_level:
        raise UnknownItem(
            f"{item_code!r} is not a level-{catalogue.edition.finest_level} item of {edition} / "
            "不是该目录最细一级的条目"
        )
    machine = screening.get("machine") or screening
    candidates = machine.get("candidates") or []
    screened_item = (
        candidates[0]["code"] if candidates and machine["verdict"] in IDENTIFIED else None
    )
    if item_code == screened_item:
        return machine
    first = next((c for c in candidates if c["code"] == item_code), None) or {
        "code": item_code, "name_zh": item.name_zh, "path": catalogue.path_label(item_code),
        "score": None, "lexical": None, "rules": [], "matched_terms": [],
        "industry_evidence": "", "ghg_mark": item.ghg_mark,
    }  # fmt: skip
    read = extract_parameters(normalise_series(pl.Series([text], dtype=pl.String)))[0]
    params = {**read, **technical_parameters}
    if industry_code:
        params.setdefault("gbt4754_code", industry_code)
    report = criteria_mod.evaluate(edition, item_code, params)
    verdict = _VERDICT_OF.get(report.outcome, Verdict.NEEDS_EVIDENCE)
    failed = "；".join(dict.fromkeys(c.message for c in report.failed))
    before = f"筛查结论 {machine['verdict']}" + (
        f"，首位条目 {screened_item}" if screened_item else ""
    )
    return {
        **machine,
        "verdict": verdict.value,
        "reason": f"评审员改判为 {item_code} {item.name_zh}（{before}）"
        + (f"；技术标准未达标：{failed}" if failed else ""),
        "candidates": [first, *(c for c in candidates if c["code"] != item_code)],
        "item_source": REVIEWER,
        "screened_item": screened_item,
        "screened_verdict": machine["verdict"],
        "machine": machine,
        **_checks(report),
    }


@dataclass(frozen=True)
class Assessment:
    screening: dict[str, Any]
    verdict: str
    item_code: str | None
    category_code: str | None
    reduction: reduction.ReductionEstimate
    grading: grading.GradingResult


def assess(
    screening: dict[str, Any],
    *,
    expected_outputs: dict[str, Any],
    technical_parameters: dict[str, Any],
    year: int,
    total_investment_10k_cny: float,
    document_kinds: frozenset[str],
    credit_grade: str | None,
    credit_note: str = "",
) -> Assessment:
    """Reduction estimate and grade proposal for a screened project."""
    verdict = screening["verdict"]
    candidates = screening.get("candidates") or []
    item_code = candidates[0]["code"] if candidates and verdict in IDENTIFIED else None
    estimate = reduction.estimate(item_code, expected_outputs, technical_parameters, year)
    result = grading.grade(
        grading.GradingInputs(
            verdict=verdict,
            top_score=candidates[0]["score"] if candidates else None,
            checks_passed=screening.get("checks_passed", 0),
            checks_applicable=screening.get("checks_applicable", 0),
            reduction_tco2e_per_year=estimate.annual_reduction_tco2e,
            total_investment_10k_cny=total_investment_10k_cny,
            documents_present=document_kinds,
            documents_required=evidence.required_kinds(),
            credit_grade=credit_grade,
            reduction_note=estimate.reason,
            credit_note=credit_note,
            item_set_by_reviewer=screening.get("item_source") == REVIEWER,
        )
    )
    return Assessment(screening, verdict, item_code, category_of(item_code), estimate, result)
