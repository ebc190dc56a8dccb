"""Green credit statistics (绿色贷款专项统计) over validated, screened loan books.

Every table is one Polars plan over the whole book (no row loops): balances, loan counts and shares
by use (catalogue category), by industry (GB/T 4754 门类), by carbon benefit and by district (the
city sub-centre shown separately), per bank and across all banks, with q/q and y/y growth when the
book carries two or more ``as_of`` dates; plus the green NPL ratio, the credit-loan ratio and the
green-enterprise loan-access rate.

Input
-----
A frame returned by :func:`greenfin.banking.loanbook.validate` (``bank``, ``outstanding_fen``,
``status``, ``credit_or_secured``, ``industry_code``, ``industry_section``, ``district``,
``in_city_sub_centre``, ``borrower_uscc``), optionally stacked over several reporting dates in an
``as_of`` (Date) column, to which :func:`with_screening` or :func:`with_bank_tag` has added:

- ``green_code``: the catalogue item the loan is green under, null when it is not green;
- ``green_edition``: the catalogue edition of ``green_code``.

Definitions
-----------
Green loan balance
    Σ ``outstanding_fen`` of loans with a ``green_code``. Which loans count is the caller's choice:
    the platform's screening (:func:`with_screening`, verdict ``eligible`` by default) or the bank's
    own tag (:func:`with_bank_tag`).
Share (``share``)
    A category's green balance ÷ the green balance of the same bank (or all banks) on the same
    date. Over the categories of one table the shares sum to 1 (loans whose category cannot be
    determined are a category of their own, so nothing drops out); the 城市副中心 row of the
    district table is an *of which* row of 通州区 and is not part of that sum.
Growth
    ``qoq = B(t) / B(t − 3 months) − 1`` and ``yoy = B(t) / B(t − 12 months) − 1`` for the same
    bank and category, where ``t − n months`` keeps month ends at month ends
    (2026-06-30 → 2026-03-31).
    Null when the earlier date is not in the book or its balance is zero.
Green NPL ratio (绿色贷款不良率)
    Green balance classified 次级 + 可疑 + 损失 ÷ green balance [2]_.
Credit-loan ratio (信用贷款率) — working assumption
    Green balance of 信用 (credit, unsecured) loans ÷ green balance. The sources available
    (methods.md §1, §10) name the indicator but do not define it; this follows the usual PBOC
    meaning of 信用贷款占比 (a balance share by guarantee type).
Green-enterprise loan-access rate (绿色企业获贷率) — working assumption
    Number of distinct enterprises on a given green-enterprise list (统一社会信用代码) that have at
    least one loan with a positive balance from the bank (or from any bank) on the date ÷ number of
    enterprises on the list. The sources do not define it; this follows the 获贷率 used for
    inclusive-finance monitoring (enterprises with loans ÷ enterprises). The list (e.g. the
    platform's green enterprise / project library) is an input, since a loan book alone cannot
    give the denominator. With ``green_loans_only=True`` only green loans count.
Carbon benefit
    From the 2025 catalogue's marks: √√ (direct reduction, 直接碳减排效益) and √ (low-carbon
    enabling, counted as 间接碳减排效益, the PBOC statistics' second class [1]_ — a mapping
    assumption). The mark is read per activity (catalogue item × the loan's GB/T 4754 小类);
    items with one mark use it whatever the industry code; an item marked both ways whose activity
    does not match the loan's code is ``undetermined``; unmarked items are ``none``. Codes of other
    editions are first mapped to the 2025 catalogue through the shipped crosswalk.

Amounts stay integer fen; shares and growth rates are Float64 fractions (not percent).

References
----------
.. [1] /work/shared/reference/methods.md §10 (绿色贷款专项统计制度 categories, 2019–2024 and 2025
   structures; PBOC 《金融机构贷款投向统计报告》).
.. [2] methods.md §1.2 (风险总额占比: non-performing green loans); 五级分类 as in
   :mod:`greenfin.banking.loanbook`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import polars as pl

from greenfin import reference
from greenfin.banking.loanbook import CREDIT, NON_PERFORMING
from greenfin.reference import data_rows
from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy import editions, load_catalogue
from greenfin.taxonomy.crosswalk import links_between

ALL_BANKS = "全部银行"
SUB_CENTRE = "城市副中心"
UNMAPPED = "unmapped"
EDITION_2025 = "green-finance-2025"
STRUCTURES: tuple[str, ...] = ("2025", "2019")
CATEGORIES_FILE = "statistics_categories.csv"
BENEFITS: tuple[tuple[str, str, str], ...] = (
    ("direct", "直接碳减排效益（√√）", "Direct carbon reduction (√√)"),
    ("enabling", "间接碳减排效益（√ 低碳赋能）", "Indirect / low-carbon enabling (√)"),
    ("none", "无碳减排标注", "No carbon-benefit mark"),
    ("undetermined", "无法确定", "Undetermined (item marked both ways, activity not matched)"),
)
_KEYS = ("as_of", "bank")


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class Category:
    """One statistics category of a structure (a row of ``statistics_categories.csv``)."""

    structure: str
    category: str
    order: int
    name_zh: str
    name_en: str
    catalogue_edition: str
    catalogue_level1_code: str
    headline: bool
    source: str


@cache
def categories(structure: str = "2025") -> tuple[Category, ...]:
    """The use categories of ``structure`` ("2025" or "2019"), in report order."""
    if structure not in STRUCTURES:
        raise ValueError(
            f"unknown statistics structure {structure!r}; expected one of {STRUCTURES}"
        )
    rows = [r for r in data_rows("banking", CATEGORIES_FILE) if r["structure"] == structure]
    return tuple(
        sorted(
            (
                Category(
                    structure=r["structure"],
                    category=r["category"],
                    order=int(r["order"]),
                    name_zh=r["name_zh"],
                    name_en=r["name_en"],
                    catalogue_edition=r["catalogue_edition"],
                    catalogue_level1_code=r["catalogue_level1_code"],
                    headline=r["headline"] == "true",
                    source=r["source"],
                )
                for r in rows
            ),
            key=lambda c: c.order,
        )
    )


def _level1(code: str) -> str:
    return code.split(".")[0]


@cache
def _category_map(structure: str) -> dict[str, str]:
    """``edition|code`` → category of ``structure`` for every item of every edition with data.

    Codes of the structure's own edition map by their level-1 prefix; codes of other editions
    follow the best crosswalk link (exact before partial, then the lowest code)."""
    cats = categories(structure)
    target = cats[0].catalogue_edition
    by_level1 = {c.catalogue_level1_code: c.category for c in cats}
    out: dict[str, str] = {}
    for edition_id, edition in editions().items():
        if not edition.has_data:
            continue
        links = {} if edition_id == target else links_between(edition_id, target)
        for code in load_catalogue(edition_id).items:
            if edition_id == target:
                mapped: str | None = code
            else:
                candidates = sorted(links.get(code, []), key=lambda t: (-t[1], t[0]))
                mapped = candidates[0][0] if candidates else None
            if mapped is not None and _level1(mapped) in by_level1:
                out[f"{edition_id}|{code}"] = by_level1[_level1(mapped)]
    return out


@cache
def _to_2025() -> dict[str, str]:
    """``edition|code`` → 2025 item code (itself for 2025 codes, else the best crosswalk link)."""
    out: dict[str, str] = {}
    for edition_id, edition in editions().items():
        if not edition.has_data:
            continue
        links = {} if edition_id == EDITION_2025 else links_between(edition_id, EDITION_2025)
        for code in load_catalogue(edition_id).items:
            if edition_id == EDITION_2025:
                out[f"{edition_id}|{code}"] = code
            elif links.get(code):
                out[f"{edition_id}|{code}"] = sorted(links[code], key=lambda t: (-t[1], t[0]))[0][0]
    return out


@cache
def _benefit_tables() -> tuple[pl.DataFrame, dict[str, str]]:
    """(activity marks: item_code, industry_code, benefit; item → benefit for single-mark items)."""
    names = {"√√": "direct", "√": "enabling"}
    activities = pl.DataFrame(
        [
            (r["item_code"], r["gbt4754_code"], names[r["ghg_mark"]])
            for r in cached_rows("green_finance_2025_activities.csv")
            if r["ghg_mark"] in names and r["gbt4754_code"]
        ],
        schema={"_item": pl.String, "industry_code": pl.String, "_activity_benefit": pl.String},
        orient="row",
    ).unique(subset=["_item", "industry_code"], keep="first", maintain_order=True)
    items: dict[str, str] = {}
    for code, item in load_catalogue(EDITION_2025).items.items():
        marks = {m for m in item.ghg_mark.split(";") if m}
        if item.level != load_catalogue(EDITION_2025).edition.finest_level:
            continue
        if not marks:
            items[code] = "none"
        elif len(marks) == 1:
            items[code] = names.get(marks.pop(), "undetermined")
        else:
            items[code] = "undetermined"
    return activities, items


# ---------------------------------------------------------------------------------------------
# Attaching the green determination


def screening_input(loans: pl.DataFrame) -> pl.DataFrame:
    """The frame :func:`greenfin.taxonomy.batch.screen_frame` takes: one row per loan, ``id`` the
    1-based row number (loan ids repeat across banks), the purpose as description."""
    return loans.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("id"),
        pl.lit("").alias("name"),
        pl.col("purpose").alias("description"),
        pl.col("industry_code").fill_null(""),
    )


def with_screening(
    loans: pl.DataFrame,
    screened: pl.DataFrame,
    edition: str = EDITION_2025,
    accept: Sequence[str] = ("eligible",),
) -> pl.DataFrame:
    """Add ``green_code`` / ``green_edition`` from :func:`screen_frame` output.

    ``screened`` must be ``screen_frame(screening_input(loans), edition)`` (same rows, same
    order). A loan is green under its top candidate ``code_1`` when its verdict is in ``accept``.
    """
    if screened.height != loans.height:
        raise ValueError("screened must have one row per loan, in the loans' order")
    green = pl.col("verdict").is_in(list(accept)) & pl.col("code_1").is_not_null()
    codes = screened.select(
        pl.when(green).then(pl.col("code_1")).alias("green_code"),
        pl.when(green).then(pl.lit(edition)).alias("green_edition"),
    )
    return loans.drop("green_code", "green_edition", strict=False).hstack(codes)


def with_bank_tag(loans: pl.DataFrame) -> pl.DataFrame:
    """Add ``green_code`` / ``green_edition`` from the bank's own tag: green when
    ``bank_green_tag`` is true and a catalogue code is given (a tag without a code counts as
    green with an unknown category: ``green_code`` = ``"?"``)."""
    tagged = pl.col("bank_green_tag").fill_null(False)
    return loans.with_columns(
        pl.when(tagged).then(pl.col("bank_catalogue_code").fill_null("?")).alias("green_code"),
        pl.when(tagged)
        .then(pl.col("bank_catalogue_edition").fill_null(EDITION_2025))
        .alias("green_edition"),
    )


# ---------------------------------------------------------------------------------------------
# Core


def _prepared(loans: pl.DataFrame) -> pl.LazyFrame:
    lf = loans.lazy()
    if "as_of" not in loans.columns:
        lf = lf.with_columns(pl.lit(None, dtype=pl.Date).alias("as_of"))
    return lf.with_columns(
        pl.col("green_code").is_not_null().alias("_green"),
        pl.col("status").is_in(list(NON_PERFORMING)).alias("_npl"),
        pl.concat_str("green_edition", pl.lit("|"), "green_code").alias("_green_key"),
    )


def _sum_if(cond: pl.Expr, value: str = "outstanding_fen") -> pl.Expr:
    return pl.when(cond).then(pl.col(value)).otherwise(0).sum().cast(pl.Int64)


def _by_bank_and_all(lf: pl.LazyFrame, keys: Sequence[str], aggs: list[pl.Expr]) -> pl.LazyFrame:
    per_bank = lf.group_by(*_KEYS, *keys).agg(aggs)
    overall = lf.group_by("as_of", *keys).agg(aggs).with_columns(pl.lit(ALL_BANKS).alias("bank"))
    return pl.concat([per_bank, overall.select(per_bank.collect_schema().names())])


def _shift_months(months: int) -> pl.Expr:
    shifted = pl.col("as_of").dt.offset_by(f"-{months}mo")
    is_month_end = pl.col("as_of") == pl.col("as_of").dt.month_end()
    return pl.when(is_month_end).then(shifted.dt.month_end()).otherwise(shifted)


def _with_growth(table: pl.DataFrame, keys: Sequence[str], value: str) -> pl.DataFrame:
    """Add ``qoq`` and ``yoy`` growth of ``value`` for the same bank and ``keys``."""
    out = table
    for name, months in (("qoq", 3), ("yoy", 12)):
        earlier = table.select(*_KEYS, *keys, pl.col(value).alias("_earlier")).rename(
            {"as_of": "_earlier_as_of"}
        )
        out = (
            out.with_columns(_shift_months(months).alias("_earlier_as_of"))
            .join(earlier, on=["_earlier_as_of", "bank", *keys], how="left", nulls_equal=False)
            .with_columns(
                pl.when(pl.col("_earlier") > 0)
                .then(pl.col(value) / pl.col("_earlier") - 1.0)
                .alias(name)
            )
            .drop("_earlier_as_of", "_earlier")
        )
    return out


def _order_banks(frame: pl.DataFrame, extra: Sequence[str] = ()) -> pl.DataFrame:
    return frame.sort(
        "as_of", pl.col("bank") == ALL_BANKS, "bank", *extra, nulls_last=False, maintain_order=True
    )


def _balance_aggs() -> list[pl.Expr]:
    return [
        pl.col("outstanding_fen").sum().cast(pl.Int64).alias("balance_fen"),
        pl.len().cast(pl.UInt32).alias("loans"),
    ]


def _key_frame(loans: pl.DataFrame) -> pl.DataFrame:
    """Every (as_of, bank) of the book plus (as_of, ALL_BANKS)."""
    frame = _prepared(loans).select(*_KEYS).unique().collect()
    overall = frame.select("as_of").unique().with_columns(pl.lit(ALL_BANKS).alias("bank"))
    return pl.concat([frame, overall])


def _breakdown(
    loans: pl.DataFrame,
    key: pl.Expr,
    labels: pl.DataFrame,
) -> pl.DataFrame:
    """Green balance, loan count and share per (as_of, bank | all banks, category).

    ``labels`` lists every category (column ``category`` plus label columns and ``_order``); each
    appears for every (as_of, bank), with zero balance when no loan falls in it."""
    lf = _prepared(loans).filter(pl.col("_green")).with_columns(key.alias("category"))
    grouped = _by_bank_and_all(lf, ["category"], _balance_aggs()).collect()
    full = (
        _key_frame(loans)
        .join(labels, how="cross")
        .join(grouped, on=[*_KEYS, "category"], how="left", nulls_equal=True)
        .with_columns(
            pl.col("balance_fen").fill_null(0),
            pl.col("loans").fill_null(0),
        )
        .with_columns(
            (
                pl.col("balance_fen")
                / pl.when(pl.col("balance_fen").sum().over(_KEYS) > 0).then(
                    pl.col("balance_fen").sum().over(_KEYS)
                )
            ).alias("share")
        )
    )
    full = _with_growth(full, ["category"], "balance_fen")
    return _order_banks(full, ["_order"]).drop("_order")


def _labels(
    rows: Iterable[tuple[str, str, str]], extra: dict[str, list[object]] | None = None
) -> pl.DataFrame:
    rows = list(rows)
    data: dict[str, list[object]] = {
        "category": [r[0] for r in rows],
        "name_zh": [r[1] for r in rows],
        "name_en": [r[2] for r in rows],
        "_order": list(range(len(rows))),
    }
    return pl.DataFrame({**data, **(extra or {})})


# ---------------------------------------------------------------------------------------------
# Tables


def by_use(loans: pl.DataFrame, structure: str = "2025") -> pl.DataFrame:
    """Green balance by use: the catalogue level-1 categories of ``structure``.

    Columns: ``as_of, bank, category, name_zh, name_en, headline, balance_fen, loans, share, qoq,
    yoy``. ``bank`` = :data:`ALL_BANKS` is the total across banks. Loans whose code cannot be
    placed in the structure (no crosswalk link, or a bank tag without a code) are the category
    ``unmapped``.
    """
    cats = categories(structure)
    labels = _labels(
        [*((c.category, c.name_zh, c.name_en) for c in cats), (UNMAPPED, "未能归类", "Unmapped")],
        {"headline": [*(c.headline for c in cats), False]},
    )
    key = pl.col("_green_key").replace_strict(_category_map(structure), default=UNMAPPED)
    return _breakdown(loans, key, labels)


def by_industry(loans: pl.DataFrame) -> pl.DataFrame:
    """Green balance by GB/T 4754-2017 门类 (``category`` is the section letter A … T)."""
    sections = sorted(
        (i for i in reference.industry_codes().values() if i.level == 1), key=lambda i: i.code
    )
    labels = _labels((s.code, s.name_zh, s.name_zh) for s in sections)
    return _breakdown(loans, pl.col("industry_section"), labels)


def carbon_benefit_expr() -> pl.Expr:
    """Per-loan carbon benefit class (see the module docstring); needs the prepared columns."""
    _activities, items = _benefit_tables()
    return pl.coalesce(
        pl.col("_activity_benefit"),
        pl.col("_item").replace_strict(items, default=None),
        pl.lit("undetermined"),
    )


def by_carbon_benefit(loans: pl.DataFrame) -> pl.DataFrame:
    """Green balance by carbon benefit: ``direct`` (√√), ``enabling`` (√), ``none``,
    ``undetermined``."""
    activities, _items = _benefit_tables()
    enriched = (
        loans.lazy()
        .with_columns(
            pl.concat_str("green_edition", pl.lit("|"), "green_code")
            .replace_strict(_to_2025(), default=None)
            .alias("_item")
        )
        .join(activities.lazy(), on=["_item", "industry_code"], how="left", maintain_order="left")
        .collect()
    )
    return _breakdown(enriched, carbon_benefit_expr(), _labels(BENEFITS)).drop(
        "_item", "_activity_benefit", strict=False
    )


def by_district(loans: pl.DataFrame) -> pl.DataFrame:
    """Green balance by Beijing district, with an extra *of which* row ``城市副中心`` (loans flagged
    ``in_city_sub_centre``, all in 通州区) after 通州区; its share is of the same total but it is
    not part of the districts' sum (column ``of_which`` is true)."""
    districts = reference.districts()
    labels = _labels((d.code, d.name_zh, d.name_en) for d in districts).with_columns(
        pl.lit(False).alias("of_which")
    )
    table = _breakdown(loans, pl.col("district"), labels)
    centre = [d for d in districts if d.has_city_sub_centre]
    if not centre:
        return table
    flagged = _prepared(loans).filter(
        pl.col("_green") & pl.col("in_city_sub_centre").fill_null(False)
    )
    grouped = _by_bank_and_all(flagged, [], _balance_aggs()).collect()
    totals = table.group_by(_KEYS).agg(pl.col("balance_fen").sum().alias("_total"))
    sub = (
        _key_frame(loans)
        .join(grouped, on=list(_KEYS), how="left", nulls_equal=True)
        .join(totals, on=list(_KEYS), how="left", nulls_equal=True)
        .with_columns(
            pl.lit(SUB_CENTRE).alias("category"),
            pl.lit("其中：城市副中心").alias("name_zh"),
            pl.lit("of which: city sub-centre").alias("name_en"),
            pl.lit(True).alias("of_which"),
            pl.col("balance_fen").fill_null(0),
            pl.col("loans").fill_null(0),
            (
                pl.col("balance_fen").fill_null(0) / pl.when(pl.col("_total") > 0).then("_total")
            ).alias("share"),
        )
    )
    sub = _with_growth(
        sub.select([c for c in table.columns if c not in ("qoq", "yoy")]),
        ["category"],
        "balance_fen",
    )
    position = {d.code: float(i) for i, d in enumerate(districts)}
    position[SUB_CENTRE] = position[centre[0].code] + 0.5
    ordered = pl.concat([table, sub.select(table.columns)]).with_columns(
        pl.col("category").replace_strict(position, default=None).alias("_order")
    )
    return _order_banks(ordered, ["_order"]).drop("_order")


