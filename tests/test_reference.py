from collections import Counter

from greenfin import reference


def test_sixteen_districts_and_only_tongzhou_holds_the_city_sub_centre():
    districts = reference.districts()
    assert len(districts) == 16
    assert len({d.code for d in districts}) == 16
    assert [d.name_zh for d in districts if d.has_city_sub_centre] == ["通州区"]
    assert all(d.code.startswith("1101") for d in districts)


def test_find_district_by_code_and_names():
    for key in ("110112", "通州区", "通州", "Tongzhou", "tongzhou"):
        assert reference.find_district(key).code == "110112"
    assert reference.find_district("浦东新区") is None


def test_gbt4754_structure_counts():
    levels = Counter(code.level for code in reference.industry_codes().values())
    # 20 门类 / 97 大类 / 473 中类; 小类 count of the transcription (see reference/data/SOURCES.md)
    assert levels[1] == 20
    assert levels[2] == 97
    assert levels[3] == 473
    assert levels[4] == 1381


def test_every_reference_row_has_source_and_edition():
    for d in reference.districts():
        assert d.source and d.edition
    for code in reference.industry_codes().values():
        assert code.source and code.edition
    codes = reference.industry_codes()
    assert codes["4416"].name_zh == "太阳能发电"
    assert codes["4416"].parent_code == "441"


def test_provenance_lists_files():
    files = {p["file"]: p for p in reference.provenance()}
    assert files["beijing_districts.csv"]["rows"] == 16
