"""Labelled examples: the nearest-neighbour layer and its shipped data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from benchmarks.taxonomy_accuracy import HELD_OUT, engine_without
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy import load_catalogue
from greenfin.taxonomy.examples import EXAMPLES_FILE, ExampleIndex, LabelledExample
from greenfin.taxonomy.screening import ScreeningInput, screener, shipped_examples
from greenfin.taxonomy.text import ngrams

EDITION = "green-finance-2025"
POSITION = {"4.2.2": 0, "6.2.3": 1, "1.1.8": 2}


def _identity(texts: list[str]) -> list[str]:
    return texts


def _q(index: ExampleIndex, text: str):
    return index.query_matrix([ngrams(text)])


def _example(example_id: str, text: str, *codes: str, source_set: str = "x") -> LabelledExample:
    return LabelledExample(example_id, source_set, EDITION, codes, text)


@pytest.fixture
def index() -> ExampleIndex:
    return ExampleIndex(
        [
            _example("x:1", "屋顶分布式光伏电站建设", "4.2.2"),
            _example("x:2", "公共充电站建设运营", "6.2.3", "4.2.2"),
            _example("y:1", "高效节能风机制造", "1.1.8", source_set="y"),
        ],
        _identity,
    )


def test_identical_text_scores_one_for_its_items_and_nothing_unrelated(index):
    scores = index.item_scores(_q(index, "公共充电站建设运营"), EDITION, POSITION, floor=0.2)
    # the example is accepted under both its codes; the fan example shares no n-gram
    assert scores[0, POSITION["6.2.3"]] == pytest.approx(1.0)
    assert scores[0, POSITION["4.2.2"]] == pytest.approx(1.0)
    assert scores[0, POSITION["1.1.8"]] == 0.0


def test_floor_rescales_the_cosine(index):
    query = _q(index, "屋顶光伏电站")
    raw = index.item_scores(query, EDITION, POSITION, floor=0.0)[0, 0]
    assert 0.0 < raw < 1.0
    rescaled = index.item_scores(query, EDITION, POSITION, floor=0.1)[0, 0]
    assert rescaled == pytest.approx((raw - 0.1) / 0.9)
    assert index.item_scores(query, EDITION, POSITION, floor=raw + 0.01)[0, 0] == 0.0


def test_other_editions_and_unknown_codes_say_nothing(index):
    query = _q(index, "屋顶分布式光伏电站建设")
    assert not index.item_scores(query, "bond-2021", POSITION, 0).any()
    assert not index.item_scores(query, EDITION, {"1.1.8": 0}, 0).any()


def test_without_leaves_a_set_out(index):
    smaller = index.without({"y"})
    assert {e.source_set for e in smaller.examples} == {"x"}
    assert smaller.item_scores(_q(smaller, "高效节能风机制造"), EDITION, POSITION, 0)[0, 2] == 0.0


def test_nearest_names_the_example_and_its_cosine(index):
    queries = index.query_matrix([ngrams("屋顶分布式光伏电站建设"), ngrams("充电站运营")])
    items = np.array([POSITION["4.2.2"], POSITION["4.2.2"]])
    first, second = index.nearest(queries, EDITION, POSITION, items)
    assert first == ("x:1", pytest.approx(1.0))
    assert second[0] == "x:2"  # 4.2.2 is also accepted for the charging-station example
    assert 0 < second[1] < 1
    no_example = index.nearest(queries, EDITION, {**POSITION, "9.9.9": 3}, np.array([3, 3]))
    assert no_example == [None, None]


texts = st.text(alphabet="光伏电站充电桩风机制造建设运营储能热泵改造", min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5), texts, st.floats(0.0, 0.9))
def test_scores_lie_in_unit_interval_and_items_without_examples_score_nothing(corpus, query, floor):
    codes = list(POSITION)
    examples = [_example(f"x:{k}", t, codes[k % 3]) for k, t in enumerate(corpus)]
    built = ExampleIndex(examples, _identity)
    scores = built.item_scores(_q(built, query), EDITION, POSITION, floor)
    assert ((scores >= 0) & (scores <= 1 + 1e-9)).all()
    for k, code in enumerate(codes):
        own = [e for e in examples if code in e.codes]
        if not own:
            assert scores[0, k] == 0.0


# --- the shipped data ------------------------------------------------------------------------


def test_shipped_examples_name_real_items_and_never_the_held_out_set():
    rows = cached_rows(EXAMPLES_FILE)
    assert len(rows) > 1000
    finest = {
        edition: {item.code for item in load_catalogue(edition).finest()}
        for edition in {r["edition"] for r in rows}
    }
    seen = set()
    for number, r in enumerate(rows, start=2):
        where = f"{EXAMPLES_FILE} row {number}"
        assert r["source_set"] != HELD_OUT, where
        assert r["example_id"].startswith(r["source_set"] + ":"), where
        expected = "greenfin project library" if r["source_set"] == "library" else "benchmarks/"
        assert r["source"].startswith(expected), where
        assert r["text"].strip(), where
        codes = [c for c in r["codes"].split(";") if c]
        # no codes: labelled not green — only hand-labelled evaluation rows, never the library
        assert codes or r["source"].startswith("benchmarks/"), where
        assert all(code in finest[r["edition"]] for code in codes), where
        assert len(set(codes)) == len(codes), where
        assert (r["example_id"], r["edition"]) not in seen, where
        seen.add((r["example_id"], r["edition"]))


def test_screening_explains_the_closest_example():
    rows = [r for r in cached_rows(EXAMPLES_FILE) if r["edition"] == EDITION]
    row = next(r for r in rows if r["codes"].split(";")[0] == "3.1.4")
    name, _, description = row["text"].partition("。")
    result = screener(EDITION).screen(ScreeningInput("t", name, description))
    top = result.candidates[0]
    assert top.code in row["codes"].split(";")
    assert top.similar_example.split()[0].startswith(row["source_set"] + ":")
    assert "相似已标注案例" in result.explanation


def test_evaluation_leaves_the_measured_set_out():
    engine = engine_without(EDITION, frozenset({"c"}))
    assert engine.examples is not shipped_examples()
    assert "c" not in {e.source_set for e in engine.examples.examples}
    assert "a" in {e.source_set for e in engine.examples.examples}
    # and its older-edition engines project a 2025 screen built on the same examples
    older = engine_without("bond-2021", frozenset({"c"}))
    assert older.base.examples is older.examples


def test_cosine_matches_the_documented_formula():
    """tf-idf with 1 + ln tf and ln((1 + N) / (1 + df)) + 1, L2-normalised (module docstring)."""
    a, b = "光伏电站", "光伏组件"
    index = ExampleIndex([_example("x:1", a, "4.2.2"), _example("x:2", b, "6.2.3")], _identity)
    grams = {t: ngrams(t) for t in (a, b)}
    vocab = sorted(set(grams[a]) | set(grams[b]))
    df = {g: sum(g in grams[t] for t in (a, b)) for g in vocab}

    def vector(text: str) -> np.ndarray:
        v = np.array([(g in grams[text]) * (math.log(3 / (1 + df[g])) + 1) for g in vocab])
        return v / np.linalg.norm(v)

    expected = float(vector(a) @ vector(b))
    got = index.item_scores(_q(index, a), EDITION, POSITION, floor=0.0)[0, POSITION["6.2.3"]]
    assert got == pytest.approx(expected)


def test_included_rows_refuse_evaluation_sets_and_repeats(tmp_path):
    from benchmarks.taxonomy_examples import FIELDS, example_rows, included_rows

    with pytest.raises(ValueError, match="held out"):
        example_rows(["a", HELD_OUT])
    good = {"example_id": "library:7", "source_set": "library", "edition": EDITION,
            "codes": "4.2.2", "text": "屋顶光伏。建设屋顶分布式光伏",
            "source": "greenfin project library, project 7"}  # fmt: skip
    cases = {
        "held_out": dict(good, source_set=HELD_OUT.upper(), example_id=f"{HELD_OUT.upper()}:7"),
        "prefix": dict(good, example_id="x:7"),
    }
    for name, row in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(",".join(FIELDS) + "\n" + ",".join(row[f] for f in FIELDS) + "\n")
        with pytest.raises(ValueError, match=r"row 2, field (source_set|example_id)"):
            included_rows(path)
    twice = tmp_path / "twice.csv"
    line = ",".join(good[f] for f in FIELDS)
    twice.write_text(",".join(FIELDS) + "\n" + line + "\n" + line + "\n")
    with pytest.raises(ValueError, match=r"row 3, field example_id: library:7 repeated"):
        included_rows(twice)
    assert included_rows_ok(tmp_path, good)


def included_rows_ok(tmp_path, row) -> bool:
    from benchmarks.taxonomy_examples import FIELDS, included_rows

    path = tmp_path / "ok.csv"
    path.write_text(",".join(FIELDS) + "\n" + ",".join(row[f] for f in FIELDS) + "\n")
    return included_rows(path)[0]["codes"] == "4.2.2"


# --- non-green examples ----------------------------------------------------------------------


def test_green_and_non_green_give_each_querys_best_cosine_on_each_side():
    index = ExampleIndex(
        [
            _example("x:1", "屋顶分布式光伏电站建设", "4.2.2"),
            _example("x:2", "钢材贸易流动资金"),  # labelled not green: no codes
            _example("x:3", "商品住宅开发贷款"),
            LabelledExample("x:4", "x", "bond-2021", (), "屋顶分布式光伏电站建设"),  # other edition
        ],
        _identity,
    )
    queries = index.query_matrix([ngrams("钢材贸易流动资金"), ngrams("屋顶分布式光伏电站建设")])
    scores, green = index.item_scores_and_best(queries, EDITION, {"4.2.2": 0}, 0.0)
    non_green, nearest = index.non_green(queries, EDITION)
    assert non_green[0] == pytest.approx(1.0) and nearest[0] == "x:2"
    assert green[0] < 0.2  # shares almost nothing with the PV example
    assert green[1] == pytest.approx(1.0) and non_green[1] < 0.5
    assert not index.non_green(queries, "industry-2019")[0].any()  # no examples there
    assert index.non_green(queries, "industry-2019")[1] == [None, None]
    # non-green examples are examples of no item; the green best is the best item's raw cosine
    assert not scores[0].any() and scores[1, 0] == pytest.approx(green[1])


def test_a_text_like_a_non_green_record_and_unlike_any_green_one_is_out_of_scope():
    """Each shipped non-green example's own text (cosine 1 to itself) is excluded, naming it,
    unless a green example is nearly as close, a rule or keyword names a catalogue activity or a
    threshold fails (not eligible); with the mechanism switched off (min above 1) fewer are
    excluded."""
    from dataclasses import replace

    engine = screener(EDITION)
    shipped = cached_rows(EXAMPLES_FILE)
    negatives = [r for r in shipped if r["edition"] == EDITION and not r["codes"]]
    assert len(negatives) > 300
    # the example's text is "name。description": screen it as the description, with no name
    records = [ScreeningInput(r["example_id"], "", r["text"]) for r in negatives]
    results = engine.screen_many(records)
    named = [(res, r) for res, r in zip(results, negatives, strict=True)
             if "已标注为非绿的案例" in res.reason]  # fmt: skip
    assert named and all(res.verdict.value == "out_of_scope" for res, _ in named)
    # the example it resembles is named: itself, or a record of the same text in another set
    assert sum(r["example_id"] in res.reason for res, r in named) >= 0.9 * len(named)
    kept = engine.weights
    try:
        engine.weights = replace(kept, non_green_min=1.01)
        off = engine.screen_many(records)
    finally:
        engine.weights = kept

    def not_green(screened):
        return sum(res.verdict.value in ("out_of_scope", "not_eligible") for res in screened)

    # exclusion rules and thresholds catch many on their own; the examples add a tenth or more
    # (the rest: thresholds that fail, texts a rule or keyword names, near-twins of green records)
    assert not_green(results) >= 0.75 * len(records)
    assert not_green(results) - not_green(off) >= 0.1 * len(records)
    assert not any("已标注为非绿的案例" in res.reason for res in off)


def test_non_green_examples_never_carry_a_stated_figure():
    """A record that is not green because a stated figure fails (params_json) is the criteria's
    to judge: it is not a non-green example, so its green twin with a passing figure ("一级能效"
    against "三级能效") is not excluded for its wording."""
    from benchmarks.taxonomy_accuracy import LOADERS

    figures = {
        f"{name}:{r['id']}"
        for name in LOADERS
        if name != HELD_OUT
        for r in LOADERS[name]().iter_rows(named=True)
        if r["params_json"]
    }
    negatives = [r for r in cached_rows(EXAMPLES_FILE) if not r["codes"]]
    assert negatives and not {r["example_id"] for r in negatives} & figures
    passing = screener(EDITION).screen(
        ScreeningInput("t", "", "一级能效冰箱生产线建设，产品能效达到GB 12021.2一级")
    )
    assert passing.verdict.value != "out_of_scope", passing.reason
