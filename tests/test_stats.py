"""Paired bootstrap intervals and verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from course_lib.stats import paired_bootstrap, verdict


def _systems(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, n)
    good = np.where(rng.random(n) < 0.8, truth, rng.integers(0, 4, n))
    poor = np.where(rng.random(n) < 0.4, truth, rng.integers(0, 4, n))
    return truth, good, poor


def test_fast_weighted_f1_and_accuracy_match_scikit_learn_on_the_full_set():
    truth, good, poor = _systems()
    result = paired_bootstrap(truth, good, poor, "weighted_f1", n_resamples=50)
    expected = f1_score(truth, good, average="weighted") - f1_score(truth, poor, average="weighted")
    assert result.difference == pytest.approx(expected)
    result = paired_bootstrap(truth, good, poor, "accuracy", n_resamples=50)
    assert result.difference == pytest.approx(accuracy_score(truth, good) - accuracy_score(truth, poor))


def test_fast_path_and_a_callable_metric_give_the_same_interval():
    truth, good, poor = _systems(120)
    fast = paired_bootstrap(truth, good, poor, "weighted_f1", n_resamples=200, seed=3)
    slow = paired_bootstrap(
        truth, good, poor, lambda t, p: f1_score(t, p, average="weighted"), n_resamples=200, seed=3
    )
    assert (fast.low, fast.high) == pytest.approx((slow.low, slow.high))


def test_a_clearly_better_system_has_an_interval_above_zero_and_identical_ones_collapse_to_zero():
    truth, good, poor = _systems()
    better = paired_bootstrap(truth, good, poor, n_resamples=300)
    assert 0 < better.low <= better.difference <= better.high
    same = paired_bootstrap(truth, good, good, n_resamples=100)
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    reverse = paired_bootstrap(truth, poor, good, n_resamples=300)
    assert reverse.high < 0


def test_same_seed_same_interval_and_seeds_are_averaged():
    truth, good, poor = _systems()
    assert paired_bootstrap(truth, good, poor, seed=5) == paired_bootstrap(truth, good, poor, seed=5)
    two_seeds = np.stack([good, poor])
    result = paired_bootstrap(truth, two_seeds, poor, "accuracy", n_resamples=50)
    assert result.difference == pytest.approx((accuracy_score(truth, good) - accuracy_score(truth, poor)) / 2)
    assert result.seed_std_a == pytest.approx(
        abs(accuracy_score(truth, good) - accuracy_score(truth, poor)) / 2
    )
    assert result.seed_std_b == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], [], []), "non-empty"),
        (([0, 1], [0, 1, 1], [0, 1]), "pred_a"),
        (([0, 1], [0, 1], [[0, 1, 0]]), "pred_b"),
        (([0.5, 1.0], [0.5, 1.0], [0.5, 1.0]), "integer class indices"),
    ],
)
def test_bad_inputs_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(*args)


@pytest.mark.parametrize(
    ("low", "high", "direction", "expected"),
    [
        (0.01, 0.05, "greater", "holds"),
        (-0.05, -0.01, "greater", "does not hold"),
        (-0.01, 0.02, "greater", "inconclusive"),
        (-0.05, -0.01, "less", "holds"),
        (-0.01, 0.02, "similar", "consistent"),
        (0.01, 0.02, "similar", "does not hold"),
    ],
)
def test_verdict_follows_the_interval(low, high, direction, expected):
    assert verdict(low, high, direction) == expected


def test_one_system_bootstrap_without_b():
    truth, good, _ = _systems()
    result = paired_bootstrap(truth, good, None, "accuracy", n_resamples=200)
    assert result.difference == pytest.approx(accuracy_score(truth, good))
    assert result.low < result.difference < result.high and result.seed_std_b == 0.0
