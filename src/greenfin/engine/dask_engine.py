"""Dask engine: the loan-book pipeline's per-partition plan over partitioned Parquet on a cluster.

Each partition (:class:`~greenfin.engine.partitioned.Partition`, a slice of rows of a Parquet
file) is one task: ``dask.bag.map_partitions`` hands it to a worker, which runs exactly what the
local engine runs in-process, :func:`greenfin.engine.partitioned.run_partition` (Polars inside
the task, no pandas), with a screening cache per worker process. Before that the book's distinct
purposes are screened once, split across the workers, and every worker's cache is seeded with
them (:func:`prescreen`), so screening is neither repeated per worker nor single-threaded. The
outcomes are put together by the same :func:`~greenfin.engine.partitioned.combine`, so the
result is identical to the local engine's and to :func:`greenfin.banking.pipeline.analyse` on
the whole book, row for row (``tests/engine/test_dask_engine.py``): every loan's result depends
on its own row only.

The cluster is an existing scheduler (``scheduler="tcp://host:8786"`` in production; the workers
need greenfin installed and the input and output paths readable and writable under the same
names, e.g. a shared volume) or a :class:`dask.distributed.LocalCluster` started for the job.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from greenfin.banking import pipeline
from greenfin.engine.partitioned import (
    DEFAULT_ROWS_PER_PARTITION,
    Partition,
    PartOutcome,
    RunOptions,
    RunResult,
    ScreeningCache,
    combine,
    distinct_keys,
    parquet_files,
    partitions,
    publish,
    refuse_empty,
    run_partition,
    staging_dir,
    write_parquet_atomic,
    write_partitioned,
)

__all__ = [
    "DEFAULT_ROWS_PER_PARTITION",
    "Partition",
    "analyse",
    "cluster",
    "map_partitions",
    "parquet_files",
    "partitions",
    "run",
    "write_parquet_atomic",
    "write_partitioned",
]

_WORKER_CACHES: dict[str, ScreeningCache] = {}  # per worker process, by edition


@contextmanager
def cluster(
    scheduler: str | None = None,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
) -> Iterator[Any]:
    """A :class:`dask.distributed.Client`: connected to ``scheduler`` when given, else to a
    :class:`~dask.distributed.LocalCluster` of ``n_workers`` × ``threads_per_worker`` started
    for the duration of the block (dashboard on a free port)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            dashboard_address=":0",
        ) as local,
        Client(local) as client,
    ):
        yield client


def _apply(chunk: Sequence[Any], fn: Callable[..., Any], kwargs: dict[str, Any]) -> list[Any]:
    return [fn(item, **kwargs) for item in chunk]


def map_partitions(
    client: Any, parts: Sequence[Any], fn: Callable[..., Any], **kwargs: Any
) -> list[Any]:
    """``fn(part, **kwargs)`` for every part on the cluster (one task each), results in order.
    ``fn`` must be importable by the workers (a module-level function)."""
    import dask.bag as db

    if not parts:
        return []
    bag = db.from_sequence(list(parts), npartitions=len(parts))
    return list(bag.map_partitions(_apply, fn, kwargs).compute(scheduler=client))


def _worker_cache(edition: str) -> ScreeningCache:
    cache = _WORKER_CACHES.get(edition)
    if cache is None:
        cache = _WORKER_CACHES[edition] = ScreeningCache(edition)
    return cache


def run_partition_on_worker(part: Partition, options: RunOptions) -> PartOutcome:
    """The task: :func:`~greenfin.engine.partitioned.run_partition` with this worker's cache."""
    return run_partition(part, options, _worker_cache(options.edition))


def screen_keys(keys: pl.DataFrame, edition: str) -> pl.DataFrame:
    """A task: screen a share of the book's distinct purposes."""
    return pipeline.screen_purposes(keys, edition)


def seed_worker(edition: str, screened: pl.DataFrame) -> int:
    """Run on every worker: put the book's screened purposes into its cache."""
    cache = _worker_cache(edition)
    cache.seed(screened)
    return cache.table.height


def prescreen(client: Any, parts: Sequence[Partition], edition: str) -> int:
    """Screen the book's distinct purposes once, in parallel across the workers, and seed every
    worker's cache with the result, instead of each worker screening every purpose it meets.
    Returns the number of distinct pairs. (Pairs whose text validation changes are screened
    where they are met; results are the same either way.)"""
    keys = pl.concat(map_partitions(client, parts, distinct_keys), how="vertical").unique()
    if keys.is_empty():
        return 0
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = -(-keys.height // (2 * workers))
    chunks = [keys.slice(i, size) for i in range(0, keys.height, size)]
    screened = pl.concat(map_partitions(client, chunks, screen_keys, edition=edition))
    client.run(seed_worker, edition, screened)
    return keys.height


def run(
    source: str | Path | Sequence[str | Path],
    *,
    output: str | Path | None = None,
    options: RunOptions | None = None,
    scheduler: str | None = None,
    client: Any = None,
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
) -> RunResult:
    """The pipeline on the cluster. With ``output`` the workers write the parts of the result
    into a staging directory beside it, renamed to ``output`` once every partition succeeded;
    otherwise the result comes back as ``RunResult.frame``.

    Raises
    ------
    greenfin.banking.loanbook.LoanBookError
        A raw book (``options.validate``) with problems: every partition's, rows global, plus
        duplicate ``(bank, loan_id)`` across partitions. Nothing is written.
    greenfin.banking.pipeline.PipelineInputError
        Partitions that are not a validated book (``options.validate`` false).
    """
    options = options or RunOptions()
    parts = partitions(source, rows_per_partition)
    if not parts:
        refuse_empty(source, options)
    staging = staging_dir(output) if output is not None else None
    if staging is not None:
        options = RunOptions(**{**options.__dict__, "out_dir": str(staging)})
    try:
        if client is None:
            with cluster(scheduler) as own:
                prescreen(own, parts, options.edition)
                outcomes = map_partitions(own, parts, run_partition_on_worker, options=options)
        else:
            prescreen(client, parts, options.edition)
            outcomes = map_partitions(client, parts, run_partition_on_worker, options=options)
        result = combine(parts, outcomes, options)
        if staging is not None and output is not None:
            result.path = publish(staging, output)
            result.parts = [str(result.path / Path(p).name) for p in result.parts]
        return result
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def analyse(
    source: str | Path | Sequence[str | Path],
    *,
    edition: str = pipeline.DEFAULT_EDITION,
    as_of: date | None = None,
    validate: bool = False,
    banks: Sequence[str] | None = None,
    accept: Sequence[str] = pipeline.DEFAULT_ACCEPT,
    scheduler: str | None = None,
    client: Any = None,
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
) -> pl.DataFrame:
    """The per-loan result frame of :func:`run` (for books that fit in memory), rows in input
    order: identical to :func:`greenfin.banking.pipeline.analyse` on the whole book."""
    options = RunOptions(
        edition=edition, as_of=as_of, validate=validate,
        banks=tuple(banks) if banks is not None else None, accept=tuple(accept),
    )  # fmt: skip
    result = run(
        source, options=options, scheduler=scheduler, client=client,
        rows_per_partition=rows_per_partition,
    )  # fmt: skip
    assert result.frame is not None
    return result.frame
