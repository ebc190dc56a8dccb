"""Loan-book analysis: run the pipeline over an imported book, keep the per-loan result (issue #5).

Permissions (as :mod:`greenfin.services.loans`): a bank analyses and reads its own imports only
(another bank's import answers 404), admins all; regulators read every bank's analyses but do
not run them; other roles are refused. The command line acts as the platform (``SystemActor``).

Files: the per-loan result is a directory of Parquet parts under the data directory,
``analyses/<bank id>/<as_of>/import-<id>-<run>/part-00000.parquet …`` (the path relative to the
data directory is kept in ``loan_book_analyses.result_path``). It stores ``loan_id`` and the
pipeline's own columns only; the carried columns are the import's validated book (same rows,
same order), so a 10-million-loan book is not stored twice. Read it through
:func:`results_frame` / :func:`analysis_loans`, or
``partitioned.read_result(result_path, book=import.parquet_path)``. A re-analysis
writes a new result, replaces the record and, once the transaction commits, deletes the previous
result (a rollback deletes the new one instead), so the record and the files never disagree.

Faces must pass the data directory they serve (``request.app.state.settings.data_dir``); without
it the environment's settings (``GREENFIN_DATA_DIR``) are used.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.banking import pipeline
from greenfin.banking.pipeline import BookSummary
from greenfin.engine import partitioned
from greenfin.engine.partitioned import RunOptions, RunResult
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import Role
from greenfin.services.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from greenfin.services.types import UtcDatetime
from greenfin.store.models import LoanBookAnalysis, LoanBookImport, Organisation

ENGINES: tuple[str, ...] = ("local", "dask")
WRITERS = frozenset({Role.BANK, Role.ADMIN})
READERS = frozenset({Role.BANK, Role.REGULATOR, Role.ADMIN})


class AnalysisOut(BaseModel):
    """One analysed import: where it came from, how it was run and its totals."""

    analysis_id: int
    import_id: int
    bank_organisation_id: int
    bank_name: str
    as_of: date
    engine: str
    edition: str
    accept: list[str]  # screening verdicts counted as green by the platform
    rows: int
    analysed_by_user_id: int | None
    analysed_at: UtcDatetime
    summary: BookSummary


def _data_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from greenfin.settings import get_settings

    return get_settings().data_dir


def _is_principal(actor: Actor) -> bool:
    return isinstance(actor, Principal)


def _visible_import(session: Session, actor: Actor, import_id: int, write: bool) -> LoanBookImport:
    """The import if ``actor`` may see it (write: analyse it); 404 for another bank's import."""
    if _is_principal(actor):
        allowed = WRITERS if write else READERS
        if actor.role not in allowed:
            raise Forbidden(f"role {actor.role.value} may not {'analyse' if write else 'read'} "
                            "loan-book analyses")  # fmt: skip
    record = session.get(LoanBookImport, import_id)
    own = (
        not _is_principal(actor)
        or actor.role is not Role.BANK
        or (record is not None and record.bank_organisation_id == actor.organisation_id)
    )
    if record is None or not own:
        raise NotFound(f"loan-book import {import_id} not found")
    return record


def _out(record: LoanBookAnalysis, book: LoanBookImport, bank: Organisation) -> AnalysisOut:
    stored = json.loads(record.summary_json)
    return AnalysisOut(
        analysis_id=record.id, import_id=book.id, bank_organisation_id=book.bank_organisation_id,
        bank_name=bank.name_zh, as_of=book.as_of, engine=record.engine, edition=record.edition,
        accept=stored["accept"], rows=book.rows, analysed_by_user_id=record.analysed_by_user_id,
        analysed_at=record.created_at, summary=BookSummary.model_validate(stored["summary"]),
    )  # fmt: skip


def _run(
    source: Path, output: Path, *, engine: str, scheduler: str | None, edition: str, as_of: date
) -> RunResult:
    """The pipeline over the stored (validated) book, result written to ``output`` (a directory
    of Parquet parts); both engines run the same per-partition plan."""
    options = RunOptions(edition=edition, as_of=as_of, store="added")
    if engine == "dask":
        from greenfin.engine import dask_engine

        return dask_engine.run(source, output=output, options=options, scheduler=scheduler)
    return partitioned.run_local(source, output=output, options=options)


