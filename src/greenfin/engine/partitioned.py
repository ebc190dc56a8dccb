"""Partitioned execution of the loan-book pipeline: one per-partition plan, two engines.

A *partition* is a slice of rows of one Parquet file (:class:`Partition`); a directory of Parquet
files, or one large file, is cut into partitions of at most ``rows_per_partition`` rows. Every
partition goes through the same function, :func:`run_partition` (read → validate or check →
screen → :func:`greenfin.banking.pipeline.plan` → write its part of the result), and
:func:`combine` puts the outcomes together (every problem with its global row, duplicate loan ids
across partitions, the merged summary). The *local* engine (:func:`run_local`) runs the
partitions one after the other in this process; the *Dask* engine
(:mod:`greenfin.engine.dask_engine`) runs them on a cluster. Memory stays bounded by one partition
plus whatever the caller asks to keep (``keep_columns``), so ten million loans fit in a few GB.

Screening is cached by distinct ``(purpose, industry_code)``: a pair screened in one partition is
not screened again in the next (:class:`ScreeningCache`). That changes no result, because a
loan's screening depends on its own purpose and industry code only
(``tests/banking/test_pipeline.py::test_result_per_loan_does_not_depend_on_the_rest_of_the_book``).

The result of a run is a directory of Parquet parts (``part-00000.parquet`` …, in input order),
written under a temporary name and renamed into place when complete: a failed run leaves nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from greenfin.banking import loanbook, pipeline

DEFAULT_ROWS_PER_PARTITION = 1_000_000
PARQUET_COMPRESSION = "lz4"  # about twice as fast as zstd to write, files ~1.5× larger
_DUP_KEYS = ("bank", "loan_id")
_STAGES = ("read", "validate", "screen", "plan", "summary", "write")
STORED_ADDED: tuple[str, ...] = (
    "loan_id",
    *(c for c in pipeline.result_schema() if c not in pipeline.book_schema()),
)
_FIRST_ROW = re.compile(r"first in row (\d+)")


# ---------------------------------------------------------------------------------------------
# Partitions and files


@dataclass(frozen=True)
class Partition:
    """Rows ``[offset, offset + length)`` of the Parquet file ``path``; ``first_row`` is the
    0-based position of its first row in the whole input (for error messages); ``index`` its
    position among the partitions."""

    path: str
    offset: int
    length: int
    first_row: int
    index: int = 0

    def read(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        lf = pl.scan_parquet(self.path)
        if columns is not None:
            lf = lf.select(columns)
        return lf.slice(self.offset, self.length).collect()


def parquet_files(source: str | Path) -> list[Path]:
    """A Parquet file, or the ``*.parquet`` files of a directory in name order."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".parquet" and p.is_file())
        if not files:
            raise FileNotFoundError(f"{path}: no .parquet files")
        return files
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found")
    return [path]


def partitions(
    source: str | Path | Sequence[str | Path],
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
) -> list[Partition]:
    """Cut the input into partitions of at most ``rows_per_partition`` rows (reads only the
    files' row counts)."""
    if rows_per_partition < 1:
        raise ValueError("rows_per_partition must be >= 1")
    if isinstance(source, (str, Path)):
        files = parquet_files(source)
    else:
        files = [f for s in source for f in parquet_files(s)]
    out: list[Partition] = []
    first = 0
    for f in files:
        rows = pl.scan_parquet(f).select(pl.len()).collect().item()
        for offset in range(0, rows, rows_per_partition):
            length = min(rows_per_partition, rows - offset)
            out.append(Partition(str(f.resolve()), offset, length, first + offset, len(out)))
        first += rows
    return out