def summary(loans: pl.DataFrame) -> pl.DataFrame:
    """Headline figures per (as_of, bank) and across banks.

    Columns: ``as_of, bank, loans, total_balance_fen, green_loans, green_balance_fen,
    green_share`` (green ÷ total balance), ``green_npl_fen, green_npl_ratio, green_credit_fen,
    credit_loan_ratio, qoq, yoy`` (growth of the green balance)."""
    green = pl.col("_green")
    aggs = [
        pl.len().alias("loans"),
        pl.col("outstanding_fen").sum().cast(pl.Int64).alias("total_balance_fen"),
        green.sum().cast(pl.UInt32).alias("green_loans"),
        _sum_if(green).alias("green_balance_fen"),
        _sum_if(green & pl.col("_npl")).alias("green_npl_fen"),
        _sum_if(green & (pl.col("credit_or_secured") == CREDIT)).alias("green_credit_fen"),
    ]
    table = _by_bank_and_all(_prepared(loans), [], aggs).collect()

    def ratio(num: str, den: str) -> pl.Expr:
        return pl.col(num) / pl.when(pl.col(den) > 0).then(pl.col(den))

    table = table.with_columns(
        ratio("green_balance_fen", "total_balance_fen").alias("green_share"),
        ratio("green_npl_fen", "green_balance_fen").alias("green_npl_ratio"),
        ratio("green_credit_fen", "green_balance_fen").alias("credit_loan_ratio"),
    ).select(
        "as_of",
        "bank",
        "loans",
        "total_balance_fen",
        "green_loans",
        "green_balance_fen",
        "green_share",
        "green_npl_fen",
        "green_npl_ratio",
        "green_credit_fen",
        "credit_loan_ratio",
    )
    return _order_banks(_with_growth(table, [], "green_balance_fen"))