def analyse_import(
    session: Session,
    actor: Actor,
    import_id: int,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    edition: str = "green-finance-2025",
    data_dir: Path | None = None,
) -> AnalysisOut:
    """Run the loan-book pipeline on an import's validated Parquet; keep the per-loan result,
    upsert its :class:`LoanBookAnalysis` (a re-run replaces it) and append a ledger record.

    ``engine`` is ``local`` (Polars in this process) or ``dask`` (``scheduler`` address, or a
    LocalCluster when None); both give the same result."""
    if engine not in ENGINES:
        raise InvalidInput.on("engine", f"must be one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise InvalidInput.on("scheduler", "a scheduler address needs engine=dask")
    from greenfin.taxonomy import editions

    known = editions()
    if edition not in known or not known[edition].has_data:
        usable = ", ".join(e for e, ed in known.items() if ed.has_data)
        raise InvalidInput.on("edition", f"unknown or without data; one of {usable}")
    book = _visible_import(session, actor, import_id, write=True)
    bank = session.get(Organisation, book.bank_organisation_id)
    assert bank is not None
    root = _data_dir(data_dir)
    source = root / book.parquet_path
    if not source.is_file():
        raise NotFound(f"the stored book of import {import_id} is missing ({book.parquet_path})")
    record = session.execute(
        select(LoanBookAnalysis).where(LoanBookAnalysis.import_id == book.id)
    ).scalar_one_or_none()
    previous = record.result_path if record is not None else None
    folder = Path("analyses") / str(bank.id) / book.as_of.isoformat()
    relative = folder / f"import-{book.id}-{uuid.uuid4().hex[:12]}"
    result = _run(
        source, root / relative, engine=engine, scheduler=scheduler, edition=edition,
        as_of=book.as_of,
    )  # fmt: skip
    _cleanup_on_outcome(session, new=root / relative, old=root / previous if previous else None)
    if result.rows != book.rows:  # the stored book changed under us: refuse, keep nothing
        raise InvalidInput.on("import_id", f"stored book has {result.rows} rows, not {book.rows}")
    totals = result.summary
    if record is None:
        record = LoanBookAnalysis(import_id=book.id)
        session.add(record)
    stored = {"accept": list(pipeline.DEFAULT_ACCEPT), "summary": totals.model_dump()}
    record.engine, record.edition, record.result_path = engine, edition, str(relative)
    record.summary_json = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    record.analysed_by_user_id = actor.user_id
    record.created_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session, actor, "loanbook.analysed", "loan_book_import", book.id,
        {"analysis": record.id, "bank": bank.id, "as_of": book.as_of, "engine": engine,
         "edition": edition, "rows": totals.loans, "result": str(relative),
         "replaced": previous, "green_balance_fen_platform": totals.green_balance_fen_platform,
         "green_balance_fen_bank": totals.green_balance_fen_bank,
         "disagreements": totals.disagreements,
         "cerf_eligible_balance_fen": totals.cerf_eligible_balance_fen},
    )  # fmt: skip
    session.refresh(record)
    return _out(record, book, bank)


_PENDING = "loan_analysis_files"  # session.info key: [(new file, replaced file or None)]


def _on_commit(session: Session) -> None:
    for new, old in session.info.pop(_PENDING, []):
        if old is not None and old != new:
            partitioned.remove_result(old)


def _on_rollback(session: Session) -> None:
    for new, _old in session.info.pop(_PENDING, []):
        partitioned.remove_result(new)


def _cleanup_on_outcome(session: Session, new: Path, old: Path | None) -> None:
    """When the transaction ends: on commit delete the replaced result, on rollback the new one
    (results are directories of Parquet parts; a single file is handled too)."""
    if not event.contains(session, "after_commit", _on_commit):
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_rollback", _on_rollback)
    session.info.setdefault(_PENDING, []).append((new, old))


