"""The regulator dashboard (监管看板): bank ranking, green-loan totals and trend, districts with
the city sub-centre, and where banks' own green tags disagree with the platform's screening.

Regulators and admins only. Everything is computed from the analysed loan books
(:func:`greenfin.services.statistics.all_results`) and the latest evaluation
(:func:`greenfin.services.evaluation.run_evaluation`); nothing is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from greenfin.banking import statistics as gs
from greenfin.banking.pipeline import TAG_COMPARISONS
from greenfin.identity.principal import Actor, Principal
from greenfin.services import evaluation, statistics
from greenfin.services.errors import Forbidden, ServiceError

READERS = statistics.OVERSIGHT
DISAGREEMENTS: tuple[str, ...] = ("bank_only", "platform_only", "code_differs")
SAMPLE_SIZE = 30


@dataclass
class RegulatorDashboard:
    """What the dashboard shows. Frames hold fen and fractions; the page formats them."""

    as_of: date | None
    basis: str
    synthetic: bool
    evaluation: evaluation.EvaluationOut | None = None
    evaluation_note: str | None = None
    trend: pl.DataFrame = field(default_factory=pl.DataFrame)
    latest: pl.DataFrame = field(default_factory=pl.DataFrame)
    districts: pl.DataFrame = field(default_factory=pl.DataFrame)
    disagreements: pl.DataFrame = field(default_factory=pl.DataFrame)
    sample: pl.DataFrame = field(default_factory=pl.DataFrame)


def _trend(results: pl.DataFrame) -> pl.DataFrame:
    """Across banks per as-of date: total balance, green as reported by banks and as identified
    by the platform (fen)."""
    bank = gs.summary(statistics.apply_basis(results, "bank")).filter(
        pl.col("bank") == gs.ALL_BANKS
    )
    platform = gs.summary(results).filter(pl.col("bank") == gs.ALL_BANKS)
    return (
        bank.select(
            "as_of",
            "total_balance_fen",
            pl.col("green_balance_fen").alias("green_bank_fen"),
            pl.col("yoy").alias("yoy_bank"),
        )
        .join(
            platform.select("as_of", pl.col("green_balance_fen").alias("green_platform_fen")),
            on="as_of",
            how="left",
        )
        .sort("as_of")
    )


def _disagreements(latest: pl.DataFrame) -> pl.DataFrame:
    """Per bank: loans and balance (fen) in every tag-comparison category, and the disagreement
    totals (bank_only + platform_only + code_differs)."""
    tag = pl.col("tag_comparison").cast(pl.String)
    aggs: list[pl.Expr] = [pl.len().alias("loans")]
    for label in TAG_COMPARISONS:
        aggs += [
            (tag == label).sum().alias(f"n_{label}"),
            pl.when(tag == label)
            .then(pl.col("outstanding_fen"))
            .otherwise(0)
            .sum()
            .cast(pl.Int64)
            .alias(f"fen_{label}"),
        ]
    return (
        latest.group_by("bank_organisation_id", "bank")
        .agg(aggs)
        .with_columns(
            pl.sum_horizontal([f"n_{d}" for d in DISAGREEMENTS]).alias("n_disagree"),
            pl.sum_horizontal([f"fen_{d}" for d in DISAGREEMENTS]).alias("fen_disagree"),
        )
        .sort("n_disagree", "bank", descending=[True, False])
    )


def _sample(latest: pl.DataFrame, size: int) -> pl.DataFrame:
    """The largest disagreeing loans (by balance), at most ``size``."""
    return (
        latest.filter(pl.col("tag_comparison").cast(pl.String).is_in(list(DISAGREEMENTS)))
        .sort("outstanding_fen", descending=True)
        .head(size)
        .select(
            "import_id",
            "bank_organisation_id",
            "bank",
            "loan_id",
            "borrower_name",
            "purpose",
            "industry_code",
            "outstanding_fen",
            pl.col("tag_comparison").cast(pl.String),
            "bank_catalogue_code",
            pl.coalesce("bank_catalogue_edition", pl.lit("green-finance-2025")).alias(
                "bank_catalogue_edition"
            ),
            "screen_top_code",
            pl.col("screen_verdict").cast(pl.String),
        )
    )


def dashboard(
    session: Session,
    actor: Actor,
    *,
    basis: str = statistics.DEFAULT_BASIS,
    data_dir: Path | None = None,
) -> RegulatorDashboard:
    """The regulator dashboard at the latest as-of date with an analysed book (regulators and
    admins; others 403). ``basis`` chooses what the district table counts as green."""
    if isinstance(actor, Principal) and actor.role not in READERS:
        raise Forbidden(f"role {actor.role.value} may not open the regulator dashboard")
    statistics.check_basis(basis)
    out = RegulatorDashboard(as_of=None, basis=basis, synthetic=statistics.any_synthetic(session))
    dates = statistics.analysed_dates(session, actor)
    if not dates:
        return out
    results = statistics.all_results(session, data_dir=data_dir)
    out.as_of = dates[-1]
    latest = results.filter(pl.col("as_of") == out.as_of)
    out.trend = _trend(results)
    summary = gs.summary(statistics.apply_basis(results, basis))
    out.latest = summary.filter(pl.col("as_of") == out.as_of)
    out.districts = gs.by_district(statistics.apply_basis(latest, basis)).filter(
        pl.col("bank") == gs.ALL_BANKS
    )
    out.disagreements = _disagreements(latest)
    out.sample = _sample(latest, SAMPLE_SIZE)
    for quarter in evaluation.available_quarters(session, actor):
        try:
            result = evaluation.run_evaluation(session, actor, quarter, data_dir=data_dir)
        except ServiceError:
            continue
        if result.results:
            out.evaluation = result
            break
    if out.evaluation is None:
        out.evaluation_note = "no quarter has banks with a book one year earlier"
    return out
