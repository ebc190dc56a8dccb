"""The reviewer's reclassification of a screened project (library.assessment.reclassified)."""

import pytest

from greenfin.library import assessment
from greenfin.taxonomy.screening import ScreeningInput, screener

BUILDING = "新建办公楼，按二星级绿色建筑标准设计"


def screened(text: str) -> dict:
    result = screener(assessment.EDITION).screen(ScreeningInput("1", "测试项目", text), top_k=3)
    return assessment.screening_from_result(result)


def test_the_reviewers_item_leads_and_the_machines_record_is_kept_whole():
    record = screened(BUILDING)
    machine = [c["code"] for c in record["candidates"]]
    other = machine[1]  # a candidate the machine ranked second
    out = assessment.reclassified(record, other, {}, None, BUILDING)
    assert [c["code"] for c in out["candidates"]] == [other, machine[0], *machine[2:]]
    assert out["candidates"][0]["score"] == record["candidates"][1]["score"]  # kept, not invented
    assert out["item_source"] == assessment.REVIEWER and out["machine"] == record
    assert (out["screened_item"], out["screened_verdict"]) == (machine[0], record["verdict"])
    assert out["reason"].startswith(f"评审员改判为 {other} ") and machine[0] in out["reason"]
    # a second pick ranks the machine's candidates, not the first pick
    again = assessment.reclassified(out, machine[2], {}, None, BUILDING)
    assert [c["code"] for c in again["candidates"]] == [machine[2], *machine[:2]]
    assert again["machine"] == record
    # back to the machine's own first item: its record, unchanged (verdict, source, checks)
    assert assessment.reclassified(again, machine[0], {}, None, BUILDING) == record


def test_the_new_items_criteria_read_the_declared_and_the_stated_figures():
    record = screened("在物流园区仓库屋顶建设10MW分布式光伏电站")
    assert "6.1.1" not in [c["code"] for c in record["candidates"]]
    # 6.1.1 (green building) needs 1 star or more: declared 2 → eligible, 0 → not eligible,
    # nothing → needs evidence; a star the text states counts, a declared one overrides it
    roof = "仓库屋顶光伏"
    passed = assessment.reclassified(record, "6.1.1", {"green_building_star": 2}, None, roof)
    assert passed["verdict"] == "eligible" and passed["checks_passed"] >= 1
    assert passed["candidates"][0]["score"] is None  # not among the machine's candidates
    failed = assessment.reclassified(record, "6.1.1", {"green_building_star": 0}, None, roof)
    assert failed["verdict"] == "not_eligible" and "技术标准未达标" in failed["reason"]
    assert assessment.reclassified(record, "6.1.1", {}, None, roof)["verdict"] == "needs_evidence"
    assert assessment.reclassified(record, "6.1.1", {}, None, BUILDING)["verdict"] == "eligible"
    declared_zero = {"green_building_star": 0}
    overridden = assessment.reclassified(record, "6.1.1", declared_zero, None, BUILDING)
    assert overridden["verdict"] == "not_eligible"
    graded = assessment.assess(
        passed, expected_outputs={}, technical_parameters={}, year=2026,
        total_investment_10k_cny=100.0, document_kinds=frozenset(), credit_grade=None,
    )  # fmt: skip
    assert (graded.item_code, graded.category_code) == ("6.1.1", "6")
    match = next(c for c in graded.grading.criteria if c.criterion == "catalogue_match")
    assert match.band == "reviewer_set"


def test_an_excluded_project_has_no_screened_item_and_says_what_the_screening_said():
    text = "贷款用于归还到期银行承兑汇票"
    record = screened(text)
    assert record["verdict"] == "out_of_scope"
    out = assessment.reclassified(record, "4.2.2", {}, None, text)
    assert out["screened_item"] is None and out["screened_verdict"] == "out_of_scope"
    assert "筛查结论 out_of_scope" in out["reason"] and "首位条目" not in out["reason"]


@pytest.mark.parametrize("code", ["6.1", "9.9.9", "", "4.2.2.1"])
def test_only_finest_level_items_of_the_edition(code):
    with pytest.raises(assessment.UnknownItem, match="level-3"):
        assessment.reclassified(screened("屋顶分布式光伏"), code, {}, None, "屋顶分布式光伏")
