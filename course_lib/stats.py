"""Statistics for honest comparisons: paired bootstrap confidence intervals and verdicts.

A claim such as "fusion beats text alone" is a difference between two systems
scored on the *same* test items. :func:`paired_bootstrap` resamples the items
(with replacement), scores both systems on each resample and returns the
percentile interval of the difference; with several seeds per system the score
of a system is the mean over its seeds on that resample, so the interval covers
the item sampling while the seed spread is reported beside it. :func:`verdict`
turns an interval into words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: A metric of (y_true, y_pred) -> float, e.g. :func:`course_lib.metrics.weighted_f1`.
Metric = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class BootstrapResult:
    """Observed difference of two systems' scores and its percentile confidence interval.

    Attributes:
        difference: score(a) - score(b) on the full test set (means over seeds).
        low, high: The interval's bounds.
        confidence: Its level, e.g. 0.95.
        n_items: Test items resampled.
        n_resamples: Bootstrap resamples drawn.
        seed_std_a, seed_std_b: Standard deviation of each system's score over its seeds (0 for one seed).
    """

    difference: float
    low: float
    high: float
    confidence: float
    n_items: int
    n_resamples: int
    seed_std_a: float = 0.0
    seed_std_b: float = 0.0


def _per_seed(predictions: np.ndarray | Sequence, n_items: int, name: str) -> np.ndarray:
    """Predictions as ``(S, N)``: one row per seed."""
    array = np.asarray(predictions)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != n_items or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N,) or (S, N) with N = {n_items}, got {array.shape}")
    return array


def _weighted_f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Weighted F1 per resample from confusion counts of shape ``(R, K, K)`` (true x predicted)."""
    tp = np.diagonal(counts, axis1=1, axis2=2)
    support = counts.sum(axis=2)
    predicted = counts.sum(axis=1)
    denominator = support + predicted
    f1 = np.divide(2 * tp, denominator, out=np.zeros(tp.shape, dtype=float), where=denominator > 0)
    total = support.sum(axis=1, keepdims=True)
    return (f1 * support).sum(axis=1) / np.maximum(total[:, 0], 1)


def _fast_scores(y_true: np.ndarray, preds: np.ndarray, indices: np.ndarray, metric: str) -> np.ndarray:
    """``(R,)`` mean-over-seeds scores of integer class predictions for each resample."""
    n_classes = int(max(y_true.max(), preds.max())) + 1
    scores = np.zeros(len(indices))
    for row in preds:
        pairs = y_true * n_classes + row
        counts = np.stack([np.bincount(pairs[i], minlength=n_classes**2) for i in indices])
        counts = counts.reshape(len(indices), n_classes, n_classes)
        if metric == "accuracy":
            scores += np.trace(counts, axis1=1, axis2=2) / len(y_true)
        else:
            scores += _weighted_f1_from_counts(counts)
    return scores / len(preds)


def _generic_scores(y_true: np.ndarray, preds: np.ndarray, indices: np.ndarray, metric: Metric) -> np.ndarray:
    return np.array([np.mean([metric(y_true[i], row[i]) for row in preds]) for i in indices])


def _scores(truth: np.ndarray, preds: np.ndarray, indices: np.ndarray, metric: Metric | str) -> np.ndarray:
    """Mean-over-seeds score on each resample. Shape: ``(R,)``."""
    if isinstance(metric, str):
        return _fast_scores(truth, preds, indices, metric)
    return _generic_scores(truth, preds, indices, metric)


def _seed_std(truth: np.ndarray, preds: np.ndarray, metric: Metric | str) -> float:
    """Standard deviation over seeds of the full-test-set score (0 for one seed)."""
    whole = np.arange(len(truth))[None]
    return float(np.std([_scores(truth, row[None], whole, metric)[0] for row in preds]))


def paired_bootstrap(
    y_true: Sequence,
    pred_a: Sequence,
    pred_b: Sequence | None,
    metric: Metric | str = "weighted_f1",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapResult:
    """Paired bootstrap interval of score(a) - score(b) over test items (score(a) alone without b).

    Args:
        y_true: Targets. Shape: ``(N,)``.
        pred_a, pred_b: Predictions of the two systems. Shape: ``(N,)`` or
            ``(S, N)`` for ``S`` seeds (the two may have different ``S``).
            ``pred_b=None`` bootstraps score(a) itself (a one-system claim).
        metric: ``"weighted_f1"`` or ``"accuracy"`` (fast paths for integer
            class indices), or any callable ``metric(y_true, y_pred) -> float``.
        n_resamples: Bootstrap resamples.
        confidence: Level of the percentile interval.
        seed: Seed of the resampling (the same seed gives the same interval).
            Resamples on which a callable metric is undefined (NaN, e.g. a
            correlation of a resample with one distinct value) are left out of
            the interval.

    Raises:
        ValueError: for mismatched shapes, an empty test set or a bad level.
    """
    truth = np.asarray(y_true)
    if truth.ndim != 1 or len(truth) == 0:
        raise ValueError(f"y_true must be a non-empty 1-d array, got shape {truth.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    a = _per_seed(pred_a, len(truth), "pred_a")
    b = None if pred_b is None else _per_seed(pred_b, len(truth), "pred_b")
    rng = np.random.default_rng(seed)
    indices = np.vstack([np.arange(len(truth)), rng.integers(0, len(truth), size=(n_resamples, len(truth)))])
    arrays = [x for x in (truth, a, b) if x is not None]
    if isinstance(metric, str):
        if metric not in ("weighted_f1", "accuracy"):
            raise ValueError(f"metric must be 'weighted_f1', 'accuracy' or a callable, got {metric!r}")
        if not all(np.issubdtype(x.dtype, np.integer) for x in arrays) or min(x.min() for x in arrays) < 0:
            raise ValueError("the fast metrics need non-negative integer class indices")
    score_a = _scores(truth, a, indices, metric)
    score_b = np.zeros_like(score_a) if b is None else _scores(truth, b, indices, metric)
    differences = score_a - score_b
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(differences[1:], [tail, 100 - tail])

    return BootstrapResult(
        difference=float(differences[0]),
        low=float(low),
        high=float(high),
        confidence=confidence,
        n_items=len(truth),
        n_resamples=n_resamples,
        seed_std_a=_seed_std(truth, a, metric),
        seed_std_b=0.0 if b is None else _seed_std(truth, b, metric),
    )


def verdict(low: float, high: float, direction: str = "greater") -> str:
    """Words for a claim about a difference, from its confidence interval.

    Args:
        low, high: The interval of the difference (ours).
        direction: ``"greater"`` when the claim says the difference is positive,
            ``"less"`` when it says negative, ``"similar"`` when it says there is no real difference.

    Returns:
        ``"holds"``, ``"does not hold"`` (the interval excludes the claim's side)
        or ``"inconclusive"`` (the interval contains 0) -- for ``"similar"``:
        ``"consistent"`` when the interval contains 0 (no real difference
        detected, which is weaker than showing equality), else ``"does not hold"``.
    """
    if direction not in ("greater", "less", "similar"):
        raise ValueError(f"direction must be 'greater', 'less' or 'similar', got {direction!r}")
    if low > high:
        raise ValueError(f"low ({low}) is above high ({high})")
    contains_zero = low <= 0 <= high
    if direction == "similar":
        return "consistent" if contains_zero else "does not hold"
    if contains_zero:
        return "inconclusive"
    positive = low > 0
    return "holds" if positive == (direction == "greater") else "does not hold"
