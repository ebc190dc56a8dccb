"""Curated crosswalks between catalogue editions, to the EU Taxonomy and GB/T 4754 ↔ NACE.

Falls back to the identical-name links of the source files where the curated crosswalk file is
absent, so that screening can always transfer its green-finance-2025 knowledge to other editions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from greenfin.reference.taxonomy import cached_rows

MATCH_WEIGHT = {"exact": 1.0, "partial": 0.6}


@dataclass(frozen=True)
class Link:
    from_edition: str
    from_code: str
    to_edition: str
    to_code: str
    match: str
    basis: str
    note: str


@cache
def catalogue_links() -> tuple[Link, ...]:
    rows = cached_rows("crosswalk_catalogues.csv")
    if rows:
        return tuple(
            Link(
                r["from_edition"],
                r["from_code"],
                r["to_edition"],
                r["to_code"],
                r["match"],
                r.get("basis", ""),
                r.get("note", ""),
            )
            for r in rows
            if r["to_code"]
        )
    links = []
    for r in cached_rows("green_finance_2025_items.csv"):
        for edition, column in (("bond-2021", "bond2021_code_same_name"),
                                ("industry-2019", "industry2019_code_same_name")):  # fmt: skip
            if r.get(column):
                links.append(
                    Link(
                        "green-finance-2025",
                        r["code"],
                        edition,
                        r[column],
                        "exact",
                        "same_name",
                        "",
                    )
                )
    return tuple(links)


def links_between(from_edition: str, to_edition: str) -> dict[str, list[tuple[str, float]]]:
    """``from_code -> [(to_code, weight)]``, following links in either direction."""
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for link in catalogue_links():
        weight = MATCH_WEIGHT.get(link.match, 0.0)
        if not weight:
            continue
        if link.from_edition == from_edition and link.to_edition == to_edition:
            out[link.from_code].append((link.to_code, weight))
        elif link.from_edition == to_edition and link.to_edition == from_edition:
            out[link.to_code].append((link.from_code, weight))
    return dict(out)


def links_of(edition: str, code: str) -> list[Link]:
    return [
        link
        for link in catalogue_links()
        if (link.from_edition == edition and link.from_code == code)
        or (link.to_edition == edition and link.to_code == code)
    ]


@cache
def eu_links() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in cached_rows("crosswalk_eu.csv"):
        out[f"{r['edition']}:{r['item_code']}"].append(r)
    return dict(out)