def write_partitioned(frame: pl.DataFrame, directory: str | Path, rows_per_file: int) -> list[Path]:
    """Write ``frame`` as ``part-00000.parquet`` … of at most ``rows_per_file`` rows each."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, offset in enumerate(range(0, max(frame.height, 1), rows_per_file)):
        path = directory / f"part-{i:05d}.parquet"
        frame.slice(offset, rows_per_file).write_parquet(path, compression=PARQUET_COMPRESSION)
        paths.append(path)
    return paths


def write_parquet_atomic(frame: pl.DataFrame, path: str | Path) -> None:
    """Write one Parquet file through a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        frame.write_parquet(tmp, compression=PARQUET_COMPRESSION)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_result(
    path: str | Path,
    columns: Sequence[str] | None = None,
    *,
    book: str | Path | None = None,
) -> pl.LazyFrame:
    """A result written by a run (a directory of parts, or one Parquet file), lazily, with the
    columns of :func:`greenfin.banking.pipeline.result_schema` in order (or ``columns``).

    A result stored as ``added`` (:class:`RunOptions`) holds only the pipeline's own columns
    plus ``loan_id``; the carried columns come from the validated ``book`` it was computed from
    (same rows, same order), which must then be given."""
    result = pl.scan_parquet(parquet_files(path))
    names = result.collect_schema().names()
    wanted = list(pipeline.result_schema()) if columns is None else list(columns)
    carried = [c for c in wanted if c not in names]
    if carried:
        if book is None:
            raise ValueError(f"{path}: stores the added columns only; give the book to read "
                             f"{carried[:3]}")  # fmt: skip
        source = pl.scan_parquet(parquet_files(book))
        rows = [lf.select(pl.len()).collect().item() for lf in (source, result)]
        if rows[0] != rows[1]:
            raise ValueError(f"{path}: {rows[1]} result rows for a book of {rows[0]}")
        own = [c for c in names if c in wanted]
        result = pl.concat([source.select(carried), result.select(own)], how="horizontal")
    return result.select(wanted)


