"""Catalogue editions and items.

Editions (``reference/data/taxonomy/editions.csv``):
- ``green-finance-2025`` 《绿色金融支持项目目录（2025年版）》 (银发〔2025〕132号), the default;
  finest level 3, each level-3 item with GB/T 4754 activity rows, 条件/标准 and the
  greenhouse-gas mark (√√ direct reduction, √ low-carbon enabling).
- ``bond-2021`` 《绿色债券支持项目目录（2021年版）》 (银发〔2021〕96号); finest level 4.
- ``industry-2019`` 《绿色产业指导目录（2019年版）》 with 解释说明; finest level 3.
- ``industry-2024`` 《绿色低碳转型产业指导目录（2024年版）》: slot only, no text available.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from greenfin.reference.taxonomy import cached_rows

DEFAULT_EDITION = "green-finance-2025"


class ActivityKind(StrEnum):
    """What an item finances: the classic confusion is manufacturing vs. building/operating."""

    MANUFACTURING = "manufacturing"
    TRADE = "trade"
    CONSUMPTION = "consumption"
    SERVICE = "service"
    PROJECT = "project"  # construction, operation, retrofit, treatment, restoration


class TaxonomyError(ValueError):
    """Unknown edition or item, or an edition without data."""


@dataclass(frozen=True)
class Edition:
    id: str
    name_zh: str
    name_en: str
    document: str
    in_force_from: str
    finest_level: int
    status: str
    is_default: bool
    note: str

    @property
    def has_data(self) -> bool:
        return self.status != "not_found"


@dataclass(frozen=True)
class CatalogueItem:
    edition: str
    code: str
    level: int
    parent_code: str
    name_zh: str
    name_en: str
    text_zh: str
    gbt4754_codes: tuple[str, ...]
    ghg_mark: str  # "√√" direct reduction, "√" enabling, "" none / not applicable
    text_status: str
    source: str
    note: str

    @property
    def kind(self) -> ActivityKind:
        return activity_kind_of_name(self.name_zh, self.code)


def activity_kind_of_name(name: str, code: str = "") -> ActivityKind:
    if "制造" in name or ("生产" in name and "农业" not in name):
        return ActivityKind.MANUFACTURING
    if "贸易" in name or "批发" in name or "零售" in name:
        return ActivityKind.TRADE
    if "消费" in name:
        return ActivityKind.CONSUMPTION
    service_words = ("服务", "咨询", "评估", "监理", "审核", "核查", "交易", "认证", "测评", "诊断")
    if any(w in name for w in service_words) or code.startswith("7."):
        return ActivityKind.SERVICE
    return ActivityKind.PROJECT


@dataclass
class Catalogue:
    edition: Edition
    items: dict[str, CatalogueItem]
    children: dict[str, list[str]] = field(default_factory=dict)

    def item(self, code: str) -> CatalogueItem:
        try:
            return self.items[code]
        except KeyError:
            raise TaxonomyError(f"{self.edition.id} has no item {code!r}") from None

    def finest(self) -> list[CatalogueItem]:
        return [i for i in self.items.values() if i.level == self.edition.finest_level]

    def ancestors(self, code: str) -> list[CatalogueItem]:
        chain, current = [], self.item(code).parent_code
        while current:
            parent = self.items.get(current)
            if parent is None:
                break
            chain.append(parent)
            current = parent.parent_code
        return list(reversed(chain))

    def path_label(self, code: str) -> str:
        parts = [*self.ancestors(code), self.item(code)]
        return " › ".join(f"{p.code} {p.name_zh or '（名称缺失）'}" for p in parts)


@cache
def editions() -> dict[str, Edition]:
    return {
        r["edition"]: Edition(
            id=r["edition"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            document=r["document"],
            in_force_from=r["in_force_from"],
            finest_level=int(r["finest_level"]),
            status=r["status"],
            is_default=r["is_default"] == "true",
            note=r["note"],
        )
        for r in cached_rows("editions.csv")
    }


def get_edition(edition_id: str) -> Edition:
    found = editions().get(edition_id)
    if found is None:
        raise TaxonomyError(f"unknown edition {edition_id!r}; known: {', '.join(editions())}")
    return found


def _gf2025_items() -> list[CatalogueItem]:
    texts: dict[str, list[str]] = defaultdict(list)
    marks: dict[str, set[str]] = defaultdict(set)
    for row in cached_rows("green_finance_2025_activities.csv"):
        for part in (row["criteria_zh"], row["remark_zh"]):
            if part and part not in texts[row["item_code"]]:
                texts[row["item_code"]].append(part)
        if row["ghg_mark"]:
            marks[row["item_code"]].add(row["ghg_mark"])
    items = []
    for r in cached_rows("green_finance_2025_items.csv"):
        code = r["code"]
        mark = "√√" if "√√" in marks[code] else ("√" if "√" in marks[code] else "")
        items.append(
            CatalogueItem(
                edition="green-finance-2025",
                code=code,
                level=int(r["level"]),
                parent_code=r["parent_code"],
                name_zh=r["name_zh"],
                name_en="",
                text_zh="\n".join(texts[code]),
                gbt4754_codes=tuple(c for c in r["gbt4754_codes"].split(";") if c),
                ghg_mark=mark,
                text_status="complete",
                source=r["source"],
                note=r["note"],
            )
        )
    return items


def _bond2021_items() -> list[CatalogueItem]:
    """Items of the 2021 bond catalogue; known gaps stay empty, truncated texts carry a note with
    the standards the full text cites (``bond_2021_patches.csv``, each with its source)."""
    patches = {r["code"]: r for r in cached_rows("bond_2021_patches.csv")}

    def note(r: dict[str, str]) -> str:
        patch = patches.get(r["code"])
        if not patch:
            return r["note"]
        extra = f"原文此后引用的标准：{patch['value']}（来源：{patch['source']}；{patch['note']}）"
        return "; ".join(filter(None, (r["note"], extra)))

    return [
        CatalogueItem(
            edition="bond-2021",
            code=r["code"],
            level=int(r["level"]),
            parent_code=r["parent_code"],
            name_zh=r["name_zh"],
            name_en=r["name_en_unofficial"],
            text_zh=r["description_zh"],
            gbt4754_codes=(),
            ghg_mark="",
            text_status=r["text_status"],
            source=r["source"],
            note=note(r),
        )
        for r in cached_rows("bond_2021_items.csv")
    ]


def _industry2019_items() -> list[CatalogueItem]:
    return [
        CatalogueItem(
            edition="industry-2019",
            code=r["code"],
            level=int(r["level"]),
            parent_code=r["parent_code"],
            name_zh=r["name_zh"],
            name_en="",
            text_zh=r["explanation_zh"],
            gbt4754_codes=(),
            ghg_mark="",
            text_status="complete",
            source=r["source"],
            note=r["note"],
        )
        for r in cached_rows("industry_2019_items.csv")
    ]


_BUILDERS = {
    "green-finance-2025": _gf2025_items,
    "bond-2021": _bond2021_items,
    "industry-2019": _industry2019_items,
}


@cache
def load_catalogue(edition_id: str = DEFAULT_EDITION) -> Catalogue:
    edition = get_edition(edition_id)
    if not edition.has_data or edition_id not in _BUILDERS:
        raise TaxonomyError(f"{edition.name_zh} ({edition_id}): {edition.note}")
    items = {i.code: i for i in _BUILDERS[edition_id]()}
    children: dict[str, list[str]] = defaultdict(list)
    for item in items.values():
        if item.parent_code:
            children[item.parent_code].append(item.code)
    return Catalogue(edition, items, dict(children))
