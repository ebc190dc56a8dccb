"""Matching green projects and financial products, both ways, as columnar Polars work.

Every (project, product) pair is scored on the product's eligibility rules
(:class:`greenfin.library.products.EligibilityRules`). A rule's outcome is one of

- ``catalogue``: ``item`` (exact level-3 item) · ``level2`` · ``level1`` (category listed) ·
  ``open`` (the product accepts any item) · ``fail``
- ``grade``: ``pass`` · ``open`` (no minimum) · ``fail``
- ``amount`` / ``term``: ``pass`` (inside the stated range) · ``open`` (no range) · ``unknown``
  (the project states none; not a failure) · ``fail``
- ``district``: ``district`` (listed) · ``sub_centre`` (reserved for the city sub-centre) ·
  ``open`` · ``fail``
- ``financing_type``: ``pass`` · ``open`` (any type) · ``unknown`` · ``fail``
- ``cerf`` (碳减排支持工具, ranking only): ``direct_reduction`` (the product is CERF-eligible and
  the item carries √√ — a working assumption, see ``reference/data/carbon/CERF.md``) ·
  ``no_mark`` · ``n/a``
- ``jinglv`` (京绿融 / 京绿通, ranking only): ``yes`` · ``n/a``
- ``rate`` (ranking only): ``scored`` (an indicative interest rate) · ``n/a``

A pair is eligible when no rule failed; its score is the sum of the points of every rule, with the
points as data (``reference/data/library/matching_weights.csv``). Ineligible pairs keep their
outcomes (so a page can say which rule failed) and score 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
import pyarrow as pa

from greenfin import reference
from greenfin.carbon.cerf import direct_reduction_items
from greenfin.library.products import (
    ANY,
    GRADE_RANK,
    GRADES,
    EligibilityRules,
    district_codes,
    financing_aliases,
    financing_types,
    normalise_financing_type,
    product_types,
    served_financing_types,
)

RULES = ("catalogue", "grade", "amount", "term", "district", "financing_type", "cerf", "jinglv",
         "rate")  # fmt: skip
HARD_RULES = ("catalogue", "grade", "amount", "term", "district", "financing_type")

PROJECT_SCHEMA: dict[str, Any] = {
    "project_id": pl.Int64,
    "item_code": pl.String,
    "category_code": pl.String,
    "grade": pl.String,
    "amount_fen": pl.Int64,
    "term_months": pl.Int64,
    "financing_type": pl.String,
    "district_code": pl.String,
    "in_city_sub_centre": pl.Boolean,
}
PRODUCT_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "organisation_id": pl.Int64,
    "product_type": pl.String,
    "p_items": pl.List(pl.String),
    "p_categories": pl.List(pl.String),
    "p_min_grade": pl.String,
    "p_amount_min": pl.Int64,
    "p_amount_max": pl.Int64,
    "p_term_min": pl.Int64,
    "p_term_max": pl.Int64,
    "p_districts": pl.List(pl.String),
    "p_sub_centre_only": pl.Boolean,
    "p_serves": pl.List(pl.String),
    "p_rate_is_interest": pl.Boolean,
    "p_rate_min": pl.Float64,
    "p_cerf": pl.Boolean,
    "p_jinglv": pl.Boolean,
}


@cache
def weights() -> dict[str, float]:
    """Matching points and rate bounds (``matching_weights.csv``)."""
    return {
        r["key"]: float(r["value"]) for r in reference.data_rows("library", "matching_weights.csv")
    }


def weights_provenance() -> list[dict[str, str]]:
    return [
        {k: r[k] for k in ("key", "value", "unit", "meaning", "source", "edition")}
        for r in reference.data_rows("library", "matching_weights.csv")
    ]


@dataclass(frozen=True)
class ProductSpec:
    """What matching needs to know about one product."""

    product_id: int
    organisation_id: int
    product_type: str
    rules: EligibilityRules
    rate_min_pct: float | None = None
    cerf_eligible: bool = False
    jinglvrong_eligible: bool = False
    jinglvtong_eligible: bool = False


LIST_COLUMNS = ("p_items", "p_categories", "p_districts", "p_serves")


def _list_column(values: list[tuple[str, ...]]) -> pl.Series:
    """A list-of-strings column from offsets and flat values (Polars would otherwise build one
    Series per row: 1,000 products took ~70 ms that way, ~1 ms this way)."""
    offsets = [0]
    flat: list[str] = []
    for v in values:
        flat.extend(v)
        offsets.append(len(flat))
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, pa.string()))
    return pl.Series(pl.from_arrow(array)).cast(pl.List(pl.String))


def products_frame(products: Iterable[ProductSpec]) -> pl.DataFrame:
    """One row per product with its rules as columns (lists for item/category/district sets)."""
    types = product_types()
    rows: dict[str, list[Any]] = {k: [] for k in PRODUCT_SCHEMA}
    for p in products:
        ptype = types[p.product_type]
        r = p.rules
        for key, value in (
            ("product_id", p.product_id), ("organisation_id", p.organisation_id),
            ("product_type", p.product_type), ("p_items", r.items),
            ("p_categories", r.categories), ("p_min_grade", r.min_grade),
            ("p_amount_min", r.amount_min_fen), ("p_amount_max", r.amount_max_fen),
            ("p_term_min", r.term_min_months), ("p_term_max", r.term_max_months),
            ("p_districts", r.districts), ("p_sub_centre_only", r.sub_centre_only),
            ("p_serves", served_financing_types(r, ptype)),
            ("p_rate_is_interest", ptype.rate_meaning == "interest"),
            ("p_rate_min", p.rate_min_pct), ("p_cerf", p.cerf_eligible),
            ("p_jinglv", p.jinglvrong_eligible or p.jinglvtong_eligible),
        ):  # fmt: skip
            rows[key].append(value)
    scalars = {k: v for k, v in rows.items() if k not in LIST_COLUMNS}
    frame = pl.DataFrame(scalars, schema={k: PRODUCT_SCHEMA[k] for k in scalars})
    return frame.with_columns(_list_column(rows[k]).alias(k) for k in LIST_COLUMNS).select(
        list(PRODUCT_SCHEMA)
    )


def projects_frame(rows: Iterable[Mapping[str, Any]] | pl.DataFrame) -> pl.DataFrame:
    """Projects with the columns of :data:`PROJECT_SCHEMA`; financing types normalised to codes
    (``贷款`` → ``loan``) and the level-1 category derived from the item when missing."""
    if isinstance(rows, pl.DataFrame):
        frame = rows.select(
            [pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c)
             for c, t in PROJECT_SCHEMA.items()]
        )  # fmt: skip
    else:
        data = [{c: r.get(c) for c in PROJECT_SCHEMA} for r in rows]
        frame = pl.DataFrame(data, schema=PROJECT_SCHEMA)
    return frame.with_columns(
        pl.col("financing_type")
        .str.strip_chars()
        .replace_strict(financing_aliases(), default=None),
        pl.coalesce(pl.col("category_code"), pl.col("item_code").str.extract(r"^(\d+)", 1)).alias(
            "category_code"
        ),
        pl.col("in_city_sub_centre").fill_null(False),
    )


def _within(value: str, low: str, high: str) -> pl.Expr:
    v = pl.col(value)
    return (pl.col(low).is_null() | (v >= pl.col(low))) & (
        pl.col(high).is_null() | (v <= pl.col(high))
    )


# Rule outcomes as an Enum: five times cheaper than strings over millions of pairs.
OUTCOMES = ("open", "item", "level2", "level1", "fail", "pass", "unknown", "sub_centre",
            "district", "n/a", "direct_reduction", "no_mark", "yes", "scored")  # fmt: skip
OUTCOME = pl.Enum(OUTCOMES)


def _o(value: str) -> pl.Expr:
    return pl.lit(value, dtype=OUTCOME)


def _points(column: str, mapping: Mapping[str, float]) -> pl.Expr:
    """Points for an outcome column (0 for outcomes not in ``mapping``)."""
    expr: Any = pl
    for outcome, pts in mapping.items():
        expr = expr.when(pl.col(column) == outcome).then(pl.lit(float(pts)))
    return expr.otherwise(pl.lit(0.0)) if mapping else pl.lit(0.0)


def _bits(codes: Iterable[str]) -> dict[str, int]:
    """One bit per distinct code, in first-seen order."""
    out: dict[str, int] = {}
    for code in codes:
        if code not in out:
            out[code] = 1 << len(out)
    if len(out) > 62:
        raise ValueError("too many codes for a 64-bit mask")
    return out


def _mask(column: str, bits: Mapping[str, int]) -> pl.Expr:
    """A list-of-codes column as the OR of its codes' bits (distinct bits, so a sum)."""
    return (
        pl.col(column)
        .list.eval(pl.element().replace_strict(bits, default=0, return_dtype=pl.Int64))
        .list.unique()
        .list.sum()
        .fill_null(0)
        .cast(pl.Int64)
    )