def remove_result(path: str | Path) -> None:
    """Delete a result (directory of parts or single file); nothing if it is gone."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Screening cache


class ScreeningCache:
    """Screened ``(purpose, industry_code)`` pairs of one edition, so that each distinct pair is
    screened once per process however many partitions it appears in. Bounded: beyond
    ``max_pairs`` it starts again from empty (results never depend on the cache: a pair's
    screening is the same whatever else is screened). Thread-safe (a Dask worker may run
    several tasks in one process)."""

    def __init__(self, edition: str, max_pairs: int = 2_000_000) -> None:
        self.edition = edition
        self.max_pairs = max_pairs
        self.table = self._indexed(
            pipeline.screen_purposes(pl.DataFrame(schema=_KEY_SCHEMA), edition)
        )
        self._lock = threading.Lock()

    def _indexed(self, screened: pl.DataFrame, start: int = 0) -> pl.DataFrame:
        return screened.with_row_index("_i", offset=start)

    def rows(self, book: pl.DataFrame) -> pl.DataFrame:
        """The screening columns (:data:`~greenfin.banking.pipeline.SCREEN_COLUMNS`) of every
        loan of ``book``, in its order: one join of the book's keys against the cache, pairs not
        yet seen screened now (once each)."""
        keys = list(_KEY_SCHEMA)
        book_keys = book.select(keys)
        with self._lock:
            if self.table.height > self.max_pairs:
                self.table = self.table.clear()
            index = self._index(book_keys)
            missing = index.is_null()
            if missing.any():
                new = book_keys.filter(missing).unique()
                fresh = self._indexed(
                    pipeline.screen_purposes(new, self.edition), self.table.height
                )
                self.table = pl.concat([self.table, fresh], how="vertical")
                index = index.scatter(missing.arg_true(), self._index(book_keys.filter(missing)))
            return self.table.select(pipeline.SCREEN_COLUMNS).gather(index)

    def seed(self, screened: pl.DataFrame) -> None:
        """Add already screened pairs (:func:`~greenfin.banking.pipeline.screen_purposes`
        output, e.g. screened elsewhere in parallel) that the cache does not hold yet."""
        keys = list(_KEY_SCHEMA)
        with self._lock:
            new = (
                screened.select(*keys, *pipeline.SCREEN_COLUMNS)
                .unique(keys)
                .join(self.table, on=keys, how="anti")
            )
            if new.height:
                fresh = self._indexed(new, self.table.height)
                self.table = pl.concat([self.table, fresh], how="vertical")

    def _index(self, keys: pl.DataFrame) -> pl.Series:
        joined = keys.join(
            self.table.select(*_KEY_SCHEMA, "_i"), on=list(_KEY_SCHEMA), how="left",
            maintain_order="left",
        )  # fmt: skip
        return joined.get_column("_i")


_KEY_SCHEMA = {"purpose": pl.String, "industry_code": pl.String}


# ---------------------------------------------------------------------------------------------
# One partition


@dataclass(frozen=True)
class RunOptions:
    """What every partition does (plain data: it is sent to Dask workers)."""

    edition: str = pipeline.DEFAULT_EDITION
    as_of: date | None = None
    validate: bool = False  # raw input: validate each partition (else: check it is validated)
    banks: tuple[str, ...] | None = None
    accept: tuple[str, ...] = pipeline.DEFAULT_ACCEPT
    out_dir: str | None = None  # write each part here (else return it)
    keep_columns: tuple[str, ...] | None = None  # result columns returned even when written
    # what a written part holds: "full" (every result column) or "added" (loan_id and the
    # pipeline's own columns; the rest is the validated book's, read back by read_result);
    # "none": the per-loan result is neither written nor returned (summary and kept columns)
    store: str = "full"

    def __post_init__(self) -> None:
        if self.store not in ("full", "added", "none"):
            raise ValueError("store must be 'full', 'added' or 'none'")
        if self.store == "added" and self.validate:
            raise ValueError("store='added' reads the carried columns from a validated book")


@dataclass(frozen=True)
class PartOutcome:
    """What one partition gives back (plain data, picklable)."""

    index: int
    rows: int
    path: str | None = None  # the written part
    frame: pl.DataFrame | None = None  # the result part when not written
    kept: pl.DataFrame | None = None  # ``keep_columns`` of the result part
    summary: pipeline.BookSummary | None = None
    key_hashes: pl.Series | None = None  # hash of (bank, loan_id) per row (validate=True)
    problems: pl.DataFrame | None = None  # rejected partition: its problems, global rows
    total_problems: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage (profiling)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # process CPU time per stage


@dataclass
class Prepared:
    """A partition read (and validated): the first half of :func:`run_partition`."""

    part: Partition
    clock: _Clock
    frame: pl.DataFrame | None = None
    hashes: pl.Series | None = None
    rejected: PartOutcome | None = None


def prepare_partition(part: Partition, options: RunOptions) -> Prepared:
    """Read the partition; validate it (raw input) and hash its keys, or keep it as it is."""
    clock = _Clock()
    frame = part.read()
    clock.lap("read")
    if not options.validate:
        return Prepared(part, clock, frame)
    hashes = frame.select(_key_hash(frame.columns)).to_series()
    try:
        frame = loanbook.validate(frame, banks=options.banks, as_of=options.as_of)
    except loanbook.LoanBookError as exc:
        rejected = PartOutcome(
            part.index, part.length, key_hashes=hashes,
            problems=_shifted(exc.problems, part.first_row), total_problems=exc.total,
            seconds=clock.laps, cpu_seconds=clock.cpu,
        )  # fmt: skip
        return Prepared(part, clock, hashes=hashes, rejected=rejected)
    clock.lap("validate")
    return Prepared(part, clock, frame, hashes)


def finish_partition(
    prepared: Prepared, options: RunOptions, cache: ScreeningCache, *, write: bool = True
) -> tuple[PartOutcome, pl.DataFrame | None]:
    """Screen, plan and summarise a prepared partition; write its part when ``write`` (else
    the caller writes the returned frame to ``PartOutcome.path``)."""
    if prepared.rejected is not None:
        return prepared.rejected, None
    part, clock, frame = prepared.part, prepared.clock, prepared.frame
    assert frame is not None
    prepared.frame = None
    pipeline.check_validated(frame.schema)
    screened = cache.rows(frame)
    clock.lap("screen")
    result = pipeline.plan(
        frame, screened, edition=options.edition, as_of=options.as_of, accept=options.accept
    ).collect()
    del frame
    clock.lap("plan")
    totals = pipeline.summary(result)
    kept = result.select(options.keep_columns) if options.keep_columns else None
    clock.lap("summary")
    if options.store == "none":
        outcome = PartOutcome(part.index, result.height, kept=kept, summary=totals,
                              key_hashes=prepared.hashes, seconds=clock.laps,
                              cpu_seconds=clock.cpu)  # fmt: skip
        return outcome, None
    if options.out_dir is None:
        outcome = PartOutcome(part.index, result.height, frame=result, kept=kept, summary=totals,
                              key_hashes=prepared.hashes, seconds=clock.laps,
                              cpu_seconds=clock.cpu)  # fmt: skip
        return outcome, None
    path = Path(options.out_dir) / f"part-{part.index:05d}.parquet"
    stored = result.select(STORED_ADDED) if options.store == "added" else result
    del result
    if write:
        write_part(stored, path)
        clock.lap("write")
    outcome = PartOutcome(part.index, stored.height, path=str(path), kept=kept, summary=totals,
                          key_hashes=prepared.hashes, seconds=clock.laps,
                          cpu_seconds=clock.cpu)  # fmt: skip
    return outcome, None if write else stored


def write_part(result: pl.DataFrame, path: str | Path) -> None:
    result.write_parquet(path, compression=PARQUET_COMPRESSION)


def run_partition(
    part: Partition, options: RunOptions, cache: ScreeningCache | None = None
) -> PartOutcome:
    """Read, validate (or check), screen, plan and write one partition."""
    prepared = prepare_partition(part, options)
    return finish_partition(prepared, options, cache or ScreeningCache(options.edition))[0]


class _Clock:
    """Wall and process CPU time per stage (CPU time is what contention does not inflate)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name], self.cpu[name] = now - self._last, cpu - self._last_cpu
        self._last, self._last_cpu = now, cpu


