"""Shipped reference data (CSV/JSON under ``reference/data``) and typed loaders.

Every file carries ``source`` and ``edition`` columns; ``data/SOURCES.md`` documents each file.
Loaders are cached: reference data is read-only for the life of the process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


def data_rows(*path: str) -> list[dict[str, str]]:
    """Rows of a shipped CSV under ``reference/data`` (e.g. ``data_rows("carbon", "x.csv")``);
    an absent file gives no rows, so optional curated files can be left out."""
    file = resources.files("greenfin.reference").joinpath("data", *path)
    if not file.is_file():
        return []
    return list(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8"), newline="")))


def data_text(*path: str) -> str:
    """Text of a shipped file under ``reference/data``."""
    return resources.files("greenfin.reference").joinpath("data", *path).read_text("utf-8")


@dataclass(frozen=True)
class District:
    code: str
    name_zh: str
    name_en: str
    has_city_sub_centre: bool
    source: str
    edition: str

    def label(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class IndustryCode:
    """One GB/T 4754-2017 code at any level (1 门类 … 4 小类)."""

    code: str
    level: int
    level_name: str
    parent_code: str
    section: str
    name_zh: str
    description_zh: str
    source: str
    edition: str


@cache
def districts() -> tuple[District, ...]:
    """Beijing's 16 districts (GB/T 2260 codes); 通州 carries the city sub-centre (城市副中心)."""
    return tuple(
        District(
            code=r["code"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            has_city_sub_centre=r["has_city_sub_centre"] == "true",
            source=r["source"],
            edition=r["edition"],
        )
        for r in data_rows("beijing_districts.csv")
    )


@cache
def _districts_by_key() -> dict[str, District]:
    index: dict[str, District] = {}
    for d in districts():
        for key in (d.code, d.name_zh, d.name_en.lower(), d.name_zh.removesuffix("区")):
            index[key] = d
    return index


def find_district(key: str) -> District | None:
    """Look a district up by GB/T 2260 code, Chinese name (with or without 区) or English name."""
    return _districts_by_key().get(key.strip()) or _districts_by_key().get(key.strip().lower())


@cache
def industry_codes() -> dict[str, IndustryCode]:
    """GB/T 4754-2017 codes keyed by code (A, 01, 011, 0111 …)."""
    return {
        r["code"]: IndustryCode(
            code=r["code"],
            level=int(r["level"]),
            level_name=r["level_name"],
            parent_code=r["parent_code"],
            section=r["section"],
            name_zh=r["name_zh"],
            description_zh=r["description_zh"],
            source=r["source"],
            edition=r["edition"],
        )
        for r in data_rows("gbt4754_2017.csv")
    }


def provenance() -> list[dict[str, Any]]:
    """Which reference files are loaded, with their sources and editions (for reports)."""
    out = []
    for name in ("beijing_districts.csv", "gbt4754_2017.csv"):
        rows = data_rows(name)
        out.append(
            {
                "file": name,
                "rows": len(rows),
                "sources": sorted({r["source"] for r in rows}),
                "editions": sorted({r["edition"] for r in rows}),
            }
        )
    return out
