"""Rebuild greenfin's catalogue files from the shared research copies, adding provenance columns.

    python scripts/reference/build_taxonomy.py ../shared/data/taxonomies

Output (src/greenfin/reference/data/taxonomy/): green_finance_2025_items.csv,
green_finance_2025_activities.csv, bond_2021_items.csv, industry_2019_items.csv and
eu_taxonomy_activities.csv. Curated files in the same folder
(editions, crosswalks, technical criteria, keywords) are edited by hand and not touched here.
"""

import sys
from pathlib import Path

import polars as pl

OUT = Path("src/greenfin/reference/data/taxonomy")

DOC_2025 = (
    "《绿色金融支持项目目录（2025年版）》（中国人民银行 金融监管总局 中国证监会 银发〔2025〕132号）"
)
DOC_2021 = "《绿色债券支持项目目录（2021年版）》（中国人民银行 发展改革委 证监会 银发〔2021〕96号）"
DOC_2019 = "《绿色产业指导目录（2019年版）》及其解释说明（国家发展改革委等 发改环资〔2019〕293号）"
DOC_EU = "Commission Delegated Regulation (EU) 2021/2139 (Climate Delegated Act), Annex I"

VIA_2025 = "table extraction in github STARTERLanG/GreenCreditAI@6aec0307"
VIA_2021 = "github Nikeandocean/carbon-accounting-specs@0b419c73 bond-catalog.yaml"
VIA_2019 = "text of the official 解释说明 PDF (github shangfr/GreenCreditPolicy)"
VIA_EU = "EU Taxonomy Compass data v1.0.4 (github yetian/another-eu-taxonomy-compass@552a4f0e)"


def read(src: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(src / name, infer_schema=False).fill_null("")


def provenance(frame: pl.DataFrame, document: str, via: str, edition: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(f"{document}; {via}").alias("source"), pl.lit(edition).alias("edition")
    )


def main(src_dir: str) -> None:
    src = Path(src_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    gf = read(src, "green_finance_endorsed_projects_catalogue_2025.csv").select(
        "code", "level", "parent_code", "name_zh", "gbt4754_codes", "ghg_marks",
        "bond2021_code_same_name", "industry2019_code_same_name", "note",
    )  # fmt: skip
    provenance(gf, DOC_2025, VIA_2025, "green-finance-2025").write_csv(
        OUT / "green_finance_2025_items.csv"
    )
    activities = read(src, "green_finance_endorsed_projects_catalogue_2025_criteria.csv").select(
        "item_code", "seq", "gbt4754_code", "gbt4754_name_zh", "gbt4754_check", "criteria_zh",
        "remark_zh", "ghg_mark", "ghg_contribution", "criteria_status",
        "criteria_probably_shared_with_seq", "note",
    )  # fmt: skip
    provenance(activities, DOC_2025, VIA_2025, "green-finance-2025").write_csv(
        OUT / "green_finance_2025_activities.csv"
    )
    bond = read(src, "green_bond_endorsed_projects_catalogue_2021.csv").select(
        "code", "level", "parent_code", "name_zh", "name_en_unofficial", "description_zh",
        "standards_cited", "catalogue2019_code", "text_status", "name_source", "note",
    )  # fmt: skip
    provenance(bond, DOC_2021, VIA_2021, "bond-2021").write_csv(OUT / "bond_2021_items.csv")
    ind = read(src, "green_industry_guidance_catalogue_2019.csv").select(
        "code", "level", "parent_code", "name_zh", "explanation_zh", "standards_cited",
        "source_page", "note",
    )  # fmt: skip
    provenance(ind, DOC_2019, VIA_2019, "industry-2019").write_csv(OUT / "industry_2019_items.csv")
    eu = read(src, "eu_taxonomy_climate_da_activities.csv")
    provenance(eu, DOC_EU, VIA_EU, "eu-climate-da-2021").write_csv(
        OUT / "eu_taxonomy_activities.csv"
    )
    for name in sorted(p.name for p in OUT.glob("*.csv")):
        print(name, pl.read_csv(OUT / name, infer_schema=False).height)


if __name__ == "__main__":
    main(sys.argv[1])
