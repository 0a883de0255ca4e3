"""Evaluation metrics of the course, thin wrappers around scikit-learn.

Two families:

* classification (the emotion and MVSA lessons): accuracy, per-class F1,
  weighted F1, confusion matrix and classification report, gathered by
  :func:`classification_metrics`;
* regression on sentiment scores in [-3, 3] (the MOSI/MOSEI lessons): MAE,
  Pearson correlation, Acc2 in both MMSA conventions, Acc5, Acc7 and the
  binary / 7-class weighted precision, recall and F1, gathered by
  :func:`regression_metrics`; :func:`mosi_table` keeps the five figures the
  MOSI papers print and :func:`per_group` computes them per user (or any
  group) with the mean over groups and the pooled figures.

Class labels are integer indices into a tuple of class names (for example
:data:`course_lib.data.records.IEMOCAP_CLASSES`). Every function accepts
lists, numpy arrays or torch tensors, and refuses bad inputs with a
``ValueError`` that names the argument (``y_true`` or ``y_pred``): empty or
of different lengths, NaN or infinite values (a diverged model), and class
indices that are not integers or fall outside the class list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

ACC2_MODES = ("has0", "non0")


def _as_array(values: Any) -> np.ndarray:
    """Flatten lists, numpy arrays or (CPU/GPU) torch tensors to a 1-D numpy array."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values).reshape(-1)


def _checked(values: Any, name: str, num_classes: int | None, classes: bool) -> np.ndarray:
    """One argument as a finite 1-D array: float64 scores, or int64 class indices when ``classes``.

    Raises:
        ValueError: naming ``name`` when the values are empty, not numbers,
            NaN or infinite, or (``classes``) not valid class indices.
    """
    array = _as_array(values)
    if array.size == 0:
        raise ValueError(f"{name} is empty: cannot compute a metric on zero samples")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    for problem, bad in (("NaN", np.isnan(array)), ("infinite", np.isinf(array))):
        if bad.any():
            raise ValueError(f"{name} contains {int(bad.sum())} {problem} values")
    return _class_indices(array, name, num_classes) if classes else array


def _class_indices(array: np.ndarray, name: str, num_classes: int | None) -> np.ndarray:
    """``array`` as int64 after checking every value is a whole number in ``0..num_classes - 1``."""
    fractional = array != np.round(array)
    if fractional.any():
        count, example = int(fractional.sum()), array[fractional][0]
        raise ValueError(f"{name} holds {count} non-integer class indices, e.g. {example}")
    outside = (array < 0) | (array >= (num_classes if num_classes is not None else np.inf))
    if outside.any():
        where = (
            f"outside 0..{num_classes - 1} ({num_classes} classes)" if num_classes is not None else "below 0"
        )
        count, example = int(outside.sum()), int(array[outside][0])
        raise ValueError(f"{name} holds {count} class indices {where}, e.g. {example}")
    return array.astype(np.int64)