def match(projects: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Score every (project, product) pair; see :func:`match_lazy`."""
    return match_lazy(projects, products).collect()


def match_lazy(projects: pl.DataFrame, products: pl.DataFrame) -> pl.LazyFrame:
    """Score every (project, product) pair.

    Parameters
    ----------
    projects : pl.DataFrame
        From :func:`projects_frame`.
    products : pl.DataFrame
        From :func:`products_frame`.

    Returns
    -------
    pl.DataFrame
        ``project_id``, ``product_id``, ``organisation_id``, ``product_type``, ``eligible``,
        ``score`` (points, 2 decimals; 0 when ineligible) and per rule ``<rule>`` (outcome) and
        ``<rule>_pts`` (points); :func:`failed_rules` names the failed rules of a row.
    """
    w = weights()
    direct = list(direct_reduction_items())
    proj = projects.with_columns(
        pl.col("item_code").str.extract(r"^(\d+\.\d+)", 1).alias("_l2"),
        pl.col("grade")
        .replace_strict(GRADE_RANK, default=None, return_dtype=pl.Int64)
        .alias("_gr"),
        pl.col("item_code").is_in(direct).fill_null(False).alias("_direct"),
    )
    # Small sets become bit masks (16 districts, the financing types): a bitwise AND per pair
    # instead of a list lookup.
    dbits, fbits = _bits(district_codes()), _bits(financing_aliases().values())
    proj = proj.with_columns(
        pl.col("district_code").replace_strict(dbits, default=0, return_dtype=pl.Int64)
        .alias("_dbit"),
        pl.col("financing_type").replace_strict(fbits, default=0, return_dtype=pl.Int64)
        .alias("_fbit"),
    )  # fmt: skip
    prod = products.with_columns(
        pl.col("p_min_grade")
        .replace_strict(GRADE_RANK, default=None, return_dtype=pl.Int64)
        .alias("_pgr"),
        _mask("p_districts", dbits).alias("_dmask"),
        _mask("p_serves", fbits).alias("_fmask"),
        pl.col("p_serves").list.contains(pl.lit(ANY)).alias("_fany"),
        ((pl.col("p_items").list.len() > 0) | (pl.col("p_categories").list.len() > 0))
        .alias("_restricted"),
    )  # fmt: skip
    # the district and financing-type lists are not carried into the pairs (their masks are)
    carried = [c for c in prod.columns if c not in ("p_districts", "p_serves")]
    pairs = proj.lazy().join(prod.lazy().select(carried), how="cross")

    catalogue = (
        pl.when(~pl.col("_restricted")).then(_o("open"))
        .when(pl.col("p_items").list.contains(pl.col("item_code"))).then(_o("item"))
        .when(pl.col("p_categories").list.contains(pl.col("_l2"))).then(_o("level2"))
        .when(pl.col("p_categories").list.contains(pl.col("category_code"))).then(_o("level1"))
        .otherwise(_o("fail"))
    )  # fmt: skip
    catalogue_pts = {
        "open": w["catalogue_open"],
        "item": w["catalogue_item_exact"],
        "level2": w["catalogue_level2"],
        "level1": w["catalogue_level1"],
        "fail": 0.0,
    }

    # margin over the minimum; a product without one is measured from grade_open_baseline_rank
    min_rank = pl.col("_pgr").fill_null(int(w["grade_open_baseline_rank"]))
    grade = (
        pl.when(pl.col("_pgr").is_null()).then(_o("open"))
        .when(pl.col("_gr").is_null()).then(_o("fail"))
        .when(pl.col("_gr") >= pl.col("_pgr")).then(_o("pass"))
        .otherwise(_o("fail"))
    )  # fmt: skip
    grade_pts = w["grade_pass"] + w["grade_margin_step"] * (
        pl.col("_gr").fill_null(0) - min_rank
    ).clip(lower_bound=0)

    def ranged(value: str, low: str, high: str) -> pl.Expr:
        return (
            pl.when(pl.col(low).is_null() & pl.col(high).is_null()).then(_o("open"))
            .when(pl.col(value).is_null()).then(_o("unknown"))
            .when(_within(value, low, high)).then(_o("pass"))
            .otherwise(_o("fail"))
        )  # fmt: skip

    listed = pl.col("_dmask") != 0
    district = (
        pl.when(pl.col("p_sub_centre_only") & ~pl.col("in_city_sub_centre")).then(_o("fail"))
        .when(listed & ((pl.col("_dmask") & pl.col("_dbit")) == 0)).then(_o("fail"))
        .when(pl.col("p_sub_centre_only")).then(_o("sub_centre"))
        .when(listed).then(_o("district"))
        .otherwise(_o("open"))
    )  # fmt: skip
    financing = (
        pl.when(pl.col("_fany")).then(_o("open"))
        .when(pl.col("financing_type").is_null()).then(_o("unknown"))
        .when((pl.col("_fmask") & pl.col("_fbit")) != 0).then(_o("pass"))
        .otherwise(_o("fail"))
    )  # fmt: skip
    cerf = (
        pl.when(~pl.col("p_cerf")).then(_o("n/a"))
        .when(pl.col("_direct")).then(_o("direct_reduction"))
        .otherwise(_o("no_mark"))
    )  # fmt: skip
    span = w["rate_worst_pct"] - w["rate_best_pct"]
    has_rate = pl.col("p_rate_is_interest") & pl.col("p_rate_min").is_not_null()
    rate_pts = ((pl.lit(w["rate_worst_pct"]) - pl.col("p_rate_min")) / span).clip(0.0, 1.0) * w[
        "rate_max_points"
    ]

    scored = pairs.with_columns(
        catalogue.alias("catalogue"),
        grade.alias("grade_rule"),
        ranged("amount_fen", "p_amount_min", "p_amount_max").alias("amount"),
        ranged("term_months", "p_term_min", "p_term_max").alias("term"),
        district.alias("district"),
        financing.alias("financing_type_rule"),
        cerf.alias("cerf"),
        pl.when(pl.col("p_jinglv")).then(_o("yes")).otherwise(_o("n/a")).alias("jinglv"),
        pl.when(has_rate).then(_o("scored")).otherwise(_o("n/a")).alias("rate"),
    ).with_columns(
        _points("catalogue", catalogue_pts).alias("catalogue_pts"),
        pl.when(pl.col("grade_rule") == "fail").then(0.0).otherwise(grade_pts)
        .cast(pl.Float64).alias("grade_pts"),
        _points("amount", {"pass": w["amount_in_range"], "open": w["amount_open"]})
        .alias("amount_pts"),
        _points("term", {"pass": w["term_in_range"], "open": w["term_open"]}).alias("term_pts"),
        _points("district", {"district": w["district_targeted"],
                             "sub_centre": w["sub_centre_targeted"]}).alias("district_pts"),
        _points("financing_type_rule", {"pass": w["financing_type_match"]})
        .alias("financing_type_pts"),
        pl.when(pl.col("cerf") == "direct_reduction").then(w["cerf_direct_reduction"])
        .otherwise(0.0).alias("cerf_pts"),
        pl.when(pl.col("p_jinglv")).then(w["jinglv_tool"]).otherwise(0.0).alias("jinglv_pts"),
        pl.when(has_rate).then(rate_pts).otherwise(0.0).round(2).alias("rate_pts"),
    )  # fmt: skip
    outcome_cols = {
        "catalogue": "catalogue", "grade": "grade_rule", "amount": "amount", "term": "term",
        "district": "district", "financing_type": "financing_type_rule",
    }  # fmt: skip
    # (a list column of failed rule names costs seconds at 10^6 pairs: see failed_rules)
    eligible = ~pl.any_horizontal([pl.col(col) == "fail" for col in outcome_cols.values()])
    points = pl.sum_horizontal([pl.col(f"{r}_pts") for r in RULES])
    out = scored.with_columns(eligible.alias("eligible")).with_columns(
        pl.when(pl.col("eligible")).then(points).otherwise(0.0).round(2).alias("score")
    )
    return out.select(
        "project_id", "product_id", "organisation_id", "product_type", "eligible", "score",
        *[pl.col(outcome_cols.get(r, r)).alias(r) for r in RULES],
        *[f"{r}_pts" for r in RULES],
    )  # fmt: skip


def failed_rules(row: Mapping[str, Any]) -> list[str]:
    """The hard rules a row of :func:`match` failed (empty when eligible)."""
    return [rule for rule in HARD_RULES if row[rule] == "fail"]


def rank_for_project(matches: pl.DataFrame, *, eligible_only: bool = False) -> pl.DataFrame:
    """Products for a project: eligible first, then by score, then product id."""
    frame = matches.filter(pl.col("eligible")) if eligible_only else matches
    return frame.sort(["eligible", "score", "product_id"], descending=[True, True, False])


def best_per_project(matches: pl.DataFrame) -> pl.DataFrame:
    """Projects for a bank: per project the best eligible product (highest score, then lowest id),
    its score and how many of the bank's products are eligible; best projects first."""
    eligible = matches.filter(pl.col("eligible"))
    best = (
        eligible.sort(["project_id", "score", "product_id"], descending=[False, True, False])
        .group_by("project_id", maintain_order=True)
        .agg(pl.all().first(), pl.len().alias("eligible_products"))
    )
    return best.sort(["score", "project_id"], descending=[True, False])


# --- explanations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One line of a match explanation."""

    rule: str
    outcome: str
    points: float
    text_zh: str
    text_en: str

    @property
    def failed(self) -> bool:
        return self.outcome == "fail"

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 1_000_000:,.2f} 万元"


