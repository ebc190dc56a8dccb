"""Demo loan books (示例): the pure generator, and what ``load_demo(loan_books=True)`` leaves in
the store (``banking_db``)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import func, select

from greenfin.banking import loanbook
from greenfin.demo.loanbooks import PURPOSES, QUARTER_ENDS, Borrower, generate_loan_books
from greenfin.identity import uscc
from greenfin.identity.roles import OrgKind
from greenfin.store.models import (
    BankPeriodInput,
    LoanBookAnalysis,
    LoanBookImport,
    Organisation,
)

BANKS = ["甲银行（示例）", "乙银行（示例）", "丙银行（示例）"]
PLATFORM = [Borrower(uscc.compose("9", "1", "110112", "12345678"), "甲光伏有限公司（示例）",
                     "4416", "110112", True)]  # fmt: skip


def test_generator_is_deterministic_and_valid():
    books = generate_loan_books(BANKS, PLATFORM, seed=7)
    assert books.keys() == {(b, d) for b in BANKS for d in QUARTER_ENDS}
    again = generate_loan_books(BANKS, PLATFORM, seed=7)
    assert all(books[k].equals(again[k]) for k in books)
    assert not books[(BANKS[0], QUARTER_ENDS[0])].equals(
        generate_loan_books(BANKS, PLATFORM, seed=8)[(BANKS[0], QUARTER_ENDS[0])]
    )
    for (bank, as_of), book in books.items():
        assert 150 <= book.height <= 400, (bank, as_of, book.height)  # a few hundred loans
        valid = loanbook.validate(book, banks={bank}, as_of=as_of)  # raises on any problem
        assert valid.get_column("loan_id").is_unique().all()
    stacked = pl.concat(books.values())
    assert all(uscc.is_valid(c) for c in stacked.get_column("borrower_uscc").unique())
    assert stacked.get_column("borrower_name").str.ends_with("（示例）").all()
    assert PLATFORM[0].uscc in set(stacked.get_column("borrower_uscc"))


def test_books_mix_green_and_other_purposes_and_tags_sometimes_disagree():
    books = generate_loan_books(BANKS, PLATFORM, seed=20261127)
    stacked = pl.concat(books.values())
    green_texts = {p.text for p in PURPOSES if p.green}
    is_green = pl.col("purpose").is_in(list(green_texts))
    tagged = pl.col("bank_green_tag") == "是"
    shares = stacked.select(
        is_green.mean().alias("green"),
        (is_green & ~tagged).sum().alias("green_untagged"),
        (~is_green & tagged).sum().alias("tagged_not_green"),
    ).row(0, named=True)
    assert 0.2 < shares["green"] < 0.8
    assert shares["green_untagged"] > 0 and shares["tagged_not_green"] > 0
    # the same loan recurs across quarters and runs off: ids overlap, balances fall
    first, last = (books[(BANKS[0], d)] for d in (QUARTER_ENDS[0], QUARTER_ENDS[-1]))
    common = first.join(last, on="loan_id", suffix="_last")
    assert common.height > 50
    assert (common.get_column("originated_on") == common.get_column("originated_on_last")).all()


def test_load_demo_imports_and_analyses_every_demo_bank(banking_db):
    database, _data_dir = banking_db
    with database.session() as session:
        banks = (
            session.execute(
                select(Organisation.id).where(
                    Organisation.kind == OrgKind.BANK.value, Organisation.is_synthetic
                )
            )
            .scalars()
            .all()
        )
        per_bank = dict(session.execute(
            select(LoanBookImport.bank_organisation_id, func.count())
            .join(LoanBookAnalysis, LoanBookAnalysis.import_id == LoanBookImport.id)
            .where(LoanBookImport.as_of.in_(QUARTER_ENDS))
            .group_by(LoanBookImport.bank_organisation_id)
        ).all())  # fmt: skip
        qualitative = session.execute(
            select(func.count())
            .select_from(BankPeriodInput)
            .where(
                BankPeriodInput.kind == "evaluation_qualitative", BankPeriodInput.period == "2026Q3"
            )
        ).scalar_one()
    assert len(banks) >= 12
    assert all(per_bank.get(b, 0) >= 5 for b in banks)
    assert qualitative == len(banks)
