"""Screening accuracy on the labelled evaluation sets (benchmarks/taxonomy/).

Prints top-1 / top-3 accuracy per edition (gold code or an accepted alternative), plus recall on
the non-green rows (``out_of_scope``; ``not_green`` also counts ``not_eligible``) and in-scope
rows wrongly excluded. Sets A–G, I and J are development data; set H (``HELD_OUT``) is the held-out
test, never listed with ``--misses`` and never an example. The screener's labelled examples
(``labelled_examples.csv``) are written from the development sets, so each set is scored with its
own examples left out (leave-one-set-out): no record is ever matched against itself.
Run: python benchmarks/taxonomy_accuracy.py [--set a|b|…|j] [--misses]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import polars as pl

from greenfin.taxonomy.screening import (
    Screener,
    ScreeningInput,
    ScreeningResult,
    ScreeningWeights,
    Verdict,
    screener,
    shipped_examples,
    weights_for,
)

EVAL = Path(__file__).parent / "taxonomy" / "eval_set.csv"
# Set B: written later by an independent labeller without access to the engine's dictionaries or to
# set A (see taxonomy/EVAL_SET_B.md), and later labelled for 2021 / 2019 by another such helper
# (eval_set_b_editions.csv). All of it is held out.
EVAL_B = Path(__file__).parent / "taxonomy" / "eval_set_b.csv"
EVAL_B_EDITIONS = Path(__file__).parent / "taxonomy" / "eval_set_b_editions.csv"
# Sets C–J: written and labelled for all three editions by further independent helpers
# (taxonomy/EVAL_SET_C.md … _J.md), each in one file. Each held-out set is read rarely, by hand,
# and opened for development only when a fresh one replaces it: set C was held out in the second
# session of 2026-11-28, set D in the third; set H, written in the fourth, is the held-out test
# now. Sets E, F, G, I and J were written as development data.
FULL_SETS = {
    name: Path(__file__).parent / "taxonomy" / f"eval_set_{name}.csv" for name in "cdefghij"
}
HELD_OUT = "h"
EDITIONS = {
    "green-finance-2025": ("gf2025_code", "gf2025_alternatives"),
    "bond-2021": ("bond2021_code", "bond2021_alternatives"),
    "industry-2019": ("industry2019_code", "industry2019_alternatives"),
}


def load() -> pl.DataFrame:
    frame = pl.read_csv(EVAL, infer_schema=False).fill_null("")
    if "industry2019_alternatives" not in frame.columns:  # set A gives one 2019 code per row
        frame = frame.with_columns(pl.lit("").alias("industry2019_alternatives"))
    return frame.with_columns(pl.lit("a").alias("set"))


def load_b() -> pl.DataFrame:
    """Set B in set A's shape: ``scope`` from ``out_of_scope``, the 2021 / 2019 labels joined from
    their own file; ``split`` says whether it is held out (see ``HELD_OUT``)."""
    frame = pl.read_csv(EVAL_B, infer_schema=False).fill_null("")
    editions = pl.read_csv(EVAL_B_EDITIONS, infer_schema=False).fill_null("").drop("note")
    if editions.height != frame.height or editions["id"].to_list() != frame["id"].to_list():
        raise ValueError(f"{EVAL_B_EDITIONS} must list the ids of {EVAL_B} in the same order")
    return _as_set(frame.join(editions, on="id", how="left"), "b")


def load_full(name: str) -> pl.DataFrame:
    """Set C, D or E in set A's shape (all three editions' labels in one file)."""
    return _as_set(pl.read_csv(FULL_SETS[name], infer_schema=False).fill_null(""), name)


def _as_set(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("out_of_scope") == "1").then(pl.lit("out")).otherwise(pl.lit("in"))
        .alias("scope"),
        pl.lit("held_out" if name == HELD_OUT else "development").alias("split"),
        pl.lit(name).alias("set"),
    )  # fmt: skip


LOADERS = {
    "a": load,
    "b": load_b,
    **{name: partial(load_full, name) for name, path in FULL_SETS.items() if path.exists()},
}


def records(frame: pl.DataFrame) -> list[ScreeningInput]:
    return [
        ScreeningInput(
            id=r["id"],
            name=r["name"],
            description=r["description"],
            industry_code=r["industry_code"] or None,
            params=json.loads(r["params_json"]) if r["params_json"] else {},
        )
        for r in frame.iter_rows(named=True)
    ]


PLAIN_BM25 = {  # everything but the lexical ranking switched off: the naive baseline
    "rule_scale": 0.0, "industry": 0.0, "kind_match": 0.0, "kind_mismatch": 0.0,
    "project_default": 0.0, "manufacturing_code_cue": 0.0, "keyword_first": 0.0,
    "keyword_more": 0.0, "keyword_negative": 0.0, "keyword_transfer": 0.0, "base_projection": 0.0,
    "example": 0.0,
}  # fmt: skip


ENGINES: dict[tuple[str, frozenset[str]], Screener] = {}


def engine_without(edition: str, sets: frozenset[str]) -> Screener:
    """The edition's screener with the labelled examples of ``sets`` left out: a record is never
    scored against its own example (leave-one-set-out). The held-out set is never an example."""
    shipped = shipped_examples()
    if not sets & {e.source_set for e in shipped.examples}:
        return screener(edition)
    key = (edition, sets)
    if key not in ENGINES:
        ENGINES[key] = Screener(edition, examples=shipped.without(sets))
    return ENGINES[key]


def screen_sets(
    frame: pl.DataFrame, edition: str, weights: ScreeningWeights | None = None
) -> list[ScreeningResult]:
    """Screen every row, each set with the examples of that set left out (in frame order)."""
    results: list[ScreeningResult | None] = [None] * frame.height
    indexed = frame.with_row_index("_row")
    for (name,), part in indexed.group_by("set", maintain_order=True):
        engine = engine_without(edition, frozenset({str(name)}))
        kept = engine.weights
        engine.weights = weights or kept
        try:
            screened = engine.screen_many(records(part), top_k=3)
        finally:  # the engines are shared (cached): leave them as found
            engine.weights = kept
        for row, result in zip(part["_row"].to_list(), screened, strict=True):
            results[row] = result
    return [r for r in results if r is not None]


def evaluate(
    frame: pl.DataFrame,
    edition: str,
    show_misses: bool = False,
    plain: bool = False,
    weights: ScreeningWeights | None = None,
) -> dict[str, object]:
    gold_col, alt_col = EDITIONS[edition]
    if plain:
        weights = replace(weights_for(edition), **PLAIN_BM25)
    started = time.perf_counter()
    results = screen_sets(frame, edition, weights)
    elapsed = time.perf_counter() - started
    rows = frame.iter_rows(named=True)
    stats = {split: {"n": 0, "top1": 0, "top3": 0} for split in ("dev", "test", "all")}
    out_total = out_caught = not_green = false_exclusions = 0
    misses = []
    for row, result in zip(rows, results, strict=True):
        # out of scope for this edition: a row outside the 2025 catalogue may still carry an
        # older edition's code (set C: e.g. a coal-unit flexibility retrofit, 2019 3.4.4)
        if row["scope"] == "out" and not row[gold_col]:
            out_total += 1
            out_caught += result.verdict is Verdict.OUT_OF_SCOPE
            # a record that fails a catalogue threshold is also told it is not green
            not_green += result.verdict in (Verdict.OUT_OF_SCOPE, Verdict.NOT_ELIGIBLE)
            continue
        gold = row[gold_col]
        if not gold:
            continue
        accepted = {gold} | {
            c.strip() for c in (row[alt_col] if alt_col else "").split(";") if c.strip()
        }
        codes = [c.code for c in result.candidates]
        split = (
            "test"
            if row.get("split") == "held_out"
            else "dev"
            if row.get("split") == "development"
            or int("".join(ch for ch in row["id"] if ch.isdigit()) or 0) % 2 == 0
            else "test"
        )
        hit1, hit3 = codes[0] in accepted, bool(accepted & set(codes[:3]))
        false_exclusions += result.verdict is Verdict.OUT_OF_SCOPE
        for key in (split, "all"):
            stats[key]["n"] += 1
            stats[key]["top1"] += hit1
            stats[key]["top3"] += hit3
        if not hit1 and row.get("split") != "held_out":  # set B's rows are never shown
            misses.append((row["id"], row["industry_code"], row["description"][:70], gold, codes))
    if show_misses:
        for miss in misses:
            print("   miss", *miss)
    return {
        "edition": edition,
        **{
            f"{split}_top1": round(s["top1"] / s["n"], 4) if s["n"] else None
            for split, s in stats.items()
        },
        **{
            f"{split}_top3": round(s["top3"] / s["n"], 4) if s["n"] else None
            for split, s in stats.items()
        },
        "n_all": stats["all"]["n"],
        "out_of_scope_recall": round(out_caught / out_total, 4) if out_total else None,
        "not_green_recall": round(not_green / out_total, 4) if out_total else None,
        "false_exclusions": false_exclusions,
        "records_per_s": round(len(frame) / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--edition", choices=list(EDITIONS))
    parser.add_argument("--set", choices=list(LOADERS), default="a",
                        help=f"{HELD_OUT}: held out; the others: development")  # fmt: skip
    args = parser.parse_args()
    frame = LOADERS[args.set]()
    print(f"evaluation set {args.set}: {frame.height} rows"
          + (" (held out)" if args.set == HELD_OUT else " (development)"))  # fmt: skip
    for edition in [args.edition] if args.edition else list(EDITIONS):
        print(json.dumps(evaluate(frame, edition, args.misses), ensure_ascii=False))
        baseline = evaluate(frame, edition, plain=True)
        print(f"  plain BM25 baseline ({edition}): top-1 {baseline['all_top1']}, "
              f"top-3 {baseline['all_top3']}")  # fmt: skip


if __name__ == "__main__":
    main()
