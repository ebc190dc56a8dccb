"""Green-finance evaluation of banks: scheme files, the default min–max scoring, grades, the
priority list and bad input (greenfin.banking.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.banking import evaluation as ev
from greenfin.banking.evaluation import (
    EvaluationError,
    SchemeError,
    evaluate,
    load_scheme,
    priority_list,
)

PBOC_FIELDS = [
    "green_loans_10k_cny",
    "green_bonds_10k_cny",
    "total_assets_10k_cny",
    "green_loans_npl_10k_cny",
    "green_bonds_default_10k_cny",
]
PBOC_ITEMS = ["policy_execution", "institutional_rules", "green_industry_support"]
CQ_FIELDS = [
    "green_financing_10k_cny",
    "total_financing_10k_cny",
    "green_loans_10k_cny",
    "green_loans_npl_10k_cny",
    "green_loan_rate_pct",
]
CQ_ITEMS = [
    "organisation",
    "policies",
    "own_environmental_social",
    "financing_process",
    "internal_control_disclosure",
]


def metrics(rows: list[tuple], fields: list[str] = PBOC_FIELDS) -> pl.DataFrame:
    schema = {"bank": pl.String, "quarter": pl.String, **dict.fromkeys(fields, pl.Float64)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def qualitative(scores: dict[str, list[float]], items: list[str] = PBOC_ITEMS) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (bank, item, score, f"{bank} {item}: 现场检查记录")
            for bank, values in scores.items()
            for item, score in zip(items, values, strict=True)
        ],
        schema=["bank", "item", "score", "evidence"],
        orient="row",
    )


# Hand-computed example (EVALUATION.md §Worked example). Current quarter 2024Q3, peers A, B, C.
#   green business (loans + bonds): A 100, B 50, C 50; assets A 1000, B 1000, C 500
#   ratio  A .10  B .05  C .10     share A .5  B .25  C .25
#   yoy    A 100/80-1 = .25  B 50/50-1 = 0  C 50/40-1 = .25
#   risk   A 1/100 = .01  B 1/50 = .02  C 0
# 2024Q2 history (A, B only): ratio A .08 B .04; share A 80/120 B 40/120; risk A .025 B .025;
# no 2023Q2 row, so 2024Q2 has no growth value: the growth's own-history part falls back.
EXAMPLE = metrics(
    [
        ("A", "2023Q3", 80, 0, None, None, None),
        ("B", "2023Q3", 50, 0, None, None, None),
        ("C", "2023Q3", 40, 0, None, None, None),
        ("A", "2024Q2", 80, 0, 1000, 2, 0),
        ("B", "2024Q2", 40, 0, 1000, 1, 0),
        ("A", "2024Q3", 90, 10, 1000, 1, 0),
        ("B", "2024Q3", 50, 0, 1000, 1, 0),
        ("C", "2024Q3", 40, 10, 500, 0, 0),
    ]
)
EXAMPLE_QUAL = qualitative({"A": [100, 95, 90], "B": [50, 50, 50], "C": [80, 75, 70]})


def by_bank(result: pl.DataFrame) -> dict[str, dict]:
    return {row["bank"]: row for row in result.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------
# Scheme files


@pytest.mark.parametrize("name", ["pboc_2021", "chongqing_2023"])
def test_weights_sum_to_100_percent(name):
    scheme = load_scheme(name)
    assert scheme.quantitative_pct + scheme.qualitative_pct == pytest.approx(100)
    assert sum(i.weight_pct for i in scheme.indicators) == pytest.approx(100)
    assert sum(q.weight_pct for q in scheme.qualitative_items) == pytest.approx(100)
    for ind in scheme.indicators:
        assert ind.own_history_pct + ind.peer_pct == pytest.approx(ind.weight_pct)
    quantitative = sum(scheme.own_points(i) + scheme.peer_points(i) for i in scheme.indicators)
    qualitative_max = sum(scheme.item_points(q) for q in scheme.qualitative_items)
    assert quantitative + qualitative_max == pytest.approx(scheme.total_points)


def test_pboc_scheme_matches_the_sources():
    scheme = load_scheme("pboc_2021")
    assert (scheme.quantitative_pct, scheme.qualitative_pct) == (80, 20)
    assert [i.label_zh for i in scheme.indicators] == [
        "绿色金融业务总额占比",
        "绿色金融业务总额份额占比",
        "绿色金融业务总额同比增速",
        "绿色金融业务风险总额占比",
    ]
    assert {(i.weight_pct, i.own_history_pct, i.peer_pct) for i in scheme.indicators} == {
        (25, 10, 15)
    }
    assert [q.weight_pct for q in scheme.qualitative_items] == [30, 40, 30]
    assert (scheme.own_points(scheme.indicators[0]), scheme.peer_points(scheme.indicators[0])) == (
        8,
        12,
    )
    assert (scheme.history_periods, scheme.history_step_quarters) == (3, 1)
    assert scheme.priority_grades == ("优秀", "良好")
    # Unsourced elements are marked: grade bands and the scoring default at least.
    assumptions = scheme.assumptions()
    assert sum(a.startswith("grades[") for a in assumptions) == 4
    assert "scoring" in assumptions


def test_chongqing_scheme_matches_the_sources():
    scheme = load_scheme("chongqing_2023")
    assert (scheme.quantitative_pct, scheme.qualitative_pct) == (70, 30)
    assert len(scheme.indicators) == 5
    assert len(scheme.grades) == 4
    assert {i.id: i.direction for i in scheme.indicators}["green_loan_npl_ratio"] == (
        "lower_is_better"
    )
    # Everything beyond 70/30, the names and the number of grades is an assumption.
    assert all(i.status == "assumption" for i in scheme.indicators)
    assert all(g.status == "assumption" for g in scheme.grades)


def test_load_scheme_by_file_name_and_path(tmp_path):
    path = Path(ev.__file__).parents[1] / "reference/data/banking/evaluation_pboc_2021.json"
    assert load_scheme("evaluation_pboc_2021.json").id == "pboc_2021"
    assert load_scheme(path).id == "pboc_2021"
    assert set(ev.available_schemes()) >= {"pboc_2021", "chongqing_2023"}
    with pytest.raises(SchemeError, match="unknown scheme"):
        load_scheme("nowhere_1999")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["blocks"]["quantitative"].update(weight_pct=75), "blocks"),
        (lambda d: d["indicators"][0].update(weight_pct=30, peer_pct=20), "indicators"),
        (lambda d: d["indicators"][0].update(peer_pct=10), "own_history_pct \\+ peer_pct"),
        (lambda d: d["indicators"][3].update(direction="sideways"), "direction"),
        (lambda d: d["qualitative_items"][1].update(weight_pct=50), "qualitative_items"),
        (lambda d: d["grades"].reverse(), "grades"),
        (lambda d: d.update(priority_grades=["卓越"]), "priority_grades"),
        (lambda d: d["indicators"][0]["calculation"].update(denominator=["equity"]), "unknown"),
    ],
)
def test_inconsistent_scheme_is_refused(change, message):
    data = json.loads(json.dumps(load_scheme("pboc_2021").raw))
    change(data)
    with pytest.raises(SchemeError, match=message):
        ev.scheme_from_dict(data)


# ---------------------------------------------------------------------------------------------
# The hand-computed example


def test_three_bank_example_to_exact_points():
    result = evaluate(EXAMPLE, EXAMPLE_QUAL, "pboc_2021")
    rows = by_bank(result)
    expected = {
        # bank: ratio (own, peer), share (own, peer), yoy (own, peer), risk (own, peer), qual
        "A": ((8, 12), (0, 12), (8, 12), (8, 6), 19.0),
        "B": ((8, 0), (0, 0), (0, 0), (8, 0), 10.0),
        "C": ((8, 12), (0, 0), (8, 12), (8, 12), 15.0),
    }
    ids = [
        "green_business_ratio",
        "green_business_market_share",
        "green_business_yoy",
        "green_business_risk_ratio",
    ]
    for bank, (*parts, qual) in expected.items():
        row = rows[bank]
        for ind, (own, peer) in zip(ids, parts, strict=True):
            assert row[f"{ind}_own_points"] == pytest.approx(own, abs=1e-9), (bank, ind)
            assert row[f"{ind}_peer_points"] == pytest.approx(peer, abs=1e-9), (bank, ind)
            assert row[f"{ind}_points"] == pytest.approx(own + peer, abs=1e-9)
        assert row["qualitative_points"] == pytest.approx(qual, abs=1e-9)
    assert {b: r["quantitative_points"] for b, r in rows.items()} == {"A": 66, "B": 16, "C": 60}
    assert {b: r["total_points"] for b, r in rows.items()} == {"A": 85, "B": 26, "C": 75}
    assert {b: (r["grade"], r["rank"]) for b, r in rows.items()} == {
        "A": ("优秀", 1),  # exactly on the 85-point band: bands are inclusive
        "C": ("良好", 2),
        "B": ("较差", 3),
    }
    assert result["bank"].to_list() == ["A", "C", "B"]
    assert rows["A"]["green_business_ratio"] == pytest.approx(0.10)
    assert rows["A"]["green_business_market_share"] == pytest.approx(0.5)
    assert rows["A"]["green_business_yoy"] == pytest.approx(0.25)
    assert rows["A"]["green_business_risk_ratio"] == pytest.approx(0.01)
    assert rows["A"]["policy_execution_points"] == pytest.approx(6)
    assert rows["A"]["institutional_rules_points"] == pytest.approx(7.6)


def test_explanations_and_fallback_reported():
    rows = by_bank(evaluate(EXAMPLE, EXAMPLE_QUAL, "pboc_2021"))
    risk = rows["A"]["green_business_risk_ratio_explanation"]
    assert "绿色金融业务风险总额占比 = 0.01 (lower is better)" in risk
    assert "min 0.0, max 0.02 across 3 banks → 0.5 × 12 = 6.0" in risk
    assert "1 previous value(s) 0.025" in risk
    # C has no earlier quarter: every own-history part falls back to the peer fraction, reported.
    assert len(rows["C"]["warnings"]) == 4
    assert "no own history in 2024Q2, 2024Q1, 2023Q4" in rows["C"]["warnings"][0]
    assert "fallback 'peer'" in rows["C"]["green_business_ratio_explanation"]
    # A has a 2024Q2 row but no growth for it (no 2023Q2): only the growth falls back.
    assert [w.split(":")[0] for w in rows["A"]["warnings"]] == ["green_business_yoy"]
    assert "现场检查记录" in rows["A"]["qualitative_explanation"]


def test_other_fallbacks_are_configuration():
    data = json.loads(json.dumps(load_scheme("pboc_2021").raw))
    data["scoring"]["no_history_fallback"] = "neutral"
    rows = by_bank(evaluate(EXAMPLE, EXAMPLE_QUAL, ev.scheme_from_dict(data)))
    assert rows["C"]["green_business_ratio_own_points"] == pytest.approx(4)  # 0.5 × 8
    data["scoring"]["no_history_fallback"] = "zero"
    rows = by_bank(evaluate(EXAMPLE, EXAMPLE_QUAL, ev.scheme_from_dict(data)))
    assert rows["C"]["green_business_ratio_own_points"] == 0


def test_risk_indicator_is_scored_inversely():
    scheme = load_scheme("pboc_2021")
    risk = next(i for i in scheme.indicators if i.id == "green_business_risk_ratio")
    assert not risk.higher_is_better
    rows = by_bank(evaluate(EXAMPLE, EXAMPLE_QUAL, scheme))
    # C has the lowest risk share (0) and gets the full peer points; B the highest (.02), none.
    assert rows["C"]["green_business_risk_ratio_peer_points"] == 12
    assert rows["B"]["green_business_risk_ratio_peer_points"] == 0
    # More NPLs for A lower its risk points and nothing else.
    worse = EXAMPLE.with_columns(
        pl.when((pl.col("bank") == "A") & (pl.col("quarter") == "2024Q3"))
        .then(2.0)
        .otherwise(pl.col("green_loans_npl_10k_cny"))
        .alias("green_loans_npl_10k_cny")
    )
    after = by_bank(evaluate(worse, EXAMPLE_QUAL, scheme))
    assert (
        after["A"]["green_business_risk_ratio_points"]
        < rows["A"]["green_business_risk_ratio_points"]
    )
    assert after["A"]["green_business_ratio_points"] == rows["A"]["green_business_ratio_points"]


def test_qualitative_pending_leaves_grades_empty():
    result = evaluate(EXAMPLE, None, "pboc_2021")
    assert result["total_points"].null_count() == 3
    assert result["grade"].null_count() == 3
    assert result["quantitative_rank"].to_list() == [1, 2, 3]
    with pytest.raises(EvaluationError, match="not graded"):
        priority_list(result)


def test_quarter_argument_and_history_window():
    # Evaluating 2024Q2 needs a 2023Q2 row for the growth: it is missing.
    with pytest.raises(EvaluationError) as err:
        evaluate(EXAMPLE, None, "pboc_2021", quarter="2024Q2")
    problems = {(p.bank, p.quarter, p.field) for p in err.value.problems}
    assert ("A", "2024Q2", "green_business_yoy") in problems
    assert "no row for 2023Q2" in str(err.value)
    with pytest.raises(EvaluationError, match="no rows for this quarter"):
        evaluate(EXAMPLE, None, "pboc_2021", quarter="2030Q1")


# ---------------------------------------------------------------------------------------------
# Same code, second scheme; pluggable scoring


def chongqing_example() -> tuple[pl.DataFrame, pl.DataFrame]:
    # Annual scheme: history = previous year-ends (step 4 quarters); growth vs 2023Q4.
    frame = metrics(
        [
            ("X", "2022Q4", 60, 1000, 60, 1, 4.0),
            ("Y", "2022Q4", 30, 1000, 30, 0, 4.2),
            ("X", "2023Q4", 80, 1000, 80, 2, 4.1),
            ("Y", "2023Q4", 40, 1000, 40, 1, 4.0),
            ("Z", "2023Q4", 10, 500, 10, 0, 3.9),
            ("X", "2024Q4", 100, 1000, 100, 1, 3.8),
            ("Y", "2024Q4", 40, 800, 40, 2, 3.6),
            ("Z", "2024Q4", 20, 500, 20, 0, 4.0),
        ],
        CQ_FIELDS,
    )
    qual = qualitative(
        {"X": [90, 90, 90, 90, 90], "Y": [60, 60, 60, 60, 60], "Z": [70, 80, 90, 70, 80]},
        CQ_ITEMS,
    )
    return frame, qual


def test_both_schemes_run_through_the_same_function():
    pboc = evaluate(EXAMPLE, EXAMPLE_QUAL, load_scheme("pboc_2021"))
    frame, qual = chongqing_example()
    cq = evaluate(frame, qual, load_scheme("chongqing_2023"))
    assert pboc["scheme_id"].unique().to_list() == ["pboc_2021"]
    assert cq["scheme_id"].unique().to_list() == ["chongqing_2023"]
    assert cq["quarter"].unique().to_list() == ["2024Q4"]
    assert set(cq["grade"]) <= {"一级", "二级", "三级", "四级"}
    assert cq["quantitative_points"].max() <= 70 + 1e-9
    assert cq["qualitative_points"].max() <= 30 + 1e-9
    rows = by_bank(cq)
    # X: best ratio (0.1) and growth (0.25) among peers → full 12 % (8.4 pts) peer part each.
    assert rows["X"]["green_financing_ratio_peer_points"] == pytest.approx(8.4)
    assert rows["X"]["green_financing_yoy"] == pytest.approx(0.25)
    # Credit cost is lower-is-better: Y has the lowest rate (3.6) → full peer points.
    assert rows["Y"]["green_credit_cost_peer_points"] == pytest.approx(8.4)
    assert rows["Z"]["green_credit_cost_peer_points"] == 0
    # Own history for the annual scheme compares year-ends: X's ratio .1 above .08 and .06.
    assert rows["X"]["green_financing_ratio_own_points"] == pytest.approx(5.6)
    assert "2 previous value(s)" in rows["X"]["green_financing_ratio_explanation"]
    assert rows["X"]["qualitative_points"] == pytest.approx(27)
    assert set(priority_list(cq)["grade"].head(1)) <= {"一级", "二级"}


def test_scoring_method_is_pluggable():
    rank = evaluate(EXAMPLE, EXAMPLE_QUAL, "pboc_2021", method=ev.scoring_method("rank"))
    rows = by_bank(rank)
    assert rank["scoring_method"].unique().to_list() == ["rank"]
    # Ratios A .10, B .05, C .10: average ranks → A and C 0.75, B 0.
    assert rows["A"]["green_business_ratio_peer_points"] == pytest.approx(9)
    assert rows["B"]["green_business_ratio_peer_points"] == 0

    class Flat:
        name = "flat"

        def peer(self, value, higher_is_better):
            return ev.Scored(pl.lit(1.0), pl.lit("flat"))

        def own_history(self, value, history, higher_is_better):
            return ev.Scored(pl.lit(1.0), pl.lit("flat"))

    ev.register_scoring_method("flat_test", Flat, replace=True)
    data = json.loads(json.dumps(load_scheme("pboc_2021").raw))
    data["scoring"] = {"method": "flat_test", "params": {}, "no_history_fallback": "peer"}
    flat = evaluate(EXAMPLE, EXAMPLE_QUAL, ev.scheme_from_dict(data))
    assert flat["quantitative_points"].to_list() == [80, 80, 80]
    with pytest.raises(ValueError, match="already registered"):
        ev.register_scoring_method("minmax", ev.MinMaxScoring)


# ---------------------------------------------------------------------------------------------
# Grades and the priority list


def test_grade_bands():
    scheme = load_scheme("pboc_2021")
    bands = [(g.grade, g.min_points) for g in scheme.grades]
    assert bands == [("优秀", 85), ("良好", 70), ("一般", 60), ("较差", 0)]
    # A fixed scoring method sets the quantitative part to 80 × fraction and the qualitative
    # scores the rest to 20 × fraction, so the total is 100 × fraction.
    cases = [
        (1.0, "优秀"),
        (0.85, "优秀"),  # lower bounds are inclusive
        (0.8499, "良好"),
        (0.7, "良好"),
        (0.6999, "一般"),
        (0.6, "一般"),
        (0.5999, "较差"),
        (0.0, "较差"),
    ]
    for fraction, expected in cases:

        class Fixed:
            name = "fixed"

            def peer(self, value, higher_is_better, f=fraction):
                return ev.Scored(pl.lit(f), pl.lit("fixed"))

            def own_history(self, value, history, higher_is_better, f=fraction):
                return ev.Scored(pl.lit(f), pl.lit("fixed"))

        qual = qualitative({b: [100 * fraction] * 3 for b in "ABC"})
        result = evaluate(EXAMPLE, qual, scheme, method=Fixed())
        assert result["total_points"].to_list() == pytest.approx([100 * fraction] * 3)
        assert set(result["grade"]) == {expected}, fraction


def test_priority_list_ordering():
    frame = metrics(
        [
            (bank, "2024Q3", loans, 0, 1000, npl, 0)
            for bank, loans, npl in [("D", 10, 1), ("E", 100, 0), ("F", 60, 1), ("G", 80, 1)]
        ]
        + [(bank, "2023Q3", 50, 0, 1000, 1, 0) for bank in "DEFG"]
    )
    qual = qualitative({"D": [100] * 3, "E": [100] * 3, "F": [100] * 3, "G": [0] * 3})
    result = evaluate(frame, qual, "pboc_2021")
    plist = priority_list(result)
    grades = plist["grade"].to_list()
    levels = [["优秀", "良好", "一般", "较差"].index(g) for g in grades]
    assert levels == sorted(levels)
    priority = plist["priority"].to_list()
    assert priority == sorted(priority, reverse=True)
    assert plist["priority_order"].to_list() == list(range(1, 5))
    # within a grade, more points first
    for _, group in plist.group_by("grade", maintain_order=True):
        assert group["total_points"].to_list() == sorted(group["total_points"], reverse=True)
    only = priority_list(result, only_priority=True)
    assert set(only["grade"]) <= {"优秀", "良好"}
    assert only["bank"].to_list() == plist.filter(pl.col("priority"))["bank"].to_list()
    assert plist["bank"][0] == "E"


# ---------------------------------------------------------------------------------------------
# Bad input


def problems_of(frame, qual=None, scheme="pboc_2021", **kw) -> set[tuple]:
    with pytest.raises(EvaluationError) as err:
        evaluate(frame, qual, scheme, **kw)
    return {(p.bank, p.quarter, p.field) for p in err.value.problems}


def test_missing_column():
    assert (None, None, "total_assets_10k_cny") in problems_of(EXAMPLE.drop("total_assets_10k_cny"))


def test_missing_indicator_value_names_bank_quarter_field():
    bad = EXAMPLE.with_columns(
        pl.when((pl.col("bank") == "B") & (pl.col("quarter") == "2024Q3"))
        .then(None)
        .otherwise(pl.col("total_assets_10k_cny"))
        .alias("total_assets_10k_cny")
    )
    with pytest.raises(EvaluationError) as err:
        evaluate(bad, EXAMPLE_QUAL, "pboc_2021")
    (problem,) = err.value.problems
    assert (problem.bank, problem.quarter, problem.field) == ("B", "2024Q3", "green_business_ratio")
    assert "total_assets_10k_cny" in problem.message


def test_negative_balance_and_non_numbers():
    bad = EXAMPLE.with_columns(
        pl.when(pl.col("bank") == "C")
        .then(-5.0)
        .otherwise(pl.col("green_bonds_10k_cny"))
        .alias("green_bonds_10k_cny")
    )
    found = problems_of(bad)
    assert ("C", "2024Q3", "green_bonds_10k_cny") in found
    assert ("C", "2023Q3", "green_bonds_10k_cny") in found  # history rows are checked too
    text = EXAMPLE.with_columns(pl.col("green_loans_10k_cny").cast(pl.String)).with_columns(
        pl.when(pl.col("bank") == "A")
        .then(pl.lit("abc"))
        .otherwise(pl.col("green_loans_10k_cny"))
        .alias("green_loans_10k_cny")
    )
    assert ("A", "2024Q3", "green_loans_10k_cny") in problems_of(text)


def test_zero_denominator_duplicate_and_bad_quarter():
    zero = EXAMPLE.with_columns(
        pl.when(pl.col("bank") == "B")
        .then(0.0)
        .otherwise(pl.col("total_assets_10k_cny"))
        .alias("total_assets_10k_cny")
    )
    assert ("B", "2024Q3", "green_business_ratio") in problems_of(zero)
    dup = pl.concat([EXAMPLE, EXAMPLE.tail(1)])
    assert ("C", "2024Q3", "quarter") in problems_of(dup)
    badq = EXAMPLE.with_columns(
        pl.when(pl.col("bank") == "A")
        .then(pl.lit("Q3-2024"))
        .otherwise(pl.col("quarter"))
        .alias("quarter")
    )
    assert ("A", "Q3-2024", "quarter") in problems_of(badq)


def test_prior_year_zero_makes_growth_undefined():
    zero = EXAMPLE.with_columns(
        pl.when((pl.col("bank") == "C") & (pl.col("quarter") == "2023Q3"))
        .then(0.0)
        .otherwise(pl.col("green_loans_10k_cny"))
        .alias("green_loans_10k_cny")
    )
    assert ("C", "2024Q3", "green_business_yoy") in problems_of(zero)


def test_bad_qualitative_scores():
    qual = EXAMPLE_QUAL.with_columns(
        pl.when((pl.col("bank") == "B") & (pl.col("item") == "institutional_rules"))
        .then(120)
        .otherwise(pl.col("score"))
        .alias("score")
    )
    assert ("B", "2024Q3", "qualitative.institutional_rules.score") in problems_of(EXAMPLE, qual)
    negative = EXAMPLE_QUAL.with_columns(pl.lit(-1).alias("score"))
    assert len(problems_of(EXAMPLE, negative)) == 9
    missing = EXAMPLE_QUAL.filter(
        ~((pl.col("bank") == "C") & (pl.col("item") == "policy_execution"))
    )
    assert ("C", "2024Q3", "qualitative.policy_execution") in problems_of(EXAMPLE, missing)
    no_note = EXAMPLE_QUAL.with_columns(
        pl.when(pl.col("bank") == "A")
        .then(pl.lit(""))
        .otherwise(pl.col("evidence"))
        .alias("evidence")
    )
    assert ("A", "2024Q3", "qualitative.policy_execution.evidence") in problems_of(EXAMPLE, no_note)
    stranger = pl.concat([EXAMPLE_QUAL, qualitative({"Q": [50, 50, 50]})])
    assert ("Q", "2024Q3", "qualitative.bank") in problems_of(EXAMPLE, stranger)
    unknown_item = EXAMPLE_QUAL.with_columns(
        pl.when(pl.col("bank") == "A")
        .then(pl.lit("charity"))
        .otherwise(pl.col("item"))
        .alias("item")
    )
    assert ("A", "2024Q3", "qualitative.charity") in problems_of(EXAMPLE, unknown_item)
    assert ("A", "2024Q3", "qualitative.policy_execution") in problems_of(EXAMPLE, unknown_item)
    assert (None, "2024Q3", "qualitative.evidence") in problems_of(
        EXAMPLE, EXAMPLE_QUAL.drop("evidence")
    )


def test_qualitative_rows_of_other_quarters_are_ignored():
    qual = pl.concat(
        [
            EXAMPLE_QUAL.with_columns(pl.lit("2024Q3").alias("quarter")),
            EXAMPLE_QUAL.with_columns(
                pl.lit("2024Q2").alias("quarter"), pl.lit(0, pl.Int64).alias("score")
            ),
        ]
    )
    result = by_bank(evaluate(EXAMPLE, qual, "pboc_2021"))
    assert result["A"]["qualitative_points"] == pytest.approx(19)


# ---------------------------------------------------------------------------------------------
# Invariants

positive = st.floats(min_value=1.0, max_value=1e6, allow_nan=False, allow_infinity=False)
small = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)
bank_rows = st.lists(
    st.tuples(
        st.lists(st.tuples(positive, small, positive, small), min_size=3, max_size=3),
        st.lists(st.floats(min_value=0, max_value=100), min_size=3, max_size=3),
    ),
    min_size=1,
    max_size=5,
)


def random_book(banks) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows, scores = [], {}
    for n, (quarters, qual) in enumerate(banks):
        name = f"bank{n}"
        # quarters: 2023Q3 (prior year), 2024Q2 (history), 2024Q3 (current)
        for label, (green, bonds, assets, npl) in zip(
            ["2023Q3", "2024Q2", "2024Q3"], quarters, strict=True
        ):
            rows.append((name, label, green, bonds, assets + green + bonds, min(npl, green), 0.0))
        scores[name] = qual
    return metrics(rows), qualitative(scores)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows)
def test_points_within_bounds(banks):
    frame, qual = random_book(banks)
    scheme = load_scheme("pboc_2021")
    result = evaluate(frame, qual, scheme)
    for ind in scheme.indicators:
        own, peer = scheme.own_points(ind), scheme.peer_points(ind)
        assert result[f"{ind.id}_own_points"].is_between(0, own).all()
        assert result[f"{ind.id}_peer_points"].is_between(0, peer).all()
    assert result["quantitative_points"].is_between(0, 80).all()
    assert result["qualitative_points"].is_between(0, 20).all()
    assert result["total_points"].is_between(0, 100).all()
    assert result["grade"].null_count() == 0
    assert result["rank"].min() == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows, st.floats(min_value=0.01, max_value=0.99), st.sampled_from(["minmax", "rank"]))
def test_monotone_in_a_better_indicator(banks, factor, method_name):
    frame, qual = random_book(banks)
    method = ev.scoring_method(method_name)
    before = by_bank(evaluate(frame, qual, "pboc_2021", method=method))["bank0"]
    current = (pl.col("bank") == "bank0") & (pl.col("quarter") == "2024Q3")
    # Fewer non-performing green loans: a better risk share, nothing else changes.
    less_risk = frame.with_columns(
        pl.when(current)
        .then(pl.col("green_loans_npl_10k_cny") * factor)
        .otherwise(pl.col("green_loans_npl_10k_cny"))
        .alias("green_loans_npl_10k_cny")
    )
    after = by_bank(evaluate(less_risk, qual, "pboc_2021", method=method))["bank0"]
    assert after["green_business_risk_ratio_points"] >= before["green_business_risk_ratio_points"]
    assert after["total_points"] >= before["total_points"]
    # Smaller total assets: a better green-business ratio.
    smaller = frame.with_columns(
        pl.when(current)
        .then(pl.col("total_assets_10k_cny") * factor)
        .otherwise(pl.col("total_assets_10k_cny"))
        .alias("total_assets_10k_cny")
    )
    after = by_bank(evaluate(smaller, qual, "pboc_2021", method=method))["bank0"]
    assert after["green_business_ratio_points"] >= before["green_business_ratio_points"]
    assert after["total_points"] >= before["total_points"]
