"""The loan-book pipeline at scale: 10,000,000 loans, validate → screen → tag comparison → CERF →
financed emissions → statistics, end to end.

Target (issue #5): ≤ 30 s on this 2-core machine and ≤ 4 GB peak RSS (local engine). The
synthetic book is generated here from a fixed seed (never stored in git) by a *separate process*
that writes it as Parquet partitions, so the measured process's peak RSS covers reading the book
and the pipeline, not the generator.

The book: 13 banks, 200,000 borrowers (valid 统一社会信用代码), purposes drawn from a pool of
``--distinct`` texts (half the green templates of ``benchmarks/taxonomy_scale.py``, half ordinary
purposes such as 补充流动资金; 25 % of loans draw a green one), so screening costs what the
distinct count costs; banks tag 85 % of the green-template loans and 3 % of the others (80 %
with a catalogue code, some deliberately different), 2 % of loans are classified for CERF
(``cerf_area``/``cerf_sub_area`` + project reduction), 5 % carry project data, every status and
district occurs. Columns typed as a bank's Parquet export would be (dates as
Date, amounts as Float64 yuan); ``--strings`` writes every column as text, as the CSV/XLSX import
path reads it.

Baseline: naive pandas, one Python call per row (``DataFrame.apply(axis=1)``) for validation,
tag comparison, CERF, reduction and financed emissions plus a pandas ``groupby`` for the
statistics, on a 100,000-loan sample; screening row by row (``Screener.screen`` per loan, no
de-duplication) on ``--screen-sample`` loans of that sample, extrapolated to the sample. The
ratio is the extrapolated 10M-row baseline time over the measured engine time; the baseline's
tag comparisons are checked against the engine's on the sample.

    python benchmarks/loanbook_scale.py [--rows 10000000] [--distinct 50000] [--engine local|dask]

Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (this process; with ``--engine dask``
the workers are separate processes and their peaks are reported from psutil samples).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.taxonomy_scale import DISTRICTS as DISTRICT_NAMES  # noqa: E402
from benchmarks.taxonomy_scale import NAMES, purposes  # noqa: E402
from greenfin import reference  # noqa: E402
from greenfin.banking import loanbook, pipeline, statistics  # noqa: E402
from greenfin.engine import partitioned  # noqa: E402
from greenfin.identity import uscc  # noqa: E402

AS_OF = date(2026, 9, 30)
BANKS = [f"示例银行{i:02d}" for i in range(13)]
STATUSES = ["正常", "关注", "次级", "可疑", "损失"]
STATUS_P = [0.955, 0.025, 0.01, 0.006, 0.004]
COLLATERAL = ["抵押", "质押", "保证", "其他"]
BANK_CODES = ["4.2.2", "4.2.1", "4.2", "6.2.1", "3.2.2", "5.2.1", "1.1.1", "6.3.1"]
CERF = [
    ("清洁能源", "太阳能利用"), ("清洁能源", "风力发电"), ("节能环保", "工业领域能效提升"),
    ("节能环保", "节能改造"), ("碳减排技术", "碳捕集、封存与利用"), ("清洁能源", "生物质发电"),
]  # fmt: skip
CHUNK = 1_000_000
# Ordinary (not green) purposes, so that the book looks like a bank's and not like a green
# project list: ~75 % of loans draw from these, ~25 % from the green templates.
ORDINARY = [
    ("{c}补充流动资金{n}万元", "5171"),
    ("{c}采购原材料（钢材）{n}吨", "3311"),
    ("{c}商品房开发项目，总建筑面积{n}万平方米", "7010"),
    ("{c}经营周转，支付供应商货款{n}万元", "5179"),
    ("{c}购置办公楼一处，面积{n}平方米", "7010"),
    ("{c}餐饮门店装修及设备购置（{n}家门店）", "6210"),
    ("{c}国际贸易融资（进口大宗商品第{n}批）", "5162"),
    ("{c}燃煤锅炉购置及安装，蒸发量{n}吨/小时", "3411"),
    ("{c}普通货运车辆购置{n}辆", "5431"),
    ("{c}软件开发项目研发投入{n}万元", "6511"),
    ("{c}汽车4S店库存车融资{n}台", "5261"),
    ("{c}酒店客房改造升级{n}间", "6110"),
]
GREEN_SHARE = 0.25


# ---------------------------------------------------------------------------------------------
# Synthetic book (runs in a child process)


def borrowers(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    divisions = [d.code for d in reference.districts()]
    codes: set[str] = set()
    while len(codes) < n:
        body = f"{rng.randrange(10**8):08d}"
        codes.add(uscc.compose("9", "1", rng.choice(divisions), body))
    ordered = sorted(codes)
    return ordered, [f"示例企业{i:06d}有限公司" for i in range(n)]


def purpose_pool(distinct: int, rng: random.Random) -> pl.DataFrame:
    """``distinct`` purposes: half from the green templates of ``taxonomy_scale``, half ordinary;
    column ``green_template`` says which."""
    green = purposes(distinct // 2, rng).with_columns(
        # taxonomy_scale leaves the code of 补充流动资金 empty; a loan book always has one
        pl.when(pl.col("industry_code") == "").then(pl.lit("5171")).otherwise("industry_code")
        .alias("industry_code"),
        pl.lit(True).alias("green_template"),
    )  # fmt: skip
    seen: dict[str, str] = {}
    while len(seen) < distinct - green.height:
        template, code = rng.choice(ORDINARY)
        company = f"北京{rng.choice(DISTRICT_NAMES)}{rng.choice(NAMES)}{rng.randint(1, 999)}号公司"
        seen.setdefault(template.format(c=company, n=rng.randint(1, 500)), code)
    ordinary = pl.DataFrame(
        {"description": list(seen), "industry_code": list(seen.values()),
         "green_template": [False] * len(seen)}
    )  # fmt: skip
    return pl.concat([green.filter(~pl.col("description").is_in(list(seen))), ordinary])


def book_chunk(
    n: int, offset: int, seed: int, pool: pl.DataFrame, people: tuple[list[str], list[str]]
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    districts = [d.code for d in reference.districts()]
    green_rows = np.flatnonzero(pool["green_template"].to_numpy())
    other_rows = np.flatnonzero(~pool["green_template"].to_numpy())
    from_green = rng.random(n) < GREEN_SHARE
    pick = np.where(
        from_green,
        green_rows[rng.integers(0, len(green_rows), n)],
        other_rows[rng.integers(0, len(other_rows), n)],
    )
    who = rng.integers(0, len(people[0]), n)
    start = np.datetime64("2019-01-01")
    originated = start + rng.integers(0, (np.datetime64(AS_OF) - start).astype(int), n)
    term = rng.integers(180, 365 * 15, n)
    original = np.round(np.exp(rng.normal(13.5, 1.6, n)), 2)
    outstanding = np.round(original * rng.uniform(0.05, 1.0, n), 2)
    credit = rng.random(n) < 0.3
    tagged = rng.random(n) < np.where(from_green, 0.85, 0.03)  # banks tag mostly green purposes
    coded = tagged & (rng.random(n) < 0.8)
    project = rng.random(n) < 0.05
    cerf = project & (rng.random(n) < 0.4)
    district = np.array(districts)[rng.integers(0, len(districts), n)]
    sub_centre = (district == "110112") & (rng.random(n) < 0.5)
    cerf_pick = rng.integers(0, len(CERF), n)
    investment = np.round(original * rng.uniform(1.0, 6.0, n), 2)
    frame = pl.DataFrame(
        {
            "loan_id": pl.int_range(offset, offset + n, eager=True).cast(pl.String),
            "bank": pl.Series(np.array(BANKS)[rng.integers(0, len(BANKS), n)]),
            "borrower_uscc": pl.Series(people[0]).gather(who),
            "borrower_name": pl.Series(people[1]).gather(who),
            "industry_code": pool["industry_code"].gather(pick),
            "purpose": pool["description"].gather(pick),
            "outstanding_cny": outstanding,
            "original_cny": original,
            "rate_pct": np.round(rng.uniform(2.2, 6.5, n), 2),
            "originated_on": originated.astype("datetime64[D]"),
            "matures_on": (originated + term).astype("datetime64[D]"),
            "status": pl.Series(np.array(STATUSES)[rng.choice(5, n, p=STATUS_P)]),
            "collateral_type": pl.Series(np.array(COLLATERAL)[rng.integers(0, 4, n)]),
            "credit_or_secured": pl.Series(np.where(credit, "信用", "担保")),
            "project_id": pl.Series(np.char.add("P", (np.arange(n) + offset).astype(str))),
            "project_total_investment_cny": investment,
            "bank_green_tag": tagged,
            "bank_catalogue_code": pl.Series(np.array(BANK_CODES)[rng.integers(0, 8, n)]),
            "district": pl.Series(district),
            "in_city_sub_centre": sub_centre,
            "cerf_area": pl.Series(np.array([a for a, _ in CERF])[cerf_pick]),
            "cerf_sub_area": pl.Series(np.array([s for _, s in CERF])[cerf_pick]),
            "project_annual_reduction_tco2e": np.round(rng.uniform(10, 50_000, n), 1),
        }
    )
    none = pl.lit(None)
    return frame.with_columns(
        pl.col("loan_id").str.zfill(9).str.replace(r"^", "L"),
        pl.when(pl.lit(pl.Series(credit)))
        .then(none)
        .otherwise("collateral_type")
        .alias("collateral_type"),
        pl.when(pl.lit(pl.Series(project))).then("project_id").otherwise(none).alias("project_id"),
        pl.when(pl.lit(pl.Series(project)))
        .then("project_total_investment_cny")
        .otherwise(none)
        .alias("project_total_investment_cny"),
        pl.when(pl.lit(pl.Series(coded)))
        .then("bank_catalogue_code")
        .otherwise(none)
        .alias("bank_catalogue_code"),
        pl.when(pl.lit(pl.Series(cerf))).then("cerf_area").otherwise(none).alias("cerf_area"),
        pl.when(pl.lit(pl.Series(cerf)))
        .then("cerf_sub_area")
        .otherwise(none)
        .alias("cerf_sub_area"),
        pl.when(pl.lit(pl.Series(cerf)))
        .then("project_annual_reduction_tco2e")
        .otherwise(none)
        .alias("project_annual_reduction_tco2e"),
        pl.col("originated_on").cast(pl.Date),
        pl.col("matures_on").cast(pl.Date),
    )


def generate(directory: Path, rows: int, distinct: int, seed: int, strings: bool) -> None:
    rng = random.Random(seed)
    pool = purpose_pool(distinct, rng)
    people = borrowers(200_000, rng)
    directory.mkdir(parents=True, exist_ok=True)
    for k, offset in enumerate(range(0, rows, CHUNK)):
        chunk = book_chunk(min(CHUNK, rows - offset), offset, seed + k, pool, people)
        if strings:
            chunk = chunk.with_columns(pl.all().cast(pl.String))
        chunk.write_parquet(directory / f"part-{k:05d}.parquet")


# ---------------------------------------------------------------------------------------------
# Measurement


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    """CPU time of this process (all threads), user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stages:
    """Wall time, CPU time and RSS after each stage. CPU time is the figure contention from
    other processes does not inflate; on an idle 2-core machine wall ≥ CPU / 2."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), cpu_seconds()
        yield
        self.rows.append((name, time.perf_counter() - started, cpu_seconds() - cpu, rss_now_mb()))

    def total(self) -> float:
        return sum(r[1] for r in self.rows)

    def total_cpu(self) -> float:
        return sum(r[2] for r in self.rows)

    def report(self) -> None:
        for name, seconds, cpu, rss in self.rows:
            print(f"  {name:<38} {seconds:7.2f} s wall {cpu:7.2f} s CPU   RSS after {rss:7,.0f} MB")


def statistics_tables(result: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {
        "summary": statistics.summary(result),
        "by_use": statistics.by_use(result),
        "by_industry": statistics.by_industry(result),
        "by_district": statistics.by_district(result),
        "by_carbon_benefit": statistics.by_carbon_benefit(result),
    }


class ChildPeaks:
    """Peak RSS of this process's children (the Dask workers), sampled in a thread."""

    def __init__(self) -> None:
        self.mb: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                self.mb[child.pid] = max(self.mb.get(child.pid, 0.0), rss)
            self._stop.wait(0.2)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


