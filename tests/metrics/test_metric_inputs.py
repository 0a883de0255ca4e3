"""Every metric refuses bad inputs with a ValueError naming the argument, and still scores good ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import metrics

LABELS = ("a", "b", "c")

# Each metric called as f(y_true, y_pred), with the class list where it takes one.
REGRESSION = {
    "mae": metrics.mae,
    "pearson": metrics.pearson,
    "binarize_has0": lambda t, p: metrics.binarize(t, p, "has0"),
    "acc2_has0": lambda t, p: metrics.acc2(t, p, "has0"),
    "acc2_non0": lambda t, p: metrics.acc2(t, p, "non0"),
    "acc5": metrics.acc5,
    "acc7": metrics.acc7,
    "binary_prf": metrics.binary_prf,
    "seven_class_prf": metrics.seven_class_prf,
    "regression_metrics": metrics.regression_metrics,
}
CLASSIFICATION = {
    "accuracy": metrics.accuracy,
    "per_class_f1": lambda t, p: metrics.per_class_f1(t, p, LABELS),
    "weighted_f1": lambda t, p: metrics.weighted_f1(t, p, LABELS),
    "macro_f1": lambda t, p: metrics.macro_f1(t, p, LABELS),
    "confusion_matrix": lambda t, p: metrics.confusion_matrix(t, p, len(LABELS)),
    "classification_report": lambda t, p: metrics.classification_report(t, p, LABELS),
    "classification_metrics": lambda t, p: metrics.classification_metrics(t, p, LABELS),
}
ALL = {**REGRESSION, **CLASSIFICATION}
# Metrics that need a class list to know the number of classes.
WITH_LABELS = [name for name in CLASSIFICATION if name != "accuracy"]

SCORES = [-1.5, 0.5, 2.0, -0.2]
CLASSES = [0, 1, 2, 1]


def _good(name: str) -> list[float]:
    return list(SCORES if name in REGRESSION else CLASSES)


@pytest.mark.parametrize("name", list(ALL))
def test_nan_in_predictions_is_refused(name):
    pred = _good(name)
    pred[1] = pred[3] = float("nan")
    with pytest.raises(ValueError, match="y_pred contains 2 NaN values"):
        ALL[name](_good(name), pred)


@pytest.mark.parametrize("name", list(ALL))
def test_nan_in_targets_is_refused(name):
    true = _good(name)
    true[0] = float("nan")
    with pytest.raises(ValueError, match="y_true contains 1 NaN values"):
        ALL[name](true, _good(name))


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_predictions_are_refused(name, value):
    pred = _good(name)
    pred[2] = value
    with pytest.raises(ValueError, match="y_pred contains 1 infinite values"):
        ALL[name](_good(name), pred)


@pytest.mark.parametrize("name", list(ALL))
def test_nan_in_a_tensor_is_refused(name):
    pred = torch.tensor(_good(name), dtype=torch.float32)
    pred[0] = float("nan")
    with pytest.raises(ValueError, match="y_pred contains 1 NaN values"):
        ALL[name](torch.tensor(_good(name)), pred)


@pytest.mark.parametrize("name", list(ALL))
def test_mismatched_lengths_are_refused(name):
    with pytest.raises(ValueError, match="y_true and y_pred differ in length: 4 vs 3"):
        ALL[name](_good(name), _good(name)[:3])


@pytest.mark.parametrize("name", list(ALL))
def test_empty_inputs_are_refused(name):
    with pytest.raises(ValueError, match="y_true is empty"):
        ALL[name]([], [])
    with pytest.raises(ValueError, match="y_pred is empty"):
        ALL[name](_good(name), [])


@pytest.mark.parametrize("name", list(ALL))
def test_non_numeric_inputs_are_refused(name):
    with pytest.raises(ValueError, match="y_pred must hold numbers"):
        ALL[name](_good(name), ["x"] * 4)


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_negative_class_index_is_refused(name):
    with pytest.raises(ValueError, match=r"y_pred holds 1 class indices (below 0|outside 0\.\.2)"):
        CLASSIFICATION[name](CLASSES, [0, -1, 2, 1])


@pytest.mark.parametrize("name", WITH_LABELS)
def test_class_index_beyond_the_label_list_is_refused(name):
    with pytest.raises(
        ValueError, match=r"y_pred holds 2 class indices outside 0\.\.2 \(3 classes\), e\.g\. 3"
    ):
        CLASSIFICATION[name](CLASSES, [0, 3, 2, 7])
    with pytest.raises(ValueError, match=r"y_true holds 1 class indices outside 0\.\.2"):
        CLASSIFICATION[name]([0, 1, 2, 3], CLASSES)


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_non_integer_class_index_is_refused(name):
    with pytest.raises(ValueError, match="y_pred holds 1 non-integer class indices, e.g. 1.5"):
        CLASSIFICATION[name](CLASSES, [0, 1.5, 2, 1])


def test_acc2_no_longer_counts_nan_as_negative():
    # Before: NaN >= 0 is False, so a NaN prediction of a negative label scored as correct (acc2 = 1.0).
    with pytest.raises(ValueError, match="y_pred contains 1 NaN values"):
        metrics.acc2([-1.0, 1.0], [float("nan"), 1.0])


def test_acc7_no_longer_buckets_nan_into_a_class():
    # Before: NaN was cast to a huge negative integer and counted as a wrong class.
    with pytest.raises(ValueError, match="y_pred contains 1 NaN values"):
        metrics.acc7([0.0, 1.0], [float("nan"), 1.0])


def test_classification_metrics_agree_on_which_classes_exist():
    # Before: accuracy counted index 3 while the F1 scores silently left it out.
    with pytest.raises(ValueError, match="outside 0..2"):
        metrics.classification_metrics([0, 1, 3], [0, 1, 3], LABELS)


def test_accuracy_without_labels_accepts_any_non_negative_index():
    assert metrics.accuracy([0, 7, 7], [0, 7, 2]) == pytest.approx(2 / 3)


def test_whole_float_and_bool_class_indices_are_accepted():
    # true 0 1 2 1, pred 0 1 1 1: 3 of 4 right
    assert metrics.accuracy(np.array(CLASSES, dtype=np.float32), torch.tensor([0.0, 1.0, 1.0, 1.0])) == 0.75
    # true F T T F, pred F T F F: class False P 2/3 R 1 F1 .8, class True P 1 R .5 F1 2/3
    f1 = metrics.per_class_f1([False, True, True, False], [False, True, False, False], ("neg", "pos"))
    assert f1["neg"] == pytest.approx(0.8) and f1["pos"] == pytest.approx(2 / 3)


def test_valid_scores_still_give_hand_computed_values():
    # true -1.5 0.5 2.0 -0.2, pred -1.0 0.5 3.0 0.2
    pred = [-1.0, 0.5, 3.0, 0.2]
    # |0.5| + 0 + |1.0| + |0.4| = 1.9
    assert metrics.mae(SCORES, pred) == pytest.approx(1.9 / 4)
    # has0: true>=0 F T T F, pred>=0 F T T T -> 3/4
    assert metrics.acc2(SCORES, pred) == pytest.approx(0.75)
    # acc7 classes: true -2 0 2 0, pred -1 0 3 0 -> 2/4; acc5: pred clipped -1 0 2 0 -> 3/4
    assert metrics.acc7(SCORES, pred) == pytest.approx(0.5)
    assert metrics.acc5(SCORES, pred) == pytest.approx(0.75)
    result = metrics.regression_metrics(SCORES, pred)
    assert result["mae"] == pytest.approx(1.9 / 4) and result["acc2_non0"] == pytest.approx(0.75)
