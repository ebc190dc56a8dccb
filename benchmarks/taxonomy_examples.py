"""Write the screener's labelled examples (``labelled_examples.csv``) from the development sets.

Every evaluation set except the held-out one (``HELD_OUT`` in taxonomy_accuracy.py) becomes
examples: one row per record and edition that has a code, the labeller's first choice first and
the accepted alternatives after it. A record labelled not green (``out_of_scope``) with no code
for an edition and no stated technical figure (``params_json``; a failing figure is for the
criteria to judge) is an example with empty codes: a non-green record. An in-scope record with
no code for an edition (no counterpart there) is left out. The held-out set is refused, so it stays
unseen.

``--include FILE`` adds approved library classifications exported from the project library
(``greenfin taxonomy export-examples -o FILE``) once a curator has checked each item (the item is
the screening's proposal accepted at approval, not an independent label); every row is checked
(columns, edition, codes at the edition's finest level, no held-out set) and a bad row stops the
whole write, naming file, row and field.

    python benchmarks/taxonomy_examples.py [--include FILE ...] [--write]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from benchmarks.taxonomy_accuracy import EDITIONS, HELD_OUT, LOADERS
from greenfin.taxonomy import load_catalogue

OUT = Path(__file__).parents[1] / "src/greenfin/reference/data/taxonomy/labelled_examples.csv"
SOURCES = {
    "a": "benchmarks/taxonomy/eval_set.csv (set A, hand-written and labelled for greenfin, "
    "EVAL_SET.md)",
    "b": "benchmarks/taxonomy/eval_set_b.csv + eval_set_b_editions.csv (set B, independent "
    "labellers, EVAL_SET_B.md)",
    "c": "benchmarks/taxonomy/eval_set_c.csv (set C, independent labeller, EVAL_SET_C.md)",
    "d": "benchmarks/taxonomy/eval_set_d.csv (set D, independent labeller, EVAL_SET_D.md)",
    "e": "benchmarks/taxonomy/eval_set_e.csv (set E, independent labeller, EVAL_SET_E.md)",
    "f": "benchmarks/taxonomy/eval_set_f.csv (set F, independent labeller, EVAL_SET_F.md)",
    "g": "benchmarks/taxonomy/eval_set_g.csv (set G, independent labeller, EVAL_SET_G.md)",
    "h": "benchmarks/taxonomy/eval_set_h.csv (set H, independent labeller, EVAL_SET_H.md)",
    "i": "benchmarks/taxonomy/eval_set_i.csv (set I, independent labeller, EVAL_SET_I.md)",
    "j": "benchmarks/taxonomy/eval_set_j.csv (set J, independent labeller, EVAL_SET_J.md)",
}
FIELDS = ["example_id", "source_set", "edition", "codes", "text", "source"]


def example_rows(set_names: list[str]) -> list[dict[str, str]]:
    if HELD_OUT in set_names:
        raise ValueError(f"set {HELD_OUT} is held out: it must not become examples")
    rows = []
    for name in set_names:
        for record in LOADERS[name]().iter_rows(named=True):
            for edition, (gold, alternatives) in EDITIONS.items():
                if record[gold]:
                    extra = [c.strip() for c in record[alternatives].split(";") if c.strip()]
                    codes = ";".join(dict.fromkeys([record[gold], *extra]))
                elif record["scope"] == "out" and not record["params_json"]:
                    # labelled not green, for a reason other than a stated figure (a figure that
                    # fails is the criteria's to judge, not the wording's): an example, no code
                    codes = ""
                else:  # in scope, but this edition has no counterpart: an example of nothing
                    continue
                rows.append(
                    {
                        "example_id": f"{name}:{record['id']}",
                        "source_set": name,
                        "edition": edition,
                        "codes": codes,
                        "text": f"{record['name']}。{record['description']}",
                        "source": SOURCES[name],
                    }
                )
    return rows


def included_rows(path: Path) -> list[dict[str, str]]:
    """Rows of an exported examples file, each checked; ValueError names file, row and field."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = [{f: (r[f] or "").strip() for f in FIELDS} for r in reader]
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, start=2):
        where = f"{path}, row {number}"
        if row["edition"] not in EDITIONS:
            raise ValueError(f"{where}, field edition: unknown edition {row['edition']!r}")
        finest = {item.code for item in load_catalogue(row["edition"]).finest()}
        codes = [c for c in row["codes"].split(";") if c]
        unknown = [c for c in codes if c not in finest]
        if not codes or unknown:
            raise ValueError(f"{where}, field codes: {unknown or 'empty'} not finest-level items")
        for field in ("example_id", "source_set", "text", "source"):
            if not row[field]:
                raise ValueError(f"{where}, field {field}: empty")
        if row["source_set"].lower() in {HELD_OUT, *LOADERS}:
            raise ValueError(
                f"{where}, field source_set: {row['source_set']!r} is an evaluation set"
            )
        if not row["example_id"].startswith(row["source_set"] + ":"):
            raise ValueError(f"{where}, field example_id: must start with '{row['source_set']}:'")
        key = (row["example_id"], row["edition"])
        if key in seen:
            raise ValueError(f"{where}, field example_id: {key[0]} repeated for {key[1]}")
        seen.add(key)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--include", type=Path, action="append", default=[])
    args = parser.parse_args()
    names = [name for name in LOADERS if name != HELD_OUT]
    rows = example_rows(names)
    print(f"{len(rows)} examples from sets {', '.join(names)}")
    for path in args.include:
        extra = included_rows(path)
        rows.extend(extra)
        print(f"{len(extra)} examples from {path}")
    if args.write:
        with OUT.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        print("wrote", OUT)


if __name__ == "__main__":
    main()
