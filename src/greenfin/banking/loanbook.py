"""Bank loan books: the documented schema, all-or-nothing validation, content hash, XLSX template.

The schema is data, not code: ``reference/data/banking/loanbook_schema.csv`` lists every column
with its type, whether it is required, its allowed values, Chinese and English descriptions and
its source. :func:`validate` checks a whole frame in vectorised Polars and either returns the
typed, normalised book or raises :class:`LoanBookError` carrying **every** problem with its
1-based data row (the header is row 0) and field. Nothing is half-accepted: one bad row at the end
of ten million fails the whole book.

Money is read in CNY (yuan, at most two decimals) and carried as exact integer fen
(``outstanding_fen``, ``original_fen``, ``project_total_investment_fen``), so sums are exact.

Reused, not rewritten: the GB 32100 alphabet and weights from :mod:`greenfin.identity.uscc`
(applied here column-wise over the distinct codes, no Python loop per row), Beijing districts and
GB/T 4754-2017 codes from :mod:`greenfin.reference`, catalogue items from
:mod:`greenfin.taxonomy`.

References
----------
.. [1] GB 32100-2015 法人和其他组织统一社会信用代码编码规则.
.. [2] 中国银监会《贷款风险分类指引》(银监发〔2007〕54号) and 《商业银行金融资产风险分类办法》
   (2023): five categories 正常 / 关注 / 次级 / 可疑 / 损失, the last three non-performing.
.. [3] greenfin issue 5 (loan-book fields); /work/shared/reference/methods.md §10.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa
import xlsxwriter

from greenfin import reference
from greenfin.identity import uscc
from greenfin.reference import data_text
from greenfin.taxonomy import DEFAULT_EDITION, editions, load_catalogue

SCHEMA_FILE = "loanbook_schema.csv"
STATUSES: tuple[str, ...] = ("正常", "关注", "次级", "可疑", "损失")
NON_PERFORMING: tuple[str, ...] = ("次级", "可疑", "损失")
CREDIT, SECURED = "信用", "担保"
DATA_SHEET, HELP_SHEET = "贷款明细", "填写说明"
MONEY_COLUMNS: dict[str, str] = {
    "outstanding_cny": "outstanding_fen",
    "original_cny": "original_fen",
    "project_total_investment_cny": "project_total_investment_fen",
}
FEN_PER_CNY = 100
MAX_RATE_PCT = 100.0
_TRUE = ("是", "true", "t", "yes", "y", "1")
_FALSE = ("否", "false", "f", "no", "n", "0")
_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)
}
_USCC_SHAPE = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
_USCC_CHARS = r"^[0-9A-HJ-NP-RTUW-Y]*$"


# ---------------------------------------------------------------------------------------------
# Schema


@dataclass(frozen=True)
class SchemaColumn:
    """One documented loan-book column (a row of ``loanbook_schema.csv``)."""

    column: str
    type: str
    required: bool
    allowed_values: tuple[str, ...]
    description_zh: str
    description_en: str
    source: str
    edition: str


def _schema_text() -> str:
    return data_text("banking", SCHEMA_FILE)


@cache
def schema() -> tuple[SchemaColumn, ...]:
    """The documented loan-book columns, in template order."""
    out = []
    for r in csv.DictReader(io.StringIO(_schema_text(), newline="")):
        enum = r["type"] in ("enum", "bool")
        out.append(
            SchemaColumn(
                column=r["column"],
                type=r["type"],
                required=r["required"] == "true",
                allowed_values=tuple(r["allowed_values"].split(";")) if enum else (),
                description_zh=r["description_zh"],
                description_en=r["description_en"],
                source=r["source"],
                edition=r["edition"],
            )
        )
    return tuple(out)


def columns() -> tuple[str, ...]:
    return tuple(c.column for c in schema())


def required_columns() -> tuple[str, ...]:
    return tuple(c.column for c in schema() if c.required)


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    """One problem: 1-based data ``row`` (None for a file-level problem), ``field``, message."""

    row: int | None
    field: str
    message: str


PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "field": pl.String(),
    "value": pl.String(),
    "message": pl.String(),
}


class LoanBookError(ValueError):
    """The book was rejected. ``problems`` holds every problem (columns ``row``, ``field``,
    ``value``, ``message``; ``row`` is 1-based, null for file-level problems) sorted by row and
    schema field order; ``total`` is their number."""

    def __init__(self, problems: pl.DataFrame, total: int) -> None:
        self.problems = problems
        self.total = total
        shown = "; ".join(
            (f"row {p.row} " if p.row is not None else "") + f"{p.field}: {p.message}"
            for p in self.first(5)
        )
        super().__init__(f"{total} problem(s): {shown}")

    def first(self, limit: int = 200) -> list[Problem]:
        """The first ``limit`` problems as :class:`Problem` values (for a page or an API answer)."""
        return [
            Problem(row, field, message)
            for row, field, message in self.problems.head(limit)
            .select("row", "field", "message")
            .iter_rows()
        ]

    def csv_bytes(self) -> bytes:
        """Every problem as UTF-8 CSV with a BOM (Excel opens it): the downloadable error file."""
        return "\ufeff".encode() + self.problems.write_csv().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Vectorised 统一社会信用代码 check


def _uscc_normalise(expr: pl.Expr) -> pl.Expr:
    """Column-wise :func:`greenfin.identity.uscc.normalise`: strip blanks, fold full-width
    letters and digits, upper-case."""
    return (
        expr.cast(pl.String)
        .str.replace_all(r"[\s\u3000]", "")
        .str.replace_many(_FULL_WIDTH)
        .str.to_uppercase()
    )


@cache
def _uscc_lookup() -> tuple[np.ndarray, np.ndarray]:
    lut = np.zeros(256, dtype=np.int32)
    for value, ch in enumerate(uscc.ALPHABET):
        lut[ord(ch)] = value
    return lut, np.array(uscc.WEIGHTS, dtype=np.int32)


def _uscc_expected(codes: pl.Series) -> np.ndarray:
    """GB 32100 check values (0-30) for codes already known to match the 18-character shape.

    The codes' bytes are viewed as an (n, 18) array and the weighted sum is taken one character
    position at a time: 17 vector operations, no loop per row."""
    if codes.len() == 0:
        return np.zeros(0, dtype=np.int32)
    arr = codes.cast(pl.Binary).to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_binary())
    start, stop = arr.offset, arr.offset + len(arr) + 1
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[start:stop]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    columns = np.ascontiguousarray(data.reshape(-1, 18).T)
    lut, weights = _uscc_lookup()
    total = np.zeros(len(codes), dtype=np.int32)
    for i in range(17):
        total += lut[columns[i]] * weights[i]
    expected = (31 - total % 31) % 31
    return np.where(expected == lut[columns[17]], -1, expected)  # -1: the check character is right


def invalid_uscc(codes: pl.Series) -> pl.DataFrame:
    """The distinct invalid codes among ``codes`` (already normalised), with the reason each is
    invalid: a frame with columns ``code`` and ``reason``.

    The same rules as :func:`greenfin.identity.uscc.validate`: length 18, the 31-character
    alphabet, a numeric GB/T 2260 division in characters 3-8, the GB 32100 check character.
    """
    distinct = codes.drop_nulls().unique().cast(pl.String)
    shape_ok = distinct.str.contains(_USCC_SHAPE)
    good = distinct.filter(shape_ok)
    expected = _uscc_expected(good)
    wrong = expected >= 0
    alphabet = np.array(list(uscc.ALPHABET))
    checked = pl.DataFrame(
        {
            "code": good.filter(pl.Series(wrong, dtype=pl.Boolean)),
            "expected": pl.Series(alphabet[expected[wrong]], dtype=pl.String),
        }
    ).select(
        "code", pl.format("check character should be '{}' / 校验码错误", "expected").alias("reason")
    )
    length = pl.col("code").str.len_chars()
    malformed = pl.DataFrame({"code": distinct.filter(~shape_ok)}).select(
        "code",
        pl.when(length != 18)
        .then(pl.format("must have 18 characters, got {} / 应为18位", length))
        .when(~pl.col("code").str.contains(_USCC_CHARS))
        .then(pl.lit("contains a character outside the GB 32100 alphabet / 含非法字符"))
        .otherwise(pl.lit("characters 3-8 must be a GB/T 2260 division code / 行政区划码应为数字"))
        .alias("reason"),
    )
    return pl.concat([malformed, checked])


def uscc_reasons(codes: pl.Series) -> pl.Series:
    """Per row: why the (normalised) code is not a valid 统一社会信用代码, or null when valid."""
    reasons = invalid_uscc(codes)
    return (
        codes.cast(pl.String)
        .to_frame("code")
        .join(reasons, on="code", how="left", maintain_order="left")
        .get_column("reason")
        .alias(codes.name)
    )


# ---------------------------------------------------------------------------------------------
# Parsing: a fast expression over the raw column, and a slow one (stripped, lenient) applied
# only to the rows the fast one could not read


def _text(c: str) -> pl.Expr:
    """Stripped string, empty → null."""
    s = pl.col(c).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s).alias(c)


def _slow_number(c: str) -> pl.Expr:
    return (
        _text(c).str.replace_all(",", "").str.replace_all("，", "").cast(pl.Float64, strict=False)
    )


def _slow_date(c: str) -> pl.Expr:
    s = _text(c).str.replace(r"[ T]00:00(:00(\.0+)?)?$", "")
    return pl.coalesce(
        s.str.to_date("%Y-%m-%d", strict=False), s.str.to_date("%Y/%m/%d", strict=False)
    )


_BOOL_WORDS = dict.fromkeys(_TRUE, True) | dict.fromkeys(_FALSE, False)


@cache
def _district_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for d in reference.districts():
        for key in (d.code, d.name_zh, d.name_zh.removesuffix("区"), d.name_en.lower()):
            keys[key.lower()] = d.code
    return keys


@cache
def _district_exact_keys() -> dict[str, str]:
    out = dict(_district_keys())
    out.update({d.name_en: d.code for d in reference.districts()})
    return out


@cache
def _sub_centre_districts() -> tuple[str, ...]:
    return tuple(d.code for d in reference.districts() if d.has_city_sub_centre)


@cache
def _industry_sections() -> dict[str, str]:
    return {code: item.section for code, item in reference.industry_codes().items()}


@cache
def _catalogue_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(``edition|code`` keys of known items, editions that have no data to check against)."""
    keys: list[str] = []
    unchecked: list[str] = []
    for edition_id, edition in editions().items():
        if not edition.has_data:
            unchecked.append(edition_id)
            continue
        keys += [f"{edition_id}|{code}" for code in load_catalogue(edition_id).items]
    return tuple(keys), tuple(unchecked)


