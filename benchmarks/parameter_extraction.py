"""Technical parameters read from description texts, against the labelled ``params_json``.

The evaluation sets fill ``params_json`` only where the text states the figure, so a row's
labelled parameters are what a perfect reader would find. For every parameter that
``parameter_patterns.csv`` can read: found and equal (correct), found but different (wrong),
labelled but not found (missed), and found where the row has no label (extra: a label omission
or a false reading; listed for the development set).

    python benchmarks/parameter_extraction.py [--set a|b|c] [--show]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from benchmarks.taxonomy_accuracy import HELD_OUT, LOADERS
from greenfin.taxonomy.parameters import extract_parameters, parameter_patterns
from greenfin.taxonomy.text import normalise_series


def same(found: object, labelled: object) -> bool:
    if isinstance(found, float):
        try:
            return abs(found - float(labelled)) < 1e-9  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return str(found).lower() == str(labelled).lower()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=list(LOADERS), default="a")
    parser.add_argument("--show", action="store_true", help="list wrong/missed/extra (not set C)")
    args = parser.parse_args()
    frame = LOADERS[args.set]()
    readable = {p.parameter for p in parameter_patterns()}
    texts = frame.select((frame["name"] + "。" + frame["description"]).alias("t"))["t"]
    found_all = extract_parameters(normalise_series(texts))
    counts: Counter[tuple[str, str]] = Counter()
    for row, found in zip(frame.iter_rows(named=True), found_all, strict=True):
        labelled = {
            k: v for k, v in json.loads(row["params_json"] or "{}").items() if k in readable
        }
        for key in readable:
            if key in labelled and key in found:
                outcome = "correct" if same(found[key], labelled[key]) else "wrong"
            elif key in labelled:
                outcome = "missed"
            elif key in found:
                outcome = "extra"
            else:
                continue
            counts[(key, outcome)] += 1
            if args.show and args.set != HELD_OUT and outcome != "correct":
                print(f"  {outcome:7} {row['id']} {key}: found {found.get(key)!r} "
                      f"labelled {labelled.get(key)!r} | {row['description'][:60]}")  # fmt: skip
    outcomes = ("correct", "wrong", "missed", "extra")
    total = {o: sum(n for (_, out), n in counts.items() if out == o) for o in outcomes}
    labelled_n = total["correct"] + total["wrong"] + total["missed"]
    read_n = total["correct"] + total["wrong"]
    print(f"set {args.set}: {frame.height} rows; parameters readable: {len(readable)}")
    for key in sorted({k for k, _ in counts}):
        print(f"  {key:34}", "  ".join(f"{o} {counts[(key, o)]}" for o in outcomes))
    print(f"recall {total['correct'] / labelled_n:.3f} ({total['correct']}/{labelled_n}), "
          f"precision on labelled rows {total['correct'] / read_n:.3f} ({total['correct']}/"
          f"{read_n}), extra readings {total['extra']}")  # fmt: skip


if __name__ == "__main__":
    main()
