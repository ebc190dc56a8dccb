"""Loan-book upload as the web page does it: import (all or nothing), then analyse; the list of
imports with their analysis status; the full error file of a rejected upload.

Import and analysis are the existing services (:func:`greenfin.services.loans.import_loan_book`,
:func:`greenfin.services.loan_analysis.analyse_import`); this module only strings them together
for one request and keeps a rejected book's error CSV for its uploader to download.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date
from pathlib import Path

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import loan_analysis, loans
from greenfin.services.errors import Forbidden, NotFound
from greenfin.services.types import UtcDatetime
from greenfin.store.models import LoanBookAnalysis, LoanBookImport, Organisation

UPLOADERS = frozenset({Role.BANK, Role.ADMIN})
VIEWERS = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})
ERROR_DIR = "loanbook_errors"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
LIST_LIMIT = 500


class ImportRow(BaseModel):
    """One import as listed on the page: the file, its bank and date, and whether it has been
    analysed (with the headline figures of the analysis)."""

    import_id: int
    bank_organisation_id: int
    bank_name: str
    as_of: date
    filename: str
    rows: int
    outstanding_cny: float
    created_at: UtcDatetime
    status: str  # analysed | imported (not analysed yet)
    engine: str | None
    green_balance_cny_bank: float | None
    green_balance_cny_platform: float | None
    disagreements: int | None
    synthetic: bool


class UploadOut(BaseModel):
    import_id: int
    created: bool
    analysed: bool


def upload(
    session: Session,
    principal: Principal,
    data: bytes,
    filename: str,
    bank_organisation_id: int,
    as_of: date,
    data_dir: Path,
) -> UploadOut:
    """Import a book for a bank and analyse it in the same transaction (the caller commits); the
    same file again (content hash) is neither imported nor analysed twice.

    Raises :class:`greenfin.services.loans.LoanBookRejected` with every problem when the book is
    invalid; nothing is written then."""
    if principal.role not in UPLOADERS:
        raise Forbidden(f"role {principal.role.value} may not upload loan books")
    imported = loans.import_loan_book(
        session, principal, data, filename, bank_organisation_id, as_of, data_dir
    )
    analysed = session.execute(
        select(LoanBookAnalysis.id).where(LoanBookAnalysis.import_id == imported.import_id)
    ).first()
    if analysed is None:  # the same file again: already analysed, nothing to redo
        loan_analysis.analyse_import(
            session, principal, imported.import_id, engine="local", data_dir=data_dir
        )
    return UploadOut(import_id=imported.import_id, created=imported.created, analysed=True)


def uploadable_banks(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """Banks the caller may upload for: a bank user its own, an admin every bank."""
    if principal.role is Role.BANK:
        org = session.get(Organisation, principal.organisation_id)
        return [(org.id, org.name_zh)] if org and org.kind == OrgKind.BANK.value else []
    if principal.role is Role.ADMIN:
        rows = session.execute(
            select(Organisation.id, Organisation.name_zh)
            .where(Organisation.kind == OrgKind.BANK.value)
            .order_by(Organisation.id)
        ).all()
        return [(i, n) for i, n in rows]
    return []


def import_rows(session: Session, principal: Principal) -> list[ImportRow]:
    """Imports visible to the caller, newest first: a bank its own, regulators and admins all."""
    if principal.role not in VIEWERS:
        raise Forbidden(f"role {principal.role.value} may not see loan-book imports")
    stmt = (
        select(LoanBookImport, Organisation, LoanBookAnalysis)
        .join(Organisation, Organisation.id == LoanBookImport.bank_organisation_id)
        .outerjoin(LoanBookAnalysis, LoanBookAnalysis.import_id == LoanBookImport.id)
        .order_by(LoanBookImport.id.desc())
        .limit(LIST_LIMIT)
    )
    if principal.role is Role.BANK:
        stmt = stmt.where(LoanBookImport.bank_organisation_id == principal.organisation_id)
    out: list[ImportRow] = []
    for record, org, analysis in session.execute(stmt).all():
        stored = json.loads(analysis.summary_json) if analysis is not None else {}
        summary = stored.get("summary", {})
        bank_fen = summary.get("green_balance_fen_bank")
        platform_fen = summary.get("green_balance_fen_platform")
        out.append(
            ImportRow(
                import_id=record.id, bank_organisation_id=org.id, bank_name=org.name_zh,
                as_of=record.as_of, filename=record.filename, rows=record.rows,
                outstanding_cny=record.outstanding_fen / 100, created_at=record.created_at,
                status="analysed" if analysis is not None else "imported",
                engine=analysis.engine if analysis is not None else None,
                green_balance_cny_bank=None if bank_fen is None else bank_fen / 100,
                green_balance_cny_platform=None if platform_fen is None else platform_fen / 100,
                disagreements=summary.get("disagreements"), synthetic=org.is_synthetic,
            )
        )  # fmt: skip
    return out


DISAGREEMENTS: tuple[str, ...] = ("bank_only", "platform_only", "code_differs")
DETAIL_ROWS = 500


def import_detail(
    session: Session, principal: Principal, import_id: int, data_dir: Path
) -> tuple[loan_analysis.AnalysisOut, pl.DataFrame, int]:
    """An analysed import: its analysis (with the book's totals), the loans where the bank's tag
    and the platform's screening disagree (largest first, at most :data:`DETAIL_ROWS`) and how
    many there are in all. A bank sees its own imports only (others → 404)."""
    analysis = loan_analysis.get_analysis(session, principal, import_id)
    loans_frame = loan_analysis.analysis_loans(session, principal, import_id, data_dir=data_dir)
    disagreeing = loans_frame.filter(
        pl.col("tag_comparison").cast(pl.String).is_in(list(DISAGREEMENTS))
    ).sort("outstanding_fen", descending=True)
    return analysis, disagreeing.head(DETAIL_ROWS), disagreeing.height


def _error_path(data_dir: Path, principal: Principal, token: str) -> Path:
    return data_dir / ERROR_DIR / str(principal.user_id) / f"{token}.csv"


def save_error_file(data_dir: Path, principal: Principal, content: bytes) -> str:
    """Keep a rejected book's full error CSV for its uploader; returns the download token."""
    token = secrets.token_urlsafe(24)
    path = _error_path(data_dir, principal, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return token


def error_file(data_dir: Path, principal: Principal, token: str) -> bytes:
    """The error CSV saved for this user under ``token``; anyone else's (or none) → 404."""
    if not _TOKEN.match(token):
        raise NotFound("no such error file")
    path = _error_path(data_dir, principal, token)
    if not path.is_file():
        raise NotFound("no such error file")
    return path.read_bytes()
