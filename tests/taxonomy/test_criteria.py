"""Technical criteria: the data file's integrity and the evaluation semantics."""

from collections import Counter

from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy import load_catalogue
from greenfin.taxonomy.criteria import Criterion, Outcome, criteria_index, evaluate


def test_criteria_cover_at_least_40_items_with_numeric_thresholds_in_both_editions():
    numeric = {
        (c.edition, c.item_code)
        for rows in criteria_index().values()
        for c in rows
        if c.threshold and c.operator in ("ge", "gt", "le", "lt")
    }
    per_edition = Counter(edition for edition, _ in numeric)
    assert len(numeric) >= 40
    assert per_edition["green-finance-2025"] >= 20 and per_edition["bond-2021"] >= 10


def test_every_criterion_points_at_an_item_quotes_its_text_and_names_a_known_parameter():
    parameters = {r["parameter"] for r in cached_rows("technical_parameters.csv")}
    for (edition, code), rows in criteria_index().items():
        item = load_catalogue(edition).item(code)
        for c in rows:
            assert c.parameter in parameters, c.criterion_id
            assert c.quote_zh and c.quote_zh in item.text_zh, c.criterion_id
            assert c.operator in {"ge", "gt", "le", "lt", "eq", "in"}
            if c.status == "verified_text":
                assert c.threshold, c.criterion_id


def make(cid, group, logic, parameter, op, threshold, when=""):
    return Criterion(cid, "test", "x", group, logic, parameter, op, threshold, "%", when,
                     parameter, "q", "", "verified_text")  # fmt: skip


def test_bond_2021_pv_thresholds_pass_and_fail():
    ok = evaluate(
        "bond-2021", "3.2.2.2",
        {"pv_cell_type": "mono", "pv_module_efficiency_pct": 21, "pv_cell_efficiency_pct": 23,
         "pv_degradation_first_year_pct": 2, "pv_degradation_annual_pct": 0.5,
         "pv_degradation_25_year_pct": 15},
    )  # fmt: skip
    assert ok.outcome is Outcome.PASSED, [c.message for c in ok.checks]
    low = evaluate("bond-2021", "3.2.2.2", {"pv_cell_type": "mono", "pv_module_efficiency_pct": 15})
    assert low.outcome is Outcome.FAILED
    assert any(c.criterion.parameter == "pv_module_efficiency_pct" for c in low.failed)


def test_missing_parameter_is_unverified_not_failed():
    report = evaluate("bond-2021", "3.2.2.2", {"pv_cell_type": "mono"})
    assert report.outcome is Outcome.UNVERIFIED
    assert "pv_module_efficiency_pct" in report.missing_parameters


def test_item_without_encoded_criteria_is_not_applicable():
    assert evaluate("green-finance-2025", "7.2.2", {}).outcome is Outcome.NOT_APPLICABLE


def test_value_failing_every_case_fails_even_when_the_case_is_unknown():
    # 1.1.7 sets a grade-1 bar for each motor type; a grade-2 motor fails whichever type it is
    report = evaluate("green-finance-2025", "1.1.7", {"motor_efficiency_grade": 2})
    assert report.outcome is Outcome.FAILED
    assert report.failed and all("product_type" in c.message for c in report.failed)


def test_value_that_might_pass_some_case_stays_unverified():
    assert evaluate("green-finance-2025", "1.1.7", {"motor_efficiency_grade": 1}).outcome is (
        Outcome.UNVERIFIED
    )
    assert evaluate("green-finance-2025", "1.1.7", {}).outcome is Outcome.UNVERIFIED