def _pair(
    y_true: Any, y_pred: Any, num_classes: int | None = None, classes: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(true, pred)`` arrays of equal length; every metric goes through here.

    Args:
        y_true: Labels.
        y_pred: Predictions.
        num_classes: Number of classes; class indices must lie in
            ``0..num_classes - 1`` (only non-negative when None).
        classes: Check class indices (int64 arrays) instead of scores
            (float64 arrays).

    Raises:
        ValueError: naming the faulty argument (see :func:`_checked`), or
            when the lengths differ.
    """
    true = _checked(y_true, "y_true", num_classes, classes)
    pred = _checked(y_pred, "y_pred", num_classes, classes)
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {true.shape[0]} vs {pred.shape[0]}")
    return true, pred


# ----------------------------------------------------------------------------- classification


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of predictions equal to the labels."""
    true, pred = _pair(y_true, y_pred, classes=True)
    return float(skm.accuracy_score(true, pred))


def per_class_f1(y_true: Any, y_pred: Any, labels: Sequence[str]) -> dict[str, float]:
    """F1 of every class, keyed by class name.

    Args:
        y_true: Integer class indices.
        y_pred: Predicted class indices.
        labels: Class names in index order; a class never seen nor predicted
            gets an F1 of 0.

    Returns:
        ``{name: f1}`` in the order of ``labels``.
    """
    true, pred = _pair(y_true, y_pred, len(labels), classes=True)
    scores = skm.f1_score(true, pred, labels=list(range(len(labels))), average=None, zero_division=0)
    return {name: float(score) for name, score in zip(labels, scores)}


def _averaged_f1(y_true: Any, y_pred: Any, labels: Sequence[str] | None, average: str) -> float:
    num_classes = len(labels) if labels is not None else None
    true, pred = _pair(y_true, y_pred, num_classes, classes=True)
    indices = list(range(num_classes)) if num_classes is not None else None
    return float(skm.f1_score(true, pred, labels=indices, average=average, zero_division=0))


def weighted_f1(y_true: Any, y_pred: Any, labels: Sequence[str] | None = None) -> float:
    """F1 averaged over classes weighted by each class's support in ``y_true``.

    Args:
        y_true: Integer class indices.
        y_pred: Predicted class indices.
        labels: Class names in index order; None averages over the classes
            present in either array.
    """
    return _averaged_f1(y_true, y_pred, labels, "weighted")


def macro_f1(y_true: Any, y_pred: Any, labels: Sequence[str] | None = None) -> float:
    """Unweighted mean of the per-class F1 scores (``labels`` as in :func:`weighted_f1`)."""
    return _averaged_f1(y_true, y_pred, labels, "macro")


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int, normalize: str | None = None) -> np.ndarray:
    """Confusion matrix with rows = true class, columns = predicted class.

    Args:
        y_true: Integer class indices.
        y_pred: Predicted class indices.
        num_classes: Number of classes (the matrix is ``num_classes`` square
            even when some classes are absent).
        normalize: None for counts, ``"true"`` to divide each row by its sum
            (recall on the diagonal), ``"pred"`` for columns, ``"all"``.

    Shape:
        ``(num_classes, num_classes)``.
    """
    true, pred = _pair(y_true, y_pred, num_classes, classes=True)
    return skm.confusion_matrix(true, pred, labels=list(range(num_classes)), normalize=normalize)


def pair_confusion(matrix: Any, classes: Sequence[str], a: str, b: str) -> float:
    """Share of the turns of classes ``a`` and ``b`` predicted as the other one of the pair.

    Args:
        matrix: Confusion counts, rows = true class. Shape: ``(C, C)``.
        classes: Class names in the matrix's order.
        a, b: The pair.

    Returns:
        ``(m[a, b] + m[b, a]) / (turns of a + turns of b)``; NaN when neither class occurs.
    """
    m = np.asarray(matrix, dtype=float)
    i, j = list(classes).index(a), list(classes).index(b)
    total = m[i].sum() + m[j].sum()
    return float((m[i, j] + m[j, i]) / total) if total else float("nan")


def most_confused(matrix: Any, classes: Sequence[str], top: int = 3) -> list[tuple[str, str, float]]:
    """The ``top`` largest off-diagonal shares ``(true class, predicted class, share of the true class)``."""
    m = np.asarray(matrix, dtype=float)
    rates = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    np.fill_diagonal(rates, -1.0)
    order = np.argsort(rates, axis=None)[::-1][:top]
    return [(classes[i], classes[j], float(rates[i, j])) for i, j in zip(*np.unravel_index(order, m.shape))]


def classification_report(
    y_true: Any, y_pred: Any, labels: Sequence[str], as_dict: bool = True, digits: int = 3
) -> dict[str, Any] | str:
    """scikit-learn's per-class precision/recall/F1/support report.

    Args:
        y_true: Integer class indices.
        y_pred: Predicted class indices.
        labels: Class names in index order.
        as_dict: Return the nested dict (True) or the formatted text (False).
        digits: Decimals of the text report.
    """
    true, pred = _pair(y_true, y_pred, len(labels), classes=True)
    return skm.classification_report(
        true,
        pred,
        labels=list(range(len(labels))),
        target_names=list(labels),
        output_dict=as_dict,
        digits=digits,
        zero_division=0,
    )


def classification_metrics(y_true: Any, y_pred: Any, labels: Sequence[str]) -> dict[str, float]:
    """All classification figures of a run in one flat dict.

    Returns:
        ``accuracy``, ``weighted_f1``, ``macro_f1`` and ``f1_<class>`` for
        every class name.
    """
    y_true, y_pred = _pair(y_true, y_pred, len(labels), classes=True)  # accuracy sees the same classes
    result = {
        "accuracy": accuracy(y_true, y_pred),
        "weighted_f1": weighted_f1(y_true, y_pred, labels),
        "macro_f1": macro_f1(y_true, y_pred, labels),
    }
    result.update({f"f1_{name}": value for name, value in per_class_f1(y_true, y_pred, labels).items()})
    return result