def get_analysis(session: Session, principal: Actor, import_id: int) -> AnalysisOut:
    """The analysis of an import with its summary; 404 when not analysed or not visible."""
    book = _visible_import(session, principal, import_id, write=False)
    record = session.execute(
        select(LoanBookAnalysis).where(LoanBookAnalysis.import_id == book.id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(f"loan-book import {import_id} has not been analysed")
    bank = session.get(Organisation, book.bank_organisation_id)
    assert bank is not None
    return _out(record, book, bank)


def analysis_loans(
    session: Session, principal: Actor, import_id: int, *, data_dir: Path | None = None
) -> pl.DataFrame:
    """The per-loan result of one analysed import (for download)."""
    book = _visible_import(session, principal, import_id, write=False)
    record = session.execute(
        select(LoanBookAnalysis).where(LoanBookAnalysis.import_id == book.id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(f"loan-book import {import_id} has not been analysed")
    path = _data_dir(data_dir) / record.result_path
    if not path.exists():
        raise NotFound(f"the result of import {import_id} is missing")
    return partitioned.read_result(path, book=_data_dir(data_dir) / book.parquet_path).collect()


def results_frame(
    session: Session,
    principal: Actor,
    *,
    bank_organisation_id: int | None = None,
    as_of: date | None = None,
    data_dir: Path | None = None,
    columns: list[str] | None = None,
) -> pl.DataFrame:
    """Stacked per-loan results of the latest analysed import per (bank, as_of) visible to the
    caller: a bank its own, regulators and admins every bank's.

    Every column of :func:`greenfin.banking.pipeline.result_schema` (or only ``columns``), with
    ``bank`` set to the bank's registered name (consistent across dates, so
    :mod:`greenfin.banking.statistics` computes q/q and y/y growth), ``as_of`` the import's
    reporting date, plus ``bank_organisation_id`` and ``import_id`` (Int64). Filters:
    ``bank_organisation_id`` (a bank asking for another bank gets 404), ``as_of``. No analysed
    import → an empty frame with the same columns.
    """
    if _is_principal(principal) and principal.role not in READERS:
        raise Forbidden(f"role {principal.role.value} may not read loan-book analyses")
    if _is_principal(principal) and principal.role is Role.BANK:
        if bank_organisation_id not in (None, principal.organisation_id):
            raise NotFound(f"bank {bank_organisation_id} not found")
        bank_organisation_id = principal.organisation_id
    stmt = (
        select(LoanBookImport, LoanBookAnalysis, Organisation)
        .join(LoanBookAnalysis, LoanBookAnalysis.import_id == LoanBookImport.id)
        .join(Organisation, Organisation.id == LoanBookImport.bank_organisation_id)
        .order_by(LoanBookImport.bank_organisation_id, LoanBookImport.as_of, LoanBookImport.id)
    )
    if bank_organisation_id is not None:
        stmt = stmt.where(LoanBookImport.bank_organisation_id == bank_organisation_id)
    if as_of is not None:
        stmt = stmt.where(LoanBookImport.as_of == as_of)
    latest: dict[tuple[int, date], tuple[LoanBookImport, LoanBookAnalysis, Organisation]] = {}
    for book, analysis, bank in session.execute(stmt):
        latest[(book.bank_organisation_id, book.as_of)] = (book, analysis, bank)  # last id wins
    wanted = list(pipeline.result_schema()) if columns is None else list(columns)
    unknown = [c for c in wanted if c not in pipeline.result_schema()]
    if unknown:
        raise InvalidInput.on("columns", f"unknown result columns {unknown}")
    read = [c for c in wanted if c not in ("bank", "as_of")]
    root = _data_dir(data_dir)
    parts: list[pl.LazyFrame] = []
    for book, analysis, bank in latest.values():
        path = root / analysis.result_path
        if not path.exists():
            raise NotFound(f"the result of import {book.id} is missing")
        parts.append(
            partitioned.read_result(path, read, book=root / book.parquet_path).with_columns(
                pl.lit(bank.name_zh, pl.String).alias("bank"),
                pl.lit(book.as_of, pl.Date).alias("as_of"),
                pl.lit(bank.id, pl.Int64).alias("bank_organisation_id"),
                pl.lit(book.id, pl.Int64).alias("import_id"),
            )
        )
    order = [*wanted, *(c for c in ("bank", "as_of") if c not in wanted)]
    order += ["bank_organisation_id", "import_id"]
    if not parts:
        schema: dict[str, Any] = {c: pipeline.result_schema()[c] for c in order[:-2]}
        return pl.DataFrame(
            schema={**schema, "bank_organisation_id": pl.Int64, "import_id": pl.Int64}
        )
    return pl.concat([p.select(order) for p in parts], how="vertical").collect()


# ---------------------------------------------------------------------------------------------
# Batch runs without the database (``greenfin loans pipeline``)


def run_pipeline_file(
    source: Path,
    output: Path,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    edition: str = "green-finance-2025",
    as_of: date | None = None,
    rows_per_partition: int | None = None,
) -> BookSummary:
    """Validate a raw loan book (CSV/XLSX/Parquet file, or a directory of Parquet partitions),
    run the pipeline, write the per-loan result to ``output`` (Parquet) and return its totals.

    All or nothing: a book with any bad row raises :class:`~greenfin.services.loans.
    LoanBookRejected` with every problem (global row and field) and writes nothing. The Dask
    engine validates and analyses partition by partition on the cluster and needs Parquet input.
    """
    from greenfin.banking import loanbook
    from greenfin.engine import tables
    from greenfin.services.loans import LoanBookRejected
    from greenfin.services.tabular import read_user_table

    if engine not in ENGINES:
        raise InvalidInput.on("engine", f"must be one of {', '.join(ENGINES)}")
    if output.suffix.lower() != ".parquet":
        raise InvalidInput.on("out", "the result is written as Parquet: name it *.parquet")
    if not source.exists():
        raise InvalidInput.on("file", f"{source}: not found")
    is_parquet = source.is_dir() or source.suffix.lower() == ".parquet"
    if engine == "dask" and not is_parquet:
        raise InvalidInput.on("file", "the Dask engine reads Parquet (a file or a directory)")
    options = RunOptions(edition=edition, as_of=as_of, validate=True)
    rows = rows_per_partition or partitioned.DEFAULT_ROWS_PER_PARTITION
    try:
        if not is_parquet:  # CSV / XLSX: read and validated whole, then one partition
            frame = read_user_table(source.read_bytes(), source.name).frame
            result = pipeline.analyse(loanbook.validate(frame, as_of=as_of), edition=edition,
                                      as_of=as_of)  # fmt: skip
            partitioned.write_parquet_atomic(result, output)
            return pipeline.summary(result)
        parts_dir = output.parent / f".{output.name}.{uuid.uuid4().hex[:8]}.parts"
        if engine == "dask":
            from greenfin.engine import dask_engine

            run = dask_engine.run(source, output=parts_dir, options=options, scheduler=scheduler,
                                  rows_per_partition=rows)  # fmt: skip
        else:
            run = partitioned.run_local(source, output=parts_dir, options=options,
                                        rows_per_partition=rows)  # fmt: skip
    except FileNotFoundError as exc:
        raise InvalidInput.on("file", str(exc)) from None
    except loanbook.LoanBookError as exc:
        raise LoanBookRejected(
            f"{source.name}: {exc}",
            [FieldProblem(p.field, p.message, p.row) for p in exc.first(200)],
            exc.csv_bytes(),
        ) from None
    except tables.TableError as exc:
        raise InvalidInput.on("file", str(exc)) from None
    except pl.exceptions.PolarsError as exc:
        raise InvalidInput.on("file", f"{source.name}: cannot be read as Parquet: {exc}") from None
    try:  # one file out of the parts, streamed (memory stays bounded)
        partitioned.concat_parts(parts_dir, output)
    finally:
        partitioned.remove_result(parts_dir)
    return run.summary
