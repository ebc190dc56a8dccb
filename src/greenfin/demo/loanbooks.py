"""Synthetic (示例) bank loan books for the demo: a few hundred loans per bank and quarter end.

Pure and deterministic for a seed: no store, no I/O. The books are what a bank would upload
(the columns of ``reference/data/banking/loanbook_schema.csv``, every value a string as in a
CSV file), so they go through the ordinary import and analysis services unchanged.

How a book is made
------------------
Each bank gets a pool of loans originated between :data:`POOL_START` and the last quarter end;
a loan is in the book at a quarter end when it was originated on or before it and matures after
it, so the same loan id recurs from quarter to quarter and the books grow and run off like a real
portfolio. Project loans amortise straight-line (the balance at a date is the original amount ×
the remaining share of the term); working-capital loans are bullet loans.

Purposes are drawn from :data:`PURPOSES`: realistic Chinese loan purposes, green (with the
catalogue item of 《绿色金融支持项目目录（2025年版）》 a bank would tag) and not green (working
capital, property development, coal power, cement, trade). The chance that a new loan is green
rises with its origination date (per-bank base and trend), so green balances grow year on year
at different speeds for different banks and the evaluation has something to rank.

The bank's own green tag disagrees with the catalogue on purpose, at a per-bank rate: a green
purpose left untagged or tagged with another item's code, a non-green purpose tagged green. The
platform's screening then has disagreements to show.

Borrowers are the platform's enterprises passed in (their 统一社会信用代码, name, industry,
district), matched to a purpose by GB/T 4754 code where possible, plus synthetic borrowers made
here with valid codes (GB 32100 check character, :func:`greenfin.identity.uscc.compose`). Every
name carries （示例）.

Everything here is illustrative; nothing describes a real bank.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from greenfin.identity import uscc

SYNTHETIC_MARK = "（示例）"
QUARTER_ENDS: tuple[date, ...] = (
    date(2025, 9, 30),
    date(2025, 12, 31),
    date(2026, 3, 31),
    date(2026, 6, 30),
    date(2026, 9, 30),
)
POOL_START = date(2021, 1, 1)
LOANS_PER_BANK = 360  # pool size; about 200–300 of them are in each quarter's book
EXTRA_BORROWERS = 60
MIN_MATCHING = 3  # fewer borrowers of a purpose's industry: draw from everyone


@dataclass(frozen=True)
class Purpose:
    """A loan purpose: text, GB/T 4754 小类 (``""`` = the borrower's own), the catalogue item a
    bank tags it with (``""`` = not green), project loan or working capital, amount range (万元)."""

    text: str
    industry_code: str
    catalogue_code: str
    project: bool
    min_10k: int
    max_10k: int

    @property
    def green(self) -> bool:
        return bool(self.catalogue_code)


PURPOSES: tuple[Purpose, ...] = (
    # green: 《绿色金融支持项目目录（2025年版）》 items a bank would tag
    Purpose("屋顶分布式光伏电站建设", "4416", "4.2.2", True, 300, 8000),
    Purpose("集中式光伏发电项目建设", "4416", "4.2.2", True, 3000, 30000),
    Purpose("陆上风电场建设", "4415", "4.2.1", True, 5000, 40000),
    Purpose("生物质热电联产项目建设", "4417", "4.2.3", True, 2000, 15000),
    Purpose("地源热泵供暖系统建设", "4430", "4.2.9", True, 500, 6000),
    Purpose("电化学储能电站建设", "4420", "4.3.2", True, 2000, 20000),
    Purpose("智能电网配电网改造", "4420", "4.3.5", True, 1000, 12000),
    Purpose("工业园区余热回收利用改造", "4430", "1.3.4", True, 500, 5000),
    Purpose("燃煤锅炉清洁能源替代改造", "4430", "1.3.1", True, 300, 4000),
    Purpose("城市污水处理厂提标改造", "4620", "6.4.7", True, 2000, 20000),
    Purpose("再生水利用工程建设", "4620", "3.2.2", True, 1000, 10000),
    Purpose("生活垃圾焚烧发电项目建设", "7820", "3.2.6", True, 3000, 25000),
    Purpose("危险废物集中处置中心建设", "7724", "2.5.2", True, 1000, 8000),
    Purpose("工业废气脱硫脱硝治理", "7722", "2.2.1", True, 300, 3000),
    Purpose("建筑垃圾资源化利用", "7723", "3.2.3", True, 500, 5000),
    Purpose("废旧动力电池回收利用", "4210", "3.2.5", True, 500, 6000),
    Purpose("新能源公交车购置", "5411", "6.2.6", True, 1000, 10000),
    Purpose("城市轨道交通线路建设", "5412", "6.2.6", True, 10000, 60000),
    Purpose("电动汽车充电桩建设", "4420", "6.2.3", True, 200, 3000),
    Purpose("既有公共建筑节能改造", "4790", "6.1.3", True, 300, 5000),
    Purpose("超低能耗建筑建设", "4790", "6.1.2", True, 2000, 20000),
    Purpose("合同能源管理节能服务", "7514", "7.2.2", True, 200, 3000),
    Purpose("矿山生态修复工程", "7719", "5.3.4", True, 500, 6000),
    Purpose("植树造林及森林抚育", "0220", "5.1.9", True, 200, 3000),
    Purpose("锂离子储能电池生产线建设", "3841", "4.1.8", True, 2000, 15000),
    Purpose("光伏组件生产线扩产", "3825", "4.1.2", True, 2000, 15000),
    # not green
    Purpose("流动资金周转", "", "", False, 100, 3000),
    Purpose("购买原材料", "", "", False, 100, 2000),
    Purpose("设备购置", "", "", False, 100, 2000),
    Purpose("商业综合体开发", "7010", "", True, 5000, 40000),
    Purpose("住宅小区开发建设", "4710", "", True, 5000, 30000),
    Purpose("燃煤电厂扩建", "4411", "", True, 10000, 50000),
    Purpose("水泥生产线技改扩能", "3011", "", True, 2000, 10000),
    Purpose("化工原料采购", "2614", "", False, 200, 3000),
    Purpose("钢材采购及库存周转", "3130", "", False, 200, 3000),
    Purpose("汽车零部件生产流动资金", "3670", "", False, 200, 2000),
    Purpose("办公楼装修改造", "4790", "", False, 100, 1500),
    Purpose("贸易融资", "5181", "", False, 200, 5000),
)
_BORROWER_HEADS = ("京源", "华泰", "恒通", "瑞景", "中环", "清和", "博达", "联创", "国润", "东方")
_BORROWER_TAILS = ("实业", "贸易", "科技", "发展", "工程", "投资")
_DISTRICTS = (
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119",
)  # fmt: skip
_COLLATERAL = ("抵押", "质押", "保证")
COLUMNS: tuple[str, ...] = (
    "loan_id", "bank", "borrower_uscc", "borrower_name", "industry_code", "purpose",
    "outstanding_cny", "original_cny", "rate_pct", "originated_on", "matures_on", "status",
    "collateral_type", "credit_or_secured", "project_id", "project_total_investment_cny",
    "bank_green_tag", "bank_catalogue_code", "bank_catalogue_edition", "district",
    "in_city_sub_centre",
)  # fmt: skip


@dataclass(frozen=True)
class Borrower:
    """A borrower: 统一社会信用代码, name, GB/T 4754 code, district code, in the sub-centre."""

    uscc: str
    name: str
    industry_code: str
    district: str
    in_city_sub_centre: bool = False


@dataclass(frozen=True)
class _Profile:
    green_base: float  # chance a loan originated in 2021 is green
    green_trend: float  # added per year after 2021
    size: float  # amount multiplier
    tag_error: float  # chance the bank's own tag disagrees with the catalogue
    npl_rate: float  # chance a loan turns non-performing during its life
    credit_share: float  # chance a loan is a credit (unsecured) loan


@dataclass(frozen=True)
class _Loan:
    loan_id: str
    borrower: Borrower
    purpose: Purpose
    industry_code: str
    original_fen: int
    rate_pct: float
    originated_on: date
    matures_on: date
    trouble_on: date | None
    trouble_status: str
    credit: bool
    collateral: str
    project_id: str
    project_total_fen: int | None
    tag: bool
    tag_code: str


def _profile(rng: random.Random) -> _Profile:
    return _Profile(
        green_base=rng.uniform(0.15, 0.45),
        green_trend=rng.uniform(0.0, 0.08),
        size=rng.choice((0.5, 0.8, 1.0, 1.5, 2.5)),
        tag_error=rng.uniform(0.02, 0.12),
        npl_rate=rng.uniform(0.0, 0.06),
        credit_share=rng.uniform(0.1, 0.4),
    )


def synthetic_borrowers(rng: random.Random, n: int = EXTRA_BORROWERS) -> list[Borrower]:
    """Borrowers that are not on the platform, with valid codes (GB 32100) and （示例） names."""
    out: list[Borrower] = []
    seen: set[str] = set()
    codes = sorted({p.industry_code for p in PURPOSES if p.industry_code})
    while len(out) < n:
        district = rng.choice(_DISTRICTS)
        code = uscc.compose("9", "1", district, "".join(rng.choices("0123456789", k=8)))
        name = (
            f"北京{rng.choice(_BORROWER_HEADS)}{rng.choice(_BORROWER_TAILS)}"
            f"{len(out) + 1:03d}有限公司{SYNTHETIC_MARK}"
        )
        if code in seen:
            continue
        seen.add(code)
        sub = district == "110112" and rng.random() < 0.5
        out.append(Borrower(code, name, rng.choice(codes), district, sub))
    return out


def _days(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _pool(
    rng: random.Random, prefix: str, profile: _Profile, borrowers: Sequence[Borrower]
) -> list[_Loan]:
    by_industry: dict[str, list[Borrower]] = {}
    for b in borrowers:
        by_industry.setdefault(b.industry_code, []).append(b)
    green = [p for p in PURPOSES if p.green]
    brown = [p for p in PURPOSES if not p.green]
    green_codes = sorted({p.catalogue_code for p in green})
    end = QUARTER_ENDS[-1]
    loans: list[_Loan] = []
    for n in range(1, LOANS_PER_BANK + 1):
        originated = _days(rng, POOL_START, end)
        years = (originated - POOL_START).days / 365.25
        is_green = rng.random() < min(profile.green_base + profile.green_trend * years, 0.9)
        purpose = rng.choice(green if is_green else brown)
        candidates = by_industry.get(purpose.industry_code, []) if purpose.industry_code else []
        borrower = rng.choice(candidates if len(candidates) >= MIN_MATCHING else borrowers)
        industry = purpose.industry_code or borrower.industry_code
        amount_10k = rng.uniform(purpose.min_10k, purpose.max_10k) * profile.size
        original_fen = int(round(amount_10k, 2) * 1_000_000)
        term_years = rng.randint(3, 12) if purpose.project else rng.randint(1, 3)
        matures = originated + timedelta(days=int(term_years * 365.25))
        trouble_on, trouble_status = None, "正常"
        roll = rng.random()
        if roll < profile.npl_rate * (0.5 if purpose.green else 1.0):
            trouble_on = _days(rng, originated, matures - timedelta(days=1))
            trouble_status = rng.choice(("次级", "次级", "可疑", "损失"))
        elif roll < profile.npl_rate + 0.04:
            trouble_on = _days(rng, originated, matures - timedelta(days=1))
            trouble_status = "关注"
        credit = rng.random() < profile.credit_share * (0.6 if purpose.project else 1.2)
        # the bank's own tag, disagreeing with the catalogue at the bank's error rate
        tag, tag_code = purpose.green, purpose.catalogue_code
        if rng.random() < profile.tag_error:
            if purpose.green:
                if rng.random() < 0.5:
                    tag, tag_code = False, ""
                else:
                    tag_code = rng.choice([c for c in green_codes if c != purpose.catalogue_code])
            else:
                tag, tag_code = True, rng.choice(("6.1.1", "4.2.2", "1.3.1", "7.2.2"))
        project_id = f"{prefix}P{n:05d}" if purpose.project else ""
        total = int(original_fen / rng.uniform(0.5, 0.85)) if purpose.project else None
        loans.append(
            _Loan(
                loan_id=f"{prefix}{n:06d}", borrower=borrower, purpose=purpose,
                industry_code=industry, original_fen=original_fen,
                rate_pct=round(rng.uniform(2.6, 4.9) - (0.3 if purpose.green else 0.0), 2),
                originated_on=originated, matures_on=matures, trouble_on=trouble_on,
                trouble_status=trouble_status, credit=credit,
                collateral="" if credit else rng.choice(_COLLATERAL), project_id=project_id,
                project_total_fen=total, tag=tag, tag_code=tag_code,
            )
        )  # fmt: skip
    return loans


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _book(bank: str, loans: Sequence[_Loan], as_of: date) -> pl.DataFrame:
    rows: list[tuple[str, ...]] = []
    for loan in loans:
        if not (loan.originated_on <= as_of < loan.matures_on):
            continue
        if loan.purpose.project:
            remaining = (loan.matures_on - as_of).days / (loan.matures_on - loan.originated_on).days
            outstanding = int(loan.original_fen * remaining)
        else:
            outstanding = loan.original_fen
        status = (
            loan.trouble_status
            if loan.trouble_on is not None and loan.trouble_on <= as_of
            else "正常"
        )
        rows.append(
            (
                loan.loan_id, bank, loan.borrower.uscc, loan.borrower.name, loan.industry_code,
                loan.purpose.text, _yuan(outstanding), _yuan(loan.original_fen),
                f"{loan.rate_pct:.2f}", loan.originated_on.isoformat(),
                loan.matures_on.isoformat(), status, loan.collateral,
                "信用" if loan.credit else "担保", loan.project_id,
                _yuan(loan.project_total_fen) if loan.project_total_fen else "",
                "是" if loan.tag else "否", loan.tag_code,
                "green-finance-2025" if loan.tag_code else "", loan.borrower.district,
                "是" if loan.borrower.in_city_sub_centre else "否",
            )
        )  # fmt: skip
    return pl.DataFrame(rows, schema=list(COLUMNS), orient="row")


def generate_loan_books(
    banks: Sequence[str],
    borrowers: Sequence[Borrower] = (),
    *,
    seed: int = 20261127,
    quarter_ends: Sequence[date] = QUARTER_ENDS,
) -> dict[tuple[str, date], pl.DataFrame]:
    """One book per bank and quarter end.

    Parameters
    ----------
    banks : sequence of str
        The ``bank`` value written in each book (the bank's registered name or platform id), in
        a stable order: the seed and the position give each bank its profile.
    borrowers : sequence of Borrower
        The platform's enterprises; synthetic borrowers are added.
    seed : int
        Random seed; the same seed and inputs give the same books.
    quarter_ends : sequence of date
        Reporting dates (default :data:`QUARTER_ENDS`, 2025-09-30 … 2026-09-30).

    Returns
    -------
    dict
        ``(bank, as_of)`` → the book as strings, columns :data:`COLUMNS`.
    """
    rng = random.Random(seed)
    everyone = [*borrowers, *synthetic_borrowers(rng)]
    books: dict[tuple[str, date], pl.DataFrame] = {}
    for i, bank in enumerate(banks):
        bank_rng = random.Random(f"{seed}:{i}")
        loans = _pool(bank_rng, f"B{i:02d}-", _profile(bank_rng), everyone)
        for as_of in quarter_ends:
            books[(bank, as_of)] = _book(bank, loans, as_of)
    return books
