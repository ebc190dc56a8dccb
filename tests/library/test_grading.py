"""Grade points by hand against the shipped rubric (grading_rubric.csv)."""

import pytest

from greenfin.library.grading import GradingInputs, Interval, grade, rubric

REQUIRED = frozenset({"feasibility_study", "eia_approval", "energy_saving_review"})


def inputs(**overrides) -> GradingInputs:
    base = dict(
        verdict="needs_evidence", top_score=2.76, checks_passed=0, checks_applicable=0,
        reduction_tco2e_per_year=6997.1, total_investment_10k_cny=4000.0,
        documents_present=frozenset({"feasibility_study", "eia_approval"}),
        documents_required=REQUIRED, credit_grade=None,
    )  # fmt: skip
    base.update(overrides)
    return GradingInputs(**base)


def points(result) -> dict[str, float]:
    return {c.criterion: c.points for c in result.criteria}


def test_rooftop_pv_by_hand():
    # score 2.76 ≥ 2.5 → 25; qualitative item → 10 (neutral); 6997.1 / 4000 = 1.749 ≥ 1.0 → 25;
    # 2 of 3 documents = 0.667 ∈ [0.6, 1) → 13; no carbon account → 5 (neutral); 78 → 中绿
    result = grade(inputs())
    assert points(result) == {
        "catalogue_match": 25, "criteria_met": 10, "reduction_intensity": 25,
        "evidence_completeness": 13, "environmental_credit": 5,
    }  # fmt: skip
    assert result.total_points == 78 and result.max_points == 100
    assert result.grade == "中绿" and result.gate is None
    how = {c.criterion: c.how for c in result.criteria}
    assert "6,997.10" in how["reduction_intensity"] and "4,000.00" in how["reduction_intensity"]
    assert "energy_saving_review" in how["evidence_completeness"]
    assert "中性" in how["environmental_credit"]


def test_light_green_with_criteria_and_credit_by_hand():
    # 1.0 ∈ [0.8, 1.5) → 10; 2/3 criteria = 0.667 ∈ [0.5, 1) → 12; 20 t / 400 万元 = 0.05 → 6;
    # all documents → 20; carbon account dark green → 10; total 58 → 浅绿
    result = grade(inputs(
        verdict="eligible", top_score=1.0, checks_passed=2, checks_applicable=3,
        reduction_tco2e_per_year=20.0, total_investment_10k_cny=400.0,
        documents_present=REQUIRED, credit_grade="dark_green",
    ))  # fmt: skip
    assert points(result) == {
        "catalogue_match": 10, "criteria_met": 12, "reduction_intensity": 6,
        "evidence_completeness": 20, "environmental_credit": 10,
    }  # fmt: skip
    assert result.total_points == 58 and result.grade == "浅绿"


def test_boundaries_and_neutral_bands():
    # exactly 80 is 深绿: 25 + 20 + 25 + 0 + 10
    deep = grade(inputs(verdict="eligible", checks_passed=1, checks_applicable=1,
                        documents_present=frozenset(), credit_grade="dark_green"))  # fmt: skip
    assert deep.total_points == 80 and deep.grade == "深绿"
    none = grade(inputs(reduction_tco2e_per_year=0.0))
    assert points(none)["reduction_intensity"] == 0
    negative = grade(inputs(reduction_tco2e_per_year=-5.0))
    assert points(negative)["reduction_intensity"] == 0
    unknown = grade(inputs(reduction_tco2e_per_year=None, reduction_note="no method for 6.4.7"))
    row = next(c for c in unknown.criteria if c.criterion == "reduction_intensity")
    assert row.points == 10 and row.value is None and "6.4.7" in row.how
    assert points(grade(inputs(credit_grade="red")))["environmental_credit"] == 0


def test_gates_make_a_project_not_green_whatever_its_points():
    result = grade(inputs(verdict="out_of_scope", documents_present=REQUIRED,
                          credit_grade="dark_green"))  # fmt: skip
    # 25 + 10 + 25 + 20 + 10 = 90 points, still 非绿
    assert result.total_points == 90 and result.grade == "非绿" and result.gate
    assert grade(inputs(verdict="not_eligible")).grade == "非绿"


def test_rubric_rows_carry_source_and_edition_and_intervals_parse():
    assert all(b.source and b.edition for b in rubric().bands)
    assert rubric().total_max == 100
    interval = Interval.parse("[0.6,1)")
    assert interval.contains(0.6) and not interval.contains(1.0) and str(interval) == "[0.6, 1)"
    assert Interval.parse("(-inf,0]").contains(0) and not Interval.parse("(0,0.1)").contains(0)
    with pytest.raises(ValueError):
        Interval.parse("0..1")


def test_an_item_set_by_the_reviewer_is_not_scored_by_the_screening():
    # the machine's score for its own item says nothing about the reviewer's: the reviewer_set
    # band applies whatever top_score is, and the other criteria are unchanged
    machine = grade(inputs(top_score=0.3))
    reviewer = grade(inputs(top_score=0.3, item_set_by_reviewer=True))
    band = next(b for b in rubric().criterion_bands("catalogue_match") if b.band == "reviewer_set")
    assert points(machine)["catalogue_match"] == 4
    assert points(reviewer)["catalogue_match"] == band.points == 18  # the medium band's points
    assert {k: v for k, v in points(reviewer).items() if k != "catalogue_match"} == {
        k: v for k, v in points(machine).items() if k != "catalogue_match"
    }
    how = {c.criterion: c.how for c in reviewer.criteria}
    assert "评审员" in how["catalogue_match"]
