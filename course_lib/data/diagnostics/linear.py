"""Linear probes: how much of a label a fixed feature view holds, with validation-only choices.

:func:`fit_linear_probe` standardises the features with training statistics,
fits a ridge regression (``kind="regression"``) or a multinomial logistic
regression (``kind="classification"``) on the training split for each value
of a small regularisation grid, keeps the value with the best validation
score (MAE, or weighted F1) and reports that model's validation and test
metrics. The test split never influences a choice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Ridge penalties and inverse logistic penalties tried, strongest regularisation first
#: (a tie on validation keeps the more regularised model).
RIDGE_ALPHAS: tuple[float, ...] = (1000.0, 100.0, 10.0, 1.0, 0.1)
LOGISTIC_CS: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0)
#: Regression figures reported (see :func:`course_lib.metrics.regression_metrics`).
REGRESSION_KEYS: tuple[str, ...] = ("mae", "corr", "acc2_has0", "acc2_non0", "f1_non0")


def _finite(value: float) -> float | None:
    """``value`` rounded to 4 decimals, or None when it is NaN (so that results are JSON)."""
    return None if math.isnan(value) else round(float(value), 4)


def _score(
    kind: str, y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[Any]
) -> dict[str, float | None]:
    from course_lib import metrics

    if kind == "regression":
        figures = metrics.regression_metrics(y_true, y_pred)
        return {key: _finite(figures[key]) for key in REGRESSION_KEYS}
    figures = metrics.classification_metrics(list(y_true), list(y_pred), list(labels))
    return {key: _finite(value) for key, value in figures.items()}


def _model(kind: str, strength: float):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "regression":
        return make_pipeline(StandardScaler(), Ridge(alpha=strength))
    return make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=3000))


def fit_linear_probe(
    x_train: np.ndarray,
    y_train: Sequence[Any],
    x_valid: np.ndarray,
    y_valid: Sequence[Any],
    x_test: np.ndarray,
    y_test: Sequence[Any],
    kind: str = "classification",
) -> dict[str, Any]:
    """Fit a linear probe on train, choose its regularisation on validation, score it on both.

    Args:
        x_train: Training features. Shape: ``(N_train, D)``.
        y_train: Training targets: class labels (any hashable) or scores.
        x_valid: Validation features. Shape: ``(N_valid, D)``.
        y_valid: Validation targets.
        x_test: Test features. Shape: ``(N_test, D)``.
        y_test: Test targets.
        kind: ``"classification"`` (logistic regression; figures ``accuracy``,
            ``weighted_f1``, ``macro_f1`` and ``f1_<class>`` per class name in
            sorted order; chosen on validation weighted F1) or
            ``"regression"`` (ridge; figures ``mae``, ``corr``, ``acc2_has0``,
            ``acc2_non0``, ``f1_non0``; chosen on validation MAE).

    Returns:
        ``{"valid": figures, "test": figures, "regularisation": {"alpha"|"C": value}}``;
        figures are floats rounded to 4 decimals, None where undefined.

    Raises:
        ValueError: for an unknown kind.
    """
    if kind not in ("classification", "regression"):
        raise ValueError(f"kind must be 'classification' or 'regression', got {kind!r}")
    grid, name = (RIDGE_ALPHAS, "alpha") if kind == "regression" else (LOGISTIC_CS, "C")
    targets = [np.asarray(y) for y in (y_train, y_valid, y_test)]
    labels: list[Any] = []
    if kind == "classification":  # class indices in sorted label order, as course_lib.metrics expects
        labels = sorted({value for y in targets for value in y.tolist()})
        targets = [np.array([labels.index(value) for value in y.tolist()], dtype=np.int64) for y in targets]
    y_train, y_valid, y_test = targets
    best: tuple[float, float, Any] = (-math.inf, grid[0], None)
    for strength in grid:
        model = _model(kind, strength).fit(x_train, y_train)
        figures = _score(kind, y_valid, model.predict(x_valid), labels)
        key = -figures["mae"] if kind == "regression" else figures["weighted_f1"]
        if best[2] is None or (key is not None and key > best[0]):
            best = (-math.inf if key is None else key, strength, model)
    _, strength, model = best
    return {
        "valid": _score(kind, y_valid, model.predict(x_valid), labels),
        "test": _score(kind, y_test, model.predict(x_test), labels),
        "regularisation": {name: strength},
    }