def distinct_keys(part: Partition) -> pl.DataFrame:
    """The distinct ``(purpose, industry_code)`` of a partition as written (text)."""
    names = pl.scan_parquet(part.path).collect_schema().names()
    frame = part.read([c for c in _KEY_SCHEMA if c in names])
    return (
        frame.select(
            pl.col(c).cast(pl.String) if c in names else pl.lit(None, pl.String).alias(c)
            for c in _KEY_SCHEMA
        )
        .drop_nulls()
        .unique()
    )


def _key_hash(columns: Sequence[str]) -> pl.Expr:
    keys = [
        pl.col(c).cast(pl.String) if c in columns else pl.lit(None, pl.String).alias(c)
        for c in _DUP_KEYS
    ]
    return pl.struct(keys).hash().alias("h")


def _shifted(problems: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Partition-relative row numbers (also in "first in row N" messages) made global."""
    if not first_row:
        return problems

    def shift(message: str) -> str:
        return _FIRST_ROW.sub(lambda g: f"first in row {int(g.group(1)) + first_row}", message)

    return problems.with_columns(
        pl.col("row") + first_row,
        pl.col("message").map_elements(shift, return_dtype=pl.String),
    )


# ---------------------------------------------------------------------------------------------
# Putting the partitions together


@dataclass
class RunResult:
    """A whole run: rows, merged summary, the result (``frame`` when returned, ``path`` when
    written: a directory of parts), and ``kept`` columns stacked in input order."""

    rows: int
    summary: pipeline.BookSummary
    frame: pl.DataFrame | None = None
    path: Path | None = None
    kept: pl.DataFrame | None = None
    parts: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, summed over partitions
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # the same, process CPU time


def combine(
    parts: Sequence[Partition], outcomes: Sequence[PartOutcome], options: RunOptions
) -> RunResult:
    """Raise every problem (all partitions, plus duplicate loan ids across partitions) or put
    the outcomes together in partition order."""
    outcomes = sorted(outcomes, key=lambda o: o.index)
    problems = [o.problems for o in outcomes if o.problems is not None]
    total = sum(o.total_problems for o in outcomes)
    if options.validate and outcomes:
        duplicates = _duplicates_across(parts, [o.key_hashes for o in outcomes])
        if duplicates.height:
            problems.append(duplicates)
            total += duplicates.height
    if problems:
        found = (
            pl.concat(problems, how="vertical")
            .unique(maintain_order=True)
            .sort("row", nulls_last=False, maintain_order=True)
        )
        raise loanbook.LoanBookError(found, found.height)
    summaries = [o.summary for o in outcomes if o.summary is not None]
    frames = [o.frame for o in outcomes if o.frame is not None]
    kept = [o.kept for o in outcomes if o.kept is not None]
    schema = pipeline.result_schema()
    return RunResult(
        rows=sum(o.rows for o in outcomes),
        summary=pipeline.merge_summaries(summaries),
        frame=(pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema))
        if options.out_dir is None and options.store != "none"
        else None,
        kept=pl.concat(kept, how="vertical") if kept else None,
        parts=[o.path for o in outcomes if o.path is not None],
        seconds={k: sum(o.seconds.get(k, 0.0) for o in outcomes) for k in _STAGES},
        cpu_seconds={k: sum(o.cpu_seconds.get(k, 0.0) for o in outcomes) for k in _STAGES},
    )


def _duplicates_across(
    parts: Sequence[Partition], hashes: Sequence[pl.Series | None]
) -> pl.DataFrame:
    """Every later occurrence of a (bank, loan_id) pair in the whole book, as ``validate``
    reports it within one frame. The 64-bit hashes screen the book; only when two collide are
    the keys read again and compared exactly."""
    present = [h for h in hashes if h is not None]
    empty = pl.DataFrame(schema=loanbook.PROBLEM_SCHEMA)
    if not present:
        return empty
    every = pl.concat(present).rechunk()
    if every.n_unique() == every.len():
        return empty
    # one chunk: Polars 2.1 panicked on a multi-chunk frame in the select below
    keys = pl.concat([_keys(p) for p in parts], how="vertical").rechunk()
    pair = pl.struct(*_DUP_KEYS)
    dup = (
        keys.with_row_index("row", offset=1)
        .with_columns(pl.col("row").cast(pl.Int64))
        .select(
            "row",
            "loan_id",
            (pl.col("loan_id").is_not_null() & ~pair.is_first_distinct()).alias("d"),
            pl.col("row").min().over(*_DUP_KEYS).alias("first"),
        )
        .filter("d")
    )
    return dup.select(
        "row",
        pl.lit("loan_id").alias("field"),
        pl.col("loan_id").alias("value"),
        pl.format(
            "duplicate loan_id '{}' (first in row {}) / 贷款编号重复", "loan_id", "first"
        ).alias("message"),
    )


def _keys(part: Partition) -> pl.DataFrame:
    names = pl.scan_parquet(part.path).collect_schema().names()
    frame = part.read([c for c in _DUP_KEYS if c in names])
    return frame.select(
        pl.col(c).cast(pl.String) if c in names else pl.lit(None, pl.String).alias(c)
        for c in _DUP_KEYS
    )


def refuse_empty(source: str | Path | Sequence[str | Path], options: RunOptions) -> None:
    """A raw input without rows is a problem of its own ("the book has no loans")."""
    if not options.validate:
        return
    files = (
        parquet_files(source)
        if isinstance(source, (str, Path))
        else [f for s in source for f in parquet_files(s)]
    )
    loanbook.validate(pl.scan_parquet(files[0]).head(0).collect(), as_of=options.as_of)


# ---------------------------------------------------------------------------------------------
# The local engine


def staging_dir(target: str | Path) -> Path:
    """A fresh temporary directory beside ``target`` (same file system, so it can be renamed)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir()
    return staging


def publish(staging: Path, target: str | Path) -> Path:
    """Rename a completed staging directory to ``target`` (replacing nothing: it must be new)."""
    target = Path(target)
    os.replace(staging, target)
    return target


def run_local(
    source: str | Path | Sequence[str | Path],
    *,
    output: str | Path | None = None,
    options: RunOptions | None = None,
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
    overlap: bool = True,
) -> RunResult:
    """The local engine: every partition in turn in this process, one screening cache.

    With ``output`` the result is written there as a directory of parts (atomically) and not
    returned; otherwise it is returned as ``RunResult.frame``. With ``overlap`` (default) the
    next partition is read and validated, and the previous one written, in background threads
    while the current one is screened and planned (Polars releases the GIL; screening is mostly
    single-threaded), so both cores stay busy; the results are the same either way. Stage times
    are only meaningful without overlap."""
    options = options or RunOptions()
    parts = partitions(source, rows_per_partition)
    if not parts:
        refuse_empty(source, options)
    staging = staging_dir(output) if output is not None else None
    try:
        run_options = _with_out_dir(options, staging)
        cache = ScreeningCache(options.edition)
        if overlap:
            outcomes = _overlapped(parts, run_options, cache)
        else:
            outcomes = [run_partition(p, run_options, cache) for p in parts]
        result = combine(parts, outcomes, run_options)
        if staging is not None and output is not None:
            result.path = publish(staging, output)
            result.parts = [str(result.path / Path(p).name) for p in result.parts]
        return result
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _overlapped(
    parts: Sequence[Partition], options: RunOptions, cache: ScreeningCache
) -> list[PartOutcome]:
    outcomes: list[PartOutcome] = []
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        writes = []
        upcoming = reader.submit(prepare_partition, parts[0], options) if parts else None
        for k in range(len(parts)):
            assert upcoming is not None
            prepared = upcoming.result()
            if k + 1 < len(parts):
                upcoming = reader.submit(prepare_partition, parts[k + 1], options)
            outcome, frame = finish_partition(prepared, options, cache, write=False)
            if frame is not None and outcome.path is not None:
                writes.append(writer.submit(write_part, frame, outcome.path))
            del frame
            outcomes.append(outcome)
        for done in writes:
            done.result()
    return outcomes


def _with_out_dir(options: RunOptions, staging: Path | None) -> RunOptions:
    if staging is None:
        return options
    return RunOptions(**{**options.__dict__, "out_dir": str(staging)})


def concat_parts(result: str | Path, output: str | Path) -> None:
    """One Parquet file from a result's parts, streamed (bounded memory), written atomically."""
    output = Path(output)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    os.close(fd)
    try:
        read_result(result).sink_parquet(tmp, compression=PARQUET_COMPRESSION)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
