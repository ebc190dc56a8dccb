"""PBOC green-finance evaluation of banks (银行业金融机构绿色金融评价), quarterly, over the banks
on the platform: quantitative inputs derived from the analysed loan books, qualitative scores
entered by regulators with evidence notes, scores, grades, ranking, the explanation of every
indicator and the 京绿融 / 京绿通 priority list.

The scoring itself is :mod:`greenfin.banking.evaluation` (pure, scheme files under
``reference/data/banking``); this module supplies its inputs, keeps the qualitative scores
(table ``bank_period_inputs``, kind ``evaluation_qualitative``, period ``2026Q3``; every entry in
the audit ledger) and scopes the answer (a bank sees its own result only).

Quantitative inputs (``reference/data/banking/evaluation_inputs.csv``)
-----------------------------------------------------------------------
Per bank and quarter, from the per-loan results of the bank's latest analysed book whose as-of
date falls in the quarter (the latest such date):

- green loans = Σ balance of loans the platform's analysis identifies as green; the NPL part =
  those classified 次级 / 可疑 / 损失; the green-loan rate = balance-weighted ``rate_pct``.
- **Not derivable, said plainly:** green bonds held and their defaults are not on the platform
  and count as 0 (so the PBOC "green business" is green loans only); total assets are not in a
  loan book, so the bank's total loan balance stands in for them (which overstates
  总额占比); Chongqing's 融资 figures are loan figures.
- 份额占比 (market share): the scheme's ``peer_share`` divides by the sum over the banks
  evaluated in the quarter, i.e. the banks on the platform with an analysed book for the quarter
  and the year before. The platform does not know the market outside itself.

A bank whose inputs cannot be computed (no book four quarters earlier for the growth rate, a
zero denominator) is left out of the quarter with the reason; the others are evaluated among
themselves. Grades need every evaluated bank's qualitative scores for the scheme; until then the
result shows quantitative points and rank and lists what is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.banking import evaluation as ev
from greenfin.banking.loanbook import NON_PERFORMING
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.reference import data_rows
from greenfin.services import statistics as stats
from greenfin.services.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from greenfin.services.types import UtcDatetime
from greenfin.store.models import BankPeriodInput, Organisation

QUALITATIVE_KIND = "evaluation_qualitative"
DEFAULT_SCHEME = "pboc_2021"
INPUTS_FILE = "evaluation_inputs.csv"
EVALUATORS = frozenset({Role.REGULATOR, Role.ADMIN})
VIEWERS = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})
FEN_PER_10K_CNY = 1_000_000
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
MAX_EVIDENCE = 2000


# ---------------------------------------------------------------------------------------------
# Quarters and schemes


def parse_quarter(text: str, field: str = "quarter") -> str:
    """``2026Q3`` (also ``2026q3``, ``2026-Q3``) normalised; anything else is a 422 on ``field``."""
    cleaned = text.strip().upper().replace("-", "")
    match = _QUARTER.match(cleaned)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput.on(field, f"'{text}' is not a quarter like 2026Q3")
    return cleaned


def quarter_of(day: date) -> str:
    """The quarter a date falls in: 2026-09-30 → ``2026Q3``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def scheme(name: str, field: str = "scheme") -> ev.Scheme:
    """A shipped scheme by id; an unknown one is a 422 naming ``field``."""
    if name not in ev.available_schemes():
        raise InvalidInput.on(
            field, f"unknown scheme '{name}'; available: {', '.join(ev.available_schemes())}"
        )
    return ev.load_scheme(name)


@dataclass(frozen=True)
class InputDerivation:
    """How one base field of a scheme is obtained (a row of ``evaluation_inputs.csv``)."""

    field: str
    derivation: str
    derived: bool
    label_zh: str
    note_zh: str
    note_en: str
    source: str


@cache
def input_derivations() -> dict[str, InputDerivation]:
    """Every base field the shipped schemes use, with its derivation."""
    return {
        r["field"]: InputDerivation(
            field=r["field"],
            derivation=r["derivation"],
            derived=r["derived"] == "true",
            label_zh=r["label_zh"],
            note_zh=r["note_zh"],
            note_en=r["note_en"],
            source=r["source"],
        )
        for r in data_rows("banking", INPUTS_FILE)
    }