def green_enterprise_loan_rate(
    loans: pl.DataFrame,
    green_enterprises: Iterable[str],
    *,
    green_loans_only: bool = False,
) -> pl.DataFrame:
    """绿色企业获贷率 per (as_of, bank) and across banks (working definition in the module
    docstring).

    Columns: ``as_of, bank, green_enterprises`` (size of the list), ``with_loans`` (distinct listed
    enterprises with a positive balance), ``rate``.
    """
    listed = pl.Series("borrower_uscc", sorted(set(green_enterprises)), dtype=pl.String)
    lf = _prepared(loans).filter(
        (pl.col("outstanding_fen") > 0) & pl.col("borrower_uscc").is_in(listed.implode())
    )
    if green_loans_only:
        lf = lf.filter(pl.col("_green"))
    counted = _by_bank_and_all(
        lf, [], [pl.col("borrower_uscc").n_unique().cast(pl.UInt32).alias("with_loans")]
    ).collect()
    n = listed.len()
    out = (
        _key_frame(loans)
        .join(counted, on=list(_KEYS), how="left", nulls_equal=True)
        .with_columns(
            pl.lit(n, dtype=pl.UInt32).alias("green_enterprises"),
            pl.col("with_loans").fill_null(0),
        )
    )
    out = out.with_columns(
        (pl.col("with_loans") / n if n else pl.lit(None, dtype=pl.Float64)).alias("rate")
    ).select("as_of", "bank", "green_enterprises", "with_loans", "rate")
    return _order_banks(out)
