"""The cross-lesson leaderboard: one protocol, a validation-chosen reference, paired intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from course_lib import metrics
from course_lib.recipes.leaderboard import Method, evaluate

IDS = [f"clip{i}" for i in range(200)]
TRUTH = np.random.default_rng(0).uniform(-3, 3, size=200)


@dataclass
class FakeResult:
    test_ids: list
    y_true: np.ndarray
    y_pred: np.ndarray
    val_mae: float
    n_parameters: int = 10

    def summary(self) -> dict[str, float]:
        return {"val_mae": self.val_mae, "test_mae": metrics.mae(self.y_true, self.y_pred)}


def _method(
    name: str, noise: float, val_mae: float, shuffle: bool = False, task: str = "sentiment"
) -> Method:
    def train(seed: int) -> FakeResult:
        rng = np.random.default_rng(seed)
        order = rng.permutation(200) if shuffle else np.arange(200)
        pred = TRUTH + rng.normal(0, noise, size=200)
        return FakeResult([IDS[i] for i in order], TRUTH[order], pred[order], val_mae)

    return Method(name, "0x", task, train)


def test_the_reference_is_chosen_on_validation_and_others_are_compared_to_it():
    board = evaluate(
        [
            _method("good", 0.3, val_mae=0.5, shuffle=True),
            _method("bad", 2.0, 0.9),
            _method("lucky", 2.0, 0.1),
        ],
        seeds=(1, 2),
        n_resamples=200,
    )
    assert board.reference == "lucky", "the best validation MAE, not the best test MAE"
    rows = {row["method"]: row for row in board.rows()}
    assert rows["lucky"]["verdict"] == "reference"
    assert rows["good"]["verdict"] == "better" and rows["good"]["ci_high"] < 0
    assert rows["bad"]["verdict"] == "not distinguishable"
    good = _method("good", 0.3, val_mae=0.5, shuffle=True)
    expected = np.mean([metrics.mae(r.y_true, r.y_pred) for r in (good.train(1), good.train(2))])
    assert rows["good"]["mae"] == pytest.approx(expected), "items are aligned by id before scoring"
    assert rows["good"]["parameters"] == 10 and rows["good"]["train_seconds"] >= 0
    table = board.table()
    assert next(iter(table.index)) == "good" and "Δmae vs reference [95% CI]" in table.columns
    assert {"acc2_has0", "acc2_non0", "acc7", "f1_has0", "corr"} <= set(table.columns)
    assert board.plot().axes
    assert rows["bad"]["parameters"] == 10
    assert board.verdicts() == {"reference": ["lucky"], "better": ["good"], "not distinguishable": ["bad"]}


def test_a_leaderboard_refuses_mixed_tasks_other_test_items_and_twin_names():
    with pytest.raises(ValueError, match="one task"):
        evaluate([_method("a", 1, 1), _method("b", 1, 1, task="emotion")], seeds=(1,))
    with pytest.raises(ValueError, match="named"):
        evaluate([_method("a", 1, 1), _method("a", 1, 1)], seeds=(1,))
    other = Method(
        "other", "0x", "sentiment", lambda seed: FakeResult(IDS[:100], TRUTH[:100], TRUTH[:100], 1.0)
    )
    with pytest.raises(ValueError, match="other items"):
        evaluate([_method("a", 1, 1), other], seeds=(1,))
    with pytest.raises(ValueError, match="task must be"):
        Method("x", "01", "dance", lambda seed: None)


def test_the_emotion_interval_uses_the_fast_weighted_f1_and_agrees_with_sklearn():
    from course_lib.recipes.leaderboard import TASKS
    from course_lib.stats import paired_bootstrap

    rng = np.random.default_rng(0)
    truth, a, b = rng.integers(0, 6, 300), rng.integers(0, 6, 300), rng.integers(0, 6, 300)
    classes = tuple("abcdef")
    fast = TASKS["emotion"].primary_metric(classes)
    assert fast == "weighted_f1"
    slow = lambda t, p: metrics.classification_metrics(t, p, list(classes))["weighted_f1"]
    one, two = (
        paired_bootstrap(truth, a, b, fast, n_resamples=50),
        paired_bootstrap(truth, a, b, slow, n_resamples=50),
    )
    assert one.difference == pytest.approx(two.difference) and one.low == pytest.approx(two.low)
