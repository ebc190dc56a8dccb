"""Green credit statistics (绿色贷款专项统计) per bank and across banks, from the analysed loan
books, with an Excel export.

The tables are :mod:`greenfin.banking.statistics` (pure Polars) over the per-loan results of
:func:`greenfin.services.loan_analysis.results_frame` (the latest analysed book of each bank and
as-of date). This module chooses what counts as green, scopes by organisation (a bank sees only
its own book; regulators and admins see every bank and the total across banks), picks the
green-enterprise list, and renders the workbook.

Which loans count as green (``basis``)
--------------------------------------
``bank`` (default, 银行报送口径)
    The bank's own tag (``bank_green_tag`` and its catalogue code). This is what banks report in
    the PBOC special statistics; the platform's screening is a check on it, shown as the
    disagreements on the regulator dashboard.
``platform`` (平台识别口径)
    ``green_code`` as the loan-book analysis sets it: the top catalogue item where the screening
    verdict is among the analysis' accepted verdicts (``eligible`` or ``needs_evidence`` by
    default: the text matches an item; technical criteria may still need evidence).
``platform_strict`` (平台严格口径)
    Only the verdict ``eligible`` (text matched and every applicable technical criterion passed).
    A loan book carries no technical parameters, so few loans reach it; the page says so.

Green-enterprise list for 绿色企业获贷率
----------------------------------------
The organisations owning a green project with status ``approved`` in the project library (table
``projects``). **Fallback** when there is none: the borrowers (统一社会信用代码) that have at
least one green loan, on the chosen basis, from any bank on the platform at the date (in a bank's
own view: from that bank's book only, so no other bank's data enters it). Per bank the rate is
then the share of those green borrowers the bank lends to; across banks it is 1 by construction.
The answer names the list used (``green_enterprise_list``).

Amounts are integer fen in the frames; the workbook and the pages show 万元.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.banking import statistics as gs
from greenfin.identity.principal import Actor, Principal, SystemActor
from greenfin.identity.roles import OrgKind, Role
from greenfin.reference import data_rows
from greenfin.services import loan_analysis, market
from greenfin.services.errors import Forbidden, InvalidInput, NotFound
from greenfin.store.models import LoanBookAnalysis, LoanBookImport, Organisation, Project

VIEWERS = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})
OVERSIGHT = frozenset({Role.REGULATOR, Role.ADMIN})
BASES: dict[str, tuple[str, str]] = {
    "bank": ("银行报送口径（银行自认定绿色标识）", "As reported: the bank's own green tag"),
    "platform": (
        "平台识别口径（筛查结论为符合或待补充证明）",
        "Platform screening: verdict eligible or needs evidence",
    ),
    "platform_strict": (
        "平台严格口径（筛查结论为符合，技术标准均已通过）",
        "Platform, strict: verdict eligible (technical criteria passed)",
    ),
}
DEFAULT_BASIS = "bank"
_SYSTEM = SystemActor(username="statistics")
# the result columns the statistics, the evaluation and the dashboard read (a Parquet projection:
# the CERF and PCAF columns are not loaded)
RESULT_COLUMNS: tuple[str, ...] = (
    "loan_id", "bank", "as_of", "borrower_uscc", "borrower_name", "industry_code",
    "industry_section", "purpose", "outstanding_fen", "rate_pct", "status", "credit_or_secured",
    "bank_green_tag", "bank_catalogue_code", "bank_catalogue_edition", "district",
    "in_city_sub_centre", "screen_top_code", "screen_verdict", "green_code", "green_edition",
    "tag_comparison",
)  # fmt: skip
LIST_PROJECTS = "projects"
LIST_FALLBACK = "fallback_green_borrowers"
APPROVED = "approved"
FEN_PER_10K_CNY = 1_000_000
STRICT_VERDICT = "eligible"
TABLES: tuple[tuple[str, str, str], ...] = (
    ("summary", "汇总", "Summary"),
    ("by_use", "按用途", "By use"),
    ("by_industry", "按行业", "By industry"),
    ("by_carbon_benefit", "按碳减排效益", "By carbon benefit"),
    ("by_district", "按区域", "By district"),
    ("green_enterprises", "绿色企业获贷率", "Green-enterprise access"),
    ("marketplace", "融资对接成效", "Marketplace outcomes"),
    ("trend", "趋势", "Trend"),
)
DEFINITIONS_FILE = "statistics_definitions.csv"


def definitions() -> list[dict[str, str]]:
    """The definitions shown on the page and the 说明 sheet (``statistics_definitions.csv``)."""
    return data_rows("banking", DEFINITIONS_FILE)


# ---------------------------------------------------------------------------------------------
# Loading (shared with the evaluation and the regulator dashboard)


def _require(actor: Actor) -> None:
    if isinstance(actor, Principal) and actor.role not in VIEWERS:
        raise Forbidden(f"role {actor.role.value} may not see green credit statistics")


def own_bank(actor: Actor) -> int | None:
    """The organisation a bank user is confined to; None for oversight roles and the CLI."""
    if isinstance(actor, Principal) and actor.role not in OVERSIGHT:
        return actor.organisation_id
    return None


def bank_names(session: Session) -> dict[int, str]:
    """Every bank organisation: id → registered name."""
    rows = session.execute(
        select(Organisation.id, Organisation.name_zh).where(Organisation.kind == OrgKind.BANK.value)
    ).all()
    return {i: n for i, n in rows}


def analysed_dates(
    session: Session, actor: Actor, bank_organisation_id: int | None = None
) -> list[date]:
    """As-of dates with at least one analysed book visible to ``actor``, oldest first."""
    stmt = (
        select(LoanBookImport.as_of)
        .join(LoanBookAnalysis, LoanBookAnalysis.import_id == LoanBookImport.id)
        .distinct()
    )
    bank = own_bank(actor) or bank_organisation_id
    if bank is not None:
        stmt = stmt.where(LoanBookImport.bank_organisation_id == bank)
    return sorted(d for (d,) in session.execute(stmt).all())


def any_synthetic(session: Session) -> bool:
    """Whether any bank with an analysed book is synthetic demo data (示例)."""
    stmt = (
        select(Organisation.id)
        .join(LoanBookImport, LoanBookImport.bank_organisation_id == Organisation.id)
        .join(LoanBookAnalysis, LoanBookAnalysis.import_id == LoanBookImport.id)
        .where(Organisation.is_synthetic)
        .limit(1)
    )
    return session.execute(stmt).first() is not None


def load_results(
    session: Session,
    actor: Actor,
    *,
    bank_organisation_id: int | None = None,
    as_of: date | None = None,
    data_dir: Path | None = None,
) -> pl.DataFrame:
    """Per-loan results visible to ``actor`` (:func:`loan_analysis.results_frame`: ``bank`` is
    the lending organisation's registered name, ``bank_organisation_id`` and ``import_id``
    added)."""
    return loan_analysis.results_frame(
        session, actor, bank_organisation_id=bank_organisation_id, as_of=as_of,
        data_dir=data_dir, columns=list(RESULT_COLUMNS),
    )  # fmt: skip


def all_results(
    session: Session, as_of: date | None = None, data_dir: Path | None = None
) -> pl.DataFrame:
    """Every bank's results (for peer comparisons and the market); callers scope what they
    show."""
    return load_results(session, _SYSTEM, as_of=as_of, data_dir=data_dir)


def apply_basis(results: pl.DataFrame, basis: str) -> pl.DataFrame:
    """Set ``green_code`` / ``green_edition`` according to ``basis`` (see the module docstring)."""
    if basis == "bank":
        return gs.with_bank_tag(results)
    if basis == "platform":
        return results
    if basis == "platform_strict":
        strict = pl.col("screen_verdict").cast(pl.String) == STRICT_VERDICT
        return results.with_columns(
            pl.when(strict).then(pl.col("green_code")).alias("green_code"),
            pl.when(strict).then(pl.col("green_edition")).alias("green_edition"),
        )
    check_basis(basis)
    return results


# ---------------------------------------------------------------------------------------------
# Green-enterprise list


def green_enterprise_list(
    session: Session, basis_results: pl.DataFrame, as_of: date
) -> tuple[list[str], str]:
    """(统一社会信用代码 list, which list): approved-project owners, else the fallback."""
    approved = session.execute(
        select(Organisation.uscc)
        .join(Project, Project.organisation_id == Organisation.id)
        .where(Project.status == APPROVED)
        .distinct()
    ).scalars()
    codes = sorted(set(approved))
    if codes:
        return codes, LIST_PROJECTS
    borrowers = (
        basis_results.filter(
            (pl.col("as_of") == as_of)
            & pl.col("green_code").is_not_null()
            & (pl.col("outstanding_fen") > 0)
        )
        .get_column("borrower_uscc")
        .unique()
        .sort()
        .to_list()
    )
    return borrowers, LIST_FALLBACK


def marketplace_outcomes(
    session: Session, banks: dict[int, str], listed: list[str], as_of: date, drop_all: bool
) -> pl.DataFrame:
    """Loans granted through the platform's financing demands up to ``as_of``
    (:func:`greenfin.services.market.granted_by_bank`, one query), per bank and across banks:
    distinct enterprises, grants, amount (fen) and how many of them are on the green-enterprise
    list — the marketplace side of 获贷率, next to the loan-book side in ``green_enterprises``."""
    granted = market.granted_by_bank(session, until=as_of).with_columns(
        pl.col("uscc").is_in(listed).alias("listed")
    )
    names = pl.DataFrame(
        sorted(banks.items(), key=lambda b: b[1]), schema={"bank_id": pl.Int64, "bank": pl.String},
        orient="row",
    )  # fmt: skip
    per_bank = names.join(
        granted.group_by("bank_id").agg(
            pl.col("organisation_id").n_unique().alias("market_enterprises"),
            pl.col("grants").sum().alias("market_grants"),
            pl.col("granted_amount_fen").sum().alias("market_granted_fen"),
            pl.col("organisation_id").filter("listed").n_unique().alias("market_listed"),
        ),
        on="bank_id", how="left", maintain_order="left",
    ).drop("bank_id")  # fmt: skip
    frames = [per_bank]
    if not drop_all:  # across banks an enterprise counts once, whoever lent
        frames.append(
            granted.select(
                pl.lit(gs.ALL_BANKS).alias("bank"),
                pl.col("organisation_id").n_unique().alias("market_enterprises"),
                pl.col("grants").sum().alias("market_grants"),
                pl.col("granted_amount_fen").sum().alias("market_granted_fen"),
                pl.col("organisation_id").filter("listed").n_unique().alias("market_listed"),
            )
        )
    counts = ["market_enterprises", "market_grants", "market_granted_fen", "market_listed"]
    return (
        pl.concat(frames, how="vertical_relaxed")
        .with_columns(pl.col(counts).cast(pl.Int64).fill_null(0))
        .select(pl.lit(as_of).alias("as_of"), "bank", *counts)
    )


# ---------------------------------------------------------------------------------------------
# The statistics


@dataclass
class Statistics:
    """Green credit statistics for one as-of date (tables) plus the trend over every date."""

    as_of: date | None
    as_of_dates: list[date]
    structure: str
    basis: str
    bank_organisation_id: int | None
    banks: list[tuple[int, str]]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    green_enterprise_list: str = LIST_FALLBACK
    green_enterprises: int = 0
    synthetic: bool = False

    @property
    def empty(self) -> bool:
        return self.as_of is None


class StatisticsOut(BaseModel):
    """The statistics as JSON: every table as a list of rows (amounts in fen, ratios as
    fractions)."""

    as_of: date | None
    as_of_dates: list[date]
    structure: str
    basis: str
    basis_label_zh: str
    bank_organisation_id: int | None
    banks: list[dict[str, Any]]
    green_enterprise_list: str
    green_enterprises: int
    synthetic: bool
    tables: dict[str, list[dict[str, Any]]]
    definitions: list[dict[str, str]]


def check_basis(basis: str) -> None:
    """A 422 on ``basis`` unless it is one of :data:`BASES`."""
    if basis not in BASES:
        raise InvalidInput.on("basis", f"unknown basis '{basis}'; use one of {', '.join(BASES)}")


def _check_params(structure: str, basis: str) -> None:
    if structure not in gs.STRUCTURES:
        raise InvalidInput.on(
            "structure", f"unknown structure '{structure}'; use one of {', '.join(gs.STRUCTURES)}"
        )
    check_basis(basis)


def _at(frame: pl.DataFrame, as_of: date, drop_all: bool) -> pl.DataFrame:
    out = frame.filter(pl.col("as_of") == as_of)
    return out.filter(pl.col("bank") != gs.ALL_BANKS) if drop_all else out


def green_credit_statistics(
    session: Session,
    actor: Actor,
    *,
    bank_organisation_id: int | None = None,
    as_of: date | None = None,
    structure: str = "2025",
    basis: str = DEFAULT_BASIS,
    data_dir: Path | None = None,
) -> Statistics:
    """The statistics tables for one as-of date (default: the latest), with growth against the
    earlier books and the trend over all dates.

    A bank user sees only its own bank (asking for another bank is a 404); regulators and admins
    see every bank plus 全部银行, or one bank when ``bank_organisation_id`` is given. Enterprise
    and reviewer users are refused (403). An as-of date without an analysed book is a 422 on
    ``as_of``. With no analysed book at all the answer is empty (``as_of`` None).
    """
    _require(actor)
    _check_params(structure, basis)
    names = bank_names(session)
    own = own_bank(actor)
    if bank_organisation_id is not None and (
        bank_organisation_id not in names or (own is not None and bank_organisation_id != own)
    ):
        raise NotFound(f"bank {bank_organisation_id} not found")
    bank = own if own is not None else bank_organisation_id
    dates = analysed_dates(session, actor, bank)
    visible = [(own, names[own])] if own is not None and own in names else sorted(names.items())
    result = Statistics(
        as_of=None, as_of_dates=dates, structure=structure, basis=basis,
        bank_organisation_id=bank, banks=visible, synthetic=any_synthetic(session),
    )  # fmt: skip
    if not dates:
        return result
    if as_of is None:
        as_of = dates[-1]
    elif as_of not in dates:
        shown = ", ".join(d.isoformat() for d in dates[-8:])
        raise InvalidInput.on("as_of", f"no analysed loan book at {as_of}; available: {shown}")
    frame = apply_basis(
        load_results(session, actor, bank_organisation_id=bank, data_dir=data_dir), basis
    )
    drop_all = bank is not None
    # A bank's own view never draws on other banks' books: its fallback list is built from its
    # own green borrowers (review finding: the cross-bank list leaked an aggregate count).
    peers = frame if bank is not None else apply_basis(all_results(session, as_of, data_dir), basis)
    listed, source = green_enterprise_list(session, peers, as_of)
    summary = gs.summary(frame)
    names = bank_names(session)
    scoped_banks = names if bank is None else {bank: names.get(bank, str(bank))}
    result.as_of = as_of
    result.tables = {
        "summary": _at(summary, as_of, drop_all),
        "by_use": _at(gs.by_use(frame, structure), as_of, drop_all),
        "by_industry": _at(gs.by_industry(frame), as_of, drop_all),
        "by_carbon_benefit": _at(gs.by_carbon_benefit(frame), as_of, drop_all),
        "by_district": _at(gs.by_district(frame), as_of, drop_all),
        "green_enterprises": _at(gs.green_enterprise_loan_rate(frame, listed), as_of, drop_all),
        "marketplace": marketplace_outcomes(session, scoped_banks, listed, as_of, drop_all),
        "trend": summary.filter(pl.col("bank") != gs.ALL_BANKS) if drop_all else summary,
    }
    result.green_enterprise_list = source
    result.green_enterprises = len(listed)
    return result


def to_out(stats: Statistics) -> StatisticsOut:
    """The JSON face of :class:`Statistics`."""
    return StatisticsOut(
        as_of=stats.as_of, as_of_dates=stats.as_of_dates, structure=stats.structure,
        basis=stats.basis, basis_label_zh=BASES[stats.basis][0],
        bank_organisation_id=stats.bank_organisation_id,
        banks=[{"id": i, "name_zh": n} for i, n in stats.banks],
        green_enterprise_list=stats.green_enterprise_list,
        green_enterprises=stats.green_enterprises, synthetic=stats.synthetic,
        tables={k: v.to_dicts() for k, v in stats.tables.items()},
        definitions=definitions(),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Excel


_HEADERS: dict[str, str] = {
    "market_enterprises": "平台对接获贷企业数 Enterprises granted via the platform",
    "market_grants": "平台对接放款笔数 Grants via the platform",
    "market_granted_fen": "平台对接放款金额（万元）",
    "market_listed": "其中名单企业 Of which on the green list",
    "as_of": "报告日期 As of",
    "bank": "银行 Bank",
    "category": "类别代码 Code",
    "name_zh": "类别 Category",
    "name_en": "Category (EN)",
    "headline": "主要类别 Headline",
    "of_which": "其中项 Of which",
    "balance_fen": "绿色贷款余额（万元）",
    "loans": "笔数 Loans",
    "share": "占比 Share",
    "qoq": "环比 q/q",
    "yoy": "同比 y/y",
    "total_balance_fen": "各项贷款余额（万元）",
    "green_loans": "绿色贷款笔数",
    "green_balance_fen": "绿色贷款余额（万元）",
    "green_share": "绿色贷款占比",
    "green_npl_fen": "绿色不良余额（万元）",
    "green_npl_ratio": "绿色贷款不良率",
    "green_credit_fen": "绿色信用贷款余额（万元）",
    "credit_loan_ratio": "信用贷款率",
    "green_enterprises": "名单企业数",
    "with_loans": "获贷企业数",
    "rate": "绿色企业获贷率",
}
_PERCENT = {"share", "qoq", "yoy", "green_share", "green_npl_ratio", "credit_loan_ratio", "rate"}


def workbook_bytes(stats: Statistics) -> bytes:
    """The statistics as an .xlsx: a 说明 sheet (definitions, basis, list used, 示例 label for
    synthetic data) then one sheet per table; money in 万元, ratios as percentages."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    pct = book.add_format({"num_format": "0.00%"})
    money = book.add_format({"num_format": "#,##0.00"})
    note = book.add_worksheet("说明")
    note.set_column(0, 0, 24)
    note.set_column(1, 1, 100)
    lines: list[tuple[str, str]] = [
        ("绿色贷款专项统计", "Green credit statistics — greenfin"),
        ("报告日期 As of", stats.as_of.isoformat() if stats.as_of else "（无已分析的贷款台账）"),
        ("用途结构 Structure", stats.structure),
        ("绿色认定口径 Basis", f"{BASES[stats.basis][0]} / {BASES[stats.basis][1]}"),
        (
            "绿色企业名单 List",
            "项目库已通过项目的企业" if stats.green_enterprise_list == LIST_PROJECTS
            else "后备：各银行绿色贷款借款人（项目库暂无已通过项目）",
        ),
        ("金额单位 Unit", "万元（10,000 CNY）；比率为百分比"),
    ]  # fmt: skip
    if stats.synthetic:
        lines.insert(1, ("示例", "示例数据（synthetic demo data）：不代表任何真实银行。"))
    row = 0
    for key, value in lines:
        note.write(row, 0, key, bold)
        note.write(row, 1, value, wrap)
        row += 1
    row += 1
    note.write(row, 0, "定义 Definitions", bold)
    row += 1
    for d in definitions():
        note.write(row, 0, f"{d['term_zh']} / {d['term_en']}", bold)
        note.write(row, 1, f"{d['definition_zh']}\n{d['definition_en']}", wrap)
        row += 1
    for key, sheet_name, _en in TABLES:
        frame = stats.tables.get(key)
        sheet = book.add_worksheet(sheet_name)
        if frame is None:
            continue
        columns = [c for c in frame.columns if c in _HEADERS]
        for j, c in enumerate(columns):
            sheet.write(0, j, _HEADERS[c], bold)
            sheet.set_column(j, j, 16 if c not in ("name_zh", "bank") else 28)
        for i, values in enumerate(frame.select(columns).iter_rows(), start=1):
            for j, (c, v) in enumerate(zip(columns, values, strict=True)):
                if v is None:
                    continue
                if c.endswith("_fen"):
                    sheet.write_number(i, j, v / FEN_PER_10K_CNY, money)
                elif c in _PERCENT:
                    sheet.write_number(i, j, float(v), pct)
                elif isinstance(v, date):
                    sheet.write_datetime(i, j, v)
                elif isinstance(v, bool):
                    sheet.write_boolean(i, j, v)
                elif isinstance(v, int | float):
                    sheet.write_number(i, j, v)
                else:
                    sheet.write_string(i, j, str(v))
    book.close()
    return buffer.getvalue()
