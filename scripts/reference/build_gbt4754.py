"""Rebuild src/greenfin/reference/data/gbt4754_2017.csv from the shared research copy.

Adds the provenance columns greenfin requires on every reference row. Run from the repository root:
    python scripts/reference/build_gbt4754.py ../shared/data/taxonomies/gbt4754_2017.csv
"""

import sys
from pathlib import Path

import polars as pl

SOURCE = (
    "GB/T 4754-2017 国民经济行业分类 (国家统计局); transcribed via github zmshe/capital@0b8f1ae4"
)
EDITION = "GB/T 4754-2017"


def main(src: str) -> None:
    frame = pl.read_csv(src, infer_schema=False).with_columns(
        pl.col("derived").fill_null(""),
        pl.col("description_zh").fill_null(""),
        pl.lit(SOURCE).alias("source"),
        pl.lit(EDITION).alias("edition"),
    )
    out = Path("src/greenfin/reference/data/gbt4754_2017.csv")
    frame.write_csv(out)
    print(f"wrote {frame.height} rows to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