# ----------------------------------------------------------------------------- regression


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error."""
    true, pred = _pair(y_true, y_pred)
    return float(skm.mean_absolute_error(true, pred))


def pearson(y_true: Any, y_pred: Any) -> float:
    """Pearson correlation between labels and predictions.

    Returns NaN when either side is constant (the correlation is undefined);
    report it as such rather than as a number.
    """
    true, pred = _pair(y_true, y_pred)
    if true.size < 2 or np.ptp(true) == 0 or np.ptp(pred) == 0:
        return float("nan")
    return float(np.corrcoef(true, pred)[0, 1])


def binarize(y_true: Any, y_pred: Any, mode: str = "has0") -> tuple[np.ndarray, np.ndarray]:
    """Turn scores into binary sentiment labels in one of the two MMSA conventions.

    Args:
        y_true: Sentiment scores.
        y_pred: Predicted scores.
        mode: ``"has0"``: negative (< 0) vs non-negative (>= 0), every sample
            kept; ``"non0"``: samples whose label is exactly 0 dropped, then
            negative (< 0) vs positive (> 0).

    Returns:
        ``(true, pred)`` boolean arrays, True for the non-negative / positive class.
    """
    true, pred = _pair(y_true, y_pred)
    if mode == "has0":
        return true >= 0, pred >= 0
    if mode == "non0":
        keep = true != 0
        if not keep.any():
            raise ValueError("Acc2 'non0' needs at least one non-zero label")
        return true[keep] > 0, pred[keep] > 0
    raise ValueError(f"mode must be one of {ACC2_MODES}, got {mode!r}")


def acc2(y_true: Any, y_pred: Any, mode: str = "has0") -> float:
    """Binary accuracy in the ``"has0"`` or ``"non0"`` convention (see :func:`binarize`)."""
    true, pred = binarize(y_true, y_pred, mode)
    return float(np.mean(true == pred))


def _bucket(values: np.ndarray, bound: int) -> np.ndarray:
    # numpy rounds halves to even (2.5 -> 2), as the MMSA reference code does.
    return np.round(np.clip(values, -bound, bound)).astype(int)


def acc5(y_true: Any, y_pred: Any) -> float:
    """5-class accuracy on ``round(clip(x, -2, 2))`` of labels and predictions."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(_bucket(true, 2) == _bucket(pred, 2)))


def acc7(y_true: Any, y_pred: Any) -> float:
    """7-class accuracy on ``round(clip(x, -3, 3))`` of labels and predictions."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(_bucket(true, 3) == _bucket(pred, 3)))


def _weighted_prf(true: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        true, pred, average="weighted", zero_division=0
    )
    return float(precision), float(recall), float(f1)


def binary_prf(y_true: Any, y_pred: Any, mode: str = "has0") -> dict[str, float]:
    """Weighted precision, recall and F1 of the binary sentiment task.

    Returns:
        ``{"precision", "recall", "f1"}`` in the given Acc2 convention.
    """
    true, pred = binarize(y_true, y_pred, mode)
    precision, recall, f1 = _weighted_prf(true, pred)
    return {"precision": precision, "recall": recall, "f1": f1}


def seven_class_prf(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Weighted precision, recall and F1 over the 7 rounded score classes -3..3."""
    true, pred = _pair(y_true, y_pred)
    precision, recall, f1 = _weighted_prf(_bucket(true, 3), _bucket(pred, 3))
    return {"precision": precision, "recall": recall, "f1": f1}


def sentiment_classes(values: Any, task: str = "binary") -> np.ndarray:
    """Class indices of sentiment scores, for the fast paths of :func:`course_lib.stats.paired_bootstrap`.

    Args:
        values: Scores. Shape: any.
        task: ``"binary"`` (``has0``: 0 negative, 1 non-negative) or ``"7"`` (0..6 for -3..3, rounded).
    """
    array = np.asarray(values, dtype=np.float64)
    if task == "binary":
        return (array >= 0).astype(np.int64)
    if task == "7":
        return _bucket(array, 3).astype(np.int64) + 3
    raise ValueError(f"task must be 'binary' or '7', got {task!r}")


def binary_f1(y_true: Any, y_pred: Any) -> float:
    """Weighted binary F1 in the ``has0`` convention (a score function for claims and bootstraps)."""
    return binary_prf(y_true, y_pred, "has0")["f1"]


