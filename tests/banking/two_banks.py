"""A small, hand-computable world for the statistics and evaluation services: two banks (A, B),
two platform enterprises, books at 2025-09-30 and 2026-09-30, green by the banks' own tags.

Bank A, 2026-09-30 (CNY):
    A1 400,000  tag 是 4.2.2 (use 4)  正常 信用  通州 城市副中心  borrower U1
    A2 300,000  tag 是 6.2.6 (use 6)  次级 担保  朝阳              borrower U2
    A3 300,000  tag 否                 正常 信用  海淀              borrower U3 (not on platform)
Bank A, 2025-09-30: A1 350,000 (tag 是 4.2.2).
Bank B, 2026-09-30: B1 200,000 tag 是 4.2.1 (use 4) 正常 担保 通州 (not the sub-centre) U1;
    B2 100,000 tag 否 borrower U3.
Bank B, 2025-09-30: B1 200,000.
Every loan's rate is 3.45 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from greenfin.identity import uscc
from greenfin.identity.principal import Principal, SystemActor
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import loan_analysis, loans, organisations

ACTOR = SystemActor(username="test")
NOW, BEFORE = date(2026, 9, 30), date(2025, 9, 30)
U1 = uscc.compose("9", "1", "110112", "11111111")
U2 = uscc.compose("9", "1", "110105", "22222222")
U3 = uscc.compose("9", "1", "110108", "33333333")
COLUMNS = (
    "loan_id,bank,borrower_uscc,borrower_name,industry_code,purpose,outstanding_cny,original_cny,"
    "rate_pct,originated_on,matures_on,status,collateral_type,credit_or_secured,district,"
    "in_city_sub_centre,bank_green_tag,bank_catalogue_code"
)


def loan(
    loan_id: str, amount: str, borrower: str, tag: str, code: str, *, status: str = "正常",
    credit: bool = True, district: str = "通州区", centre: str = "否",
) -> str:  # fmt: skip
    collateral = "" if credit else "抵押"
    return ",".join(
        [loan_id, "{bank}", borrower, "借款企业（示例）", "4416", "屋顶分布式光伏电站建设",
         amount, "1000000", "3.45", "2024-01-15", "2034-01-15", status, collateral,
         "信用" if credit else "担保", district, centre, tag, code]
    )  # fmt: skip


BOOKS = {
    ("A", NOW): [
        loan("A1", "400000", U1, "是", "4.2.2", centre="是"),
        loan("A2", "300000", U2, "是", "6.2.6", status="次级", credit=False, district="朝阳区"),
        loan("A3", "300000", U3, "否", "", district="海淀区"),
    ],
    ("A", BEFORE): [loan("A1", "350000", U1, "是", "4.2.2", centre="是")],
    ("B", NOW): [
        loan("B1", "200000", U1, "是", "4.2.1", credit=False),
        loan("B2", "100000", U3, "否", "", district="朝阳区"),
    ],
    ("B", BEFORE): [loan("B1", "200000", U1, "是", "4.2.1", credit=False)],
}


@dataclass
class World:
    bank_a: int
    bank_b: int
    name_a: str
    name_b: str
    enterprise: int
    enterprise2: int
    regulator: int


def _org(session: Session, code: str, name: str, kind: OrgKind, district: str) -> int:
    return organisations.create_organisation(
        session, ACTOR,
        organisations.OrganisationCreate(
            uscc=code, name_zh=name, kind=kind, district=district, is_synthetic=True
        ),
    ).id  # fmt: skip


def build(session: Session, data_dir: Path) -> World:
    """Create the organisations, import and analyse the four books (the caller commits)."""
    bank_a = _org(session, uscc.compose("9", "1", "110102", "44444444"), "甲银行（示例）",
                  OrgKind.BANK, "110102")  # fmt: skip
    bank_b = _org(session, uscc.compose("9", "1", "110101", "55555555"), "乙银行（示例）",
                  OrgKind.BANK, "110101")  # fmt: skip
    e1 = _org(session, U1, "甲能源有限公司（示例）", OrgKind.ENTERPRISE, "110112")
    e2 = _org(session, U2, "乙公交有限公司（示例）", OrgKind.ENTERPRISE, "110105")
    reg = _org(session, uscc.compose("1", "1", "110112", "66666666"), "监管局（示例）",
               OrgKind.REGULATOR, "110112")  # fmt: skip
    names = {"A": "甲银行（示例）", "B": "乙银行（示例）"}
    ids = {"A": bank_a, "B": bank_b}
    for (bank, as_of), rows in BOOKS.items():
        text = "\n".join([COLUMNS, *(r.replace("{bank}", names[bank]) for r in rows)])
        imported = loans.import_loan_book(
            session, ACTOR, text.encode(), f"{bank}-{as_of}.csv", ids[bank], as_of, data_dir
        )
        loan_analysis.analyse_import(session, ACTOR, imported.import_id, data_dir=data_dir)
    return World(bank_a, bank_b, names["A"], names["B"], e1, e2, reg)


def principal(role: Role, organisation_id: int, kind: OrgKind, user_id: int = 99) -> Principal:
    return Principal(
        user_id=user_id, username=f"u-{role.value}", display_name=role.value, role=role,
        organisation_id=organisation_id, organisation_kind=kind, organisation_name="x",
    )  # fmt: skip