def _range(low: Any, high: Any, fmt: Any) -> str:
    return f"{fmt(low) if low is not None else '…'} – {fmt(high) if high is not None else '…'}"


# (rule, outcome) → (Chinese, English); fields are filled from the project and the product.
TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("catalogue", "item"): ("目录条目 {item} 与产品列明的条目完全一致",
                            "item {item} is listed exactly"),
    ("catalogue", "level2"): ("目录条目 {item} 属于产品列明的二级类别",
                              "item {item} is in a listed level-2 category"),
    ("catalogue", "level1"): ("目录条目 {item} 属于产品列明的一级类别",
                              "item {item} is in a listed level-1 category"),
    ("catalogue", "open"): ("产品不限目录条目", "the product accepts any catalogue item"),
    ("catalogue", "fail"): ("目录条目 {item} 不在产品范围（{listed}）内",
                            "item {item} is outside the product's scope ({listed})"),
    ("grade", "pass"): ("项目等级 {grade} 达到最低等级 {minimum}",
                        "grade {grade} meets the minimum {minimum}"),
    ("grade", "open"): ("产品未设最低等级；项目等级 {grade}",
                        "no minimum grade; project grade {grade}"),
    ("grade", "fail"): ("项目等级 {grade} 低于最低等级 {minimum}",
                        "grade {grade} is below the minimum {minimum}"),
    ("amount", "pass"): ("融资金额 {amount} 在产品范围 {amount_range} 内",
                         "amount {amount} within {amount_range}"),
    ("amount", "open"): ("产品未设金额范围", "no amount range"),
    ("amount", "unknown"): ("项目未填写融资金额", "the project states no amount"),
    ("amount", "fail"): ("融资金额 {amount} 超出产品范围 {amount_range}",
                         "amount {amount} outside {amount_range}"),
    ("term", "pass"): ("期限 {term} 个月在产品范围 {term_range} 内",
                       "term {term} months within {term_range}"),
    ("term", "open"): ("产品未设期限范围", "no term range"),
    ("term", "unknown"): ("项目未填写融资期限", "the project states no term"),
    ("term", "fail"): ("期限 {term} 个月超出产品范围 {term_range}",
                       "term {term} months outside {term_range}"),
    ("district", "district"): ("产品限定区域包含项目所在区 {district}",
                               "district {district} is one the product targets"),
    ("district", "sub_centre"): ("产品专供城市副中心，项目位于副中心",
                                 "reserved for the city sub-centre, where the project is"),
    ("district", "open"): ("产品不限区域", "the product serves all districts"),
    ("district", "fail"): ("项目所在区 {district} 不在产品区域（{districts}）内",
                           "district {district} is not among {districts}"),
    ("district", "fail_sub_centre"): ("产品专供城市副中心，项目不在副中心",
                                      "reserved for the city sub-centre; the project is not in it"),
    ("financing_type", "pass"): ("产品服务于{ftype}", "the product serves {ftype}"),
    ("financing_type", "open"): ("产品适用于各类融资（保险或增信）",
                                 "the product applies to any financing (cover or guarantee)"),
    ("financing_type", "unknown"): ("项目未填写融资方式", "the project states no financing type"),
    ("financing_type", "fail"): ("产品服务于{served}，而项目需要{ftype}",
                                 "the product serves {served}, the project needs {ftype}"),
    ("cerf", "direct_reduction"): (
        "产品可申请碳减排支持工具，条目 {item} 标注 √√（直接碳减排；按 √√ 认定为工作假设）",
        "CERF-eligible product and item {item} carries √√ (direct reduction; eligibility by "
        "this mark is a working assumption)"),
    ("cerf", "no_mark"): ("产品可申请碳减排支持工具，但条目 {item} 无 √√ 标注",
                          "CERF-eligible product, but item {item} carries no √√"),
    ("cerf", "n/a"): ("产品不涉及碳减排支持工具", "the product is not CERF-eligible"),
    ("jinglv", "yes"): ("可获{tools}资金支持", "refinanceable by {tools}"),
    ("jinglv", "n/a"): ("不涉及京绿融/京绿通", "no 京绿融/京绿通 refinancing"),
    ("rate", "scored"): ("参考利率自 {rate}%", "indicative rate from {rate}%"),
    ("rate", "n/a"): ("未提供可比较的参考利率", "no comparable indicative interest rate"),
}  # fmt: skip


