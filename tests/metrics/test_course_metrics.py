"""Metrics against values computed by hand (worked out in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import metrics

LABELS = ("a", "b", "c")
# true:  0 0 1 1 2 2
# pred:  0 1 1 1 2 0
# class a: TP 1, FP 1, FN 1 -> F1 0.5
# class b: TP 2, FP 1, FN 0 -> P 2/3, R 1, F1 0.8
# class c: TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3
Y_TRUE = [0, 0, 1, 1, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0]


def test_accuracy_and_per_class_f1():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)
    f1 = metrics.per_class_f1(Y_TRUE, Y_PRED, LABELS)
    assert list(f1) == list(LABELS)
    assert f1["a"] == pytest.approx(0.5)
    assert f1["b"] == pytest.approx(0.8)
    assert f1["c"] == pytest.approx(2 / 3)


def test_weighted_f1_uses_support():
    # true 0 0 0 1, pred 0 0 1 1: class 0 F1 = 0.8 (support 3), class 1 F1 = 2/3 (support 1)
    assert metrics.weighted_f1([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.75 * 0.8 + 0.25 * 2 / 3)
    assert metrics.macro_f1([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx((0.8 + 2 / 3) / 2)


def test_absent_class_gets_zero_f1_and_no_weight():
    f1 = metrics.per_class_f1([0, 1], [0, 1], ("x", "y", "z"))
    assert f1 == {"x": 1.0, "y": 1.0, "z": 0.0}
    assert metrics.weighted_f1([0, 1], [0, 1], ("x", "y", "z")) == pytest.approx(1.0)


def test_inputs_may_be_tensors():
    assert metrics.accuracy(torch.tensor(Y_TRUE), np.array(Y_PRED)) == pytest.approx(4 / 6)


def test_confusion_matrix_counts_and_normalisation():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=4)
    expected = np.array([[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(cm, expected)
    rows = metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=3, normalize="true")
    np.testing.assert_allclose(rows, [[0.5, 0.5, 0], [0, 1, 0], [0.5, 0, 0.5]])


def test_classification_report_dict_and_text():
    report = metrics.classification_report(Y_TRUE, Y_PRED, LABELS)
    assert report["b"]["precision"] == pytest.approx(2 / 3)
    assert report["c"]["recall"] == pytest.approx(0.5)
    assert report["a"]["support"] == 2
    text = metrics.classification_report(Y_TRUE, Y_PRED, LABELS, as_dict=False)
    assert isinstance(text, str) and "b" in text and "0.800" in text


def test_classification_metrics_flat_dict():
    result = metrics.classification_metrics(Y_TRUE, Y_PRED, LABELS)
    assert set(result) == {"accuracy", "weighted_f1", "macro_f1", "f1_a", "f1_b", "f1_c"}
    assert result["weighted_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert result["f1_b"] == pytest.approx(0.8)


def test_length_mismatch_and_empty_inputs_fail():
    with pytest.raises(ValueError, match="differ in length"):
        metrics.accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="zero samples"):
        metrics.accuracy([], [])


# Regression example
# true: -2.6 -0.4  0.0  0.0  1.4  2.5
# pred: -1.0  0.3 -0.2  0.6  1.6  3.4
R_TRUE = [-2.6, -0.4, 0.0, 0.0, 1.4, 2.5]
R_PRED = [-1.0, 0.3, -0.2, 0.6, 1.6, 3.4]


def test_mae():
    # |1.6| + |0.7| + |0.2| + |0.6| + |0.2| + |0.9| = 4.2
    assert metrics.mae(R_TRUE, R_PRED) == pytest.approx(0.7)


def test_pearson_known_values_and_constant_input():
    assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert metrics.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # deviations (-1, 0, 1) and (-1, 1, 0): cov 1, variances 2 and 2
    assert metrics.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert math.isnan(metrics.pearson([1, 2, 3], [1, 1, 1]))


def test_acc2_both_conventions():
    # has0: true>=0 F F T T T T, pred>=0 F T F T T T -> 4/6
    assert metrics.acc2(R_TRUE, R_PRED, "has0") == pytest.approx(4 / 6)
    # non0: zeros dropped; true>0 F F T T, pred>0 F T T T -> 3/4
    assert metrics.acc2(R_TRUE, R_PRED, "non0") == pytest.approx(3 / 4)
    with pytest.raises(ValueError, match="mode"):
        metrics.acc2(R_TRUE, R_PRED, "neither")


def test_acc5_and_acc7_round_clipped_scores():
    # acc7: true -3 0 0 0 1 2 (2.5 rounds to even), pred -1 0 0 1 2 3 -> 2/6
    assert metrics.acc7(R_TRUE, R_PRED) == pytest.approx(2 / 6)
    # acc5: true -2 0 0 0 1 2, pred -1 0 0 1 2 2 -> 3/6
    assert metrics.acc5(R_TRUE, R_PRED) == pytest.approx(3 / 6)


def test_binary_prf_weighted():
    # has0: class F (support 2) P .5 R .5 F1 .5; class T (support 4) P .75 R .75 F1 .75
    has0 = metrics.binary_prf(R_TRUE, R_PRED, "has0")
    assert has0["f1"] == pytest.approx((2 * 0.5 + 4 * 0.75) / 6)
    assert has0["precision"] == pytest.approx((2 * 0.5 + 4 * 0.75) / 6)
    # non0: class F (2) P 1 R .5 F1 2/3; class T (2) P 2/3 R 1 F1 .8
    non0 = metrics.binary_prf(R_TRUE, R_PRED, "non0")
    assert non0["f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert non0["precision"] == pytest.approx((1 + 2 / 3) / 2)
    assert non0["recall"] == pytest.approx(0.75)


def test_seven_class_prf():
    # classes true -3 0 0 0 1 2, pred -1 0 0 1 2 3: only class 0 (support 3) scores, P 1 R 2/3 F1 .8
    prf = metrics.seven_class_prf(R_TRUE, R_PRED)
    assert prf["f1"] == pytest.approx(3 * 0.8 / 6)
    assert prf["precision"] == pytest.approx(0.5)
    assert prf["recall"] == pytest.approx(2 / 6)


def test_regression_metrics_flat_dict():
    result = metrics.regression_metrics(R_TRUE, R_PRED)
    expected_keys = {
        "mae",
        "corr",
        "acc2_has0",
        "acc2_non0",
        "acc5",
        "acc7",
        "precision_has0",
        "recall_has0",
        "f1_has0",
        "precision_non0",
        "recall_non0",
        "f1_non0",
        "precision_7",
        "recall_7",
        "f1_7",
    }
    assert set(result) == expected_keys
    assert result["acc2_non0"] == pytest.approx(0.75)
    assert result["mae"] == pytest.approx(0.7)


def test_regression_metrics_all_zero_labels_give_nan_non0():
    result = metrics.regression_metrics([0.0, 0.0], [0.5, -0.5])
    assert math.isnan(result["acc2_non0"]) and math.isnan(result["f1_non0"])
    assert result["acc2_has0"] == pytest.approx(0.5)


def test_pair_confusion_and_most_confused():
    from course_lib.metrics import most_confused, pair_confusion

    classes = ("hap", "exc", "sad")
    matrix = np.array([[6, 4, 0], [2, 8, 0], [0, 1, 9]])
    assert pair_confusion(matrix, classes, "hap", "exc") == pytest.approx(6 / 20)
    assert math.isnan(pair_confusion(np.zeros((3, 3)), classes, "hap", "exc"))
    assert most_confused(matrix, classes, top=2) == [("hap", "exc", 0.4), ("exc", "hap", 0.2)]
