"""Tune the scoring weights of each edition on the DEV half of the evaluation set (even ids).

Random search over the non-index weights of ``ScreeningWeights``; the best set per edition is
written to ``src/greenfin/reference/data/taxonomy/screening_weights.csv`` (weights are data).
The held-out TEST half (odd ids) is only reported, never optimised.

    python benchmarks/taxonomy_tune.py [--trials 150] [--write]
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import replace
from pathlib import Path

import polars as pl

from benchmarks.taxonomy_accuracy import EDITIONS, evaluate, load
from greenfin.taxonomy.screening import ScreeningWeights, screener

OUT = Path(__file__).parents[1] / "src/greenfin/reference/data/taxonomy/screening_weights.csv"
SPACE = {
    "rule_scale": (0.5, 1.6),
    "industry": (0.1, 0.7),
    "kind_match": (0.1, 0.6),
    "kind_mismatch": (0.1, 0.7),
    "project_default": (0.0, 0.25),
    "manufacturing_code_cue": (0.2, 1.0),
    "keyword_first": (0.2, 0.9),
    "keyword_more": (0.0, 0.25),
    "keyword_negative": (0.1, 0.8),
    "keyword_transfer": (0.0, 1.0),
    "base_projection": (0.0, 2.0),
}


def split(frame: pl.DataFrame, parity: int) -> pl.DataFrame:
    number = pl.col("id").str.extract(r"(\d+)").cast(pl.Int64)
    return frame.filter(number % 2 == parity)


def objective(result: dict) -> float:
    return result["all_top1"] + 0.5 * result["all_top3"]


def tune(edition: str, trials: int, seed: int = 1) -> tuple[ScreeningWeights, dict, dict]:
    frame = load()
    dev, test = split(frame, 0), split(frame, 1)
    engine = screener(edition)
    base = engine.weights
    rng = random.Random(seed)
    best_weights, best_dev = base, evaluate(dev, edition)
    for _ in range(trials):
        candidate = replace(base, **{k: round(rng.uniform(*r), 3) for k, r in SPACE.items()})
        engine.weights = candidate
        result = evaluate(dev, edition)
        if objective(result) > objective(best_dev):
            best_weights, best_dev = candidate, result
    engine.weights = best_weights
    return best_weights, best_dev, evaluate(test, edition)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    for edition in EDITIONS:
        weights, dev, test = tune(edition, args.trials)
        print(edition, "dev", dev["all_top1"], dev["all_top3"], "test", test["all_top1"],
              test["all_top3"])  # fmt: skip
        for name in SPACE:
            source = (
                f"benchmarks/taxonomy_tune.py, random search ({args.trials} trials) "
                "on the dev half of benchmarks/taxonomy/eval_set.csv"
            )
            rows.append(
                {
                    "edition": edition,
                    "parameter": name,
                    "value": getattr(weights, name),
                    "source": source,
                }
            )
    if args.write:
        with OUT.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["edition", "parameter", "value", "source"])
            writer.writeheader()
            writer.writerows(rows)
        print("wrote", OUT)


if __name__ == "__main__":
    main()