def seven_class_f1(y_true: Any, y_pred: Any) -> float:
    """Weighted 7-class F1 on ``round(clip(x, -3, 3))`` (a score function for claims and bootstraps)."""
    return seven_class_prf(y_true, y_pred)["f1"]


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """All regression figures of a run in one flat dict.

    Returns:
        ``mae``, ``corr``, ``acc2_has0``, ``acc2_non0``, ``precision_has0``,
        ``recall_has0``, ``f1_has0`` (and the same for ``non0``), ``acc5``,
        ``acc7``, ``precision_7``, ``recall_7``, ``f1_7``. The ``non0`` entries
        are NaN when every label is 0.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    result = {"mae": mae(y_true, y_pred), "corr": pearson(y_true, y_pred)}
    for mode in ACC2_MODES:
        if mode == "non0" and not np.any(y_true):
            result[f"acc2_{mode}"] = float("nan")
            prf = {"precision": float("nan"), "recall": float("nan"), "f1": float("nan")}
        else:
            result[f"acc2_{mode}"] = acc2(y_true, y_pred, mode)
            prf = binary_prf(y_true, y_pred, mode)
        result.update({f"{name}_{mode}": value for name, value in prf.items()})
    result["acc5"] = acc5(y_true, y_pred)
    result["acc7"] = acc7(y_true, y_pred)
    result.update({f"{name}_7": value for name, value in seven_class_prf(y_true, y_pred).items()})
    return result


#: The figures of the MOSI/MOSEI papers' tables (MAE, Corr, Acc7, F1, Acc2), in that order, F1 and
#: Acc2 in both conventions: ``has0`` (0 counts as non-negative) and ``non0`` (0 labels dropped,
#: the MulT code's ``exclude_zero=True``).
MOSI_COLUMNS = ("mae", "corr", "acc7", "f1_has0", "f1_non0", "acc2_has0", "acc2_non0")
#: Row labels of the summary rows of :func:`per_group`.
MEAN_ROW, POOLED_ROW = "mean over groups", "pooled"


def mosi_table(y_true: Any, y_pred: Any) -> dict[str, float]:
    """The figures a MOSI/MOSEI paper prints, with the Acc2/F1 convention in the name.

    Papers rarely say which convention their Acc2 and F1 use, so both are
    given: compare with a paper only under the convention it used.

    Returns:
        ``{name: value}`` for the names of :data:`MOSI_COLUMNS`, in that
        order; F1 is the weighted binary F1. The ``non0`` entries are NaN
        when every label is 0, ``corr`` when either side is constant.
    """
    figures = regression_metrics(y_true, y_pred)
    return {name: figures[name] for name in MOSI_COLUMNS}


def per_group(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    metrics: Callable[[Any, Any], dict[str, float]] = mosi_table,
) -> pd.DataFrame:
    """Metrics per group (e.g. per user), their mean over groups and the pooled figures.

    The personalisation paper reports the mean over its users of per-user
    metrics; pooling all clips weighs users by their number of clips
    instead. Both are given, as rows :data:`MEAN_ROW` and :data:`POOLED_ROW`.
    A figure undefined in a group (NaN: ``corr`` on one clip or constant
    predictions, ``non0`` figures when all its labels are 0) is left out of
    the mean over groups.

    Args:
        y_true: Labels.
        y_pred: Predictions.
        groups: Group of every sample (user ids, draw numbers, ...).
        metrics: ``(y_true, y_pred) -> {name: value}``, e.g. :func:`regression_metrics`.

    Returns:
        One row per group in order of first appearance, then the two summary
        rows; one column per figure plus ``n``, the number of samples (all
        of them on the summary rows).

    Raises:
        ValueError: for invalid labels or predictions (see :func:`_pair`), or
            ``groups`` of another length.
    """
    true, pred = _pair(y_true, y_pred)
    labels = _as_array(groups)
    if labels.shape != true.shape:
        raise ValueError(f"groups has {labels.shape[0]} entries but y_true has {true.shape[0]}")
    rows = {}
    for group in pd.unique(labels):
        chosen = labels == group
        rows[group] = {**metrics(true[chosen], pred[chosen]), "n": int(chosen.sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    summary = {
        MEAN_ROW: {**table.mean().to_dict(), "n": true.size},
        POOLED_ROW: {**metrics(true, pred), "n": true.size},
    }
    table = pd.concat([table, pd.DataFrame.from_dict(summary, orient="index")])
    table.index.name = "group"
    return table
