"""Synthetic (示例) marketplace: products of the demo banks, insurers and guarantors, and a plan
of financing demands on approved demo projects in every state.

Pure and deterministic for a seed: the loader (``services.market_demo``) creates everything
through the ordinary services. Product names end in （示例）; rates are invented within the ranges
a reader would find plausible and are not quotes of any real institution.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from greenfin.library import matching
from greenfin.library.products import validate_rules

SYNTHETIC_MARK = "（示例）"
MIN_PRODUCTS = 40
# Districts with mountains and forests (门头沟, 房山, 怀柔, 平谷, 密云, 延庆): ecological products.
ECOLOGICAL_DISTRICTS = ("110109", "110111", "110116", "110117", "110118", "110119")
WAN = 1_000_000  # 1 万元 in fen


@dataclass(frozen=True)
class Template:
    """One product a kind of institution offers: rules as data, a rate range (% p.a.)."""

    product_type: str
    label: str
    rules: dict[str, Any]
    rate: tuple[float, float] | None
    cerf: bool = False
    jinglvrong: bool = False
    jinglvtong: bool = False


BANK_TEMPLATES: tuple[Template, ...] = (
    Template("green_project_loan", "绿色项目贷",
             {"categories": ["4", "6"], "min_grade": "中绿", "amount_min_fen": 1000 * WAN,
              "amount_max_fen": 200_000 * WAN, "term_min_months": 36, "term_max_months": 180},
             (3.0, 4.2), cerf=True, jinglvrong=True),
    Template("energy_efficiency_loan", "能效贷",
             {"categories": ["1.3", "1.1", "6.1"], "min_grade": "浅绿",
              "amount_min_fen": 50 * WAN, "amount_max_fen": 20_000 * WAN,
              "term_min_months": 12, "term_max_months": 120},
             (3.1, 4.5), cerf=True),
    Template("emc_receivable_pledge_loan", "合同能源管理收益权质押贷",
             {"categories": ["1.3", "6.1"], "amount_min_fen": 100 * WAN,
              "amount_max_fen": 10_000 * WAN, "term_max_months": 96,
              "financing_types": ["emc_receivable_pledge", "project_loan"]},
             (3.5, 4.8)),
    Template("carbon_allowance_pledge_loan", "碳排放权质押贷",
             {"categories": ["1", "3", "4"], "min_grade": "浅绿", "amount_min_fen": 100 * WAN,
              "amount_max_fen": 30_000 * WAN, "term_max_months": 36,
              "financing_types": ["carbon_allowance_pledge", "working_capital", "project_loan"]},
             (3.2, 4.4), jinglvrong=True),
    Template("pollutant_permit_pledge_loan", "排污权抵质押贷",
             {"categories": ["2", "3"], "amount_min_fen": 50 * WAN, "amount_max_fen": 10_000 * WAN,
              "term_max_months": 60},
             (3.4, 4.6)),
    Template("eco_product_collateral_loan", "生态产品价值贷",
             {"categories": ["5"], "districts": list(ECOLOGICAL_DISTRICTS),
              "amount_max_fen": 20_000 * WAN},
             (3.3, 4.3), jinglvrong=True),
    Template("forest_carbon_sink_pledge_loan", "林业碳汇收益权质押贷",
             {"categories": ["5.1", "5.2"], "amount_max_fen": 10_000 * WAN,
              "term_max_months": 120},
             (3.4, 4.5)),
    Template("sustainability_linked_loan", "可持续发展挂钩贷",
             {"min_grade": "浅绿", "amount_min_fen": 500 * WAN, "term_max_months": 120},
             (3.2, 4.6)),
    Template("green_bill_discount", "绿色票据贴现",
             {"min_grade": "浅绿", "amount_max_fen": 5_000 * WAN, "term_max_months": 12,
              "financing_types": ["working_capital"]},
             (1.4, 2.2), jinglvtong=True),
    Template("green_bond_underwriting", "绿色债券承销",
             {"categories": ["1", "4", "6"], "min_grade": "中绿", "amount_min_fen": 10_000 * WAN},
             (2.2, 3.4)),
    Template("green_lease", "绿色融资租赁",
             {"categories": ["1", "4", "6.2"], "amount_min_fen": 100 * WAN,
              "amount_max_fen": 50_000 * WAN, "term_min_months": 24, "term_max_months": 120},
             (3.8, 5.2)),
)  # fmt: skip
SUB_CENTRE_TEMPLATE = Template(
    "green_project_loan", "城市副中心绿色发展贷",
    {"categories": ["4", "6", "1.3"], "min_grade": "浅绿", "sub_centre_only": True,
     "amount_min_fen": 200 * WAN, "term_max_months": 180},
    (2.95, 3.9), cerf=True, jinglvrong=True,
)  # fmt: skip
INSURER_TEMPLATES: tuple[Template, ...] = (
    Template("env_pollution_liability_insurance", "环境污染责任险",
             {"categories": ["2", "3", "1.4"]}, (0.3, 1.2)),
    Template("green_building_performance_insurance", "绿色建筑性能责任险",
             {"categories": ["6.1"]}, (0.4, 1.0)),
    Template("credit_guarantee_insurance", "绿色贷款履约保证保险",
             {"min_grade": "浅绿", "amount_max_fen": 3_000 * WAN}, (0.8, 1.8)),
    Template("forest_carbon_sink_insurance", "林业碳汇价格指数保险",
             {"categories": ["5"], "districts": list(ECOLOGICAL_DISTRICTS)}, (0.5, 1.5)),
)  # fmt: skip
GUARANTOR_TEMPLATES: tuple[Template, ...] = (
    Template("green_financing_guarantee", "绿色融资担保",
             {"min_grade": "浅绿", "amount_max_fen": 5_000 * WAN}, (0.5, 1.5)),
    Template("green_financing_guarantee", "节能减排专项担保",
             {"categories": ["1", "2", "3"], "amount_max_fen": 10_000 * WAN}, (0.6, 1.2)),
)  # fmt: skip

DECLINE_REASONS = (
    "项目现金流对还款覆盖不足（示例）",
    "抵质押物评估价值不足（示例）",
    "企业信用记录需进一步核实（示例）",
    "项目环评批复尚未取得（示例）",
)
# How the demo demands end up: state → relative weight (every state appears).
OUTCOMES: dict[str, int] = {
    "open_empty": 3, "open_partial": 5, "open_full": 3, "chosen": 4, "granted": 9,
    "declined": 3, "withdrawn": 2,
}  # fmt: skip
DEMANDS = 34


@dataclass(frozen=True)
class Institution:
    organisation_id: int
    kind: str  # bank | insurer | guarantor
    short_name: str
    in_sub_centre: bool = False


@dataclass(frozen=True)
class DemoProduct:
    index: int
    organisation_id: int
    name: str
    product_type: str
    rules: dict[str, Any]
    rate_min_pct: float | None
    rate_max_pct: float | None
    cerf_eligible: bool
    jinglvrong_eligible: bool
    jinglvtong_eligible: bool
    description: str


GRANTS_FROM = date(2025, 10, 1)
GRANT_DAYS = 365


@dataclass(frozen=True)
class DemoDemand:
    """A demand and how it proceeds: interests (product indexes, in order), who is chosen, the
    outcome (granted share of the amount and rate, or a decline reason)."""

    project_id: int
    outcome: str
    interests: tuple[int, ...]
    chosen: int | None = None  # position in ``interests``
    granted_share: float | None = None
    granted_rate_pct: float | None = None
    decline_reason: str | None = None
    granted_on: date | None = None


@dataclass(frozen=True)
class MarketPlan:
    products: tuple[DemoProduct, ...]
    demands: tuple[DemoDemand, ...] = field(default_factory=tuple)


def _product(
    index: int, inst: Institution, t: Template, rng: random.Random, variant: str = ""
) -> DemoProduct:
    low, high = t.rate or (None, None)
    if low is not None and high is not None:
        shift = round(rng.uniform(-0.2, 0.2), 2)
        low, high = round(low + shift, 2), round(high + shift, 2)
    rules = validate_rules(t.rules).to_json()  # the shipped templates must be valid
    return DemoProduct(
        index=index, organisation_id=inst.organisation_id,
        name=f"{inst.short_name}{t.label}{variant}{SYNTHETIC_MARK}", product_type=t.product_type,
        rules=rules, rate_min_pct=low, rate_max_pct=high, cerf_eligible=t.cerf,
        jinglvrong_eligible=t.jinglvrong, jinglvtong_eligible=t.jinglvtong,
        description=f"{t.label}：示例产品，条件与利率为演示用途，不代表任何真实机构的报价。",
    )  # fmt: skip


def plan_products(institutions: list[Institution], seed: int) -> list[DemoProduct]:
    """Three or four products per bank, four per insurer, two per guarantor (≥ 40 in all with
    the demo's 13 banks, 2 insurers and 2 guarantors)."""
    rng = random.Random(seed)
    out: list[DemoProduct] = []
    banks = [i for i in institutions if i.kind == "bank"]
    for n, inst in enumerate(banks):
        picks = [BANK_TEMPLATES[(n + k) % len(BANK_TEMPLATES)] for k in (0, 3, 7)]
        if n % 2 == 0:
            picks.append(BANK_TEMPLATES[(n + 5) % len(BANK_TEMPLATES)])
        if inst.in_sub_centre:
            picks.append(SUB_CENTRE_TEMPLATE)
        unique = [t for k, t in enumerate(picks) if all(t is not u for u in picks[:k])]
        for t in unique:
            out.append(_product(len(out), inst, t, rng))
    for inst in institutions:
        templates = {"insurer": INSURER_TEMPLATES, "guarantor": GUARANTOR_TEMPLATES}.get(inst.kind)
        for t in templates or ():
            out.append(_product(len(out), inst, t, rng))
    return out


def plan_demands(
    products: list[DemoProduct],
    projects: pl.DataFrame,
    seed: int,
    preferred_owners: tuple[int, ...] = (),
    preferred_institutions: tuple[int, ...] = (),
    count: int = DEMANDS,
) -> list[DemoDemand]:
    """Demands on approved projects (a frame with :data:`matching.PROJECT_SCHEMA` columns plus
    ``organisation_id``), in every state; interests come only from institutions with an eligible
    product. The demo log-ins' enterprises and institutions are served first."""
    rng = random.Random(seed + 1)
    if projects.is_empty() or not products:
        return []
    specs = [
        matching.ProductSpec(
            product_id=p.index,
            organisation_id=p.organisation_id,
            product_type=p.product_type,
            rules=validate_rules(p.rules),
            rate_min_pct=p.rate_min_pct,
            cerf_eligible=p.cerf_eligible,
            jinglvrong_eligible=p.jinglvrong_eligible,
            jinglvtong_eligible=p.jinglvtong_eligible,
        )
        for p in products
    ]
    candidates = projects.filter(
        pl.col("amount_fen").is_not_null() & pl.col("term_months").is_not_null()
        & pl.col("financing_type").is_not_null()
    )  # fmt: skip
    scored = matching.match(matching.projects_frame(candidates), matching.products_frame(specs))
    eligible = scored.filter(pl.col("eligible")).sort(
        ["project_id", "score", "product_id"], descending=[False, True, False]
    )
    by_project: dict[int, list[int]] = {}
    for pid, prod in eligible.select("project_id", "product_id").iter_rows():
        by_project.setdefault(pid, []).append(prod)
    owners = dict(candidates.select("project_id", "organisation_id").iter_rows())
    order = sorted(by_project, key=lambda pid: (owners[pid] not in preferred_owners, pid))
    states = list(OUTCOMES)
    out: list[DemoDemand] = []
    for n, pid in enumerate(order[:count]):
        state = states[n] if n < len(states) else rng.choices(states, list(OUTCOMES.values()))[0]
        offers: list[int] = []
        seen_orgs: set[int] = set()
        fitting = sorted(
            by_project[pid],
            key=lambda i: (products[i].organisation_id not in preferred_institutions, rng.random()),
        )
        for i in fitting:  # one product per institution
            if products[i].organisation_id not in seen_orgs:
                seen_orgs.add(products[i].organisation_id)
                offers.append(i)
        wanted = {"open_empty": 0, "open_partial": 1, "withdrawn": 1}.get(state, 3)
        if state == "open_partial" and len(offers) > 2:
            wanted = 2
        offers = offers[:wanted]
        if state not in ("open_empty",) and not offers:
            state = "open_empty"
        chosen = rng.randrange(len(offers)) if state in ("chosen", "granted", "declined") else None
        rate = None
        if state == "granted" and chosen is not None:
            low = products[offers[chosen]].rate_min_pct or 3.0
            high = products[offers[chosen]].rate_max_pct or low + 1.0
            rate = round(rng.uniform(low, high), 2)
        out.append(
            DemoDemand(
                project_id=pid,
                outcome=state,
                interests=tuple(offers),
                chosen=chosen,
                granted_share=round(rng.uniform(0.6, 1.0), 2) if state == "granted" else None,
                granted_rate_pct=rate,
                decline_reason=rng.choice(DECLINE_REASONS) if state == "declined" else None,
                # spread over the demo loan books' year (quarter ends 2025-09-30 … 2026-09-30)
                # so grants fall inside the statistics' periods; no extra draw from ``rng``
                granted_on=GRANTS_FROM + timedelta(days=(37 * len(out)) % GRANT_DAYS)
                if state == "granted"
                else None,
            )
        )
    return out
