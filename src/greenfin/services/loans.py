"""Loan-book imports: validate the whole file, keep it as Parquet, record it once (issue #5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.banking import loanbook
from greenfin.engine import tables
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services.errors import FieldProblem, InvalidInput, NotFound
from greenfin.services.tabular import read_user_table
from greenfin.store.models import LoanBookImport, Organisation

LENDER_KINDS = frozenset({OrgKind.BANK.value})


class LoanBookRejected(InvalidInput):
    """Every problem of a rejected book; ``error_csv`` is the full downloadable error file."""

    def __init__(self, detail: str, problems: list[FieldProblem], error_csv: bytes) -> None:
        super().__init__(detail, problems)
        self.error_csv = error_csv


class ImportOut(BaseModel):
    import_id: int
    bank_organisation_id: int
    as_of: date
    rows: int
    outstanding_cny: float
    content_sha256: str
    created: bool  # False: the same file was already imported for this bank and date


def _bank(session: Session, actor: Actor, bank_organisation_id: int) -> Organisation:
    org = session.get(Organisation, bank_organisation_id)
    own = (
        not isinstance(actor, Principal)
        or actor.role is Role.ADMIN
        or (actor.role is Role.BANK and actor.organisation_id == bank_organisation_id)
    )
    if org is None or org.kind not in LENDER_KINDS or not own:
        raise NotFound(f"bank {bank_organisation_id} not found")
    return org


def _out(record: LoanBookImport, created: bool) -> ImportOut:
    return ImportOut(
        import_id=record.id, bank_organisation_id=record.bank_organisation_id,
        as_of=record.as_of, rows=record.rows, outstanding_cny=record.outstanding_fen / 100,
        content_sha256=record.content_sha256, created=created,
    )  # fmt: skip


def import_loan_book(
    session: Session,
    actor: Actor,
    data: bytes,
    filename: str,
    bank_organisation_id: int,
    as_of: date,
    data_dir: Path,
) -> ImportOut:
    """All-or-nothing import: the same file twice is recognised by its content hash."""
    bank = _bank(session, actor, bank_organisation_id)
    digest = loanbook.content_hash(data)
    existing = session.execute(
        select(LoanBookImport).where(
            LoanBookImport.bank_organisation_id == bank.id,
            LoanBookImport.as_of == as_of,
            LoanBookImport.content_sha256 == digest,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return _out(existing, created=False)
    frame = read_user_table(data, filename).frame
    try:
        book = loanbook.validate(frame, banks={bank.name_zh, bank.uscc, str(bank.id)}, as_of=as_of)
    except loanbook.LoanBookError as exc:
        raise LoanBookRejected(
            f"{Path(filename).name}: {exc}",
            [FieldProblem(p.field, p.message, p.row) for p in exc.first(200)],
            exc.csv_bytes(),
        ) from None
    if book.is_empty():
        raise InvalidInput.on("file", "the loan book has no rows")
    relative = Path("loanbooks") / str(bank.id) / as_of.isoformat() / f"{digest}.parquet"
    tables.write_atomic(book, data_dir / relative)
    outstanding = int(book.select(pl.col("outstanding_fen").sum()).item() or 0)
    record = LoanBookImport(
        bank_organisation_id=bank.id, as_of=as_of, content_sha256=digest,
        filename=Path(filename).name[:255], rows=book.height, outstanding_fen=outstanding,
        parquet_path=str(relative), imported_by_user_id=actor.user_id,
    )  # fmt: skip
    session.add(record)
    session.flush()
    ledger.append(
        session, actor, "loanbook.imported", "loan_book_import", record.id,
        {"bank": bank.id, "as_of": as_of, "file": record.filename, "sha256": digest,
         "rows": book.height, "outstanding_fen": outstanding},
    )  # fmt: skip
    return _out(record, created=True)


def list_imports(session: Session, principal: Principal) -> list[ImportOut]:
    """Imports visible to the caller: a bank sees its own, regulators and admins all."""
    stmt = select(LoanBookImport).order_by(LoanBookImport.id.desc()).limit(500)
    if principal.role is Role.BANK:
        stmt = stmt.where(LoanBookImport.bank_organisation_id == principal.organisation_id)
    return [_out(r, created=True) for r in session.execute(stmt).scalars()]
