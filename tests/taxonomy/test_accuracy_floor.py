"""Regression floor for screening quality on the labelled evaluation set.

The measured figures and their targets are printed by benchmarks/taxonomy_accuracy.py; this test
only stops a change from silently lowering them below the last accepted level.
"""

import pytest
from benchmarks.taxonomy_accuracy import evaluate, load

FLOORS = {  # (top-1, top-3) on all labelled rows, a little below the accepted measurement
    "green-finance-2025": (0.86, 0.95),
    "bond-2021": (0.78, 0.91),
    "industry-2019": (0.78, 0.93),
}


@pytest.mark.parametrize("edition", list(FLOORS))
def test_accuracy_does_not_regress(edition):
    result = evaluate(load(), edition)
    top1, top3 = FLOORS[edition]
    assert result["all_top1"] >= top1, result
    assert result["all_top3"] >= top3, result
