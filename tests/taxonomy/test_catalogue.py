from collections import Counter

import pytest

from greenfin.taxonomy import DEFAULT_EDITION, editions, load_catalogue
from greenfin.taxonomy.catalogue import ActivityKind, TaxonomyError


def level_counts(edition):
    return Counter(i.level for i in load_catalogue(edition).items.values())


def test_official_structure_counts():
    # 银发〔2025〕132号: 9 一级 / 38 二级 / 271 三级
    assert level_counts("green-finance-2025") == {1: 9, 2: 38, 3: 271}
    # 发改环资〔2019〕293号: 6 / 30 / 211
    assert level_counts("industry-2019") == {1: 6, 2: 30, 3: 211}
    # 银发〔2021〕96号 as far as the source holds it (see editions.csv: partial)
    assert level_counts("bond-2021") == {1: 6, 2: 25, 3: 47, 4: 203}


def test_default_edition_and_finest_levels():
    assert DEFAULT_EDITION == "green-finance-2025"
    found = editions()
    assert found[DEFAULT_EDITION].is_default
    assert found["bond-2021"].finest_level == 4
    assert found["industry-2024"].status == "not_found"


def test_edition_without_text_is_refused_honestly():
    with pytest.raises(TaxonomyError, match="2024"):
        load_catalogue("industry-2024")
    with pytest.raises(TaxonomyError, match="unknown edition"):
        load_catalogue("bond-2015")


def test_every_item_carries_source_and_edition():
    for edition in ("green-finance-2025", "bond-2021", "industry-2019"):
        for item in load_catalogue(edition).items.values():
            assert item.source and item.edition == edition


def test_2025_items_have_industry_codes_text_and_marks():
    catalogue = load_catalogue()
    finest = catalogue.finest()
    # 11 items (e.g. 9.1.x consumption) list no single GB/T 4754 code in the catalogue ("-")
    assert sum(1 for i in finest if i.gbt4754_codes) == 260
    assert all(i.text_zh for i in finest)
    marks = Counter(i.ghg_mark for i in finest)
    assert marks["√√"] > 50 and marks["√"] > 50
    solar = catalogue.item("4.2.2")
    assert solar.name_zh == "太阳能利用设施建设和运营"
    assert "4416" in solar.gbt4754_codes and solar.ghg_mark == "√√"


def test_bond_2021_gaps_are_marked_not_filled():
    catalogue = load_catalogue("bond-2021")
    level2 = [i for i in catalogue.items.values() if i.level == 2]
    assert all(i.name_zh == "" and i.text_status == "name_missing_in_source" for i in level2)
    assert "名称缺失" in catalogue.path_label("1.1.1.1")


def test_activity_kinds_separate_manufacturing_from_operation():
    catalogue = load_catalogue()
    assert catalogue.item("4.1.2").kind is ActivityKind.MANUFACTURING
    assert catalogue.item("4.2.2").kind is ActivityKind.PROJECT
    assert catalogue.item("8.5.2").kind is ActivityKind.TRADE
    assert catalogue.item("9.1.1").kind is ActivityKind.CONSUMPTION
    assert catalogue.item("7.2.2").kind is ActivityKind.SERVICE
