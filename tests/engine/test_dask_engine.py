"""The Dask engine gives exactly the local pipeline's result, whatever the partitioning."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest

from greenfin.banking import loanbook as lb
from greenfin.banking import pipeline
from greenfin.engine import dask_engine
from tests.banking.test_loanbook import GOOD, OTHER

PURPOSES = [
    ("屋顶分布式光伏电站建设", "4416"),
    ("风电场建设及运营", "4415"),
    ("公共充电站建设，新增直流充电桩20台", "5443"),
    ("既有公共建筑节能改造，改造面积3万平方米", "4790"),
    ("污水处理厂提标改造工程", "4620"),
    ("生活垃圾焚烧发电项目，日处理800吨", "7820"),
    ("补充流动资金", "5171"),
    ("商品房开发项目", "7010"),
    ("森林抚育及储备林建设", "0220"),
]
AS_OF = date(2026, 9, 30)


def raw_book(rows: int, seed: int = 5) -> pl.DataFrame:
    rng = random.Random(seed)
    data = []
    for i in range(rows):
        purpose, code = rng.choice(PURPOSES)
        tagged = rng.random() < 0.4
        data.append({
            "loan_id": f"L{i:05d}", "bank": rng.choice(["甲银行", "乙银行"]),
            "borrower_uscc": rng.choice([GOOD, OTHER]), "borrower_name": "示例企业",
            "industry_code": code, "purpose": purpose,
            "outstanding_cny": f"{rng.randint(1, 10_000_000) / 100:.2f}",
            "original_cny": "200000", "rate_pct": "3.1", "originated_on": "2024-03-01",
            "matures_on": "2028-03-01", "status": rng.choice(["正常", "正常", "关注", "次级"]),
            "collateral_type": "", "credit_or_secured": "信用",
            "project_id": "P1" if i % 7 == 0 else "",
            "project_total_investment_cny": "1000000" if i % 7 == 0 else "",
            "bank_green_tag": "是" if tagged else rng.choice(["否", ""]),
            "bank_catalogue_code": rng.choice(["4.2.2", "4.2.1", "3.2.2", ""]) if tagged else "",
            "bank_catalogue_edition": "", "district": rng.choice(["通州区", "朝阳区", "110108"]),
            "in_city_sub_centre": "",
            "cerf_area": "清洁能源" if i % 5 == 0 else "",
            "cerf_sub_area": "太阳能利用" if i % 5 == 0 else "",
            "project_annual_reduction_tco2e": "120.5" if i % 7 == 0 else "",
        })  # fmt: skip
    return pl.DataFrame(data)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with dask_engine.cluster(n_workers=2, threads_per_worker=1, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def book() -> pl.DataFrame:
    return raw_book(240)


def test_dask_equals_local_on_a_validated_book(client, book, tmp_path):
    validated = lb.validate(book, as_of=AS_OF)
    path = tmp_path / "validated.parquet"
    validated.write_parquet(path)
    local = pipeline.analyse(validated, as_of=AS_OF)
    for rows in (37, 100, 1000):
        parts = dask_engine.partitions(path, rows)
        assert len(parts) == -(-240 // rows)
        remote = dask_engine.analyse(path, as_of=AS_OF, client=client, rows_per_partition=rows)
        assert remote.equals(local), rows
        key = ["bank", "loan_id"]
        assert remote.sort(key).equals(local.sort(key))
    assert local["tag_comparison"].n_unique() >= 4  # the book exercises the comparison
    assert local["cerf_eligible"].sum() > 0 and local["loan_annual_reduction_tco2e"].count() > 0


def test_dask_validates_raw_partitions_with_global_rows(client, book, tmp_path):
    raw_dir = tmp_path / "raw"
    dask_engine.write_partitioned(book, raw_dir, rows_per_file=80)
    assert len(dask_engine.parquet_files(raw_dir)) == 3
    remote = dask_engine.analyse(raw_dir, as_of=AS_OF, validate=True, client=client)
    local = pipeline.analyse(lb.validate(book, as_of=AS_OF), as_of=AS_OF)
    assert remote.equals(local)

    bad = book.with_columns(
        pl.when(pl.int_range(pl.len()) == 239)
        .then(pl.lit("-5"))
        .otherwise(pl.col("outstanding_cny"))
        .alias("outstanding_cny"),
        pl.when(pl.int_range(pl.len()) == 10)
        .then(pl.lit("良好"))
        .otherwise(pl.col("status"))
        .alias("status"),
    )
    bad_dir = tmp_path / "bad"
    dask_engine.write_partitioned(bad, bad_dir, rows_per_file=80)
    with pytest.raises(lb.LoanBookError) as info:
        dask_engine.analyse(bad_dir, validate=True, client=client, rows_per_partition=50)
    assert [(p.row, p.field) for p in info.value.first()] == [
        (11, "status"),
        (240, "outstanding_cny"),
    ]


def test_duplicate_loan_ids_across_partitions_are_refused(client, book, tmp_path):
    dup = book.with_columns(
        pl.when(pl.int_range(pl.len()) == 200)
        .then(pl.col("loan_id").first())
        .otherwise(pl.col("loan_id"))
        .alias("loan_id"),
        pl.lit("甲银行").alias("bank"),
    )
    directory = tmp_path / "dup"
    dask_engine.write_partitioned(dup, directory, rows_per_file=100)
    with pytest.raises(lb.LoanBookError) as info:
        dask_engine.analyse(directory, validate=True, client=client)
    (problem,) = info.value.first()
    assert (problem.row, problem.field) == (201, "loan_id")
    assert "first in row 1" in problem.message
    # within one partition validate finds it too, and its "first in row" is made global
    with pytest.raises(lb.LoanBookError) as inner:
        dask_engine.analyse(
            directory, validate=True, client=client, rows_per_partition=30
        )  # rows 181-210 in one partition: the duplicate's first row is in another
    assert [(p.row, p.field) for p in inner.value.first()] == [(201, "loan_id")]
    same_part = dup.with_columns(
        pl.when(pl.int_range(pl.len()) == 205)
        .then(pl.col("loan_id").gather(201))
        .otherwise(pl.col("loan_id"))
        .alias("loan_id"),
    )
    other = tmp_path / "dup2"
    dask_engine.write_partitioned(same_part, other, rows_per_file=100)
    with pytest.raises(lb.LoanBookError) as local_dup:
        dask_engine.analyse(other, validate=True, client=client)
    messages = {p.row: p.message for p in local_dup.value.first()}
    assert "first in row 202" in messages[206]


def test_unvalidated_partitions_are_refused(client, book, tmp_path):
    path = tmp_path / "raw.parquet"
    book.write_parquet(path)
    with pytest.raises(pipeline.PipelineInputError):
        dask_engine.analyse(path, client=client)


def test_scheduler_address_is_used(book, tmp_path):
    from dask.distributed import LocalCluster

    validated = lb.validate(book.head(30))
    path = tmp_path / "v.parquet"
    validated.write_parquet(path)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = dask_engine.analyse(path, scheduler=cluster.scheduler_address)
    assert remote.equals(pipeline.analyse(validated))


def test_worker_processes_give_the_same_result(book, tmp_path):
    """Real worker processes: results and rejections travel pickled between processes."""
    raw_dir = tmp_path / "raw"
    dask_engine.write_partitioned(book, raw_dir, rows_per_file=120)
    bad_dir = tmp_path / "bad"
    dask_engine.write_partitioned(
        book.with_columns(pl.lit("良好").alias("status")).head(130), bad_dir, rows_per_file=120
    )
    with dask_engine.cluster(n_workers=2, threads_per_worker=1, processes=True) as client:
        remote = dask_engine.analyse(raw_dir, as_of=AS_OF, validate=True, client=client)
        with pytest.raises(lb.LoanBookError) as info:
            dask_engine.analyse(bad_dir, validate=True, client=client)
    assert remote.equals(pipeline.analyse(lb.validate(book, as_of=AS_OF), as_of=AS_OF))
    assert info.value.total == 130 and info.value.first()[-1].row == 130


# --- the local engine: same per-partition plan, in this process ------------------------------


def test_local_engine_equals_whole_book_and_writes_atomically(book, tmp_path, monkeypatch):
    from greenfin.engine import partitioned

    validated = lb.validate(book, as_of=AS_OF)
    path = tmp_path / "validated.parquet"
    validated.write_parquet(path)
    whole = pipeline.analyse(validated, as_of=AS_OF)
    screened_rows: list[int] = []
    real = pipeline.screen_purposes

    def counting(frame, edition=pipeline.DEFAULT_EDITION):
        screened_rows.append(frame.height)
        return real(frame, edition)

    monkeypatch.setattr(pipeline, "screen_purposes", counting)
    out = tmp_path / "result"
    options = partitioned.RunOptions(as_of=AS_OF, keep_columns=("loan_id", "green_code"))
    run = partitioned.run_local(path, output=out, options=options, rows_per_partition=50)
    assert run.rows == 240 and len(run.parts) == 5 and run.path == out
    assert partitioned.read_result(out).collect().equals(whole)
    assert run.kept.equals(whole.select("loan_id", "green_code"))
    expected = pipeline.summary(whole).model_dump()
    for key, value in run.summary.model_dump().items():
        assert value == (
            pytest.approx(expected[key]) if isinstance(value, float) else expected[key]
        )
    # each distinct purpose screened once across the five partitions (the cache)
    assert sum(screened_rows) == whole.select("purpose", "industry_code").n_unique()

    bad = tmp_path / "raw"
    dask_engine.write_partitioned(
        book.with_columns(pl.lit("-1").alias("outstanding_cny")), bad, rows_per_file=100
    )
    with pytest.raises(lb.LoanBookError) as info:
        partitioned.run_local(bad, output=tmp_path / "never", options=partitioned.RunOptions(
            validate=True))  # fmt: skip
    assert info.value.total == 240
    assert not (tmp_path / "never").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]  # no staging left


def test_store_none_keeps_only_the_summary_and_kept_columns(book, tmp_path):
    from greenfin.engine import partitioned

    raw = tmp_path / "raw"
    dask_engine.write_partitioned(book, raw, rows_per_file=100)
    options = partitioned.RunOptions(
        as_of=AS_OF, validate=True, store="none", keep_columns=("loan_id", "tag_comparison")
    )
    run = partitioned.run_local(raw, options=options, rows_per_partition=60)
    whole = pipeline.analyse(lb.validate(book, as_of=AS_OF), as_of=AS_OF)
    assert run.frame is None and run.parts == [] and run.rows == 240
    assert run.kept.equals(whole.select("loan_id", "tag_comparison"))
    assert run.summary.tag_comparison == pipeline.summary(whole).tag_comparison
    with pytest.raises(ValueError, match="validated book"):
        partitioned.RunOptions(validate=True, store="added")
