"""MOSI tables and per-group metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import metrics

# true   -2    -1     0    1     2    3
# pred  -1.6   0.4   0.2  1.2  -0.5  2.4
# |err|  0.4   1.4   0.2  0.2   2.5  0.6   -> MAE 5.3 / 6
# round  -2     0     0    1    -0    2    -> Acc7 3/6 (ties to even: round(-0.5) = 0)
# has0: true >= 0  F F T T T T, pred >= 0  F T T T F T -> Acc2 4/6;
#   negatives TP 1 FP 1 FN 1 -> F1 .5; non-negatives TP 3 FP 1 FN 1 -> F1 .75; weighted (2*.5 + 4*.75)/6
# non0 (label 0 dropped): true > 0  F F T T T, pred > 0  F T T F T -> Acc2 3/5;
#   negatives F1 .5; positives TP 2 FP 1 FN 1 -> F1 2/3; weighted (2*.5 + 3*2/3)/5
# Corr: deviations from the means .5 and .35 give sum tp 9.15, sum t^2 17.5, sum p^2 9.475
Y_TRUE = [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
Y_PRED = [-1.6, 0.4, 0.2, 1.2, -0.5, 2.4]
EXPECTED = {
    "mae": 5.3 / 6,
    "corr": 9.15 / math.sqrt(17.5 * 9.475),
    "acc7": 0.5,
    "f1_has0": 4 / 6,
    "f1_non0": 0.6,
    "acc2_has0": 4 / 6,
    "acc2_non0": 0.6,
}


def test_mosi_table_by_hand():
    table = metrics.mosi_table(Y_TRUE, Y_PRED)
    assert tuple(table) == metrics.MOSI_COLUMNS
    assert table == pytest.approx(EXPECTED)
    assert metrics.mosi_table(torch.tensor(Y_TRUE), np.array(Y_PRED)) == pytest.approx(EXPECTED)


def test_mosi_table_undefined_figures_are_nan():
    table = metrics.mosi_table([0.0, 0.0], [1.0, -1.0])
    assert math.isnan(table["acc2_non0"]) and math.isnan(table["f1_non0"]) and math.isnan(table["corr"])
    assert table["acc2_has0"] == 0.5


def test_mosi_table_uses_the_metric_validators():
    with pytest.raises(ValueError, match="y_pred contains 1 NaN"):
        metrics.mosi_table([1.0, 2.0], [1.0, float("nan")])


# group a: true 1 2,    pred 1.5 2.5   -> MAE .5,  Corr 1,  Acc2 has0 1
# group b: true -1 1 2, pred -1 -1 2   -> MAE 2/3, Acc2 has0 2/3,
#   Corr: deviations (-5/3, 1/3, 4/3) and (-1, -1, 2): 4 / sqrt(42/9 * 6) = 4 / sqrt(28)
# pooled: MAE (.5 + .5 + 2) / 5 = .6, Acc2 has0 4/5
GROUP_TRUE = [1.0, -1.0, 2.0, 1.0, 2.0]
GROUP_PRED = [1.5, -1.0, 2.5, -1.0, 2.0]
GROUPS = ["a", "b", "a", "b", "b"]


def test_per_group_rows_mean_over_groups_and_pooled():
    table = metrics.per_group(GROUP_TRUE, GROUP_PRED, GROUPS)
    assert list(table.index) == ["a", "b", metrics.MEAN_ROW, metrics.POOLED_ROW]
    assert list(table.columns) == [*metrics.MOSI_COLUMNS, "n"]
    assert table["n"].tolist() == [2, 3, 5, 5]
    corr_b = 4 / math.sqrt(28)
    assert table["mae"].tolist() == pytest.approx([0.5, 2 / 3, (0.5 + 2 / 3) / 2, 0.6])
    assert table["acc2_has0"].tolist() == pytest.approx([1.0, 2 / 3, (1 + 2 / 3) / 2, 0.8])
    assert table["corr"].tolist()[:3] == pytest.approx([1.0, corr_b, (1.0 + corr_b) / 2])
    pooled = metrics.mosi_table(GROUP_TRUE, GROUP_PRED)
    assert table.loc[metrics.POOLED_ROW, list(pooled)].tolist() == pytest.approx(list(pooled.values()))


def test_per_group_mean_skips_undefined_figures_and_takes_other_metrics():
    # group c has one clip: its Corr is undefined and left out of the mean over groups
    table = metrics.per_group([*GROUP_TRUE, 0.5], [*GROUP_PRED, 0.5], [*GROUPS, "c"])
    assert math.isnan(table.loc["c", "corr"])
    assert table.loc[metrics.MEAN_ROW, "corr"] == pytest.approx((1.0 + 4 / math.sqrt(28)) / 2)
    assert table.loc[metrics.MEAN_ROW, "mae"] == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)
    full = metrics.per_group(
        GROUP_TRUE, GROUP_PRED, torch.tensor([0, 1, 0, 1, 1]), metrics.regression_metrics
    )
    assert list(full.index[:2]) == [0, 1] and "acc5" in full.columns


def test_per_group_refuses_groups_of_another_length():
    with pytest.raises(ValueError, match="groups has 2 entries but y_true has 5"):
        metrics.per_group(GROUP_TRUE, GROUP_PRED, ["a", "b"])


def test_sentiment_classes_give_the_fast_bootstrap_the_same_f1_as_sklearn():
    import numpy as np

    from course_lib import metrics
    from course_lib.stats import paired_bootstrap

    rng = np.random.default_rng(0)
    y, p = rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)
    assert metrics.sentiment_classes([-0.1, 0.0, 2.6], "binary").tolist() == [0, 1, 1]
    assert metrics.sentiment_classes([-3.4, 0.5, 2.6], "7").tolist() == [
        0,
        3,
        6,
    ]  # 0.5 rounds to 0 (half to even)
    for task, score in (("binary", metrics.binary_f1), ("7", metrics.seven_class_f1)):
        fast = paired_bootstrap(
            metrics.sentiment_classes(y, task), metrics.sentiment_classes(p, task), None, n_resamples=5
        )
        assert fast.difference == pytest.approx(score(y, p))
    with pytest.raises(ValueError, match="task"):
        metrics.sentiment_classes(y, "5")
