from collections import Counter

from greenfin import reference
from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy import load_catalogue
from greenfin.taxonomy.crosswalk import links_between


def test_every_2025_item_is_linked_or_marked_none_for_both_older_editions():
    rows = cached_rows("crosswalk_catalogues.csv")
    finest = {i.code for i in load_catalogue().finest()}
    for target in ("bond-2021", "industry-2019"):
        covered = {
            r["from_code"]
            for r in rows
            if r["from_edition"] == "green-finance-2025" and r["to_edition"] == target
        }
        assert covered == finest, target
    assert {r["match"] for r in rows} <= {"exact", "partial", "none"}


def test_linked_codes_exist():
    for r in cached_rows("crosswalk_catalogues.csv"):
        assert r["from_code"] in load_catalogue(r["from_edition"]).items
        if r["match"] != "none":
            assert r["to_code"] in load_catalogue(r["to_edition"]).items


def test_same_name_links_are_exact_where_names_are_identical():
    links = links_between("green-finance-2025", "bond-2021")
    assert ("3.2.2.2", 1.0) in links["4.2.2"]  # 太阳能利用设施建设和运营 in both


def test_eu_crosswalk_never_claims_cgt_membership():
    rows = cached_rows("crosswalk_eu.csv")
    assert rows
    assert {r["cgt_status"] for r in rows} <= {"likely_in_cgt", "not_assessed", ""}
    eu_refs = {r["reference"] for r in cached_rows("eu_taxonomy_activities.csv")}
    assert all(r["eu_activity_ref"] in eu_refs for r in rows if r["eu_activity_ref"])


def test_gbt4754_divisions_map_to_nace():
    rows = cached_rows("crosswalk_gbt4754_nace.csv")
    divisions = {c.code for c in reference.industry_codes().values() if c.level == 2}
    assert {r["gbt4754_division"] for r in rows} == divisions
    assert Counter(r["match"] for r in rows).keys() <= {"exact", "partial"}
