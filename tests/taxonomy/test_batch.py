import polars as pl
import pytest

from greenfin.taxonomy.batch import BatchValidationError, screen_frame
from greenfin.taxonomy.screening import ScreeningInput, screener


def frame(**columns):
    return pl.DataFrame(columns)


def test_output_contract_columns_and_one_row_per_id_in_input_order():
    df = frame(id=["b", "a", "c"], name=["", "", ""],
               description=["屋顶光伏电站", "污水处理厂", "屋顶光伏电站"])  # fmt: skip
    out = screen_frame(df, "green-finance-2025")
    assert out.columns == ["id", "code_1", "score_1", "code_2", "score_2", "code_3", "score_3",
                           "verdict", "explanation"]  # fmt: skip
    assert out["id"].to_list() == ["b", "a", "c"]
    assert out["code_1"][0] == out["code_1"][2]  # duplicates screened once, joined back


def test_batch_equals_single_record_screening():
    texts = ["储能电站建设", "光伏组件生产线", "补充流动资金"]
    out = screen_frame(frame(id=["1", "2", "3"], name=["", "", ""], description=texts),
                       "green-finance-2025")  # fmt: skip
    for text, row in zip(texts, out.iter_rows(named=True), strict=True):
        single = screener().screen(ScreeningInput("x", "", text))
        assert row["code_1"] == single.candidates[0].code
        assert row["verdict"] == single.verdict.value


def test_parameter_columns_feed_the_criteria():
    df = frame(id=["1", "2"], name=["", ""], description=["单晶硅光伏电站建设运营"] * 2,
               pv_cell_type=["mono", "mono"], pv_module_efficiency_pct=["21", "15"])  # fmt: skip
    out = screen_frame(df, "bond-2021")
    assert out["verdict"].to_list()[1] == "not_eligible"


def test_every_problem_is_reported_with_row_and_field():
    df = frame(
        id=["1", "1", "", "4"],
        name=["", "", "x", ""],
        description=["光伏", "", "y", "z"],
        industry_code=["4416", "", "", "99X"],
    )
    with pytest.raises(BatchValidationError) as err:
        screen_frame(df, "green-finance-2025")
    found = {(p.row, p.field) for p in err.value.problems}
    assert found == {(1, "id"), (2, "id"), (2, "description"), (3, "id"), (4, "industry_code")}


def test_missing_column_is_named():
    with pytest.raises(BatchValidationError) as err:
        screen_frame(frame(id=["1"], name=["x"]), "green-finance-2025")
    assert [(p.row, p.field) for p in err.value.problems] == [(None, "description")]