STATISTICS_COLUMNS = (
    "bank", "as_of", "outstanding_fen", "status", "credit_or_secured", "industry_code",
    "industry_section", "district", "in_city_sub_centre", "green_code", "green_edition",
)  # fmt: skip


def run_engine(
    engine: str,
    book_dir: Path,
    out: Path,
    stages: Stages,
    rows_per_partition: int,
    overlap: bool = True,
    write: bool = True,
) -> partitioned.RunResult:
    """validate → screen → plan (tags, CERF, reduction, PCAF) → write, partition by partition
    (the service's engines), keeping the statistics columns; then the statistics tables."""
    options = partitioned.RunOptions(
        as_of=AS_OF, validate=True, keep_columns=STATISTICS_COLUMNS,
        store="full" if write else "none",
    )  # fmt: skip
    if engine == "local":
        with stages.stage("local engine: partitions in turn"):
            run = partitioned.run_local(
                book_dir, output=out if write else None, options=options,
                rows_per_partition=rows_per_partition, overlap=overlap,
            )  # fmt: skip
    else:
        from greenfin.engine import dask_engine

        with (
            dask_engine.cluster(n_workers=2, threads_per_worker=1, processes=True) as client,
            ChildPeaks() as peaks,
            stages.stage("dask engine: 2 workers x 1 thread"),
        ):
            run = dask_engine.run(
                book_dir, output=out if write else None, options=options, client=client,
                rows_per_partition=rows_per_partition,
            )  # fmt: skip
        shown = ", ".join(f"{v:,.0f} MB" for v in sorted(peaks.mb.values(), reverse=True))
        print(f"peak RSS of the cluster's processes (psutil, sampled every 0.2 s): {shown}")
    assert run.kept is not None
    with stages.stage("statistics (5 tables)"):
        statistics_tables(run.kept)
    where = "summed over partitions" + (" and both workers" if engine == "dask" else "")
    if engine == "local" and overlap:
        where += "; stages overlap in threads, so these overlap too"
    print(f"inside the partitions ({where}), wall / CPU seconds:")
    for k, v in run.seconds.items():
        print(f"    {k:<10} {v:7.2f} / {run.cpu_seconds[k]:7.2f}")
    return run