def _derivation_exprs() -> dict[str, pl.Expr]:
    """Aggregations per (bank, as_of) over the per-loan results, in 万元 (rate in %)."""
    green = pl.col("green_code").is_not_null()
    balance = pl.col("outstanding_fen").cast(pl.Float64)
    green_fen = pl.when(green).then(balance).otherwise(0.0).sum()
    npl = green & pl.col("status").is_in(list(NON_PERFORMING))
    rate = pl.col("rate_pct").cast(pl.Float64)
    return {
        "green_balance": green_fen / FEN_PER_10K_CNY,
        "total_balance": balance.sum() / FEN_PER_10K_CNY,
        "green_npl_balance": pl.when(npl).then(balance).otherwise(0.0).sum() / FEN_PER_10K_CNY,
        "green_weighted_rate": pl.when(green_fen > 0).then(
            pl.when(green).then(rate * balance).otherwise(0.0).sum() / green_fen
        ),
        "not_on_platform": pl.lit(0.0),
    }


def quarter_metrics(results: pl.DataFrame, evaluation_scheme: ev.Scheme) -> pl.DataFrame:
    """The scheme's base fields per bank and quarter, from per-loan results.

    ``results`` needs ``bank_organisation_id``, ``as_of``, ``outstanding_fen``, ``status``,
    ``green_code`` and ``rate_pct``. Several as-of dates in one quarter: the latest counts.
    Returns ``bank`` (the organisation id as text), ``quarter`` and the fields.
    """
    derivations = input_derivations()
    fields = [f.id for f in evaluation_scheme.base_fields]
    unknown = [f for f in fields if f not in derivations]
    if unknown:
        raise ev.SchemeError(f"no derivation in {INPUTS_FILE} for base fields {unknown}")
    exprs = _derivation_exprs()
    latest = results.filter(
        pl.col("as_of")
        == pl.col("as_of")
        .max()
        .over("bank_organisation_id", pl.col("as_of").dt.year(), pl.col("as_of").dt.quarter())
    )
    return (
        latest.group_by("bank_organisation_id", "as_of")
        .agg(exprs[derivations[f].derivation].alias(f) for f in fields)
        .select(
            pl.col("bank_organisation_id").cast(pl.String).alias("bank"),
            pl.format("{}Q{}", pl.col("as_of").dt.year(), pl.col("as_of").dt.quarter()).alias(
                "quarter"
            ),
            *fields,
        )
        .sort("bank", "quarter")
    )


# ---------------------------------------------------------------------------------------------
# Qualitative scores


class QualitativeScoreIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    item: Annotated[str, Field(min_length=1, max_length=60, examples=["policy_execution"])]
    score: Annotated[float, Field(allow_inf_nan=False, examples=[85])]
    evidence: Annotated[
        str,
        Field(
            min_length=1, max_length=MAX_EVIDENCE, examples=["2026Q3 现场检查：已制定绿色金融规划"]
        ),
    ]