def explain(
    row: Mapping[str, Any], project: Mapping[str, Any], product: ProductSpec
) -> list[Reason]:
    """Readable reasons for one (project, product) row of :func:`match`: which rule passed or
    failed and what it contributed to the score. ``project`` holds the project's columns
    (:data:`PROJECT_SCHEMA`)."""
    r = product.rules
    types = financing_types()
    ftype = normalise_financing_type(project.get("financing_type"))
    served = served_financing_types(r, product_types()[product.product_type])
    flags = (("京绿融", product.jinglvrong_eligible), ("京绿通", product.jinglvtong_eligible))
    context = {
        "item": project.get("item_code") or "—",
        "listed": ", ".join([*r.items, *r.categories]) or "—",
        "grade": project.get("grade") or "未评级",
        "minimum": r.min_grade or GRADES[int(weights()["grade_open_baseline_rank"])],
        "amount": _yuan(project.get("amount_fen")),
        "amount_range": _range(r.amount_min_fen, r.amount_max_fen, _yuan),
        "term": project.get("term_months"),
        "term_range": _range(r.term_min_months, r.term_max_months, lambda m: f"{m} 个月"),
        "district": project.get("district_code") or "—",
        "districts": ", ".join(r.districts),
        "ftype": types[ftype].name_zh if ftype in types else "—",
        "served": "/".join(types[c].name_zh if c in types else c for c in served),
        "tools": "/".join(name for name, flag in flags if flag),
        "rate": f"{product.rate_min_pct:g}" if product.rate_min_pct is not None else "—",
    }
    out = []
    for rule in RULES:
        outcome = str(row[rule])
        key = outcome
        if rule == "district" and outcome == "fail" and r.sub_centre_only:
            key = "fail" if project.get("in_city_sub_centre") else "fail_sub_centre"
        zh, en = TEMPLATES[(rule, key)]
        out.append(
            Reason(rule, outcome, float(row[f"{rule}_pts"]), zh.format(**context),
                   en.format(**context))
        )  # fmt: skip
    return out
