"""The reviewer's reclassification of a screened project (library.assessment.reclassified)."""

import pytest

from greenfin.library import assessment
from greenfin.taxonomy.screening import ScreeningInput, screener


def screened(text: str) -> dict:
    result = screener(assessment.EDITION).screen(ScreeningInput("1", "测试项目", text), top_k=3)
    return assessment.screening_from_result(result)


def test_the_reviewers_item_leads_and_the_machines_record_is_kept():
    record = screened("新建办公楼，按二星级绿色建筑标准设计")
    machine = [c["code"] for c in record["candidates"]]
    other = machine[1]  # a candidate the machine ranked second
    out = assessment.reclassified(record, other, {}, None, "按申报材料应为该条目")
    assert [c["code"] for c in out["candidates"]] == [other, machine[0], *machine[2:]]
    assert out["candidates"][0]["score"] == record["candidates"][1]["score"]  # kept, not invented
    assert out["item_source"] == assessment.REVIEWER
    assert (out["screened_item"], out["screened_verdict"]) == (machine[0], record["verdict"])
    assert out["reason"].startswith(f"评审员改判为 {other} ") and "按申报材料" in out["reason"]
    # a second reclassification still remembers what the screening said
    again = assessment.reclassified(out, machine[0], {}, None, "改回")
    assert (again["screened_item"], again["screened_verdict"]) == (machine[0], record["verdict"])


def test_the_new_items_criteria_set_the_verdict():
    record = screened("在物流园区仓库屋顶建设10MW分布式光伏电站")
    assert "6.1.1" not in [c["code"] for c in record["candidates"]]
    # 6.1.1 (green building) needs 1 star or more: stated 2 → eligible, 0 → not eligible,
    # none → needs evidence; an item outside the candidates gets no score
    passed = assessment.reclassified(record, "6.1.1", {"green_building_star": 2}, None, "x")
    assert passed["verdict"] == "eligible" and passed["checks_passed"] >= 1
    assert passed["candidates"][0]["score"] is None
    assert passed["candidates"][0]["name_zh"]
    failed = assessment.reclassified(record, "6.1.1", {"green_building_star": 0}, None, "x")
    assert failed["verdict"] == "not_eligible"
    unknown = assessment.reclassified(record, "6.1.1", {}, None, "x")
    assert unknown["verdict"] == "needs_evidence"
    graded = assessment.assess(
        passed, expected_outputs={}, technical_parameters={}, year=2026,
        total_investment_10k_cny=100.0, document_kinds=frozenset(), credit_grade=None,
    )  # fmt: skip
    assert (graded.item_code, graded.category_code) == ("6.1.1", "6")
    match = next(c for c in graded.grading.criteria if c.criterion == "catalogue_match")
    assert match.band == "reviewer_set"


@pytest.mark.parametrize("code", ["6.1", "9.9.9", "", "4.2.2.1"])
def test_only_finest_level_items_of_the_edition(code):
    with pytest.raises(assessment.UnknownItem, match="level-3"):
        assessment.reclassified(screened("屋顶分布式光伏"), code, {}, None, "x")