class QualitativeIn(BaseModel):
    """A regulator's qualitative scores for one bank, quarter and scheme: every item of the
    scheme once, each with an evidence note."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    scheme: Annotated[str, Field(examples=[DEFAULT_SCHEME])] = DEFAULT_SCHEME
    scores: Annotated[list[QualitativeScoreIn], Field(min_length=1, max_length=20)]


class QualitativeScoreOut(BaseModel):
    item: str
    label_zh: str
    score: float
    score_min: float
    score_max: float
    evidence: str


class QualitativeOut(BaseModel):
    bank_organisation_id: int
    bank_name: str
    quarter: str
    scheme: str
    scores: list[QualitativeScoreOut]
    entered_by_user_id: int | None
    updated_at: UtcDatetime


def _bank(session: Session, bank_organisation_id: int) -> Organisation:
    org = session.get(Organisation, bank_organisation_id)
    if org is None or org.kind != OrgKind.BANK.value:
        raise NotFound(f"bank {bank_organisation_id} not found")
    return org


def _payload(record: BankPeriodInput | None) -> dict[str, Any]:
    if record is None:
        return {"schemes": {}}
    data = json.loads(record.payload_json)
    data.setdefault("schemes", {})
    return data


def _record(session: Session, bank_id: int, quarter: str) -> BankPeriodInput | None:
    return session.execute(
        select(BankPeriodInput).where(
            BankPeriodInput.bank_organisation_id == bank_id,
            BankPeriodInput.kind == QUALITATIVE_KIND,
            BankPeriodInput.period == quarter,
        )
    ).scalar_one_or_none()


def _qualitative_out(
    org: Organisation, quarter: str, sch: ev.Scheme, record: BankPeriodInput
) -> QualitativeOut:
    entered = _payload(record)["schemes"].get(sch.id, {})
    return QualitativeOut(
        bank_organisation_id=org.id, bank_name=org.name_zh, quarter=quarter, scheme=sch.id,
        scores=[
            QualitativeScoreOut(
                item=q.id, label_zh=q.label_zh, score=entered[q.id]["score"],
                score_min=q.score_min, score_max=q.score_max, evidence=entered[q.id]["evidence"],
            )
            for q in sch.qualitative_items
            if q.id in entered
        ],
        entered_by_user_id=record.entered_by_user_id, updated_at=record.updated_at,
    )  # fmt: skip


def enter_qualitative(
    session: Session, actor: Actor, quarter: str, bank_organisation_id: int, data: QualitativeIn
) -> QualitativeOut:
    """Record (or replace) a regulator's qualitative scores for one bank, quarter and scheme.

    Regulators and admins only. Every item of the scheme exactly once, each score within the
    item's range, each with an evidence note; any problem is a 422 naming ``scores[i].field``
    and nothing is written. Scores of the other scheme for the same quarter are kept. Ledgered
    as ``evaluation.qualitative_entered`` in the same transaction.
    """
    if isinstance(actor, Principal) and actor.role not in EVALUATORS:
        raise Forbidden(f"role {actor.role.value} may not enter qualitative evaluation scores")
    quarter = parse_quarter(quarter)
    org = _bank(session, bank_organisation_id)
    sch = scheme(data.scheme)
    items = {q.id: q for q in sch.qualitative_items}
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for i, s in enumerate(data.scores):
        item = items.get(s.item)
        if item is None:
            problems.append(FieldProblem(
                f"scores[{i}].item", f"unknown item '{s.item}'; {sch.id} has {', '.join(items)}"
            ))  # fmt: skip
            continue
        if s.item in seen:
            problems.append(FieldProblem(f"scores[{i}].item", f"'{s.item}' is given twice"))
        seen.add(s.item)
        if not item.score_min <= s.score <= item.score_max:
            problems.append(FieldProblem(
                f"scores[{i}].score",
                f"{s.score:g} is outside {item.score_min:g}..{item.score_max:g}",
            ))  # fmt: skip
    problems += [
        FieldProblem("scores", f"missing a score for '{item}' ({items[item].label_zh})")
        for item in items
        if item not in seen
    ]
    if problems:
        raise InvalidInput(f"qualitative scores for {sch.id} {quarter}: invalid", problems)
    record = _record(session, org.id, quarter)
    payload = _payload(record)
    payload["schemes"][sch.id] = {
        s.item: {"score": s.score, "evidence": s.evidence} for s in data.scores
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    if record is None:
        record = BankPeriodInput(
            bank_organisation_id=org.id, kind=QUALITATIVE_KIND, period=quarter,
            payload_json=text, entered_by_user_id=actor.user_id,
        )  # fmt: skip
        session.add(record)
    else:
        record.payload_json = text
        record.entered_by_user_id = actor.user_id
        record.updated_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session, actor, "evaluation.qualitative_entered", "bank_period_input", record.id,
        {"bank": org.id, "quarter": quarter, "scheme": sch.id,
         "scores": {s.item: {"score": s.score, "evidence": s.evidence} for s in data.scores}},
    )  # fmt: skip
    return _qualitative_out(org, quarter, sch, record)


def get_qualitative(
    session: Session, principal: Principal, quarter: str, bank_organisation_id: int, scheme_id: str
) -> QualitativeOut | None:
    """The scores entered for a bank (a bank user: its own only; others → 404)."""
    if principal.role not in VIEWERS:
        raise Forbidden(f"role {principal.role.value} may not see evaluations")
    if principal.role is Role.BANK and principal.organisation_id != bank_organisation_id:
        raise NotFound(f"bank {bank_organisation_id} not found")
    quarter = parse_quarter(quarter)
    org = _bank(session, bank_organisation_id)
    record = _record(session, org.id, quarter)
    return None if record is None else _qualitative_out(org, quarter, scheme(scheme_id), record)


def qualitative_frame(session: Session, quarter: str, scheme_id: str) -> pl.DataFrame:
    """Entered scores of every bank for a quarter and scheme: ``bank`` (id as text), ``item``,
    ``score``, ``evidence``."""
    rows = session.execute(
        select(BankPeriodInput.bank_organisation_id, BankPeriodInput.payload_json).where(
            BankPeriodInput.kind == QUALITATIVE_KIND, BankPeriodInput.period == quarter
        )
    ).all()
    out = [
        (str(bank_id), item, float(v["score"]), str(v["evidence"]))
        for bank_id, text in rows
        for item, v in json.loads(text).get("schemes", {}).get(scheme_id, {}).items()
    ]
    return pl.DataFrame(
        out,
        schema={"bank": pl.String, "item": pl.String, "score": pl.Float64, "evidence": pl.String},
        orient="row",
    )


# ---------------------------------------------------------------------------------------------
# Running an evaluation


class IndicatorOut(BaseModel):
    id: str
    label_zh: str
    value: float | None
    own_points: float
    peer_points: float
    points: float
    max_points: float
    explanation: str


class QualitativeItemOut(BaseModel):
    id: str
    label_zh: str
    score: float | None
    points: float | None
    max_points: float
    evidence: str | None


class BankResultOut(BaseModel):
    bank_organisation_id: int
    bank_name: str
    rank: int | None
    quantitative_rank: int
    grade: str | None
    priority: bool
    total_points: float | None
    quantitative_points: float
    qualitative_points: float | None
    indicators: list[IndicatorOut]
    qualitative: list[QualitativeItemOut]
    inputs: dict[str, float | None]
    warnings: list[str]


class ExcludedOut(BaseModel):
    bank_organisation_id: int
    bank_name: str
    reasons: list[str]


class PendingOut(BaseModel):
    bank_organisation_id: int
    bank_name: str
    missing_items: list[str]


class PriorityOut(BaseModel):
    priority_order: int
    bank_organisation_id: int
    bank_name: str
    grade: str
    total_points: float


class DerivationOut(BaseModel):
    field: str
    label_zh: str
    derived: bool
    note_zh: str
    note_en: str
    source: str


class EvaluationOut(BaseModel):
    quarter: str
    scheme: str
    basis: str
    scheme_name_zh: str
    scheme_edition: str
    provenance: dict[str, Any]
    quarters_available: list[str]
    banks_evaluated: int
    graded: bool
    results: list[BankResultOut]
    excluded: list[ExcludedOut]
    qualitative_pending: list[PendingOut]
    priority_list: list[PriorityOut]
    derivations: list[DerivationOut]
    synthetic: bool


def available_quarters(session: Session, principal: Actor) -> list[str]:
    """Quarters with an analysed book of any bank visible to the caller, newest first."""
    dates = stats.analysed_dates(session, principal)
    return sorted({quarter_of(d) for d in dates}, reverse=True)


def _evaluate_evaluable(
    metrics: pl.DataFrame, sch: ev.Scheme, quarter: str
) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """Quantitative evaluation of the banks whose inputs are complete; the others with reasons."""
    excluded: dict[str, list[str]] = {}
    frame = metrics
    for _ in range(3):
        try:
            return ev.evaluate(frame, None, sch, quarter=quarter), excluded
        except ev.EvaluationError as exc:
            general = [p for p in exc.problems if p.bank is None]
            if general:
                raise InvalidInput(
                    str(exc), [FieldProblem(p.field, p.message) for p in general]
                ) from None
            for p in exc.problems:
                excluded.setdefault(str(p.bank), []).append(f"{p.field}: {p.message}")
            frame = frame.filter(~pl.col("bank").is_in(list(excluded)))
            if frame.filter(pl.col("quarter") == quarter).is_empty():
                return pl.DataFrame(), excluded
    raise InvalidInput.on("quarter", "the evaluation inputs could not be made consistent")


def run_evaluation(
    session: Session,
    principal: Actor,
    quarter: str,
    scheme_id: str = DEFAULT_SCHEME,
    basis: str = stats.DEFAULT_BASIS,
    data_dir: Path | None = None,
) -> EvaluationOut:
    """Evaluate every bank on the platform for ``quarter`` under ``scheme_id``.

    Regulators and admins get all banks; a bank user gets its own row (and its own place on the
    priority list) of the same evaluation, computed among all banks; other roles are refused.
    A quarter without any analysed book is a 404.
    """
    if isinstance(principal, Principal) and principal.role not in VIEWERS:
        raise Forbidden(f"role {principal.role.value} may not see evaluations")
    quarter = parse_quarter(quarter)
    sch = scheme(scheme_id)
    stats.check_basis(basis)
    results = stats.apply_basis(stats.all_results(session, data_dir=data_dir), basis)
    names = stats.bank_names(session)
    if results.is_empty():
        raise NotFound(f"no analysed loan books for {quarter}")
    metrics = quarter_metrics(results, sch)
    if metrics.filter(pl.col("quarter") == quarter).is_empty():
        raise NotFound(f"no analysed loan books for {quarter}")
    quant, excluded = _evaluate_evaluable(metrics, sch, quarter)
    evaluated = quant["bank"].to_list() if not quant.is_empty() else []
    qual = qualitative_frame(session, quarter, sch.id).filter(pl.col("bank").is_in(evaluated))
    entered = {(b, i) for b, i in qual.select("bank", "item").iter_rows()}
    pending = {
        b: [q.id for q in sch.qualitative_items if (b, q.id) not in entered] for b in evaluated
    }
    pending = {b: items for b, items in pending.items() if items}
    graded = bool(evaluated) and not pending
    result = (
        ev.evaluate(
            metrics.filter(~pl.col("bank").is_in(list(excluded))), qual, sch, quarter=quarter
        )
        if graded
        else quant
    )
    priority = ev.priority_list(result) if graded else pl.DataFrame()
    inputs = metrics.filter(pl.col("quarter") == quarter)
    evidence = {(b, i): e for b, i, e in qual.select("bank", "item", "evidence").iter_rows()}

    def name(bank: str) -> str:
        return names.get(int(bank), bank)

    rows: list[BankResultOut] = []
    for r in result.iter_rows(named=True) if not result.is_empty() else []:
        bank_inputs = inputs.filter(pl.col("bank") == r["bank"]).drop("bank", "quarter")
        rows.append(
            BankResultOut(
                bank_organisation_id=int(r["bank"]), bank_name=name(r["bank"]), rank=r["rank"],
                quantitative_rank=r["quantitative_rank"], grade=r["grade"],
                priority=bool(r["priority"]), total_points=r["total_points"],
                quantitative_points=r["quantitative_points"],
                qualitative_points=r["qualitative_points"],
                indicators=[
                    IndicatorOut(
                        id=i.id, label_zh=i.label_zh, value=r[i.id],
                        own_points=r[f"{i.id}_own_points"], peer_points=r[f"{i.id}_peer_points"],
                        points=r[f"{i.id}_points"],
                        max_points=sch.own_points(i) + sch.peer_points(i),
                        explanation=r[f"{i.id}_explanation"],
                    )
                    for i in sch.indicators
                ],
                qualitative=[
                    QualitativeItemOut(
                        id=q.id, label_zh=q.label_zh, score=r.get(f"{q.id}_score"),
                        points=r.get(f"{q.id}_points"), max_points=sch.item_points(q),
                        evidence=evidence.get((r["bank"], q.id)),
                    )
                    for q in sch.qualitative_items
                ],
                inputs=bank_inputs.row(0, named=True) if bank_inputs.height else {},
                warnings=list(r["warnings"] or []),
            )
        )  # fmt: skip
    out = EvaluationOut(
        quarter=quarter, scheme=sch.id, basis=basis, scheme_name_zh=sch.name_zh,
        scheme_edition=sch.edition,
        provenance=sch.provenance(), quarters_available=available_quarters(session, principal),
        banks_evaluated=len(rows), graded=graded, results=rows,
        excluded=[
            ExcludedOut(bank_organisation_id=int(b), bank_name=name(b), reasons=reasons)
            for b, reasons in sorted(excluded.items(), key=lambda kv: int(kv[0]))
        ],
        qualitative_pending=[
            PendingOut(bank_organisation_id=int(b), bank_name=name(b), missing_items=items)
            for b, items in sorted(pending.items(), key=lambda kv: int(kv[0]))
        ],
        priority_list=[
            PriorityOut(
                priority_order=p["priority_order"], bank_organisation_id=int(p["bank"]),
                bank_name=name(p["bank"]), grade=p["grade"], total_points=p["total_points"],
            )
            for p in (priority.iter_rows(named=True) if not priority.is_empty() else [])
        ],
        derivations=[
            DerivationOut(
                field=d.field, label_zh=d.label_zh, derived=d.derived, note_zh=d.note_zh,
                note_en=d.note_en, source=d.source,
            )
            for f in sch.base_fields
            if (d := input_derivations().get(f.id)) is not None
        ],
        synthetic=stats.any_synthetic(session),
    )  # fmt: skip
    if isinstance(principal, Principal) and principal.role is Role.BANK:
        own = principal.organisation_id
        out.results = [r for r in out.results if r.bank_organisation_id == own]
        out.excluded = [r for r in out.excluded if r.bank_organisation_id == own]
        out.qualitative_pending = [
            r for r in out.qualitative_pending if r.bank_organisation_id == own
        ]
        out.priority_list = [r for r in out.priority_list if r.bank_organisation_id == own]
    return out


def latest_quarter(session: Session, principal: Actor) -> str | None:
    """The newest quarter with an analysed book, or None."""
    quarters = available_quarters(session, principal)
    return quarters[0] if quarters else None