# ---------------------------------------------------------------------------------------------
# Naive pandas baseline (one Python call per loan)


def naive_baseline(sample: pl.DataFrame, screen_sample: int) -> tuple[float, float, Any]:
    """Seconds per loan for (row-wise checks + comparisons + statistics) and for row-wise
    screening, and the baseline's frame (pandas)."""
    import pandas as pd

    from greenfin.carbon import cerf
    from greenfin.identity.uscc import validate as uscc_validate
    from greenfin.taxonomy.screening import ScreeningInput, screener

    frame = sample.to_pandas()

    def missing(value: Any) -> bool:
        return value is None or bool(pd.isna(value))

    known_codes = set(reference.industry_codes())
    districts = {d.code for d in reference.districts()}
    edition = "green-finance-2025"
    pairs = set(pipeline._agreeing_pairs(edition).to_list())  # same rule, as a Python set
    engine = screener(edition)

    def check(row: pd.Series) -> bool:
        ok = row["status"] in STATUSES and row["industry_code"] in known_codes
        ok &= row["district"] in districts and float(row["outstanding_cny"]) >= 0
        ok &= row["matures_on"] >= row["originated_on"]
        try:
            uscc_validate(row["borrower_uscc"])
        except ValueError:
            ok = False
        return ok

    def screen(row: pd.Series) -> tuple[str | None, str]:
        result = engine.screen(
            ScreeningInput("1", "", row["purpose"], row["industry_code"] or None), top_k=1
        )
        top = result.candidates[0].code if result.candidates else None
        return top, result.verdict.value

    def compare(row: pd.Series) -> str:
        bank = not missing(row["bank_green_tag"]) and bool(row["bank_green_tag"])
        platform = not missing(row["green_code"])
        code = row["bank_catalogue_code"]
        differs = not missing(code) and f"{edition}|{code}|{row['green_code']}" not in pairs
        if bank and platform:
            return "code_differs" if differs else "agree_green"
        return "bank_only" if bank else ("platform_only" if platform else "agree_not_green")

    def cerf_row(row: pd.Series) -> tuple[Any, Any]:
        if missing(row["cerf_area"]) or missing(row["cerf_sub_area"]):
            return None, None
        day = pd.Timestamp(row["originated_on"]).date()
        verdict = cerf.eligible_area(row["cerf_area"], row["cerf_sub_area"], day)
        reduction = None
        if (
            row["project_annual_reduction_tco2e"] is not None
            and row["project_total_investment_cny"]
            and row["original_cny"] <= row["project_total_investment_cny"]
        ):
            reduction = cerf.loan_annual_reduction(
                row["project_annual_reduction_tco2e"], row["original_cny"] / 10_000,
                row["project_total_investment_cny"] / 10_000,
            )  # fmt: skip
        return verdict.eligible, reduction

    started = time.perf_counter()
    frame["_ok"] = frame.apply(check, axis=1)
    head = frame.head(screen_sample)
    t0 = time.perf_counter()
    screened = head.apply(screen, axis=1, result_type="expand")
    screen_per_row = (time.perf_counter() - t0) / len(head)
    # the rest of the sample reuses the engine's screening (the row-wise call was timed above)
    engine_screen = pipeline.screen_purposes(sample)
    joined = sample.select("purpose", "industry_code").join(
        engine_screen, on=["purpose", "industry_code"], how="left", maintain_order="left"
    )
    green = joined.select(
        pl.when(pl.col("screen_verdict").is_in(list(pipeline.DEFAULT_ACCEPT))).then(
            pl.col("screen_top_code")
        )
    ).to_series()
    assert list(screened[0]) == joined["screen_top_code"].head(screen_sample).to_list()
    frame["green_code"] = green.to_list()
    frame["tag_comparison"] = frame.apply(compare, axis=1)
    frame[["cerf_eligible", "reduction"]] = frame.apply(cerf_row, axis=1, result_type="expand")
    frame["_green_balance"] = frame.apply(
        lambda r: 0.0 if missing(r["green_code"]) else r["outstanding_cny"], axis=1
    )
    frame.groupby(["bank", "industry_code"])["_green_balance"].sum()
    frame.groupby(["bank", "district"])["_green_balance"].sum()
    rest_per_row = (time.perf_counter() - started - screen_per_row * len(head)) / len(frame)
    frame["cerf_eligible"] = (
        frame["cerf_eligible"].astype(object).where(frame["cerf_eligible"].notna(), None)
    )
    return rest_per_row, screen_per_row, frame


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--distinct", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--rows-per-partition", type=int, default=1_000_000)
    parser.add_argument("--strings", action="store_true", help="every column as text")
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--screen-sample", type=int, default=300)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--no-overlap", action="store_true", help="local engine: no background read/write "
        "threads (slower; per-stage times are then exact)",
    )  # fmt: skip
    parser.add_argument(
        "--no-write", action="store_true",
        help="do not persist the per-loan result (summary and statistics only)",
    )  # fmt: skip
    parser.add_argument("--book", type=Path, help="reuse a book generated by --generate-only")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(args.generate_only, args.rows, args.distinct, args.seed, args.strings)
        return

    with tempfile.TemporaryDirectory() as tmp:
        book_dir, out = args.book or Path(tmp) / "book", Path(tmp) / "result"
        started = time.perf_counter()
        if args.book is None:
            subprocess.run(
                [sys.executable, __file__, "--generate-only", str(book_dir), "--rows",
                 str(args.rows), "--distinct", str(args.distinct), "--seed", str(args.seed),
                 *(["--strings"] if args.strings else [])],
                check=True,
            )  # fmt: skip
            size = sum(f.stat().st_size for f in book_dir.iterdir()) / 2**20
            print(f"generated {args.rows:,} loans in {time.perf_counter() - started:.0f} s "
                  f"(child process; {size:,.0f} MB of Parquet)")  # fmt: skip
        from greenfin.taxonomy.screening import screener

        t0 = time.perf_counter()
        screener("green-finance-2025")  # the index is built once per process
        print(f"screening index built in {time.perf_counter() - t0:.1f} s (once per process, "
              "not counted)")  # fmt: skip
        rss_before = rss_now_mb()
        files = sorted(book_dir.glob("*.parquet"))
        stages = Stages()
        run = run_engine(
            args.engine,
            book_dir,
            out,
            stages,
            args.rows_per_partition,
            not args.no_overlap,
            not args.no_write,
        )
        elapsed = stages.total()
        persisted = "not persisted" if args.no_write else "written (Parquet parts, lz4)"
        print(
            f"\nengine={args.engine} rows={args.rows:,} distinct purposes={args.distinct:,} "
            f"columns={'text' if args.strings else 'typed'}; per-loan result {persisted}"
        )
        stages.report()
        print(f"end to end: {elapsed:.1f} s wall ({stages.total_cpu():.1f} s CPU), "
              f"{args.rows / elapsed:,.0f} rows/s, peak RSS {peak_rss_mb():,.0f} MB "
              f"(before {rss_before:,.0f} MB); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if args.engine == "dask":
            print("(the workers are separate processes; their RSS is not in this figure)")
        totals = run.summary
        print("tag comparison:", json.dumps(totals.tag_comparison))
        print(f"platform green {totals.green_balance_fen_platform / 100:,.0f} CNY, bank green "
              f"{totals.green_balance_fen_bank / 100:,.0f} CNY, CERF-eligible "
              f"{totals.cerf_eligible_loans:,} loans, reduction "
              f"{totals.cerf_annual_reduction_tco2e or 0:,.0f} tCO2e/yr")  # fmt: skip
        if args.no_baseline:
            return
        del run
        gc.collect()
        validated = loanbook.validate(pl.read_parquet(files[0]).head(args.sample), as_of=AS_OF)
    engine_sample = pipeline.analyse(validated, as_of=AS_OF)
    sample = validated.with_columns(
        (pl.col(c) / 100).alias(c.replace("_fen", "_cny"))
        for c in ("outstanding_fen", "original_fen", "project_total_investment_fen")
    )
    rest, screen, naive = naive_baseline(sample, args.screen_sample)
    assert (
        naive["tag_comparison"].to_list()
        == engine_sample["tag_comparison"].cast(pl.String).to_list()
    ), "baseline and engine disagree on tag comparison"
    assert naive["cerf_eligible"].to_list() == engine_sample["cerf_eligible"].to_list()
    per_row = rest + screen
    print(f"\nnaive pandas row-wise baseline on {args.sample:,} loans (results checked against the "
          f"engine's): checks+comparison+CERF+statistics {1 / rest:,.0f} rows/s; screening row "
          f"by row {1 / screen:,.1f} rows/s (timed on {args.screen_sample} loans)")  # fmt: skip
    print(f"baseline extrapolated to {args.rows:,} loans: {per_row * args.rows:,.0f} s "
          f"(ratio {per_row * args.rows / elapsed:,.0f}× the engine's {elapsed:.1f} s); without "
          f"screening {rest * args.rows:,.0f} s ({rest * args.rows / elapsed:,.1f}×)")  # fmt: skip


if __name__ == "__main__":
    main()