def _fast_and_slow(spec: SchemaColumn, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(fast, slow) expressions producing the typed value of column ``spec.column``.

    The fast one reads clean input (no surrounding blanks, canonical spelling) in one cheap pass;
    it yields null where it cannot read a given value, and only those rows go through the slow
    one. Both yield null for a value that is not readable at all."""
    c = spec.column
    raw = pl.col(c)
    if spec.type in ("money", "number"):
        fast = raw.cast(pl.Float64, strict=False)
        return fast, _slow_number(c) if dtype == pl.String else fast
    if spec.type == "date":
        if dtype == pl.Date:
            return raw, raw
        if isinstance(dtype, pl.Datetime):
            return raw.dt.date(), raw.dt.date()
        return raw.cast(pl.String).str.to_date("%Y-%m-%d", strict=False), _slow_date(c)
    if spec.type == "bool":
        if dtype == pl.Boolean:
            return raw, raw
        text = raw.cast(pl.String)
        fast = pl.when(text == "是").then(True).when(text == "否").then(False)
        slow = (
            _text(c)
            .str.to_lowercase()
            .replace_strict(_BOOL_WORDS, default=None, return_dtype=pl.Boolean)
        )
        return fast, slow
    text = raw.cast(pl.String)
    if spec.type == "district":
        fast = text.replace_strict(_district_exact_keys(), default=None, return_dtype=pl.String)
        slow = _text(c).str.to_lowercase().replace_strict(_district_keys(), default=None)
        return fast, slow
    if spec.type == "enum":
        return pl.when(text.is_in(list(spec.allowed_values))).then(text), _text(c)
    if spec.type == "gbt4754":
        codes = list(_industry_sections())
        return pl.when(text.is_in(codes)).then(text), _text(c).str.to_uppercase()
    if spec.type == "uscc":
        return pl.when(text.str.contains(_USCC_SHAPE)).then(text), _uscc_normalise(_text(c))
    # free text and identifiers: kept as given; blank (empty or white space only) → null
    blank = text.str.contains(r"^\s*$")
    return pl.when(~blank).then(text), pl.lit(None, dtype=pl.String)


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class _Rule:
    field: str
    bad: pl.Series  # one Boolean per row
    message: pl.Expr  # evaluated on the bad rows only (raw columns + typed ``__t_<column>``)


def _t(c: str) -> pl.Expr:
    return pl.col(f"__t_{c}")


def validate(
    frame: pl.DataFrame,
    *,
    banks: Collection[str] | None = None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """Check a loan book against the documented schema; return it typed and normalised.

    Parameters
    ----------
    frame : pl.DataFrame
        One row per loan, columns named as in ``loanbook_schema.csv`` (strings as read from CSV or
        XLSX, or typed as read from Parquet). Extra columns are kept unchanged.
    banks : collection of str, optional
        Banks known to the platform; a ``bank`` outside it is a problem ("unknown bank").
    as_of : date, optional
        Reporting date; a loan originated after it is a problem.

    Returns
    -------
    pl.DataFrame
        Same rows in the same order: coded values normalised (``borrower_uscc`` folded to
        upper-case ASCII, ``district`` as its GB/T 2260 code, enumerations and industry codes
        stripped), ``outstanding_fen`` / ``original_fen`` / ``project_total_investment_fen`` as
        Int64 fen (replacing the ``*_cny`` columns), dates as Date, ``bank_green_tag`` and
        ``in_city_sub_centre`` as Boolean, ``bank_catalogue_edition`` filled with the default
        edition where a code is given, ``industry_section`` (GB/T 4754 门类) added; free text and
        identifiers as given, blanks as null. Optional columns absent from the input are added as
        nulls.

    Raises
    ------
    LoanBookError
        With every problem (1-based row and field), when there is at least one.

    Notes
    -----
    Each column is read by one cheap expression over the raw values (all columns in one parallel
    pass); only rows it cannot read go through a lenient reader (blanks stripped, other spellings
    and date formats), so clean books pay for one pass. The check character of every
    统一社会信用代码 is computed column-wise (see :func:`invalid_uscc`), and duplicate loan ids are
    found through 64-bit hashes, confirmed exactly on the colliding rows only.
    """
    n = frame.height
    file_problems = [
        (None, c, None, "required column is missing / 缺少必填列")
        for c in required_columns()
        if c not in frame.columns
    ]
    if n == 0:
        file_problems.append((None, "file", None, "the book has no loans / 文件没有数据行"))
    present = {c.column: c for c in schema() if c.column in frame.columns}

    # 1. One parallel pass: fast typed values and "a value was given" per column.
    fast_exprs: list[pl.Expr] = []
    for name, spec in present.items():
        dtype = frame.schema[name]
        fast, _slow = _fast_and_slow(spec, dtype)
        given = pl.col(name).is_not_null()
        if dtype == pl.String:
            given = given & (pl.col(name).str.len_bytes() > 0)
        fast_exprs += [fast.alias(f"__t_{name}"), given.alias(f"__g_{name}")]
    if "loan_id" in present:
        fast_exprs.append(pl.col("loan_id").cast(pl.String).hash(seed=7).alias("__hash"))
    first = frame.select(fast_exprs) if fast_exprs else pl.DataFrame()

    # 2. The lenient reader, on the rows the fast one could not read.
    typed: dict[str, pl.Series] = {}
    given: dict[str, pl.Series] = {}
    retried: dict[str, pl.Series | None] = {}  # rows read by the lenient reader, if any
    for name, spec in present.items():
        value, has = first.get_column(f"__t_{name}"), first.get_column(f"__g_{name}")
        retry = value.is_null() & has
        retried[name] = retry if retry.any() else None
        if retried[name] is not None:
            _fast, slow = _fast_and_slow(spec, frame.schema[name])
            idx = retry.arg_true()
            redo = frame.filter(retry).select(slow.alias("v"), _text(name).is_null().alias("b"))
            value = value.clone().scatter(idx, redo.get_column("v").cast(value.dtype))
            blank_idx = idx.filter(redo.get_column("b"))
            if blank_idx.len():
                has = has.clone().scatter(blank_idx, False)
        typed[name], given[name] = value, has

    rules: list[_Rule] = []

    def rule(field: str, bad: pl.Series, message: str | pl.Expr) -> None:
        bad = bad.fill_null(False)
        if bad.any():
            rules.append(
                _Rule(field, bad, pl.lit(message) if isinstance(message, str) else message)
            )

    for name, spec in present.items():
        value, has = typed[name], given[name]
        if spec.required:
            rule(name, ~has, "missing value / 缺少取值")
        unreadable = has & value.is_null()
        if spec.type in ("money", "number"):
            rule(name, unreadable | (has & ~value.is_finite()), "not a number / 不是数字")
            ok = value.is_finite().fill_null(False)
            if spec.type == "number":
                rule(
                    name,
                    ok & ((value < 0) | (value > MAX_RATE_PCT)),
                    f"rate must be a percentage in 0–{MAX_RATE_PCT:g} / 利率应在0–100（%）之间",
                )
                continue
            if name == "outstanding_cny":
                rule(name, ok & (value < 0), "negative balance / 余额为负")
            else:
                rule(name, ok & (value <= 0), "must be greater than zero / 应大于0")
            cents = value * FEN_PER_CNY
            tolerance = 1e-6 + cents.abs() * 1e-15
            rule(
                name,
                ok & ((cents - cents.round(0)).abs() > tolerance),
                "more than two decimal places / 金额最多两位小数",
            )
        elif spec.type == "date":
            rule(name, unreadable, "not a date (YYYY-MM-DD) / 日期格式应为YYYY-MM-DD")
        elif spec.type == "bool":
            rule(name, unreadable, "must be 是 or 否 / 应填是或否")
        elif retried[name] is None and spec.type in ("enum", "district", "gbt4754"):
            continue  # every value was read by the fast reader, which accepts only valid codes
        elif spec.type == "enum" and name == "status":
            statuses = "/".join(STATUSES)
            rule(
                name,
                has & ~value.is_in(STATUSES),
                f"status must be one of {statuses} / 五级分类取值错误",
            )
        elif spec.type == "enum":
            allowed = "/".join(spec.allowed_values)
            rule(
                name,
                has & ~value.is_in(list(spec.allowed_values)),
                pl.format(f"'{{}}' is not one of {allowed} / 取值不在允许范围", _t(name)),
            )
        elif spec.type == "district":
            rule(
                name, unreadable, pl.format("unknown district '{}' / 不是北京市辖区", pl.col(name))
            )
        elif spec.type == "gbt4754":
            rule(
                name,
                has & ~value.is_in(list(_industry_sections())),
                pl.format("'{}' is not a GB/T 4754-2017 code / 行业代码不存在", _t(name)),
            )

    uscc_problems = pl.DataFrame(schema=PROBLEM_SCHEMA)
    if "borrower_uscc" in present:
        uscc_problems = _uscc_problems(frame, typed["borrower_uscc"], retried["borrower_uscc"])

    if {"originated_on", "matures_on"} <= present.keys():
        rule(
            "matures_on",
            typed["matures_on"] < typed["originated_on"],
            pl.format(
                "maturity {} is before origination {} / 到期日早于发放日",
                _t("matures_on"),
                _t("originated_on"),
            ),
        )
    if as_of is not None and "originated_on" in present:
        rule(
            "originated_on",
            typed["originated_on"] > as_of,
            f"originated after the as-of date {as_of.isoformat()} / 发放日晚于报告日",
        )
    if banks is not None and "bank" in present:
        rule(
            "bank",
            typed["bank"].is_not_null() & ~typed["bank"].is_in(list(banks)),
            pl.format("unknown bank '{}' / 银行不存在", _t("bank")),
        )
    if "loan_id" in present:
        duplicate, first_row = _duplicates(first.get_column("__hash"), typed, present)
        if duplicate is not None:
            rules.append(
                _Rule(
                    "loan_id",
                    duplicate,
                    pl.format(
                        "duplicate loan_id '{}' (first in row {}) / 贷款编号重复",
                        _t("loan_id"),
                        pl.col("__first_row"),
                    ),
                )
            )
            typed["__first_row"] = first_row
    if "credit_or_secured" in present and "collateral_type" in present:
        rule(
            "collateral_type",
            (typed["credit_or_secured"] == CREDIT) & typed["collateral_type"].is_not_null(),
            "a 信用 (credit) loan has no collateral / 信用贷款不应填写担保方式",
        )
    if "in_city_sub_centre" in present and "district" in present:
        rule(
            "in_city_sub_centre",
            typed["in_city_sub_centre"].fill_null(False)
            & typed["district"].is_not_null()
            & ~typed["district"].is_in(_sub_centre_districts()),
            "the city sub-centre lies in 通州区 only / 城市副中心仅位于通州区",
        )
    if "bank_catalogue_code" in present and typed["bank_catalogue_code"].is_not_null().any():
        code = typed["bank_catalogue_code"]
        edition = (
            typed["bank_catalogue_edition"].fill_null(DEFAULT_EDITION)
            if "bank_catalogue_edition" in present
            else pl.Series([DEFAULT_EDITION]).extend_constant(DEFAULT_EDITION, n - 1)
        )
        typed["bank_catalogue_edition"] = (
            pl.DataFrame({"c": code, "e": edition})
            .select(pl.when(pl.col("c").is_not_null()).then(pl.col("e")))
            .to_series()
        )
        known, unchecked = _catalogue_keys()
        checkable = edition.is_in([e for e in editions() if e not in unchecked])
        keys = pl.DataFrame({"c": code, "e": edition}).select(
            pl.concat_str("e", pl.lit("|"), "c").is_in(known)
        )
        rule(
            "bank_catalogue_code",
            code.is_not_null() & checkable & ~keys.to_series(),
            pl.format(
                "'{}' is not an item of {} / 目录编码不存在",
                _t("bank_catalogue_code"),
                pl.col("__t_bank_catalogue_edition").fill_null(DEFAULT_EDITION),
            ),
        )
        if "bank_green_tag" in present:
            rule(
                "bank_catalogue_code",
                code.is_not_null() & (typed["bank_green_tag"] == False),  # noqa: E712
                "a catalogue code is given but bank_green_tag is 否 / 已填目录编码但标记为非绿色",
            )

    if file_problems or rules or uscc_problems.height:
        _raise(frame, typed, rules, uscc_problems, file_problems)
    return _output(frame, typed, present)


def _uscc_problems(
    frame: pl.DataFrame, codes: pl.Series, retried: pl.Series | None
) -> pl.DataFrame:
    """Rows whose (normalised) 统一社会信用代码 is invalid, with the reason. Rows the fast reader
    read already have the right shape; only ``retried`` rows are matched against it again."""
    if retried is None:
        shaped = codes.is_not_null()
    else:
        shaped = codes.is_not_null() & ~retried
        shaped = shaped.scatter(
            retried.arg_true(), codes.filter(retried).str.contains(_USCC_SHAPE).fill_null(False)
        )
    if shaped.all():
        expected = _uscc_expected(codes)
    else:
        expected = np.full(codes.len(), -1, dtype=np.int32)
        expected[shaped.to_numpy()] = _uscc_expected(codes.filter(shaped))
    wrong_check = pl.Series(expected >= 0) & shaped
    misshapen = codes.is_not_null() & ~shaped
    bad = wrong_check | misshapen
    if not bad.any():
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    reasons = invalid_uscc(codes.filter(bad))
    return (
        pl.DataFrame(
            {
                "row": bad.arg_true().cast(pl.Int64) + 1,
                "value": frame.get_column("borrower_uscc").cast(pl.String).filter(bad),
                "code": codes.filter(bad),
            }
        )
        .join(reasons, on="code", how="left", maintain_order="left")
        .select(
            "row",
            pl.lit("borrower_uscc").alias("field"),
            "value",
            pl.col("reason").alias("message"),
        )
    )


def _duplicates(
    hashes: pl.Series, typed: dict[str, pl.Series], present: Collection[str]
) -> tuple[pl.Series | None, pl.Series | None]:
    """(later occurrences of a (bank, loan_id) pair, first row of each pair) or (None, None).

    Equal keys have equal 64-bit hashes of ``loan_id``; when no hash repeats (one pass) there is
    no duplicate. Otherwise the rows sharing a hash are compared exactly."""
    if hashes.n_unique() == hashes.len():
        return None, None
    candidates = hashes.is_duplicated()
    keys = [k for k in ("bank", "loan_id") if k in present]
    sub = pl.DataFrame(
        {
            "row": candidates.arg_true().cast(pl.Int64) + 1,
            **{k: typed[k].filter(candidates) for k in keys},
        }
    ).select(
        "row",
        (pl.col("loan_id").is_not_null() & ~pl.struct(keys).is_first_distinct()).alias("dup"),
        pl.col("row").min().over(keys).alias("first"),
    )
    duplicate = pl.Series([False]).extend_constant(False, hashes.len() - 1)
    first_row = pl.Series([None], dtype=pl.Int64).extend_constant(None, hashes.len() - 1)
    hit = sub.filter("dup")
    if hit.height == 0:
        return None, None
    idx = hit.get_column("row") - 1
    return duplicate.scatter(idx, True), first_row.scatter(idx, hit.get_column("first"))


def _output(
    frame: pl.DataFrame, typed: dict[str, pl.Series], present: Collection[str]
) -> pl.DataFrame:
    n = frame.height
    types: dict[str, pl.DataType] = {
        "bank_green_tag": pl.Boolean(),
        "in_city_sub_centre": pl.Boolean(),
        "rate_pct": pl.Float64(),
        "originated_on": pl.Date(),
        "matures_on": pl.Date(),
    }
    out: dict[str, pl.Series] = {}
    for spec in schema():
        name = spec.column
        if name in MONEY_COLUMNS:
            fen_name = MONEY_COLUMNS[name]
            if name in present:
                out[fen_name] = (typed[name] * FEN_PER_CNY).round(0).cast(pl.Int64).alias(fen_name)
            else:
                out[fen_name] = pl.Series(fen_name, [None], pl.Int64).extend_constant(None, n - 1)
            continue
        if name in typed:
            out[name] = typed[name].alias(name)
        else:
            dtype = types.get(name, pl.String())
            out[name] = pl.Series(name, [None], dtype).extend_constant(None, n - 1)
    code = out["industry_code"]
    out["industry_section"] = code.replace_strict(
        _industry_sections(), default=None, return_dtype=pl.String
    ).alias("industry_section")
    ordered = [c for c in columns() if c not in MONEY_COLUMNS]
    ordered += [*MONEY_COLUMNS.values(), "industry_section"]
    extras = [frame.get_column(c) for c in frame.columns if c not in present]
    return pl.DataFrame([out[c] for c in ordered] + extras)


def _raise(
    frame: pl.DataFrame,
    typed: dict[str, pl.Series],
    rules: list[_Rule],
    uscc_problems: pl.DataFrame,
    file_problems: list[tuple[int | None, str, str | None, str]],
) -> None:
    parts = [pl.DataFrame(file_problems, schema=PROBLEM_SCHEMA, orient="row"), uscc_problems]
    if rules:
        context = frame.with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("__row"),
            *[
                s.alias(f"__t_{k}") if not k.startswith("__") else s.alias(k)
                for k, s in typed.items()
            ],
        )
        for r in rules:
            parts.append(
                context.filter(r.bad).select(
                    pl.col("__row").alias("row"),
                    pl.lit(r.field).alias("field"),
                    pl.col(r.field).cast(pl.String).alias("value"),
                    r.message.cast(pl.String).alias("message"),
                )
            )
    order = {name: i for i, name in enumerate(("file", *columns()))}
    problems = (
        pl.concat(parts, how="vertical")
        .with_columns(pl.col("field").replace_strict(order, default=len(order)).alias("__order"))
        .sort(["row", "__order"], nulls_last=False, maintain_order=True)
        .drop("__order")
    )
    raise LoanBookError(problems, problems.height)


# ---------------------------------------------------------------------------------------------
# Idempotent imports and the template


def content_hash(data: bytes) -> str:
    """SHA-256 of an uploaded file's bytes (hex): the same file imported twice is recognised."""
    return hashlib.sha256(data).hexdigest()


HELP: tuple[str, ...] = (
    "本模板用于报送银行贷款明细（贷款台账），每行一笔贷款（借据）；第一行为列名，请勿修改或删除。",
    "金额单位为元，最多两位小数；日期格式为 YYYY-MM-DD；利率为年利率（%）。",
    "贷款五级分类填写：正常、关注、次级、可疑、损失（次级、可疑、损失计入不良）。",
    "借款人统一社会信用代码为18位，系统按 GB 32100-2015 校验码规则逐行校验。",
    "行业代码按《国民经济行业分类》（GB/T 4754-2017）填写，建议填写4位小类代码。",
    "所在区填写北京市辖区名称或行政区划代码；城市副中心仅限通州区。",
    "信用贷款的“担保方式”留空；银行自认定绿色贷款的，填写“是”及目录条目编码。",
    "整份文件校验通过后才会导入；任何一行有误，系统列出全部错误（行号、字段），不导入任何数据。",
    "同一文件重复上传按内容哈希识别，不会重复导入。",
)


def template_bytes() -> bytes:
    """The XLSX template: a 贷款明细 sheet (column names, drop-downs for enumerated columns, a
    note on each header) and a 填写说明 sheet documenting every column from the schema file."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    data = book.add_worksheet(DATA_SHEET)
    text = book.add_format({"num_format": "@"})
    for col, spec in enumerate(schema()):
        data.write(0, col, spec.column, bold)
        data.write_comment(0, col, f"{spec.description_zh}\n{spec.description_en}")
        data.set_column(col, col, 18, text if spec.type not in ("money", "number") else None)
        if spec.allowed_values:
            data.data_validation(
                1, col, 1_048_575, col, {"validate": "list", "source": list(spec.allowed_values)}
            )
    data.freeze_panes(1, 0)
    help_sheet = book.add_worksheet(HELP_SHEET)
    row = 0
    for line in HELP:
        help_sheet.write(row, 0, line)
        row += 1
    row += 1
    titles = ("列名 column", "是否必填", "类型", "允许取值", "说明", "description", "依据 source")
    help_sheet.write_row(row, 0, titles, bold)
    for spec in schema():
        row += 1
        help_sheet.write_row(
            row,
            0,
            (
                spec.column,
                "必填" if spec.required else "选填",
                spec.type,
                "、".join(spec.allowed_values) or _allowed_hint(spec),
                spec.description_zh,
                spec.description_en,
                spec.source,
            ),
            wrap,
        )
    help_sheet.set_column(0, 0, 28)
    help_sheet.set_column(1, 3, 14)
    help_sheet.set_column(4, 6, 48)
    book.close()
    return buffer.getvalue()


def _allowed_hint(spec: SchemaColumn) -> str:
    hints = {
        "money": "≥ 0" if spec.column == "outstanding_cny" else "> 0",
        "number": f"0–{MAX_RATE_PCT:g}",
        "date": "YYYY-MM-DD",
        "uscc": "18位",
        "gbt4754": "GB/T 4754-2017",
        "district": "北京市16区",
    }
    return hints.get(spec.type, "")


def template_csv_bytes() -> bytes:
    """The CSV template: the header line only, UTF-8 with BOM."""
    return ("\ufeff" + ",".join(columns()) + "\n").encode("utf-8")
